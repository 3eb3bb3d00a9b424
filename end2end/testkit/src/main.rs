//! `testkit kube|loki --addr 127.0.0.1:PORT`: runs a stand-in for end-to-end tests.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Test stand-ins for Gemscope (never part of the product)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// A fake Kubernetes API server.
    Kube {
        #[arg(long, default_value = "127.0.0.1:16443")]
        addr: SocketAddr,
        /// Bearer token clients must send.
        #[arg(long)]
        token: Option<String>,
        /// Share of requests answered with an injected 500 (0.0–1.0).
        #[arg(long, default_value_t = 0.0)]
        error_rate: f64,
        /// Milliseconds added to every answer.
        #[arg(long, default_value_t = 0)]
        latency_ms: u64,
    },
    /// A Grafana Loki stand-in (push, queries, labels, series, ruler).
    Loki {
        #[arg(long, default_value = "127.0.0.1:13100")]
        addr: SocketAddr,
        /// Read rule groups from `<DIR>/fake/*` like Loki's local rule store; without it the
        /// ruler API is writable.
        #[arg(long)]
        rules_dir: Option<std::path::PathBuf>,
    },
    /// Notification vendor stand-ins (Feishu, DingTalk, WeCom, Alibaba Cloud, webhooks) and an
    /// SMTP sink; `GET /_received` lists what arrived.
    Sinks {
        #[arg(long, default_value = "127.0.0.1:18080")]
        addr: SocketAddr,
        #[arg(long, default_value = "127.0.0.1:18025")]
        smtp_addr: SocketAddr,
        /// The DingTalk robot's sign secret: signatures are checked against it.
        #[arg(long)]
        dingtalk_secret: Option<String>,
        #[arg(long)]
        feishu_secret: Option<String>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    match Cli::parse().command {
        Command::Kube {
            addr,
            token,
            error_rate,
            latency_ms,
        } => {
            let options = testkit::kube::Options {
                token,
                faults: testkit::kube::Faults {
                    error_rate,
                    latency: Duration::from_millis(latency_ms),
                    reject_writes_to: None,
                },
            };
            let (bound, _fake, task) = testkit::kube::serve(addr, options).await?;
            println!("fake kube-apiserver listening on http://{bound}");
            task.await?;
        }
        Command::Loki { addr, rules_dir } => {
            let options = testkit::loki::Options {
                rules_dir,
                now: None,
            };
            let (bound, _loki, task) = testkit::loki::serve(addr, options).await?;
            println!("Loki stand-in listening on http://{bound}");
            task.await?;
        }
        Command::Sinks {
            addr,
            smtp_addr,
            dingtalk_secret,
            feishu_secret,
        } => {
            let (http, smtp, sinks) = testkit::sinks::serve(addr, smtp_addr).await?;
            if let Ok(mut s) = sinks.dingtalk_secret.lock() {
                *s = dingtalk_secret;
            }
            if let Ok(mut s) = sinks.feishu_secret.lock() {
                *s = feishu_secret;
            }
            println!("vendor stand-ins on http://{http}, SMTP on {smtp}");
            std::future::pending::<()>().await;
        }
    }
    Ok(())
}
