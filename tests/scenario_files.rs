//! Scenario files: every shipped scenario loads; bad ones get an error naming the field.

use omnisim::scenario::Scenario;

#[test]
fn every_shipped_scenario_loads() {
    let mut n = 0;
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    assert!(n >= 1);
}

const BASE: &str = r#"
name = "t"
duration = "10s"
[[queues]]
name = "q"
[[channels]]
name = "web"
kind = "web"
platform = "standard"
entry = "queue:q"
[[agents]]
name = "a"
count = 1
capacity = 1
[arrivals]
rate = "1/s"
"#;

fn error(extra: &str, replace: Option<(&str, &str)>) -> String {
    let mut text = BASE.to_owned();
    if let Some((from, to)) = replace {
        text = text.replace(from, to);
    }
    text.push_str(extra);
    Scenario::parse(&text, "t.toml")
        .map(|_| ())
        .unwrap_err()
        .to_string()
}

#[test]
fn the_base_scenario_is_valid() {
    Scenario::parse(BASE, "t.toml").unwrap();
}

#[test]
fn bad_input_names_the_field() {
    let e = error("", Some(("duration = \"10s\"", "duration = \"ten\"")));
    assert!(e.contains("duration") && e.contains("ten"), "{e}");
    let e = error("", Some(("entry = \"queue:q\"", "entry = \"queue:nope\"")));
    assert!(e.contains("channels[0].entry") && e.contains("nope"), "{e}");
    let e = error("", Some(("capacity = 1", "capacity = 1\nspeed = 3")));
    assert!(e.contains("speed"), "{e}");
    let e = error("[thresholds]\n\"routing_latency.p98\" = \"< 1s\"\n", None);
    assert!(e.contains("unknown metric") && e.contains("p98"), "{e}");
    let e = error(
        "",
        Some((
            "rate = \"1/s\"",
            "rate = \"1/s\"\nramp = { from = \"1/s\", to = \"2/s\" }",
        )),
    );
    assert!(e.contains("arrivals") && e.contains("exactly one"), "{e}");
    let e = error("", Some(("kind = \"web\"", "kind = \"fax\"")));
    assert!(e.contains("fax"), "{e}");
    let e = error("[customers]\nintents = { billing = 1.0 }\n", None);
    assert!(e.contains("customers.intents.billing"), "{e}");
    let e = error(
        "",
        Some((
            "capacity = 1",
            "capacity = 1\nshift = { start = \"5s\", end = \"2s\" }",
        )),
    );
    assert!(e.contains("agents[0].shift.end"), "{e}");
    let e = error(
        "",
        Some(("capacity = 1", "capacity = 1\ninactive_probability = 1.5")),
    );
    assert!(e.contains("agents[0].inactive_probability"), "{e}");
    let e = error("", Some(("duration = \"10s\"", "duration = \"0s\"")));
    assert!(e.contains("duration") && e.contains("some time"), "{e}");
    let e = error(
        "",
        Some((
            "rate = \"1/s\"",
            "intervals = [{ length = \"5s\", rate = \"1/s\" }, { length = \"0s\", rate = \"2/s\" }]",
        )),
    );
    assert!(e.contains("arrivals.intervals[1].length"), "{e}");
}
