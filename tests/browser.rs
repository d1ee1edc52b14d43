//! The HTML reports in a real browser: headless Chromium opens a generated conformance report
//! and a generated load report, the pages load and run their script with no console output,
//! the charts' SVG elements are present and drawn, and screenshots are written under
//! `reports/browser-test/` (conformance) and `target/tmp/browser-test/` (load: at 1,400 px and
//! 390 px, with a probe that fails on a page wider than a phone or text under 11 px).
//!
//! Needs Chromium: `OBH_CHROMIUM`, else `chromium`, `chromium-browser` or `google-chrome` on
//! `PATH` (Debian: `apt-get install -y chromium fonts-noto-cjk`). Under `CI=true` (and `.ci/run`
//! installs it) a missing browser fails the test; elsewhere the tests print a loud notice and
//! skip, so `cargo test` passes on a fresh machine. `OBH_SKIP_BROWSER=1` skips on purpose.
//!
//! Console check: this Chromium logs every console message of a page with
//! `--enable-logging=stderr` as `INFO:CONSOLE:<line>] "<message>", source: <url> (<line>)`,
//! without its level, and uncaught exceptions as `"Uncaught …"`. The reports write nothing to
//! the console, so any console line from the page fails the test; [`console_check_is_real`]
//! proves the check catches a `console.error` and an uncaught exception on this Chromium.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use obharness::report::model::{
    ApiSecond, ApiStats, BaselineComparison, BaselineRow, Change, CheckFailure, LoadModelInfo, LoadReport, Outcome,
    RunReport, ScenarioResult, SecondStats, StepResult, TargetInfo, ThresholdResult,
};
use obharness::report::{html, model};
use serde_json::json;

/// Longest a Chromium run may take before it is killed and the test fails.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The Chromium to drive: `OBH_CHROMIUM`, else the first known name found on `PATH`.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("OBH_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser", "google-chrome"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// The browser to use, or `None` (after a loud notice) when the test should skip: on request
/// with `OBH_SKIP_BROWSER=1`, or when Chromium is missing outside CI. Under `CI=true` a missing
/// Chromium fails the test, so CI never passes without the browser check.
fn browser() -> Option<PathBuf> {
    if std::env::var("OBH_SKIP_BROWSER").is_ok_and(|v| v == "1") {
        eprintln!("notice: OBH_SKIP_BROWSER=1, skipping the headless Chromium test");
        return None;
    }
    let found = chromium();
    if found.is_none() {
        let hint = "install it with `apt-get install -y chromium fonts-noto-cjk` (Debian) or point OBH_CHROMIUM at it";
        let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(!in_ci, "Chromium is not on PATH and CI=true requires the browser test: {hint}");
        // Straight to the process's stderr, once: the test harness would swallow an
        // `eprintln!` of a passing test.
        static NOTICE: std::sync::Once = std::sync::Once::new();
        NOTICE.call_once(|| {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr().lock(),
                "\n!!! SKIPPED: the HTML reports were NOT checked in a browser: Chromium is not on PATH.\n!!! To run these tests, {hint}.\n"
            );
        });
    }
    found
}

fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("reports").join("browser-test");
    fs::create_dir_all(&dir).unwrap();
    dir
}

struct Page {
    /// The DOM after load and scripts (`--dump-dom`).
    dom: String,
    /// Console lines of the page and uncaught exceptions.
    console: Vec<String>,
}

/// Opens `url` in headless Chromium with a fresh profile, optionally writing a screenshot, and
/// returns the DOM and the page's console lines. Killed (with its process group) after
/// [`TIMEOUT`].
fn open(chromium: &Path, url: &str, screenshot: Option<&Path>) -> Page {
    open_sized(chromium, url, screenshot, (1280, 2000))
}

/// [`open`] in a window of `size` (width, height) pixels.
fn open_sized(chromium: &Path, url: &str, screenshot: Option<&Path>, size: (u32, u32)) -> Page {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let scratch = std::env::temp_dir().join(format!(
        "obh-browser-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::SeqCst)
    ));
    fs::create_dir_all(&scratch).unwrap();
    let (stdout_path, stderr_path) = (scratch.join("stdout"), scratch.join("stderr"));
    let mut command = Command::new(chromium);
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--window-size={},{}", size.0, size.1))
        .arg(format!("--user-data-dir={}", scratch.join("profile").display()))
        .arg("--dump-dom");
    if let Some(png) = screenshot {
        command.arg(format!("--screenshot={}", png.display()));
    }
    command
        .arg(url)
        .stdin(Stdio::null())
        .stdout(fs::File::create(&stdout_path).unwrap())
        .stderr(fs::File::create(&stderr_path).unwrap());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot start {}: {e}", chromium.display()));
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            // The browser and its helpers share the process group started above.
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status();
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish {url} within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(25));
    };
    let dom = fs::read_to_string(&stdout_path).unwrap();
    let stderr = fs::read_to_string(&stderr_path).unwrap();
    let _ = fs::remove_dir_all(&scratch);
    assert!(status.success(), "chromium failed on {url} ({status}):\n{stderr}");
    Page { dom, console: console_lines(&stderr) }
}

