//! Metric collectors of an environment: its Services, and the ServiceMonitor Gemscope keeps for
//! each one whose metrics are collected.

use serde::{Deserialize, Serialize};

/// A named port of a Service: what a ServiceMonitor endpoint can point at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ServicePort {
    pub name: String,
    pub port: i32,
    pub protocol: String,
}

/// How a Service is scraped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectorConfig {
    /// A named port of the Service.
    pub port: String,
    pub path: String,
    /// A Prometheus duration, for example `30s`.
    pub interval: String,
}

impl Default for CollectorConfig {
    fn default() -> Self {
        CollectorConfig {
            port: String::new(),
            path: "/metrics".into(),
            interval: "30s".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScrapeHealth {
    Up,
    Down,
    /// Prometheus has no such target yet (or has not scraped it): not a failure.
    Unknown,
}

impl ScrapeHealth {
    pub fn parse(s: &str) -> ScrapeHealth {
        match s {
            "up" => ScrapeHealth::Up,
            "down" => ScrapeHealth::Down,
            _ => ScrapeHealth::Unknown,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            ScrapeHealth::Up => "up",
            ScrapeHealth::Down => "down",
            ScrapeHealth::Unknown => "unknown",
        }
    }
}

/// One scrape target Prometheus reports for a collector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScrapeTarget {
    pub url: String,
    pub health: ScrapeHealth,
    /// RFC 3339, empty before the first scrape.
    pub last_scrape: String,
    pub last_error: String,
}

/// A Service of the environment's namespace, and its collector if there is one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Collector {
    pub service: String,
    pub ports: Vec<ServicePort>,
    /// `Some` when a ServiceMonitor of this name exists.
    pub config: Option<CollectorConfig>,
    /// The overall state: up when every target is up, down when one is down, unknown when
    /// Prometheus has none yet.
    pub health: ScrapeHealth,
    pub targets: Vec<ScrapeTarget>,
}

/// The collectors of an environment, and why scrape states may be missing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollectorList {
    pub namespace: String,
    pub collectors: Vec<Collector>,
    /// Set when Prometheus could not be asked: every state then shows as unknown.
    pub status_error: Option<String>,
}
