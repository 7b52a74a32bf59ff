//! The join on the shapes of the real samples (`/work/notes/fieldsets.md` §5), and on the
//! partial and hostile evidence around them.

use super::*;

const T0: i64 = 1_557_597_503;

fn event(host: &str, secs: i64, record: u64, op: Option<&str>, part: Part) -> SubscriptionEvent {
    SubscriptionEvent {
        timestamp: Timestamp::from_second(T0 + secs).unwrap_or(Timestamp::UNIX_EPOCH),
        host: host.into(),
        channel: "c".into(),
        provider: "p".into(),
        event_id: match part {
            Part::Filter { .. } => 19,
            Part::Consumer { .. } => 20,
            Part::Binding { .. } => 21,
            Part::ActivityBinding { .. } => 5861,
            Part::ProviderLoaded { .. } => 5857,
        },
        record_id: record,
        operation: op.map(String::from),
        user: None,
        rule_name: None,
        part,
    }
}

fn quoted(text: &str) -> String {
    format!(" \"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn filter(name: &str, query: &str) -> Part {
    Part::Filter {
        namespace: quoted("root\\cimv2"),
        name: quoted(name),
        query: quoted(query),
    }
}

fn consumer(name: &str, kind: &str, destination: &str) -> Part {
    Part::Consumer {
        name: quoted(name),
        kind: kind.into(),
        destination: quoted(destination),
    }
}

fn binding(consumer: &str, filter: &str) -> Part {
    Part::Binding {
        consumer: quoted(consumer),
        filter: quoted(filter),
    }
}

const SID_544: &str = "{1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 32, 2, 0, 0}";
const SID_1104: &str =
    "{1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 5, 2, 110, 232, 225, 133, 11, 144, 236, 20, 83, 175, 80, 4, 0, 0}";

fn activity(filter: &str, class: &str, name: &str, creator: &str, consumer_props: &str) -> Part {
    Part::ActivityBinding {
        namespace: "//./root/subscription".into(),
        filter: filter.into(),
        consumer: format!("{class}=\"{name}\""),
        possible_cause: format!(
            "Binding EventFilter: \ninstance of __EventFilter\n{{\n\tCreatorSID = {creator};\n\tEventNamespace = \"root\\\\cimv2\";\n\tName = \"{filter}\";\n\tQuery = \"select * from X\";\n\tQueryLanguage = \"WQL\";\n}};\nPerm. Consumer: \ninstance of {class}\n{{\n{consumer_props}\tCreatorSID = {creator};\n\tName = \"{name}\";\n}};\n"
        ),
    }
}

fn loaded(provider: &str) -> Part {
    Part::ProviderLoaded {
        provider: provider.into(),
        host_process: "wmiprvse.exe".into(),
        process_id: Some(7424),
    }
}

#[test]
fn the_command_line_sample_is_one_subscription_created_then_removed() {
    // Consumer, binding, then the filter logged 16 s later; then all three deleted.
    let h = "IEWIN7";
    let events = [
        event(
            h,
            0,
            16111,
            Some("Created"),
            consumer(
                "BotConsumer23",
                "Command Line",
                "c:\\Windows\\System32\\cmd.exe",
            ),
        ),
        event(
            h,
            1,
            16112,
            Some("Created"),
            binding(
                "CommandLineEventConsumer.Name=\"BotConsumer23\"",
                "__EventFilter.Name=\"BotFilter82\"",
            ),
        ),
        event(
            h,
            16,
            16115,
            Some("Created"),
            filter("BotFilter82", "SELECT * FROM __InstanceModificationEvent"),
        ),
        event(
            h,
            31,
            16120,
            Some("Deleted"),
            consumer(
                "BotConsumer23",
                "Command Line",
                "c:\\Windows\\System32\\cmd.exe",
            ),
        ),
        event(
            h,
            32,
            16121,
            Some("Deleted"),
            filter("BotFilter82", "SELECT * FROM __InstanceModificationEvent"),
        ),
        event(
            h,
            33,
            16123,
            Some("Deleted"),
            binding(
                "CommandLineEventConsumer.Name=\"BotConsumer23\"",
                "__EventFilter.Name=\"BotFilter82\"",
            ),
        ),
    ];
    let [s] = join(&events).try_into().unwrap();
    assert_eq!(s.members, [0, 1, 2, 3, 4, 5]);
    assert_eq!(s.anchor, 1);
    assert!(s.bound && !s.builtin);
    assert_eq!(s.severity, Severity::High);
    assert_eq!(s.registered, Some(events[0].timestamp));
    assert_eq!(s.removed, Some(events[3].timestamp));
    let f = s.filter.unwrap();
    assert_eq!(
        (f.name.as_str(), f.namespace.as_deref()),
        ("BotFilter82", Some("root\\cimv2"))
    );
    assert_eq!(
        f.query.as_deref(),
        Some("SELECT * FROM __InstanceModificationEvent")
    );
    let c = s.consumer.unwrap();
    assert_eq!(c.kind, ConsumerKind::CommandLine);
    assert_eq!(c.class.as_deref(), Some("CommandLineEventConsumer"));
    assert_eq!(c.command.as_deref(), Some("c:\\Windows\\System32\\cmd.exe"));
    assert_eq!(operation(&events[1]), "Created");
}

#[test]
fn partial_evidence_is_joined_as_documented() {
    let h = "PC04.example.corp";
    // WMIGhost: a modified script consumer and its binding, no filter event.
    let ghost = [
        event(
            h,
            0,
            7195,
            Some("Modified"),
            consumer("ProbeScriptFint", "Script", "var x=1;"),
        ),
        event(
            h,
            1,
            7197,
            Some("Modified"),
            binding(
                "\\\\.\\root\\subscription:ActiveScriptEventConsumer.Name=\"ProbeScriptFint\"",
                "\\\\.\\root\\subscription:__EventFilter.Name=\"ProbeScriptFint\"",
            ),
        ),
    ];
    let [s] = join(&ghost).try_into().unwrap();
    assert_eq!((s.anchor, s.severity, s.bound), (1, Severity::High, true));
    assert_eq!(
        s.filter
            .as_ref()
            .map(|f| (f.name.as_str(), f.query.clone())),
        Some(("ProbeScriptFint", None))
    );
    assert_eq!(s.consumer.map(|c| c.kind), Some(ConsumerKind::ActiveScript));
    // PowerLurk: consumer and the filter of the same name (logged twice), no binding.
    let lurk = [
        event(
            h,
            0,
            49256,
            Some("Created"),
            consumer("Evil", "Command Line", "cmd.exe /c echo"),
        ),
        event(
            h,
            1,
            49257,
            Some("Created"),
            filter("Evil", "SELECT * FROM Win32_ProcessStartTrace"),
        ),
        event(
            h,
            2,
            49258,
            Some("Created"),
            filter("Evil", "SELECT * FROM Win32_ProcessStartTrace"),
        ),
        event(h, 3, 9, Some("Created"), filter("Lonely", "SELECT 1")),
    ];
    let found = join(&lurk);
    assert_eq!(found.len(), 2);
    let evil = found.iter().find(|s| s.members.contains(&0)).unwrap();
    assert_eq!(
        (evil.members.as_slice(), evil.anchor, evil.bound),
        (&[0, 1, 2][..], 0, false)
    );
    assert_eq!(evil.severity, Severity::High);
    let lonely = found.iter().find(|s| s.members == [3]).unwrap();
    assert_eq!(
        (lonely.severity, lonely.consumer.is_none()),
        (Severity::Info, true)
    );
    // Only deletions: cleanup of something older, low.
    let gone = [event(
        h,
        0,
        1,
        Some("Deleted"),
        binding(
            "CommandLineEventConsumer.Name=\"A\"",
            "__EventFilter.Name=\"B\"",
        ),
    )];
    let [s] = join(&gone).try_into().unwrap();
    assert_eq!(
        (s.severity, s.registered, s.removed),
        (Severity::Low, None, Some(gone[0].timestamp))
    );
}

#[test]
fn windows_own_binding_is_info_and_the_attackers_is_not() {
    let h = "DESKTOP-BZ202CP.cybercorp.com";
    let scm = |secs, record| {
        event(
            h,
            secs,
            record,
            None,
            activity(
                "SCM Event Log Filter",
                "NTEventLogEventConsumer",
                "SCM Event Log Consumer",
                SID_544,
                "\tCategory = 0;\n",
            ),
        )
    };
    let events = [
        scm(0, 250),
        scm(100, 533),
        event(
            "DESKTOP-G38HL7V",
            5,
            95,
            None,
            activity(
                "SCM Event Log Filter",
                "NTEventLogEventConsumer",
                "SCM Event Log Consumer",
                SID_544,
                "",
            ),
        ),
        event(
            h,
            200,
            894,
            None,
            activity(
                "LogRotate Event",
                "CommandLineEventConsumer",
                "LogRotate Consumer",
                SID_1104,
                "\tCommandLineTemplate = \"powershell.exe -noP\";\n",
            ),
        ),
        event(h, 240, 896, None, loaded("CommandLineEventConsumer")),
        // The built-in's names with another creator: not Windows'.
        event(
            h,
            300,
            900,
            None,
            activity(
                "SCM Event Log Filter",
                "NTEventLogEventConsumer",
                "SCM Event Log Consumer",
                SID_1104,
                "",
            ),
        ),
    ];
    let found = join(&events);
    let by_anchor = |record: u64| {
        found
            .iter()
            .find(|s| events.get(s.anchor).map(|e| e.record_id) == Some(record))
            .unwrap()
    };
    // One subscription per host and binding: the 5861s of one host are one.
    assert_eq!(found.len(), 3, "{found:?}");
    let builtin = by_anchor(95);
    assert!(builtin.builtin);
    assert_eq!(builtin.severity, Severity::Info);
    assert_eq!(builtin.creator_sid.as_deref(), Some("S-1-5-32-544"));
    // Where a binding with the built-in's names shows another creator, it is not Windows'
    // alone: reported (an event log consumer, low).
    let reused = by_anchor(250);
    assert_eq!(reused.members, [0, 1, 5]);
    assert!(!reused.builtin);
    assert_eq!(reused.severity, Severity::Low);
    // Without that event the host's binding is Windows'.
    let own = join(&events[..2]);
    assert!(own
        .iter()
        .all(|s| s.builtin && s.severity == Severity::Info));
    let attacker = by_anchor(894);
    assert!(!attacker.builtin);
    assert_eq!(attacker.severity, Severity::High);
    assert_eq!(attacker.fired, Some(4));
    assert_eq!(
        attacker.creator_sid.as_deref(),
        Some("S-1-5-21-3899523589-2416674273-2941457644-1104")
    );
    let c = attacker.consumer.as_ref().unwrap();
    assert_eq!(c.command.as_deref(), Some("powershell.exe -noP"));
    assert_eq!(
        attacker.filter.as_ref().and_then(|f| f.query.as_deref()),
        Some("select * from X")
    );
    assert_eq!(operation(&events[3]), "Bound");
}

#[test]
fn names_join_per_host_and_class() {
    let b = |host, record| {
        event(
            host,
            0,
            record,
            Some("Created"),
            binding(
                "CommandLineEventConsumer.Name=\"X\"",
                "__EventFilter.Name=\"Y\"",
            ),
        )
    };
    let events = [
        b("A", 1),
        b("b", 2),
        b("B", 3),
        // Same name, another class: not the bound consumer.
        event(
            "A",
            1,
            4,
            Some("Created"),
            consumer("x", "Script", "var y;"),
        ),
    ];
    let found = join(&events);
    assert_eq!(found.len(), 3);
    assert!(
        found.iter().any(|s| s.members == [1, 2]),
        "hosts compare case-insensitively"
    );
    let script = found.iter().find(|s| s.members == [3]).unwrap();
    assert_eq!((script.bound, script.severity), (false, Severity::High));
}

#[test]
fn hostile_values_join_without_panicking() {
    let odd = [
        "", " ", " \"", "\"\"", ".", "=", ":", "\\", "Name=\"", " \"a\\\"",
    ];
    let mut events = Vec::new();
    for (i, v) in odd.iter().enumerate() {
        let v = v.to_string();
        events.push(event(
            "h",
            0,
            i as u64,
            Some(&v),
            Part::Binding {
                consumer: v.clone(),
                filter: v.clone(),
            },
        ));
        events.push(event(
            "h",
            0,
            i as u64,
            None,
            Part::Consumer {
                name: v.clone(),
                kind: v.clone(),
                destination: v.clone(),
            },
        ));
        events.push(event(
            "h",
            0,
            i as u64,
            None,
            Part::Filter {
                namespace: v.clone(),
                name: v.clone(),
                query: v.clone(),
            },
        ));
        events.push(event(
            "h",
            0,
            i as u64,
            None,
            Part::ActivityBinding {
                namespace: v.clone(),
                filter: v.clone(),
                consumer: v.clone(),
                possible_cause: v.clone(),
            },
        ));
        events.push(event("h", 0, i as u64, None, loaded(&v)));
    }
    let found = join(&events);
    assert!(!found.is_empty());
    assert!(found
        .iter()
        .all(|s| s.members.iter().all(|&m| m < events.len())));
}
