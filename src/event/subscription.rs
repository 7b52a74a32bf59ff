//! WMI event subscription events: Sysmon 19 (filter), 20 (consumer) and 21 (binding), and
//! Microsoft-Windows-WMI-Activity 5861 (a permanent consumer bound to a filter) and 5857 (a
//! consumer's provider loaded, which is how a subscription firing shows there). Values are
//! kept as written; `detect::subscription` unquotes and joins them.
//!
//! The detection pass renders only records that hold one of `prefilter`'s words; each extractor
//! below takes an event only when the word it relies on is in what the record rendered, so
//! that `--no-prefilter` reads no event the pre-filter could skip (`docs/prefilter.md`).

use super::{event_record_id, event_time, parse_id, SYSMON_PROVIDER};
use crate::read::needle::Needle;
use crate::read::rendered::Rendered;
use crate::read::RecordHeader;
use jiff::Timestamp;

/// The WMI-Activity provider.
pub const WMI_ACTIVITY_PROVIDER: &str = "Microsoft-Windows-WMI-Activity";

/// Sysmon's WMI event ids and the `EventType` each carries in every Sysmon version.
pub const SYSMON_WMI_EVENTS: [(u16, &str); 3] = [
    (19, "WmiFilterEvent"),
    (20, "WmiConsumerEvent"),
    (21, "WmiBindingEvent"),
];

/// The `UserData` element of WMI-Activity 5861 (permanent consumer bound to a filter).
pub const BINDING_ELEMENT: &str = "Operation_ESStoConsumerBinding";

/// The ending of the standard consumers' provider names (`CommandLineEventConsumer`), as
/// 5857 names the provider it loaded.
pub const CONSUMER_PROVIDER_SUFFIX: &str = "EventConsumer";

/// The part of the WMI-Activity provider's name the pre-filter searches for.
pub const ACTIVITY_WORD: &str = "WMI-Activity";

/// What the detection pass searches raw chunks for, besides WmiPrvSE.exe: each word is in the
/// rendered text of every event taken here. Sysmon's `EventType` values are each in their own
/// record. The WMI-Activity provider's name is in every record of that log (in its template,
/// so a chunk of that log is rendered whole), counted only in chunks that also name a field
/// the extractor needs (`ACTIVITY_FIELDS`), so chunks of client errors alone (5858) are
/// skipped. All the words share their rarest letter (`v`) with `wmiprvse.exe`, so the
/// pre-filter still scans each chunk for it once.
pub fn prefilter() -> Result<Needle, String> {
    let sysmon = SYSMON_WMI_EVENTS.map(|(_, word)| word);
    let activity = Needle::new(&[ACTIVITY_WORD])?.in_chunks_with(&ACTIVITY_FIELDS);
    Ok(Needle::new(&sysmon)?.or(activity))
}

/// Names one of which a chunk must hold for a WMI-Activity record in it to be taken: 5861's
/// `UserData` element (the extractor takes a 5861 only under it) and 5857's `ProviderName`
/// (which it requires).
const ACTIVITY_FIELDS: [&str; 2] = [BINDING_ELEMENT, "ProviderName"];

/// The fields the extractor reads (Sysmon 19/20/21, WMI-Activity 5857 and 5861); the
/// detection pass reads them with the registry fields (`super::scanned`).
pub const FIELDS: [&str; 18] = [
    "EventType",
    "Operation",
    "User",
    "RuleName",
    "EventNamespace",
    "Name",
    "Query",
    "Type",
    "Destination",
    "Consumer",
    "Filter",
    "Namespace",
    "ESS",
    "CONSUMER",
    "PossibleCause",
    "ProviderName",
    "HostProcess",
    "ProcessID",
];

