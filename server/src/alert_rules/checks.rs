//! What an editor asks before saving: which series would fire now at each level, and when each
//! level would have fired over a past range (a backtest, `for` approximated by the step).

use app::domain::alert_rules as domain;
use app::domain::promql_scope::auto_step;
use app::error::{ApiError, Code};
use app::model::{
    AlertRuleInput, AlertType, Backtest, Component, FiringSeries, LevelBands, LevelCheck, Series,
};

use super::{RuleChecks, RulePlace};
use crate::observe::loki::Loki;
use crate::observe::prometheus::Prometheus;

/// The longest backtest: a week.
const MAX_RANGE_SECS: i64 = 7 * 24 * 3600;

/// Intervals where a level's series exist (are over the threshold), kept only when they last at
/// least `for`; the band starts once `for` has passed, as Prometheus would fire.
pub fn bands(series: &[Series], step: i64, for_secs: i64) -> Vec<(i64, i64)> {
    let mut times: Vec<i64> = series
        .iter()
        .flat_map(|s| {
            s.points
                .iter()
                .filter(|p| p.1.is_some())
                .map(|p| p.0 as i64)
        })
        .collect();
    times.sort_unstable();
    times.dedup();
    let mut out = Vec::new();
    let mut run: Option<(i64, i64)> = None;
    let close = |run: Option<(i64, i64)>, out: &mut Vec<(i64, i64)>| {
        if let Some((start, end)) = run
            && end - start >= for_secs
        {
            out.push((start + for_secs, end));
        }
    };
    for t in times {
        run = match run {
            Some((start, end)) if t - end <= step => Some((start, t)),
            other => {
                close(other, &mut out);
                Some((t, t))
            }
        };
    }
    close(run, &mut out);
    out
}

impl RuleChecks {
    async fn rendered(
        &self,
        place: &RulePlace,
        input: &AlertRuleInput,
    ) -> Result<domain::Rendered, ApiError> {
        let template = self.template(place, input).await?;
        domain::render(input, &place.target(), template.as_ref())
    }

    pub(crate) async fn instant(
        &self,
        place: &RulePlace,
        kind: AlertType,
        expr: &str,
    ) -> Result<Vec<Series>, ApiError> {
        match kind {
            AlertType::Monitor => {
                let p = Prometheus::new(
                    place.handle.component(Component::Prometheus)?,
                    self.http.clone(),
                );
                Ok(p.query(expr, None)
                    .await
                    .map_err(|e| e.into_api("expr"))?
                    .into_iter()
                    .map(|s| Series {
                        labels: s.labels,
                        points: vec![(s.time, s.value)],
                    })
                    .collect())
            }
            AlertType::Logging => {
                let loki = Loki::new(place.handle.component(Component::Loki)?, self.http.clone());
                loki.query(expr).await.map_err(|e| e.into_api("expr"))
            }
        }
    }

    async fn range(
        &self,
        place: &RulePlace,
        kind: AlertType,
        expr: &str,
        (start, end, step): (i64, i64, i64),
    ) -> Result<Vec<Series>, ApiError> {
        match kind {
            AlertType::Monitor => {
                let p = Prometheus::new(
                    place.handle.component(Component::Prometheus)?,
                    self.http.clone(),
                );
                Ok(p.query_range(expr, start, end, step)
                    .await
                    .map_err(|e| e.into_api("expr"))?
                    .series)
            }
            AlertType::Logging => {
                let loki = Loki::new(place.handle.component(Component::Loki)?, self.http.clone());
                loki.query_range(expr, start, end, step)
                    .await
                    .map_err(|e| e.into_api("expr"))
            }
        }
    }

    pub async fn check_now(
        &self,
        place: &RulePlace,
        input: &AlertRuleInput,
    ) -> Result<Vec<LevelCheck>, ApiError> {
        let rendered = self.rendered(place, input).await?;
        let mut out = Vec::new();
        for level in &rendered.levels {
            let series = self.instant(place, input.alert_type, &level.expr).await?;
            out.push(LevelCheck {
                severity: level.severity,
                expr: level.expr.clone(),
                series: series
                    .into_iter()
                    .filter_map(|s| {
                        let value = s.points.last().and_then(|p| p.1)?;
                        Some(FiringSeries {
                            labels: s.labels,
                            value,
                        })
                    })
                    .collect(),
            });
        }
        Ok(out)
    }

    pub async fn run_backtest(
        &self,
        place: &RulePlace,
        input: &AlertRuleInput,
        range_secs: i64,
    ) -> Result<Backtest, ApiError> {
        if !(60..=MAX_RANGE_SECS).contains(&range_secs) {
            return Err(ApiError::invalid("range", Code::RangeChoice));
        }
        let rendered = self.rendered(place, input).await?;
        let end = crate::db::now();
        let start = end - range_secs;
        let step = auto_step(range_secs);
        let for_secs = app::domain::logql::duration::parse_ms(input.for_.trim())
            .map(|ms| i64::try_from(ms / 1000).unwrap_or(i64::MAX))
            .unwrap_or(0);
        let series = self
            .range(place, input.alert_type, &rendered.expr, (start, end, step))
            .await?;
        let mut levels = Vec::new();
        for level in &rendered.levels {
            let over = self
                .range(place, input.alert_type, &level.expr, (start, end, step))
                .await?;
            levels.push(LevelBands {
                severity: level.severity,
                bands: bands(&over, step, for_secs),
            });
        }
        Ok(Backtest {
            start,
            end,
            step,
            series,
            levels,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn series(times: &[i64]) -> Series {
        Series {
            labels: BTreeMap::new(),
            points: times.iter().map(|t| (*t as f64, Some(1.0))).collect(),
        }
    }

    #[test]
    fn bands_need_for_and_join_steps() {
        type Case = (Vec<i64>, i64, Vec<(i64, i64)>);
        let cases: Vec<Case> = vec![
            (vec![], 0, vec![]),
            (vec![0, 60, 120], 0, vec![(0, 120)]),
            (vec![0, 60, 120], 60, vec![(60, 120)]),
            (vec![0, 60, 120], 180, vec![]),
            (vec![0, 60, 240, 300], 0, vec![(0, 60), (240, 300)]),
            (vec![0, 60, 240, 300, 360], 120, vec![(360, 360)]),
        ];
        for (times, for_secs, want) in cases {
            assert_eq!(
                bands(&[series(&times)], 60, for_secs),
                want,
                "{times:?} for {for_secs}"
            );
        }
        assert_eq!(
            bands(&[series(&[0, 60]), series(&[120])], 60, 0),
            vec![(0, 120)],
            "series together"
        );
    }
}
