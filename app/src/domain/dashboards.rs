//! Dashboards: checking what a user saves, filling a new dashboard from its template, and turning
//! a panel target plus the chosen variables into a query.

use std::collections::{BTreeMap, HashSet};

use crate::domain::time_range::{TimeRange, duration_secs};
use crate::domain::units::Unit;
use crate::error::{ApiError, Code};
use crate::model::{
    DashboardInput, DashboardTemplate, FilterOp, GraphTarget, LabelFilter, MetricExpr,
};

/// A dashboard view as a link: `/dashboards?env=1&d=2&range=1h&var-pod=web-1`, so a shared
/// link shows the same time range and variable values (Grafana's `var-` convention).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DashboardLink {
    pub environment: i64,
    pub dashboard: Option<i64>,
    pub range: Option<TimeRange>,
    /// Only variables with a value; empty means "all".
    pub variables: BTreeMap<String, String>,
}

impl DashboardLink {
    pub fn to_url(&self) -> String {
        use crate::domain::explore::encode;
        let mut url = format!("/dashboards?env={}", self.environment);
        if let Some(d) = self.dashboard {
            url.push_str(&format!("&d={d}"));
        }
        if let Some(r) = self.range {
            url.push_str(&format!("&range={}", encode(&r.to_param())));
        }
        for (k, v) in self.variables.iter().filter(|(_, v)| !v.is_empty()) {
            url.push_str(&format!("&var-{}={}", encode(k), encode(v)));
        }
        url
    }

    /// The variables of `names` that the query string sets.
    pub fn variables_from<'a>(
        names: impl IntoIterator<Item = &'a String>,
        get: impl Fn(&str) -> Option<String>,
    ) -> BTreeMap<String, String> {
        names
            .into_iter()
            .map(|k| (k.clone(), get(&format!("var-{k}")).unwrap_or_default()))
            .collect()
    }
}

/// Refresh intervals the dashboard offers; `off` stops auto-refresh.
pub const REFRESH: [&str; 5] = ["off", "10s", "30s", "1m", "5m"];

/// Fills what the user left empty from the template, variables included (KubeGems forgot
/// those), with KubeGems' defaults for the rest.
pub fn fill_from_template(
    mut input: DashboardInput,
    tpl: Option<&DashboardTemplate>,
) -> DashboardInput {
    if let Some(t) = tpl {
        let take = |mine: &mut String, theirs: &str| {
            if mine.trim().is_empty() {
                *mine = theirs.to_string();
            }
        };
        take(&mut input.step, &t.step);
        take(&mut input.refresh, &t.refresh);
        take(&mut input.start, &t.start);
        take(&mut input.end, &t.end);
        if input.graphs.is_empty() {
            input.graphs = t.graphs.clone();
        }
        if input.variables.is_empty() {
            input.variables = t.variables.clone();
        }
        input.template = t.name.clone();
    }
    let default = |v: &mut String, d: &str| {
        if v.trim().is_empty() {
            *v = d.to_string();
        }
    };
    default(&mut input.step, "30s");
    default(&mut input.refresh, "30s");
    default(&mut input.start, "now-30m");
    default(&mut input.end, "now");
    input
}

/// Checks a dashboard; errors name the field, down to the graph and target.
pub fn validate(d: &DashboardInput) -> Result<(), ApiError> {
    super::validate::text("name", &d.name, 63)?;
    if d.name.trim().is_empty() {
        return Err(ApiError::invalid("name", Code::Empty));
    }
    if duration_secs(&d.step).is_none() {
        return Err(ApiError::invalid("step", Code::StepForm));
    }
    if d.refresh != "off" && duration_secs(&d.refresh).is_none() {
        return Err(ApiError::invalid("refresh", Code::RefreshForm).arg(REFRESH[1..].join(", ")));
    }
    if TimeRange::from_bounds(&d.start, &d.end).is_none() {
        return Err(ApiError::invalid("start", Code::TimeBounds));
    }
    for name in d.variables.keys() {
        super::templates::label_name("variables", name)?;
    }
    for (i, g) in d.graphs.iter().enumerate() {
        let at = |f: &str| format!("graphs[{i}].{f}");
        if g.name.trim().is_empty() {
            return Err(ApiError::invalid(&at("name"), Code::Empty));
        }
        Unit::check(&at("unit"), &g.unit)?;
        if g.targets.is_empty() {
            return Err(ApiError::invalid(&at("targets"), Code::NoQuery));
        }
        let mut seen = HashSet::new();
        for (j, t) in g.targets.iter().enumerate() {
            let field = format!("graphs[{i}].targets[{j}]");
            if !seen.insert(t.target_name.as_str()) {
                return Err(ApiError::invalid(&field, Code::TargetTwice)
                    .arg(format!("{:?}", t.target_name)));
            }
            match &t.generator {
                Some(g) if !g.key.resource.is_empty() => {
                    if g.key.scope.is_empty() || g.key.rule.is_empty() {
                        return Err(ApiError::invalid(&field, Code::TemplateKeyForm));
                    }
                }
                _ => super::templates::promql(&format!("{field}.expr"), &t.expr)?,
            }
        }
    }
    Ok(())
}

