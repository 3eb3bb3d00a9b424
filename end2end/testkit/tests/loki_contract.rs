//! Replays the exchanges recorded against a real Grafana Loki 3.4.6 (`fixtures/loki/`) against the
//! stand-in, in the recorded order, and requires the same status, content type and body, up to
//! what differs between runs (query statistics, evaluation timestamps, stream order).
//!
//! Loki ran twice: 01–32 with the `local` rule store (rules read from `rules/fake/demo.yaml`),
//! 33–44 with a writable object-store backend. The stand-in is set up the same way for each.

use axum::body::Body;
use http::Request;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use testkit::fixtures::Exchange;
use testkit::loki::{Loki, Options, router};

const NS: i128 = 1_000_000_000;
/// When the recordings were made: the pushes at 13:01:55, rule evaluations 13:01:55.689 (the
/// alerts' `activeAt`) and 13:02:25.690 (their last evaluation, after the 20 s `for`).
const PUSHED_AT: i128 = 1_795_611_715 * NS;
const FIRST_EVALUATION: i128 = 1_795_611_715_689_254_562;
const LAST_EVALUATION: i128 = 1_795_611_745_690_430_690;

/// The recorded plain-text errors that come from Go libraries (JSON decoding, regexp) whose
/// wording the stand-in does not copy: only the part before the library's own text must match.
const PREFIX_ONLY: &[(&str, &str)] = &[
    (
        "03-push-invalid-timestamp",
        "loghttp.PushRequest.Streams: []loghttp.LogProtoStream: unmarshalerDecoder: ",
    ),
    (
        "17-query-bad-regex",
        "parse error : stage '|~ \"(unclosed\"' : error parsing regexp: ",
    ),
];

fn masked(key: &str) -> bool {
    matches!(
        key,
        "activeAt" | "lastEvaluation" | "evaluationTime" | "stats"
    )
}

/// Masks run-dependent values and puts unordered lists (streams, series, alerts) in one order.
fn normalize(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !masked(k))
                .map(|(k, v)| (k.clone(), normalize(v)))
                .collect(),
        ),
        Value::Array(a) => {
            let mut items: Vec<Value> = a.iter().map(normalize).collect();
            let unordered = items.iter().all(|i| {
                i.get("stream").is_some()
                    || i.get("metric").is_some()
                    || i.get("activeAt").is_some()
            }) || items.iter().all(Value::is_object)
                && items.iter().all(|i| {
                    i.as_object()
                        .is_some_and(|o| o.values().all(Value::is_string))
                });
            if unordered {
                items.sort_by_key(|i| i.to_string());
            }
            // Alerts are keyed by their labels once masked.
            if a.iter().all(|i| i.get("activeAt").is_some()) {
                items.sort_by_key(|i| i["labels"].to_string());
            }
            Value::Array(items)
        }
        other => other.clone(),
    }
}

/// The rules YAML the recorded Loki read from `rules/fake/demo.yaml`, rebuilt from its answer.
fn recorded_rules_file(exchanges: &[Exchange]) -> String {
    let all = exchanges
        .iter()
        .find(|e| e.name.starts_with("24-"))
        .expect("24-ruler-rules-all");
    let by_namespace: serde_norway::Value =
        serde_norway::from_str(all.response["body_text"].as_str().expect("yaml")).expect("yaml");
    let groups = by_namespace.get("demo.yaml").expect("demo.yaml").clone();
    let mut file = serde_norway::Mapping::new();
    file.insert("groups".into(), groups);
    serde_norway::to_string(&file).expect("yaml")
}

async fn replay(app: &axum::Router, ex: &Exchange) -> (u16, String, String) {
    let mut req = Request::builder()
        .method(ex.method.as_str())
        .uri(&ex.target);
    for (k, v) in &ex.headers {
        if k != "Host" {
            req = req.header(k, v);
        }
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::from(ex.body.clone())).expect("request"))
        .await
        .expect("response");
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        content_type,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

