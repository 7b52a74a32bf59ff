//! A rendered record read into the fields wmihunt uses. The `evtx` crate renders a record as
//! JSON; parsing that into a `serde_json::Value` (every key, every nested object allocated)
//! cost more than rendering itself, so this reads the JSON in one streaming pass: the `System`
//! fields below, and every field of `EventData` (or of the element under `UserData`, where
//! WMI-Activity and other providers put theirs) as text by name; everything else is skipped
//! without allocating.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;

/// The `System` fields and the event's own fields.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Rendered {
    /// `System/Provider/@Name`.
    pub provider: Option<String>,
    /// `System/EventID` (its text, whether or not it has `Qualifiers`).
    pub event_id: Option<String>,
    /// `System/TimeCreated/@SystemTime`.
    pub time_created: Option<String>,
    /// `System/EventRecordID`.
    pub record_id: Option<String>,
    /// `System/Channel`.
    pub channel: Option<String>,
    /// `System/Computer`.
    pub computer: Option<String>,
    /// The event's fields: `EventData`'s, or those of the element under `UserData`.
    pub data: EventData,
}

/// An event's fields by name, in record order, each as text: the fields the reader was asked
/// for (each extractor declares the names it reads), the rest skipped unread, so that
/// rendering every record (`--no-prefilter`) allocates no more than it must. Repeated names
/// keep every value (the `evtx` crate renders them as an array or with `_1`, `_2` suffixes).
/// Names and values share one buffer: two allocations a record however many fields it has.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct EventData {
    /// The element under `UserData` that held the fields (`Operation_ESStoConsumerBinding`),
    /// `None` for `EventData`.
    pub user_data: Option<String>,
    text: String,
    /// (end of the name, end of the value) in `text`; each starts where the previous ends.
    ends: Vec<(usize, usize)>,
}

impl EventData {
    /// Adds a field.
    fn push(&mut self, name: &str, value: &str) {
        self.text.push_str(name);
        let name_end = self.text.len();
        self.text.push_str(value);
        self.ends.push((name_end, self.text.len()));
    }

    /// Every field, in record order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        let mut start = 0;
        self.ends.iter().map(move |&(name_end, value_end)| {
            let name = self.text.get(start..name_end).unwrap_or_default();
            let value = self.text.get(name_end..value_end).unwrap_or_default();
            start = value_end;
            (name, value)
        })
    }

    /// The first field named `name` (exact, as Windows spells it), if it has a value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// The first field named `name`, ASCII case-insensitively: some providers spell one field
    /// differently across events (`ProcessID`, `Processid`); every spelling must be asked for.
    pub fn get_ci(&self, name: &str) -> Option<&str> {
        self.fields()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// `get` as an owned string, for extractors that keep it.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_owned)
    }

    /// A field set by name, for tests.
    #[cfg(test)]
    pub fn from_pairs(pairs: &[(&str, &str)]) -> EventData {
        let mut data = EventData::default();
        for (name, value) in pairs {
            data.push(name, value);
        }
        data
    }
}

impl Rendered {
    /// Reads a record rendered as JSON by the `evtx` crate, keeping the event fields named in
    /// `fields` (exact names).
    /// A record whose strings hold raw control characters (carved records do: the crate
    /// writes them unescaped) is read after escaping them, not dropped.
    pub fn from_json(json: &[u8], fields: &[&str]) -> Result<Rendered, String> {
        let parse = |json: &[u8]| -> Result<Rendered, serde_json::Error> {
            let mut de = serde_json::Deserializer::from_slice(json);
            let rendered = Document(fields).deserialize(&mut de)?;
            de.end()?;
            Ok(rendered)
        };
        match parse(json) {
            Ok(rendered) => Ok(rendered),
            Err(e) if e.is_syntax() => match escape_controls(json) {
                Some(escaped) => parse(&escaped),
                None => Err(e),
            },
            Err(e) => Err(e),
        }
        .map_err(|e| format!("its rendered fields cannot be read ({e})"))
    }

