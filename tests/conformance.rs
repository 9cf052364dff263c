//! `omnisim conform` against the embedded reference server: every case passes, selections and
//! exclusions behave, and the JUnit XML says what happened.

use omnisim::conform::{self, Selection, Verdict, glob, report};
use omnisim::live::embedded::Embedded;
use omnisim::protocol::{Capability, ClockMode};
use omnisim::reference_server::faults::{Fault, Faults};

/// On manual clocks every case runs and passes, the exact timer cases included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_server_passes_every_case() {
    let server = Embedded::with(Faults::NONE, ClockMode::Manual).unwrap();
    let reports = conform::run(&server.url, &server.admin_token, &Selection::default(), 8).await;
    assert_eq!(reports.len(), conform::cases::catalog().len());
    for r in &reports {
        assert_eq!(
            r.verdict,
            Verdict::Pass,
            "{} {}: {:?}",
            r.id,
            r.name,
            r.verdict
        );
    }
    let junit = report::junit(&reports);
    assert!(junit.contains(&format!(
        "tests=\"{}\" failures=\"0\" errors=\"0\"",
        reports.len()
    )));
    server.stop();
}

/// On the wall clock the timer cases let real time pass and pass too; the cases that need a
/// manual clock are skipped, saying so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_wall_clock_the_exact_timer_cases_are_skipped_and_the_rest_pass() {
    let server = Embedded::start().unwrap();
    let reports = conform::run(&server.url, &server.admin_token, &Selection::default(), 8).await;
    let catalog = conform::cases::catalog();
    for r in &reports {
        let needs_manual = catalog
            .iter()
            .any(|c| c.id == r.id && c.requires.contains(&Capability::ManualClock));
        let expected = if needs_manual {
            Verdict::Skipped {
                capability: Capability::ManualClock,
            }
        } else {
            Verdict::Pass
        };
        assert_eq!(r.verdict, expected, "{} {}", r.id, r.name);
    }
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exclusions_carry_their_reason_and_filters_select() {
    let server = Embedded::start().unwrap();
    let selection = Selection {
        filter: vec!["sessions/*".into()],
        exclude: vec!["*duplicate*".into()],
        reason: "provider ids are not kept on this target".into(),
    };
    let reports = conform::run(&server.url, &server.admin_token, &selection, 2).await;
    assert!(reports.iter().all(|r| r.id.starts_with("sessions/")));
    let excluded: Vec<_> = reports
        .iter()
        .filter(|r| matches!(&r.verdict, Verdict::Excluded { reason } if reason.contains("provider ids")))
        .collect();
    assert_eq!(excluded.len(), 1);
    assert!(report::junit(&reports).contains("<skipped message=\"provider ids are not kept"));
    server.stop();
}

#[test]
fn globs_match_ids_and_names() {
    assert!(glob("routing/*", "routing/5.1"));
    assert!(glob(
        "*push_timeout*",
        "routing.push_timeout.reroutes_to_other_agent"
    ));
    assert!(glob("routing/5.?", "routing/5.1"));
    assert!(!glob("routing/*", "sessions/1.1"));
}

/// The rule ids of the protocol document's §3, in order.
fn protocol_rules() -> Vec<String> {
    let spec = std::fs::read_to_string("docs/protocol.md").expect("docs/protocol.md");
    spec.lines()
        .filter_map(|l| l.strip_prefix("- **R-"))
        .filter_map(|l| l.split("**").next())
        .map(|id| format!("R-{id}"))
        .collect()
}

#[test]
fn every_rule_of_the_protocol_has_a_case() {
    let ids = protocol_rules();
    assert!(ids.len() >= 38, "read only {} rule ids", ids.len());
    let named: Vec<&str> = conform::cases::catalog()
        .iter()
        .flat_map(|c| c.rules.iter().copied())
        .collect();
    for rule in ids {
        assert!(named.contains(&rule.as_str()), "no case checks {rule}");
    }
}

#[test]
fn every_case_has_a_unique_id_and_name_and_names_real_rules() {
    let rules = protocol_rules();
    let catalog = conform::cases::catalog();
    let mut ids: Vec<_> = catalog.iter().map(|c| c.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), catalog.len());
    let mut names: Vec<_> = catalog.iter().map(|c| c.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), catalog.len());
    for c in &catalog {
        assert!(!c.rules.is_empty(), "{}", c.id);
        for r in c.rules {
            assert!(rules.iter().any(|id| id == r), "{}: {r}", c.id);
        }
    }
}

