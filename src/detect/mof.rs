//! The text WMI writes about its objects, read back: MOF string literals (every Sysmon 19/20/21
//! value), object paths (`CommandLineEventConsumer.Name="x"`, `Class="x"`), the MOF instances
//! that WMI-Activity 5861 puts in `PossibleCause`, and the binary SIDs in them. The text comes
//! from the log and is hostile: every function takes anything and never panics.

use std::str::Chars;

/// A Sysmon WMI value: a leading space, then a double-quoted MOF literal (`\\` and `\"`
/// escaped); anything else is returned trimmed, as written.
pub fn unquote(value: &str) -> String {
    let v = value.strip_prefix(' ').unwrap_or(value);
    match v.strip_prefix('"').and_then(|rest| rest.strip_suffix('"')) {
        Some(inner) => unescape(inner),
        None => value.trim().to_string(),
    }
}

/// MOF escapes undone: `\\`, `\"`, `\'`, `\n`, `\t`, `\r`; any other backslash stays.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(q @ ('\\' | '"' | '\'')) => out.push(q),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// A WMI object named by path: its class and its `Name` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    /// The class (`CommandLineEventConsumer`, `__EventFilter`).
    pub class: String,
    /// The `Name` key's value.
    pub name: String,
}

/// Reads an object path: `[\\host\namespace:]Class.Name="x"` (Sysmon 21) or `Class="x"`
/// (5861's `CONSUMER`). `None` when no class can be told.
pub fn object_ref(path: &str) -> Option<ObjectRef> {
    let path = path.trim();
    let quote = path.find('"').unwrap_or(path.len());
    let head = path.get(..quote)?;
    let class_start = head.rfind(':').map_or(0, |at| at + 1);
    let class_part = head.get(class_start..)?;
    let class_end = class_part.find(['.', '=']).unwrap_or(class_part.len());
    let class = class_part.get(..class_end)?.trim().to_string();
    let rest = path.get(quote..).unwrap_or("");
    let name = match rest.strip_prefix('"') {
        Some(quoted) => {
            let end = quoted.rfind('"').unwrap_or(quoted.len());
            unescape(quoted.get(..end).unwrap_or(quoted))
        }
        None => class_part
            .split_once('=')
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default(),
    };
    (!class.is_empty()).then_some(ObjectRef { class, name })
}

/// A MOF instance: its class and its properties, string values unescaped, others as written
/// (`{1, 2, 0}`, `0`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Instance {
    /// `instance of <class>`.
    pub class: String,
    /// Properties in order.
    pub properties: Vec<(String, String)>,
}

impl Instance {
    /// A property's value by name, ASCII case-insensitively (MOF names are).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `CreatorSID` property as a SID string (`S-1-5-32-544`).
    pub fn creator_sid(&self) -> Option<String> {
        sid_from_bytes(&byte_array(self.get("CreatorSID")?)?)
    }
}

/// Every `instance of <class> { … };` in `text` (5861's `PossibleCause` holds the filter's,
/// then the consumer's).
pub fn instances(text: &str) -> Vec<Instance> {
    const MARK: &str = "instance of ";
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(MARK) {
        rest = rest.get(at + MARK.len()..).unwrap_or("");
        let class_end = rest
            .find(|c: char| c.is_whitespace() || c == '{')
            .unwrap_or(rest.len());
        let class = rest.get(..class_end).unwrap_or("").to_string();
        let Some(open) = rest.find('{') else {
            found.push(Instance {
                class,
                properties: Vec::new(),
            });
            break;
        };
        let body = rest.get(open + 1..).unwrap_or("");
        let (properties, used) = properties(body);
        found.push(Instance { class, properties });
        rest = body.get(used..).unwrap_or("");
    }
    found
}

