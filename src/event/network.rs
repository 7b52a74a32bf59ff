//! Network connections: Sysmon Event ID 3 and Security 5156 (the filtering platform permitted a
//! connection), read into one shape with the local and the remote end named as such. Sysmon
//! names the ends by who initiated (`Initiated` `false`: the source is the remote peer); 5156
//! always puts the local end in `Source*` (Microsoft's event description) and says the
//! direction in `Direction` (`%%14592` inbound, `%%14593` outbound).

use super::{number, present, Origin, SECURITY_PROVIDER, SYSMON_PROVIDER};
use crate::read::rendered::Rendered;
use crate::read::RecordHeader;

/// 5156's message id for an inbound connection.
const INBOUND: &str = "%%14592";
/// 5156's message id for an outbound connection.
const OUTBOUND: &str = "%%14593";

/// One end of a connection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct End {
    /// The address, as written.
    pub ip: String,
    /// The port.
    pub port: Option<u16>,
    /// The host name Sysmon resolved (`SourceHostname`, `DestinationHostname`), if any.
    pub host: Option<String>,
}

/// A network connection seen on a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Where and when.
    pub origin: Origin,
    /// The process (`Image`; 5156 `Application`, a device path).
    pub image: String,
    /// `ProcessGuid` (Sysmon).
    pub process_guid: Option<String>,
    /// `ProcessId` (5156 `ProcessID`).
    pub process_id: Option<u64>,
    /// `Some(true)` when the remote end opened it, `None` when the record does not say.
    pub inbound: Option<bool>,
    /// This host's end.
    pub local: End,
    /// The peer.
    pub remote: End,
}

impl Connection {
    /// The fields read.
    pub const FIELDS: &'static [&'static str] = &[
        "ProcessGuid",
        "ProcessId",
        "Image",
        "Initiated",
        "SourceIp",
        "SourceHostname",
        "SourcePort",
        "DestinationIp",
        "DestinationHostname",
        "DestinationPort",
        "ProcessID",
        "Application",
        "Direction",
        "SourceAddress",
        "DestAddress",
        "DestPort",
    ];

    /// Reads a Sysmon 3 or a Security 5156.
    pub fn from_rendered(event: &Rendered, header: RecordHeader) -> Option<Connection> {
        let d = &event.data;
        let port = |name: &str| number(d.get(name)).and_then(|p| u16::try_from(p).ok());
        let end = |ip: &str, port_name: &str, host: Option<&str>| End {
            ip: d.text(ip).unwrap_or_default(),
            port: port(port_name),
            host: host.and_then(|h| present(d.get(h))),
        };
        if let Some(id) = Origin::id_from(event, SYSMON_PROVIDER, &[3]) {
            let inbound = match d.get("Initiated").map(str::trim) {
                Some(t) if t.eq_ignore_ascii_case("false") => Some(true),
                Some(t) if t.eq_ignore_ascii_case("true") => Some(false),
                _ => None,
            };
            let source = end("SourceIp", "SourcePort", Some("SourceHostname"));
            let destination = end(
                "DestinationIp",
                "DestinationPort",
                Some("DestinationHostname"),
            );
            let (local, remote) = match inbound {
                Some(true) => (destination, source),
                _ => (source, destination),
            };
            return Some(Connection {
                origin: Origin::of(event, header, id),
                image: d.text("Image").unwrap_or_default(),
                process_guid: d.text("ProcessGuid"),
                process_id: number(d.get("ProcessId")),
                inbound,
                local,
                remote,
            });
        }
        let id = Origin::id_from(event, SECURITY_PROVIDER, &[5156])?;
        let inbound = match d.get("Direction").map(str::trim) {
            Some(INBOUND) => Some(true),
            Some(OUTBOUND) => Some(false),
            _ => None,
        };
        Some(Connection {
            origin: Origin::of(event, header, id),
            image: d.text("Application").unwrap_or_default(),
            process_guid: None,
            process_id: number(d.get("ProcessID")),
            inbound,
            local: end("SourceAddress", "SourcePort", None),
            remote: end("DestAddress", "DestPort", None),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: serde_json::Value) -> Option<Connection> {
        let r = Rendered::from_json(v.to_string().as_bytes(), Connection::FIELDS).unwrap();
        let header = RecordHeader {
            record_id: 1,
            timestamp: "2020-01-01T00:00:00Z".parse().unwrap(),
        };
        Connection::from_rendered(&r, header)
    }

    #[test]
    fn an_inbound_sysmon_connection_names_the_peer_as_remote() {
        // `wmi_remote_registry_sysmon.evtx` rec 549597, as the crate renders it (JSON bool).
        let c = read(json!({"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},
            "EventID":3,"Computer":"MSEDGEWIN10"},"EventData":{"RuleName":"","ProcessGuid":"{747f3d96-7e78-5fd2-0000-0010e1c40000}",
            "ProcessId":896,"Image":"C:\\Windows\\system32\\svchost.exe","User":"NT AUTHORITY\\NETWORK SERVICE",
            "Protocol":"tcp","Initiated":false,"SourceIsIpv6":false,"SourceIp":"10.0.2.17",
            "SourceHostname":"MSEDGEWIN10CLON","SourcePort":49851,"SourcePortName":"","DestinationIsIpv6":false,
            "DestinationIp":"10.0.2.15","DestinationHostname":"MSEDGEWIN10","DestinationPort":135,
            "DestinationPortName":"epmap"}}}))
        .unwrap();
        assert_eq!(c.inbound, Some(true));
        assert_eq!(c.remote.ip, "10.0.2.17");
        assert_eq!(c.remote.host.as_deref(), Some("MSEDGEWIN10CLON"));
        assert_eq!(
            (c.local.ip.as_str(), c.local.port),
            ("10.0.2.15", Some(135))
        );
        assert_eq!(c.process_id, Some(896));
    }

    #[test]
    fn a_5156_keeps_the_local_end_in_source() {
        // `DE_RDP_Tunnel_5156.evtx` rec 227694's shape, inbound.
        let c = read(json!({"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},
            "EventID":5156},"EventData":{"ProcessID":820,"Application":"\\device\\harddiskvolume1\\windows\\system32\\svchost.exe",
            "Direction":"%%14592","SourceAddress":"10.0.0.21","SourcePort":"135","DestAddress":"10.0.0.52",
            "DestPort":"50311","Protocol":6}}}))
        .unwrap();
        assert_eq!(c.inbound, Some(true));
        assert_eq!(
            (c.local.ip.as_str(), c.local.port),
            ("10.0.0.21", Some(135))
        );
        assert_eq!(c.remote.ip, "10.0.0.52");
    }
}
