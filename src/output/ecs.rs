//! Elastic Common Schema output: one alert document per line, with ECS field names and types
//! (checked by a test against `docs/ecs-fields.tsv`), optionally as Elasticsearch `_bulk`
//! request lines. wmihunt's own extras (score, indicators, payload, execution) sit under
//! `wmihunt.*`, outside the ECS namespace.

use crate::detect::catalog::technique_name;
use crate::detect::Action;
use crate::finding::Finding;
use serde_json::{json, Value};
use std::io::{self, Write};

/// The ECS version the documents follow.
pub const ECS_VERSION: &str = "8.11.0";

/// The ECS document of a finding.
pub fn document(f: &Finding) -> Value {
    let e = &f.event;
    let m = &f.matched;
    let severity = f.severity();
    let (registry, path) = registry_field(f);
    let image_name = e.image.rsplit(['\\', '/']).next().unwrap_or(&e.image);
    let (verb, event_type) = match m.action {
        Action::SetValue => ("set", "change"),
        Action::CreateKey => ("created", "creation"),
        Action::RenameKey => ("renamed", "change"),
        Action::DeleteKey | Action::DeleteValue => ("deleted", "deletion"),
    };
    let mut process = json!({
        "executable": e.image,
        "name": image_name,
    });
    if let Some(pid) = e.process_id {
        process["pid"] = json!(pid);
    }
    if let Some(guid) = &e.process_guid {
        process["entity_id"] = json!(guid);
    }
    let mut doc = json!({
        "@timestamp": e.timestamp.to_string(),
        "ecs": { "version": ECS_VERSION },
        "message": format!("{} {} by {} on {}", path, verb, image_name, e.host),
        "event": {
            "kind": "alert",
            "category": ["registry"],
            "type": [event_type],
            "action": m.action.as_str(),
            "code": e.event_id.to_string(),
            "provider": e.provider,
            "severity": severity.risk_score(),
            "risk_score": f64::from(severity.risk_score()),
        },
        "host": { "name": e.host },
        "process": process,
        "registry": registry,
        "rule": {
            "id": m.detection.id,
            "name": m.detection.title,
            "reference": m.location.pattern(),
        },
        "threat": {
            "framework": "MITRE ATT&CK",
            "technique": {
                "id": m.detection.techniques,
                "name": m.detection.techniques.iter().map(|t| technique_name(t)).collect::<Vec<_>>(),
            },
        },
        "log": { "file": { "path": f.source.to_string_lossy() } },
        "winlog": {
            "record_id": e.record_id.to_string(),
            "channel": e.channel,
            "computer_name": e.host,
            "event_id": e.event_id.to_string(),
        },
        "wmihunt": {
            "severity": severity.as_str(),
            "score": f.score(),
            "indicators": f.indicators,
            "payload": f.payload,
            "execution": f.execution,
            "duplicate_sources": f.also_in.iter().map(|p| p.to_string_lossy().into_owned()).collect::<Vec<_>>(),
            "chunk": f.chunk,
            "recovered": f.recovered,
            "image_unusual_location": m.unusual_image,
        },
    });
    if let Some(user) = &e.user {
        doc["user"] = json!({ "name": user });
    }
    if let Some(logon) = &e.logon_id {
        doc["winlog"]["logon"] = json!({ "id": logon });
    }
    doc
}

/// ECS `registry`, and the whole path it names. `registry.key` is the key below the hive;
/// `registry.path` the whole path with the value, as Elastic's own Windows integrations write
/// them.
fn registry_field(f: &Finding) -> (Value, String) {
    let m = &f.matched;
    let normalised = m.key.to_string();
    let hive = m.key.hive.label();
    let key = m.key.below_hive();
    let path = match &m.value_name {
        Some(value) => format!("{normalised}\\{value}"),
        None => normalised.clone(),
    };
    let mut registry = json!({
        "hive": hive,
        "key": key,
        "path": path,
    });
    if let Some(value) = &m.value_name {
        registry["value"] = json!(value);
    }
    if let Some(data) = &f.event.details {
        registry["data"] = json!({ "strings": [data] });
    }
    (registry, path)
}

/// Writes findings as ECS documents, each preceded by a `_bulk` `create` action for `index`
/// when one is given.
pub fn write(
    out: &mut dyn Write,
    findings: &[Finding],
    bulk_index: Option<&str>,
) -> io::Result<()> {
    for f in findings {
        if let Some(index) = bulk_index {
            serde_json::to_writer(&mut *out, &json!({ "create": { "_index": index } }))?;
            out.write_all(b"\n")?;
        }
        serde_json::to_writer(&mut *out, &document(f))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
