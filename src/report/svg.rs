//! Small inline SVG charts for the HTML reports: a latency-by-percentile curve (log-scaled
//! percentile axis), time series lines and a horizontal bar chart.
//!
//! Every chart is a self-contained `<svg>` element scaled by its `viewBox` (it fills the width
//! of its container), with `role="img"`, an `aria-label` and a `<title>`, axes with ticks and
//! labels, and a legend when there is more than one series. Text is XML-escaped here, so the
//! output can be inserted into a page as is. Non-finite values are dropped before drawing; a
//! chart with nothing to draw says "no data" — no `NaN` or `inf` ever reaches the markup.

use std::fmt::Write as _;

use super::junit::escape;
use super::view::one_line;

/// Width of every chart's coordinate system.
const WIDTH: f64 = 640.0;
/// Height of the line charts' coordinate system (legend rows add to it).
const HEIGHT: f64 = 300.0;
const MARGIN_LEFT: f64 = 64.0;
const MARGIN_RIGHT: f64 = 20.0;
const MARGIN_TOP: f64 = 34.0;
const MARGIN_BOTTOM: f64 = 46.0;
const LEGEND_ROW: f64 = 18.0;
const FONT: f64 = 12.0;
const AXIS: &str = "#555";
const GRID: &str = "#e3e3e3";
const TEXT: &str = "#222";

/// Line colours, in series order (Okabe–Ito, readable by colour-blind people and in print).
pub const PALETTE: &[&str] = &["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999"];
/// Bar colours.
pub const GOOD: &str = "#009E73";
pub const WARN: &str = "#E69F00";
pub const BAD: &str = "#D55E00";

/// One line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    /// (x, y) in data units; non-finite points are ignored.
    pub points: Vec<(f64, f64)>,
    /// Drawn dashed (e.g. a total next to its parts).
    pub dashed: bool,
}

impl Series {
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Series {
        Series { name: name.into(), points, dashed: false }
    }

    fn finite_points(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.points.iter().copied().filter(|(x, y)| x.is_finite() && y.is_finite())
    }
}

/// One bar of a bar chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub color: &'static str,
}

/// Latency by percentile: x is the percentile (0–100) on the usual HDR log scale
/// (`-log10(1 - p/100)`: 50, 90, 99, 99.9, 99.99 evenly spaced by nines), y the latency in ms.
///
/// The axis runs to 99.99 at least and to as many nines as the data reach (at most six);
/// the 100th percentile (the maximum) is drawn at the right edge.
pub fn percentile_chart(title: &str, series: &[Series]) -> String {
    const MAX_NINES: f64 = 6.0;
    let nines = |p: f64| if p >= 100.0 { f64::INFINITY } else { -(1.0 - p.max(0.0) / 100.0).log10() };
    let reached = series
        .iter()
        .flat_map(Series::finite_points)
        .map(|(p, _)| nines(p))
        .filter(|x| x.is_finite())
        .fold(0.0_f64, f64::max);
    // (A little off so that rounding in `1 - p/100` cannot add a nine.)
    let x_max = (reached - 1e-6).ceil().clamp(4.0, MAX_NINES);
    let mapped: Vec<Series> = series
        .iter()
        .map(|s| Series {
            name: s.name.clone(),
            points: s.finite_points().map(|(p, y)| (nines(p).min(x_max), y)).collect(),
            dashed: s.dashed,
        })
        .collect();
    let mut ticks = vec![(0.0, "0".to_string()), (nines(50.0), "50".to_string())];
    for decade in 1..=x_max as usize {
        let label = match decade {
            1 => "90".to_string(),
            2 => "99".to_string(),
            _ => format!("99.{}", "9".repeat(decade - 2)),
        };
        ticks.push((decade as f64, label));
    }
    line_chart(title, &mapped, XAxis { min: 0.0, max: x_max, ticks, label: "percentile".into() }, "latency (ms)")
}

