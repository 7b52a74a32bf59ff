//! Detection: turns a registry event into a match when WmiPrvSE.exe wrote to a persistence
//! location. Hive spellings are normalised first (`hive`), locations come from the catalog
//! (`catalog`), and the severity follows from what was done to the key. The rest of what a
//! finding carries is derived here too, from its event alone: the triage indicators and score
//! (`triage`) and the program the value would run (`payload`). Who made the call behind a
//! finding is weighed in `attribution`, from the events a pass read around it. Pure: nothing
//! here reads evidence.

pub mod attribution;
pub mod catalog;
pub mod hive;
pub mod mof;
pub mod payload;
pub mod subscription;
pub mod triage;

use crate::event::registry::RegistryEvent;
use catalog::{Detection, HiveScope, Location, CATALOG, WMI_REGISTRY_WRITE};
use hive::{Hive, KeyPath};
use serde::Serialize;

/// What the event did to the registry (Sysmon's `EventType`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Action {
    /// EID 13: a value was set with data.
    SetValue,
    /// EID 12: a key was created.
    CreateKey,
    /// EID 12: a key was deleted.
    DeleteKey,
    /// EID 12: a value was deleted.
    DeleteValue,
    /// EID 14: a key was renamed.
    RenameKey,
}

impl Action {
    /// Reads the action from the event id and Sysmon's `EventType` (falling back to the id
    /// for versions that spell it differently) or Security 4657's `OperationType` (`%%1904`
    /// created, `%%1905` modified, `%%1906` deleted); `None` for other events.
    pub fn from_event(event_id: u16, event_type: &str) -> Option<Action> {
        let t = event_type.to_ascii_lowercase();
        match event_id {
            13 => Some(Action::SetValue),
            14 => Some(Action::RenameKey),
            12 if t.contains("delete") && t.contains("value") => Some(Action::DeleteValue),
            12 if t.contains("delete") => Some(Action::DeleteKey),
            12 => Some(Action::CreateKey),
            4657 if t.contains("1906") => Some(Action::DeleteValue),
            4657 => Some(Action::SetValue),
            _ => None,
        }
    }

    /// The action's name in every output (`SetValue`, `CreateKey`, …).
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::SetValue => "SetValue",
            Action::CreateKey => "CreateKey",
            Action::DeleteKey => "DeleteKey",
            Action::DeleteValue => "DeleteValue",
            Action::RenameKey => "RenameKey",
        }
    }

    /// Whether `TargetObject` names a value (key plus value name) rather than a key.
    fn targets_value(&self) -> bool {
        matches!(self, Action::SetValue | Action::DeleteValue)
    }

    /// How serious the action is on a location whose value set is `base` (the detection's
    /// severity): data written is the attack itself; a key created or renamed into place is
    /// preparation, a step below; a deletion is cleanup or tampering, low at most.
    pub fn severity_at(&self, base: Severity) -> Severity {
        match self {
            Action::SetValue => base,
            Action::CreateKey | Action::RenameKey => base.lowered(),
            Action::DeleteKey | Action::DeleteValue => base.min(Severity::Low),
        }
    }

    /// The severity on a location of the highest severity, as the reference rule ranks it.
    pub fn severity(&self) -> Severity {
        self.severity_at(Severity::High)
    }
}

/// Finding severity, with Elastic's risk scores (the reference rule is high, 73).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Context, not a finding (`--context`): what else WMI did, and Windows' own
    /// subscriptions. Kept apart in the summary and the exit code.
    Info,
    /// Deletions.
    Low,
    /// Key creation or rename onto a persistence path.
    Medium,
    /// A value written with data.
    High,
}

impl Severity {
    /// Elastic's risk score for the severity.
    pub fn risk_score(self) -> u8 {
        match self {
            Severity::Info => 0,
            Severity::Low => 21,
            Severity::Medium => 47,
            Severity::High => 73,
        }
    }

