//! Inline SVG, drawn by hand: a line plot per signal and a sparkline per
//! finding. A plot is a few dozen elements (polylines, circles, a handful of
//! labels); a plotting library would bring fonts, layout and a dependency
//! tree for less control over what the page holds. Every number is written
//! with fixed precision, so that the same report gives the same bytes.

use std::fmt::Write as _;

use super::{
    h,
    trends::{Metric, TrendPoint, lines},
};
use crate::history::DaySeen;

const WIDTH: f64 = 360.0;
const HEIGHT: f64 = 180.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 26.0;
/// Space between the value axis (its labels) and the first point, and
/// after the last.
const INSET: f64 = 12.0;

/// A horizontal line a rule judges the series against.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub y: f64,
    pub label: String,
}

/// One signal of one repository, with what the findings say about it.
pub struct Plot<'a> {
    pub repo: &'a str,
    pub metric: Metric,
    pub points: &'a [TrendPoint],
    pub thresholds: Vec<Threshold>,
    /// For each point (by index), the titles of the findings whose evidence
    /// points at this signal in that snapshot.
    pub marks: Vec<Vec<String>>,
}

impl Plot<'_> {
    /// Whether any snapshot carries the signal.
    pub fn has_values(&self) -> bool {
        self.points
            .iter()
            .any(|p| p.values(self.metric).iter().any(Option::is_some))
    }
}