/// Lines of Chromium's log that come from a page's console, or report an uncaught exception.
fn console_lines(stderr: &str) -> Vec<String> {
    stderr.lines().filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught")).map(str::to_string).collect()
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.canonicalize().unwrap().display())
}

fn write(path: &Path, render: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) {
    let mut out = Vec::new();
    render(&mut out).unwrap();
    fs::write(path, out).unwrap();
}

/// The width and height of a PNG file.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("no screenshot {}: {e}", path.display()));
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n") && &bytes[12..16] == b"IHDR", "not a PNG: {}", path.display());
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

/// The `<svg class="chart"` elements of a DOM, each up to its `</svg>`.
fn charts(dom: &str) -> Vec<&str> {
    dom.match_indices("<svg class=\"chart ")
        .map(|(at, _)| &dom[at..at + dom[at..].find("</svg>").expect("unclosed svg")])
        .collect()
}

fn has_drawn_path(svg: &str) -> bool {
    svg.split("<path ").skip(1).any(|p| {
        let d = p.split("d=\"").nth(1).map(|rest| &rest[..rest.find('"').unwrap()]).unwrap_or("");
        d.starts_with('M') && d.contains(" L")
    })
}

fn has_drawn_rect(svg: &str) -> bool {
    svg.split("<rect ").skip(1).any(|r| {
        let width = r.split("width=\"").nth(1).map(|rest| &rest[..rest.find('"').unwrap()]).unwrap_or("0");
        width.parse::<f64>().is_ok_and(|w| w > 0.0)
    })
}

#[test]
fn conformance_report_in_chromium() {
    let Some(chromium) = browser() else {
        return;
    };
    let dir = out_dir();
    let (page_path, png) = (dir.join("conformance.html"), dir.join("conformance.png"));
    write(&page_path, |out| html::write_conformance(&conformance_run(), out));
    let _ = fs::remove_file(&png);
    let page = open(&chromium, &file_url(&page_path), Some(&png));

    assert!(page.console.is_empty(), "console output:\n{}", page.console.join("\n"));
    assert!(page.dom.contains("<h1>Conformance report — 오픈뱅킹 테스트베드</h1>"), "page not loaded:\n{}", page.dom);
    assert!(page.dom.contains("<html lang=\"en\" class=\"js\">"), "the page's script did not run");
    assert!(!page.dom.contains("id=\"filter\" hidden"), "the filter is shown once the script ran");
    assert!(page.dom.contains("<span class=\"muted\" id=\"shown\">10 of 10 scenarios shown</span>"));
    assert!(page.dom.contains("id=\"coverage-codes\"") && page.dom.contains("id=\"quirks\""));
    // The failures lead the page, each with the KFTC rule it breaks and a request to replay.
    let failures = page.dom.find("<section id=\"failures\">").expect("a failures section");
    assert!(failures < page.dom.find("<section id=\"coverage\">").unwrap(), "failures come before the matrix");
    assert!(page.dom.contains("KFTC 오픈뱅킹 응답코드 처리 안내 — A0326"), "the rule in KFTC's words");
    assert!(page.dom.contains("<pre class=\"curl\">curl -sS -X POST"), "the request as curl");
    assert_eq!(png_size(&png), (1280, 2000));
    eprintln!("screenshot: {}", png.display());

    // At 1,400 px and on a phone (390 px): nothing wider than the window, no text under 11 px.
    let dir = load_out_dir();
    let html = fs::read_to_string(&page_path).unwrap().replace("</body>", &format!("{LAYOUT_PROBE}\n</body>"));
    let desktop = dir.join("conformance-probed.html");
    fs::write(&desktop, &html).unwrap();
    let png = dir.join("conformance-1400.png");
    let page = open_sized(&chromium, &file_url(&desktop), Some(&png), (1400, 3000));
    let p = probe(&page.dom);
    assert!(p["scrollWidth"].as_u64() <= p["clientWidth"].as_u64(), "horizontal overflow at 1,400 px: {p}");
    assert_eq!(png_size(&png), (1400, 3000));
    eprintln!("screenshot: {} ({p})", png.display());
    let phone = dir.join("conformance-phone.html");
    fs::write(&phone, phone_frame(&html, 20_000)).unwrap();
    let png = dir.join("conformance-390.png");
    let page = open_sized(&chromium, &file_url(&phone), Some(&png), (390, 3000));
    assert!(page.console.is_empty(), "console output:\n{}", page.console.join("\n"));
    let p = probe(&page.dom);
    assert_eq!(p["clientWidth"].as_u64(), Some(390), "{p}");
    assert!(p["scrollWidth"].as_u64() <= Some(390), "the page is wider than the phone: {p}");
    assert!(p["minHtml"].as_f64().unwrap() >= 11.0, "text below 11 px: {p}");
    assert_eq!(png_size(&png), (390, 3000));
    eprintln!("screenshot: {} ({p})", png.display());
}

