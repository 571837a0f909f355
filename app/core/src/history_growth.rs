//! The growth chart of "Your history" (issue 18): the 1–5 ratings a person received, per skill (a feedback form's
//! rating question: listening, powerful questions, clarity…), session by session. Drawn by the relay as an SVG with
//! the same figures in a table beside it, for screen readers and for anyone who wants the numbers.

use crate::workshop::chart::{svg_start, xml};
use std::fmt::Write;

/// At most this many sessions are drawn: the latest ones.
pub const MAX_SESSIONS: usize = 12;

/// One rating received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rating {
    /// The session it was given in.
    pub session: String,
    /// When that session was created (the chart's order).
    pub at: i64,
    /// The question, as the form asks it.
    pub skill: String,
    /// 1 to 5.
    pub value: i64,
}

/// A skill's average in one session, in tenths (4.5 is 45), and how many ratings it is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Point {
    /// The average, in tenths.
    pub tenths: i64,
    /// How many ratings.
    pub count: u32,
}

/// The ratings, grouped for the chart.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Growth {
    /// The sessions with ratings, oldest first (their creation times): the columns.
    pub sessions: Vec<i64>,
    /// Per skill (in the order first seen), its point in each session, if rated there.
    pub skills: Vec<(String, Vec<Option<Point>>)>,
    /// Sessions left out, the oldest, beyond [`MAX_SESSIONS`].
    pub older: usize,
}

/// Groups `ratings` by session (oldest first, the latest [`MAX_SESSIONS`]) and skill.
pub fn growth(ratings: &[Rating]) -> Growth {
    let mut sessions: Vec<(i64, &str)> = ratings.iter().map(|r| (r.at, r.session.as_str())).collect();
    sessions.sort();
    sessions.dedup();
    let older = sessions.len().saturating_sub(MAX_SESSIONS);
    let sessions = &sessions[older..];
    let mut skills: Vec<(String, Vec<(i64, u32)>)> = Vec::new();
    for r in ratings {
        let Some(column) = sessions.iter().position(|(at, s)| *at == r.at && *s == r.session) else {
            continue;
        };
        let at = match skills.iter().position(|(name, _)| *name == r.skill) {
            Some(i) => i,
            None => {
                skills.push((r.skill.clone(), vec![(0, 0); sessions.len()]));
                skills.len() - 1
            }
        };
        let cell = &mut skills[at].1[column];
        cell.0 += r.value.clamp(1, 5);
        cell.1 += 1;
    }
    Growth {
        sessions: sessions.iter().map(|(at, _)| *at).collect(),
        skills: skills
            .into_iter()
            .map(|(name, cells)| {
                let points = cells
                    .into_iter()
                    .map(|(sum, count)| {
                        (count > 0).then(|| Point {
                            // Rounded to the nearest tenth.
                            tenths: (sum * 20 + i64::from(count)) / (2 * i64::from(count)),
                            count,
                        })
                    })
                    .collect();
                (name, points)
            })
            .collect(),
        older,
    }
}

/// "4.5": a point's average.
pub fn average_label(p: Point) -> String {
    format!("{}.{}", p.tenths / 10, p.tenths % 10)
}

const COLORS: [&str; 6] = ["#2f5d8a", "#3d8a4f", "#a0522d", "#7b3f99", "#b8860b", "#c2185b"];
const WIDTH: i64 = 330;
const PLOT_TOP: i64 = 10;
const PLOT_H: i64 = 150;
const LEFT: i64 = 28;
const LEGEND_ROW: i64 = 20;

