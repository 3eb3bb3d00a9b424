//! A kubeconfig pasted into Gemscope is data, not a program: `exec` and `auth-provider` would run
//! commands on the Gemscope host, and file paths (`tokenFile`, `client-certificate`, …) would read
//! its files. Only inline credentials are accepted.

use kube::config::Kubeconfig;

/// The first field that is not inline data, named as in the YAML (`users[0].user.exec`).
pub fn refused_field(kc: &Kubeconfig) -> Option<String> {
    for (i, c) in kc.clusters.iter().enumerate() {
        let Some(cluster) = &c.cluster else { continue };
        if cluster.certificate_authority.is_some() {
            return Some(format!("clusters[{i}].cluster.certificate-authority"));
        }
    }
    for (i, u) in kc.auth_infos.iter().enumerate() {
        let Some(a) = &u.auth_info else { continue };
        let path = |name: &str| Some(format!("users[{i}].user.{name}"));
        if a.exec.is_some() {
            return path("exec");
        }
        if a.auth_provider.is_some() {
            return path("auth-provider");
        }
        if a.token_file.is_some() {
            return path("tokenFile");
        }
        if a.client_certificate.is_some() {
            return path("client-certificate");
        }
        if a.client_key.is_some() {
            return path("client-key");
        }
    }
    None
}

/// Why a pasted kubeconfig is not used. The text is about the kubeconfig field, without naming it.
#[derive(Debug, thiserror::Error)]
pub enum KubeconfigError {
    #[error("{0}")]
    Unreadable(#[source] kube::config::KubeconfigError),
    #[error(
        "{field} is not allowed; Gemscope runs no commands and reads no files for a cluster, so paste the credentials inline (certificate-authority-data, client-certificate-data, client-key-data, token)"
    )]
    NotInline { field: String },
}

/// Parses a kubeconfig and refuses what is not inline; the error says which field and why.
pub fn parse_inline(text: &str) -> Result<Kubeconfig, KubeconfigError> {
    let kc = Kubeconfig::from_yaml(text).map_err(KubeconfigError::Unreadable)?;
    match refused_field(&kc) {
        Some(field) => Err(KubeconfigError::NotInline { field }),
        None => Ok(kc),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kubeconfig(cluster: &str, user: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://10.0.0.1:6443\n{cluster}users:\n- name: u\n  user:\n{user}contexts:\n- name: x\n  context:\n    cluster: c\n    user: u\ncurrent-context: x\n"
        )
    }

    #[test]
    fn only_inline_credentials_are_accepted() {
        let refused = [
            (
                "",
                "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /bin/sh\n      args: [\"-c\", \"id\"]\n",
                "users[0].user.exec",
            ),
            (
                "",
                "    auth-provider:\n      name: gcp\n",
                "users[0].user.auth-provider",
            ),
            (
                "",
                "    tokenFile: /etc/shadow\n",
                "users[0].user.tokenFile",
            ),
            (
                "",
                "    client-certificate: /etc/passwd\n",
                "users[0].user.client-certificate",
            ),
            (
                "",
                "    client-key: /root/.ssh/id_rsa\n",
                "users[0].user.client-key",
            ),
            (
                "    certificate-authority: /etc/hosts\n",
                "    token: t\n",
                "clusters[0].cluster.certificate-authority",
            ),
        ];
        for (cluster, user, field) in refused {
            let e = parse_inline(&kubeconfig(cluster, user)).unwrap_err();
            assert!(
                matches!(&e, KubeconfigError::NotInline { field: f } if f == field),
                "{field}: {e}"
            );
        }
        let fine = kubeconfig(
            "    certificate-authority-data: Zm9v\n",
            "    token: abc\n    client-certificate-data: Zm9v\n    client-key-data: Zm9v\n",
        );
        assert!(parse_inline(&fine).is_ok());
    }
}
