//! Small inline SVG charts for the HTML reports: a latency-by-percentile curve (log-scaled
//! percentile axis), time series lines, a horizontal bar chart and stacked bars.
//!
//! Every chart is a self-contained `<svg>` element scaled by its `viewBox` (it fills the width
//! of its container), with `role="img"`, an `aria-label` and a `<title>`, axes with ticks and
//! labels, and a legend when there is more than one series. Values show on hover: each point
//! of a percentile curve, each second of a time chart (all its series at once) and each bar
//! has a `<title>` with its value and unit. Each chart is drawn in a [`Frame`]: [`WIDE`] for a
//! desktop, [`NARROW`] for a phone, whose coordinate system is about as wide as the screen so
//! that its text stays at least 11 px. Text is XML-escaped here, so the output can be
//! inserted into a page as is. Non-finite values are dropped before drawing; a chart with
//! nothing to draw says "no data" — no `NaN` or `inf` ever reaches the markup.

use std::fmt::Write as _;

use super::junit::escape;
use super::view::one_line;

/// A chart's coordinate system and type size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    /// Width of the coordinate system.
    pub width: f64,
    /// Height of the line charts (legend rows add to it).
    pub height: f64,
    pub font: f64,
    margin_left: f64,
    margin_right: f64,
    /// The y axis's label above the plot (narrow), not turned along the axis.
    y_label_above: bool,
    /// The `class` of the `<svg>` besides `chart`.
    pub class: &'static str,
}

/// A desktop's chart: 640 units wide, shown 550 px wide or more (two to a row on a wide
/// screen), so 13-unit text is at least 11 px.
pub const WIDE: Frame = Frame {
    width: 640.0,
    height: 300.0,
    font: 13.0,
    margin_left: 64.0,
    margin_right: 20.0,
    y_label_above: false,
    class: "wide",
};
/// A phone's chart: 360 units wide, shown about 340 px wide on a 390 px screen, so 13-unit
/// text is 12 px.
pub const NARROW: Frame = Frame {
    width: 360.0,
    height: 270.0,
    font: 13.0,
    margin_left: 50.0,
    margin_right: 14.0,
    y_label_above: true,
    class: "narrow",
};

const MARGIN_TOP: f64 = 34.0;
const MARGIN_BOTTOM: f64 = 46.0;
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
    /// Drawn dashed (e.g. a total next to its parts, or a baseline).
    pub dashed: bool,
    /// The line's colour; by default the palette's, in series order.
    pub color: Option<&'static str>,
    /// The unit of y in hover titles (`ms`, `req/s`, …).
    pub unit: &'static str,
    /// Decimals of y in hover titles.
    pub decimals: usize,
}

impl Series {
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Series {
        Series { name: name.into(), points, dashed: false, color: None, unit: "", decimals: 2 }
    }

    /// With this unit (and decimals) in hover titles.
    pub fn unit(self, unit: &'static str, decimals: usize) -> Series {
        Series { unit, decimals, ..self }
    }