/// A number as a label: whole numbers without decimals, others with one.
fn label(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

/// The plot as an `<svg>` element: one `circle.pt` per snapshot and line
/// (`data-line`), a ring (`circle.mark`) where a finding points, a dashed
/// line per threshold.
pub fn svg(plot: &Plot) -> String {
    let metric = plot.metric;
    let values: Vec<f64> = plot
        .points
        .iter()
        .flat_map(|p| p.values(metric))
        .flatten()
        .chain(plot.thresholds.iter().map(|t| t.y))
        .collect();
    let (mut lo, mut hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    let pad = if hi > lo { (hi - lo) * 0.1 } else { 1.0 };
    let non_negative = lo >= 0.0;
    lo -= pad;
    hi += pad;
    if non_negative {
        lo = lo.max(0.0);
    }
    let (t0, t1) = (
        plot.points.first().map_or(0, |p| p.at),
        plot.points.last().map_or(0, |p| p.at),
    );
    let inner_w = WIDTH - LEFT - RIGHT - 2.0 * INSET;
    let inner_h = HEIGHT - TOP - BOTTOM;
    let x = |at: i64| {
        LEFT + INSET
            + if t1 > t0 {
                (at - t0) as f64 / (t1 - t0) as f64 * inner_w
            } else {
                inner_w / 2.0
            }
    };
    let y = |v: f64| TOP + (hi - v) / (hi - lo) * inner_h;

    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"plot\" data-metric=\"{id}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
         role=\"img\" aria-label=\"{title} of {repo}\" xmlns=\"http://www.w3.org/2000/svg\">",
        id = metric.id(),
        title = metric.title(),
        repo = h(plot.repo),
    );
    // The value axis: three ticks with grid lines.
    for v in [lo, (lo + hi) / 2.0, hi] {
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{yv:.1}\" y2=\"{yv:.1}\"/>\
             <text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 4.0,
            y(v) + 3.5,
            label((v * 10.0).round() / 10.0),
            yv = y(v),
        );
    }
    // The time axis: the first and last snapshot's dates.
    if let (Some(first), Some(last)) = (plot.points.first(), plot.points.last()) {
        let date = |p: &TrendPoint| h(p.observed_at.get(..10).unwrap_or(&p.observed_at));
        let _ = write!(
            out,
            "<text class=\"tick\" x=\"{LEFT}\" y=\"{:.1}\">{}</text>",
            HEIGHT - 8.0,
            date(first)
        );
        if plot.points.len() > 1 {
            let _ = write!(
                out,
                "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                WIDTH - RIGHT,
                HEIGHT - 8.0,
                date(last)
            );
        }
    }
    for t in &plot.thresholds {
        let _ = write!(
            out,
            "<line class=\"threshold\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{yt:.1}\" y2=\"{yt:.1}\">\
             <title>{}</title></line>\
             <text class=\"threshold-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            WIDTH - RIGHT,
            h(&t.label),
            WIDTH - RIGHT - 2.0,
            y(t.y) - 3.0,
            h(&t.label),
            yt = y(t.y),
        );
    }
    for (n, name) in lines(metric).iter().enumerate() {
        let at: Vec<(usize, f64, f64, f64)> = plot
            .points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.values(metric)[n].map(|v| (i, x(p.at), y(v), v)))
            .collect();
        let path: Vec<String> = at
            .iter()
            .map(|(_, px, py, _)| format!("{px:.1},{py:.1}"))
            .collect();
        let _ = write!(
            out,
            "<polyline class=\"line line-{n}\" points=\"{}\"/>",
            path.join(" ")
        );
        for &(i, px, py, v) in &at {
            let p = &plot.points[i];
            let marks = plot.marks.get(i).filter(|m| !m.is_empty());
            if let Some(marks) = marks {
                let _ = write!(
                    out,
                    "<circle class=\"mark\" cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"7\">\
                     <title>{}</title></circle>",
                    h(&marks.join("\n"))
                );
            }
            let what = if name.is_empty() {
                String::new()
            } else {
                format!(" {name}")
            };
            let _ = write!(
                out,
                "<circle class=\"pt line-{n}\" data-line=\"{n}\" data-snapshot=\"{}\" \
                 cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"3.5\"><title>{} · {}{what}</title></circle>",
                h(&p.source),
                h(&p.observed_at),
                label(v),
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// How often a finding was seen, a bar per day of the history's window
/// ending on its last sighting (this run).
pub fn sparkline(by_day: &[DaySeen], window_days: u32, last_seen: &str) -> String {
    let Some(end) = julian(last_seen) else {
        return String::new();
    };
    let days = i64::from(window_days.max(1));
    let start = end - days + 1;
    let shown: Vec<(i64, &DaySeen)> = by_day
        .iter()
        .filter_map(|d| julian(&d.day).map(|day| (day, d)))
        .filter(|(day, _)| (start..=end).contains(day))
        .collect();
    let most = shown.iter().map(|(_, d)| d.runs).max().unwrap_or(1).max(1) as f64;
    const BAR: f64 = 3.0;
    const TALL: f64 = 18.0;
    let mut out = String::new();
    let total: u64 = shown.iter().map(|(_, d)| d.runs).sum();
    let _ = write!(
        out,
        "<svg class=\"spark\" viewBox=\"0 0 {w:.0} {TALL}\" width=\"{w:.0}\" height=\"{TALL}\" \
         role=\"img\" aria-label=\"seen in {total} run{s} over {days} days\" \
         xmlns=\"http://www.w3.org/2000/svg\">\
         <line class=\"base\" x1=\"0\" x2=\"{w:.0}\" y1=\"{base}\" y2=\"{base}\"/>",
        w = days as f64 * (BAR + 1.0),
        s = super::super::plural(total as usize),
        base = TALL - 0.5,
    );
    for (day, d) in shown {
        let tall = (d.runs as f64 / most * (TALL - 2.0)).max(2.0);
        let _ = write!(
            out,
            "<rect class=\"day\" x=\"{:.0}\" y=\"{:.1}\" width=\"{BAR}\" height=\"{tall:.1}\">\
             <title>{}: {} run{}</title></rect>",
            (day - start) as f64 * (BAR + 1.0),
            TALL - tall,
            h(&d.day),
            d.runs,
            super::super::plural(d.runs as usize),
        );
    }
    out.push_str("</svg>");
    out
}

/// The day number of an RFC 3339 date or time (`2026-11-18…`).
fn julian(text: &str) -> Option<i64> {
    let mut parts = text.get(..10)?.split('-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    let date =
        time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()?;
    Some(i64::from(date.to_julian_day()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(i: i64, lint: Option<f64>) -> TrendPoint {
        TrendPoint {
            source: format!("s/{i}.json"),
            observed_at: format!("2026-11-{:02}T09:00:00Z", 10 + i),
            at: 1_700_000_000 + i * 86_400,
            lint,
            types: None,
            coverage: None,
            proposals: Some((0.0, i as f64)),
        }
    }

    #[test]
    fn a_point_per_snapshot_that_has_the_signal() {
        let points = [point(0, Some(3.0)), point(1, None), point(2, Some(5.0))];
        let plot = Plot {
            repo: "a/b",
            metric: Metric::Lint,
            points: &points,
            thresholds: vec![Threshold {
                y: 4.0,
                label: "limit <4>".into(),
            }],
            marks: vec![vec![], vec![], vec!["rising <fast>".into()]],
        };
        let svg = svg(&plot);
        assert_eq!(svg.matches("class=\"pt ").count(), 2);
        assert_eq!(svg.matches("class=\"mark\"").count(), 1);
        assert!(svg.contains("rising &lt;fast&gt;") && svg.contains("limit &lt;4&gt;"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        let proposals = Plot {
            metric: Metric::Proposals,
            thresholds: Vec::new(),
            marks: Vec::new(),
            ..plot
        };
        let svg = super::svg(&proposals);
        assert_eq!(svg.matches("data-line=\"0\"").count(), 3);
        assert_eq!(svg.matches("data-line=\"1\"").count(), 3);
    }

    #[test]
    fn one_snapshot_and_flat_series_draw_without_dividing_by_zero() {
        let points = [point(0, Some(7.0))];
        let plot = Plot {
            repo: "a/b",
            metric: Metric::Lint,
            points: &points,
            thresholds: Vec::new(),
            marks: Vec::new(),
        };
        let svg = svg(&plot);
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        assert_eq!(svg.matches("class=\"pt ").count(), 1);
    }

    #[test]
    fn a_sparkline_has_a_bar_per_day_seen_in_the_window() {
        let days = [
            DaySeen {
                day: "2026-10-01".into(),
                runs: 9,
            },
            DaySeen {
                day: "2026-11-18".into(),
                runs: 1,
            },
            DaySeen {
                day: "2026-11-20".into(),
                runs: 2,
            },
        ];
        let svg = sparkline(&days, 30, "2026-11-20T10:00:00Z");
        assert_eq!(
            svg.matches("<rect").count(),
            2,
            "October is outside the window"
        );
        assert!(svg.contains("2026-11-20: 2 runs"));
    }
}
