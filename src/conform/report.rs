//! The suite's outputs: a terminal table, conformance.json, JUnit XML for CI, and an HTML page
//! in the manner of Autobahn's (a row per case, a verdict colour, details on click).

use super::{CaseReport, Verdict};
use crate::report::html::{STYLE, esc};
use std::fmt::Write;

/// Counts by verdict: pass, fail, error, excluded, skipped.
pub fn counts(reports: &[CaseReport]) -> [usize; 5] {
    let mut c = [0; 5];
    for r in reports {
        c[match r.verdict {
            Verdict::Pass => 0,
            Verdict::Fail { .. } => 1,
            Verdict::Error { .. } => 2,
            Verdict::Excluded { .. } => 3,
            Verdict::Skipped { .. } => 4,
        }] += 1;
    }
    c
}

fn label(v: &Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Fail { .. } => "FAIL",
        Verdict::Error { .. } => "ERROR",
        Verdict::Excluded { .. } => "excluded",
        Verdict::Skipped { .. } => "skipped",
    }
}

/// One line a case, then each failure's detail.
pub fn table(reports: &[CaseReport]) -> String {
    let mut out = String::new();
    for r in reports {
        let _ = writeln!(
            out,
            "{:<9} {:<14} {:<52} {:>7.0} ms  {}",
            label(&r.verdict),
            r.id,
            r.name,
            r.duration_ms,
            r.rules.join(" ")
        );
        match &r.verdict {
            Verdict::Fail {
                rule,
                expected,
                seen,
                ..
            } => {
                let _ = writeln!(out, "          {rule}: expected {expected}; saw {seen}");
            }
            Verdict::Error { what, .. } => {
                let _ = writeln!(out, "          {what}");
            }
            Verdict::Excluded { reason } => {
                let _ = writeln!(out, "          excluded: {reason}");
            }
            Verdict::Skipped { capability } => {
                let _ = writeln!(out, "          skipped: the server lacks {capability:?}");
            }
            Verdict::Pass => {}
        }
    }
    let [pass, fail, error, excluded, skipped] = counts(reports);
    let _ = writeln!(
        out,
        "\n{} cases: {pass} passed, {fail} failed, {error} errors, {excluded} excluded, {skipped} skipped",
        reports.len()
    );
    out
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// JUnit XML: one testsuite, a testcase per case (classname the rule area).
pub fn junit(reports: &[CaseReport]) -> String {
    let [_, fail, error, excluded, skipped] = counts(reports);
    let not_run = excluded + skipped;
    let total_s: f64 = reports.iter().map(|r| r.duration_ms).sum::<f64>() / 1000.0;
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"omnisim conformance\" tests=\"{}\" failures=\"{fail}\" errors=\"{error}\" skipped=\"{not_run}\" time=\"{total_s:.3}\">\n",
        reports.len()
    );
    for r in reports {
        let area = r.id.split('/').next().unwrap_or("");
        let _ = write!(
            out,
            "  <testcase classname=\"{}\" name=\"{} {}\" time=\"{:.3}\">",
            xml(area),
            xml(r.id),
            xml(r.name),
            r.duration_ms / 1000.0
        );
        match &r.verdict {
            Verdict::Pass => {}
            Verdict::Fail {
                rule,
                expected,
                seen,
            } => {
                let _ = write!(
                    out,
                    "<failure message=\"{}: expected {}; saw {}\">{}</failure>",
                    xml(rule),
                    xml(expected),
                    xml(seen),
                    xml(&r.evidence.join("\n"))
                );
            }
            Verdict::Error { what } => {
                let _ = write!(
                    out,
                    "<error message=\"{}\">{}</error>",
                    xml(what),
                    xml(&r.evidence.join("\n"))
                );
            }
            Verdict::Excluded { reason } => {
                let _ = write!(out, "<skipped message=\"{}\"/>", xml(reason));
            }
            Verdict::Skipped { capability } => {
                let _ = write!(
                    out,
                    "<skipped message=\"the server lacks {capability:?}\"/>"
                );
            }
        }
        out.push_str("</testcase>\n");
    }
    out.push_str("</testsuite>\n");
    out
}