/// What one subscription event says.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Part {
    /// Sysmon 19: an `__EventFilter` (the WQL trigger).
    Filter {
        /// `EventNamespace`, as written (quoted).
        namespace: String,
        /// `Name`, as written (quoted).
        name: String,
        /// `Query`, as written (quoted).
        query: String,
    },
    /// Sysmon 20: an event consumer (what runs).
    Consumer {
        /// `Name`, as written (quoted).
        name: String,
        /// `Type`: `Command Line`, `Script`, …
        kind: String,
        /// `Destination`: the command line or script, as written (quoted).
        destination: String,
    },
    /// Sysmon 21: a `__FilterToConsumerBinding`.
    Binding {
        /// `Consumer`: the consumer's object path, as written (quoted).
        consumer: String,
        /// `Filter`: the filter's object path, as written (quoted).
        filter: String,
    },
    /// WMI-Activity 5861: a permanent consumer bound to a filter, with both as MOF text.
    ActivityBinding {
        /// `Namespace` of the binding (`//./root/subscription`).
        namespace: String,
        /// `ESS`: the filter's name.
        filter: String,
        /// `CONSUMER`: `Class="Name"`.
        consumer: String,
        /// `PossibleCause`: the filter and the consumer, as MOF instances.
        possible_cause: String,
    },
    /// WMI-Activity 5857: a provider loaded; taken only for the standard consumers' providers.
    ProviderLoaded {
        /// `ProviderName` (`CommandLineEventConsumer`).
        provider: String,
        /// `HostProcess` (`wmiprvse.exe`).
        host_process: String,
        /// `ProcessID` of the host process.
        process_id: Option<u64>,
    },
}

/// One subscription event, as read from the log.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubscriptionEvent {
    /// `System/TimeCreated/@SystemTime`, or the record header's time.
    pub timestamp: Timestamp,
    /// `System/Computer`.
    pub host: String,
    /// `System/Channel`.
    pub channel: String,
    /// `System/Provider/@Name`.
    pub provider: String,
    /// `System/EventID`.
    pub event_id: u16,
    /// `System/EventRecordID`, or the record header's id.
    pub record_id: u64,
    /// Sysmon's `Operation` (`Created`, `Modified`, `Deleted`); `None` for WMI-Activity.
    pub operation: Option<String>,
    /// Sysmon's `User`: who made the change.
    pub user: Option<String>,
    /// Sysmon's `RuleName`.
    pub rule_name: Option<String>,
    /// What the event says.
    pub part: Part,
}

impl SubscriptionEvent {
    /// Reads a subscription event from a rendered record; `None` for anything else.
    pub fn from_rendered(event: &Rendered, header: RecordHeader) -> Option<SubscriptionEvent> {
        let provider = event.provider.as_deref()?;
        let event_id = event.event_id()?;
        let part = if provider.eq_ignore_ascii_case(SYSMON_PROVIDER) {
            sysmon_part(event, event_id)?
        } else if provider.eq_ignore_ascii_case(WMI_ACTIVITY_PROVIDER) {
            // Holds `ACTIVITY_WORD`, which the pre-filter searches for.
            activity_part(event, event_id)?
        } else {
            return None;
        };
        let sysmon = matches!(
            part,
            Part::Filter { .. } | Part::Consumer { .. } | Part::Binding { .. }
        );
        let d = &event.data;
        Some(SubscriptionEvent {
            timestamp: event_time(event, header),
            host: event.computer.clone().unwrap_or_default(),
            channel: event.channel.clone().unwrap_or_default(),
            provider: provider.to_string(),
            event_id,
            record_id: event_record_id(event, header),
            operation: d.text("Operation").filter(|_| sysmon),
            user: d.text("User").filter(|_| sysmon),
            rule_name: d.text("RuleName").filter(|_| sysmon),
            part,
        })
    }
}

/// Sysmon 19, 20 or 21, when its `EventType` is the one Sysmon writes for it.
fn sysmon_part(event: &Rendered, event_id: u16) -> Option<Part> {
    let d = &event.data;
    let (_, event_type) = SYSMON_WMI_EVENTS.iter().find(|(id, _)| *id == event_id)?;
    if !d.get("EventType")?.trim().eq_ignore_ascii_case(event_type) {
        return None;
    }
    let text = |name| d.text(name).unwrap_or_default();
    Some(match event_id {
        19 => Part::Filter {
            namespace: text("EventNamespace"),
            name: text("Name"),
            query: text("Query"),
        },
        20 => Part::Consumer {
            name: text("Name"),
            kind: text("Type"),
            destination: text("Destination"),
        },
        _ => Part::Binding {
            consumer: text("Consumer"),
            filter: text("Filter"),
        },
    })
}

