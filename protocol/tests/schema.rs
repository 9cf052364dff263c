//! The schemas in docs/schema/, docs/openapi.json and docs/asyncapi.json are the ones the types
//! and the route table generate: a change to the wire that is not carried into the documents
//! fails here. `OMNISIM_WRITE_SCHEMAS=1 cargo test -p omnisim-protocol --test schema` writes
//! them anew.

use omnisim_protocol::schema;
use std::path::Path;

const DIR: &str = "../docs/schema";

#[test]
fn the_committed_schemas_are_the_generated_ones() {
    let dir = Path::new(DIR);
    let write = std::env::var_os("OMNISIM_WRITE_SCHEMAS").is_some();
    let all = schema::all();
    let mut stale = Vec::new();
    for s in &all {
        let path = dir.join(format!("{}.json", s.name));
        let text = serde_json::to_string_pretty(&s.schema).expect("a schema serializes") + "\n";
        if write {
            std::fs::create_dir_all(dir).expect("docs/schema is writable");
            std::fs::write(&path, &text).expect("a schema file is writable");
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(s.name);
        }
    }
    assert!(
        stale.is_empty(),
        "docs/schema differs from the types for {stale:?}: run OMNISIM_WRITE_SCHEMAS=1 cargo test -p omnisim-protocol --test schema"
    );
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .expect("docs/schema exists")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    files.sort();
    let mut expected: Vec<String> = all.iter().map(|s| format!("{}.json", s.name)).collect();
    expected.sort();
    assert_eq!(
        files, expected,
        "docs/schema holds exactly the generated schemas"
    );
}

/// `text` is the content of `path`, or is written there when asked.
fn matches_or_writes(path: &str, value: &serde_json::Value) -> bool {
    let text = serde_json::to_string_pretty(value).expect("a document serializes") + "\n";
    if std::env::var_os("OMNISIM_WRITE_SCHEMAS").is_some() {
        std::fs::write(path, &text).expect("docs/ is writable");
        return true;
    }
    std::fs::read_to_string(path).ok().as_deref() == Some(text.as_str())
}

#[test]
fn the_committed_api_documents_are_the_generated_ones() {
    for (path, doc) in [
        ("../docs/openapi.json", schema::openapi()),
        ("../docs/asyncapi.json", schema::asyncapi()),
    ] {
        assert!(
            matches_or_writes(path, &doc),
            "{path} differs from the route table and the types: run OMNISIM_WRITE_SCHEMAS=1 cargo test -p omnisim-protocol --test schema"
        );
    }
}

#[test]
fn the_openapi_document_has_every_http_route_and_the_asyncapi_one_every_socket() {
    use omnisim_protocol::routes::{Answer, Route};
    let openapi = schema::openapi();
    let asyncapi = schema::asyncapi();
    for &route in Route::ALL {
        let method = route.method().as_str().to_ascii_lowercase();
        let op = &openapi["paths"][route.path()][&method];
        assert!(op.is_object(), "{route:?} missing from openapi");
        if let Some(body) = route.request() {
            let schema = &op["requestBody"]["content"]["application/json"]["schema"]["$ref"];
            assert!(
                schema
                    .as_str()
                    .is_some_and(|r| r.starts_with("#/components/schemas/")),
                "{route:?} {body}: {schema}"
            );
        }
        if matches!(route.answer(), Answer::Socket { .. }) {
            assert_eq!(
                asyncapi["channels"][format!("{route:?}")]["address"],
                route.path()
            );
        }
    }
    // Every reference resolves.
    let text = openapi.to_string() + &asyncapi.to_string();
    for r in text.split("\"$ref\":\"").skip(1) {
        let target = r.split('"').next().unwrap_or_default();
        let doc = if openapi.pointer(target.trim_start_matches('#')).is_some() {
            &openapi
        } else {
            &asyncapi
        };
        assert!(
            doc.pointer(target.trim_start_matches('#')).is_some(),
            "dangling {target}"
        );
    }
}

/// The JSON examples of docs/protocol.md, each fenced as ```` ```json Name ````: (name, text).
fn examples() -> Vec<(String, String)> {
    let doc = std::fs::read_to_string("../docs/protocol.md").expect("docs/protocol.md");
    let mut out = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        if let Some(name) = line.strip_prefix("```json ") {
            let body: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
            out.push((name.trim().to_owned(), body.join("\n")));
        }
    }
    out
}

#[test]
fn every_example_of_the_protocol_document_is_valid_under_its_schema() {
    let all = schema::all();
    let examples = examples();
    assert!(examples.len() >= 30, "{} examples", examples.len());
    for (name, text) in &examples {
        let schema = all
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("an example names {name}, which is no schema"));
        let value: serde_json::Value =
            serde_json::from_str(text).unwrap_or_else(|e| panic!("{name} example: {e}"));
        let validator =
            jsonschema::validator_for(schema.schema.as_value()).expect("a valid schema");
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name} example: {errors:?}");
    }
}

#[test]
fn every_body_of_every_route_has_an_example() {
    use omnisim_protocol::routes::{Answer, Route};
    let named: Vec<String> = examples().into_iter().map(|(n, _)| n).collect();
    for &route in Route::ALL {
        let answer = match route.answer() {
            Answer::Json(_, n) | Answer::List(n) => Some(n),
            Answer::Socket { receives, .. } => Some(receives),
            Answer::Text | Answer::Empty => None,
        };
        let sends = match route.answer() {
            Answer::Socket { sends, .. } => sends,
            _ => None,
        };
        for name in route.request().into_iter().chain(answer).chain(sends) {
            // A socket's union is shown by its members' examples.
            let shown = name == "AgentPush" || named.iter().any(|n| n == name);
            assert!(shown, "{route:?}: no example of {name} in docs/protocol.md");
        }
    }
}