#[test]
fn conformance_filter_from_the_query() {
    let Some(chromium) = browser() else {
        return;
    };
    let dir = out_dir();
    let page_path = dir.join("conformance-filter.html");
    write(&page_path, |out| html::write_conformance(&conformance_run(), out));
    let page = open(&chromium, &format!("{}?verdict=fail%20error%20xpass", file_url(&page_path)), None);
    assert!(page.console.is_empty(), "console output:\n{}", page.console.join("\n"));
    assert!(page.dom.contains("<span class=\"muted\" id=\"shown\">3 of 10 scenarios shown</span>"), "{}", page.dom);
    let body = &page.dom[page.dom.find("<table id=\"scenario-table\">").unwrap()..];
    let body = &body[..body.find("</table>").unwrap()];
    assert_eq!(body.matches("<tr class=").count(), 10);
    assert_eq!(body.matches(" hidden=\"\">").count(), 7, "{body}");
    let page = open(&chromium, &format!("{}?q=%EC%B6%9C%EA%B8%88", file_url(&page_path)), None); // q=출금
    assert!(page.dom.contains("id=\"shown\">2 of 10 scenarios shown</span>"), "{}", page.dom);
}

/// Where the load test writes its pages and screenshots: a test artifact under `target/`.
fn load_out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-test");
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// A script appended to a copy of the page: once laid out, it writes what the test checks into
/// the DOM (`--dump-dom` has no other way out): the page's width against the window's, the
/// smallest text on screen in CSS pixels (an SVG's text scaled by the SVG's size), and which
/// charts are shown.
const LAYOUT_PROBE: &str = r#"<script>
(function () {
  var doc = document.documentElement, minSvg = 1e9, minSvgWhere = '', minHtml = 1e9, minHtmlWhere = '';
  var shown = { wide: 0, narrow: 0 };
  document.querySelectorAll('svg.chart').forEach(function (svg) {
    var box = svg.getBoundingClientRect();
    if (box.width === 0) return;
    shown[svg.classList.contains('narrow') ? 'narrow' : 'wide'] += 1;
    var scale = box.width / svg.viewBox.baseVal.width;
    svg.querySelectorAll('text').forEach(function (t) {
      if (!t.textContent.trim()) return;
      var px = parseFloat(t.getAttribute('font-size')) * scale;
      if (px < minSvg) { minSvg = px; minSvgWhere = svg.getAttribute('aria-label') + ': ' + t.textContent; }
      var r = t.getBoundingClientRect();
      if (r.right > box.right + 1 || r.left < box.left - 1) { minSvgWhere = 'CLIPPED ' + t.textContent; minSvg = -1; }
    });
  });
  document.querySelectorAll('body *').forEach(function (e) {
    if (e.closest('svg') || e.tagName === 'SCRIPT' || e.tagName === 'STYLE') return;
    var text = Array.prototype.some.call(e.childNodes, function (n) { return n.nodeType === 3 && n.textContent.trim(); });
    if (!text || e.getBoundingClientRect().width === 0) return;
    var px = parseFloat(getComputedStyle(e).fontSize);
    if (px < minHtml) { minHtml = px; minHtmlWhere = e.tagName + ': ' + e.textContent.slice(0, 40); }
  });
  // In a phone's frame (see `phone_frame`), the result goes to the page holding the frame.
  var host = window.parent !== window ? window.parent.document : document;
  var out = host.createElement('pre');
  out.id = 'layout-probe';
  out.textContent = JSON.stringify({ scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, height: Math.ceil(document.body.getBoundingClientRect().bottom),
    minSvg: minSvg, minSvgWhere: minSvgWhere, minHtml: minHtml, minHtmlWhere: minHtmlWhere, wide: shown.wide, narrow: shown.narrow });
  host.body.appendChild(out);
})();
</script>"#;

