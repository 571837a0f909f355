//! Planned against actual time per breakout, as an SVG bar chart the relay draws for the facilitator's record (an
//! image: no chart code in the page). Each bar's figures are also written as text beside it, and the image's
//! `<title>` and `<desc>` say what it shows, for screen readers.

use std::fmt::Write;

/// One breakout's times.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BreakoutTime {
    /// "Round 1 · breakout 2".
    pub label: String,
    /// Planned, in ms.
    pub planned_ms: i64,
    /// How long its clocks ran, in ms.
    pub actual_ms: i64,
}

const ROW: i64 = 34;
const LABEL_W: i64 = 170;
const BAR_W: i64 = 360;
const WIDTH: i64 = LABEL_W + BAR_W + 150;

fn minutes(ms: i64) -> String {
    format!("{} min", (ms.max(0) + 30_000) / 60_000)
}

/// An SVG image's opening: its size, its role for screen readers, and its `title` and `desc` (escaped here).
pub(crate) fn svg_start(width: i64, height: i64, title: &str, desc: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-labelledby="t d" font-family="system-ui, sans-serif" font-size="13"><title id="t">{}</title><desc id="d">{}</desc>"#,
        xml(title),
        xml(desc)
    )
}

pub(crate) fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The chart: per breakout, a grey bar for the planned time and a bar for the actual time beneath it (red when it
/// ran over), on one scale.
pub fn times_chart_svg(rows: &[BreakoutTime]) -> String {
    let longest = rows
        .iter()
        .map(|r| r.planned_ms.max(r.actual_ms))
        .max()
        .unwrap_or(0)
        .max(60_000);
    let scale = |ms: i64| (ms.max(0) * BAR_W / longest).max(1);
    let height = ROW * rows.len() as i64 + 40;
    let summary: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{}: planned {}, actual {}",
                r.label,
                minutes(r.planned_ms),
                minutes(r.actual_ms)
            )
        })
        .collect();
    let mut svg = svg_start(
        WIDTH,
        height,
        "Planned and actual time per breakout",
        &summary.join("; "),
    );
    let _ = write!(
        svg,
        r##"<rect x="{LABEL_W}" y="6" width="12" height="8" fill="#c9ced8"/><text x="{}" y="14">planned</text><rect x="{}" y="6" width="12" height="8" fill="#2f5d8a"/><text x="{}" y="14">clocks ran</text>"##,
        LABEL_W + 16,
        LABEL_W + 90,
        LABEL_W + 106
    );
    for (i, r) in rows.iter().enumerate() {
        let y = 30 + ROW * i as i64;
        let over = r.actual_ms > r.planned_ms;
        let colour = if over { "#b3261e" } else { "#2f5d8a" };
        let _ = write!(
            svg,
            r##"<text x="0" y="{}">{}</text><rect x="{LABEL_W}" y="{y}" width="{}" height="10" fill="#c9ced8"/><rect x="{LABEL_W}" y="{}" width="{}" height="10" fill="{colour}"/><text x="{}" y="{}">{} / {}{}</text>"##,
            y + 14,
            xml(&r.label),
            scale(r.planned_ms),
            y + 12,
            scale(r.actual_ms),
            LABEL_W + BAR_W + 8,
            y + 14,
            minutes(r.planned_ms),
            minutes(r.actual_ms),
            if over { " (over)" } else { "" }
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_says_its_figures_and_marks_overtime() {
        let svg = times_chart_svg(&[
            BreakoutTime {
                label: "Round 1 · breakout 1".into(),
                planned_ms: 20 * 60_000,
                actual_ms: 25 * 60_000,
            },
            BreakoutTime {
                label: "Round 1 · <b>2</b>".into(),
                planned_ms: 20 * 60_000,
                actual_ms: 10 * 60_000,
            },
        ]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("20 min / 25 min (over)"));
        assert!(svg.contains("20 min / 10 min<"));
        assert!(svg.contains("#b3261e"), "the late breakout is red");
        assert!(
            svg.contains("&lt;b&gt;2&lt;/b&gt;") && !svg.contains("<b>"),
            "labels are escaped"
        );
        assert!(svg.contains("Round 1 · breakout 1: planned 20 min, actual 25 min"));
        assert!(times_chart_svg(&[]).contains("</svg>"));
    }
}
