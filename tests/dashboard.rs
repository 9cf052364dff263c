//! `omnisim run --dashboard`: the page a browser opens while the run goes, and the event stream
//! it draws from, read as a browser would: the run's description, a tick a second, then the
//! report and the verdict.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// One server-sent event: its name and its data lines joined.
#[derive(Debug)]
struct Sse {
    event: String,
    data: String,
}

/// Splits a text/event-stream body into its events (comments, the keep-alives, skipped).
fn events(body: &str) -> Vec<Sse> {
    let mut out = Vec::new();
    for block in body.split("\n\n") {
        let mut event = String::from("message");
        let mut data = Vec::new();
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                event = v.trim().to_owned();
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push(v.strip_prefix(' ').unwrap_or(v));
            }
        }
        if !data.is_empty() {
            out.push(Sse {
                event,
                data: data.join("\n"),
            });
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_serves_its_page_then_ticks_then_the_report_and_the_verdict() {
    let out = std::env::temp_dir().join(format!("omnisim-dashboard-{}", std::process::id()));
    let mut run = Command::new(env!("CARGO_BIN_EXE_omnisim"))
        .args(["run", "scenarios/quickstart.toml", "--duration", "3s"])
        .arg("--dashboard=127.0.0.1:0")
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The run says where the dashboard is before its first arrival.
    let stderr = run.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("dashboard: http://").map(str::to_owned))
        .expect("the dashboard's address on stderr");
    // Keep draining stderr, so that the run never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let base = format!("http://{}", addr.trim_end_matches('/'));
    let client = reqwest::Client::new();

    let page = client.get(&base).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("new EventSource(\"/events\")"));
    for chart in ["ch-load", "ch-routing", "ch-queue", "ch-occupancy"] {
        assert!(page.contains(&format!("<svg id=\"{chart}\"")), "{chart}");
    }
    // Self-contained: nothing fetched from anywhere (the one URL is the SVG namespace).
    assert_eq!(
        page.matches("http").count(),
        page.matches("http://www.w3.org/2000/svg").count()
    );
    assert!(!page.contains("<script src") && !page.contains("<link"));
    let early = client.get(format!("{base}/report")).send().await.unwrap();
    assert_eq!(early.status(), 404, "no report before the run ends");

    let mut stream = client.get(format!("{base}/events")).send().await.unwrap();
    assert_eq!(
        stream.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut body = String::new();
    while let Some(chunk) = stream.chunk().await.unwrap() {
        body.push_str(std::str::from_utf8(&chunk).unwrap());
        if body.contains("event: done") && body.ends_with("\n\n") {
            break;
        }
    }
    let status = run.wait().unwrap();
    assert!(status.success(), "{status:?}");

    let events = events(&body);
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names.first(), Some(&"run"));
    assert_eq!(names[names.len() - 2..], ["report", "done"]);
    assert!(names[1..names.len() - 2].iter().all(|n| *n == "tick"));
    let json = |e: &Sse| serde_json::from_str::<serde_json::Value>(&e.data).unwrap();
    let info = json(&events[0]);
    assert_eq!(info["scenario"], "quickstart");
    assert_eq!(info["duration_s"], 3.0);

    let ticks: Vec<serde_json::Value> = events
        .iter()
        .filter(|e| e.event == "tick")
        .map(json)
        .collect();
    assert!(ticks.len() >= 3, "a tick a second: {}", ticks.len());
    let field = |t: &serde_json::Value, k: &str| t[k].as_f64().unwrap();
    for pair in ticks.windows(2) {
        assert!(field(&pair[1], "t_s") > field(&pair[0], "t_s"));
        assert!(field(&pair[1], "arrivals") >= field(&pair[0], "arrivals"));
    }
    let last = ticks.last().unwrap();
    assert!(field(last, "arrivals") > 0.0);
    assert_eq!(field(last, "checker_violations"), 0.0);
    assert!(ticks.iter().any(|t| t["routing_p99_ms"].is_number()));

    let report = &events[events.len() - 2].data;
    assert!(report.starts_with("<!doctype html>") && report.contains("<h1>quickstart</h1>"));
    assert_eq!(
        report,
        &std::fs::read_to_string(out.join("report.html")).unwrap()
    );
    let done = json(&events[events.len() - 1]);
    assert_eq!(done["passed"], true);
    assert_eq!(done["exit_code"], 0);
    assert!(done["verdict"].as_str().unwrap().starts_with("PASS"));
    let _ = std::fs::remove_dir_all(&out);
}
