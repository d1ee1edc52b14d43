//! Terminal output of a load run: the per-API table and the verdicts.

use std::io::Write;

use crate::report::model::{ApiStats, LoadModelKind, LoadReport};
use crate::report::view::ms;

fn row(s: &ApiStats) -> String {
    let codes: Vec<String> = s.rsp_codes.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    format!(
        "{:<26} {:>9} {:>9.1} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>7} {:>7}  {}",
        s.api,
        s.count,
        s.rate,
        ms(s.p50_us),
        ms(s.p90_us),
        ms(s.p95_us),
        ms(s.p99_us),
        ms(s.p999_us),
        ms(s.max_us),
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
        "{:<26} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>7} {:>7}  rsp_codes",
        "api (latency in ms)", "requests", "req/s", "p50", "p90", "p95", "p99", "p99.9", "max", "refused", "failed"
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
        for row in &b.rows {
            let verdict = if row.passed { "PASS" } else { "FAIL" };
            writeln!(out, "  {verdict} {} {} (limit {} % slower)", row.api, row.describe(), b.max_regression_pct)?;
            if row.passed { passed += 1 } else { failed += 1 }
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
    writeln!(out, "{passed} passed, {failed} failed")
}
