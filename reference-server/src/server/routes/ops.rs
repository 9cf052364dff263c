//! Operations: liveness and Prometheus metrics.

use crate::server::platform::Platform;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use std::fmt::Write;

/// `GET /healthz`.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /v1/capabilities`: the reference server implements every optional capability, and says
/// which clock it runs on and how long it keeps ended sessions (R-SESS-10).
pub async fn capabilities(State(p): State<Platform>) -> axum::Json<omnisim_protocol::Capabilities> {
    axum::Json(omnisim_protocol::Capabilities {
        lacks: Vec::new(),
        clock: p.settings().clock,
        retention_ms: p.settings().retention,
    })
}

/// `GET /metrics`: sessions by status, queue depth, agents by presence, open sockets, routing
/// counters and the routing latency histogram, and the process's CPU time and cores, in
/// Prometheus text format.
pub async fn metrics(State(p): State<Platform>) -> impl IntoResponse {
    let mut out = String::new();
    {
        let core = p.lock();
        let stats = core.engine.stats();
        let _ = writeln!(
            out,
            "# HELP omnisim_orgs Orgs.\n# TYPE omnisim_orgs gauge\nomnisim_orgs {}",
            stats.orgs
        );
        let _ = writeln!(
            out,
            "# HELP omnisim_sessions Sessions by status.\n# TYPE omnisim_sessions gauge"
        );
        for (status, n) in &stats.sessions {
            let status = serde_json::to_value(status).unwrap_or_default();
            let _ = writeln!(out, "omnisim_sessions{{status={status}}} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP omnisim_agents Agents by presence.\n# TYPE omnisim_agents gauge"
        );
        for (presence, n) in &stats.agents {
            let presence = serde_json::to_value(presence).unwrap_or_default();
            let _ = writeln!(out, "omnisim_agents{{presence={presence}}} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP omnisim_queue_depth Sessions waiting per queue, offered ones included.\n# TYPE omnisim_queue_depth gauge"
        );
        for (org, queue, n) in &stats.queues {
            let _ = writeln!(
                out,
                "omnisim_queue_depth{{org=\"{}\",queue=\"{}\"}} {n}",
                org.0, queue.0
            );
        }
        let _ = writeln!(
            out,
            "# HELP omnisim_sockets Open sockets.\n# TYPE omnisim_sockets gauge\nomnisim_sockets {}",
            p.sockets()
        );
        core.metrics.render(&mut out);
    }
    // Outside the lock: reading /proc is a system call or two.
    if let Some(cpu) = crate::process::cpu_time() {
        let _ = writeln!(
            out,
            "# HELP process_cpu_seconds_total User and system CPU time the server process spent.\n\
             # TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total {}",
            cpu.as_secs_f64()
        );
    }
    let _ = writeln!(
        out,
        "# HELP process_cpu_cores Cores the server process may run on.\n\
         # TYPE process_cpu_cores gauge\nprocess_cpu_cores {}",
        crate::process::cores()
    );
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}
