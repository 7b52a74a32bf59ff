//! The WMI subscription detection as Sigma rules: one over Sysmon's WMI events (logsource
//! `windows` / `wmi_event`: a consumer or binding created or modified) and one over
//! WMI-Activity 5861 (`windows` / `wmi`: a permanent consumer bound, Windows' own binding left
//! out). A SIEM sees one event at a time where wmihunt joins a subscription's events; what that
//! changes is said in each rule's description and pinned by `tests/e2e/sigma/`.

use super::sigma::{quoted, rule_uuid};
use crate::detect::catalog::WMI_SUBSCRIPTION;
use crate::detect::mof::sid_from_bytes;
use crate::detect::subscription::{BUILT_INS, BUILT_IN_CREATORS};
use crate::event::subscription::SYSMON_WMI_EVENTS;
use std::io::{self, Write};

/// A SID as 5861's `PossibleCause` writes it: `{1, 2, 0, …}`.
fn sid_as_mof(sid: &str) -> Option<String> {
    let parts: Vec<u64> = sid
        .strip_prefix("S-")?
        .split('-')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [revision, authority, subs @ ..] = parts.as_slice() else {
        return None;
    };
    let mut bytes = vec![
        u8::try_from(*revision).ok()?,
        u8::try_from(subs.len()).ok()?,
    ];
    bytes.extend(authority.to_be_bytes().get(2..)?);
    for sub in subs {
        bytes.extend(u32::try_from(*sub).ok()?.to_le_bytes());
    }
    // The export must say what matching reads back.
    (sid_from_bytes(&bytes).as_deref() == Some(sid)).then(|| {
        let text: Vec<String> = bytes.iter().map(u8::to_string).collect();
        format!("{{{}}}", text.join(", "))
    })
}

/// The start of an account's (domain or local) SID in MOF: `S-1-5-21-…`.
const ACCOUNT_SID_MOF: &str = "CreatorSID = {1, 5, 0, 0, 0, 0, 0, 5, 21, ";

fn header(out: &mut dyn Write, tag: &str, title: &str, description: &str) -> io::Result<()> {
    let d = &WMI_SUBSCRIPTION;
    writeln!(out, "title: {}", quoted(title))?;
    writeln!(out, "id: {}", rule_uuid(&format!("{}/{tag}", d.id)))?;
    writeln!(out, "name: wmihunt_{}_{tag}", d.id)?;
    writeln!(out, "status: experimental")?;
    writeln!(out, "description: {}", quoted(description))?;
    writeln!(out, "author: wmihunt")?;
    writeln!(out, "tags:")?;
    writeln!(out, "    - attack.persistence")?;
    for t in d.techniques {
        writeln!(out, "    - attack.{}", t.to_ascii_lowercase())?;
    }
    Ok(())
}

fn footer(out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "falsepositives:")?;
    writeln!(
        out,
        "    - Management software that registers permanent WMI subscriptions"
    )?;
    writeln!(out, "level: high")
}

/// Sysmon 20 and 21 created or modified, each with the `EventType` Sysmon writes for it.
fn write_sysmon(out: &mut dyn Write) -> io::Result<()> {
    let d = &WMI_SUBSCRIPTION;
    header(
        out,
        "sysmon",
        &format!("{} (Sysmon)", d.title),
        "A WMI event consumer or a filter-to-consumer binding was created or modified (Sysmon \
         20, 21), the registration of a permanent WMI subscription (T1546.003). Exported from \
         wmihunt, detection wmi_subscription. Unlike wmihunt, which joins a subscription's \
         filter, consumer and binding by name per host and reports it once (high for a \
         CommandLine or ActiveScript consumer, low when it only writes or sends, low when only \
         deletions are seen, info for Windows' own), this rule fires on each consumer and \
         binding event, at one level; an event of another provider in the Sysmon channel \
         matches.",
    )?;
    writeln!(
        out,
        "logsource:\n    category: wmi_event\n    product: windows"
    )?;
    writeln!(out, "detection:")?;
    for (event_id, event_type) in SYSMON_WMI_EVENTS.iter().skip(1) {
        writeln!(out, "    event_{event_id}:")?;
        writeln!(out, "        EventID: {event_id}")?;
        writeln!(out, "        EventType: {}", quoted(event_type))?;
    }
    writeln!(out, "    registered:")?;
    writeln!(out, "        Operation:")?;
    for op in ["Created", "Modified"] {
        writeln!(out, "            - {}", quoted(op))?;
    }
    writeln!(out, "    condition: 1 of event_* and registered")?;
    footer(out)
}

