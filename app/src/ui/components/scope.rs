//! The one scope the whole UI works in: tenant → project → environment, or (for system admins) a
//! whole cluster. It lives in the link (`?tenant=&project=&env=`, `?cluster=`, or the path of a
//! tenant's or cluster's own page), so every view can be shared and reloaded; when a link names
//! none, the scope last used by this user in this browser applies (the `gs_scope` cookie).

/// The scope named by a location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scope {
    pub tenant: Option<i64>,
    pub project: Option<i64>,
    pub environment: Option<i64>,
    pub cluster: Option<i64>,
}

/// The cookie remembering a user's last scope.
pub const SCOPE_COOKIE: &str = "gs_scope";

/// Query keys that name the scope, or an object inside the old scope (a dashboard, a rule, the
/// explorer's target, a page number): dropped when the scope changes.
const SCOPED_KEYS: &[&str] = &[
    "tenant", "project", "env", "cluster", "t", "d", "rule", "page", "q",
];

fn num(v: Option<String>) -> Option<i64> {
    v.and_then(|v| v.parse().ok()).filter(|n: &i64| *n > 0)
}

fn path_id(path: &str, prefix: &str) -> Option<i64> {
    path.strip_prefix(prefix)
        .and_then(|rest| rest.split('/').next())
        .and_then(|id| id.parse().ok())
}