/// The chart: one line per skill across the sessions, a dot per point (larger for more ratings), 1 to 5 up the
/// side; with a single session, dots only (no line suggests a trend). The `<desc>` says it in words.
pub fn growth_svg(g: &Growth) -> String {
    let columns = g.sessions.len().max(1) as i64;
    let height = PLOT_TOP + PLOT_H + 24 + LEGEND_ROW * g.skills.len() as i64;
    let x = |i: usize| {
        if columns == 1 {
            LEFT + (WIDTH - LEFT) / 2
        } else {
            LEFT + 10 + i as i64 * (WIDTH - LEFT - 20) / (columns - 1)
        }
    };
    let y = |tenths: i64| PLOT_TOP + PLOT_H - (tenths - 10) * PLOT_H / 40;
    let desc: Vec<String> = g
        .skills
        .iter()
        .map(|(skill, points)| {
            let figures: Vec<String> = points.iter().flatten().map(|p| average_label(*p)).collect();
            format!("{skill}: {}", figures.join(", then "))
        })
        .collect();
    let mut svg = svg_start(WIDTH, height, "Ratings you received, by skill", &desc.join("; "));
    for v in 1..=5 {
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{WIDTH}" y1="{0}" y2="{0}" stroke="#dde1e8"/><text x="4" y="{1}">{v}</text>"##,
            y(v * 10),
            y(v * 10) + 4
        );
    }
    for (n, (skill, points)) in g.skills.iter().enumerate() {
        let color = COLORS[n % COLORS.len()];
        // Each skill a little to the side of the others, so that equal ratings do not hide each other.
        let offset = (2 * n as i64 + 1 - g.skills.len() as i64) * 3;
        let dots: Vec<(i64, i64, u32)> = points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.map(|p| (x(i) + offset, y(p.tenths), p.count)))
            .collect();
        if dots.len() > 1 {
            let line: Vec<String> = dots.iter().map(|(x, y, _)| format!("{x},{y}")).collect();
            let _ = write!(
                svg,
                r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"/>"#,
                line.join(" ")
            );
        }
        for (x, y, count) in dots {
            let _ = write!(
                svg,
                r#"<circle cx="{x}" cy="{y}" r="{}" fill="{color}"/>"#,
                3 + count.min(4)
            );
        }
        let ly = PLOT_TOP + PLOT_H + 24 + LEGEND_ROW * n as i64;
        let _ = write!(
            svg,
            r#"<rect x="{LEFT}" y="{}" width="12" height="12" fill="{color}"/><text x="{}" y="{}">{}</text>"#,
            ly - 10,
            LEFT + 18,
            ly,
            xml(skill)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(session: &str, at: i64, skill: &str, value: i64) -> Rating {
        Rating {
            session: session.into(),
            at,
            skill: skill.into(),
            value,
        }
    }

    #[test]
    fn ratings_are_averaged_per_session_and_skill() {
        let g = growth(&[
            r("b", 20, "Listening", 4),
            r("a", 10, "Listening", 3),
            r("b", 20, "Listening", 5),
            r("b", 20, "Clarity", 2),
        ]);
        assert_eq!(g.sessions, [10, 20]);
        assert_eq!(g.skills[0].0, "Listening");
        assert_eq!(
            g.skills[0].1,
            [
                Some(Point { tenths: 30, count: 1 }),
                Some(Point { tenths: 45, count: 2 })
            ]
        );
        assert_eq!(g.skills[1].1, [None, Some(Point { tenths: 20, count: 1 })]);
        let svg = growth_svg(&g);
        assert_eq!(svg.matches("<polyline").count(), 1, "Clarity has one point: no line");
        assert!(svg.contains("Listening: 3.0, then 4.5"), "{svg}");
    }

    #[test]
    fn one_session_draws_dots_and_no_line() {
        let g = growth(&[r("a", 10, "Listening", 4)]);
        let svg = growth_svg(&g);
        assert_eq!(svg.matches("<polyline").count(), 0);
        assert_eq!(svg.matches("<circle").count(), 1);
    }

    #[test]
    fn only_the_latest_sessions_are_drawn() {
        let ratings: Vec<Rating> = (0..20)
            .map(|i| r(&format!("s{i}"), i, "Listening", 1 + i % 5))
            .collect();
        let g = growth(&ratings);
        assert_eq!((g.sessions.len(), g.older), (MAX_SESSIONS, 8));
        assert_eq!(g.sessions[0], 8);
        assert_eq!(average_label(Point { tenths: 37, count: 3 }), "3.7");
    }
}
