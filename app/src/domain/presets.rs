//! Gemscope's own recording rules: the `gems_*` series that dashboards and alert templates query,
//! so the same template works on every cluster whatever exporters' label conventions are.
//!
//! Node series are grouped `by (node)`: on Kubernetes the scrape config sets `node` from the pod's
//! node; in the standalone stack Gemscope's scrape config sets it to the host name.

use crate::model::{Rule, RuleFile, RuleGroup};

/// The name the prepared recording rules are stored under (file stem, PrometheusRule name).
pub const RECORDING_RULES_NAME: &str = "gemscope-recording-rules";
pub const LOKI_RECORDING_RULES_NAME: &str = "gemscope-loki-recording-rules";

/// Virtual and container interfaces would count the same traffic twice.
const PHYSICAL_NIC: &str = r#"device!~"lo|veth.*|docker.*|br-.*|cali.*|flannel.*|cni.*|virbr.*|tunl.*|vxlan.*|kube-ipvs.*""#;
/// Real block devices only; loop devices are snap and image mounts.
const REAL_FS: &str = r#"device=~"/dev/.*",device!~"/dev/loop.*",fstype!~"tmpfs|overlay|squashfs""#;

fn rules(list: &[(&str, String)]) -> Vec<Rule> {
    list.iter()
        .map(|(name, expr)| Rule::record(name, expr))
        .collect()
}

fn node_group() -> RuleGroup {
    let rate =
        |metric: &str, filter: &str| format!("sum by (node) (rate({metric}{{{filter}}}[5m]))");
    let errs = |dir: &str| {
        format!(
            "100 * sum by (node) (rate(node_network_{dir}_errs_total{{{PHYSICAL_NIC}}}[5m])) / sum by (node) (rate(node_network_{dir}_packets_total{{{PHYSICAL_NIC}}}[5m]))"
        )
    };
    RuleGroup {
        name: "gems-node".into(),
        interval: None,
        rules: rules(&[
            (
                "gems_node_cpu_total_cores",
                r#"count by (node) (node_cpu_seconds_total{mode="idle"})"#.into(),
            ),
            (
                "gems_node_cpu_usage_cores",
                r#"sum by (node) (rate(node_cpu_seconds_total{mode!~"idle|iowait|steal"}[5m]))"#
                    .into(),
            ),
            (
                "gems_node_cpu_usage_percent",
                "100 * gems_node_cpu_usage_cores / gems_node_cpu_total_cores".into(),
            ),
            (
                "gems_node_memory_total_bytes",
                "sum by (node) (node_memory_MemTotal_bytes)".into(),
            ),
            (
                "gems_node_memory_usage_bytes",
                "sum by (node) (node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes)"
                    .into(),
            ),
            (
                "gems_node_memory_usage_percent",
                "100 * gems_node_memory_usage_bytes / gems_node_memory_total_bytes".into(),
            ),
            (
                "gems_node_disk_total_bytes",
                format!(
                    "sum by (node, device, mountpoint) (node_filesystem_size_bytes{{{REAL_FS}}})"
                ),
            ),
            (
                "gems_node_disk_usage_bytes",
                format!(
                    "sum by (node, device, mountpoint) (node_filesystem_size_bytes{{{REAL_FS}}} - node_filesystem_avail_bytes{{{REAL_FS}}})"
                ),
            ),
            (
                "gems_node_disk_usage_percent",
                "100 * gems_node_disk_usage_bytes / gems_node_disk_total_bytes".into(),
            ),
            (
                "gems_node_disk_read_iops",
                rate("node_disk_reads_completed_total", ""),
            ),
            (
                "gems_node_disk_write_iops",
                rate("node_disk_writes_completed_total", ""),
            ),
            (
                "gems_node_disk_read_bps",
                rate("node_disk_read_bytes_total", ""),
            ),
            (
                "gems_node_disk_write_bps",
                rate("node_disk_written_bytes_total", ""),
            ),
            (
                "gems_node_network_receive_bps",
                rate("node_network_receive_bytes_total", PHYSICAL_NIC),
            ),
            (
                "gems_node_network_send_bps",
                rate("node_network_transmit_bytes_total", PHYSICAL_NIC),
            ),
            ("gems_node_network_receive_errs_percent", errs("receive")),
            ("gems_node_network_send_errs_percent", errs("transmit")),
            ("gems_node_load1", "sum by (node) (node_load1)".into()),
            ("gems_node_load5", "sum by (node) (node_load5)".into()),
            ("gems_node_load15", "sum by (node) (node_load15)".into()),
        ]),
    }
}

/// The Prometheus recording rules a prepared cluster carries.
pub fn recording_rules() -> RuleFile {
    RuleFile {
        groups: vec![node_group()],
    }
}

/// Log counts per container, evaluated by the Loki ruler and written to Prometheus. Errors match
/// case-insensitively, so `ERROR` lines count too.
pub fn loki_recording_rules() -> RuleFile {
    let streams = r#"{stream=~"stdout|stderr"}"#;
    RuleFile {
        groups: vec![RuleGroup {
            name: "gems-loki".into(),
            interval: Some("1m".into()),
            rules: rules(&[
                (
                    "gems_loki_logs_count_last_1m",
                    format!("sum by (namespace, pod, container) (count_over_time({streams}[1m]))"),
                ),
                (
                    "gems_loki_error_logs_count_last_1m",
                    format!(
                        r#"sum by (namespace, pod, container) (count_over_time({streams} |~ "(?i)error" [1m]))"#
                    ),
                ),
            ]),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_records_a_gems_series_once() {
        for file in [recording_rules(), loki_recording_rules()] {
            let mut seen = std::collections::HashSet::new();
            for g in &file.groups {
                for r in &g.rules {
                    let name = r.record.as_deref().expect("recording rule");
                    assert!(name.starts_with("gems_"), "{name}");
                    assert!(seen.insert(name.to_string()), "{name} twice");
                    assert!(!r.expr.is_empty());
                }
            }
        }
    }

    #[test]
    fn derived_rules_come_after_their_inputs() {
        // Prometheus evaluates a group's rules in order: a ratio must follow what it divides.
        for g in recording_rules().groups {
            let names: Vec<&str> = g.rules.iter().filter_map(|r| r.record.as_deref()).collect();
            for (i, r) in g.rules.iter().enumerate() {
                for (j, other) in names.iter().enumerate() {
                    if r.expr.contains(other) && r.record.as_deref() != Some(other) {
                        assert!(
                            j < i,
                            "{} uses {other} defined later",
                            r.record.as_deref().unwrap_or("")
                        );
                    }
                }
            }
        }
    }
}
