//! Refuses cross-site mutations. Browsers send `Sec-Fetch-Site` and `Origin` on POSTs; a request
//! whose origin is not this site is refused before it reaches any handler. Scripts without those
//! headers (curl with a bearer token) pass, and session cookies are SameSite=Lax besides.

use axum::body::Body;
use axum::extract::State;
use axum::http::{Method, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::error::{ApiError, Code};

use crate::state::AppState;

pub async fn same_origin_only(
    State(state): State<AppState>,
    req: Request<Body>,
    next: Next,
) -> Response {
    if is_mutation(req.method()) {
        let headers = req.headers();
        let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        if let Err(why) = check(fetch_site, origin, host, state.config.public_url.as_deref()) {
            tracing::warn!(path = %req.uri().path(), origin = origin.unwrap_or(""), why, "cross-site request refused");
            let body = ApiError::new(StatusCode::FORBIDDEN, Code::CrossSite);
            return (StatusCode::FORBIDDEN, axum::Json(body)).into_response();
        }
    }
    next.run(req).await
}

fn is_mutation(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The decision, apart from HTTP plumbing so it can be tested on its own.
pub fn check(
    fetch_site: Option<&str>,
    origin: Option<&str>,
    host: Option<&str>,
    public_url: Option<&str>,
) -> Result<(), &'static str> {
    if fetch_site == Some("cross-site") {
        return Err("sec-fetch-site is cross-site");
    }
    let Some(origin) = origin else {
        return Ok(());
    };
    if origin == "null" {
        return Err("opaque origin");
    }
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .unwrap_or("");
    if host.is_some_and(|h| h.eq_ignore_ascii_case(origin_host)) {
        return Ok(());
    }
    if public_url.is_some_and(|p| p.trim_end_matches('/').eq_ignore_ascii_case(origin)) {
        return Ok(());
    }
    Err("origin does not match host")
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn decisions() {
        let h = Some("127.0.0.1:3000");
        type Case<'a> = (
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
            bool,
        );
        let cases: &[Case] = &[
            (None, None, h, None, true),
            (
                Some("same-origin"),
                Some("http://127.0.0.1:3000"),
                h,
                None,
                true,
            ),
            (Some("none"), None, h, None, true),
            (Some("cross-site"), None, h, None, false),
            (
                Some("cross-site"),
                Some("http://127.0.0.1:3000"),
                h,
                None,
                false,
            ),
            (None, Some("http://evil.example"), h, None, false),
            (None, Some("null"), h, None, false),
            (
                Some("same-site"),
                Some("http://other.local:3000"),
                h,
                None,
                false,
            ),
            (
                None,
                Some("https://gs.example.com"),
                Some("10.0.0.5:3000"),
                Some("https://gs.example.com/"),
                true,
            ),
            (
                None,
                Some("https://evil.example"),
                Some("10.0.0.5:3000"),
                Some("https://gs.example.com"),
                false,
            ),
        ];
        for (site, origin, host, public, ok) in cases {
            assert_eq!(
                check(*site, *origin, *host, *public).is_ok(),
                *ok,
                "{site:?} {origin:?} {host:?}"
            );
        }
    }
}
