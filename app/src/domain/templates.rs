//! The template library's rules and files: validation of PromQL template rules and dashboard
//! templates, and the KubeGems file formats (`promql_tpl.yaml`, `dashboards/*.yaml`,
//! `system_alert.yaml`) that Gemscope imports and exports as they are.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::units::Unit;
use crate::error::{ApiError, Code};
use crate::model::{AlertTemplate, DashboardTemplate, TemplateRuleInput};

/// Scope, resource and rule names: KubeGems' `^\w+$`.
pub fn name(field: &str, value: &str) -> Result<(), ApiError> {
    if value.is_empty() {
        return Err(ApiError::invalid(field, Code::Empty));
    }
    if value.len() > 63 {
        return Err(ApiError::invalid(field, Code::TooLong).arg(63));
    }
    if !value.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return Err(ApiError::invalid(field, Code::WordChars));
    }
    Ok(())
}

/// A PromQL expression, checked by a real parser; the parser's message is shown to the user.
pub fn promql(field: &str, expr: &str) -> Result<(), ApiError> {
    if expr.trim().is_empty() {
        return Err(ApiError::invalid(field, Code::Empty));
    }
    promql_parser::parser::parse(expr)
        .map(|_| ())
        .map_err(|e| ApiError::invalid(field, Code::NotPromql).arg(e))
}

pub fn label_name(field: &str, value: &str) -> Result<(), ApiError> {
    let mut chars = value.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(ApiError::invalid(field, Code::NotLabelName).arg(format!("{value:?}")));
    }
    Ok(())
}

pub fn rule_input(r: &TemplateRuleInput) -> Result<(), ApiError> {
    name("name", &r.name)?;
    super::validate::text("show_name", &r.show_name, 255)?;
    super::validate::text("description", &r.description, 4096)?;
    promql("expr", &r.expr)?;
    Unit::check("unit", &r.unit)?;
    for l in &r.labels {
        label_name("labels", l)?;
    }
    Ok(())
}

/// Checks a dashboard template; `resolves` says whether `scope.resource.rule` exists.
pub fn dashboard(
    d: &DashboardTemplate,
    resolves: impl Fn(&crate::model::TemplateKey) -> bool,
) -> Result<(), ApiError> {
    if d.name.trim().is_empty() {
        return Err(ApiError::invalid("name", Code::Empty));
    }
    super::validate::text("name", &d.name, 63)?;
    for (i, g) in d.graphs.iter().enumerate() {
        if g.name.trim().is_empty() {
            return Err(ApiError::invalid(&format!("graphs[{i}].name"), Code::Empty));
        }
        Unit::check(&format!("graphs[{i}].unit"), &g.unit)?;
        for (j, t) in g.targets.iter().enumerate() {
            let field = format!("graphs[{i}].targets[{j}]");
            match &t.generator {
                Some(g) if !g.key.resource.is_empty() => {
                    if !resolves(&g.key) {
                        return Err(
                            ApiError::invalid(&field, Code::TemplateMissing).arg(g.key.clone())
                        );
                    }
                }
                _ => promql(&format!("{field}.expr"), &t.expr)?,
            }
        }
    }
    for v in d.variables.keys() {
        label_name("variables", v)?;
    }
    Ok(())
}

// ---- KubeGems file formats ----

