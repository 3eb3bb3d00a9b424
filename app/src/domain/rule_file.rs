//! Rendering rule files. Output is deterministic (same groups, same bytes), so a sync can compare
//! what is on disk or in the cluster with what it would write and skip identical writes.

use crate::model::RuleFile;

pub const MANAGED_HEADER: &str = "# Managed by Gemscope. Changes made here are overwritten.\n";

/// The YAML document Prometheus and the Loki ruler read, with the managed-by header.
pub fn render(file: &RuleFile) -> Result<String, String> {
    let body = serde_norway::to_string(file).map_err(|e| format!("rendering rules: {e}"))?;
    Ok(format!("{MANAGED_HEADER}{body}"))
}

/// Parses a rule file (the header is a comment, so rendered files parse back).
pub fn parse(text: &str) -> Result<RuleFile, String> {
    serde_norway::from_str(text).map_err(|e| format!("not a rule file: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Rule, RuleGroup};

    fn sample() -> RuleFile {
        let mut alert = Rule::record("unused", "up == 0");
        alert.record = None;
        alert.alert = Some("InstanceDown".into());
        alert.for_ = Some("5m".into());
        alert.labels.insert("severity".into(), "critical".into());
        alert
            .annotations
            .insert("message".into(), "{{ $labels.instance }} is down".into());
        RuleFile {
            groups: vec![RuleGroup {
                name: "gems-sample".into(),
                interval: Some("1m".into()),
                rules: vec![Rule::record("gems_up_ratio", "avg by (job) (up)"), alert],
            }],
        }
    }

    #[test]
    fn golden() {
        let want = "\
# Managed by Gemscope. Changes made here are overwritten.
groups:
- name: gems-sample
  interval: 1m
  rules:
  - record: gems_up_ratio
    expr: avg by (job) (up)
  - alert: InstanceDown
    expr: up == 0
    for: 5m
    labels:
      severity: critical
    annotations:
      message: '{{ $labels.instance }} is down'
";
        assert_eq!(render(&sample()).unwrap(), want);
    }

    #[test]
    fn round_trips_and_is_deterministic() {
        let text = render(&sample()).unwrap();
        assert_eq!(parse(&text).unwrap(), sample());
        assert_eq!(render(&parse(&text).unwrap()).unwrap(), text);
    }
}
