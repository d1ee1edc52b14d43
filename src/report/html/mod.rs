//! The HTML reports: one self-contained file per run (inline CSS and SVG, a few lines of inline
//! JavaScript for the scenario filter, no external resources), readable offline, printable, and
//! what an institution hands over when it certifies.
//!
//! Both renderers are pure functions of their run model, which was redacted when it was
//! sealed: [`conformance`] draws conformance, client-certification and differential runs,
//! [`load`] load runs. Pages are askama templates (`templates/*.html`) that escape every
//! inserted value; the only markup inserted unescaped is the charts of [`super::svg`], which
//! escape their own text. Text that came from the target (bodies, failure values, diffs,
//! reasons) loses its control characters.

mod conformance;
mod load;

use std::io::Write;

use askama::Template;

use super::model::{LoadReport, RunReport};
use conformance::ConformancePage;
use load::LoadPage;
#[cfg(test)]
pub(crate) use load::sample_load_report;

/// Request and response bodies longer than this (pretty-printed, in characters) are cut.
pub const MAX_BODY_CHARS: usize = 20_000;

/// Writes the HTML report of a conformance run.
pub fn write_conformance(report: &RunReport, out: &mut dyn Write) -> std::io::Result<()> {
    write_conformance_stamped(report, None, out)
}

/// Writes the HTML report of a conformance run that belongs to an evidence bundle, whose
/// digest and signer the header names.
pub fn write_conformance_stamped(
    report: &RunReport,
    stamp: Option<&super::stamp::BundleStamp>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut page = ConformancePage::new(report);
    page.bundle =
        stamp.map(|s| (crate::report::view::one_line(&s.digest), crate::report::view::one_line(&s.signer_text())));
    out.write_all(page.render().map_err(std::io::Error::other)?.as_bytes())
}