    /// Lower-case name, as in NDJSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

impl Severity {
    /// One step down (info stays info).
    pub fn lowered(self) -> Severity {
        match self {
            Severity::High => Severity::Medium,
            Severity::Medium => Severity::Low,
            Severity::Low | Severity::Info => Severity::Info,
        }
    }
}

/// What a registry event matched: the detection, the location and the key as normalised.
#[derive(Debug, Clone)]
pub struct Match {
    /// What was done.
    pub action: Action,
    /// The detection that fired.
    pub detection: &'static Detection,
    /// The location pattern that matched (`None` for a context write, which matched none).
    pub location: Option<&'static Location>,
    /// The key the event touched (for a rename: the side that matched), normalised.
    pub key: KeyPath,
    /// The value name, for value-level actions.
    pub value_name: Option<String>,
    /// The writer is WmiPrvSE.exe outside `System32\wbem` / `SysWOW64\wbem`.
    pub unusual_image: bool,
}

impl Match {
    /// The finding's severity: the detection's, as the action ranks it.
    pub fn severity(&self) -> Severity {
        self.action.severity_at(self.detection.severity)
    }
}

/// Whether `image`'s final path component is `WmiPrvSE.exe` (ASCII case-insensitive, as
/// Windows compares these names).
pub fn is_wmiprvse(image: &str) -> bool {
    image
        .rsplit(['\\', '/'])
        .next()
        .is_some_and(|name| name.eq_ignore_ascii_case("WmiPrvSE.exe"))
}

/// Whether `image` is the real provider host: `<root>\Windows\System32\wbem\WmiPrvSE.exe` or
/// its SysWOW64 twin, where `<root>` is a drive (`C:`), `\\?\C:` or a `\Device\…` volume.
pub fn is_standard_wmiprvse_location(image: &str) -> bool {
    let parts: Vec<&str> = image.split('\\').collect();
    let [root @ .., windows, system, wbem, exe] = parts.as_slice() else {
        return false;
    };
    let tail_ok = windows.eq_ignore_ascii_case("Windows")
        && (system.eq_ignore_ascii_case("System32") || system.eq_ignore_ascii_case("SysWOW64"))
        && wbem.eq_ignore_ascii_case("wbem")
        && exe.eq_ignore_ascii_case("WmiPrvSE.exe");
    let is_drive = |s: &str| {
        let b = s.as_bytes();
        matches!(b, [letter, b':'] if letter.is_ascii_alphabetic())
    };
    let root_ok = match root {
        [drive] => is_drive(drive),
        ["", "", "?" | ".", drive] => is_drive(drive),
        ["", device, _volume] => device.eq_ignore_ascii_case("Device"),
        _ => false,
    };
    tail_ok && root_ok
}

/// One compiled component of a key pattern.
#[derive(Debug)]
enum Part {
    Literal(&'static str),
    AnyOne,
    AnyDepth,
}

/// The catalog compiled for matching; built once per scan.
#[derive(Debug)]
pub struct Matcher {
    compiled: Vec<(&'static Detection, &'static Location, Vec<Part>)>,
}

impl Default for Matcher {
    fn default() -> Self {
        Self::new()
    }
}

impl Matcher {
    /// Compiles the catalog.
    pub fn new() -> Matcher {
        let compiled = CATALOG
            .iter()
            .flat_map(|d| d.locations.iter().map(move |l| (d, l)))
            .map(|(d, l)| {
                let parts = l
                    .key
                    .split('\\')
                    .map(|p| match p {
                        "*" => Part::AnyOne,
                        "**" => Part::AnyDepth,
                        lit => Part::Literal(lit),
                    })
                    .collect();
                (d, l, parts)
            })
            .collect();
        Matcher { compiled }
    }

    /// The finding-to-be for `event`, or `None` when the writer is not WmiPrvSE.exe or the
    /// key is not a persistence location.
    pub fn find_match(&self, event: &RegistryEvent) -> Option<Match> {
        if !is_wmiprvse(&event.image) {
            return None;
        }
        let action = Action::from_event(event.event_id, &event.event_type)?;
        let unusual_image = !is_standard_wmiprvse_location(&event.image);
        let mut candidates = vec![event.target_object.as_str()];
        if action == Action::RenameKey {
            candidates.extend(event.new_name.as_deref());
        }
        candidates.into_iter().find_map(|path| {
            let key = KeyPath::parse(path);
            let (key, value_name) = if action.targets_value() {
                key.split_value()
            } else {
                (key, None)
            };
            let (detection, location) = self.find(&key, value_name.as_deref())?;
            Some(Match {
                action: action.clone(),
                detection,
                location: Some(location),
                key,
                value_name,
                unusual_image,
            })
        })
    }

    /// Any WmiPrvSE.exe registry write as context (`--context`): the event's own key, under
    /// the detection `wmi_registry_write` (severity info), whether or not it is a location.
    pub fn context_match(&self, event: &RegistryEvent) -> Option<Match> {
        if !is_wmiprvse(&event.image) {
            return None;
        }
        let action = Action::from_event(event.event_id, &event.event_type)?;
        let key = KeyPath::parse(&event.target_object);
        let (key, value_name) = if action.targets_value() {
            key.split_value()
        } else {
            (key, None)
        };
        Some(Match {
            action,
            detection: &WMI_REGISTRY_WRITE,
            location: None,
            key,
            value_name,
            unusual_image: !is_standard_wmiprvse_location(&event.image),
        })
    }