    fn value(&self, y: f64) -> String {
        let space = if self.unit.is_empty() { "" } else { " " };
        format!("{y:.prec$}{space}{}", self.unit, prec = self.decimals)
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

/// One row of a stacked bar chart: its label and one value per segment.
#[derive(Debug, Clone, PartialEq)]
pub struct StackRow {
    pub label: String,
    pub values: Vec<f64>,
}

/// What a segment of stacked bars is, and its colour.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub name: String,
    pub color: &'static str,
}

/// What hovering a line chart shows.
enum Hover {
    /// A title on each point: one label per finite point of each series.
    Points(Vec<Vec<String>>),
    /// A title on each x (a time chart's second, or `step` seconds): every series' value there.
    Columns { step: f64 },
}

/// Latency by percentile: x is the percentile (0–100) on the usual HDR log scale
/// (`-log10(1 - p/100)`: 50, 90, 99, 99.9, 99.99 evenly spaced by nines), y the latency in ms.
///
/// The axis runs to 99.99 at least and to as many nines as the data reach (at most six);
/// the 100th percentile (the maximum) is drawn at the right edge. Each point shows its
/// percentile and latency on hover.
pub fn percentile_chart(title: &str, series: &[Series], frame: &Frame) -> String {
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
        .map(|s| Series { points: s.finite_points().map(|(p, y)| (nines(p).min(x_max), y)).collect(), ..s.clone() })
        .collect();
    let labels = series
        .iter()
        .map(|s| {
            s.finite_points()
                .map(|(p, y)| {
                    let p = if p >= 100.0 { "max".to_string() } else { format!("p{}", trim(p)) };
                    format!("{} {p}: {}", s.name, s.value(y))
                })
                .collect()
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
    line_chart(
        title,
        &mapped,
        XAxis { min: 0.0, max: x_max, ticks, label: "percentile".into() },
        "latency (ms)",
        frame,
        Hover::Points(labels),
    )
}

/// A percentile without trailing zeros: `99.9`, `50`.
fn trim(p: f64) -> String {
    let s = format!("{p:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Lines over time: x is the second of the run, y whatever `y_label` says. `step` is the
/// seconds each point stands for (1, or more when a long run was condensed).
pub fn time_chart(title: &str, y_label: &str, series: &[Series], frame: &Frame, step: f64) -> String {
    let xs = series.iter().flat_map(Series::finite_points).map(|(x, _)| x);
    let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)));
    let (lo, hi) = if lo.is_finite() && hi.is_finite() { (lo.min(0.0), hi) } else { (0.0, 1.0) };
    let span = hi - lo;
    let (max, tick) = if span < 5.0 { (span.ceil().max(1.0), 1.0) } else { nice_scale(span) };
    let max = lo + max;
    let ticks = tick_values(lo, max, tick).map(|x| (x, number(x, tick))).collect();
    let label = if step > 1.0 {
        format!("second of the run (each point {} s)", number(step, 1.0))
    } else {
        "second of the run".to_string()
    };
    line_chart(title, series, XAxis { min: lo, max, ticks, label }, y_label, frame, Hover::Columns { step })
}

/// Horizontal bars with their value and share of the total, largest first as given.
pub fn bar_chart(title: &str, bars: &[Bar], frame: &Frame) -> String {
    let bars: Vec<&Bar> = bars.iter().filter(|b| b.value.is_finite() && b.value >= 0.0).collect();
    let total: f64 = bars.iter().map(|b| b.value).sum();
    if bars.is_empty() || total <= 0.0 {
        return no_data(title, frame, 120.0);
    }
    let font = frame.font;
    let label_width =
        bars.iter().map(|b| text_width(&b.label, font)).fold(0.0, f64::max).clamp(40.0, frame.width * 0.36) + 12.0;
    let value_room = font * 9.0;
    let row = font * 2.0;
    let top = 30.0;
    let plot_left = label_width;
    let plot_width = frame.width - plot_left - value_room;
    let height = top + row * bars.len() as f64 + 34.0;
    let bottom = top + row * bars.len() as f64;
    let max = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    let (scale_max, step) = nice_scale(max);
    let x = |v: f64| plot_left + v / scale_max * plot_width;

    let mut s = open(title, frame, height);
    s.push_str(&heading(title, frame));
    for t in tick_values(0.0, scale_max, step) {
        let _ = write!(
            s,
            r#"<line x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="{GRID}"/><text x="{x}" y="{ty}" text-anchor="middle" font-size="{font}" fill="{AXIS}">{label}</text>"#,
            x = n(x(t)),
            top = n(top),
            bottom = n(bottom),
            ty = n(bottom + font + 4.0),
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
            r#"<text x="{lx}" y="{ty}" text-anchor="end" font-size="{font}" fill="{TEXT}">{short}</text><rect x="{x0}" y="{ry}" width="{w}" height="{h}" fill="{color}"><title>{label}: {value}</title></rect><text x="{vx}" y="{ty}" font-size="{font}" fill="{TEXT}">{value}</text>"#,
            lx = n(plot_left - 8.0),
            ty = n(y + row / 2.0 + font / 3.0),
            short = text(&fit(&b.label, label_width - 12.0, font)),
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
        r#"<line x1="{x0}" y1="{top}" x2="{x0}" y2="{bottom}" stroke="{AXIS}"/><text x="{cx}" y="{ly}" text-anchor="middle" font-size="{font}" fill="{AXIS}">requests</text>"#,
        x0 = n(plot_left),
        top = n(top),
        bottom = n(bottom),
        cx = n(plot_left + plot_width / 2.0),
        ly = n(height - 4.0),
    );
    s.push_str("</svg>");
    s
}

/// One bar per row, split into segments by their share of the row's total (each row is 100 %),
/// the row's label above its bar; each segment shows its count and share on hover, and its
/// share in the bar when there is room.
pub fn stacked_bars(title: &str, rows: &[StackRow], segments: &[Segment], frame: &Frame) -> String {
    let finite = |v: &f64| if v.is_finite() && *v > 0.0 { *v } else { 0.0 };
    let rows: Vec<&StackRow> = rows.iter().filter(|r| r.values.iter().map(finite).sum::<f64>() > 0.0).collect();
    if rows.is_empty() || segments.is_empty() {
        return no_data(title, frame, 120.0);
    }
    let font = frame.font;
    let left = 12.0;
    let right = frame.width - 12.0;
    let legend = legend_layout(segments.iter().map(|g| g.name.as_str()), left, right, font);
    let legend_rows = legend.iter().map(|(row, _)| *row).max().map_or(0, |r| r + 1);
    let top = 30.0 + (font + 8.0) * legend_rows as f64;
    let (label_h, bar_h, gap) = (font + 4.0, font + 6.0, 10.0);
    let row_h = label_h + bar_h + gap;
    let height = top + row_h * rows.len() as f64 + 4.0;

    let mut s = open(title, frame, height);
    s.push_str(&heading(title, frame));
    for ((row, x), g) in legend.iter().zip(segments) {
        let y = 28.0 + (font + 8.0) * (*row as f64 + 1.0) - 4.0;
        let _ = write!(
            s,
            r#"<rect x="{x}" y="{ry}" width="12" height="12" fill="{color}"/><text x="{tx}" y="{ty}" font-size="{font}" fill="{TEXT}">{name}</text>"#,
            x = n(*x),
            ry = n(y - 10.0),
            color = g.color,
            tx = n(x + 16.0),
            ty = n(y),
            name = text(&g.name),
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        let total: f64 = r.values.iter().map(finite).sum();
        let _ = write!(
            s,
            r#"<text x="{left}" y="{ty}" font-size="{font}" fill="{TEXT}">{label}</text>"#,
            left = n(left),
            ty = n(y + label_h - 4.0),
            label = text(&fit(&r.label, right - left, font)),
        );
        let mut x = left;
        for (v, g) in r.values.iter().map(finite).zip(segments) {
            if v <= 0.0 {
                continue;
            }
            let share = v / total * 100.0;
            let w = (right - left) * v / total;
            let _ = write!(
                s,
                r#"<rect class="segment" x="{x}" y="{ry}" width="{w}" height="{bar_h}" fill="{color}"><title>{label} — {name}: {count} ({share:.1}%)</title></rect>"#,
                x = n(x),
                ry = n(y + label_h),
                w = n(w.max(0.5)),
                bar_h = n(bar_h),
                color = g.color,
                label = text(&r.label),
                name = text(&g.name),
                count = number(v, 1.0),
            );
            let inside = format!("{share:.0}%");
            if w >= text_width(&inside, font) + 6.0 {
                let _ = write!(
                    s,
                    r##"<text x="{cx}" y="{ty}" text-anchor="middle" font-size="{font}" fill="#fff" pointer-events="none">{inside}</text>"##,
                    cx = n(x + w / 2.0),
                    ty = n(y + label_h + bar_h / 2.0 + font / 3.0),
                );
            }
            x += w;
        }
    }
    s.push_str("</svg>");
    s
}

struct XAxis {
    min: f64,
    max: f64,
    ticks: Vec<(f64, String)>,
    label: String,
}

fn color_of(series: &[Series], i: usize) -> &'static str {
    series[i].color.unwrap_or(PALETTE[i % PALETTE.len()])
}

fn line_chart(title: &str, series: &[Series], x_axis: XAxis, y_label: &str, frame: &Frame, hover: Hover) -> String {
    let drawn: Vec<(usize, &Series)> =
        series.iter().enumerate().filter(|(_, s)| s.finite_points().next().is_some()).collect();
    if drawn.is_empty() {
        return no_data(title, frame, frame.height);
    }
    let font = frame.font;
    let left_edge = frame.margin_left;
    let right = frame.width - frame.margin_right;
    let legend = if series.len() > 1 {
        legend_layout(series.iter().map(|s| s.name.as_str()), left_edge, right, font)
    } else {
        Vec::new()
    };
    let legend_rows = legend.iter().map(|(row, _)| *row).max().map_or(0, |r| r + 1);
    let legend_row = font + 6.0;
    let extra_rows = legend_rows + usize::from(frame.y_label_above);
    let top = MARGIN_TOP + legend_row * extra_rows as f64;
    let height = frame.height + legend_row * extra_rows as f64;
    let bottom = height - MARGIN_BOTTOM;
    let y_hi = drawn.iter().flat_map(|(_, s)| s.finite_points()).map(|(_, y)| y).fold(0.0, f64::max);
    let (y_max, y_step) = nice_scale(y_hi);
    let x_span = if x_axis.max > x_axis.min { x_axis.max - x_axis.min } else { 1.0 };
    let px = |x: f64| left_edge + (x - x_axis.min) / x_span * (right - left_edge);
    let py = |y: f64| bottom - y.max(0.0) / y_max * (bottom - top);

    let mut s = open(title, frame, height);
    s.push_str(&heading(title, frame));
    // Grid and y ticks.
    for t in tick_values(0.0, y_max, y_step) {
        let _ = write!(
            s,
            r#"<line x1="{l}" y1="{y}" x2="{r}" y2="{y}" stroke="{GRID}"/><text x="{tx}" y="{ty}" text-anchor="end" font-size="{font}" fill="{AXIS}">{label}</text>"#,
            l = n(left_edge),
            r = n(right),
            y = n(py(t)),
            tx = n(left_edge - 6.0),
            ty = n(py(t) + font / 3.0),
            label = number(t, y_step),
        );
    }
    // X ticks: a label is left out when it would touch the one before; the last one ends at
    // the edge rather than run past it.
    let mut shown_to = f64::NEG_INFINITY;
    for (x, label) in &x_axis.ticks {
        let at = px(*x);
        let w = text_width(label, font);
        let (anchor, from, to) =
            if at + w / 2.0 > frame.width - 2.0 { ("end", at - w, at) } else { ("middle", at - w / 2.0, at + w / 2.0) };
        let shown = if from >= shown_to + 4.0 {
            shown_to = to;
            text(label)
        } else {
            String::new()
        };
        let _ = write!(
            s,
            r#"<line x1="{x}" y1="{b}" x2="{x}" y2="{b6}" stroke="{AXIS}"/><line x1="{x}" y1="{top}" x2="{x}" y2="{b}" stroke="{GRID}"/><text x="{x}" y="{ty}" text-anchor="{anchor}" font-size="{font}" fill="{AXIS}">{shown}</text>"#,
            x = n(at),
            b = n(bottom),
            b6 = n(bottom + 5.0),
            top = n(top),
            ty = n(bottom + font + 6.0),
        );
    }
    // Axes and their labels.
    let _ = write!(
        s,
        r#"<path d="M{l},{top} V{b} H{r}" fill="none" stroke="{AXIS}"/><text x="{cx}" y="{ly}" text-anchor="middle" font-size="{font}" fill="{AXIS}">{x_label}</text>"#,
        l = n(left_edge),
        top = n(top),
        b = n(bottom),
        r = n(right),
        cx = n((left_edge + right) / 2.0),
        ly = n(height - 8.0),
        x_label = text(&fit(&x_axis.label, frame.width - 16.0, font)),
    );
    if frame.y_label_above {
        let _ = write!(
            s,
            r#"<text x="12" y="{y}" font-size="{font}" fill="{AXIS}">{y_label}</text>"#,
            y = n(top - 12.0),
            y_label = text(&fit(y_label, frame.width - 24.0, font)),
        );
    } else {
        let _ = write!(
            s,
            r#"<text transform="translate({yx} {cy}) rotate(-90)" text-anchor="middle" font-size="{font}" fill="{AXIS}">{y_label}</text>"#,
            yx = n(font + 2.0),
            cy = n((top + bottom) / 2.0),
            y_label = text(y_label),
        );
    }
    // Data.
    for (i, line) in &drawn {
        let color = color_of(series, *i);
        let points: Vec<(f64, f64)> = line.finite_points().map(|(x, y)| (px(x), py(y))).collect();
        let mut d = String::new();
        for (k, (x, y)) in points.iter().enumerate() {
            let _ = write!(d, "{}{},{}", if k == 0 { "M" } else { " L" }, n(*x), n(*y));
        }
        let dash = if line.dashed { r#" stroke-dasharray="6 4""# } else { "" };
        let _ = write!(
            s,
            r#"<path class="series" d="{d}" fill="none" stroke="{color}" stroke-width="2" stroke-linejoin="round"{dash}><title>{name}</title></path>"#,
            name = text(&line.name),
        );
        match &hover {
            Hover::Points(labels) => {
                for ((x, y), label) in points.iter().zip(labels.get(*i).into_iter().flatten()) {
                    let _ = write!(
                        s,
                        r#"<circle class="point" cx="{}" cy="{}" r="3" fill="{color}"><title>{}</title></circle>"#,
                        n(*x),
                        n(*y),
                        text(label)
                    );
                }
            }
            Hover::Columns { .. } => {
                if let [(x, y)] = points[..] {
                    let _ = write!(s, r#"<circle cx="{}" cy="{}" r="3" fill="{color}"/>"#, n(x), n(y));
                }
            }
        }
    }
    // Hover columns: every series' value at each x.
    if let Hover::Columns { step } = hover {
        let mut xs: Vec<f64> = drawn.iter().flat_map(|(_, s)| s.finite_points().map(|(x, _)| x)).collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        for (k, x) in xs.iter().enumerate() {
            let from = if k == 0 { px(*x) } else { (px(xs[k - 1]) + px(*x)) / 2.0 };
            let to = if k + 1 == xs.len() { px(*x) } else { (px(*x) + px(xs[k + 1])) / 2.0 };
            let (from, to) = if xs.len() == 1 { (left_edge, right) } else { (from.max(left_edge), to.min(right)) };
            let when = if step > 1.0 {
                format!("seconds {}–{}", number(*x, 1.0), number(x + step - 1.0, 1.0))
            } else {
                format!("second {}", number(*x, 1.0))
            };
            let values: Vec<String> = drawn
                .iter()
                .filter_map(|(_, s)| {
                    let (_, y) = s.finite_points().find(|(px, _)| px == x)?;
                    Some(format!("{} {}", s.name, s.value(y)))
                })
                .collect();
            let _ = write!(
                s,
                r#"<rect class="hover" x="{x0}" y="{top}" width="{w}" height="{h}" fill="transparent"><title>{when}: {values}</title></rect>"#,
                x0 = n(from),
                top = n(top),
                w = n((to - from).max(1.0)),
                h = n(bottom - top),
                values = text(&values.join(" · ")),
            );
        }
    }
    // Legend.
    for ((row, x), (i, series_item)) in legend.iter().zip(series.iter().enumerate()) {
        let y = 28.0 + legend_row * (*row as f64 + 1.0) - 4.0;
        let color = color_of(series, i);
        let dash = if series_item.dashed { r#" stroke-dasharray="6 4""# } else { "" };
        let _ = write!(
            s,
            r#"<line x1="{x0}" y1="{ly}" x2="{x1}" y2="{ly}" stroke="{color}" stroke-width="3"{dash}/><text x="{tx}" y="{ty}" font-size="{font}" fill="{TEXT}">{name}</text>"#,
            x0 = n(*x),
            x1 = n(x + 18.0),
            ly = n(y - font / 3.0),
            tx = n(x + 23.0),
            ty = n(y),
            name = text(&series_item.name),
        );
    }
    s.push_str("</svg>");
    s
}

/// Legend items laid out in rows from `left` to `right`: (row, x) per item.
fn legend_layout<'a>(names: impl Iterator<Item = &'a str>, left: f64, right: f64, font: f64) -> Vec<(usize, f64)> {
    let mut out = Vec::new();
    let (mut row, mut x) = (0, left);
    for name in names {
        let width = 23.0 + text_width(name, font).min(right - left - 23.0) + 14.0;
        if x + width > right && x > left {
            row += 1;
            x = left;
        }
        out.push((row, x));
        x += width;
    }
    out
}

fn open(title: &str, frame: &Frame, height: f64) -> String {
    format!(
        r#"<svg class="chart {class}" role="img" aria-label="{label}" viewBox="0 0 {w} {h}" preserveAspectRatio="xMidYMid meet"><title>{title}</title>"#,
        class = frame.class,
        label = escape(&one_line(title), true),
        w = n(frame.width),
        h = n(height),
        title = text(title),
    )
}

/// The chart's visible title: two units larger than its text, smaller (down to the text's
/// size) when it would not fit, and cut with "…" when even that does not fit (the `<title>`
/// and `aria-label` keep it whole).
fn heading(title: &str, frame: &Frame) -> String {
    let room = frame.width - 24.0;
    let size = (room / text_width(title, 1.0)).clamp(frame.font, frame.font + 2.0);
    format!(
        r#"<text x="12" y="18" font-size="{}" font-weight="600" fill="{TEXT}">{}</text>"#,
        n(size),
        text(&fit(title, room, size))
    )
}

/// `s`, cut with "…" to fit `width` at `font`.
fn fit(s: &str, width: f64, font: f64) -> String {
    if text_width(s, font) <= width {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        if text_width(&out, font) + text_width(&format!("{c}…"), font) > width {
            break;
        }
        out.push(c);
    }
    format!("{}…", out.trim_end())
}

fn no_data(title: &str, frame: &Frame, height: f64) -> String {
    let mut s = open(title, frame, height);
    s.push_str(&heading(title, frame));
    let _ = write!(
        s,
        r#"<rect class="frame" x="{l}" y="{t}" width="{w}" height="{h}" fill="none" stroke="{GRID}"/><text class="no-data" x="{cx}" y="{cy}" text-anchor="middle" font-size="14" fill="{AXIS}">no data</text></svg>"#,
        l = n(frame.margin_left),
        t = n(MARGIN_TOP),
        w = n(frame.width - frame.margin_left - frame.margin_right),
        h = n(height - MARGIN_TOP - 10.0),
        cx = n(frame.width / 2.0),
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

/// Rough rendered width of a label at `font`: wide characters (Hangul, CJK) count double.
fn text_width(s: &str, font: f64) -> f64 {
    s.chars().map(|c| if (c as u32) >= 0x1100 { 1.0 } else { 0.58 }).sum::<f64>() * font
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_clean(svg: &str) {
        for bad in ["NaN", "inf", "Infinity"] {
            assert!(!svg.contains(bad), "{bad} in {svg}");
        }
        assert!(svg.starts_with("<svg class=\"chart wide\" role=\"img\" aria-label=\""), "{svg}");
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
        let svg = percentile_chart("latency", &[Series::new("transfer.withdraw", points)], &WIDE);
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
        assert_eq!(xs[6], WIDE.width - WIDE.margin_right, "p100 at the right edge");
        assert_eq!(xs[5], WIDE.width - WIDE.margin_right, "p99.99 at the right edge of a four-nines axis");
    }

    #[test]
    fn percentile_axis_grows_with_the_data() {
        let svg = percentile_chart("latency", &[Series::new("a", vec![(50.0, 1.0), (99.9999, 2.0)])], &WIDE);
        assert_clean(&svg);
        assert!(svg.contains(">99.9999<"), "{svg}");
        assert!(!svg.contains(">99.99999<"), "{svg}");
    }

    #[test]
    fn time_chart_has_axes_ticks_legend_and_lines() {
        let rps = Series::new("requests/s", (0..30).map(|s| (f64::from(s), 100.0 + f64::from(s % 7))).collect());
        let errs = Series::new("errors/s", (0..30).map(|s| (f64::from(s), f64::from(s % 3))).collect());
        let svg = time_chart("throughput", "requests per second", &[rps, errs], &WIDE, 1.0);
        assert_clean(&svg);
        assert_eq!(path_data(&svg).len(), 2);
        assert!(path_data(&svg).iter().all(|d| d.starts_with('M') && d.matches(" L").count() == 29));
        assert!(svg.contains(">requests per second<") && svg.contains(">second of the run<"));
        assert!(svg.contains(">requests/s<") && svg.contains(">errors/s<"), "legend");
        assert!(svg.contains(">125<"), "a nice y tick above the maximum: {svg}");
    }

    #[test]
    fn single_points_are_visible() {
        let svg = time_chart("t", "ms", &[Series::new("p50", vec![(0.0, 3.0)])], &WIDE, 1.0);
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
        let svg = bar_chart("rsp_code", &bars, &WIDE);
        assert_clean(&svg);
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains(">980 (98.0%)<") && svg.contains(">20 (2.0%)<") && svg.contains(">0 (0.0%)<"), "{svg}");
        assert!(svg.contains(">A0000 성공<"));
    }

    #[test]
    fn empty_and_non_finite_data_say_no_data() {
        let nan = Series::new("x", vec![(f64::NAN, 1.0), (1.0, f64::INFINITY), (f64::NEG_INFINITY, 2.0)]);
        for svg in [
            percentile_chart("p", &[], &WIDE),
            percentile_chart("p", std::slice::from_ref(&nan), &WIDE),
            time_chart("t", "ms", &[], &WIDE, 1.0),
            time_chart("t", "ms", &[Series::new("empty", vec![])], &WIDE, 1.0),
            time_chart("t", "ms", std::slice::from_ref(&nan), &WIDE, 1.0),
            bar_chart("b", &[], &WIDE),
            bar_chart("b", &[Bar { label: "x".into(), value: f64::NAN, color: BAD }], &WIDE),
            bar_chart("b", &[Bar { label: "x".into(), value: 0.0, color: BAD }], &WIDE),
        ] {
            assert_clean(&svg);
            assert!(svg.contains(">no data<"), "{svg}");
            assert!(!svg.contains("<path"), "{svg}");
        }
        // Partly bad data: the good points are drawn.
        let mixed = Series::new("x", vec![(0.0, f64::NAN), (1.0, 2.0), (2.0, 3.0), (f64::INFINITY, 1.0)]);
        let svg = time_chart("t", "ms", &[mixed], &WIDE, 1.0);
        assert_clean(&svg);
        assert_eq!(path_data(&svg).len(), 1);
        let svg = percentile_chart("p", &[Series::new("x", vec![(50.0, f64::NAN), (99.0, 1e300), (99.9, 2.0)])], &WIDE);
        assert_clean(&svg);
        // All-zero values and a single second still give finite scales.
        assert_clean(&time_chart("t", "ms", &[Series::new("zero", vec![(5.0, 0.0), (5.0, 0.0)])], &WIDE, 1.0));
    }

    #[test]
    fn labels_are_escaped() {
        let svg = time_chart(
            "<script>alert(1)</script>",
            "a & b",
            &[Series::new("<b>x</b>", vec![(0.0, 1.0), (1.0, 2.0)]), Series::new("\"q\"", vec![(0.0, 1.0)])],
            &WIDE,
            1.0,
        );
        assert!(!svg.contains("<script") && !svg.contains("<b>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(svg.contains("aria-label=\"&lt;script&gt;alert(1)&lt;/script&gt;\""));
        assert!(svg.contains(">a &amp; b<"));
        let svg = bar_chart("x", &[Bar { label: "<img src=x>".into(), value: 1.0, color: GOOD }], &WIDE);
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