/// A page holding `html` in a frame 390 px wide: headless Chromium lays a window out at least
/// 500 px wide, so a phone's width is a frame's. (`srcdoc`: same origin, so the probe can
/// write to this page.)
fn phone_frame(html: &str, height: u32) -> String {
    let srcdoc = html.replace('&', "&amp;").replace('"', "&quot;");
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>phone</title><style>html, body {{ margin: 0; padding: 0; }} iframe {{ display: block; border: 0; width: 390px; height: {height}px; }}</style></head><body><iframe srcdoc=\"{srcdoc}\"></iframe></body></html>\n"
    )
}

/// What [`LAYOUT_PROBE`] found.
fn probe(dom: &str) -> serde_json::Value {
    let at = dom.find("<pre id=\"layout-probe\">").expect("the probe ran") + "<pre id=\"layout-probe\">".len();
    let text = &dom[at..at + dom[at..].find("</pre>").unwrap()];
    serde_json::from_str(&text.replace("&quot;", "\"").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))
        .unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn load_report_in_chromium() {
    let Some(chromium) = browser() else {
        return;
    };
    let dir = load_out_dir();
    let page_path = dir.join("load.html");
    write(&page_path, |out| html::write_load(&load_run(), out));
    let html = fs::read_to_string(&page_path).unwrap();
    let probed = dir.join("load-probed.html");
    fs::write(&probed, html.replace("</body>", &format!("{LAYOUT_PROBE}\n</body>"))).unwrap();

    // A desktop, 1,400 px wide.
    let png = dir.join("load-1400.png");
    let _ = fs::remove_file(&png);
    let page = open_sized(&chromium, &file_url(&probed), Some(&png), (1400, 5200));
    assert!(page.console.is_empty(), "console output:\n{}", page.console.join("\n"));
    assert!(page.dom.contains("<h1>Load report — 이체 혼합 부하</h1>"), "page not loaded:\n{}", page.dom);
    assert!(page.dom.contains("<html lang=\"en\" class=\"js\">"), "the page's script did not run");
    assert!(page.dom.contains(
        "<span id=\"headline\">1 of 9 baseline checks regressed (1 within noise) · 1 of 2 thresholds failed</span>"
    ));
    let charts = charts(&page.dom);
    let ids = [
        "chart-percentiles",
        "chart-ranges",
        "chart-throughput",
        "chart-concurrency",
        "chart-latency-time",
        "chart-latency-transfer-withdraw",
        "chart-latency-transfer-deposit",
        "chart-latency-account-balance",
        "chart-rsp-codes",
    ];
    assert_eq!(charts.len(), 2 * ids.len(), "each chart wide and narrow");
    for id in ids {
        let at = page.dom.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no {id}"));
        let figure = &page.dom[at..at + page.dom[at..].find("</figure>").unwrap()];
        for svg in charts.iter().filter(|c| figure.contains(**c)) {
            assert!(svg.contains("role=\"img\"") && svg.contains("<title>"), "{id}");
            if id == "chart-ranges" || id == "chart-rsp-codes" {
                assert!(has_drawn_rect(svg), "{id} has no bars: {svg}");
            } else {
                assert!(has_drawn_path(svg), "{id} has no drawn line: {svg}");
            }
            // Values on hover.
            assert!(svg.matches("<title>").count() > 3, "{id}: no hover titles");
        }
    }
    assert!(!page.dom.contains("no data"));
    for table in ["baseline-table", "api-table", "threshold-table"] {
        assert!(page.dom.contains(&format!("id=\"{table}\"")), "{table}");
    }
    assert!(page.dom.contains("<code>transfer.deposit</code> <span class=\"ko\">입금이체</span>"));
    let p = probe(&page.dom);
    assert_eq!((p["wide"].as_u64(), p["narrow"].as_u64()), (Some(ids.len() as u64), Some(0)), "{p}");
    assert!(p["scrollWidth"].as_u64() <= p["clientWidth"].as_u64(), "horizontal overflow at 1,400 px: {p}");
    assert!(p["minSvg"].as_f64().unwrap() >= 11.0, "chart text below 11 px: {p}");
    assert_eq!(png_size(&png), (1400, 5200));
    eprintln!("screenshot: {} ({p})", png.display());

    // A phone, 390 px wide: the narrow charts, nothing wider than the screen, no text under 11 px.
    let png = dir.join("load-390.png");
    let _ = fs::remove_file(&png);
    let phone = dir.join("load-phone.html");
    let with_probe = html.replace("</body>", &format!("{LAYOUT_PROBE}\n</body>"));
    fs::write(&phone, phone_frame(&with_probe, 14_000)).unwrap();
    let page = open_sized(&chromium, &file_url(&phone), Some(&png), (390, 14_000));
    assert!(page.console.is_empty(), "console output:\n{}", page.console.join("\n"));
    let p = probe(&page.dom);
    assert_eq!((p["wide"].as_u64(), p["narrow"].as_u64()), (Some(0), Some(ids.len() as u64)), "{p}");
    assert_eq!(p["clientWidth"].as_u64(), Some(390), "{p}");
    assert!(p["scrollWidth"].as_u64() <= Some(390), "the page is wider than the phone: {p}");
    assert!(p["minSvg"].as_f64().unwrap() >= 11.0, "chart text below 11 px, or cut off: {p}");
    assert!(p["minHtml"].as_f64().unwrap() >= 11.0, "text below 11 px: {p}");
    assert!(p["height"].as_u64().unwrap() < 14_000, "the whole page is in the screenshot: {p}");
    assert_eq!(png_size(&png), (390, 14_000));
    eprintln!("screenshot: {} ({p})", png.display());
}

