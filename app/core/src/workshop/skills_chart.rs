//! The knowledge-gap picture as an SVG bar chart the relay draws (issue 17; an image, so no chart code in the page):
//! per skill, a bar for how many want to learn it and one for how many can help, on one scale, the figures written
//! beside them, and the skills nobody offers marked. The image's `<title>` and `<desc>` say the same in words.

use super::chart::{svg_start, xml};
use super::skills::SkillGap;
use std::fmt::Write;

const ROW: i64 = 48;
const BAR_W: i64 = 150;
/// Narrow enough to be shown whole on a phone (scaled down a little, never scrolled): each skill's name above its
/// bars, the figures beside them.
const WIDTH: i64 = 330;
const WANT: &str = "#2f5d8a";
const OFFER: &str = "#3d8a4f";

/// The chart's width and height in pixels for `rows` skills (the page gives its `<img>` these, so that it keeps its
/// place while the image loads).
pub fn skills_chart_size(rows: usize) -> (i64, i64) {
    (WIDTH, ROW * rows as i64 + 28)
}

/// The chart of `picture` (in its order: the largest gap first).
pub fn skills_chart_svg(picture: &[SkillGap]) -> String {
    let most = picture.iter().map(|l| l.want.max(l.offer)).max().unwrap_or(0).max(1);
    let scale = |n: u32| i64::from(n) * BAR_W / i64::from(most);
    let (_, height) = skills_chart_size(picture.len());
    let summary: Vec<String> = picture
        .iter()
        .map(|l| {
            let note = if l.uncovered() { " (nobody offers it)" } else { "" };
            format!("{}: {} want to learn, {} can help{note}", l.skill, l.want, l.offer)
        })
        .collect();
    let desc = if summary.is_empty() {
        "No skills yet.".to_string()
    } else {
        summary.join("; ")
    };
    let mut svg = svg_start(WIDTH, height, "Skills wanted and offered", &desc);
    let _ = write!(
        svg,
        r##"<rect x="0" y="6" width="12" height="8" fill="{WANT}"/><text x="16" y="14">want to learn</text><rect x="120" y="6" width="12" height="8" fill="{OFFER}"/><text x="136" y="14">can help</text>"##
    );
    for (i, l) in picture.iter().enumerate() {
        let y = 28 + ROW * i as i64;
        // A name of up to 40 characters fills the width: what nobody offers is said in bold and in the figures.
        let offer = match l.offer {
            0 => "nobody can help".to_string(),
            n => format!("{n} can help"),
        };
        let _ = write!(
            svg,
            r##"<text x="0" y="{}"{}>{}</text><rect x="0" y="{}" width="{}" height="10" fill="{WANT}"/><rect x="0" y="{}" width="{}" height="10" fill="{OFFER}"/><text x="{}" y="{}">{} want · {offer}</text>"##,
            y + 12,
            if l.uncovered() { r#" font-weight="bold""# } else { "" },
            xml(&l.skill),
            y + 18,
            scale(l.want),
            y + 30,
            scale(l.offer),
            BAR_W + 8,
            y + 33,
            l.want,
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_says_its_figures_and_marks_what_nobody_offers() {
        let svg = skills_chart_svg(&[
            SkillGap {
                skill: "Kubernetes".into(),
                want: 3,
                offer: 0,
            },
            SkillGap {
                skill: "SQL & <joins>".into(),
                want: 1,
                offer: 2,
            },
        ]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"font-weight="bold">Kubernetes</text>"#) && svg.contains(">3 want · nobody can help<"));
        assert!(svg.contains("1 want · 2 can help<"));
        assert!(svg.contains("Kubernetes: 3 want to learn, 0 can help (nobody offers it); SQL &amp; &lt;joins&gt;"));
        assert!(!svg.contains("<joins>"), "labels are escaped");
        assert!(skills_chart_svg(&[]).contains("No skills yet."));
    }
}
