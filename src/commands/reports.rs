//! `obharness report`: re-rendering a saved run or a bundle's reports, and merging shards.

use super::*;

#[derive(clap::Args)]
pub struct MergeCommand {
    /// The shards' JSON files, or directories of them (every *.json inside).
    #[arg(required = true, value_name = "SHARD.json")]
    pub shards: Vec<PathBuf>,
    /// Wait up to this long for every shard's file (e.g. 30m), as a merge Job started beside
    /// the shards does.
    #[arg(long, value_parser = parse_span, value_name = "DURATION")]
    pub wait: Option<std::time::Duration>,
    /// Write the merged run model (with HDR histograms) as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write a JUnit XML report (one testcase per threshold).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Compare p95, p99 and throughput per API with an earlier run's JSON.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Largest regression allowed against the baseline.
    #[arg(long, default_value = "10%", value_parser = parse_percent, value_name = "PERCENT")]
    pub max_regression: f64,
    #[command(flatten)]
    pub outputs: Outputs,
}

/// `obharness report merge`: 0 when the merged run passes, 1 when it fails, 2 when the files
/// are not the shards of one run.
pub fn merge(cmd: MergeCommand) -> anyhow::Result<u8> {
    use crate::load::merge;
    let inputs = match merge::collect(&cmd.shards, cmd.wait, &mut |note| say!("  {note}")) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::USAGE);
        }
    };
    let mut report = match merge::merge(&inputs) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::USAGE);
        }
    };
    say!("obharness report merge: {} shard(s) of {} against {}", inputs.len(), report.profile, report.target.name);
    if let Some(path) = &cmd.baseline {
        let text = match crate::scenario::input::read_text_limited(path, crate::scenario::input::MAX_RUN_JSON_BYTES) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {}: {}", path.display(), e.message);
                return Ok(exit::USAGE);
            }
        };
        let base = match serde_json::from_str::<report::model::LoadReport>(&text) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: {}:{}:{}: not a load run's JSON: {e}", path.display(), e.line(), e.column());
                return Ok(exit::USAGE);
            }
        };
        let cmp = crate::load::verdict::compare(&report, &base, &path.display().to_string(), cmd.max_regression);
        report.passed &= cmp.rows.iter().all(|r| r.passed);
        report.baseline = Some(cmp);
    }
    super::load::write_load_reports(&report, cmd.json.as_deref(), cmd.junit.as_deref(), &cmd.outputs)?;
    Ok(if report.passed { exit::SUCCESS } else { exit::FAILURES })
}

/// A saved run's model, as `--json` wrote it.
enum Saved {
    Run(Box<report::RunReport>),
    Load(Box<report::model::LoadReport>),
}

fn read_saved(json: &Path) -> anyhow::Result<Saved> {
    let text = crate::scenario::input::read_text_limited(json, crate::scenario::input::MAX_RUN_JSON_BYTES)
        .map_err(|e| exit::usage(format!("{}: {}", json.display(), e.message)))?;
    let kind = serde_json::from_str::<serde_json::Value>(&text)
        .map_err(|e| exit::usage(format!("{}:{}:{}: not JSON: {e}", json.display(), e.line(), e.column())))?
        .get("kind")
        .and_then(|k| k.as_str())
        .unwrap_or("")
        .to_string();
    let bad = |e: serde_json::Error| {
        exit::usage(format!("{}:{}:{}: not a run model: {e}", json.display(), e.line(), e.column()))
    };
    Ok(if kind == "load" {
        Saved::Load(Box::new(serde_json::from_str(&text).map_err(bad)?))
    } else {
        Saved::Run(Box::new(report::json::read(&text).map_err(bad)?))
    })
}

/// `obharness report FILE.json`: re-renders a saved run (conformance or load).
pub fn rerender(json: &Path, html: Option<&Path>, markdown: Option<&Path>) -> anyhow::Result<u8> {
    let saved = read_saved(json)?;
    if html.is_none() && markdown.is_none() {
        return Err(exit::usage("nothing to write: give --html FILE and/or --markdown FILE"));
    }
    match &saved {
        Saved::Load(r) => {
            if let Some(p) = html {
                write_file(p, |w| report::html::write_load(r, w))?;
            }
            if let Some(p) = markdown {
                write_file(p, |w| report::markdown::write_load(r, w))?;
            }
        }
        Saved::Run(r) => {
            if let Some(p) = html {
                write_file(p, |w| report::html::write_conformance(r, w))?;
            }
            if let Some(p) = markdown {
                write_file(p, |w| report::markdown::write_conformance(r, w))?;
            }
        }
    }
    Ok(exit::SUCCESS)
}

/// `obharness report FILE [--html [OUT]] [--markdown [OUT]]`: an evidence bundle's own reports
/// (checked first), or a saved run re-rendered. Without OUT, the HTML goes to the temporary
/// directory and is opened, the Markdown to stdout.
pub fn report(input: &Path, html: Option<Option<PathBuf>>, markdown: Option<Option<PathBuf>>) -> anyhow::Result<u8> {
    if html.is_none() && markdown.is_none() {
        return Err(exit::usage("nothing to write: give --html [FILE] and/or --markdown [FILE]"));
    }
    if crate::evidence::command::is_bundle(input) {
        return crate::evidence::command::report(input, html, markdown);
    }
    let open = matches!(html, Some(None));
    let stem = input.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "run".into());
    let html = html.map(|h| h.unwrap_or_else(|| crate::evidence::command::temp_report(&stem, "html")));
    let to_stdout = matches!(markdown, Some(None));
    let markdown = markdown.flatten();
    if html.is_some() || markdown.is_some() {
        rerender(input, html.as_deref(), markdown.as_deref())?;
    }
    if to_stdout {
        let mut out = Vec::new();
        match read_saved(input)? {
            Saved::Run(r) => report::markdown::write_conformance(&r, &mut out)?,
            Saved::Load(r) => report::markdown::write_load(&r, &mut out)?,
        }
        std::io::stdout().write_all(&out)?;
    }
    if let (Some(path), true) = (&html, open) {
        crate::evidence::command::open_in_browser(path);
    }
    Ok(exit::SUCCESS)
}