/// WMI-Activity 5861, Windows' own bindings (by names, class and creator) left out.
fn write_activity(out: &mut dyn Write) -> io::Result<()> {
    let d = &WMI_SUBSCRIPTION;
    header(
        out,
        "activity",
        &format!("{} (WMI-Activity 5861)", d.title),
        "A permanent WMI event consumer was bound to a filter (WMI-Activity 5861), a permanent \
         WMI subscription (T1546.003); Windows' own (SCM Event Log Filter to \
         NTEventLogEventConsumer SCM Event Log Consumer, created by BUILTIN\\Administrators or \
         LocalSystem) is left out. Exported from wmihunt, detection wmi_subscription. Unlike \
         wmihunt: a built-in's binding whose creators are a built-in and another SID that is \
         not an account's (S-1-5-21-...) is left out (wmihunt reports it); the rule sees each \
         5861 alone where wmihunt joins the events of a host (a built-in's names bound by \
         another creator on the same host make wmihunt report Windows' own bindings there \
         too), and has one level where wmihunt's severity follows the consumer.",
    )?;
    writeln!(out, "logsource:\n    product: windows\n    service: wmi")?;
    writeln!(out, "detection:")?;
    writeln!(out, "    binding:")?;
    writeln!(out, "        EventID: 5861")?;
    for (i, b) in BUILT_INS.iter().enumerate() {
        writeln!(out, "    builtin_names_{}:", i + 1)?;
        writeln!(out, "        ESS: {}", quoted(b.filter))?;
        let consumer = format!("{}=\"{}\"", b.consumer_class, b.consumer);
        writeln!(out, "        CONSUMER: {}", quoted(&consumer))?;
    }
    writeln!(out, "    creator_is_builtin:")?;
    writeln!(out, "        PossibleCause|contains:")?;
    for sid in BUILT_IN_CREATORS.iter().filter_map(|s| sid_as_mof(s)) {
        writeln!(
            out,
            "            - {}",
            quoted(&format!("CreatorSID = {sid};"))
        )?;
    }
    writeln!(out, "    creator_is_account:")?;
    writeln!(
        out,
        "        PossibleCause|contains: {}",
        quoted(ACCOUNT_SID_MOF)
    )?;
    writeln!(
        out,
        "    condition: binding and not (1 of builtin_names_* and creator_is_builtin and not creator_is_account)"
    )?;
    footer(out)
}

/// Writes the Sysmon rule, then the WMI-Activity rule.
pub fn write(out: &mut dyn Write) -> io::Result<()> {
    write_sysmon(out)?;
    writeln!(out, "---")?;
    write_activity(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_creators_are_written_as_5861_writes_them() {
        assert_eq!(
            sid_as_mof("S-1-5-32-544").as_deref(),
            Some("{1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 32, 2, 0, 0}")
        );
        assert_eq!(
            sid_as_mof("S-1-5-18").as_deref(),
            Some("{1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0}")
        );
        assert!(ACCOUNT_SID_MOF.starts_with("CreatorSID = {1, 5, 0, 0, 0, 0, 0, 5, 21,"));
        assert_eq!(sid_as_mof("S-x"), None);
        assert_eq!(sid_as_mof("S-1"), None);
    }
}