/// The selected variable values as `=~` filters; an empty selection filters nothing. Values are
/// label values, so regex characters in them are escaped to match exactly.
pub fn variable_filters(selected: &BTreeMap<String, String>) -> Vec<LabelFilter> {
    selected
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| LabelFilter {
            name: k.clone(),
            op: FilterOp::Re,
            value: regex::escape(v),
        })
        .collect()
}

/// A panel target as a query: its template (with its own label pairs as `=~`) or raw PromQL,
/// narrowed by the variables.
pub fn target_query(t: &GraphTarget, variables: &[LabelFilter]) -> MetricExpr {
    let mut filters = Vec::new();
    let template = match &t.generator {
        Some(g) if !g.key.resource.is_empty() => {
            filters.extend(g.labelpairs.iter().map(|(k, v)| LabelFilter {
                name: k.clone(),
                op: FilterOp::Re,
                value: v.clone(),
            }));
            Some(g.key.clone())
        }
        _ => None,
    };
    for v in variables {
        filters.retain(|f: &LabelFilter| f.name != v.name);
        filters.push(v.clone());
    }
    MetricExpr {
        expr: if template.is_some() {
            String::new()
        } else {
            t.expr.clone()
        },
        template,
        filters,
    }
}

/// The step for a panel: the dashboard's, unless that gives more points than a chart can show.
pub fn panel_step(step: &str, start: i64, end: i64) -> i64 {
    let auto = super::promql_scope::auto_step(end - start);
    duration_secs(step).map_or(auto, |s| s.max(auto))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Graph, GraphGenerator};

    fn raw(name: &str, expr: &str) -> GraphTarget {
        GraphTarget {
            target_name: name.into(),
            expr: expr.into(),
            generator: None,
        }
    }

    fn tpl(name: &str, key: &str) -> GraphTarget {
        let p: Vec<&str> = key.split('.').collect();
        GraphTarget {
            target_name: name.into(),
            expr: String::new(),
            generator: Some(GraphGenerator {
                key: crate::model::TemplateKey::new(p[0], p[1], p[2]),
                ..Default::default()
            }),
        }
    }

    fn input(graphs: Vec<Graph>) -> DashboardInput {
        fill_from_template(
            DashboardInput {
                name: "web".into(),
                graphs,
                ..Default::default()
            },
            None,
        )
    }

    #[test]
    fn templates_fill_what_is_empty_including_variables() {
        let t = DashboardTemplate {
            name: "Redis".into(),
            step: "1m".into(),
            refresh: "10s".into(),
            start: "now-1h".into(),
            end: "now".into(),
            graphs: vec![Graph {
                name: "Ops".into(),
                ..Default::default()
            }],
            variables: BTreeMap::from([("service".to_string(), String::new())]),
            ..Default::default()
        };
        let mine = DashboardInput {
            name: "cache".into(),
            refresh: "off".into(),
            ..Default::default()
        };
        let got = fill_from_template(mine, Some(&t));
        assert_eq!(got.template, "Redis");
        assert_eq!((got.step.as_str(), got.refresh.as_str()), ("1m", "off"));
        assert_eq!(got.start, "now-1h");
        assert_eq!(got.graphs.len(), 1);
        assert!(got.variables.contains_key("service"));
        let blank = fill_from_template(DashboardInput::default(), None);
        assert_eq!(
            (blank.step, blank.refresh, blank.start, blank.end),
            ("30s".into(), "30s".into(), "now-30m".into(), "now".into())
        );
    }

    #[test]
    fn validation_names_the_field() {
        let graph = |name: &str, unit: &str, targets: Vec<GraphTarget>| Graph {
            name: name.into(),
            unit: unit.into(),
            targets,
        };
        let ok = input(vec![graph(
            "CPU",
            "short",
            vec![tpl("A", "containers.container.cpuUsage"), raw("B", "up")],
        )]);
        assert_eq!(validate(&ok), Ok(()));
        let cases = [
            (
                input(vec![graph("", "", vec![raw("A", "up")])]),
                "graphs[0].name",
            ),
            (
                input(vec![graph("x", "bytes-XB", vec![raw("A", "up")])]),
                "graphs[0].unit",
            ),
            (input(vec![graph("x", "", vec![])]), "graphs[0].targets"),
            (
                input(vec![
                    graph("ok", "", vec![raw("A", "up")]),
                    graph("x", "", vec![raw("A", "sum(")]),
                ]),
                "graphs[1].targets[0].expr",
            ),
            (
                input(vec![graph("x", "", vec![raw("A", "up"), raw("A", "up")])]),
                "graphs[0].targets[1]",
            ),
            (
                DashboardInput {
                    refresh: "often".into(),
                    ..ok.clone()
                },
                "refresh",
            ),
            (
                DashboardInput {
                    step: "fast".into(),
                    ..ok.clone()
                },
                "step",
            ),
            (
                DashboardInput {
                    start: "yesterday".into(),
                    ..ok.clone()
                },
                "start",
            ),
            (
                DashboardInput {
                    name: " ".into(),
                    ..ok.clone()
                },
                "name",
            ),
        ];
        for (d, field) in cases {
            let e = validate(&d).unwrap_err();
            assert_eq!(e.field.as_deref(), Some(field), "{}", e.message);
        }
    }

    #[test]
    fn variables_become_exact_regex_filters() {
        let selected = BTreeMap::from([
            ("service".to_string(), "api.v1".to_string()),
            ("pod".to_string(), String::new()),
        ]);
        let vars = variable_filters(&selected);
        assert_eq!(vars.len(), 1);
        assert_eq!(
            (vars[0].op, vars[0].value.as_str()),
            (FilterOp::Re, r"api\.v1")
        );

        let mut t = tpl("A", "middleware.redis.ops");
        if let Some(g) = t.generator.as_mut() {
            g.labelpairs.insert("service".into(), "old".into());
            g.labelpairs.insert("cmd".into(), "get|set".into());
        }
        let q = target_query(&t, &vars);
        assert_eq!(q.template.unwrap().rule, "ops");
        let f: Vec<String> = q
            .filters
            .iter()
            .map(|f| format!("{}{}{}", f.name, f.op.as_str(), f.value))
            .collect();
        assert_eq!(f, ["cmd=~get|set", r"service=~api\.v1"]);
        let q = target_query(&raw("B", "up"), &vars);
        assert_eq!((q.expr.as_str(), q.filters.len()), ("up", 1));
    }

    #[test]
    fn panel_steps_never_exceed_what_a_chart_shows() {
        assert_eq!(panel_step("30s", 0, 3600), 30);
        assert_eq!(panel_step("30s", 0, 7 * 86400), 3600);
        assert_eq!(panel_step("", 0, 3600), 15);
    }

    #[test]
    fn links_carry_range_and_variables() {
        let mut vars = BTreeMap::new();
        vars.insert("pod".to_string(), "web-1".to_string());
        vars.insert("service".to_string(), String::new());
        let l = DashboardLink {
            environment: 3,
            dashboard: Some(7),
            range: Some(TimeRange::Last(21600)),
            variables: vars,
        };
        assert_eq!(l.to_url(), "/dashboards?env=3&d=7&range=6h&var-pod=web-1");
        let q: BTreeMap<&str, &str> = [("var-pod", "web-1")].into_iter().collect();
        let names = ["pod".to_string(), "service".to_string()];
        let got = DashboardLink::variables_from(&names, |k| q.get(k).map(|v| v.to_string()));
        assert_eq!(got["pod"], "web-1");
        assert_eq!(got["service"], "");
        let between = DashboardLink {
            environment: 1,
            range: Some(TimeRange::Between(100, 200)),
            ..Default::default()
        };
        assert_eq!(between.to_url(), "/dashboards?env=1&range=100..200");
    }
}