/// The properties of an instance body up to its closing `}`, and how many bytes that took.
fn properties(body: &str) -> (Vec<(String, String)>, usize) {
    let mut props = Vec::new();
    let mut chars = body.chars();
    loop {
        let name: String = skip_to_name(&mut chars);
        if name.is_empty() {
            break;
        }
        let value = match next_non_space(&mut chars) {
            Some('"') => read_string(&mut chars),
            Some('{') => {
                let inner: String = chars.by_ref().take_while(|&c| c != '}').collect();
                format!("{{{inner}}}")
            }
            Some(first) => std::iter::once(first)
                .chain(chars.by_ref().take_while(|&c| c != ';'))
                .collect::<String>()
                .trim()
                .to_string(),
            None => String::new(),
        };
        props.push((name, value));
    }
    (props, body.len() - chars.as_str().len())
}

/// The next property name (up to `=`), or `""` at the instance's `}` or the end.
fn skip_to_name(chars: &mut Chars<'_>) -> String {
    let mut name = String::new();
    for c in chars.by_ref() {
        match c {
            '}' if name.trim().is_empty() => return String::new(),
            '=' => return name.trim().to_string(),
            ';' => name.clear(),
            _ => name.push(c),
        }
    }
    String::new()
}

fn next_non_space(chars: &mut Chars<'_>) -> Option<char> {
    chars.by_ref().find(|c| !c.is_whitespace())
}

/// A MOF string after its opening quote, unescaped, up to the closing quote (and the `;`).
fn read_string(chars: &mut Chars<'_>) -> String {
    let mut raw = String::new();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                raw.push(c);
                raw.extend(chars.next());
            }
            '"' => break,
            _ => raw.push(c),
        }
    }
    // Up to the end of the statement.
    for c in chars.by_ref() {
        if c == ';' {
            break;
        }
    }
    unescape(&raw)
}

/// `{1, 2, 0}` as bytes.
fn byte_array(text: &str) -> Option<Vec<u8>> {
    let inner = text.trim().strip_prefix('{')?.strip_suffix('}')?;
    inner.split(',').map(|b| b.trim().parse().ok()).collect()
}