/// Lines over time: x is the second of the run, y whatever `y_label` says.
pub fn time_chart(title: &str, y_label: &str, series: &[Series]) -> String {
    let xs = series.iter().flat_map(Series::finite_points).map(|(x, _)| x);
    let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)));
    let (lo, hi) = if lo.is_finite() && hi.is_finite() { (lo.min(0.0), hi) } else { (0.0, 1.0) };
    let span = hi - lo;
    let (max, step) = if span < 5.0 { (span.ceil().max(1.0), 1.0) } else { nice_scale(span) };
    let max = lo + max;
    let ticks = tick_values(lo, max, step).map(|x| (x, number(x, step))).collect();
    line_chart(title, series, XAxis { min: lo, max, ticks, label: "second of the run".into() }, y_label)
}

/// Horizontal bars with their value and share of the total, largest first as given.
pub fn bar_chart(title: &str, bars: &[Bar]) -> String {
    let bars: Vec<&Bar> = bars.iter().filter(|b| b.value.is_finite() && b.value >= 0.0).collect();
    let total: f64 = bars.iter().map(|b| b.value).sum();
    if bars.is_empty() || total <= 0.0 {
        return no_data(title, WIDTH, 120.0);
    }
    let label_width = bars.iter().map(|b| text_width(&b.label)).fold(0.0, f64::max).clamp(40.0, 240.0) + 12.0;
    let value_room = 120.0;
    let row = 24.0;
    let top = 30.0;
    let plot_left = label_width;
    let plot_width = WIDTH - plot_left - value_room;
    let height = top + row * bars.len() as f64 + 34.0;
    let bottom = top + row * bars.len() as f64;
    let max = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    let (scale_max, step) = nice_scale(max);
    let x = |v: f64| plot_left + v / scale_max * plot_width;

    let mut s = open(title, WIDTH, height);
    s.push_str(&heading(title));
    for t in tick_values(0.0, scale_max, step) {
        let _ = write!(
            s,
            r#"<line x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="{GRID}"/><text x="{x}" y="{ty}" text-anchor="middle" font-size="{FONT}" fill="{AXIS}">{label}</text>"#,
            x = n(x(t)),
            top = n(top),
            bottom = n(bottom),
            ty = n(bottom + 16.0),
            label = number(t, step),
        );
    }
    for (i, b) in bars.iter().enumerate() {
        let y = top + row * i as f64;
        let width = if b.value > 0.0 { (x(b.value) - plot_left).max(1.0) } else { 0.0 };
        let share = b.value / total * 100.0;
        let value = format!("{} ({share:.1}%)", number(b.value, 1.0));
        let _ = write!(
            s,
            r#"<text x="{lx}" y="{ty}" text-anchor="end" font-size="{FONT}" fill="{TEXT}">{label}</text><rect x="{x0}" y="{ry}" width="{w}" height="{h}" fill="{color}"><title>{label}: {value}</title></rect><text x="{vx}" y="{ty}" font-size="{FONT}" fill="{TEXT}">{value}</text>"#,
            lx = n(plot_left - 8.0),
            ty = n(y + row / 2.0 + 4.0),
            label = text(&b.label),
            x0 = n(plot_left),
            ry = n(y + 4.0),
            w = n(width),
            h = n(row - 8.0),
            color = b.color,
            vx = n(plot_left + width + 6.0),
        );
    }
    let _ = write!(
        s,
        r#"<line x1="{x0}" y1="{top}" x2="{x0}" y2="{bottom}" stroke="{AXIS}"/><text x="{cx}" y="{ly}" text-anchor="middle" font-size="{FONT}" fill="{AXIS}">requests</text>"#,
        x0 = n(plot_left),
        top = n(top),
        bottom = n(bottom),
        cx = n(plot_left + plot_width / 2.0),
        ly = n(height - 4.0),
    );
    s.push_str("</svg>");
    s
}

struct XAxis {
    min: f64,
    max: f64,
    ticks: Vec<(f64, String)>,
    label: String,
}

