//! Time-series charts and their table view: one component for the metrics explorer, dashboards
//! and alert analytics, so every chart formats units, legends and tooltips the same way.

use chrono::{DateTime, Local, TimeZone};
use leptos::prelude::*;
use leptos_chartistry::{
    AspectRatio, AxisMarker, Chart, IntoEdge, IntoInner, Legend, Line, Series as ChartSeries,
    TickLabels, Tooltip, TooltipPlacement, TooltipSortBy, XGridLine, XGuideLine, YGridLine,
    YGuideLine,
};

use crate::domain::units::Unit;
use crate::model::RangeResult;

/// More lines than this make an unreadable chart; the table still lists every series.
pub const MAX_LINES: usize = 40;

/// One instant across all series; a series without a sample there is NaN (a gap).
#[derive(Clone, PartialEq)]
struct Row {
    at: DateTime<Local>,
    values: Vec<f64>,
}

fn rows(result: &RangeResult, lines: usize) -> Vec<Row> {
    let mut times: Vec<f64> = result
        .series
        .iter()
        .take(lines)
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .collect();
    times.sort_by(f64::total_cmp);
    times.dedup();
    let mut cursors = vec![0usize; lines.min(result.series.len())];
    times
        .into_iter()
        .filter_map(|t| {
            let at = Local.timestamp_opt(t as i64, 0).single()?;
            let values = result
                .series
                .iter()
                .take(lines)
                .zip(cursors.iter_mut())
                .map(|(s, c)| match s.points.get(*c) {
                    Some((pt, v)) if *pt == t => {
                        *c += 1;
                        v.unwrap_or(f64::NAN)
                    }
                    _ => f64::NAN,
                })
                .collect();
            Some(Row { at, values })
        })
        .collect()
}

fn unit_of(result: &RangeResult) -> Unit {
    Unit::parse(&result.unit).unwrap_or(Unit::None)
}

/// A line chart of a range result: time on X, the unit on Y, a legend and a tooltip.
#[component]
pub fn TimeSeriesChart(result: RangeResult, #[prop(default = 280.0)] height: f64) -> impl IntoView {
    let unit = unit_of(&result);
    let lines = result.series.len().min(MAX_LINES);
    let data = Signal::stored(rows(&result, lines));
    let series = ChartSeries::new(|r: &Row| r.at).lines((0..lines).map(|i| {
        Line::new(move |r: &Row| r.values.get(i).copied().unwrap_or(f64::NAN))
            .with_name(result.series[i].legend())
    }));
    let y_unit = unit.clone();
    let y_ticks = TickLabels::aligned_floats().with_format(move |v: &f64, _| y_unit.format(*v));
    let tip_unit = unit.clone();
    let tooltip = Tooltip::new(
        TooltipPlacement::LeftCursor,
        TickLabels::timestamps(),
        TickLabels::aligned_floats().with_format(move |v: &f64, _| tip_unit.format(*v)),
    )
    .with_sort_by(TooltipSortBy::Descending)
    .skip_missing(true);
    let hidden = result.series.len().saturating_sub(lines);
    view! {
        <div class="chart" data-testid="chart" data-series=result.series.len()>
            <Chart
                aspect_ratio=AspectRatio::from_env_width(height)
                left=vec![y_ticks.into_edge()]
                bottom=vec![TickLabels::timestamps().into_edge(), Legend::start().into_edge()]
                inner=[
                    AxisMarker::left_edge().into_inner(),
                    AxisMarker::bottom_edge().into_inner(),
                    XGridLine::default().into_inner(),
                    YGridLine::default().into_inner(),
                    XGuideLine::over_data().into_inner(),
                    YGuideLine::over_mouse().into_inner(),
                ]
                tooltip
                series
                data
            />
            <Show when=move || { hidden > 0 }>
                <p class="muted small">{format!("+{hidden} more series in the table")}</p>
            </Show>
        </div>
    }
}

/// Last, min, max and average of a series' finite values.
pub fn stats(points: &[(f64, Option<f64>)]) -> Option<[f64; 4]> {
    let vals: Vec<f64> = points.iter().filter_map(|p| p.1).collect();
    let last = *vals.last()?;
    let min = vals.iter().copied().fold(f64::INFINITY, f64::min);
    let max = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let avg = vals.iter().sum::<f64>() / vals.len() as f64;
    Some([last, min, max, avg])
}

/// Every series with its last, min, max and average, formatted in the unit.
#[component]
pub fn SeriesTable(result: RangeResult) -> impl IntoView {
    let unit = unit_of(&result);
    let rows = result
        .series
        .iter()
        .map(|s| {
            let cells = match stats(&s.points) {
                Some(v) => v.map(|x| unit.format(x)).to_vec(),
                None => vec!["–".to_string(); 4],
            };
            view! {
                <tr>
                    <td class="mono">{s.legend()}</td>
                    {cells.into_iter().map(|c| view! { <td class="num">{c}</td> }).collect_view()}
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table" data-testid="series-table">
            <thead>
                <tr>
                    <th>"Series"</th>
                    <th>"Last"</th>
                    <th>"Min"</th>
                    <th>"Max"</th>
                    <th>"Avg"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Series;

    fn series(points: &[(f64, Option<f64>)]) -> Series {
        Series {
            labels: Default::default(),
            points: points.to_vec(),
        }
    }

    #[test]
    fn rows_align_series_and_leave_gaps() {
        let r = RangeResult {
            series: vec![
                series(&[(10.0, Some(1.0)), (20.0, Some(2.0))]),
                series(&[(20.0, Some(5.0)), (30.0, None)]),
            ],
            ..Default::default()
        };
        let got: Vec<Vec<String>> = rows(&r, 2)
            .into_iter()
            .map(|r| r.values.iter().map(|v| v.to_string()).collect())
            .collect();
        assert_eq!(got, [["1", "NaN"], ["2", "5"], ["NaN", "NaN"]]);
    }

    #[test]
    fn stats_skip_gaps() {
        assert_eq!(
            stats(&[(1.0, Some(4.0)), (2.0, None), (3.0, Some(2.0))]),
            Some([2.0, 2.0, 4.0, 3.0])
        );
        assert_eq!(stats(&[(1.0, None)]), None);
    }
}