/// The console check catches what it must on this Chromium: a `console.error` and an
/// uncaught exception.
#[test]
fn console_check_is_real() {
    let Some(chromium) = browser() else {
        return;
    };
    let path = out_dir().join("console-canary.html");
    fs::write(
        &path,
        "<!DOCTYPE html><html><body><p>canary</p>\n<script>console.error('canary-error');</script>\n<script>notDefined();</script></body></html>\n",
    )
    .unwrap();
    let page = open(&chromium, &file_url(&path), None);
    assert!(page.console.iter().any(|l| l.contains("canary-error")), "console.error not seen: {:?}", page.console);
    assert!(
        page.console.iter().any(|l| l.contains("Uncaught ReferenceError")),
        "uncaught exception not seen: {:?}",
        page.console
    );
}

// ---------------------------------------------------------------------------------------------
// Fixtures, built through the public model.

fn step(index: usize, name: &str, action: &str, outcome: Outcome, failures: Vec<CheckFailure>) -> StepResult {
    StepResult {
        index,
        name: name.into(),
        action: action.into(),
        outcome,
        duration_ms: 4 + index as u64,
        // As the runner records a request: method, URL and the parameters sent.
        request: Some(json!({
            "method": "POST",
            "url": "https://testapi.openbanking.or.kr/v2.0/transfer/withdraw/fin_num",
            "params": {
                "bank_tran_id": format!("M202300001U00000000{index}"),
                "cntr_account_type": "N",
                "dps_print_content": "쇼핑몰환불",
                "tran_amt": "1000",
                "req_client_name": "홍길동",
                "transfer_purpose": "TR"
            }
        })),
        http_status: Some(200),
        response: Some(json!({
            "api_tran_id": "2ffd133a-d17a-431d-a6a5",
            "rsp_code": if outcome == Outcome::Passed { "A0000" } else { "A0326" },
            "rsp_message": if outcome == Outcome::Passed { "" } else { "은행거래고유번호 중복" },
            "bank_name": "오픈은행",
            "account_holder_name": "홍길동",
            "balance_amt": "999000"
        })),
        failures,
        api: action.strip_prefix("call ").map(String::from),
        checks: Vec::new(),
    }
}

#[allow(clippy::too_many_arguments)]
fn scenario(
    id: &str,
    title: &str,
    spec: &str,
    tags: &[&str],
    outcome: Outcome,
    severity: &str,
    expected_failure: bool,
    steps: Vec<StepResult>,
) -> ScenarioResult {
    ScenarioResult {
        id: id.into(),
        title: title.into(),
        spec: spec.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        severity: if severity == "warning" { model::Severity::Warning } else { model::Severity::Failure },
        source: format!("scenarios/conformance/{}.yaml", id.to_lowercase()),
        outcome,
        reason: match outcome {
            Outcome::Skipped => Some("target lacks clock_control".into()),
            Outcome::Error => Some("step 1 \"잔액조회\": connection refused".into()),
            _ => None,
        },
        expected_failure,
        duration_ms: 20 + steps.len() as u64 * 7,
        expected_codes: steps
            .iter()
            .filter_map(|s| s.response.as_ref()?.get("rsp_code")?.as_str().map(String::from))
            .collect(),
        steps,
    }
}

