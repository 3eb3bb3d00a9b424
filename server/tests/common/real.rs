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
        let (am_port, prom_port) = (free_port(), free_port());
        std::fs::write(
            d.join("alertmanager.yml"),
            "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n",
        )
        .unwrap();
        std::fs::write(
            d.join("prometheus.yml"),
            format!(
                "global:\n  scrape_interval: 15s\nrule_files:\n  - {}/rules/*.yml\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:{am_port}']\n",
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