/// A binary SID (revision, count, 6-byte authority, little-endian sub-authorities) as text.
pub fn sid_from_bytes(bytes: &[u8]) -> Option<String> {
    let [revision, count, authority @ ..] = bytes else {
        return None;
    };
    let authority_bytes = authority.get(..6)?;
    let authority_value = authority_bytes
        .iter()
        .fold(0u64, |v, &b| (v << 8) | u64::from(b));
    let subs = authority.get(6..)?;
    if subs.len() != usize::from(*count) * 4 {
        return None;
    }
    let mut sid = format!("S-{revision}-{authority_value}");
    for chunk in subs.chunks_exact(4) {
        if let Ok(le) = <[u8; 4]>::try_from(chunk) {
            sid.push_str(&format!("-{}", u32::from_le_bytes(le)));
        }
    }
    Some(sid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysmon_values_are_unquoted_once() {
        assert_eq!(unquote(" \"BotFilter82\""), "BotFilter82");
        assert_eq!(
            unquote(" \"c:\\\\Windows\\\\System32\\\\cmd.exe\""),
            "c:\\Windows\\System32\\cmd.exe"
        );
        // PowerLurk's command holds doubled backslashes of its own: one level is undone.
        assert_eq!(
            unquote(" \"cmd.exe /c echo %ProcessId% >> c:\\\\\\\\temp\\\\\\\\log.txt\""),
            "cmd.exe /c echo %ProcessId% >> c:\\\\temp\\\\log.txt"
        );
        assert_eq!(unquote("plain "), "plain");
        assert_eq!(unquote(" \""), "\"");
        assert_eq!(unquote(""), "");
        assert_eq!(unquote(" \"a\\\""), "a\\");
    }

    #[test]
    fn object_paths_name_class_and_key() {
        let r = |class: &str, name: &str| {
            Some(ObjectRef {
                class: class.into(),
                name: name.into(),
            })
        };
        assert_eq!(
            object_ref(&unquote(
                " \"CommandLineEventConsumer.Name=\\\"BotConsumer23\\\"\""
            )),
            r("CommandLineEventConsumer", "BotConsumer23")
        );
        assert_eq!(
            object_ref(&unquote(
                " \"\\\\\\\\.\\\\root\\\\subscription:__EventFilter.Name=\\\"Probe: x\\\"\""
            )),
            r("__EventFilter", "Probe: x")
        );
        assert_eq!(
            object_ref("CommandLineEventConsumer=\"LogRotate Consumer\""),
            r("CommandLineEventConsumer", "LogRotate Consumer")
        );
        assert_eq!(object_ref("Class.Name=bare"), r("Class", "bare"));
        assert_eq!(object_ref("\"only a name\""), None);
        assert_eq!(object_ref(""), None);
    }

    const CAUSE: &str = "Binding EventFilter: \ninstance of __EventFilter\n{\n\tCreatorSID = {1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 5, 2, 110, 232, 225, 133, 11, 144, 236, 20, 83, 175, 80, 4, 0, 0};\n\tEventNamespace = \"root\\\\cimv2\";\n\tName = \"LogRotate Event\";\n\tQuery = \"SELECT * FROM __InstanceCreationEvent WITHIN 10 WHERE TargetInstance ISA 'Win32_LoggedOnUser'\";\n\tQueryLanguage = \"WQL\";\n};\nPerm. Consumer: \ninstance of CommandLineEventConsumer\n{\n\tCommandLineTemplate = \"powershell.exe -noP -ep bypass iex -c \\\"('C:\\\\Users\\\\john.goldberg\\\\AppData\\\\Roaming\\\\Microsoft\\\\Office\\\\Recent\\\\tmpA7Z2.ps1')\\\"\";\n\tCreatorSID = {1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 5, 2, 110, 232, 225, 133, 11, 144, 236, 20, 83, 175, 80, 4, 0, 0};\n\tName = \"LogRotate Consumer\";\n};\n";

    #[test]
    fn the_attackers_5861_reads_whole() {
        let found = instances(CAUSE);
        assert_eq!(found.len(), 2);
        let (filter, consumer) = (&found[0], &found[1]);
        assert_eq!(filter.class, "__EventFilter");
        assert_eq!(filter.get("eventnamespace"), Some("root\\cimv2"));
        assert_eq!(filter.get("Name"), Some("LogRotate Event"));
        assert_eq!(
            filter.get("Query"),
            Some("SELECT * FROM __InstanceCreationEvent WITHIN 10 WHERE TargetInstance ISA 'Win32_LoggedOnUser'")
        );
        assert_eq!(
            filter.creator_sid().as_deref(),
            Some("S-1-5-21-3899523589-2416674273-2941457644-1104")
        );
        assert_eq!(consumer.class, "CommandLineEventConsumer");
        assert_eq!(
            consumer.get("CommandLineTemplate"),
            Some("powershell.exe -noP -ep bypass iex -c \"('C:\\Users\\john.goldberg\\AppData\\Roaming\\Microsoft\\Office\\Recent\\tmpA7Z2.ps1')\"")
        );
        assert_eq!(consumer.get("Name"), Some("LogRotate Consumer"));
    }

    #[test]
    fn built_in_creator_and_hostile_text() {
        assert_eq!(
            sid_from_bytes(&[1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 32, 2, 0, 0]).as_deref(),
            Some("S-1-5-32-544")
        );
        assert_eq!(sid_from_bytes(&[1, 2, 0, 0, 0, 0, 0, 5, 32]), None);
        assert_eq!(sid_from_bytes(&[]), None);
        for text in [
            "",
            "instance of",
            "instance of X",
            "instance of X {",
            "instance of X { a = \"unterminated",
            "instance of X { a = {1, 2",
            "instance of X { = ; } instance of",
            "instance of X {\n\tCreatorSID = {1, 999};\n};",
        ] {
            let found = instances(text);
            assert!(found.iter().all(|i| i.creator_sid().is_none()), "{text}");
        }
        let odd = instances("instance of X\n{\n\tA = 1;\n\tB = \"x;y\";\n};\n");
        assert_eq!(
            odd[0].properties,
            [("A".into(), "1".into()), ("B".into(), "x;y".into())]
        );
    }
}
