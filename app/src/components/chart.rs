//! Planned-vs-actual phase times as an inline SVG bar chart (no chart library).

use leptos::prelude::*;
use tandem_core::session::clock::format_remaining;
use tandem_core::session::PhaseTime;

// Whole SVG units throughout: integers print without the float formatter and without digits like
// "125.00000000000001", and sub-unit precision is invisible at this size.
const WIDTH: i64 = 460;
const LABEL: i64 = 110;
const ROW: i64 = 40;
/// Room for the longest bar: the rest of the width holds the labels and the "m:ss of m:ss" text.
const BARS: i64 = WIDTH - LABEL - 100;

/// Two bars per phase: planned (light) and actual (solid), on one scale. On a narrow screen (a phone, or 400 % zoom)
/// the chart's text would shrink with it below reading size, so the stylesheet shows the same figures as a table
/// instead (`.chart__table`; only one of the two is displayed at any width).
#[component]
pub fn PhaseChart(phases: Vec<PhaseTime>) -> impl IntoView {
    let max = phases
        .iter()
        .map(|p| p.planned_ms.max(p.actual_ms))
        .max()
        .unwrap_or(1)
        .max(1);
    // A duration as a bar length, rounded.
    let px = move |ms: i64| (ms.max(0) * BARS + max / 2) / max;
    let height = ROW * phases.len() as i64 + 30;
    let description = phases
        .iter()
        .map(|p| {
            format!(
                "{}: planned {}, actual {}",
                p.title,
                format_remaining(p.planned_ms),
                format_remaining(p.actual_ms)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {WIDTH} {height}") role="img" aria-label=format!("Planned and actual minutes per phase. {description}")>
                {phases.iter().enumerate().map(|(i, p)| {
                    let y = i as i64 * ROW + 6;
                    let planned = px(p.planned_ms).max(1);
                    let actual = px(p.actual_ms).max(if p.actual_ms > 0 { 2 } else { 0 });
                    let over = p.actual_ms > p.planned_ms;
                    view! {
                        <g>
                            <text x="0" y=y + 20 class="chart__label">{p.title.clone()}</text>
                            <rect x=LABEL y=y width=planned height="12" rx="3" class="chart__planned"/>
                            <rect x=LABEL y=y + 14 width=actual height="12" rx="3" class=if over { "chart__actual chart__actual--over" } else { "chart__actual" }/>
                            <text x=LABEL + planned.max(actual) + 6 y=y + 22 class="chart__value">{format!("{} of {}", format_remaining(p.actual_ms), format_remaining(p.planned_ms))}</text>
                        </g>
                    }
                }).collect_view()}
                <g class="chart__legend" transform=format!("translate({LABEL}, {})", height - 12)>
                    <rect width="12" height="10" class="chart__planned"/>
                    <text x="18" y="9">"planned"</text>
                    <rect x="90" width="12" height="10" class="chart__actual"/>
                    <text x="108" y="9">"actual"</text>
                </g>
            </svg>
            <table class="chart__table">
                <thead><tr><th scope="col">"Phase"</th><th scope="col">"Planned"</th><th scope="col">"Actual"</th></tr></thead>
                <tbody>
                    {phases.iter().map(|p| view! {
                        <tr>
                            <th scope="row">{p.title.clone()}</th>
                            <td>{format_remaining(p.planned_ms)}</td>
                            <td class:chart__over={p.actual_ms > p.planned_ms}>{format_remaining(p.actual_ms)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </figure>
    }
}