/// The proof that the suite catches bugs: every fault switch of the reference server makes at
/// least one case fail, and that case names the rule the fault breaks (or, for a broken wire,
/// errs naming what is not the protocol).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_is_caught_by_a_case_naming_its_rule() {
    assert!(Fault::ALL.len() >= 30, "{} faults", Fault::ALL.len());
    // Most of a run is waiting on the network and on quiet periods, so a few faults at a time.
    let mut unnoticed = Vec::new();
    for chunk in Fault::ALL.chunks(4) {
        let runs = chunk.iter().map(|&fault| async move {
            let server = Embedded::with(Faults::NONE.with(fault), ClockMode::Manual).unwrap();
            let reports =
                conform::run(&server.url, &server.admin_token, &Selection::default(), 8).await;
            server.stop();
            // A broken wire breaks no rule: it is caught as an error naming the field.
            let caught = reports.iter().any(|r| match &r.verdict {
                Verdict::Fail { rule, .. } => rule == fault.rule(),
                Verdict::Error { what, .. } => {
                    fault.rule() == "wire" && what.contains("not the protocol")
                }
                _ => false,
            });
            let seen: Vec<_> = reports
                .iter()
                .filter(|r| r.verdict != Verdict::Pass)
                .map(|r| format!("{} {:?}", r.id, r.verdict))
                .collect();
            (!caught).then(|| format!("{fault} ({}): {seen:?}", fault.rule()))
        });
        unnoticed.extend(
            futures_util::future::join_all(runs)
                .await
                .into_iter()
                .flatten(),
        );
    }
    assert!(
        unnoticed.is_empty(),
        "went unnoticed:\n{}",
        unnoticed.join("\n")
    );
}

/// A server that declares it lacks outbound gets those cases skipped, not failed. The stand-in
/// answers only `/v1/capabilities`; everything else is 404, so the other cases error.
#[tokio::test]
async fn cases_of_a_capability_the_server_lacks_are_skipped() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = tcp.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]);
                let (status, body) = if head.starts_with("GET /v1/capabilities ") {
                    ("200 OK", r#"{"lacks": ["outbound"]}"#)
                } else {
                    (
                        "404 Not Found",
                        r#"{"code": "route_not_found", "message": "no"}"#,
                    )
                };
                let reply = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tcp.write_all(reply.as_bytes()).await;
            });
        }
    });
    let reports = conform::run(&url, "admin-token-0000000000", &Selection::default(), 4).await;
    let catalog = conform::cases::catalog();
    for r in &reports {
        let needs = |c: Capability| {
            catalog
                .iter()
                .any(|k| k.id == r.id && k.requires.contains(&c))
        };
        // Outbound is declared missing; a server that says nothing of its clock runs on the wall.
        let skipped_for = [Capability::Outbound, Capability::ManualClock]
            .into_iter()
            .find(|c| needs(*c));
        match (&r.verdict, skipped_for) {
            (Verdict::Skipped { capability }, Some(c)) => assert_eq!(*capability, c, "{}", r.id),
            (Verdict::Error { .. }, None) => {}
            (other, _) => panic!("{}: {other:?} from a server that answers nothing", r.id),
        }
    }
    assert!(
        reports
            .iter()
            .any(|r| matches!(r.verdict, Verdict::Skipped { .. }))
    );
}

/// docs/conformance.md lists every case of the catalog and every fault switch.
#[test]
fn the_conformance_document_lists_every_case_and_fault() {
    let doc = std::fs::read_to_string("docs/conformance.md").expect("docs/conformance.md");
    for c in conform::cases::catalog() {
        assert!(
            doc.contains(&format!("| {} | {} |", c.id, c.name)),
            "{} {} is not in docs/conformance.md",
            c.id,
            c.name
        );
    }
    for f in Fault::ALL {
        assert!(
            doc.contains(&format!("| `{}` | {} |", f.name(), f.rule())),
            "{f} is not in docs/conformance.md"
        );
    }
}
