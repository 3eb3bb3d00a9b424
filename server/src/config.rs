//! Layered configuration: built-in defaults, then an optional TOML file, then `GEMSCOPE_*`
//! environment variables (`GEMSCOPE_DATABASE_URL`, `GEMSCOPE_ADMIN_PASSWORD`, …).

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Config {
    /// Address the web server listens on.
    pub listen: String,
    pub database_url: String,
    /// Where the embedded database, the generated secret key and local state live.
    pub data_dir: PathBuf,
    /// The built site: `pkg/` with the WebAssembly bundle and stylesheet, plus public assets.
    pub site_root: PathBuf,
    /// Base64 of 32 bytes that encrypts secrets at rest. Generated into `data_dir` when unset.
    pub secret_key: Option<String>,
    pub admin_username: String,
    /// Password of the first administrator; generated and logged once when unset.
    pub admin_password: Option<String>,
    /// The external URL, e.g. `https://gemscope.example.com`. An https URL makes cookies `Secure`;
    /// its origin is accepted for POSTs besides the request's own host.
    pub public_url: Option<String>,
    pub session_ttl_hours: u64,
    pub log: String,
    /// Start Prometheus, Alertmanager and node-exporter on this machine and register them as the
    /// cluster `local` (`make run` turns this on).
    pub local_stack: bool,
    /// Register the Kubernetes cluster Gemscope runs in as `local`, with the pod's service account
    /// (`GEMSCOPE_IN_CLUSTER=true`). Takes the place of the local stack.
    pub in_cluster: bool,
    /// Namespaces no tenant may bind to an environment, comma-separated, besides every
    /// cluster's monitoring and logging namespaces and (in a pod) Gemscope's own.
    pub reserved_namespaces: String,
    /// Reverse proxies whose `X-Forwarded-For` names the client (comma-separated addresses or
    /// CIDRs); empty: the socket peer is the client.
    pub trusted_proxies: String,
    /// When set, `/metrics` answers only requests with `Authorization: Bearer <metrics_token>`.
    pub metrics_token: Option<String>,
    /// Queries one user may send per minute (fires-now, backtests, range queries, dashboard
    /// refreshes); 0 switches the limit off.
    pub query_rate_per_minute: u32,
    /// Internal destinations notifications may reach, comma-separated host names or CIDRs
    /// (`10.0.0.0/8,mail.internal`). Everything else that is not public is refused.
    pub notify_allow: String,
    /// Override of the Alibaba Cloud SMS API endpoint (a private gateway, or a test stand-in).
    pub aliyun_sms_endpoint: Option<String>,
    pub aliyun_voice_endpoint: Option<String>,
    /// Alert history older than this many days is archived to CSV and deleted
    /// (`gemscope history archive`, and the daily job).
    pub history_retention_days: u32,
    /// Run scheduled jobs in this process. Every replica may: each tick runs once across them.
    pub jobs_enabled: bool,
    /// Job schedules, six-field cron with seconds first (`0 */5 * * * *`), in UTC; empty
    /// switches a job off.
    pub job_state_sync: String,
    pub job_config_check: String,
    pub job_system_rules: String,
    pub job_history_archive: String,
    /// A running job renews its lease this often (a third of it); a replica that stops renewing
    /// loses the run to another after this many seconds.
    pub job_lease_secs: u64,
    /// Attempts per run before it is marked failed; retries wait `job_retry_base_secs`, doubled
    /// each time (at most 10 minutes).
    pub job_attempts: u32,
    pub job_retry_base_secs: u64,
    /// On SIGTERM, running jobs get this long to finish before they are handed back.
    pub job_shutdown_secs: u64,
    /// A cluster that does not answer within this long counts as failed for the run.
    pub job_cluster_timeout_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:3000".into(),
            database_url: "sqlite://data/gemscope.db?mode=rwc".into(),
            data_dir: "data".into(),
            site_root: "site".into(),
            secret_key: None,
            admin_username: "admin".into(),
            admin_password: None,
            public_url: None,
            session_ttl_hours: 24 * 7,
            log: "info".into(),
            local_stack: false,
            in_cluster: false,
            reserved_namespaces: crate::tenancy::guards::DEFAULT_RESERVED.into(),
            trusted_proxies: String::new(),
            metrics_token: None,
            query_rate_per_minute: 120,
            notify_allow: String::new(),
            history_retention_days: 30,
            jobs_enabled: true,
            job_state_sync: "0 */5 * * * *".into(),
            job_config_check: "0 0 */12 * * *".into(),
            job_system_rules: "0 30 3 * * *".into(),
            job_history_archive: "0 0 4 * * *".into(),
            job_lease_secs: 60,
            job_attempts: 3,
            job_retry_base_secs: 30,
            job_shutdown_secs: 30,
            job_cluster_timeout_secs: 30,
            aliyun_sms_endpoint: None,
            aliyun_voice_endpoint: None,
        }
    }
}

