//! The schemas in docs/schema/ are the ones the types generate: a change to the wire that is not
//! carried into the documents fails here. `OMNISIM_WRITE_SCHEMAS=1 cargo test -p
//! omnisim-protocol --test schema` writes them anew.

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