/// Writes the HTML report of a load run.
pub fn write_load(report: &LoadReport, out: &mut dyn Write) -> std::io::Result<()> {
    let page = LoadPage::new(report);
    out.write_all(page.render().map_err(std::io::Error::other)?.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::json::sample_report;
    use crate::report::model::{ApiStats, CheckFailure, LoadModelKind};

    pub(crate) fn conformance_html(report: &RunReport) -> String {
        let mut out = Vec::new();
        write_conformance(report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    pub(crate) fn load_html(report: &LoadReport) -> String {
        let mut out = Vec::new();
        write_load(report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    const VOID: &[&str] = &["meta", "link", "br", "hr", "img", "input", "wbr", "col", "source", "area", "base"];

    /// A start or end tag: (name, attributes, self-closing), or `None` for an end tag's name.
    struct Tag<'a> {
        name: String,
        closing: bool,
        self_closing: bool,
        attrs: Vec<(String, &'a str)>,
        raw: &'a str,
    }

    /// Splits an HTML document made by these templates into tags and text (no comments; the
    /// contents of `<script>` and `<style>` as one text each). Panics on what a browser would
    /// have to repair: an unterminated tag or an unquoted attribute value.
    fn tokens(html: &str) -> Vec<Result<Tag<'_>, &str>> {
        let mut out = Vec::new();
        let mut rest = html;
        while let Some(lt) = rest.find('<') {
            if lt > 0 {
                out.push(Err(&rest[..lt]));
            }
            let gt = lt + rest[lt..].find('>').expect("unterminated tag");
            let raw = &rest[lt..=gt];
            rest = &rest[gt + 1..];
            if raw.starts_with("<!") {
                continue;
            }
            let inner = raw[1..raw.len() - 1].trim_end_matches('/');
            let closing = inner.starts_with('/');
            let inner = inner.trim_start_matches('/');
            let (name, mut attrs_text) = inner.split_once([' ', '\n']).unwrap_or((inner, ""));
            let mut attrs = Vec::new();
            while !attrs_text.trim().is_empty() {
                attrs_text = attrs_text.trim_start();
                let end = attrs_text.find([' ', '=']).unwrap_or(attrs_text.len());
                let key = attrs_text[..end].to_ascii_lowercase();
                attrs_text = &attrs_text[end..];
                if let Some(value) = attrs_text.strip_prefix("=\"") {
                    let close = value.find('"').expect("unterminated attribute value");
                    attrs.push((key, &value[..close]));
                    attrs_text = &value[close + 1..];
                } else {
                    assert!(!attrs_text.starts_with('='), "unquoted attribute value in {raw}");
                    attrs.push((key, ""));
                }
            }
            let name = name.to_ascii_lowercase();
            let self_closing = raw.ends_with("/>") || VOID.contains(&name.as_str());
            let raw_text = !closing && (name == "script" || name == "style");
            out.push(Ok(Tag { name: name.clone(), closing, self_closing, attrs, raw }));
            if raw_text {
                let end = rest.find(&format!("</{name}>")).expect("unterminated raw text element");
                out.push(Err(&rest[..end]));
                rest = &rest[end..];
            }
        }
        if !rest.is_empty() {
            out.push(Err(rest));
        }
        out
    }

    /// The document's outline, for snapshots: one line per landmark element (one with an id,
    /// headings, sections, tables, charts, scenario blocks), indented by nesting, with table
    /// column headers and body row counts, chart data element counts and heading texts. Also
    /// checks that every element is closed in order.
    fn outline(html: &str) -> String {
        let toks = tokens(html);
        let mut stack: Vec<(String, bool)> = Vec::new();
        let mut lines = Vec::new();
        let mut i = 0;
        while i < toks.len() {
            if let Ok(tag) = &toks[i] {
                if tag.closing {
                    let (open, _) = stack.pop().unwrap_or_else(|| panic!("stray </{}>", tag.name));
                    assert_eq!(open, tag.name, "</{}> closes <{open}>", tag.name);
                } else {
                    let attr = |k: &str| tag.attrs.iter().find(|(key, _)| key == k).map(|(_, v)| *v);
                    let heading = matches!(tag.name.as_str(), "h1" | "h2" | "h3" | "h4");
                    let landmark = attr("id").is_some()
                        || heading
                        || matches!(
                            tag.name.as_str(),
                            "section" | "table" | "svg" | "details" | "header" | "nav" | "footer"
                        )
                        || tag.name == "pre" && attr("class") == Some("diff");
                    if landmark {
                        let depth = stack.iter().filter(|(_, l)| *l).count();
                        let mut line = format!("{}{}", "  ".repeat(depth), tag.name);
                        if let Some(id) = attr("id") {
                            line.push_str(&format!("#{id}"));
                        }
                        if let Some(class) = attr("class") {
                            for c in class.split_whitespace() {
                                line.push_str(&format!(".{c}"));
                            }
                        }
                        let inner = element_text(&toks[i + 1..], &tag.name);
                        if heading {
                            line.push_str(&format!(": {}", inner.text));
                        }
                        if tag.name == "table" {
                            line.push_str(&format!(" [{}] rows={}", inner.headers.join(" | "), inner.body_rows));
                        }
                        if tag.name == "svg" {
                            line.push_str(&format!(" paths={} rects={}", inner.count("path"), inner.count("rect")));
                        }
                        lines.push(line);
                    }
                    if !tag.self_closing {
                        stack.push((tag.name.clone(), landmark));
                    }
                }
            }
            i += 1;
        }
        assert!(stack.is_empty(), "unclosed: {stack:?}");
        lines.join("\n")
    }

    struct Inner {
        text: String,
        headers: Vec<String>,
        body_rows: usize,
        tags: Vec<String>,
    }

    impl Inner {
        fn count(&self, name: &str) -> usize {
            self.tags.iter().filter(|t| *t == name).count()
        }
    }

    /// The text, `<thead>` headers, `<tbody>` rows and start tags of an element, from the
    /// tokens after its start tag.
    fn element_text(toks: &[Result<Tag<'_>, &str>], name: &str) -> Inner {
        let mut inner = Inner { text: String::new(), headers: Vec::new(), body_rows: 0, tags: Vec::new() };
        let (mut depth, mut in_thead, mut in_tbody, mut in_th) = (0, false, false, false);
        for tok in toks {
            match tok {
                Ok(tag) if tag.closing => {
                    if tag.name == name {
                        if depth == 0 {
                            break;
                        }
                        depth -= 1;
                    }
                    in_thead &= tag.name != "thead";
                    in_tbody &= tag.name != "tbody";
                    in_th &= tag.name != "th";
                }
                Ok(tag) => {
                    inner.tags.push(tag.name.clone());
                    if tag.name == name && !tag.self_closing {
                        depth += 1;
                    }
                    match tag.name.as_str() {
                        "thead" => in_thead = true,
                        "tbody" => in_tbody = true,
                        "th" if in_thead => {
                            in_th = true;
                            inner.headers.push(String::new());
                        }
                        "tr" if in_tbody => inner.body_rows += 1,
                        _ => {}
                    }
                }
                Err(text) => {
                    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                    if in_th {
                        inner.headers.last_mut().unwrap().push_str(&text);
                    }
                    if !inner.text.is_empty() && !text.is_empty() {
                        inner.text.push(' ');
                    }
                    inner.text.push_str(&text);
                }
            }
        }
        inner
    }

    /// Every reference to an external resource: in any tag, an `http:`, `https:` or
    /// protocol-relative (`//`) URL in any attribute (src, href, xlink:href, action, poster,
    /// srcset, style, …), and elements that load resources by nature (`<link>`, `<iframe>`,
    /// `<object>`, `<embed>`, `<img>`, `<script src>`); in `<style>`, any `url(` or `@import`;
    /// in `<script>`, any URL or network API.
    ///
    /// The rule: an `http://` or `https://` may appear only in text content, where every value
    /// is escaped (a target's base URL, for instance) and a browser never loads it.
    fn asset_references(html: &str) -> Vec<String> {
        let mut found = Vec::new();
        let mut parent = String::new();
        for tok in tokens(html) {
            match tok {
                Ok(tag) => {
                    if !tag.closing {
                        parent = tag.name.clone();
                    }
                    if matches!(tag.name.as_str(), "link" | "iframe" | "object" | "embed" | "img" | "frame" | "base") {
                        found.push(tag.raw.to_string());
                    }
                    for (key, value) in &tag.attrs {
                        let v = value.trim().to_ascii_lowercase();
                        if v.contains("http:") || v.contains("https:") || v.starts_with("//") || v.contains("url(") {
                            found.push(format!("{key}=\"{value}\" in {}", tag.raw));
                        }
                        if key == "src" || key.ends_with("href") && !value.starts_with('#') {
                            found.push(format!("{key}=\"{value}\" in {}", tag.raw));
                        }
                    }
                }
                Err(text) if parent == "style" => {
                    for bad in ["url(", "@import", "http:", "https:"] {
                        if text.contains(bad) {
                            found.push(format!("{bad} in <style>"));
                        }
                    }
                    parent.clear();
                }
                Err(text) if parent == "script" => {
                    for bad in ["http:", "https:", "//", "fetch(", "XMLHttpRequest", "import(", "WebSocket", "src"] {
                        if text.contains(bad) {
                            found.push(format!("{bad} in <script>"));
                        }
                    }
                    parent.clear();
                }
                Err(_) => {}
            }
        }
        found
    }

    fn all_pages() -> Vec<(&'static str, String)> {
        let mut quirky = sample_report();
        quirky.target.quirks = vec!["http-500-on-bad-json".into()];
        let mut aborted = sample_load_report();
        aborted.aborted = true;
        aborted.baseline = None;
        aborted.model.kind = LoadModelKind::Closed;
        aborted.model.users = Some(50);
        aborted.model.rate = None;
        aborted.late_starts = 0;
        aborted.dropped = 0;
        let mut empty_load = sample_load_report();
        empty_load.apis.clear();
        empty_load.overall = ApiStats { api: "all".into(), ..ApiStats::default() };
        empty_load.timeline.clear();
        empty_load.thresholds.clear();
        let mut empty_run = sample_report();
        empty_run.scenarios.clear();
        empty_run.summarise();
        vec![
            ("conformance", conformance_html(&sample_report())),
            ("conformance with quirks", conformance_html(&quirky)),
            ("conformance without scenarios", conformance_html(&empty_run)),
            ("load", load_html(&sample_load_report())),
            ("load aborted, closed model", load_html(&aborted)),
            ("load without data", load_html(&empty_load)),
        ]
    }

    #[test]
    fn conformance_outline() {
        insta::assert_snapshot!("html_conformance_outline", outline(&conformance_html(&sample_report())));
    }

    #[test]
    fn load_outline() {
        insta::assert_snapshot!("html_load_outline", outline(&load_html(&sample_load_report())));
    }

    #[test]
    fn pages_are_self_contained() {
        for (name, html) in all_pages() {
            let refs = asset_references(&html);
            assert!(refs.is_empty(), "{name}: external references {refs:?}");
            assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"), "{name}");
            assert!(html.contains("<meta charset=\"utf-8\">"), "{name}");
            assert!(html.contains("\"Apple SD Gothic Neo\", \"Malgun Gothic\", \"Noto Sans KR\""), "{name}");
            assert!(html.contains("@media print"), "{name}");
            // The base URL appears, as text only.
            assert!(
                html.contains("<code>http://127.0.0.1:8080</code>") || html.contains("<dd>http://127.0.0.1:8080</dd>")
            );
            outline(&html);
        }
        // The checker finds what it is meant to find.
        let bad = [
            "<img src=\"https://cdn.example/x.png\">",
            "<link rel=\"stylesheet\" href=\"https://cdn.example/x.css\">",
            "<script src=\"//cdn.example/x.js\"></script>",
            "<style>@import \"x.css\";</style>",
            "<style>body { background: url(data.png) }</style>",
            "<div style=\"background:url(https://x.example/a.png)\"></div>",
            "<svg><image href=\"http://x.example/a.png\"/></svg>",
            "<a href=\"https://example.com\">x</a>",
            "<script>fetch('/x')</script>",
        ];
        for html in bad {
            assert!(!asset_references(html).is_empty(), "{html}");
        }
        assert!(asset_references("<p>see http://127.0.0.1:8080</p><a href=\"#s-x\">x</a>").is_empty());
    }

    #[test]
    fn no_nan_or_infinity() {
        let mut odd = sample_load_report();
        odd.overall.rate = f64::NAN;
        odd.apis[0].mean_us = f64::INFINITY;
        odd.apis[1].percentiles.push((f64::NAN, 3));
        odd.model.rate = Some(f64::INFINITY);
        odd.baseline.as_mut().unwrap().rows[0].regression_pct = f64::NAN;
        odd.baseline.as_mut().unwrap().max_regression_pct = f64::NEG_INFINITY;
        let mut pages = all_pages();
        pages.push(("load with non-finite numbers", load_html(&odd)));
        let number_word = regex::Regex::new(r"(?i)\b(nan|inf|infinity)\b").unwrap();
        for (name, html) in pages {
            assert!(!html.contains("NaN"), "{name}");
            assert!(!number_word.is_match(&html), "{name}: {:?}", number_word.find(&html));
        }
    }

    #[test]
    fn hostile_text_is_escaped() {
        let xss = "<script>alert(1)</script>";
        let mut report = sample_report();
        report.scenarios[1].title = format!("dup {xss}");
        report.scenarios[1].id = format!("OBH-\"><img src=x onerror=alert(2)>{xss}");
        report.scenarios[1].tags.push(xss.into());
        report.scenarios[1].steps[2].response = Some(serde_json::json!({"rsp_message": xss, "x": "</pre><b>"}));
        report.scenarios[1].steps[2].failures[1].diff = Some(format!("+{xss}\n-</span></pre>"));
        report.scenarios[1].steps[2].failures[0].actual = xss.into();
        report.scenarios[1].reason = Some(xss.into());
        report.target.name = xss.into();
        report.target.base_url = format!("http://x/{xss}");
        report.target.quirks = vec![xss.into()];
        report.unused_snapshots = vec![xss.into()];
        let html = conformance_html(&report);
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("</pre><b>"), "{html}");
        assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;") || html.contains("&lt;script&gt;alert(1)"));
        assert_eq!(html.matches("<script>").count(), 1, "only the page's own script");
        outline(&html);
        assert!(asset_references(&html).is_empty());

        let mut load = sample_load_report();
        load.profile = xss.into();
        load.apis[0].api = xss.into();
        load.apis[0].rsp_codes.insert(xss.into(), 1);
        load.thresholds[0].name = xss.into();
        load.baseline.as_mut().unwrap().file = xss.into();
        let html = load_html(&load);
        assert!(!html.contains("<script>alert"), "{html}");
        assert_eq!(html.matches("<script>").count(), 1);
        outline(&html);
    }

    #[test]
    fn conformance_content() {
        let html = conformance_html(&sample_report());
        // Verdict and counts.
        assert!(html.contains("<span class=\"verdict fail\" id=\"verdict\">FAIL</span>"));
        assert!(html.contains("3 passed, 3 failed, 1 skipped — 7 scenarios"));
        // Bodies are pretty-printed; diffs coloured by line.
        assert!(
            html.contains("  &#34;note&#34;: &#34;RESPONSE-BODY-MARKER&#34;") || html.contains("  &quot;note&quot;")
        );
        assert!(html.contains("<span class=\"del\">-  &#34;rsp_code&#34;: &#34;A0326&#34;,</span>"), "{html}");
        assert!(html.contains("<span class=\"add\">+  &#34;rsp_code&#34;: &#34;A0000&#34;,</span>"));
        assert!(html.contains("<span class=\"hunk\">@@ -1,4 +1,4 @@</span>"));
        // Failing scenarios are open, passing ones closed.
        assert!(html.contains("<details class=\"scenario fail\" id=\"s-OBH-TR-DUP-001\" open>"));
        assert!(html.contains("<details class=\"scenario pass\" id=\"s-OBH-AUTH-001\">"));
        // The coverage matrix: the duplicate scenario checks A0326 (spec/failure), the expected
        // failure A0324 is not in the table; uncovered codes say so.
        let row = html.lines().find(|l| l.contains("<td><code>A0326</code>")).unwrap();
        assert!(row.contains("status-failing") && row.contains("href=\"#s-OBH-TR-DUP-001\""), "{row}");
        let row = html.lines().find(|l| l.contains("<td><code>A0020</code>")).unwrap();
        assert!(row.contains("status-uncovered") && row.contains("not covered"), "{row}");
        // Without JavaScript the filter stays hidden and the table complete.
        assert!(html.contains("<div class=\"filter\" id=\"filter\" hidden>"));
    }

    #[test]
    fn secrets_and_long_bodies() {
        let mut report = sample_report();
        let step = &mut report.scenarios[0].steps[0];
        step.response =
            Some(serde_json::json!({"access_token": "eyJhbGciOiJIUzI1NiJ9.secret", "long": "x".repeat(30_000)}));
        step.failures.push(CheckFailure {
            expectation: "$.access_token eq".into(),
            expected: "eyJhbGciOiJIUzI1NiJ9.other".into(),
            actual: "(missing)".into(),
            diff: Some((0..500).map(|i| format!("+line {i}\n")).collect()),
        });
        // Redaction happens once, when the model is sealed; the page renders what is left.
        report.finish();
        let html = conformance_html(&report);
        assert!(!html.contains("eyJhbGciOiJIUzI1NiJ9"), "secrets are masked");
        assert!(html.contains("more characters (the JSON report has the whole body)"));
        assert!(!html.contains(&"x".repeat(MAX_BODY_CHARS)));
        assert!(html.contains(">+line 199<") && !html.contains(">+line 200<"));
        assert!(html.contains("… 300 more lines"));
    }

    #[test]
    fn load_content() {
        let html = load_html(&sample_load_report());
        assert!(html.contains("<span class=\"verdict fail\" id=\"verdict\">FAIL</span>"));
        assert!(html.contains(
            "<span id=\"headline\">1 of 3 baseline checks regressed (1 within noise) · 1 of 2 thresholds failed</span>"
        ));
        assert!(html.contains("<p id=\"count-line\">4000 requests at 400.00 req/s, 0.50 % errors"));
        // p50/p90/p95/p99/p99.9/max in ms with two decimals.
        assert!(html.contains(
            "<td class=\"num\">2.00</td><td class=\"num\">4.20</td><td class=\"num\">5.80</td><td class=\"num\">10.40</td><td class=\"num\">19.60</td><td class=\"num\">42.00</td>"
        ));
        assert!(html.contains("<td class=\"num\">20 (1.33 %)</td>"));
        assert!(html.contains("title=\"은행거래고유번호 중복\">A0326 15</span>"));
        assert!(html.contains("<b>3</b>late starts") && html.contains("<b>1</b>dropped"));
        assert!(html.contains(
            "<td class=\"num\">9.00 ms</td><td class=\"num\">10.40 ms</td><td class=\"num worse\">15.6 % slower</td>"
        ));
        assert!(html.contains("<td class=\"num better\">3.3 % faster</td>"));
        assert!(!html.contains("id=\"aborted\""));
        for id in ["chart-percentiles", "chart-throughput", "chart-latency-time", "chart-rsp-codes"] {
            let at = html.find(&format!("id=\"{id}\"")).unwrap();
            let chart = &html[at..at + html[at..].find("</figure>").unwrap()];
            assert!(chart.contains("<svg class=\"chart wide\" role=\"img\""), "{id}");
            assert!(chart.contains("<svg class=\"chart narrow\" role=\"img\""), "{id}");
            assert!(chart.contains("<path class=\"series\" d=\"M") || chart.contains("<rect x="), "{id}");
        }

        let mut closed = sample_load_report();
        closed.aborted = true;
        closed.model = super::super::model::LoadModelInfo {
            kind: LoadModelKind::Closed,
            users: Some(50),
            rate: None,
            stages: vec![],
            summary: "50 users for 10 s, all started at once".into(),
        };
        closed.late_starts = 0;
        closed.dropped = 0;
        closed.baseline = None;
        let html = load_html(&closed);
        assert!(html.contains("id=\"aborted\""));
        closed.interrupted = Some("SIGINT".into());
        let html = load_html(&closed);
        assert!(html.contains("id=\"interrupted\"") && html.contains("stopped by SIGINT"), "interrupted run");
        assert!(!html.contains("id=\"aborted\""), "one banner");
        assert!(!html.contains("late starts") && !html.contains("id=\"baseline\""));
        assert!(html.contains("<dd>closed — 50 users for 10 s, all started at once</dd>"));
        assert!(!html.contains("<dt>Stages</dt>"), "one stage is no ramp");
    }
}