fn compare(
    ex: &Exchange,
    status: u16,
    content_type: &str,
    body: &str,
    rules_dir: &str,
) -> Option<String> {
    if status != ex.status() {
        return Some(format!(
            "{}: status {status}, recorded {}\n  got {body}",
            ex.name,
            ex.status()
        ));
    }
    let want_type = ex.content_type().unwrap_or_default();
    let family = |t: &str| {
        t.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    };
    if status != 204 && family(content_type) != family(&want_type) {
        return Some(format!(
            "{}: content type {content_type:?}, recorded {want_type:?}",
            ex.name
        ));
    }
    if let Some(text) = ex.response["body_text"].as_str() {
        let body = body.replace(rules_dir, "loki/rules");
        let same = if family(&want_type) == "application/yaml" {
            serde_norway::from_str::<serde_norway::Value>(&body).ok()
                == serde_norway::from_str::<serde_norway::Value>(text).ok()
        } else if let Some((_, prefix)) = PREFIX_ONLY.iter().find(|(n, _)| *n == ex.name) {
            body.starts_with(prefix) && text.starts_with(prefix)
        } else {
            body == text
        };
        return (!same).then(|| {
            format!(
                "{}: body differs\n  got      {body:?}\n  recorded {text:?}",
                ex.name
            )
        });
    }
    let want = ex.response.get("body").cloned().unwrap_or(Value::Null);
    let got: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    (normalize(&got) != normalize(&want)).then(|| {
        format!(
            "{}: body differs\n  got      {}\n  recorded {}",
            ex.name,
            normalize(&got),
            normalize(&want)
        )
    })
}

#[tokio::test]
async fn stand_in_answers_like_the_recorded_loki() {
    let exchanges = testkit::fixtures::load("loki").expect("fixtures/loki");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("fake")).expect("mkdir");
    std::fs::write(
        dir.path().join("fake/demo.yaml"),
        recorded_rules_file(&exchanges),
    )
    .expect("rules");
    let rules_dir = dir.path().to_string_lossy().to_string();

    let local = Loki::new(Options {
        rules_dir: Some(dir.path().to_path_buf()),
        now: Some(PUSHED_AT),
    });
    let writable = Loki::new(Options {
        rules_dir: None,
        now: Some(PUSHED_AT),
    });
    let mut failures = Vec::new();
    let mut replayed = 0;
    for ex in &exchanges {
        let second_config = ex
            .comments
            .iter()
            .any(|c| c.starts_with("second server config"));
        let loki = if second_config { &writable } else { &local };
        if ex.name.starts_with("30-") {
            // The recorded ruler had evaluated err-log when it went pending and 30 s later.
            local.set_now(Some(FIRST_EVALUATION));
            local.evaluate_rules(true);
            local.set_now(Some(LAST_EVALUATION));
            local.evaluate_rules(true);
        }
        let (status, content_type, body) = replay(&router(loki.clone()), ex).await;
        replayed += 1;
        if let Some(f) = compare(ex, status, &content_type, &body, &rules_dir) {
            failures.push(f);
        }
    }
    assert_eq!(replayed, exchanges.len());
    assert!(replayed >= 44, "only {replayed} exchanges");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Queries the recordings do not cover but Gemscope relies on; each must either answer or say
/// why with a 400, never return nothing silently.
#[tokio::test]
async fn unsupported_logql_is_a_400_not_an_empty_answer() {
    let loki = Loki::new(Options {
        rules_dir: None,
        now: Some(PUSHED_AT),
    });
    let app = router(loki);
    for (query, status, needle) in [
        (
            r#"{a="b"} |> "<_> x""#,
            400,
            "pattern line filter is not supported",
        ),
        (
            r#"{a="b"} | pattern "<x>""#,
            400,
            "pattern parser is not supported",
        ),
        (
            r#"{a="b"} | line_format "{{ .a | ToUpper }}""#,
            400,
            "template action",
        ),
        (
            r#"{a="b"} | unknown"#,
            400,
            "syntax error: unexpected IDENTIFIER",
        ),
    ] {
        let req = Request::builder()
            .uri(format!(
                "/loki/api/v1/query_range?{}&start=1795611475220242510&end=1795611732338583744",
                serde_urlencoded::to_string([("query", query)]).expect("encode")
            ))
            .body(Body::empty())
            .expect("request");
        let res = app.clone().oneshot(req).await.expect("response");
        let code = res.status().as_u16();
        let body =
            String::from_utf8_lossy(&res.into_body().collect().await.expect("body").to_bytes())
                .into_owned();
        // Nothing matches {a="b"}: a silent stand-in would answer 200 with no streams.
        assert_eq!(code, status, "{query}: {body}");
        assert!(body.contains(needle), "{query}: {body}");
    }
}
