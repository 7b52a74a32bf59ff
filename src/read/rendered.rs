//! A rendered record read into the few fields wmihunt uses. The `evtx` crate renders a record
//! as JSON; parsing that into a `serde_json::Value` (every key, every string allocated) cost
//! more than rendering itself, so this reads the JSON in one streaming pass, keeps the fields
//! below and skips everything else without allocating.

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;

/// The `System` fields and the `EventData` fields any extractor needs.
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
    /// `EventData`, the named fields wmihunt reads.
    pub data: EventData,
}

/// `EventData` fields by name (Sysmon registry and process events, Security 4688).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct EventData {
    /// `EventType`.
    pub event_type: Option<String>,
    /// `Image`.
    pub image: Option<String>,
    /// `TargetObject`.
    pub target_object: Option<String>,
    /// `Details`.
    pub details: Option<String>,
    /// `NewName`.
    pub new_name: Option<String>,
    /// `ProcessId`.
    pub process_id: Option<String>,
    /// `ProcessGuid`.
    pub process_guid: Option<String>,
    /// `User`.
    pub user: Option<String>,
    /// `RuleName`.
    pub rule_name: Option<String>,
    /// `CommandLine`.
    pub command_line: Option<String>,
    /// `NewProcessName` (Security 4688).
    pub new_process_name: Option<String>,
    /// `ObjectName` (Security 4657: the key, kernel form).
    pub object_name: Option<String>,
    /// `ObjectValueName` (Security 4657).
    pub object_value_name: Option<String>,
    /// `NewValue` (Security 4657).
    pub new_value: Option<String>,
    /// `OperationType` (Security 4657).
    pub operation_type: Option<String>,
    /// `ProcessName` (Security 4657).
    pub process_name: Option<String>,
    /// `SubjectUserName` (Security).
    pub subject_user_name: Option<String>,
    /// `SubjectDomainName` (Security).
    pub subject_domain_name: Option<String>,
    /// `SubjectLogonId` (Security).
    pub subject_logon_id: Option<String>,
}

impl Rendered {
    /// Reads a record rendered as JSON by the `evtx` crate.
    pub fn from_json(json: &[u8]) -> Result<Rendered, String> {
        let doc: Document =
            serde_json::from_slice(json).map_err(|e| format!("rendered JSON is invalid: {e}"))?;
        Ok(doc.0)
    }

