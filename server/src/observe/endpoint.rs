//! Where a cluster's Prometheus, Alertmanager, Loki or Jaeger answers: a direct URL, or an
//! in-cluster Service reached through the Kubernetes API server's service proxy. Every feature
//! calls the components through this, so both ways behave the same.

use app::model::{ClusterSettings, Component, ServiceRef};

use std::time::Duration;

use thiserror::Error;

use super::join;

/// Why a component gave no usable answer. The text never holds the URL's credentials: reqwest
/// errors are stripped of their URL before they are kept.
#[derive(Debug, Error)]
pub enum EndpointError {
    /// Nothing answered directly (refused, DNS, TLS, a timeout of the client).
    #[error("{}", super::error_chain(.0))]
    Unreachable(#[source] reqwest::Error),
    /// The API server's service proxy could not be used.
    #[error("{}", crate::clusters::kube::describe(.0))]
    Proxy(#[source] kube::Error),
    /// No answer within the time the caller allowed.
    #[error("no answer within {0}s")]
    Timeout(u64),
    /// It answered, but not with success.
    #[error("{}", http_error(*.status, .body))]
    Status { status: u16, body: String },
    /// The request could not be built.
    #[error("building the request: {0}")]
    Request(String),
}

impl EndpointError {
    /// Whether the time ran out (ours or the HTTP client's).
    pub fn is_timeout(&self) -> bool {
        match self {
            EndpointError::Timeout(_) => true,
            EndpointError::Unreachable(e) => e.is_timeout(),
            _ => false,
        }
    }
}

#[derive(Clone)]
pub enum Endpoint {
    Direct(String),
    Proxy {
        client: kube::Client,
        service: ServiceRef,
    },
}

/// A component URL as people see it: without `user:password@` and without a query (either may
/// hold credentials), so errors shown to tenants give nothing away.
pub fn shown_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string().trim_end_matches('/').to_string()
        }
        Err(_) => "the configured URL".to_string(),
    }
}

impl Endpoint {
    /// For people: the URL, or the service and how it is reached.
    pub fn describe(&self) -> String {
        match self {
            Endpoint::Direct(url) => shown_url(url),
            Endpoint::Proxy { service, .. } => {
                format!("{}/{}:{}", service.namespace, service.name, service.port)
            }
        }
    }

    pub fn via(&self) -> &'static str {
        match self {
            Endpoint::Direct(_) => "direct",
            Endpoint::Proxy { .. } => "service proxy",
        }
    }

    /// GETs `path` (with its query) and returns the body of a 2xx answer; anything else is an
    /// error that says what came back.
    pub async fn get(&self, http: &reqwest::Client, path: &str) -> Result<String, EndpointError> {
        let (status, body) = self.fetch(http, path, None).await?;
        if !(200..300).contains(&status) {
            return Err(EndpointError::Status { status, body });
        }
        Ok(body)
    }

    /// GETs `path` and returns the status and body of whatever answered, so callers can read an
    /// API's own error document. `Err` means nothing answered (or not within `timeout`).
    pub async fn fetch(
        &self,
        http: &reqwest::Client,
        path: &str,
        timeout: Option<Duration>,
    ) -> Result<(u16, String), EndpointError> {
        self.send(http, http::Method::GET, path, None, timeout)
            .await
    }

    /// Any method, with an optional JSON body; the same answer as `fetch`.
    pub async fn send(
        &self,
        http: &reqwest::Client,
        method: http::Method,
        path: &str,
        json: Option<String>,
        timeout: Option<Duration>,
    ) -> Result<(u16, String), EndpointError> {
        match self {
            Endpoint::Direct(base) => {
                let mut req = http.request(method, join(base, path));
                if let Some(body) = json {
                    req = req
                        .header(http::header::CONTENT_TYPE, "application/json")
                        .body(body);
                }
                if let Some(t) = timeout {
                    req = req.timeout(t);
                }
                // reqwest's errors name the URL, which may carry `user:password@`.
                let res = req
                    .send()
                    .await
                    .map_err(|e| EndpointError::Unreachable(e.without_url()))?;
                let status = res.status().as_u16();
                let body = res
                    .text()
                    .await
                    .map_err(|e| EndpointError::Unreachable(e.without_url()))?;
                Ok((status, body))
            }
            Endpoint::Proxy { client, service } => {
                let uri = format!("{}/{}", service.proxy_path(), path.trim_start_matches('/'));
                let mut builder = http::Request::builder().method(method).uri(uri);
                let body = match json {
                    Some(b) => {
                        builder = builder.header(http::header::CONTENT_TYPE, "application/json");
                        kube::client::Body::from(b.into_bytes())
                    }
                    None => kube::client::Body::empty(),
                };
                let req = builder
                    .body(body)
                    .map_err(|e| EndpointError::Request(e.to_string()))?;
                let call = async {
                    let res = client.send(req).await.map_err(EndpointError::Proxy)?;
                    let status = res.status().as_u16();
                    let bytes = res
                        .into_body()
                        .collect_bytes()
                        .await
                        .map_err(EndpointError::Proxy)?;
                    Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
                };
                match timeout {
                    Some(t) => tokio::time::timeout(t, call)
                        .await
                        .map_err(|_| EndpointError::Timeout(t.as_secs()))?,
                    None => call.await,
                }
            }
        }
    }
}

