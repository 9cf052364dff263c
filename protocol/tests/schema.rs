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