impl Scope {
    /// Reads a location: its path and a getter for its query.
    pub fn parse(path: &str, get: impl Fn(&str) -> Option<String>) -> Self {
        let target = get("t");
        let from_target = |prefix: &str| {
            target
                .as_deref()
                .and_then(|t| t.strip_prefix(prefix))
                .and_then(|id| id.parse().ok())
        };
        let environment = num(get("env")).or_else(|| from_target("env-"));
        let cluster = path_id(path, "/clusters/")
            .or_else(|| num(get("cluster")))
            .or_else(|| from_target("cluster-"));
        let tenant = path_id(path, "/tenants/").or_else(|| num(get("tenant")));
        if cluster.is_some() && environment.is_none() && tenant.is_none() {
            return Scope {
                cluster,
                ..Default::default()
            };
        }
        Scope {
            tenant,
            project: num(get("project")),
            environment,
            cluster: None,
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Scope::default()
    }

    /// Fills in the tenant and project of an environment named alone (older links, the pickers
    /// of per-environment pages), from `(environment, tenant, project)` rows the caller may read.
    pub fn filled(self, envs: &[(i64, i64, i64)]) -> Self {
        match self.environment {
            Some(e) if self.tenant.is_none() || self.project.is_none() => {
                match envs.iter().find(|(id, ..)| *id == e) {
                    Some(&(_, t, p)) => Scope {
                        tenant: Some(t),
                        project: Some(p),
                        ..self
                    },
                    None => self,
                }
            }
            _ => self,
        }
    }

    /// Where switching to `self` leads from `path`: the same kind of page, in the new scope. A
    /// tenant's or cluster's own page follows the switch; other pages keep their path and their
    /// own query (a time range, a filter) but drop what belonged to the old scope.
    pub fn href_on(self, path: &str, query: &[(String, String)]) -> String {
        if path.starts_with("/tenants/") || (path == "/tenants" && self.tenant.is_some()) {
            return match self.tenant {
                Some(t) => format!("/tenants/{t}{}", self.query(&[])),
                None => "/tenants".to_string(),
            };
        }
        if let (true, Some(c)) = (path.starts_with("/clusters/"), self.cluster) {
            return format!("/clusters/{c}");
        }
        let kept: Vec<(String, String)> = query
            .iter()
            .filter(|(k, _)| !SCOPED_KEYS.contains(&k.as_str()))
            .cloned()
            .collect();
        let pairs = self
            .tenant
            .map(|t| vec![("tenant".to_string(), t.to_string())])
            .unwrap_or_default();
        format!("{path}{}", self.query_with(pairs, &kept))
    }

    fn query(&self, kept: &[(String, String)]) -> String {
        self.query_with(Vec::new(), kept)
    }

    fn query_with(&self, mut pairs: Vec<(String, String)>, kept: &[(String, String)]) -> String {
        if let Some(p) = self.project {
            pairs.push(("project".into(), p.to_string()));
        }
        if let Some(e) = self.environment {
            pairs.push(("env".into(), e.to_string()));
        }
        if let Some(c) = self.cluster {
            pairs.push(("cluster".into(), c.to_string()));
        }
        pairs.extend(kept.iter().cloned());
        if pairs.is_empty() {
            return String::new();
        }
        let parts: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", crate::domain::explore::encode(v)))
            .collect();
        format!("?{}", parts.join("&"))
    }

    /// A tenant's own page at this scope, for links in its tables.
    pub fn href(tenant: i64, project: Option<i64>, environment: Option<i64>) -> String {
        Scope {
            tenant: Some(tenant),
            project,
            environment,
            cluster: None,
        }
        .href_on("/tenants/0", &[])
    }

    /// The cookie's value: the user it belongs to, then the scope (0 for none).
    pub fn cookie_value(&self, user: i64) -> String {
        let n = |v: Option<i64>| v.unwrap_or(0).to_string();
        [
            user.to_string(),
            n(self.tenant),
            n(self.project),
            n(self.environment),
            n(self.cluster),
        ]
        .join(".")
    }

    /// The scope a cookie remembers for `user`; another user's (a shared browser) is ignored.
    pub fn from_cookie(value: &str, user: i64) -> Option<Scope> {
        let parts: Vec<i64> = value
            .split('.')
            .map(|p| p.parse().ok())
            .collect::<Option<_>>()?;
        let [owner, t, p, e, c] = parts.as_slice() else {
            return None;
        };
        let some = |v: i64| (v > 0).then_some(v);
        (*owner == user).then(|| Scope {
            tenant: some(*t),
            project: some(*p),
            environment: some(*e),
            cluster: some(*c),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Scope;

    fn scope(t: Option<i64>, p: Option<i64>, e: Option<i64>, c: Option<i64>) -> Scope {
        Scope {
            tenant: t,
            project: p,
            environment: e,
            cluster: c,
        }
    }

    fn parse(url: &str) -> Scope {
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        let pairs: Vec<(String, String)> = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Scope::parse(path, |k| {
            pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn scope_from_location() {
        let cases = [
            ("/", Scope::default()),
            ("/tenants", Scope::default()),
            ("/tenants/3", scope(Some(3), None, None, None)),
            (
                "/tenants/3?project=7&env=9",
                scope(Some(3), Some(7), Some(9), None),
            ),
            ("/tenants/x?project=7", scope(None, Some(7), None, None)),
            (
                "/dashboards?tenant=3&project=7&env=9&d=2",
                scope(Some(3), Some(7), Some(9), None),
            ),
            ("/dashboards?env=9", scope(None, None, Some(9), None)),
            ("/explore?t=env-9", scope(None, None, Some(9), None)),
            ("/explore?t=cluster-2", scope(None, None, None, Some(2))),
            ("/alert-rules?cluster=2", scope(None, None, None, Some(2))),
            ("/clusters/4", scope(None, None, None, Some(4))),
            ("/clusters", Scope::default()),
            ("/channels?env=-1&tenant=abc", Scope::default()),
        ];
        for (url, want) in cases {
            assert_eq!(parse(url), want, "{url}");
        }
    }

    #[test]
    fn switching_keeps_the_kind_of_page() {
        let to = scope(Some(3), Some(7), Some(9), None);
        let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let cases = [
            (
                "/tenants/1",
                q(&[("project", "2")]),
                to,
                "/tenants/3?project=7&env=9",
            ),
            ("/tenants", q(&[]), to, "/tenants/3?project=7&env=9"),
            (
                "/dashboards",
                q(&[("env", "1"), ("d", "5"), ("range", "1h")]),
                to,
                "/dashboards?tenant=3&project=7&env=9&range=1h",
            ),
            (
                "/explore",
                q(&[("t", "env-1"), ("expr", "up")]),
                to,
                "/explore?tenant=3&project=7&env=9&expr=up",
            ),
            (
                "/channels",
                q(&[]),
                scope(Some(3), None, None, None),
                "/channels?tenant=3",
            ),
            (
                "/clusters/1",
                q(&[]),
                scope(None, None, None, Some(2)),
                "/clusters/2",
            ),
            (
                "/alert-rules",
                q(&[("env", "1")]),
                scope(None, None, None, Some(2)),
                "/alert-rules?cluster=2",
            ),
        ];
        for (path, query, to, want) in cases {
            assert_eq!(to.href_on(path, &query), want, "{path}");
        }
        assert_eq!(Scope::href(3, Some(7), None), "/tenants/3?project=7");
    }

    #[test]
    fn a_link_round_trips() {
        for s in [
            scope(Some(3), Some(7), Some(9), None),
            scope(Some(3), None, None, None),
            scope(None, None, None, Some(2)),
        ] {
            assert_eq!(parse(&s.href_on("/dashboards", &[])), s);
        }
    }

    #[test]
    fn an_environment_alone_gets_its_tenant_and_project() {
        let rows = [(9, 3, 7), (10, 4, 8)];
        assert_eq!(
            scope(None, None, Some(9), None).filled(&rows),
            scope(Some(3), Some(7), Some(9), None)
        );
        // Unknown (or not readable): left as named, the page reports it.
        assert_eq!(
            scope(None, None, Some(11), None).filled(&rows),
            scope(None, None, Some(11), None)
        );
        let full = scope(Some(1), Some(2), Some(9), None);
        assert_eq!(full.filled(&rows), full);
    }

    #[test]
    fn the_cookie_belongs_to_one_user() {
        let s = scope(Some(3), Some(7), Some(9), None);
        let v = s.cookie_value(42);
        assert_eq!(v, "42.3.7.9.0");
        assert_eq!(Scope::from_cookie(&v, 42), Some(s));
        assert_eq!(Scope::from_cookie(&v, 43), None);
        for bad in ["", "42", "42.a.1.1.1", "42.1.1.1.1.1"] {
            assert_eq!(Scope::from_cookie(bad, 42), None, "{bad}");
        }
    }
}
