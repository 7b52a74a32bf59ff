//! Elastic Common Schema output: one alert document per line (an event document for info
//! context), with ECS field names and types (checked by a test against `docs/ecs-fields.tsv`),
//! optionally as Elasticsearch `_bulk` request lines. wmihunt's own extras (score, indicators,
//! payload, execution, attribution, a subscription's parts) sit under `wmihunt.*`, outside the ECS
//! namespace. A registry finding and a subscription each have their own document function.

use super::ndjson_subscription::SubscriptionLine;
use crate::detect::catalog::{technique_name, Detection};
use crate::detect::subscription;
use crate::detect::{Action, Match, Severity};
use crate::event::registry::RegistryEvent;
use crate::finding::{Finding, FindingKind, SubscriptionFinding};
use serde_json::{json, Value};
use std::io::{self, Write};
use std::net::IpAddr;

/// The ECS version the documents follow.
pub const ECS_VERSION: &str = "8.11.0";

/// The ECS document of a finding.
pub fn document(f: &Finding) -> Value {
    match &f.kind {
        FindingKind::Registry { event, matched } => registry_document(f, event, matched),
        FindingKind::Subscription(s) => subscription_document(f, s),
    }
}

/// `event.kind`: context is an event, a finding an alert.
fn event_kind(severity: Severity) -> &'static str {
    if severity == Severity::Info {
        "event"
    } else {
        "alert"
    }
}

/// `wmihunt`: what every finding carries beyond ECS (a kind's own fields are added to it).
fn wmihunt_field(f: &Finding, kind: &str) -> Value {
    json!({
        "kind": kind,
        "severity": f.severity().as_str(),
        "score": f.score(),
        "indicators": f.indicators,
        "payload": f.payload,
        "execution": f.execution,
        "duplicate_sources": f.also_in.iter().map(|p| p.to_string_lossy().into_owned()).collect::<Vec<_>>(),
        "chunk": f.chunk,
        "recovered": f.recovered,
    })
}

/// `threat`: the detection's ATT&CK techniques.
fn threat(d: &Detection) -> Value {
    json!({
        "framework": "MITRE ATT&CK",
        "technique": {
            "id": d.techniques,
            "name": d.techniques.iter().map(|t| technique_name(t)).collect::<Vec<_>>(),
        },
    })
}

/// The ECS document of a registry finding.
fn registry_document(f: &Finding, e: &RegistryEvent, m: &Match) -> Value {
    let severity = f.severity();
    let (registry, path) = registry_field(e, m);
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
            "kind": event_kind(severity),
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
        },
        "threat": threat(m.detection),
        "log": { "file": { "path": f.source.to_string_lossy() } },
        "winlog": {
            "record_id": e.record_id.to_string(),
            "channel": e.channel,
            "computer_name": e.host,
            "event_id": e.event_id.to_string(),
        },
        "wmihunt": wmihunt_field(f, "registry"),
    });
    doc["wmihunt"]["image_unusual_location"] = json!(m.unusual_image);
    if let Some(location) = m.location {
        doc["rule"]["reference"] = json!(location.pattern());
    }
    if let Some(user) = &e.user {
        doc["user"] = json!({ "name": user });
    }
    if let Some(logon) = &e.logon_id {
        doc["winlog"]["logon"] = json!({ "id": logon });
    }
    add_attribution(&mut doc, f);
    doc
}

/// The caller: `source.ip` (when it is an address), `source.domain` (its host name),
/// `user.name`/`user.domain` (the caller's account, which replaces the writer's), and the
/// whole attribution under `wmihunt.attribution`.
fn add_attribution(doc: &mut Value, f: &Finding) {
    let Some(a) = &f.attribution else {
        return;
    };
    doc["wmihunt"]["attribution"] = json!(a);
    let Some(c) = &a.caller else {
        return;
    };
    let mut source = json!({});
    if let Some(ip) = c
        .source_ip
        .as_deref()
        .filter(|ip| ip.parse::<IpAddr>().is_ok())
    {
        source["ip"] = json!(ip);
    }
    if let Some(host) = &c.source_host {
        source["domain"] = json!(host);
    }
    if source.as_object().is_some_and(|s| !s.is_empty()) {
        doc["source"] = source;
    }
    if let Some(user) = &c.user {
        let mut account = json!({ "name": user });
        if let Some(domain) = &c.domain {
            account["domain"] = json!(domain);
        }
        doc["user"] = account;
    }
}

/// The ECS document of a subscription: a configuration change on the host, its parts (from the
/// NDJSON line) under `wmihunt.subscription`.
fn subscription_document(f: &Finding, s: &SubscriptionFinding) -> Value {
    let a = &s.anchor;
    let sub = &s.subscription;
    let severity = f.severity();
    let operation = subscription::operation(a);
    let event_type = match operation.as_str() {
        "Deleted" => "deletion",
        "Modified" => "change",
        _ => "creation",
    };
    let filter = sub.filter.as_ref().map_or("?", |x| x.name.as_str());
    let consumer = sub
        .consumer
        .as_ref()
        .map_or("? consumer ?".to_string(), |c| {
            format!("{} consumer {}", c.kind.as_str(), c.name)
        });
    let line = serde_json::to_value(SubscriptionLine::new(f, s)).unwrap_or(Value::Null);
    let parts: serde_json::Map<String, Value> = [
        "builtin",
        "bound",
        "filter",
        "consumer",
        "creator_sid",
        "registered",
        "removed",
        "evidence",
        "consumer_loaded",
    ]
    .iter()
    .map(|k| (k.to_string(), line.get(*k).cloned().unwrap_or(Value::Null)))
    .collect();
    let mut doc = json!({
        "@timestamp": a.timestamp.to_string(),
        "ecs": { "version": ECS_VERSION },
        "message": format!("WMI subscription {operation}: filter {filter} -> {consumer} on {}", a.host),
        "event": {
            "kind": event_kind(severity),
            "category": ["configuration"],
            "type": [event_type],
            "action": operation,
            "code": a.event_id.to_string(),
            "provider": a.provider,
            "severity": severity.risk_score(),
            "risk_score": f64::from(severity.risk_score()),
        },
        "host": { "name": a.host },
        "rule": { "id": f.detection().id, "name": f.detection().title },
        "threat": threat(f.detection()),
        "log": { "file": { "path": f.source.to_string_lossy() } },
        "winlog": {
            "record_id": a.record_id.to_string(),
            "channel": a.channel,
            "computer_name": a.host,
            "event_id": a.event_id.to_string(),
        },
        "wmihunt": wmihunt_field(f, "subscription"),
    });
    doc["wmihunt"]["subscription"] = Value::Object(parts);
    if let Some(user) = &a.user {
        doc["user"] = json!({ "name": user });
    }
    add_attribution(&mut doc, f);
    doc
}

/// ECS `registry`, and the whole path it names. `registry.key` is the key below the hive;
/// `registry.path` the whole path with the value, as Elastic's own Windows integrations write
/// them.
fn registry_field(e: &RegistryEvent, m: &Match) -> (Value, String) {
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
    if let Some(data) = &e.details {
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
