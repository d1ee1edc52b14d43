//! Terminal output of a load run: the per-API table and the verdicts.

use std::io::Write;

use crate::report::model::{ApiStats, Change, LoadModelKind, LoadReport};
use crate::report::view::ms;

fn row(s: &ApiStats) -> String {
    let codes: Vec<String> = s.rsp_codes.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    format!(
        "{:<26} {:>9} {:>9.1} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>7} {:>7}  {}",
        s.api,
        s.count,
        s.rate,
        ms(s.min_us),
        ms(s.p50_us),
        ms(s.p90_us),
        ms(s.p95_us),
        ms(s.p99_us),
        ms(s.p999_us),
        ms(s.max_us),
        format!("{:.2}", s.stddev_us / 1000.0),
        s.refused,
        s.failed,
        codes.join(" ")
    )
}

/// The table, thresholds and baseline rows, then a last line `N passed, N failed` over the
/// checks (thresholds and baseline comparisons).
pub fn write(r: &LoadReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "{:<26} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>7} {:>7}  rsp_codes",
        "api (latency in ms)",
        "requests",
        "req/s",
        "min",
        "p50",
        "p90",
        "p95",
        "p99",
        "p99.9",
        "max",
        "std-dev",
        "refused",
        "failed"
    )?;
    writeln!(out, "(latency of good answers only; refused = unexpected rsp_code, failed = no answer)")?;
    for s in &r.apis {
        writeln!(out, "{}", row(s))?;
    }
    writeln!(out, "{}", row(&r.overall))?;
    if r.model.kind == LoadModelKind::Open {
        writeln!(
            out,
            "open model: {} late starts (latency counted from the intended start), {} never sent",
            r.late_starts, r.dropped
        )?;
    }
    if let Some(sig) = &r.interrupted {
        writeln!(out, "INTERRUPTED by {sig}: the run was stopped early; these are partial results")?;
    } else if r.aborted {
        writeln!(out, "ABORTED: a threshold was breached (abort_on_breach)")?;
    }
    if let Some(crate::report::scale_out::ScaleOut::Merged(m)) = &r.scale_out {
        for s in &m.shards {
            writeln!(
                out,
                "shard {}/{}: {} requests, {:.1} req/s, {} errors, p99 {} ms, start skew {}{}  ({})",
                s.index,
                m.count,
                s.requests,
                s.rate,
                s.errors,
                ms(s.p99_us),
                s.start_skew_ms.map(|k| format!("{k:+.1} ms")).unwrap_or_else(|| "–".into()),
                if s.late { " LATE" } else { "" },
                s.file
            )?;
        }
    }
    let mut passed = 0;
    let mut failed = 0;
    for t in &r.thresholds {
        let verdict = if t.passed { "PASS" } else { "FAIL" };
        writeln!(out, "  {verdict} threshold {} (actual {})", t.name, t.actual)?;
        if t.passed { passed += 1 } else { failed += 1 }
    }
    if let Some(b) = &r.baseline {
        writeln!(out, "baseline {} (tolerance {} %): {}", b.file, b.max_regression_pct, b.headline())?;
        for row in &b.rows {
            writeln!(out, "  {:<5} baseline {} {} — {}", row.label(), row.api, row.describe(), row.verdict_words())?;
            if row.change() == Change::Regressed { failed += 1 } else { passed += 1 }
        }
        if let Some(note) = &b.note {
            writeln!(out, "  note: {note}")?;
        }
    }
    if r.aborted {
        failed += 1;
    }
    writeln!(
        out,
        "Summary [{:>8.3}s] {} on {}: {} requests, {:.1} req/s",
        r.duration_ms as f64 / 1000.0,
        r.profile,
        r.target.name,
        r.overall.count,
        r.overall.rate
    )?;
    writeln!(out, "{} — {}", r.verdict_label(), r.headline())?;
    writeln!(out, "{passed} passed, {failed} failed")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(r: &LoadReport) -> String {
        let mut out = Vec::new();
        write(r, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_baseline_has_units_words_and_a_headline() {
        let text = render(&crate::report::html::sample_load_report());
        assert!(
            text.contains("  FAIL  baseline transfer.withdraw p99 10.40 ms vs 9.00 ms in the baseline: 15.6 % slower — regressed (beyond noise: +12.1 to +19.8 %)"),
            "{text}"
        );
        assert!(
            text.contains("  NOISE baseline transfer.withdraw throughput 150.0 req/s vs 170.0 req/s in the baseline: 11.8 % lower throughput — within noise (±14.6 %)"),
            "{text}"
        );
        assert!(
            text.contains("FAIL — 1 of 3 baseline checks regressed (1 within noise) · 1 of 2 thresholds failed\n"),
            "{text}"
        );
        assert!(text.ends_with("3 passed, 2 failed\n"), "{text}");
    }

    #[test]
    fn an_interrupted_run_says_so_first() {
        let mut r = crate::report::html::sample_load_report();
        r.interrupted = Some("SIGINT".into());
        r.aborted = true;
        let text = render(&r);
        assert!(text.contains("INTERRUPTED by SIGINT"), "{text}");
        assert!(text.contains("FAIL — interrupted by SIGINT after 9.600 s (partial results) · "), "{text}");
    }
}
