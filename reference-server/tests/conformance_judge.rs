//! The mutation judge: the conformance suite alone, run by a prebuilt `omnisim conform` against
//! this crate's server as it is built now, so that a mutant of the engine is judged by what a
//! team running the suite against its own server would see, not by the engine's unit tests.
//! `bench/mutants.sh` runs it under cargo-mutants; it needs `OMNISIM_CONFORM_BIN`, the path of
//! an `omnisim` binary built from the unmutated tree.

use omnisim_protocol::ClockMode;
use omnisim_reference_server::server::{self, ServerConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the mutation judge: bench/mutants.sh runs it with OMNISIM_CONFORM_BIN set"]
async fn the_conformance_suite_passes_against_this_build() {
    let bin = std::env::var("OMNISIM_CONFORM_BIN")
        .expect("OMNISIM_CONFORM_BIN: the omnisim binary that runs the suite");
    // Both clocks: timers fire through the manual clock's advance on one, the timer task on the
    // other.
    for clock in [ClockMode::Manual, ClockMode::Wall] {
        let admin = "mutation-judge-admin-token";
        let running = server::start(ServerConfig {
            addr: "127.0.0.1:0".parse().expect("a literal address"),
            admin_token: Some(admin.into()),
            clock,
            ..ServerConfig::default()
        })
        .await
        .expect("the server starts");
        let out = std::env::temp_dir().join(format!("omnisim-judge-{}", std::process::id()));
        let (url, bin) = (running.url(), bin.clone());
        let status = tokio::task::spawn_blocking(move || {
            std::process::Command::new(bin)
                .args([
                    "conform",
                    "--target",
                    &url,
                    "--admin-token",
                    admin,
                    "--jobs",
                    "8",
                ])
                .arg("--out")
                .arg(&out)
                .stdout(std::process::Stdio::null())
                .status()
        })
        .await
        .expect("the suite's process is awaited")
        .expect("the suite runs");
        running.shutdown().await.expect("the server stops");
        assert!(
            status.success(),
            "the conformance suite failed on the {clock:?} clock: {status}"
        );
    }
}