fn conformance_run() -> RunReport {
    let ok = |i, name: &str, action: &str| step(i, name, action, Outcome::Passed, vec![]);
    let diff = "--- expected (golden/transfer/withdraw_dup.json)\n+++ actual\n@@ -1,5 +1,5 @@\n {\n-  \"rsp_code\": \"A0326\",\n-  \"rsp_message\": \"은행거래고유번호 중복\",\n+  \"rsp_code\": \"A0000\",\n+  \"rsp_message\": \"\",\n   \"api_tran_id\": \"<redacted>\"\n }";
    let dup_fail = step(
        2,
        "같은 bank_tran_id로 다시 출금",
        "call transfer.withdraw",
        Outcome::Failed,
        vec![
            CheckFailure {
                expectation: "rsp_code".into(),
                expected: "A0326".into(),
                actual: "A0000".into(),
                diff: None,
            },
            CheckFailure {
                expectation: "golden snapshot".into(),
                expected: "golden/transfer/withdraw_dup.json".into(),
                actual: "differs".into(),
                diff: Some(diff.into()),
            },
        ],
    );
    let scenarios = vec![
        scenario(
            "OBH-AUTH-001",
            "client_credentials issues an OOB token",
            "KFTC API v2.0 §2.1 토큰발급",
            &["auth", "oauth", "a0000"],
            Outcome::Passed,
            "failure",
            false,
            vec![ok(1, "토큰 발급", "call oauth.token")],
        ),
        scenario(
            "OBH-TR-DUP-001",
            "출금이체: 중복 bank_tran_id는 A0326으로 거절된다",
            "응답코드 처리 안내 (2): 은행거래고유번호 중복 A0326 → 두번째 거래는 무시됨",
            &["transfer", "duplicate", "a0326"],
            Outcome::Failed,
            "failure",
            false,
            vec![ok(1, "첫 출금", "call transfer.withdraw"), dup_fail],
        ),
        scenario(
            "OBH-TR-002",
            "입금이체 1,000원",
            "§3.11.4 입금이체",
            &["transfer", "a0000"],
            Outcome::Passed,
            "failure",
            false,
            vec![ok(1, "입금", "call transfer.deposit"), ok(2, "결과 확인", "call transfer.result")],
        ),
        scenario(
            "OBH-CON-001",
            "A consent expires after one year (A0316)",
            "§ 제3자정보제공동의 만료",
            &["consent", "a0316", "clock"],
            Outcome::Skipped,
            "failure",
            false,
            vec![],
        ),
        scenario(
            "OBH-ACC-003",
            "잔액조회 is answered within the hours",
            "§3.4 잔액조회",
            &["inquiry", "hours", "a0020"],
            Outcome::Error,
            "failure",
            false,
            vec![step(1, "잔액조회", "call account.balance", Outcome::Error, vec![])],
        ),
        scenario(
            "OBH-INQ-004",
            "Balance inquiry echoes the fintech_use_num",
            "§3.4 잔액조회",
            &["inquiry", "a0000"],
            Outcome::Failed,
            "warning",
            false,
            vec![step(
                1,
                "잔액조회",
                "call account.balance",
                Outcome::Failed,
                vec![CheckFailure {
                    expectation: "$.fintech_use_num eq".into(),
                    expected: "120220000001".into(),
                    actual: "(missing)".into(),
                    diff: None,
                }],
            )],
        ),
        scenario(
            "OBH-IP-001",
            "Calls from an unlisted address are refused with A0301",
            "§ IP whitelist",
            &["ip", "whitelist", "a0301"],
            Outcome::Passed,
            "failure",
            false,
            vec![ok(1, "unlisted caller", "call account.balance")],
        ),
        scenario(
            "OBH-AML-001",
            "AML fields are required on 출금이체",
            "§ AML",
            &["aml", "a0004"],
            Outcome::Passed,
            "failure",
            false,
            vec![ok(1, "AML 누락", "call transfer.withdraw")],
        ),
        scenario(
            "OBH-TR-005",
            "Deposit to a closed account is refused",
            "§3.11.4",
            &["transfer", "refusal", "deposit"],
            Outcome::Failed,
            "failure",
            true,
            vec![step(
                1,
                "입금",
                "call transfer.deposit",
                Outcome::Failed,
                vec![CheckFailure {
                    expectation: "rsp_code".into(),
                    expected: "A0002".into(),
                    actual: "A0000".into(),
                    diff: None,
                }],
            )],
        ),
        scenario(
            "OBH-TR-006",
            "Withdraw over the daily limit is refused (A0112)",
            "§ 출금한도",
            &["transfer", "refusal", "limit", "a0112"],
            Outcome::Passed,
            "failure",
            true,
            vec![ok(1, "한도 초과 출금", "call transfer.withdraw")],
        ),
    ];
    let mut run = RunReport {
        tool: "obharness".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        kind: model::RunKind::Conformance,
        subject: None,
        target: TargetInfo {
            name: "오픈뱅킹 테스트베드".into(),
            base_url: "https://testapi.openbanking.or.kr".into(),
            quirks: vec!["duplicate-accepted".into()],
            capabilities: vec!["oauth".into(), "transfer".into(), "ledger_inspection".into()],
        },
        started_at: "2025-01-02T03:04:05+09:00".into(),
        duration_ms: 4321,
        scenarios,
        summary: model::Summary::default(),
        unused_snapshots: vec!["golden/inquiry/old_balance.json".into()],
        interrupted: None,
        written_snapshots: Vec::new(),
    };
    run.summarise();
    run
}