/// WMI-Activity 5861 (under the element Windows names it) or 5857 of a consumer's provider.
fn activity_part(event: &Rendered, event_id: u16) -> Option<Part> {
    let d = &event.data;
    let text = |name| d.text(name).unwrap_or_default();
    match event_id {
        5861 if d.user_data.as_deref() == Some(BINDING_ELEMENT) => Some(Part::ActivityBinding {
            namespace: text("Namespace"),
            filter: text("ESS"),
            consumer: text("CONSUMER"),
            possible_cause: text("PossibleCause"),
        }),
        5857 => {
            let provider = d.get("ProviderName")?;
            let consumer = provider
                .to_ascii_lowercase()
                .contains(&CONSUMER_PROVIDER_SUFFIX.to_ascii_lowercase());
            consumer.then(|| Part::ProviderLoaded {
                provider: provider.to_string(),
                host_process: text("HostProcess"),
                process_id: d.get("ProcessID").and_then(parse_id),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: &serde_json::Value) -> Option<SubscriptionEvent> {
        let rendered = Rendered::from_json(v.to_string().as_bytes(), &FIELDS).unwrap();
        let header = RecordHeader {
            record_id: 7,
            timestamp: "2020-01-01T00:00:00Z".parse().unwrap(),
        };
        SubscriptionEvent::from_rendered(&rendered, header)
    }

    fn sysmon(eid: u16, data: serde_json::Value) -> serde_json::Value {
        json!({"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},
            "EventID":eid,"EventRecordID":16112,"Computer":"IEWIN7"},"EventData":data}})
    }

    #[test]
    fn reads_the_real_sysmon_shapes() {
        let e = read(&sysmon(
            21,
            json!({"RuleName":"","EventType":"WmiBindingEvent","UtcTime":"x","Operation":"Created",
                "User":"IEWIN7\\IEUser","Consumer":" \"CommandLineEventConsumer.Name=\\\"BotConsumer23\\\"\"",
                "Filter":" \"__EventFilter.Name=\\\"BotFilter82\\\"\""}),
        ))
        .unwrap();
        assert_eq!(e.record_id, 16112);
        assert_eq!(e.operation.as_deref(), Some("Created"));
        assert_eq!(e.user.as_deref(), Some("IEWIN7\\IEUser"));
        assert_eq!(
            e.part,
            Part::Binding {
                consumer: " \"CommandLineEventConsumer.Name=\\\"BotConsumer23\\\"\"".into(),
                filter: " \"__EventFilter.Name=\\\"BotFilter82\\\"\"".into(),
            }
        );
        // The EventType must be Sysmon's for the id: the pre-filter searches for it.
        assert!(read(&sysmon(21, json!({"EventType":"WmiFilterEvent"}))).is_none());
        assert!(read(&sysmon(21, json!({"Operation":"Created"}))).is_none());
        assert!(read(&sysmon(13, json!({"EventType":"WmiBindingEvent"}))).is_none());
    }

    #[test]
    fn reads_wmi_activity_bindings_and_consumer_provider_loads() {
        let activity = |eid: u16, element: &str, data: serde_json::Value| {
            let mut user_data = serde_json::Map::new();
            user_data.insert(element.to_string(), data);
            json!({"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-WMI-Activity"}},
                "EventID":eid,"Computer":"DESKTOP"},"UserData":user_data}})
        };
        let e = read(&activity(
            5861,
            BINDING_ELEMENT,
            json!({"Namespace":"//./root/subscription","ESS":"LogRotate Event",
                "CONSUMER":"CommandLineEventConsumer=\"LogRotate Consumer\"","PossibleCause":"Binding"}),
        ))
        .unwrap();
        assert_eq!((e.operation, e.user), (None, None));
        assert!(
            matches!(e.part, Part::ActivityBinding { ref filter, .. } if filter == "LogRotate Event")
        );
        assert!(read(&activity(5861, "Other", json!({"ESS":"x"}))).is_none());
        let e = read(&activity(
            5857,
            "Operation_StartedOperational",
            json!({"ProviderName":"CommandLineEventConsumer","Code":"0x0","HostProcess":"wmiprvse.exe","ProcessID":7424}),
        ))
        .unwrap();
        assert_eq!(
            e.part,
            Part::ProviderLoaded {
                provider: "CommandLineEventConsumer".into(),
                host_process: "wmiprvse.exe".into(),
                process_id: Some(7424),
            }
        );
        // Other providers load all the time: not subscription events.
        assert!(read(&activity(
            5857,
            "Operation_StartedOperational",
            json!({"ProviderName":"CIMWin32","HostProcess":"wmiprvse.exe"})
        ))
        .is_none());
    }
}
