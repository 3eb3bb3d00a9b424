//! The standalone backend: Prometheus, Alertmanager and Loki without Kubernetes. Rule groups are
//! files in the directories the servers load; a write is atomic (temp file + rename), then the
//! server is asked to reload, and a refused reload puts the previous file back.

use std::io::Write;
use std::path::{Path, PathBuf};

use app::domain::rule_file;
use app::model::RuleFile;

use crate::clusters::error::{BackendError, BackendResult};
use crate::observe::join;

mod backend;
pub use backend::FileBackend;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileWrite {
    Unchanged,
    Written,
}

/// Where a rule file lives and which server reloads it.
pub struct RuleTarget<'a> {
    pub dir: &'a str,
    pub name: &'a str,
    /// Base URL of the server to reload with `POST /-/reload`; `None` when it re-reads on its own
    /// (the Loki ruler polls its directory).
    pub reload: Option<&'a str>,
}

impl RuleTarget<'_> {
    pub fn path(&self) -> BackendResult<PathBuf> {
        if self.dir.is_empty() {
            return Err(BackendError::Settings(
                "no rules directory is configured".into(),
            ));
        }
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(BackendError::Settings(format!(
                "invalid rule file name {:?}",
                self.name
            )));
        }
        Ok(Path::new(self.dir).join(format!("{}.yml", self.name)))
    }
}

pub(crate) fn read_optional(path: &Path) -> BackendResult<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(BackendError::file("reading", path, e)),
    }
}

/// Replaces `path` in one step: readers see the old file or the new one, never half of one.
fn write_atomic(path: &Path, content: &str) -> BackendResult<()> {
    let dir = path
        .parent()
        .ok_or_else(|| BackendError::Settings(format!("{} has no directory", path.display())))?;
    std::fs::create_dir_all(dir).map_err(|e| BackendError::file("creating", dir, e))?;
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("rules");
    // A leading dot keeps the temp file out of `*.yml` globs.
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(content.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        BackendError::file("writing", path, e)
    })
}

fn restore(path: &Path, previous: Option<&str>) -> BackendResult<()> {
    match previous {
        Some(old) => write_atomic(path, old),
        None => match std::fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(BackendError::file("removing", path, e)),
        },
    }
}

async fn reload(http: &reqwest::Client, base: &str) -> BackendResult<()> {
    let url = join(base, "/-/reload");
    let res = match http.post(&url).send().await {
        Ok(res) => res,
        Err(source) => return Err(BackendError::ReloadUnreachable { url, source }),
    };
    if res.status().is_success() {
        return Ok(());
    }
    let status = res.status();
    let body = res.text().await.unwrap_or_default();
    Err(BackendError::ReloadRefused {
        status,
        body: body.trim().to_string(),
    })
}

/// Writes a rendered rule file when it differs from what is there, then reloads; on a refused
/// reload the previous content is restored (and reloaded) and the server's reason is returned.
pub async fn apply_rules(
    http: &reqwest::Client,
    target: &RuleTarget<'_>,
    rules: &RuleFile,
) -> BackendResult<FileWrite> {
    apply_file(
        http,
        &target.path()?,
        &rule_file::render(rules).map_err(BackendError::Render)?,
        target.reload,
    )
    .await
}

/// The same for any file a server loads: skip when identical, write atomically, reload, roll back.
pub async fn apply_file(
    http: &reqwest::Client,
    path: &Path,
    content: &str,
    reload_base: Option<&str>,
) -> BackendResult<FileWrite> {
    let previous = read_optional(path)?;
    if previous.as_deref() == Some(content) {
        return Ok(FileWrite::Unchanged);
    }
    write_atomic(path, content)?;
    if let Some(base) = reload_base
        && let Err(why) = reload(http, base).await
    {
        restore(path, previous.as_deref())?;
        if let Err(again) = reload(http, base).await {
            tracing::error!(path = %path.display(), error = %again, "reload after rollback failed too");
        }
        return Err(why);
    }
    Ok(FileWrite::Written)
}

/// Removes a rule file (absent is fine) and reloads.
pub async fn remove_rules(
    http: &reqwest::Client,
    target: &RuleTarget<'_>,
) -> BackendResult<FileWrite> {
    let path = target.path()?;
    if read_optional(&path)?.is_none() {
        return Ok(FileWrite::Unchanged);
    }
    restore(&path, None)?;
    if let Some(base) = target.reload {
        reload(http, base).await?;
    }
    Ok(FileWrite::Written)
}

/// (present, current): is the file there, and is it exactly what Gemscope would write now.
pub fn file_state(path: &Path, content: &str) -> BackendResult<(bool, bool)> {
    Ok(match read_optional(path)? {
        None => (false, false),
        Some(existing) => (true, existing == content),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::presets;

    fn client() -> reqwest::Client {
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::new()
    }

    #[tokio::test]
    async fn writes_once_then_unchanged_without_a_reload_target() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_string_lossy().to_string();
        let target = RuleTarget {
            dir: &d,
            name: "gemscope-loki",
            reload: None,
        };
        let rules = presets::loki_recording_rules();
        let rules_state = |t: &RuleTarget<'_>, r: &RuleFile| {
            file_state(&t.path()?, &rule_file::render(r).unwrap())
        };
        assert_eq!(rules_state(&target, &rules).unwrap(), (false, false));
        assert_eq!(
            apply_rules(&client(), &target, &rules).await.unwrap(),
            FileWrite::Written
        );
        assert_eq!(
            apply_rules(&client(), &target, &rules).await.unwrap(),
            FileWrite::Unchanged
        );
        assert_eq!(rules_state(&target, &rules).unwrap(), (true, true));
        std::fs::write(target.path().unwrap(), "groups: []\n").unwrap();
        assert_eq!(rules_state(&target, &rules).unwrap(), (true, false));
        assert_eq!(
            remove_rules(&client(), &target).await.unwrap(),
            FileWrite::Written
        );
        assert_eq!(
            remove_rules(&client(), &target).await.unwrap(),
            FileWrite::Unchanged
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(leftovers.is_empty(), "no temp files left: {leftovers:?}");
    }

    #[tokio::test]
    async fn an_unreachable_server_rolls_the_file_back() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_string_lossy().to_string();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let target = RuleTarget {
            dir: &d,
            name: "r",
            reload: Some(&base),
        };
        std::fs::write(target.path().unwrap(), "groups: []\n").unwrap();
        let err = apply_rules(&client(), &target, &presets::recording_rules())
            .await
            .unwrap_err();
        assert!(
            matches!(err, BackendError::ReloadUnreachable { .. }),
            "{err}"
        );
        assert!(err.to_string().starts_with("reload http://"), "{err}");
        assert_eq!(
            std::fs::read_to_string(target.path().unwrap()).unwrap(),
            "groups: []\n"
        );
    }

    #[test]
    fn names_and_dirs_are_checked() {
        assert!(
            RuleTarget {
                dir: "",
                name: "a",
                reload: None
            }
            .path()
            .is_err()
        );
        assert!(
            RuleTarget {
                dir: "/tmp",
                name: "../etc/passwd",
                reload: None
            }
            .path()
            .is_err()
        );
        assert!(
            RuleTarget {
                dir: "/tmp",
                name: "gemscope-recording-rules",
                reload: None
            }
            .path()
            .is_ok()
        );
    }
}
