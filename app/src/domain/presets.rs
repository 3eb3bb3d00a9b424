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

/// Control-plane rates and latencies. Watches and proxied connections stay open for minutes, so
/// they are left out of the latency quantile (KubeGems noted this but still included them).
fn cluster_group() -> RuleGroup {
    RuleGroup {
        name: "gems-cluster".into(),
        interval: None,
        rules: rules(&[
            (
                "gems_cluster_apiserver_qps",
                "sum by (code) (rate(apiserver_request_total[5m]))".into(),
            ),
            (
                "gems_cluster_apiserver_response_duration_seconds",
                r#"histogram_quantile(0.95, sum by (le, verb) (rate(apiserver_request_duration_seconds_bucket{verb!~"WATCH|CONNECT"}[5m])))"#.into(),
            ),
            (
                "gems_cluster_etcd_qps",
                "sum by (operation) (rate(etcd_request_duration_seconds_count[5m]))".into(),
            ),
            (
                "gems_cluster_etcd_response_duration_seconds",
                "histogram_quantile(0.95, sum by (le, operation) (rate(etcd_request_duration_seconds_bucket[5m])))".into(),
            ),
        ]),
    }
}

/// Pod phase and owning workload, from kube-state-metrics. Every container series below joins
/// `gems_pod_workload`, so a dashboard can filter by `workload="Deployment:web"`.
fn pod_group() -> RuleGroup {
    RuleGroup {
        name: "gems-pod".into(),
        interval: None,
        rules: rules(&[
            (
                "gems_pod_status",
                "max by (namespace, pod, phase) (kube_pod_status_phase == 1) \
                 * on (namespace, pod) group_left (node, host_ip, pod_ip) \
                 max by (namespace, pod, node, host_ip, pod_ip) (kube_pod_info)"
                    .into(),
            ),
            (
                "gems_pod_workload",
                // A ReplicaSet's name is its Deployment's plus a hash: report the Deployment.
                r#"max by (namespace, pod, owner_kind, workload) (
  label_replace(
    label_replace(kube_pod_owner{owner_kind="ReplicaSet"}, "owner_kind", "Deployment", "owner_kind", "ReplicaSet"),
    "workload", "Deployment:$1", "owner_name", "(.+)-[a-z0-9]+"
  )
  or
  label_join(kube_pod_owner{owner_kind!="ReplicaSet"}, "workload", ":", "owner_kind", "owner_name")
)"#
                .into(),
            ),
            (
                "gems_node_running_pod_count",
                r#"count by (node) (gems_pod_status{phase="Running"})"#.into(),
            ),
            (
                "gems_node_running_pod_percent",
                r#"100 * gems_node_running_pod_count / sum by (node) (kube_node_status_allocatable{resource="pods"})"#.into(),
            ),
        ]),
    }
}

/// Adds the pod's workload labels to a per-container series.
fn with_workload(expr: &str) -> String {
    format!("{expr} * on (namespace, pod) group_left (owner_kind, workload) gems_pod_workload")
}

/// Containers of real pods: cAdvisor also reports the pause container and cgroup totals.
const CONTAINERS: &str = r#"container!="", container!="POD", image!="""#;