/// An id sorted with its numbers compared as numbers: `routing/9.2` before `routing/10.1`,
/// `R-ROUTE-2` before `R-ROUTE-10`.
fn natural(id: &str) -> (&str, Vec<u32>) {
    let (stem, numbers) = id.rsplit_once(['/', '-']).unwrap_or((id, ""));
    (
        stem,
        numbers.split('.').filter_map(|n| n.parse().ok()).collect(),
    )
}

/// Where a case goes on the page: failures and errors first, then by id.
fn order(r: &CaseReport) -> (u8, (&str, Vec<u32>)) {
    let rank = match r.verdict {
        Verdict::Fail { .. } | Verdict::Error { .. } => 0,
        _ => 1,
    };
    (rank, natural(r.id))
}

/// Rules × verdicts: for each rule, how many of its cases passed, failed, erred or did not run,
/// a failing rule first.
fn matrix(h: &mut String, reports: &[CaseReport]) {
    let mut by_rule: std::collections::BTreeMap<&str, [u32; 4]> = Default::default();
    for r in reports {
        let column = match r.verdict {
            Verdict::Pass => 0,
            Verdict::Fail { .. } => 1,
            Verdict::Error { .. } => 2,
            Verdict::Excluded { .. } | Verdict::Skipped { .. } => 3,
        };
        for rule in r.rules {
            by_rule.entry(rule).or_default()[column] += 1;
        }
    }
    let mut rows: Vec<(&str, [u32; 4])> = by_rule.into_iter().collect();
    rows.sort_by_key(|(rule, n)| (n[1] + n[2] == 0, natural(rule)));
    h.push_str(
        "<h2>Rules</h2><table><tr><th>rule</th><th>passed</th><th>failed</th><th>errors</th><th>not run</th></tr>",
    );
    for (rule, [pass, fail, error, not_run]) in rows {
        let class = if fail + error > 0 { "v-FAIL" } else { "v-pass" };
        let _ = write!(
            h,
            "<tr class=\"{class}\"><td>{}</td><td>{pass}</td><td>{fail}</td><td>{error}</td><td>{not_run}</td></tr>",
            esc(rule)
        );
    }
    h.push_str("</table>");
}

