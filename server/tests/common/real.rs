//! Real Prometheus and Alertmanager (Debian packages) on 127.0.0.1, in temp dirs, for one test.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RealStack {
    pub prometheus_url: String,
    pub alertmanager_url: String,
    prometheus: Option<Child>,
    alertmanager: Option<Child>,
    pub dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn wait_ready(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    let host = url.trim_start_matches("http://");
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(host).is_ok() {
            // Listening; give the HTTP handler a moment to serve /-/ready.
            std::thread::sleep(Duration::from_millis(150));
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{url} did not start listening");
}

impl RealStack {
    /// `None` when the binaries are missing, unless GEMSCOPE_TEST_REQUIRE_REAL=1 (CI), then panic.
    pub fn start() -> Option<RealStack> {
        Self::start_with_history(None)
    }

    /// Like `start`, with history: the OpenMetrics text is turned into TSDB blocks by
    /// `promtool tsdb create-blocks-from openmetrics` before Prometheus opens its data dir.
    pub fn start_with_history(openmetrics: Option<&str>) -> Option<RealStack> {
        let have = Path::new("/usr/bin/prometheus").exists()
            && Path::new("/usr/bin/prometheus-alertmanager").exists();
        if !have {
            if std::env::var("GEMSCOPE_TEST_REQUIRE_REAL").is_ok_and(|v| v == "1") {
                panic!(
                    "prometheus / prometheus-alertmanager are not installed but GEMSCOPE_TEST_REQUIRE_REAL=1"
                );
            }
            eprintln!("prometheus or alertmanager missing: skipping real-component test");
            return None;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        std::fs::create_dir_all(d.join("rules")).unwrap();
        std::fs::create_dir_all(d.join("am-data")).unwrap();
        std::fs::create_dir_all(d.join("prom-data")).unwrap();
        if let Some(text) = openmetrics {
            let file = d.join("history.om");
            std::fs::write(&file, text).unwrap();
            let out = Command::new("promtool")
                .args(["tsdb", "create-blocks-from", "openmetrics"])
                .arg(&file)
                .arg(d.join("prom-data"))
                .output()
                .expect("run promtool");
            assert!(
                out.status.success(),
                "promtool: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let (am_port, prom_port) = (free_port(), free_port());
        std::fs::write(
            d.join("alertmanager.yml"),
            "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n",
        )
        .unwrap();
        std::fs::write(
            d.join("prometheus.yml"),
            format!(
                "global:\n  scrape_interval: 15s\n  evaluation_interval: 1s\n  query_log_file: {}/queries.log\nrule_files:\n  - {}/rules/*.yml\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:{am_port}']\n",
                d.display(),
                d.display()
            ),
        )
        .unwrap();
        // Alertmanager first, so Prometheus finds it at once.
        let alertmanager = Command::new("/usr/bin/prometheus-alertmanager")
            .arg(format!("--config.file={}/alertmanager.yml", d.display()))
            .arg(format!("--storage.path={}/am-data", d.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{am_port}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start alertmanager");
        let prometheus = Command::new("/usr/bin/prometheus")
            .arg(format!("--config.file={}/prometheus.yml", d.display()))
            .arg(format!("--storage.tsdb.path={}/prom-data", d.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
            .arg("--web.enable-lifecycle")
            .arg("--web.enable-remote-write-receiver")
            .arg("--rules.alert.resend-delay=2s")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start prometheus");
        let stack = RealStack {
            prometheus_url: format!("http://127.0.0.1:{prom_port}"),
            alertmanager_url: format!("http://127.0.0.1:{am_port}"),
            prometheus: Some(prometheus),
            alertmanager: Some(alertmanager),
            dir,
        };
        wait_ready(&stack.alertmanager_url);
        wait_ready(&stack.prometheus_url);
        Some(stack)
    }

    /// Adds scrape jobs (a YAML list of scrape configs) to Prometheus and reloads it.
    pub async fn add_scrape_configs(&self, jobs: &str) {
        let path = self.dir.path().join("prometheus.yml");
        let mut config = std::fs::read_to_string(&path).unwrap();
        config.push_str("scrape_configs:\n");
        config.push_str(jobs);
        std::fs::write(&path, config).unwrap();
        let r = reqwest::Client::new()
            .post(format!("{}/-/reload", self.prometheus_url))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "reload: {}", r.status());
    }

    pub fn stop_prometheus(&mut self) {
        if let Some(mut p) = self.prometheus.take() {
            p.kill().ok();
            p.wait().ok();
        }
    }
}

impl Drop for RealStack {
    fn drop(&mut self) {
        for c in [self.prometheus.take(), self.alertmanager.take()]
            .into_iter()
            .flatten()
        {
            let mut c = c;
            c.kill().ok();
            c.wait().ok();
        }
    }
}

/// Deterministic container history in OpenMetrics: for each namespace, `pods` pods of two
/// containers, a sample every `step` seconds over the `hours` before `end`. Values are
/// functions of the pod index and time, so every run sees the same data.
pub fn container_history(
    namespaces: &[&str],
    pods: usize,
    hours: i64,
    step: i64,
    end: i64,
) -> String {
    use std::fmt::Write;
    let start = end - hours * 3600;
    let mut out = String::new();
    let families: [(&str, &str); 3] = [
        ("gems_container_cpu_usage_cores", "gauge"),
        ("gems_container_memory_usage_bytes", "gauge"),
        ("container_network_receive_bytes", "counter"),
    ];
    for (f, (name, kind)) in families.iter().enumerate() {
        let _ = writeln!(out, "# TYPE {name} {kind}");
        let sample = if *kind == "counter" {
            format!("{name}_total")
        } else {
            name.to_string()
        };
        for ns in namespaces {
            for p in 0..pods {
                for c in ["app", "sidecar"] {
                    let labels = format!(
                        "namespace=\"{ns}\",pod=\"web-{p}\",container=\"{c}\",workload=\"web\""
                    );
                    let mut t = start;
                    while t <= end {
                        let i = ((t - start) / step) as f64;
                        let v = match f {
                            0 => 0.1 + (p % 7) as f64 * 0.05 + (i / 60.0).sin().abs() * 0.1,
                            1 => 64e6 + (p as f64) * 1e6 + (i % 120.0) * 1e4,
                            _ => i * 1000.0 * (p + 1) as f64,
                        };
                        let _ = writeln!(out, "{sample}{{{labels}}} {v} {t}");
                        t += step;
                    }
                }
            }
        }
    }
    out.push_str("# EOF\n");
    out
}