    /// `event_id` as a number.
    pub fn event_id(&self) -> Option<u16> {
        self.event_id.as_deref()?.trim().parse().ok()
    }
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

/// Declares a lenient object reader: a visitor that fills `$target` from an object with
/// `$body(key, map, out)` and accepts any other JSON value as empty.
macro_rules! lenient {
    ($name:ident, $target:ty, |$key:ident, $map:ident, $out:ident| $body:block) => {
        struct $name($target);
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("any JSON value")
                    }
                    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<$name, A::Error> {
                        let mut $out = <$target>::default();
                        walk_object(map, |$key, $map| $body)?;
                        Ok($name($out))
                    }
                    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<$name, A::Error> {
                        while seq.next_element::<IgnoredAny>()?.is_some() {}
                        Ok($name(<$target>::default()))
                    }
                    fn visit_str<E: de::Error>(self, _: &str) -> Result<$name, E> {
                        Ok($name(<$target>::default()))
                    }
                    fn visit_u64<E: de::Error>(self, _: u64) -> Result<$name, E> {
                        Ok($name(<$target>::default()))
                    }
                    fn visit_i64<E: de::Error>(self, _: i64) -> Result<$name, E> {
                        Ok($name(<$target>::default()))
                    }
                    fn visit_f64<E: de::Error>(self, _: f64) -> Result<$name, E> {
                        Ok($name(<$target>::default()))
                    }
                    fn visit_bool<E: de::Error>(self, _: bool) -> Result<$name, E> {
                        Ok($name(<$target>::default()))
                    }
                    fn visit_unit<E: de::Error>(self) -> Result<$name, E> {
                        Ok($name(<$target>::default()))
                    }
                }
                d.deserialize_any(V)
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

lenient!(AttributesOf, Attributes, |key, map, out| {
    if key == "#attributes" {
        out = map.next_value::<AttributeMap>()?.0;
    } else {
        map.next_value::<IgnoredAny>()?;
    }
    Ok(())
});

lenient!(AttributeMap, Attributes, |key, map, out| {
    match key {
        "Name" => out.name = map.next_value::<Text>()?.0,
        "SystemTime" => out.system_time = map.next_value::<Text>()?.0,
        _ => {
            map.next_value::<IgnoredAny>()?;
        }
    }
    Ok(())
});

lenient!(SystemPart, Rendered, |key, map, out| {
    match key {
        "Provider" => out.provider = map.next_value::<AttributesOf>()?.0.name,
        "EventID" => out.event_id = map.next_value::<Text>()?.0,
        "TimeCreated" => out.time_created = map.next_value::<AttributesOf>()?.0.system_time,
        "EventRecordID" => out.record_id = map.next_value::<Text>()?.0,
        "Channel" => out.channel = map.next_value::<Text>()?.0,
        "Computer" => out.computer = map.next_value::<Text>()?.0,
        _ => {
            map.next_value::<IgnoredAny>()?;
        }
    }
    Ok(())
});

lenient!(DataPart, EventData, |key, map, out| {
    let slot = match key {
        "EventType" => &mut out.event_type,
        "Image" => &mut out.image,
        "TargetObject" => &mut out.target_object,
        "Details" => &mut out.details,
        "NewName" => &mut out.new_name,
        "ProcessId" => &mut out.process_id,
        "ProcessGuid" => &mut out.process_guid,
        "User" => &mut out.user,
        "RuleName" => &mut out.rule_name,
        "CommandLine" => &mut out.command_line,
        "NewProcessName" => &mut out.new_process_name,
        "ObjectName" => &mut out.object_name,
        "ObjectValueName" => &mut out.object_value_name,
        "NewValue" => &mut out.new_value,
        "OperationType" => &mut out.operation_type,
        "ProcessName" => &mut out.process_name,
        "SubjectUserName" => &mut out.subject_user_name,
        "SubjectDomainName" => &mut out.subject_domain_name,
        "SubjectLogonId" => &mut out.subject_logon_id,
        _ => {
            map.next_value::<IgnoredAny>()?;
            return Ok(());
        }
    };
    *slot = map.next_value::<Text>()?.0;
    Ok(())
});

lenient!(EventPart, Rendered, |key, map, out| {
    match key {
        "System" => {
            let data = std::mem::take(&mut out.data);
            out = map.next_value::<SystemPart>()?.0;
            out.data = data;
        }
        "EventData" => out.data = map.next_value::<DataPart>()?.0,
        _ => {
            map.next_value::<IgnoredAny>()?;
        }
    }
    Ok(())
});

lenient!(Document, Rendered, |key, map, out| {
    if key == "Event" {
        out = map.next_value::<EventPart>()?.0;
    } else {
        map.next_value::<IgnoredAny>()?;
    }
    Ok(())
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_real_shape() {
        let json = br##"{"Event":{"#attributes":{"xmlns":"x"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon","Guid":"{5770385f}"}},"EventID":13,"Version":2,"Keywords":"0x8000000000000000","TimeCreated":{"#attributes":{"SystemTime":"2020-12-10T11:18:54.8563115Z"}},"EventRecordID":549609,"Correlation":null,"Execution":{"#attributes":{"ProcessID":3556}},"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"MSEDGEWIN10","Security":{"#attributes":{"UserID":"S-1-5-18"}}},"EventData":{"RuleName":"","EventType":"SetValue","ProcessId":5580,"Image":"C:\\Windows\\system32\\wbem\\wmiprvse.exe","TargetObject":"HKLM\\x","Details":"rundll32.exe a.dll, DllMain","Other":{"deep":[1,2,{"x":null}]}}}}"##;
        let r = Rendered::from_json(json).unwrap();
        assert_eq!(r.provider.as_deref(), Some("Microsoft-Windows-Sysmon"));
        assert_eq!(r.event_id(), Some(13));
        assert_eq!(
            r.time_created.as_deref(),
            Some("2020-12-10T11:18:54.8563115Z")
        );
        assert_eq!(r.record_id.as_deref(), Some("549609"));
        assert_eq!(r.computer.as_deref(), Some("MSEDGEWIN10"));
        assert_eq!(r.data.process_id.as_deref(), Some("5580"));
        assert_eq!(r.data.rule_name.as_deref(), Some(""));
        assert_eq!(
            r.data.image.as_deref(),
            Some("C:\\Windows\\system32\\wbem\\wmiprvse.exe")
        );
        assert_eq!(
            r.data.details.as_deref(),
            Some("rundll32.exe a.dll, DllMain")
        );
        assert_eq!(r.data.user, None);
    }

    #[test]
    fn odd_shapes_are_read_leniently() {
        // Qualifiers on EventID, EventData as text or unnamed list, repeated names, UserData.
        let json = br##"{"Event":{"EventData":{"Image":["a","b"],"Details":{"#attributes":{"x":1},"#text":"t"}},"System":{"EventID":{"#attributes":{"Qualifiers":16384},"#text":4688},"Provider":"weird"}}}"##;
        let r = Rendered::from_json(json).unwrap();
        assert_eq!(r.event_id(), Some(4688));
        assert_eq!(r.provider, None);
        assert_eq!(r.data.image.as_deref(), Some("a\nb"));
        assert_eq!(r.data.details.as_deref(), Some("t"));
        for json in [
            &br##"{"Event":{"EventData":"plain text","System":null}}"##[..],
            br##"{"Event":{"UserData":{"x":{"y":1}}}}"##,
            b"[]",
            b"null",
            br##"{"Event":[1,2]}"##,
        ] {
            assert_eq!(Rendered::from_json(json).unwrap(), Rendered::default());
        }
        assert!(Rendered::from_json(b"{").is_err());
    }
}
