//! `/metrics` shows the server's own CPU beside its figures, so that a load test tells a server
//! short of CPU from a generator short of it.

mod support;
use axum::body::Body;
use axum::http::Request;
use omnisim_protocol::ClockMode;
use omnisim_reference_server::server::router;
use support::platform;
use tower::ServiceExt;

#[tokio::test]
async fn metrics_show_the_process_cpu_time_and_its_cores() {
    // CPU time counts in hundredths of a second: spend a few first, so it cannot read zero.
    let spent = || omnisim_reference_server::process::cpu_time().unwrap();
    while spent() < std::time::Duration::from_millis(50) {
        std::hint::black_box((0..10_000u64).sum::<u64>());
    }
    let req = Request::builder()
        .uri("/metrics")
        .body(Body::empty())
        .unwrap();
    let resp = router(platform(ClockMode::Wall))
        .oneshot(req)
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("{name} not in:\n{text}"))
    };
    let cpu = value("process_cpu_seconds_total");
    assert!((0.05..86_400.0).contains(&cpu), "{cpu}");
    assert!(text.contains("# TYPE process_cpu_seconds_total counter"));
    let cores = value("process_cpu_cores");
    let available = std::thread::available_parallelism().unwrap().get() as f64;
    assert_eq!(cores, available);
}