fn null_as_empty<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A scope of `promql_tpl.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileScope {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    pub name: String,
    #[serde(rename = "showName", default, deserialize_with = "null_as_empty")]
    pub show_name: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub namespaced: bool,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub resources: Vec<FileResource>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileResource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    pub name: String,
    #[serde(rename = "showName", default, deserialize_with = "null_as_empty")]
    pub show_name: String,
    #[serde(rename = "scopeID", default, skip_serializing_if = "Option::is_none")]
    pub scope_id: Option<i64>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub rules: Vec<FileRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileRule {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub description: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub expr: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub labels: Vec<String>,
    pub name: String,
    #[serde(
        rename = "resourceID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub resource_id: Option<i64>,
    #[serde(rename = "showName", default, deserialize_with = "null_as_empty")]
    pub show_name: String,
    #[serde(rename = "tenantID", default)]
    pub tenant_id: Option<i64>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub unit: String,
}

/// Everything one import brings: templates, dashboards and system alert rules.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TemplateFiles {
    pub scopes: Vec<FileScope>,
    pub dashboards: Vec<DashboardTemplate>,
    pub alerts: Vec<AlertTemplate>,
    /// Suspicious values, imported as written.
    pub warnings: Vec<String>,
}

impl TemplateFiles {
    pub fn rule_count(&self) -> usize {
        self.scopes
            .iter()
            .flat_map(|s| &s.resources)
            .map(|r| r.rules.len())
            .sum()
    }

    pub fn resource_count(&self) -> usize {
        self.scopes.iter().map(|s| s.resources.len()).sum()
    }
}

/// `file: message` with the YAML parser's line and column.
fn yaml_error(file: &str, e: serde_norway::Error) -> String {
    let text = e.to_string();
    match e.location() {
        // The parser's own text usually ends with the position already.
        Some(l) if !text.contains(" at line ") => {
            format!("{file}: line {}, column {}: {text}", l.line(), l.column())
        }
        _ => format!("{file}: {text}"),
    }
}

/// Values that end in a `"` they never opened: KubeGems' files carry a few (`true"`,
/// `local-path-storage"`). They are imported as written and reported.
fn stray_quotes(file: &str, path: &str, v: &serde_norway::Value, out: &mut Vec<String>) {
    match v {
        serde_norway::Value::String(s) if s.ends_with('"') && !s.starts_with('"') => {
            out.push(format!(
                "{file}: {path}: value {s:?} ends with a stray '\"'"
            ));
        }
        serde_norway::Value::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                stray_quotes(file, &format!("{path}[{i}]"), item, out);
            }
        }
        serde_norway::Value::Mapping(m) => {
            for (k, item) in m {
                let key = k
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("{k:?}"));
                let p = if path.is_empty() {
                    key
                } else {
                    format!("{path}.{key}")
                };
                stray_quotes(file, &p, item, out);
            }
        }
        _ => {}
    }
}

fn parse<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
    warnings: &mut Vec<String>,
) -> Result<T, String> {
    let raw: serde_norway::Value = serde_norway::from_str(text).map_err(|e| yaml_error(file, e))?;
    stray_quotes(file, "", &raw, warnings);
    serde_norway::from_str(text).map_err(|e| yaml_error(file, e))
}

impl TemplateFiles {
    /// Adds the content of one file, told apart by its name: `promql_tpl.yaml`,
    /// `system_alert.yaml`, or a dashboard template (any other `.yaml`).
    pub fn add_file(&mut self, file_name: &str, text: &str) -> Result<(), String> {
        let base = file_name.rsplit('/').next().unwrap_or(file_name);
        match base {
            "promql_tpl.yaml" | "promql_tpl.yml" => {
                let scopes: Vec<FileScope> = parse(file_name, text, &mut self.warnings)?;
                self.scopes.extend(scopes);
            }
            "system_alert.yaml" | "system_alert.yml" => {
                let rules: Vec<serde_json::Value> = parse(file_name, text, &mut self.warnings)?;
                for (i, body) in rules.into_iter().enumerate() {
                    let name = body
                        .get("name")
                        .and_then(|n| n.as_str())
                        .filter(|n| !n.is_empty())
                        .ok_or_else(|| format!("{file_name}: rule {i} has no name"))?
                        .to_string();
                    self.alerts.push(AlertTemplate { name, body });
                }
            }
            _ => {
                let d: DashboardTemplate = parse(file_name, text, &mut self.warnings)?;
                if d.name.is_empty() {
                    return Err(format!("{file_name}: a dashboard template needs a name"));
                }
                self.dashboards.push(d);
            }
        }
        Ok(())
    }

