//! The conformance suite (`omnisim conform`): named cases, each tied to the rules of protocol.md
//! §3 it checks, run against a server speaking the protocol — each in an org of its own, so cases
//! are isolated and run concurrently — with a verdict and the evidence (its exchanges) for every case.

pub mod cases;
pub mod ctx;
pub mod report;

use crate::live::client::Client;
use ctx::{CaseResult, Ctx, Problem};
use futures_util::future::BoxFuture;
use omnisim_protocol::{Capabilities, Capability};
use serde::Serialize;
use std::time::{Duration, Instant};

/// One case of the catalog.
pub struct Case {
    /// Numbered by rule area: `routing/5.1`.
    pub id: &'static str,
    /// What it proves: `routing.push_timeout.reroutes_to_other_agent`.
    pub name: &'static str,
    pub rules: &'static [&'static str],
    /// Optional capabilities the case needs; skipped on a server that declares it lacks one.
    pub requires: &'static [Capability],
    pub run: CaseFn,
}

/// What a case does, given its own org on the target.
pub type CaseFn = Box<dyn Fn(Ctx) -> BoxFuture<'static, CaseResult> + Send + Sync>;

/// A case function of one row of a table: `f` run with `row`.
pub fn row<P, F>(f: impl Fn(Ctx, P) -> F + Send + Sync + 'static, row: P) -> CaseFn
where
    P: Clone + Send + Sync + 'static,
    F: std::future::Future<Output = CaseResult> + Send + 'static,
{
    Box::new(move |ctx| Box::pin(f(ctx, row.clone())))
}

/// A case's verdict.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail {
        rule: String,
        expected: String,
        seen: String,
    },
    /// The server misbehaved at the protocol level.
    Error {
        what: String,
    },
    /// Left out by the user, with the reason they gave.
    Excluded {
        reason: String,
    },
    /// The server declares it lacks an optional capability the case needs (or does not declare
    /// a manual clock, for the cases that check timers to the millisecond).
    Skipped {
        capability: Capability,
    },
}

/// What one case gave.
#[derive(Clone, Debug, Serialize)]
pub struct CaseReport {
    pub id: &'static str,
    pub name: &'static str,
    pub rules: &'static [&'static str],
    #[serde(flatten)]
    pub verdict: Verdict,
    /// The case's HTTP exchanges and socket frames, in order: what a reader unfolds to see
    /// what the case did, whatever its verdict.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    pub duration_ms: f64,
}

/// Which cases to run.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Globs over ids and names (`routing/*`, `*push_timeout*`); none: all.
    pub filter: Vec<String>,
    /// Globs excluded, with the written reason carried into the report.
    pub exclude: Vec<String>,
    pub reason: String,
}

impl Selection {
    fn matches(globs: &[String], case: &Case) -> bool {
        globs.iter().any(|g| glob(g, case.id) || glob(g, case.name))
    }

    /// Whether `case` runs, is excluded, or is not selected at all.
    pub fn pick(&self, case: &Case) -> Option<bool> {
        if !self.filter.is_empty() && !Self::matches(&self.filter, case) {
            return None;
        }
        Some(!Self::matches(&self.exclude, case))
    }
}

/// `*` matches any run of characters, `?` one.
pub fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    go(&p, &t)
}

/// How long one case may take before it counts as an error.
pub const CASE_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the selected cases against `url` over plain HTTP, `jobs` at a time, in catalog order in
/// the report.
pub async fn run(
    url: &str,
    admin_token: &str,
    selection: &Selection,
    jobs: usize,
) -> Vec<CaseReport> {
    run_with(Client::new(url), admin_token, selection, jobs).await
}

/// [`run`] through `client`: a target reached over TLS or with extra headers.
pub async fn run_with(
    client: Client,
    admin_token: &str,
    selection: &Selection,
    jobs: usize,
) -> Vec<CaseReport> {
    let offers = capabilities(&client).await;
    let semaphore = std::sync::Arc::new(tokio::sync::Semaphore::new(jobs.max(1)));
    let mut tasks = Vec::new();
    for case in cases::catalog() {
        let Some(runs) = selection.pick(&case) else {
            continue;
        };
        let missing = case.requires.iter().find(|c| !offers.has(**c)).copied();
        let not_run = match (runs, missing) {
            (false, _) => Some(Verdict::Excluded {
                reason: selection.reason.clone(),
            }),
            (true, Some(capability)) => Some(Verdict::Skipped { capability }),
            (true, None) => None,
        };
        if let Some(verdict) = not_run {
            tasks.push(tokio::spawn(std::future::ready(CaseReport {
                id: case.id,
                name: case.name,
                rules: case.rules,
                verdict,
                evidence: Vec::new(),
                duration_ms: 0.0,
            })));
            continue;
        }
        let (client, admin, semaphore, clock) = (
            client.clone(),
            admin_token.to_owned(),
            semaphore.clone(),
            offers.clock,
        );
        tasks.push(tokio::spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            let start = Instant::now();
            let (verdict, evidence) = match Ctx::new(client, &admin, clock, case.id).await {
                Err(p) => (verdict(Err(p)), Vec::new()),
                Ok(ctx) => {
                    let log = ctx.log();
                    let result = tokio::time::timeout(CASE_TIMEOUT, (case.run)(ctx))
                        .await
                        .unwrap_or_else(|_| {
                            Err(ctx::error(format!(
                                "the case did not finish within {CASE_TIMEOUT:?}"
                            )))
                        });
                    let evidence = log.lock().map(|l| l.clone()).unwrap_or_default();
                    (verdict(result), evidence)
                }
            };
            CaseReport {
                id: case.id,
                name: case.name,
                rules: case.rules,
                verdict,
                evidence,
                duration_ms: start.elapsed().as_secs_f64() * 1000.0,
            }
        }));
    }
    let mut reports = Vec::new();
    for t in tasks {
        if let Ok(r) = t.await {
            reports.push(r);
        }
    }
    reports
}

/// What the server declares it lacks: `GET /v1/capabilities`; a server without the route (or
/// with an unreadable answer) lacks nothing, so every case runs.
async fn capabilities(client: &Client) -> Capabilities {
    match client
        .raw(http::Method::GET, None, "/v1/capabilities", None)
        .await
    {
        Ok((200, body)) => serde_json::from_str(&body).unwrap_or_default(),
        _ => Capabilities::default(),
    }
}

fn verdict(result: CaseResult) -> Verdict {
    match result {
        Ok(()) => Verdict::Pass,
        Err(Problem::Fail {
            rule,
            expected,
            seen,
        }) => Verdict::Fail {
            rule,
            expected,
            seen,
        },
        Err(Problem::Error { what }) => Verdict::Error { what },
    }
}