    /// The first location that `key` (and `value`, for value-level events) falls under.
    fn find(
        &self,
        key: &KeyPath,
        value: Option<&str>,
    ) -> Option<(&'static Detection, &'static Location)> {
        let components = key.match_components();
        self.compiled
            .iter()
            .find(|(_, location, parts)| {
                hive_allowed(location.hives, &key.hive)
                    && key_matches(parts, &components)
                    && value.is_none_or(|v| {
                        location.value == "*" || location.value.eq_ignore_ascii_case(v)
                    })
            })
            .map(|(d, l, _)| (*d, *l))
    }
}

fn hive_allowed(hives: HiveScope, hive: &Hive) -> bool {
    match hive {
        Hive::Machine => matches!(hives, HiveScope::Machine | HiveScope::Both),
        Hive::User { .. } => matches!(hives, HiveScope::User | HiveScope::Both),
        // HKCR writes land in the machine's classes (unless the user's hold the key already).
        Hive::Classes { sid: None } => matches!(hives, HiveScope::Machine | HiveScope::Both),
        Hive::Classes { sid: Some(_) } => matches!(hives, HiveScope::User | HiveScope::Both),
        Hive::Other { .. } => false,
    }
}

/// Whole-component match of `path` against `parts` (so `Run` never matches `Runner`).
fn key_matches(parts: &[Part], path: &[&str]) -> bool {
    match (parts.split_first(), path.split_first()) {
        (None, None) => true,
        (Some((Part::AnyDepth, _)), _) => true,
        (Some((Part::AnyOne, rest)), Some((_, path_rest))) => key_matches(rest, path_rest),
        (Some((Part::Literal(lit), rest)), Some((c, path_rest))) => {
            lit.eq_ignore_ascii_case(c) && key_matches(rest, path_rest)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(eid: u16, event_type: &str, image: &str, target: &str) -> RegistryEvent {
        RegistryEvent::sample(eid, event_type, image, target)
    }

    const WMI: &str = "C:\\Windows\\system32\\wbem\\wmiprvse.exe";

    fn detection(eid: u16, event_type: &str, target: &str) -> Option<&'static str> {
        Matcher::new()
            .find_match(&event(eid, event_type, WMI, target))
            .map(|m| m.detection.id)
    }

    #[test]
    fn writer_is_the_final_component() {
        assert!(is_wmiprvse(WMI));
        assert!(is_wmiprvse("WMIPRVSE.EXE"));
        assert!(is_wmiprvse("D:/tools/WmiPrvSE.exe"));
        assert!(!is_wmiprvse("C:\\x\\fakewmiprvse.exe"));
        assert!(!is_wmiprvse("C:\\x\\wmiprvse.exe.bak"));
        assert!(!is_wmiprvse(""));
    }

    #[test]
    fn standard_locations() {
        assert!(is_standard_wmiprvse_location(WMI));
        assert!(is_standard_wmiprvse_location(
            "c:\\windows\\syswow64\\wbem\\WMIPRVSE.EXE"
        ));
        assert!(is_standard_wmiprvse_location(
            "\\\\?\\C:\\Windows\\System32\\wbem\\WmiPrvSE.exe"
        ));
        assert!(is_standard_wmiprvse_location(
            "\\Device\\HarddiskVolume2\\Windows\\System32\\wbem\\WmiPrvSE.exe"
        ));
        assert!(!is_standard_wmiprvse_location(
            "C:\\Users\\Public\\WmiPrvSE.exe"
        ));
        assert!(!is_standard_wmiprvse_location(
            "C:\\Temp\\Windows\\System32\\wbem\\WmiPrvSE.exe"
        ));
        assert!(!is_standard_wmiprvse_location(
            "C:\\Windows\\System32\\WmiPrvSE.exe"
        ));
        assert!(!is_standard_wmiprvse_location("WmiPrvSE.exe"));
    }

    #[test]
    fn actions_from_sysmon_event_types() {
        assert_eq!(Action::from_event(13, "SetValue"), Some(Action::SetValue));
        assert_eq!(Action::from_event(12, "CreateKey"), Some(Action::CreateKey));
        assert_eq!(Action::from_event(12, "DeleteKey"), Some(Action::DeleteKey));
        assert_eq!(
            Action::from_event(12, "DeleteValue"),
            Some(Action::DeleteValue)
        );
        assert_eq!(Action::from_event(14, "RenameKey"), Some(Action::RenameKey));
        assert_eq!(Action::from_event(1, "SetValue"), None);
        assert_eq!(Action::from_event(4657, "%%1904"), Some(Action::SetValue));
        assert_eq!(Action::from_event(4657, "%%1905"), Some(Action::SetValue));
        assert_eq!(
            Action::from_event(4657, "%%1906"),
            Some(Action::DeleteValue)
        );
        assert_eq!(Action::SetValue.severity().risk_score(), 73);
        assert_eq!(Action::CreateKey.severity(), Severity::Medium);
        assert_eq!(Action::DeleteKey.severity(), Severity::Low);
    }

    #[test]
    fn whole_components_only() {
        let run = "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion";
        assert_eq!(
            detection(13, "SetValue", &format!("{run}\\Run\\x")),
            Some("run_keys")
        );
        assert_eq!(
            detection(13, "SetValue", &format!("{run}\\Runner\\x")),
            None
        );
        assert_eq!(
            detection(13, "SetValue", &format!("{run}\\RunOnceBackup\\x")),
            None
        );
        assert_eq!(
            detection(13, "SetValue", &format!("{run}\\RunOnceEx\\1\\2\\x")),
            Some("run_keys")
        );
        let svc = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\x";
        assert_eq!(
            detection(13, "SetValue", &format!("{svc}\\ImagePath")),
            Some("service_image")
        );
        assert_eq!(
            detection(13, "SetValue", &format!("{svc}\\imagepath")),
            Some("service_image")
        );
        assert_eq!(
            detection(13, "SetValue", &format!("{svc}\\Description")),
            None
        );
    }

    #[test]
    fn key_actions_match_the_location_key_not_its_ancestors() {
        assert_eq!(
            detection(12, "CreateKey", "HKLM\\SOFTWARE\\Microsoft"),
            None
        );
        assert_eq!(
            detection(
                12,
                "CreateKey",
                "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run"
            ),
            Some("run_keys")
        );
        assert_eq!(
            detection(
                12,
                "CreateKey",
                "HKLM\\SYSTEM\\ControlSet001\\Services\\new"
            ),
            Some("service_image")
        );
        assert_eq!(
            detection(12, "CreateKey", "HKLM\\SYSTEM\\ControlSet001\\Services"),
            None
        );
    }

    #[test]
    fn other_writers_never_match() {
        let m = Matcher::new();
        let target = "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\x";
        assert!(m
            .find_match(&event(
                13,
                "SetValue",
                "C:\\Windows\\System32\\reg.exe",
                target
            ))
            .is_none());
        let hit = m
            .find_match(&event(
                13,
                "SetValue",
                "C:\\Users\\Public\\wmiprvse.exe",
                target,
            ))
            .unwrap();
        assert!(hit.unusual_image);
        assert_eq!(hit.value_name.as_deref(), Some("x"));
    }

    #[test]
    fn renames_match_either_side() {
        let m = Matcher::new();
        let mut e = event(14, "RenameKey", WMI, "HKLM\\SOFTWARE\\Staging");
        assert!(m.find_match(&e).is_none());
        e.new_name = Some("HKLM\\SYSTEM\\CurrentControlSet\\Services\\evil".into());
        let hit = m.find_match(&e).unwrap();
        assert_eq!(
            hit.key.to_string(),
            "HKLM\\SYSTEM\\CurrentControlSet\\Services\\evil"
        );
        assert_eq!(hit.action, Action::RenameKey);
    }

    #[test]
    fn every_catalog_location_is_reachable() {
        // Each location, instantiated with concrete names, is matched by itself (and not
        // shadowed by a broken pattern).
        let m = Matcher::new();
        for d in CATALOG {
            for l in d.locations {
                let key = l.key.replace("\\**", "").replace('*', "Name");
                let value = if l.value == "*" { "Value" } else { l.value };
                let hive = if l.hives == HiveScope::User {
                    "HKU\\S-1-5-21-1"
                } else {
                    "HKLM"
                };
                let target = format!("{hive}\\{key}\\{value}");
                let hit = m.find_match(&event(13, "SetValue", WMI, &target));
                assert_eq!(hit.map(|h| h.detection.id), Some(d.id), "{target}");
            }
        }
    }
}
