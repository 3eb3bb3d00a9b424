//! The local default: Prometheus, Alertmanager and node-exporter from Debian's packages, started
//! under `data_dir/local` on 127.0.0.1 and registered as the standalone cluster `local` with the
//! recording rules prepared, so a newcomer sees real data from the first minute.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use app::api::context::{AuditRecord, Caller, Services};
use app::error::ApiError;
use app::model::{ClusterInput, ClusterKind, ClusterSettings};
use tokio::process::{Child, Command};

pub const PROMETHEUS_PORT: u16 = 19090;
pub const ALERTMANAGER_PORT: u16 = 19093;
pub const NODE_EXPORTER_PORT: u16 = 19100;
pub const CLUSTER_NAME: &str = "local";

/// The running components; dropping it stops them.
pub struct LocalStack {
    _children: Vec<Child>,
}

struct Component {
    name: &'static str,
    binary: &'static str,
    port: u16,
    ready_path: &'static str,
    args: Vec<String>,
}

fn components(dir: &Path) -> Vec<Component> {
    let d = dir.display();
    vec![
        Component {
            name: "alertmanager",
            binary: "/usr/bin/prometheus-alertmanager",
            port: ALERTMANAGER_PORT,
            ready_path: "/-/ready",
            args: vec![
                format!("--config.file={d}/alertmanager.yml"),
                format!("--storage.path={d}/alertmanager"),
                format!("--web.listen-address=127.0.0.1:{ALERTMANAGER_PORT}"),
                "--cluster.listen-address=".into(),
            ],
        },
        Component {
            name: "node-exporter",
            binary: "/usr/bin/prometheus-node-exporter",
            port: NODE_EXPORTER_PORT,
            ready_path: "/metrics",
            args: vec![format!(
                "--web.listen-address=127.0.0.1:{NODE_EXPORTER_PORT}"
            )],
        },
        Component {
            name: "prometheus",
            binary: "/usr/bin/prometheus",
            port: PROMETHEUS_PORT,
            ready_path: "/-/ready",
            args: vec![
                format!("--config.file={d}/prometheus.yml"),
                format!("--storage.tsdb.path={d}/prometheus"),
                format!("--web.listen-address=127.0.0.1:{PROMETHEUS_PORT}"),
                "--web.enable-lifecycle".into(),
                "--rules.alert.resend-delay=2s".into(),
            ],
        },
    ]
}

fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// Prometheus scrapes node-exporter and Gemscope itself; `node` is the host name, as the
/// recording rules expect.
pub fn prometheus_config(dir: &Path, gemscope_addr: &str, node: &str) -> String {
    let rules = dir.join("rules");
    let rules = rules.display();
    format!(
        r#"# Written by Gemscope for the local stack.
global:
  scrape_interval: 15s
  evaluation_interval: 15s
rule_files:
  - {rules}/*.yml
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:{ALERTMANAGER_PORT}']
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:{NODE_EXPORTER_PORT}']
        labels:
          node: '{node}'
  - job_name: gemscope
    static_configs:
      - targets: ['{gemscope_addr}']
        labels:
          node: '{node}'
"#
    )
}

const ALERTMANAGER_CONFIG: &str = "# Written by Gemscope for the local stack.\nroute:\n  receiver: default\nreceivers:\n  - name: default\n";

async fn answers(http: &reqwest::Client, port: u16, path: &str) -> bool {
    http.get(format!("http://127.0.0.1:{port}{path}"))
        .timeout(Duration::from_secs(1))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

/// Starts what is installed and not already running, and waits until each answers.
pub async fn start(
    data_dir: &Path,
    gemscope_addr: &str,
    http: &reqwest::Client,
) -> anyhow::Result<(LocalStack, PathBuf)> {
    let dir = std::fs::canonicalize(data_dir)?.join("local");
    for sub in ["rules", "prometheus", "alertmanager"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    std::fs::write(
        dir.join("prometheus.yml"),
        prometheus_config(&dir, gemscope_addr, &host_name()),
    )?;
    if !dir.join("alertmanager.yml").exists() {
        std::fs::write(dir.join("alertmanager.yml"), ALERTMANAGER_CONFIG)?;
    }
    let mut children = Vec::new();
    for c in components(&dir) {
        if answers(http, c.port, c.ready_path).await {
            tracing::info!(
                component = c.name,
                port = c.port,
                "already running; using it"
            );
            continue;
        }
        if !Path::new(c.binary).exists() {
            anyhow::bail!(
                "{} is not installed ({}); install Debian's prometheus packages or set GEMSCOPE_LOCAL_STACK=false",
                c.name,
                c.binary
            );
        }
        let log = std::fs::File::create(dir.join(format!("{}.log", c.name)))?;
        let child = Command::new(c.binary)
            .args(&c.args)
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| anyhow::anyhow!("starting {}: {e}", c.name))?;
        children.push(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !answers(http, c.port, c.ready_path).await {
            if Instant::now() > deadline {
                anyhow::bail!(
                    "{} did not become ready; see {}",
                    c.name,
                    dir.join(format!("{}.log", c.name)).display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tracing::info!(component = c.name, url = %format!("http://127.0.0.1:{}", c.port), "started");
    }
    Ok((
        LocalStack {
            _children: children,
        },
        dir,
    ))
}

/// Registers (or updates) the `local` cluster and prepares it. Done as the system itself, and audited.
pub async fn register(
    services: &Services,
    db: &sea_orm::DatabaseConnection,
    dir: &Path,
) -> anyhow::Result<()> {
    let input = ClusterInput {
        name: CLUSTER_NAME.into(),
        description:
            "Prometheus, Alertmanager and node-exporter started by Gemscope on this machine".into(),
        kind: ClusterKind::Standalone,
        settings: ClusterSettings {
            prometheus_url: format!("http://127.0.0.1:{PROMETHEUS_PORT}"),
            alertmanager_url: format!("http://127.0.0.1:{ALERTMANAGER_PORT}"),
            rules_dir: dir.join("rules").display().to_string(),
            alertmanager_config_path: dir.join("alertmanager.yml").display().to_string(),
            ..Default::default()
        },
        kubeconfig: None,
        bearer_token: None,
    };
    register_system_cluster(services, db, input).await
}

/// Registers `GEMSCOPE_IN_CLUSTER` mode's cluster: the one Gemscope runs in, reached with the
/// pod's service account, under the name `local`.
pub async fn register_in_cluster(
    services: &Services,
    db: &sea_orm::DatabaseConnection,
) -> anyhow::Result<()> {
    let input = ClusterInput {
        name: CLUSTER_NAME.into(),
        description: "The Kubernetes cluster Gemscope runs in (its own service account)".into(),
        kind: ClusterKind::Kubernetes,
        settings: ClusterSettings {
            in_cluster: true,
            ..Default::default()
        },
        kubeconfig: None,
        bearer_token: None,
    };
    register_system_cluster(services, db, input).await
}

/// Creates or updates a cluster on Gemscope's own behalf and prepares it, both audited.
async fn register_system_cluster(
    services: &Services,
    db: &sea_orm::DatabaseConnection,
    input: ClusterInput,
) -> anyhow::Result<()> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let system = Caller {
        user_id: 0,
        username: "gemscope".into(),
        is_system_admin: true,
        ip: String::new(),
    };
    let existing = crate::db::entities::cluster::Entity::find()
        .filter(crate::db::entities::cluster::Column::Name.eq(CLUSTER_NAME))
        .one(db)
        .await?;
    let (action, result) = match existing {
        Some(row) => (
            "cluster.update",
            services.clusters.update(&system, row.id, input).await,
        ),
        None => (
            "cluster.create",
            services.clusters.create(&system, input).await,
        ),
    };
    let cluster =
        result.map_err(|e| anyhow::anyhow!("registering the local cluster: {}", e.message))?;
    let prepared = services.clusters.prepare(&system, cluster.id).await;
    let system_rows = [
        AuditRecord::of(
            None,
            "gemscope",
            "",
            action,
            format!("cluster/{CLUSTER_NAME}"),
            None,
            &Ok::<(), ApiError>(()),
        ),
        AuditRecord::of(
            None,
            "gemscope",
            "",
            "cluster.prepare",
            format!("cluster/{CLUSTER_NAME}"),
            None,
            &prepared,
        ),
    ];
    for row in system_rows {
        services.audit.record(row).await;
    }
    // The cluster stays registered when preparing fails: its page shows why, and Prepare retries.
    match prepared {
        Ok(results) => {
            for r in results.iter().filter(|r| r.outcome == "failed") {
                tracing::warn!(object = %r.name, detail = %r.detail, "preparing the local cluster");
            }
            tracing::info!("local cluster registered and prepared");
        }
        Err(e) => {
            tracing::warn!(error = %e.message, "local cluster registered, but preparing it failed")
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_config_names_node_and_targets() {
        let c = prometheus_config(Path::new("/srv/gs/local"), "127.0.0.1:3000", "box1");
        assert!(c.contains("- /srv/gs/local/rules/*.yml"));
        assert!(c.contains("targets: ['127.0.0.1:19100']"));
        assert!(c.contains("targets: ['127.0.0.1:3000']"));
        assert_eq!(c.matches("node: 'box1'").count(), 2);
    }
}