fn api(name: &str, count: u64, errors: u64, base_us: f64, codes: &[(&str, u64)]) -> ApiStats {
    // A plausible HDR curve: latency grows with the nines.
    let percentiles: Vec<(f64, u64)> =
        [0.0, 10.0, 25.0, 50.0, 75.0, 87.5, 90.0, 93.75, 95.0, 96.875, 99.0, 99.5, 99.9, 99.95, 99.99, 100.0]
            .iter()
            .map(|p: &f64| {
                let nines = if *p >= 100.0 { 4.5 } else { -(1.0 - p / 100.0).log10() };
                (*p, (base_us * (0.4 + 0.6 * (1.0 + nines * nines * 0.9))) as u64)
            })
            .collect();
    let at = |q: f64| percentiles.iter().find(|(p, _)| *p >= q).map_or(0, |(_, us)| *us);
    let good = count - errors;
    ApiStats {
        api: name.into(),
        count,
        errors,
        refused: errors,
        failed: 0,
        rate: count as f64 / 60.0,
        mean_us: base_us * 1.1,
        p50_us: at(50.0),
        p90_us: at(90.0),
        p95_us: at(95.0),
        p99_us: at(99.0),
        p999_us: at(99.9),
        max_us: at(100.0),
        rsp_codes: codes.iter().map(|(c, n)| (c.to_string(), *n)).collect::<BTreeMap<_, _>>(),
        percentiles: percentiles.clone(),
        histogram: String::new(),
        min_us: at(0.0),
        stddev_us: base_us * 0.7,
        latency_ranges: vec![good * 90 / 100, good * 8 / 100, good / 100, good - good * 99 / 100, 0],
        seconds: (0..61u32)
            .map(|s| {
                let wobble = f64::from((s * 37) % 11) - 5.0;
                ApiSecond {
                    second: s,
                    covered_ms: if s == 60 { 250 } else { 1000 },
                    requests: count / 60,
                    errors: errors / 60,
                    p50_us: (f64::from(at(50.0) as u32) + wobble * 30.0) as u64,
                    p95_us: (f64::from(at(95.0) as u32) + wobble * 80.0) as u64,
                    p99_us: (f64::from(at(99.0) as u32) + wobble * 200.0 + if s == 41 { 9000.0 } else { 0.0 }) as u64,
                    histogram: String::new(),
                }
            })
            .collect(),
    }
}