    /// `event_id` as a number.
    pub fn event_id(&self) -> Option<u16> {
        self.event_id.as_deref()?.trim().parse().ok()
    }
}

/// `json` with the control characters inside its strings escaped (`\u0001`), or `None`
/// when it has none.
fn escape_controls(json: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(json.len() + 16);
    let (mut in_string, mut escaped, mut changed) = (false, false, false);
    for &b in json {
        match b {
            _ if escaped => {
                escaped = false;
                out.push(b);
            }
            b'\\' if in_string => {
                escaped = true;
                out.push(b);
            }
            b'"' => {
                in_string = !in_string;
                out.push(b);
            }
            0..=0x1f if in_string => {
                changed = true;
                out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
            }
            _ => out.push(b),
        }
    }
    changed.then_some(out)
}

/// The text of a field: strings as they are, numbers and booleans printed, the `#text` of an
/// element with attributes, repeated fields joined with a newline; `None` for null.
#[derive(Debug, Default)]
struct Text(Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(Some(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                Ok(Text(Some(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
                let mut text = None;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if key == "#text" {
                        text = map.next_value::<Text>()?.0;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(Text(text))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text, A::Error> {
                let mut parts: Vec<String> = Vec::new();
                while let Some(Text(part)) = seq.next_element::<Text>()? {
                    parts.extend(part);
                }
                Ok(Text((!parts.is_empty()).then(|| parts.join("\n"))))
            }
        }
        d.deserialize_any(V)
    }
}

/// Calls `field(key, map)` for every key of a JSON object, which must read the value; any other
/// JSON type is skipped. Shared by every level below.
fn walk_object<'de, A, F>(mut map: A, mut field: F) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    F: FnMut(&str, &mut A) -> Result<(), A::Error>,
{
    while let Some(key) = map.next_key::<Cow<'de, str>>()? {
        field(&key, &mut map)?;
    }
    Ok(())
}

/// Declares a lenient object reader: a seed (holding the names of the event fields wanted)
/// whose visitor fills `$target` from an object with `$body(key, map, out, fields)` and
/// accepts any other JSON value as empty.
macro_rules! lenient {
    ($name:ident, $target:ty, |$key:ident, $map:ident, $out:ident, $fields:ident| $body:block) => {
        struct $name<'f>(&'f [&'f str]);
        impl<'de, 'f> DeserializeSeed<'de> for $name<'f> {
            type Value = $target;
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<$target, D::Error> {
                struct V<'f>(&'f [&'f str]);
                impl<'de, 'f> Visitor<'de> for V<'f> {
                    type Value = $target;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("any JSON value")
                    }
                    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<$target, A::Error> {
                        #[allow(unused_variables)]
                        let $fields = self.0;
                        let mut $out = <$target>::default();
                        walk_object(map, |$key, $map| $body)?;
                        Ok($out)
                    }
                    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<$target, A::Error> {
                        while seq.next_element::<IgnoredAny>()?.is_some() {}
                        Ok(<$target>::default())
                    }
                    fn visit_str<E: de::Error>(self, _: &str) -> Result<$target, E> {
                        Ok(<$target>::default())
                    }
                    fn visit_u64<E: de::Error>(self, _: u64) -> Result<$target, E> {
                        Ok(<$target>::default())
                    }
                    fn visit_i64<E: de::Error>(self, _: i64) -> Result<$target, E> {
                        Ok(<$target>::default())
                    }
                    fn visit_f64<E: de::Error>(self, _: f64) -> Result<$target, E> {
                        Ok(<$target>::default())
                    }
                    fn visit_bool<E: de::Error>(self, _: bool) -> Result<$target, E> {
                        Ok(<$target>::default())
                    }
                    fn visit_unit<E: de::Error>(self) -> Result<$target, E> {
                        Ok(<$target>::default())
                    }
                }
                d.deserialize_any(V(self.0))
            }
        }
    };
}

/// `{"#attributes": {name: text, …}}`: the attributes wanted, by name.
#[derive(Default)]
struct Attributes {
    name: Option<String>,
    system_time: Option<String>,
}

lenient!(AttributesOf, Attributes, |key, map, out, fields| {
    if key == "#attributes" {
        out = map.next_value_seed(AttributeMap(fields))?;
    } else {
        map.next_value::<IgnoredAny>()?;
    }
    Ok(())
});

lenient!(AttributeMap, Attributes, |key, map, out, fields| {
    match key {
        "Name" => out.name = map.next_value::<Text>()?.0,
        "SystemTime" => out.system_time = map.next_value::<Text>()?.0,
        _ => {
            map.next_value::<IgnoredAny>()?;
        }
    }
    Ok(())
});

lenient!(SystemPart, Rendered, |key, map, out, fields| {
    let attributes = |map: &mut _| -> Result<Attributes, _> {
        MapAccess::next_value_seed(map, AttributesOf(fields))
    };
    match key {
        "Provider" => out.provider = attributes(map)?.name,
        "EventID" => out.event_id = map.next_value::<Text>()?.0,
        "TimeCreated" => out.time_created = attributes(map)?.system_time,
        "EventRecordID" => out.record_id = map.next_value::<Text>()?.0,
        "Channel" => out.channel = map.next_value::<Text>()?.0,
        "Computer" => out.computer = map.next_value::<Text>()?.0,
        _ => {
            map.next_value::<IgnoredAny>()?;
        }
    }
    Ok(())
});

lenient!(DataPart, EventData, |key, map, out, fields| {
    if !fields.contains(&key) {
        map.next_value::<IgnoredAny>()?;
    } else if let Some(value) = map.next_value::<Text>()?.0 {
        out.push(key, &value);
    }
    Ok(())
});

// `UserData`: one element, whose children are the fields.
lenient!(UserDataPart, EventData, |key, map, out, fields| {
    if out.user_data.is_none() {
        out = map.next_value_seed(DataPart(fields))?;
        out.user_data = Some(key.to_owned());
    } else {
        map.next_value::<IgnoredAny>()?;
    }
    Ok(())
});

lenient!(EventPart, Rendered, |key, map, out, fields| {
    match key {
        "System" => {
            let data = std::mem::take(&mut out.data);
            out = map.next_value_seed(SystemPart(fields))?;
            out.data = data;
        }
        "EventData" => out.data = map.next_value_seed(DataPart(fields))?,
        "UserData" => out.data = map.next_value_seed(UserDataPart(fields))?,
        _ => {
            map.next_value::<IgnoredAny>()?;
        }
    }
    Ok(())
});

lenient!(Document, Rendered, |key, map, out, fields| {
    if key == "Event" {
        out = map.next_value_seed(EventPart(fields))?;
    } else {
        map.next_value::<IgnoredAny>()?;
    }
    Ok(())
});

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields these tests read.
    const FIELDS: &[&str] = &[
        "RuleName",
        "ProcessId",
        "Image",
        "Details",
        "User",
        "Namespace",
        "ESS",
        "CONSUMER",
        "PossibleCause",
        "Empty",
    ];

    #[test]
    fn reads_the_real_shape() {
        let json = br##"{"Event":{"#attributes":{"xmlns":"x"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon","Guid":"{5770385f}"}},"EventID":13,"Version":2,"Keywords":"0x8000000000000000","TimeCreated":{"#attributes":{"SystemTime":"2020-12-10T11:18:54.8563115Z"}},"EventRecordID":549609,"Correlation":null,"Execution":{"#attributes":{"ProcessID":3556}},"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"MSEDGEWIN10","Security":{"#attributes":{"UserID":"S-1-5-18"}}},"EventData":{"RuleName":"","EventType":"SetValue","ProcessId":5580,"Image":"C:\\Windows\\system32\\wbem\\wmiprvse.exe","TargetObject":"HKLM\\x","Details":"rundll32.exe a.dll, DllMain","Other":{"deep":[1,2,{"x":null}]}}}}"##;
        let r = Rendered::from_json(json, FIELDS).unwrap();
        assert_eq!(r.provider.as_deref(), Some("Microsoft-Windows-Sysmon"));
        assert_eq!(r.event_id(), Some(13));
        assert_eq!(
            r.time_created.as_deref(),
            Some("2020-12-10T11:18:54.8563115Z")
        );
        assert_eq!(r.record_id.as_deref(), Some("549609"));
        assert_eq!(r.computer.as_deref(), Some("MSEDGEWIN10"));
        assert_eq!(r.data.get("ProcessId"), Some("5580"));
        assert_eq!(r.data.get("RuleName"), Some(""));
        assert_eq!(
            r.data.get("Image"),
            Some("C:\\Windows\\system32\\wbem\\wmiprvse.exe")
        );
        assert_eq!(r.data.get("Details"), Some("rundll32.exe a.dll, DllMain"));
        assert_eq!(r.data.get("User"), None);
        assert_eq!(r.data.get_ci("processid"), Some("5580"));
        // A nested object has no text, and unknown fields are not kept.
        assert!(r.data.fields().all(|(n, _)| n != "Other"));
    }

    #[test]
    fn odd_shapes_are_read_leniently() {
        // Qualifiers on EventID, EventData as text or unnamed list, repeated names, UserData.
        let json = br##"{"Event":{"EventData":{"Image":["a","b"],"Details":{"#attributes":{"x":1},"#text":"t"}},"System":{"EventID":{"#attributes":{"Qualifiers":16384},"#text":4688},"Provider":"weird"}}}"##;
        let r = Rendered::from_json(json, FIELDS).unwrap();
        assert_eq!(r.event_id(), Some(4688));
        assert_eq!(r.provider, None);
        assert_eq!(r.data.get("Image"), Some("a\nb"));
        assert_eq!(r.data.get("Details"), Some("t"));
        for json in [
            &br##"{"Event":{"EventData":"plain text","System":null}}"##[..],
            br##"{"Event":{"UserData":"text"}}"##,
            b"[]",
            b"null",
            br##"{"Event":[1,2]}"##,
        ] {
            assert_eq!(
                Rendered::from_json(json, FIELDS).unwrap(),
                Rendered::default()
            );
        }
        assert!(Rendered::from_json(b"{", FIELDS).is_err());
        assert!(Rendered::from_json(b"{} x", FIELDS).is_err());
    }

    #[test]
    fn raw_control_characters_in_strings_are_escaped_not_fatal() {
        let json = b"{\"Event\":{\"EventData\":{\"Image\":\"a\x01b\\\"\nc\"}},\n\"x\":1}";
        let r = Rendered::from_json(json, FIELDS).unwrap();
        assert_eq!(r.data.get("Image"), Some("a\u{1}b\"\nc"));
        assert!(Rendered::from_json(b"{\"a\":\"\x01", FIELDS).is_err());
    }

    #[test]
    fn user_data_fields_are_read_from_its_element() {
        // WMI-Activity 5861, as the evtx crate renders it (null for an empty value).
        let json = br##"{"Event":{"System":{"EventID":5861},"UserData":{"Operation_ESStoConsumerBinding":{"#attributes":{"xmlns":"x"},"Namespace":"//./root/subscription","ESS":"LogRotate Event","CONSUMER":"CommandLineEventConsumer=\"LogRotate Consumer\"","PossibleCause":"Binding","Hashes":"x","Empty":null}}}}"##;
        let r = Rendered::from_json(json, FIELDS).unwrap();
        assert_eq!(
            r.data.user_data.as_deref(),
            Some("Operation_ESStoConsumerBinding")
        );
        assert_eq!(r.data.get("ESS"), Some("LogRotate Event"));
        assert_eq!(
            r.data.get("CONSUMER"),
            Some("CommandLineEventConsumer=\"LogRotate Consumer\"")
        );
        let names: Vec<&str> = r.data.fields().map(|(n, _)| n).collect();
        assert_eq!(names, ["Namespace", "ESS", "CONSUMER", "PossibleCause"]);
    }
}