    /// The files KubeGems reads, by relative path, ready to write out.
    pub fn render(&self) -> Result<BTreeMap<String, String>, String> {
        let mut out = BTreeMap::new();
        if !self.scopes.is_empty() {
            out.insert("promql_tpl.yaml".to_string(), yaml(&self.scopes)?);
        }
        if !self.alerts.is_empty() {
            let bodies: Vec<&serde_json::Value> = self.alerts.iter().map(|a| &a.body).collect();
            out.insert("system_alert.yaml".to_string(), yaml(&bodies)?);
        }
        for d in &self.dashboards {
            out.insert(format!("dashboards/{}.yaml", file_stem(&d.name)), yaml(d)?);
        }
        Ok(out)
    }
}

fn yaml<T: Serialize>(v: &T) -> Result<String, String> {
    serde_norway::to_string(v).map_err(|e| e.to_string())
}

/// A file name for a dashboard template: lowercase, `_` for anything unusual.
pub fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Graph, GraphGenerator, GraphTarget};

    fn input(name: &str, expr: &str, unit: &str) -> TemplateRuleInput {
        TemplateRuleInput {
            resource_id: 1,
            name: name.into(),
            expr: expr.into(),
            unit: unit.into(),
            labels: vec!["namespace".into(), "pod".into()],
            ..Default::default()
        }
    }

    #[test]
    fn rule_inputs_are_checked_field_by_field() {
        for (r, field) in [
            (
                input("cpuUsage", "sum(rate(x[5m])) by (pod)", "short"),
                None,
            ),
            (input("cpu-usage", "x", ""), Some("name")),
            (input("", "x", ""), Some("name")),
            (input("cpu", "sum(rate(x[5m]) by (pod)", ""), Some("expr")),
            (input("cpu", "  ", ""), Some("expr")),
            (input("cpu", "x", "bytes-KiB"), Some("unit")),
            (
                TemplateRuleInput {
                    labels: vec!["bad-label".into()],
                    ..input("cpu", "x", "")
                },
                Some("labels"),
            ),
        ] {
            let got = rule_input(&r).err().and_then(|e| e.field);
            assert_eq!(got.as_deref(), field, "{r:?}");
        }
    }

    #[test]
    fn promql_errors_carry_the_parser_message() {
        let e = promql("expr", "sum(rate(x[5m])").unwrap_err();
        assert!(e.message.contains("not valid PromQL"), "{}", e.message);
    }

    #[test]
    fn dashboards_must_reference_existing_templates() {
        let d = DashboardTemplate {
            name: "Redis".into(),
            graphs: vec![Graph {
                name: "Memory".into(),
                unit: "bytes-B".into(),
                targets: vec![GraphTarget {
                    target_name: "A".into(),
                    expr: String::new(),
                    generator: Some(GraphGenerator {
                        key: crate::model::TemplateKey::new(
                            "middlewires",
                            "redis",
                            "redisMemoryUsed",
                        ),
                        ..Default::default()
                    }),
                }],
            }],
            ..Default::default()
        };
        assert!(dashboard(&d, |_| true).is_ok());
        let e = dashboard(&d, |_| false).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("graphs[0].targets[0]"));
        assert!(e.message.contains("middlewires.redis.redisMemoryUsed"));
    }

    #[test]
    fn malformed_yaml_is_reported_with_its_line() {
        let mut files = TemplateFiles::default();
        let err = files
            .add_file(
                "promql_tpl.yaml",
                "- name: system\n  resources:\n    - name: [x\n",
            )
            .unwrap_err();
        assert!(err.starts_with("promql_tpl.yaml: "), "{err}");
        assert!(err.contains("line 3"), "{err}");
        let err = files
            .add_file("promql_tpl.yaml", "- name: system\n  namespaced: maybe\n")
            .unwrap_err();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn stray_quotes_are_imported_and_reported() {
        let mut files = TemplateFiles::default();
        files
            .add_file(
                "system_alert.yaml",
                "- name: a\n  promqlGenerator:\n    labelMatchers:\n      - value: true\"\n",
            )
            .unwrap();
        assert_eq!(
            files.alerts[0].body["promqlGenerator"]["labelMatchers"][0]["value"],
            "true\""
        );
        assert_eq!(files.warnings.len(), 1);
        assert!(
            files.warnings[0].contains("[0].promqlGenerator.labelMatchers[0].value"),
            "{:?}",
            files.warnings
        );
    }
}