fn load_run() -> LoadReport {
    let apis = vec![
        api("transfer.withdraw", 12_000, 130, 3200.0, &[("A0000", 11_870), ("A0326", 100), ("none", 30)]),
        api("transfer.deposit", 6_000, 0, 2800.0, &[("A0000", 6_000)]),
        api("account.balance", 18_000, 12, 900.0, &[("A0000", 17_988), ("A0020", 12)]),
    ];
    let mut overall =
        api("all", 36_000, 142, 1900.0, &[("A0000", 35_858), ("A0326", 100), ("A0020", 12), ("none", 30)]);
    overall.rate = 600.0;
    // 60 whole seconds and a quarter of one: the last is left out of the charts.
    let timeline = (0..61u32)
        .map(|s| {
            let ramp = if s < 10 { f64::from(s + 1) / 10.0 } else { 1.0 };
            let wobble = f64::from((s * 37) % 11) - 5.0;
            SecondStats {
                second: s,
                covered_ms: if s == 60 { 250 } else { 1000 },
                requests: if s == 60 { 150 } else { (600.0 * ramp + wobble * 3.0) as u64 },
                errors: u64::from(s % 7 == 3) * 9 + u64::from(s == 41) * 40,
                p50_us: (1500.0 + wobble * 40.0 + f64::from(s) * 8.0) as u64,
                p95_us: (4000.0 + wobble * 100.0) as u64,
                p99_us: (9000.0 + wobble * 300.0 + if s == 41 { 12_000.0 } else { 0.0 }) as u64,
                users: (64.0 * ramp) as u32,
                in_flight: 1.2 * ramp + wobble * 0.05 + if s == 41 { 6.0 } else { 0.0 },
            }
        })
        .collect();
    let row = |api: &str, metric: &str, baseline: f64, current: f64, pct: f64, change: Change, interval: (f64, f64)| {
        BaselineRow {
            api: api.into(),
            metric: metric.into(),
            baseline,
            current,
            regression_pct: pct,
            passed: change != Change::Regressed,
            change: Some(change),
            interval_pct: Some(interval),
        }
    };
    LoadReport {
        tool: "obharness".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        kind: "load".into(),
        profile: "이체 혼합 부하".into(),
        source: "profiles/transfer-mix.yaml".into(),
        target: TargetInfo {
            name: "embedded-sim".into(),
            base_url: "http://127.0.0.1:8080".into(),
            quirks: vec![],
            capabilities: vec![],
        },
        started_at: "2025-01-02T03:04:05+09:00".into(),
        duration_ms: 60_250,
        model: LoadModelInfo {
            kind: model::LoadModelKind::Open,
            users: Some(128),
            rate: Some(600.0),
            stages: vec!["10 s at 60/s".into(), "51 s at 600/s".into()],
            summary: "2 stages over 61 s, at most 128 in flight".into(),
        },
        apis,
        overall,
        timeline,
        thresholds: vec![
            ThresholdResult {
                name: "transfer.withdraw p99 < 50ms".into(),
                expected: "< 50ms".into(),
                actual: "19.43ms".into(),
                passed: true,
            },
            ThresholdResult {
                name: "errors < 0.1%".into(),
                expected: "< 0.1%".into(),
                actual: "0.39%".into(),
                passed: false,
            },
        ],
        baseline: Some(BaselineComparison {
            file: "reports/load-baseline.json".into(),
            max_regression_pct: 10.0,
            rows: vec![
                row("transfer.withdraw", "p95", 8_000.0, 8_100.0, 1.25, Change::WithinTolerance, (-6.0, 8.5)),
                row("transfer.withdraw", "p99", 15_000.0, 19_430.0, 29.53, Change::Regressed, (18.2, 41.0)),
                row("transfer.withdraw", "throughput", 210.0, 200.0, 4.76, Change::WithinTolerance, (-2.0, 11.0)),
                row("transfer.deposit", "p95", 7_000.0, 7_950.0, 13.57, Change::WithinNoise, (-1.0, 28.0)),
                row("transfer.deposit", "p99", 12_000.0, 12_200.0, 1.67, Change::WithinTolerance, (-9.0, 13.0)),
                row("transfer.deposit", "throughput", 100.0, 100.0, 0.0, Change::WithinTolerance, (-3.0, 3.0)),
                row("account.balance", "p95", 2_400.0, 2_100.0, -12.5, Change::WithinTolerance, (-20.0, -4.0)),
                row("account.balance", "p99", 5_000.0, 4_800.0, -4.0, Change::WithinTolerance, (-12.0, 5.0)),
                row("all", "throughput", 640.0, 600.0, 6.25, Change::WithinTolerance, (1.0, 12.0)),
            ],
            method: "bootstrap over whole seconds (1000 resamples, seed 0xb4a4e5520260013 and the API's name); regressed = worse than the tolerance, and so is the low end of the 90 % interval".into(),
            note: None,
            started_at: "2025-01-01T03:04:05+09:00".into(),
            percentiles: vec![(0.0, 700), (50.0, 1800), (90.0, 3500), (99.0, 8000), (99.9, 15_000), (99.99, 22_000), (100.0, 30_000)],
        }),
        late_starts: 17,
        dropped: 2,
        aborted: false,
        interrupted: None,
        scale_out: None,
        passed: false,
    }
}