fn line_chart(title: &str, series: &[Series], x_axis: XAxis, y_label: &str) -> String {
    let drawn: Vec<(usize, &Series)> =
        series.iter().enumerate().filter(|(_, s)| s.finite_points().next().is_some()).collect();
    if drawn.is_empty() {
        return no_data(title, WIDTH, HEIGHT);
    }
    let legend = if series.len() > 1 { legend_rows(series) } else { Vec::new() };
    let top = MARGIN_TOP + LEGEND_ROW * legend.len() as f64;
    let height = HEIGHT + LEGEND_ROW * legend.len() as f64;
    let bottom = height - MARGIN_BOTTOM;
    let right = WIDTH - MARGIN_RIGHT;
    let y_hi = drawn.iter().flat_map(|(_, s)| s.finite_points()).map(|(_, y)| y).fold(0.0, f64::max);
    let (y_max, y_step) = nice_scale(y_hi);
    let x_span = if x_axis.max > x_axis.min { x_axis.max - x_axis.min } else { 1.0 };
    let px = |x: f64| MARGIN_LEFT + (x - x_axis.min) / x_span * (right - MARGIN_LEFT);
    let py = |y: f64| bottom - y.max(0.0) / y_max * (bottom - top);

    let mut s = open(title, WIDTH, height);
    s.push_str(&heading(title));
    // Grid and y ticks.
    for t in tick_values(0.0, y_max, y_step) {
        let _ = write!(
            s,
            r#"<line x1="{l}" y1="{y}" x2="{r}" y2="{y}" stroke="{GRID}"/><text x="{tx}" y="{ty}" text-anchor="end" font-size="{FONT}" fill="{AXIS}">{label}</text>"#,
            l = n(MARGIN_LEFT),
            r = n(right),
            y = n(py(t)),
            tx = n(MARGIN_LEFT - 6.0),
            ty = n(py(t) + 4.0),
            label = number(t, y_step),
        );
    }
    // X ticks.
    for (x, label) in &x_axis.ticks {
        let _ = write!(
            s,
            r#"<line x1="{x}" y1="{b}" x2="{x}" y2="{b6}" stroke="{AXIS}"/><line x1="{x}" y1="{top}" x2="{x}" y2="{b}" stroke="{GRID}"/><text x="{x}" y="{ty}" text-anchor="middle" font-size="{FONT}" fill="{AXIS}">{label}</text>"#,
            x = n(px(*x)),
            b = n(bottom),
            b6 = n(bottom + 5.0),
            top = n(top),
            ty = n(bottom + 18.0),
            label = text(label),
        );
    }
    // Axes and their labels.
    let _ = write!(
        s,
        r#"<path d="M{l},{top} V{b} H{r}" fill="none" stroke="{AXIS}"/><text x="{cx}" y="{ly}" text-anchor="middle" font-size="{FONT}" fill="{AXIS}">{x_label}</text><text transform="translate(14 {cy}) rotate(-90)" text-anchor="middle" font-size="{FONT}" fill="{AXIS}">{y_label}</text>"#,
        l = n(MARGIN_LEFT),
        top = n(top),
        b = n(bottom),
        r = n(right),
        cx = n((MARGIN_LEFT + right) / 2.0),
        ly = n(height - 8.0),
        x_label = text(&x_axis.label),
        cy = n((top + bottom) / 2.0),
        y_label = text(y_label),
    );
    // Data.
    for (i, series) in &drawn {
        let color = PALETTE[i % PALETTE.len()];
        let points: Vec<(f64, f64)> = series.finite_points().map(|(x, y)| (px(x), py(y))).collect();
        let mut d = String::new();
        for (k, (x, y)) in points.iter().enumerate() {
            let _ = write!(d, "{}{},{}", if k == 0 { "M" } else { " L" }, n(*x), n(*y));
        }
        let dash = if series.dashed { r#" stroke-dasharray="6 4""# } else { "" };
        let _ = write!(
            s,
            r#"<path class="series" d="{d}" fill="none" stroke="{color}" stroke-width="2" stroke-linejoin="round"{dash}><title>{name}</title></path>"#,
            name = text(&series.name),
        );
        if let [(x, y)] = points[..] {
            let _ = write!(s, r#"<circle cx="{}" cy="{}" r="3" fill="{color}"/>"#, n(x), n(y));
        }
    }
    // Legend.
    for (row, items) in legend.iter().enumerate() {
        let y = 32.0 + LEGEND_ROW * row as f64;
        for (i, x) in items {
            let color = PALETTE[i % PALETTE.len()];
            let dash = if series[*i].dashed { r#" stroke-dasharray="6 4""# } else { "" };
            let _ = write!(
                s,
                r#"<line x1="{x0}" y1="{ly}" x2="{x1}" y2="{ly}" stroke="{color}" stroke-width="3"{dash}/><text x="{tx}" y="{ty}" font-size="{FONT}" fill="{TEXT}">{name}</text>"#,
                x0 = n(*x),
                x1 = n(x + 18.0),
                ly = n(y - 4.0),
                tx = n(x + 23.0),
                ty = n(y),
                name = text(&series[*i].name),
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// Legend items laid out in rows: (series index, x) per row.
fn legend_rows(series: &[Series]) -> Vec<Vec<(usize, f64)>> {
    let mut rows: Vec<Vec<(usize, f64)>> = vec![Vec::new()];
    let mut x = MARGIN_LEFT;
    for (i, s) in series.iter().enumerate() {
        let width = 23.0 + text_width(&s.name).min(220.0) + 16.0;
        if x + width > WIDTH - MARGIN_RIGHT && x > MARGIN_LEFT {
            rows.push(Vec::new());
            x = MARGIN_LEFT;
        }
        rows.last_mut().expect("a row").push((i, x));
        x += width;
    }
    rows
}

fn open(title: &str, width: f64, height: f64) -> String {
    format!(
        r#"<svg class="chart" role="img" aria-label="{label}" viewBox="0 0 {w} {h}" preserveAspectRatio="xMidYMid meet"><title>{title}</title>"#,
        label = escape(&one_line(title), true),
        w = n(width),
        h = n(height),
        title = text(title),
    )
}

fn heading(title: &str) -> String {
    format!(
        r#"<text x="{}" y="18" font-size="14" font-weight="600" fill="{TEXT}">{}</text>"#,
        n(MARGIN_LEFT),
        text(title)
    )
}

fn no_data(title: &str, width: f64, height: f64) -> String {
    let mut s = open(title, width, height);
    s.push_str(&heading(title));
    let _ = write!(
        s,
        r#"<rect class="frame" x="{l}" y="{t}" width="{w}" height="{h}" fill="none" stroke="{GRID}"/><text class="no-data" x="{cx}" y="{cy}" text-anchor="middle" font-size="14" fill="{AXIS}">no data</text></svg>"#,
        l = n(MARGIN_LEFT),
        t = n(MARGIN_TOP),
        w = n(width - MARGIN_LEFT - MARGIN_RIGHT),
        h = n(height - MARGIN_TOP - 10.0),
        cx = n(width / 2.0),
        cy = n((height + MARGIN_TOP) / 2.0),
    );
    s
}

/// A "nice" upper bound for `max` (1, 2, 2.5 or 5 times a power of ten, about five ticks) and
/// the tick step. Zero, negative and non-finite maxima give a unit scale.
fn nice_scale(max: f64) -> (f64, f64) {
    if !max.is_finite() || max <= 0.0 {
        return (1.0, 0.2);
    }
    let rough = max / 5.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= rough)
        .unwrap_or(10.0 * magnitude);
    ((max / step).ceil() * step, step)
}

fn tick_values(min: f64, max: f64, step: f64) -> impl Iterator<Item = f64> {
    let count = if step > 0.0 && max >= min { ((max - min) / step + 1e-9).floor() as usize } else { 0 };
    (0..=count.min(50)).map(move |i| min + step * i as f64)
}

/// A tick or bar label: as many decimals as the step needs (at most three).
fn number(v: f64, step: f64) -> String {
    if !v.is_finite() {
        return "–".to_string();
    }
    let decimals = if step > 0.0 && step.is_finite() { (-step.log10().floor()).clamp(0.0, 3.0) as usize } else { 0 };
    let decimals = if (step * 10f64.powi(decimals as i32)).fract().abs() > 1e-9 { decimals + 1 } else { decimals };
    format!("{v:.decimals$}")
}

/// A coordinate: one decimal, and never `NaN` or `inf`.
fn n(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_string();
    }
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map_or(s.clone(), str::to_string)
}

fn text(s: &str) -> String {
    escape(&one_line(s), false)
}

/// Rough rendered width of a label at [`FONT`]: wide characters (Hangul, CJK) count double.
fn text_width(s: &str) -> f64 {
    s.chars().map(|c| if (c as u32) >= 0x1100 { 12.0 } else { 7.0 }).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_clean(svg: &str) {
        for bad in ["NaN", "inf", "Infinity"] {
            assert!(!svg.contains(bad), "{bad} in {svg}");
        }
        assert!(svg.starts_with("<svg class=\"chart\" role=\"img\" aria-label=\""), "{svg}");
        assert!(svg.contains("<title>"), "{svg}");
        assert!(svg.contains("viewBox=\"0 0 "), "{svg}");
        assert!(svg.ends_with("</svg>"), "{svg}");
        assert!(!svg.contains("xmlns"), "inline SVG needs no namespace URL: {svg}");
    }

    fn path_data(svg: &str) -> Vec<&str> {
        svg.split("<path class=\"series\" d=\"").skip(1).map(|rest| &rest[..rest.find('"').unwrap()]).collect()
    }

    #[test]
    fn percentile_axis_is_log_scaled() {
        let points = vec![(0.0, 1.0), (50.0, 2.0), (90.0, 3.0), (99.0, 5.0), (99.9, 8.0), (99.99, 12.0), (100.0, 20.0)];
        let svg = percentile_chart("latency", &[Series::new("transfer.withdraw", points)]);
        assert_clean(&svg);
        for label in [">50<", ">90<", ">99<", ">99.9<", ">99.99<"] {
            assert!(svg.contains(label), "{label} in {svg}");
        }
        assert!(!svg.contains(">99.999<"), "the axis stops at 99.99 when the data do");
        // 90, 99, 99.9 and 99.99 are evenly spaced.
        let d = path_data(&svg);
        assert_eq!(d.len(), 1);
        let xs: Vec<f64> = d[0]
            .split(['M', 'L'])
            .filter(|p| !p.trim().is_empty())
            .map(|p| p.trim().split(',').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(xs.len(), 7);
        let gaps: Vec<f64> = xs.windows(2).map(|w| w[1] - w[0]).collect();
        for gap in &gaps[2..5] {
            assert!((gap - gaps[2]).abs() < 0.2, "{gaps:?}");
        }
        assert_eq!(xs[6], WIDTH - MARGIN_RIGHT, "p100 at the right edge");
        assert_eq!(xs[5], WIDTH - MARGIN_RIGHT, "p99.99 at the right edge of a four-nines axis");
    }

    #[test]
    fn percentile_axis_grows_with_the_data() {
        let svg = percentile_chart("latency", &[Series::new("a", vec![(50.0, 1.0), (99.9999, 2.0)])]);
        assert_clean(&svg);
        assert!(svg.contains(">99.9999<"), "{svg}");
        assert!(!svg.contains(">99.99999<"), "{svg}");
    }

    #[test]
    fn time_chart_has_axes_ticks_legend_and_lines() {
        let rps = Series::new("requests/s", (0..30).map(|s| (f64::from(s), 100.0 + f64::from(s % 7))).collect());
        let errs = Series::new("errors/s", (0..30).map(|s| (f64::from(s), f64::from(s % 3))).collect());
        let svg = time_chart("throughput", "requests per second", &[rps, errs]);
        assert_clean(&svg);
        assert_eq!(path_data(&svg).len(), 2);
        assert!(path_data(&svg).iter().all(|d| d.starts_with('M') && d.matches(" L").count() == 29));
        assert!(svg.contains(">requests per second<") && svg.contains(">second of the run<"));
        assert!(svg.contains(">requests/s<") && svg.contains(">errors/s<"), "legend");
        assert!(svg.contains(">125<"), "a nice y tick above the maximum: {svg}");
    }

    #[test]
    fn single_points_are_visible() {
        let svg = time_chart("t", "ms", &[Series::new("p50", vec![(0.0, 3.0)])]);
        assert_clean(&svg);
        assert!(svg.contains("<circle"), "{svg}");
    }

    #[test]
    fn bars() {
        let bars = [
            Bar { label: "A0000 성공".into(), value: 980.0, color: GOOD },
            Bar { label: "A0326".into(), value: 20.0, color: WARN },
            Bar { label: "none".into(), value: 0.0, color: BAD },
        ];
        let svg = bar_chart("rsp_code", &bars);
        assert_clean(&svg);
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains(">980 (98.0%)<") && svg.contains(">20 (2.0%)<") && svg.contains(">0 (0.0%)<"), "{svg}");
        assert!(svg.contains(">A0000 성공<"));
    }

    #[test]
    fn empty_and_non_finite_data_say_no_data() {
        let nan = Series::new("x", vec![(f64::NAN, 1.0), (1.0, f64::INFINITY), (f64::NEG_INFINITY, 2.0)]);
        for svg in [
            percentile_chart("p", &[]),
            percentile_chart("p", std::slice::from_ref(&nan)),
            time_chart("t", "ms", &[]),
            time_chart("t", "ms", &[Series::new("empty", vec![])]),
            time_chart("t", "ms", std::slice::from_ref(&nan)),
            bar_chart("b", &[]),
            bar_chart("b", &[Bar { label: "x".into(), value: f64::NAN, color: BAD }]),
            bar_chart("b", &[Bar { label: "x".into(), value: 0.0, color: BAD }]),
        ] {
            assert_clean(&svg);
            assert!(svg.contains(">no data<"), "{svg}");
            assert!(!svg.contains("<path"), "{svg}");
        }
        // Partly bad data: the good points are drawn.
        let mixed = Series::new("x", vec![(0.0, f64::NAN), (1.0, 2.0), (2.0, 3.0), (f64::INFINITY, 1.0)]);
        let svg = time_chart("t", "ms", &[mixed]);
        assert_clean(&svg);
        assert_eq!(path_data(&svg).len(), 1);
        let svg = percentile_chart("p", &[Series::new("x", vec![(50.0, f64::NAN), (99.0, 1e300), (99.9, 2.0)])]);
        assert_clean(&svg);
        // All-zero values and a single second still give finite scales.
        assert_clean(&time_chart("t", "ms", &[Series::new("zero", vec![(5.0, 0.0), (5.0, 0.0)])]));
    }

    #[test]
    fn labels_are_escaped() {
        let svg = time_chart(
            "<script>alert(1)</script>",
            "a & b",
            &[Series::new("<b>x</b>", vec![(0.0, 1.0), (1.0, 2.0)]), Series::new("\"q\"", vec![(0.0, 1.0)])],
        );
        assert!(!svg.contains("<script") && !svg.contains("<b>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(svg.contains("aria-label=\"&lt;script&gt;alert(1)&lt;/script&gt;\""));
        assert!(svg.contains(">a &amp; b<"));
        let svg = bar_chart("x", &[Bar { label: "<img src=x>".into(), value: 1.0, color: GOOD }]);
        assert!(!svg.contains("<img"), "{svg}");
    }

    #[test]
    fn scales() {
        let close = |(a, b): (f64, f64), (c, d): (f64, f64)| (a - c).abs() < 1e-9 && (b - d).abs() < 1e-9;
        assert!(close(nice_scale(0.0), (1.0, 0.2)));
        assert!(close(nice_scale(f64::NAN), (1.0, 0.2)));
        assert!(close(nice_scale(107.0), (125.0, 25.0)));
        assert!(close(nice_scale(9.3), (10.0, 2.0)));
        assert!(close(nice_scale(0.42), (0.5, 0.1)));
        assert_eq!(number(0.25, 0.25), "0.25");
        assert_eq!(number(2.5, 2.5), "2.5");
        assert_eq!(number(40.0, 20.0), "40");
        assert_eq!(n(f64::NAN), "0");
        assert_eq!(n(3.0), "3");
        assert_eq!(n(3.26), "3.3");
    }
}