fn container_group() -> RuleGroup {
    let by_container = |inner: String| {
        with_workload(&format!(
            "sum by (namespace, pod, container, node) ({inner})"
        ))
    };
    // Network counters belong to the pod's sandbox, not to a container.
    let by_pod = |metric: &str| {
        with_workload(&format!(
            r#"sum by (namespace, pod, node) (rate({metric}{{pod!=""}}[5m]))"#
        ))
    };
    RuleGroup {
        name: "gems-container".into(),
        interval: None,
        rules: rules(&[
            (
                "gems_container_cpu_usage_cores",
                by_container(format!("rate(container_cpu_usage_seconds_total{{{CONTAINERS}}}[5m])")),
            ),
            (
                "gems_container_cpu_limit_cores",
                by_container(r#"kube_pod_container_resource_limits{resource="cpu"}"#.into()),
            ),
            (
                "gems_container_cpu_usage_percent",
                "100 * gems_container_cpu_usage_cores / gems_container_cpu_limit_cores".into(),
            ),
            (
                "gems_container_memory_usage_bytes",
                by_container(format!("container_memory_working_set_bytes{{{CONTAINERS}}}")),
            ),
            (
                "gems_container_memory_rss",
                by_container(format!("container_memory_rss{{{CONTAINERS}}}")),
            ),
            (
                "gems_container_memory_limit_bytes",
                by_container(r#"kube_pod_container_resource_limits{resource="memory"}"#.into()),
            ),
            (
                "gems_container_memory_usage_percent",
                "100 * gems_container_memory_usage_bytes / gems_container_memory_limit_bytes"
                    .into(),
            ),
            (
                "gems_container_restart_times_last_5m",
                "sum by (namespace, pod, container) (increase(kube_pod_container_status_restarts_total[5m]))".into(),
            ),
            (
                "gems_container_network_receive_bps",
                by_pod("container_network_receive_bytes_total"),
            ),
            (
                "gems_container_network_send_bps",
                by_pod("container_network_transmit_bytes_total"),
            ),
        ]),
    }
}

fn pvc_group() -> RuleGroup {
    let with_class = |metric: &str| {
        format!(
            "max by (namespace, persistentvolumeclaim, node) ({metric}) \
             * on (namespace, persistentvolumeclaim) group_left (storageclass) \
             max by (namespace, persistentvolumeclaim, storageclass) (kube_persistentvolumeclaim_info)"
        )
    };
    RuleGroup {
        name: "gems-pvc".into(),
        interval: None,
        rules: rules(&[
            (
                "gems_pvc_usage_bytes",
                with_class("kubelet_volume_stats_used_bytes"),
            ),
            (
                "gems_pvc_total_bytes",
                with_class("kubelet_volume_stats_capacity_bytes"),
            ),
            (
                "gems_pvc_usage_percent",
                "100 * gems_pvc_usage_bytes / gems_pvc_total_bytes".into(),
            ),
            (
                "gems_pvc_inode_total",
                with_class("kubelet_volume_stats_inodes"),
            ),
            (
                "gems_pvc_inode_used",
                with_class("kubelet_volume_stats_inodes_used"),
            ),
        ]),
    }
}

/// Namespace totals, labelled with the environment, project and tenant the namespace belongs to
/// (the `gems.kubegems.io/*` namespace labels that KubeGems-managed clusters carry).
fn namespace_group() -> RuleGroup {
    let owner = |key: &str, inner: String| {
        format!(r#"label_replace({inner}, "{key}", "$1", "label_gems_kubegems_io_{key}", "(.*)")"#)
    };
    let labels = format!(
        "max by (namespace, environment, project, tenant) ({})",
        owner(
            "tenant",
            owner(
                "project",
                owner("environment", "kube_namespace_labels".into())
            )
        )
    );
    let total = |series: &str| {
        format!(
            "sum by (namespace) ({series}) * on (namespace) group_left (environment, project, tenant) gems_namespace_labels"
        )
    };
    RuleGroup {
        name: "gems-namespace".into(),
        interval: None,
        rules: rules(&[
            ("gems_namespace_labels", labels),
            (
                "gems_namespace_cpu_usage_cores",
                total("gems_container_cpu_usage_cores"),
            ),
            (
                "gems_namespace_memory_usage_bytes",
                total("gems_container_memory_usage_bytes"),
            ),
            (
                "gems_namespace_network_receive_bps",
                total("gems_container_network_receive_bps"),
            ),
            (
                "gems_namespace_network_send_bps",
                total("gems_container_network_send_bps"),
            ),
            (
                "gems_namespace_pvc_usage_bytes",
                total("gems_pvc_usage_bytes"),
            ),
        ]),
    }
}

/// Labels of Istio's standard metrics that identify peers rather than the workload; dropping
/// them keeps one series per workload, code and reporter.
const ISTIO_PEER_LABELS: &str = "instance, job, connection_security_policy, source_principal, destination_principal, source_app, destination_app, source_canonical_service, destination_canonical_service, source_canonical_revision, destination_canonical_revision, destination_service";

fn mesh_group() -> RuleGroup {
    let per_workload =
        |metric: &str| format!("sum without ({ISTIO_PEER_LABELS}) (rate({metric}[5m]))");
    let gateway = |port: u16| {
        (
            format!(
                "sum by (namespace, pod, response_code_class) (rate(envoy_http_outbound_0_0_0_0_{port}_downstream_rq[5m]))"
            ),
            format!(
                "histogram_quantile(0.95, sum by (namespace, pod, le) (rate(envoy_http_outbound_0_0_0_0_{port}_downstream_rq_time_bucket[5m]))) / 1000"
            ),
        )
    };
    let (qps_80, latency_80) = gateway(8080);
    let (qps_443, latency_443) = gateway(8443);
    RuleGroup {
        name: "gems-istio".into(),
        interval: None,
        rules: rules(&[
            (
                "gems_istio_workload_request_qps",
                per_workload("istio_requests_total"),
            ),
            (
                "gems_istio_workload_response_duration_seconds",
                format!(
                    "histogram_quantile(0.95, {}) / 1000",
                    per_workload("istio_request_duration_milliseconds_bucket")
                ),
            ),
            (
                "gems_istio_workload_request_bps",
                per_workload("istio_request_bytes_sum"),
            ),
            (
                "gems_istio_workload_response_bps",
                per_workload("istio_response_bytes_sum"),
            ),
            ("gems_istio_gateway_port_80_downstream_qps", qps_80),
            (
                "gems_istio_gateway_port_80_downstream_response_duration_seconds",
                latency_80,
            ),
            ("gems_istio_gateway_port_443_downstream_qps", qps_443),
            (
                "gems_istio_gateway_port_443_downstream_response_duration_seconds",
                latency_443,
            ),
        ]),
    }
}

fn cert_group() -> RuleGroup {
    RuleGroup {
        name: "gems-cert".into(),
        interval: None,
        rules: rules(&[(
            "gems_cert_expiration_remain_seconds",
            "max by (namespace, name) (certmanager_certificate_expiration_timestamp_seconds) - time()".into(),
        )]),
    }
}

/// The Prometheus recording rules a prepared cluster carries.
pub fn recording_rules() -> RuleFile {
    RuleFile {
        groups: vec![
            node_group(),
            cluster_group(),
            pod_group(),
            container_group(),
            pvc_group(),
            namespace_group(),
            cert_group(),
            mesh_group(),
        ],
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
    fn loki_rules_are_valid_logql_metric_queries() {
        for g in &loki_recording_rules().groups {
            for r in &g.rules {
                match crate::domain::logql::parse(&r.expr) {
                    Ok(crate::domain::logql::Expr::Metric(_)) => {}
                    other => panic!("{}: {other:?}", r.expr),
                }
            }
        }
    }

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