// Secrets stay out of logs and panic messages.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redact = |o: &Option<String>| o.as_ref().map(|_| "<redacted>");
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database_url", &redact_url(&self.database_url))
            .field("data_dir", &self.data_dir)
            .field("site_root", &self.site_root)
            .field("secret_key", &redact(&self.secret_key))
            .field("admin_username", &self.admin_username)
            .field("admin_password", &redact(&self.admin_password))
            .field("public_url", &self.public_url)
            .field("session_ttl_hours", &self.session_ttl_hours)
            .field("log", &self.log)
            .field("local_stack", &self.local_stack)
            .field("in_cluster", &self.in_cluster)
            .field("reserved_namespaces", &self.reserved_namespaces)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("metrics_token", &redact(&self.metrics_token))
            .field("query_rate_per_minute", &self.query_rate_per_minute)
            .field("notify_allow", &self.notify_allow)
            .field("aliyun_sms_endpoint", &self.aliyun_sms_endpoint)
            .field("aliyun_voice_endpoint", &self.aliyun_voice_endpoint)
            .field("history_retention_days", &self.history_retention_days)
            .field("jobs_enabled", &self.jobs_enabled)
            .field("job_state_sync", &self.job_state_sync)
            .field("job_config_check", &self.job_config_check)
            .field("job_system_rules", &self.job_system_rules)
            .field("job_history_archive", &self.job_history_archive)
            .field("job_lease_secs", &self.job_lease_secs)
            .field("job_attempts", &self.job_attempts)
            .field("job_retry_base_secs", &self.job_retry_base_secs)
            .field("job_shutdown_secs", &self.job_shutdown_secs)
            .field("job_cluster_timeout_secs", &self.job_cluster_timeout_secs)
            .finish()
    }
}

/// Hides the password in `scheme://user:password@host/db`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s + 3 => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Config {
    /// Defaults → file (when given and present) → environment.
    pub fn load(file: Option<&Path>) -> Result<Config, Box<figment::Error>> {
        Self::figment(file).extract().map_err(Box::new)
    }

    pub fn figment(file: Option<&Path>) -> Figment {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            fig = fig.merge(Toml::file_exact(path));
        }
        fig.merge(Env::prefixed("GEMSCOPE_").ignore(&["config"]))
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's Jail closures return figment::Error
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "gemscope.toml",
                "listen = \"0.0.0.0:8080\"\ndatabase_url = \"postgres://file/db\"\nlog = \"debug\"\n",
            )?;
            jail.set_env("GEMSCOPE_DATABASE_URL", "mysql://env/db");
            jail.set_env("GEMSCOPE_SESSION_TTL_HOURS", "2");
            let c = Config::load(Some(Path::new("gemscope.toml"))).map_err(|e| *e)?;
            assert_eq!(c.listen, "0.0.0.0:8080", "file beats default");
            assert_eq!(c.database_url, "mysql://env/db", "env beats file");
            assert_eq!(c.log, "debug");
            assert_eq!(c.session_ttl_hours, 2);
            assert_eq!(c.admin_username, "admin", "default kept");
            Ok(())
        });
    }

    #[test]
    fn defaults_without_file() {
        figment::Jail::expect_with(|_| {
            let c = Config::load(None).map_err(|e| *e)?;
            assert_eq!(c, Config::default());
            Ok(())
        });
    }

    #[test]
    fn missing_named_file_is_an_error() {
        figment::Jail::expect_with(|_| {
            assert!(Config::load(Some(Path::new("nope.toml"))).is_err());
            Ok(())
        });
    }

    #[test]
    fn debug_redacts_secrets() {
        let c = Config {
            admin_password: Some("hunter22".into()),
            secret_key: Some("c2VjcmV0".into()),
            database_url: "postgres://gs:pa55@db/gs".into(),
            ..Config::default()
        };
        let s = format!("{c:?}");
        assert!(
            !s.contains("hunter22") && !s.contains("c2VjcmV0") && !s.contains("pa55"),
            "{s}"
        );
        assert!(s.contains("postgres://gs:***@db/gs"));
    }

    #[test]
    fn secure_cookies_only_over_https() {
        let mut c = Config::default();
        assert!(!c.secure_cookies());
        c.public_url = Some("https://gs.example.com".into());
        assert!(c.secure_cookies());
    }
}
