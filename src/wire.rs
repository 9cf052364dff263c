//! Frames and replies checked against the protocol's schemas (docs/schema/): what the harness and
//! the conformance suite receive is parsed into the protocol types, and when that fails the
//! schema names the field at fault (`work_offered.session: 5 is not of type "object"`), so that a
//! server breaking the wire is told exactly where.

use omnisim_protocol::schema;
use omnisim_protocol::{AgentPush, Event};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt;

/// Something received that is not the protocol: where it was, which field, what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireError {
    /// The field at fault, from the frame's `type` down (`work_offered.session`); empty when the
    /// text is not JSON at all.
    pub field: String,
    pub problem: String,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.problem)
        } else {
            write!(f, "{}: {}", self.field, self.problem)
        }
    }
}

impl std::error::Error for WireError {}

/// The value of one sample in `/metrics` (Prometheus text, docs/protocol.md §4.6), by its series
/// as written, labels included (`omnisim_sessions{status="waiting"}`); none when it is absent or
/// not a number.
pub fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        let value = l.strip_prefix(series)?.strip_prefix(' ')?;
        value.trim().parse().ok()
    })
}

/// A frame of an agent socket.
pub fn agent_push(text: &str) -> Result<AgentPush, WireError> {
    AgentPush::parse(text).map_err(|e| explain("AgentPush", text, &e))
}

/// An event of a customer or channel stream.
pub fn event(text: &str) -> Result<Event, WireError> {
    serde_json::from_str(text).map_err(|e| explain("Event", text, &e))
}

/// An HTTP reply body, checked against the schema named as its type is (`InboundAccepted`).
pub fn reply<T: DeserializeOwned>(text: &str) -> Result<T, WireError> {
    serde_json::from_str(text).map_err(|e| {
        let name = std::any::type_name::<T>();
        explain(name.rsplit("::").next().unwrap_or(name), text, &e)
    })
}

/// Why `text` did not parse as the schema `name`: the first schema error, at its field, or
/// the parser's own word when the schema finds nothing (or the text is not JSON).
fn explain(name: &str, text: &str, parse: &serde_json::Error) -> WireError {
    let fallback = || WireError {
        field: String::new(),
        problem: parse.to_string(),
    };
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return fallback();
    };
    let Some(root) = schema::all()
        .into_iter()
        .find(|s| s.name == name)
        .map(|s| s.schema.to_value())
    else {
        return fallback();
    };
    // A tagged union: judge the frame by the branch its `type` names, so that the error is about
    // that branch's fields rather than "valid under none of the schemas".
    let tag = value.get("type").and_then(Value::as_str).map(str::to_owned);
    let (target, prefix) = match tag.as_deref().and_then(|t| branch(&root, t)) {
        Some(b) => (b, tag.clone().unwrap_or_default()),
        None => (root, tag.unwrap_or_default()),
    };
    let Ok(validator) = jsonschema::validator_for(&target) else {
        return fallback();
    };
    let Some(first) = validator.iter_errors(&value).next() else {
        return fallback();
    };
    let pointer = first.instance_path().to_string();
    let inner = pointer.trim_start_matches('/').replace('/', ".");
    let field = match (prefix.is_empty(), inner.is_empty()) {
        (true, _) => inner,
        (false, true) => prefix,
        (false, false) => format!("{prefix}.{inner}"),
    };
    WireError {
        field,
        problem: first.to_string(),
    }
}

/// The branch of `root`'s `oneOf` (or of the one it refers to) whose `type` is the constant
/// `tag`, with `root`'s definitions beside it.
fn branch(root: &Value, tag: &str) -> Option<Value> {
    let defs = root.get("$defs").cloned().unwrap_or(Value::Null);
    let resolve = |v: &Value| -> Option<Value> {
        let r = v.get("$ref")?.as_str()?.strip_prefix("#/$defs/")?;
        defs.get(r).cloned()
    };
    let mut pending = vec![root.clone()];
    while let Some(schema) = pending.pop() {
        if let Some(target) = resolve(&schema) {
            pending.push(target);
            continue;
        }
        let Some(options) = schema.get("oneOf").and_then(Value::as_array) else {
            continue;
        };
        for option in options {
            // A branch may name its tag beside a `$ref` to its fields (a newtype variant).
            let names = |o: &Value| {
                o.pointer("/properties/type/const").and_then(Value::as_str) == Some(tag)
            };
            let option = if names(option) {
                option.clone()
            } else {
                resolve(option).unwrap_or_else(|| option.clone())
            };
            if names(&option) {
                let mut chosen = option;
                if let Some(map) = chosen.as_object_mut() {
                    map.insert("$defs".into(), defs.clone());
                }
                return Some(chosen);
            }
            pending.push(option);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_of_the_wrong_type_is_named_from_the_frame_type_down() {
        let frame = r#"{"type": "work_offered", "org": 1, "session": 5,
            "work": {}, "context": {"fields": {}}, "transcript": []}"#;
        let e = agent_push(frame).unwrap_err();
        assert_eq!(e.field, "work_offered.session", "{e}");
        assert!(e.problem.contains("object"), "{e}");
    }

    #[test]
    fn replies_and_events_name_their_fields_and_good_frames_pass() {
        let e = reply::<omnisim_protocol::InboundAccepted>(
            r#"{"user": 1, "conversation_id": 2, "session": "s", "duplicate": false}"#,
        )
        .unwrap_err();
        assert_eq!(e.field, "session", "{e}");
        let e = event(r#"{"type": "presence_changed", "org": 1, "agent": 2, "presence": "away"}"#)
            .unwrap_err();
        assert_eq!(e.field, "presence_changed.presence", "{e}");
        assert!(
            event(r#"{"type": "presence_changed", "org": 1, "agent": 2, "presence": "busy"}"#)
                .is_ok()
        );
        let e = event("{not json").unwrap_err();
        assert!(e.field.is_empty() && !e.problem.is_empty());
    }
}