/// A failed answer for people: the API server's own words when it answered a Kubernetes
/// `Status` (a missing service through the proxy), else the start of the body.
pub fn http_error(status: u16, body: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    if let Some(v) = parsed.filter(|v| v["kind"] == "Status")
        && let Some(message) = v["message"].as_str()
    {
        let reason = v["reason"].as_str().unwrap_or_default();
        let reason = if reason.is_empty() {
            String::new()
        } else {
            format!(" ({reason})")
        };
        return format!("HTTP {status}{reason}: {message}");
    }
    let snippet: String = body.chars().take(200).collect();
    format!("HTTP {status}: {snippet}")
}

/// The components of a cluster and how to reach each: a direct URL when one is set, else (given
/// a Kubernetes API to proxy through) the component's service through the API server. Unset
/// standalone components and services turned off are left out.
pub fn endpoints(
    settings: &ClusterSettings,
    proxy: Option<&kube::Client>,
) -> Vec<(Component, Endpoint, bool)> {
    Component::ALL
        .into_iter()
        .filter_map(|component| {
            let optional = component.is_optional();
            let url = settings.url_of(component);
            if !url.is_empty() {
                return Some((component, Endpoint::Direct(url.to_string()), optional));
            }
            let client = proxy?;
            let service = settings.service_of(component)?;
            let service = ServiceRef::parse(&service)?;
            Some((
                component,
                Endpoint::Proxy {
                    client: client.clone(),
                    service,
                },
                optional,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_with_credentials_are_shown_without_them() {
        let cases = [
            (
                "http://admin:s3cret@prom.internal:9090",
                "http://prom.internal:9090",
            ),
            (
                "https://u:p@am.example/base/?token=x",
                "https://am.example/base",
            ),
            ("http://prom:9090", "http://prom:9090"),
            ("not a url", "the configured URL"),
        ];
        for (input, want) in cases {
            assert_eq!(shown_url(input), want, "{input}");
        }
        let e = Endpoint::Direct("http://admin:s3cret@127.0.0.1:9".into());
        assert!(!e.describe().contains("s3cret"));
    }

    #[tokio::test]
    async fn a_failed_request_does_not_name_the_credentials() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let e = Endpoint::Direct("http://admin:s3cret@127.0.0.1:9".into());
        let err = e.get(&http, "/api/v1/query?query=up").await.unwrap_err();
        assert!(matches!(err, EndpointError::Unreachable(_)), "{err}");
        let chain = crate::observe::error_chain(&err);
        assert!(
            !chain.contains("s3cret") && !chain.contains("admin"),
            "{chain}"
        );
    }

    #[test]
    fn service_refs() {
        let cases = [
            (
                "kubegems-monitoring/prometheus:9090",
                Ok("/api/v1/namespaces/kubegems-monitoring/services/prometheus:9090/proxy"),
            ),
            (
                "observability/jaeger-query:http-query",
                Ok("/api/v1/namespaces/observability/services/jaeger-query:http-query/proxy"),
            ),
            ("prometheus:9090", Err(())),
            ("ns/prometheus", Err(())),
            ("NS/prometheus:9090", Err(())),
            ("ns/prom/x:9090", Err(())),
        ];
        for (input, want) in cases {
            let got = ServiceRef::parse(input).map(|s| s.proxy_path()).ok_or(());
            assert_eq!(got, want.map(str::to_string), "{input}");
        }
    }

    #[test]
    fn kubernetes_status_answers_keep_their_message() {
        let status = r#"{"kind":"Status","code":404,"reason":"NotFound","message":"services \"loki-gateway\" not found"}"#;
        assert_eq!(
            http_error(404, status),
            r#"HTTP 404 (NotFound): services "loki-gateway" not found"#
        );
        assert_eq!(http_error(500, "boom"), "HTTP 500: boom");
    }

    #[test]
    fn standalone_uses_only_urls() {
        let s = ClusterSettings {
            prometheus_url: "http://127.0.0.1:9090".into(),
            ..Default::default()
        };
        let e = endpoints(&s, None);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].0, Component::Prometheus);
        assert_eq!(e[0].1.describe(), "http://127.0.0.1:9090");
    }
}
