//! What can go wrong when Gemscope reads or writes what a cluster stores, through either backend.
//!
//! The `Display` text is what the user sees (behind "cluster NAME: "): the API server's own words,
//! the file and what was done to it, the server that refused a reload. The `source` chain (TLS,
//! I/O, HTTP causes) goes to the log where the error is reported.

use std::path::{Path, PathBuf};

use thiserror::Error;

#[derive(Debug, Error)]
pub enum BackendError {
    /// The Kubernetes API server refused or could not be reached.
    #[error("{}", super::kube::describe(.0))]
    Kube(#[from] kube::Error),
    /// A file of a standalone cluster could not be read, written or removed.
    #[error("{action} {}: {source}", path.display())]
    File {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Prometheus, Alertmanager or Loki could not be asked to reload.
    #[error("reload {url}: {}", crate::observe::error_chain(source))]
    ReloadUnreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The server read the new file and refused it; its reason is the body.
    #[error("reload refused ({status}): {body}")]
    ReloadRefused {
        status: reqwest::StatusCode,
        body: String,
    },
    /// The cluster's settings do not allow the operation (a missing directory or path, a
    /// kubeconfig that cannot be used).
    #[error("{0}")]
    Settings(String),
    /// What Gemscope would write could not be rendered (a rule file, a merged configuration).
    #[error("{0}")]
    Render(String),
    /// Something the cluster holds (a rule file, a ConfigMap key) does not parse.
    #[error("{0}")]
    Unreadable(String),
    /// What Gemscope would write is over a size the cluster accepts; nothing was written.
    #[error("{0}")]
    TooLarge(String),
    /// A write went through but the object still is not what was written.
    #[error("{kind} {namespace}/{name} still differs from what Gemscope wrote after replacing it")]
    StillDiffers {
        kind: String,
        namespace: String,
        name: String,
    },
}

impl BackendError {
    pub(crate) fn file(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        Self::File {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    /// The text for the log: the message and every cause below it.
    pub fn chain(&self) -> String {
        crate::observe::error_chain(self)
    }
}

pub type BackendResult<T> = Result<T, BackendError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_read_what_went_wrong_and_the_log_gets_the_causes() {
        let status = kube::core::Status::failure("admission webhook denied the request", "Invalid")
            .with_code(422);
        let io = || std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied");
        let cases: Vec<(BackendError, &str)> = vec![
            (
                BackendError::Kube(kube::Error::Api(status.boxed())),
                "HTTP 422 (Invalid): admission webhook denied the request",
            ),
            (
                BackendError::file("writing", Path::new("/etc/prometheus/rules/a.yml"), io()),
                "writing /etc/prometheus/rules/a.yml: permission denied",
            ),
            (
                BackendError::ReloadRefused {
                    status: reqwest::StatusCode::INTERNAL_SERVER_ERROR,
                    body: "bad rule".into(),
                },
                "reload refused (500 Internal Server Error): bad rule",
            ),
            (
                BackendError::StillDiffers {
                    kind: "PrometheusRule".into(),
                    namespace: "shop".into(),
                    name: "cpu".into(),
                },
                "PrometheusRule shop/cpu still differs from what Gemscope wrote after replacing it",
            ),
        ];
        for (e, want) in cases {
            assert_eq!(e.to_string(), want);
            assert!(e.chain().starts_with(want), "{}", e.chain());
        }
    }
}
