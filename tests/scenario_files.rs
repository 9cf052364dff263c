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
    let e = error(
        "",
        Some((
            "entry = \"queue:q\"",
            "entry = \"queue:q\"\ndelivery = \"mail\"",
        )),
    );
    assert!(e.contains("mail"), "{e}");
    let by_provider = (
        "entry = \"queue:q\"",
        "entry = \"queue:q\"\ndelivery = \"channel_stream\"",
    );
    let e = error("[faults]\ncustomer_reconnect = 0.5\n", Some(by_provider));
    assert!(e.contains("faults.customer_reconnect"), "{e}");
}

/// What the target would refuse at setup is refused before anything runs, naming the field:
/// the protocol's limits on names, texts, capacities and skill levels (protocol.md §1).
#[test]
fn the_protocol_limits_are_checked_before_the_run() {
    let e = error("", Some(("capacity = 1", "capacity = 0")));
    assert!(
        e.contains("agents[0].capacity") && e.contains("1 to 100"),
        "{e}"
    );
    let e = error("", Some(("capacity = 1", "capacity = 101")));
    assert!(e.contains("agents[0].capacity"), "{e}");
    let e = error(
        "",
        Some(("capacity = 1", "capacity = 1\nskills = { french = 11 }")),
    );
    assert!(e.contains("agents[0].skills.french"), "{e}");
    let big = "x".repeat(5 * 1024 * 1024 / 8);
    let e = error("", Some(("name = \"t\"", &format!("name = \"{big}\""))));
    assert!(
        e.contains("name") && e.contains("1 to 256 bytes"),
        "{}",
        &e[..200]
    );
    let e = error("", Some(("name = \"q\"", "name = \" \"")));
    assert!(
        e.contains("queues[0].name") && e.contains("not blank"),
        "{e}"
    );
}

/// A scenario path that is not a regular file, or a file over 1 MiB, is refused before it is
/// read whole.
#[test]
fn only_regular_files_of_a_bounded_size_are_read() {
    let e = Scenario::load(std::path::Path::new("/dev/zero"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a regular file"), "{e}");
    let dir = std::env::temp_dir().join(format!("omnisim-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let e = Scenario::load(&dir).unwrap_err().to_string();
    assert!(e.contains("not a regular file"), "{e}");
    let big = dir.join("big.toml");
    std::fs::write(&big, format!("# {}\n{BASE}", "x".repeat(2 << 20))).unwrap();
    let e = Scenario::load(&big).unwrap_err().to_string();
    assert!(e.contains("at most 1048576 bytes"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