/// The page: every case, failures first then by id, each unfolding to its verdict's detail and
/// its exchanges in order.
pub fn html(target: &str, reports: &[CaseReport]) -> String {
    let [pass, fail, error, excluded, skipped] = counts(reports);
    let mut h = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>omnisim conformance</title>\
         <style>{STYLE}.v-pass{{background:#dafbe1}}.v-FAIL{{background:#ffebe9}}.v-ERROR{{background:#fff1c2}}\
         .v-excluded,.v-skipped{{background:#eee}}pre{{white-space:pre-wrap;text-align:left}}\
         td:nth-child(2),td:nth-child(3),td:nth-child(4){{text-align:left}}</style></head><body>\
         <h1>Conformance of {}</h1><p>{pass} passed, {fail} failed, {error} errors, {excluded} excluded, {skipped} skipped</p>",
        esc(target)
    );
    matrix(&mut h, reports);
    h.push_str("<h2>Cases</h2><table><tr><th>case</th><th>name</th><th>rules</th><th>verdict</th><th>ms</th></tr>");
    let mut sorted: Vec<&CaseReport> = reports.iter().collect();
    sorted.sort_by_key(|r| order(r));
    for r in sorted {
        let l = label(&r.verdict);
        let said = match &r.verdict {
            Verdict::Pass => String::new(),
            Verdict::Fail {
                rule,
                expected,
                seen,
            } => format!("{rule}: expected {expected}; saw {seen}\n\n"),
            Verdict::Error { what } => format!("{what}\n\n"),
            Verdict::Excluded { reason } => format!("excluded: {reason}"),
            Verdict::Skipped { capability } => format!("the server lacks {capability:?}"),
        };
        let detail = said + &r.evidence.join("\n");
        let verdict = if detail.is_empty() {
            l.to_owned()
        } else {
            format!(
                "<details><summary>{l}</summary><pre>{}</pre></details>",
                esc(&detail)
            )
        };
        let _ = write!(
            h,
            "<tr class=\"v-{l}\"><td>{}</td><td>{}</td><td>{}</td><td>{verdict}</td><td>{:.0}</td></tr>",
            esc(r.id),
            esc(r.name),
            esc(&r.rules.join(" ")),
            r.duration_ms
        );
    }
    h.push_str("</table></body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(id: &'static str, verdict: Verdict) -> CaseReport {
        CaseReport {
            id,
            name: "n",
            rules: &["R-SESS-1"],
            verdict,
            evidence: vec![format!("GET /v1/{id} → 200 <ok>")],
            duration_ms: 1.0,
        }
    }

    #[test]
    fn the_page_lists_failures_first_then_cases_by_id_with_the_evidence() {
        let fail = Verdict::Fail {
            rule: "R-ROUTE-5".into(),
            expected: "rescinded".into(),
            seen: "nothing".into(),
        };
        let reports = [
            case("sessions/9.2", Verdict::Pass),
            case("routing/10.1", Verdict::Pass),
            case("routing/9.2", Verdict::Pass),
            case("routing/5.3", fail),
        ];
        let page = html("t", &reports);
        let at = |id: &str| page.find(&format!("<td>{id}</td>")).unwrap();
        assert!(at("routing/5.3") < at("routing/9.2"), "the failure first");
        assert!(at("routing/9.2") < at("routing/10.1"), "numbers as numbers");
        assert!(at("routing/10.1") < at("sessions/9.2"));
        assert!(page.contains("expected rescinded; saw nothing"));
        // Every case unfolds to its exchanges, a pass as much as a failure.
        for id in ["routing/5.3", "sessions/9.2"] {
            let row = &page[at(id)..];
            let row = &row[..row.find("</tr>").unwrap()];
            assert!(row.contains("<details><summary>"), "{id} unfolds");
            assert!(
                row.contains(&format!("GET /v1/{id} → 200 &lt;ok&gt;")),
                "{id}: its evidence, escaped"
            );
        }
    }

    /// The matrix counts each rule's cases by verdict, failing rules first, then rules by id
    /// with their numbers as numbers.
    #[test]
    fn the_rules_matrix_counts_verdicts_per_rule_failing_rules_first() {
        let with = |id, rules, verdict| CaseReport {
            rules,
            ..case(id, verdict)
        };
        let fail = Verdict::Fail {
            rule: "R-SESS-1".into(),
            expected: "a".into(),
            seen: "b".into(),
        };
        let reports = [
            with("routing/1.1", &["R-ROUTE-10"], Verdict::Pass),
            with("routing/1.2", &["R-ROUTE-2", "R-ROUTE-10"], Verdict::Pass),
            with("sessions/1.1", &["R-SESS-1"], fail),
            with(
                "sessions/1.2",
                &["R-SESS-1"],
                Verdict::Excluded { reason: "r".into() },
            ),
        ];
        let page = html("t", &reports);
        let matrix =
            &page[page.find("<h2>Rules</h2>").unwrap()..page.find("<h2>Cases</h2>").unwrap()];
        let row = |rule: &str| {
            let at = matrix.find(&format!("<td>{rule}</td>")).unwrap();
            (at, &matrix[at..at + matrix[at..].find("</tr>").unwrap()])
        };
        let (sess, sess_row) = row("R-SESS-1");
        let (two, two_row) = row("R-ROUTE-2");
        let (ten, ten_row) = row("R-ROUTE-10");
        assert!(sess < two && two < ten, "{matrix}");
        assert_eq!(
            sess_row,
            "<td>R-SESS-1</td><td>0</td><td>1</td><td>0</td><td>1</td>"
        );
        assert_eq!(
            two_row,
            "<td>R-ROUTE-2</td><td>1</td><td>0</td><td>0</td><td>0</td>"
        );
        assert_eq!(
            ten_row,
            "<td>R-ROUTE-10</td><td>2</td><td>0</td><td>0</td><td>0</td>"
        );
    }
}
