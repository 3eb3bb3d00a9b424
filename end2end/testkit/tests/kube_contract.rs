//! Replays the exchanges recorded against a real kube-apiserver 1.36 (`fixtures/kube/`) against
//! the fake, in the recorded order, and requires the same status and the same body, up to what
//! differs between any two runs (uids, timestamps, resourceVersion numbers, allocated IPs).

use axum::body::Body;
use http::Request;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use testkit::kube::{Fake, Options, router};

/// Exchanges the fake does not replay here, and why.
const NOT_REPLAYED: &[(&str, &str)] = &[
    (
        "20-watch-prometheusrules",
        "held open while 21-23 ran; framing and events are checked by `watch_streams_events_in_own_chunks`",
    ),
    (
        "56-list-prometheusrules-as-table",
        "server-side Table output is for kubectl; Gemscope and kube-rs never ask for it",
    ),
];

/// Masks what differs between any two runs of a real server.
fn normalize(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| k.as_str() != "storageVersionHash")
                .map(|(k, v)| {
                    let masked = matches!(
                        k.as_str(),
                        "uid"
                            | "creationTimestamp"
                            | "resourceVersion"
                            | "time"
                            | "deletionTimestamp"
                            | "clusterIP"
                            | "clusterIPs"
                    ) || (k == "continue"
                        && v.as_str().is_some_and(|c| !c.is_empty()));
                    let v = if masked {
                        Value::String("<varies>".into())
                    } else {
                        normalize(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(normalize).collect()),
        Value::String(s) if s.starts_with("too old resource version") => {
            Value::String("too old resource version: <n> (<n>)".into())
        }
        other => other.clone(),
    }
}

fn recorded_warnings(response: &Value) -> Vec<String> {
    response["headers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| h.as_str()?.strip_prefix("Warning: ").map(str::to_string))
        .filter(|w| w.contains("unknown field"))
        .collect()
}

#[tokio::test]
async fn fake_answers_like_the_recorded_api_server() {
    let fake = Fake::new(Options {
        token: Some("<token>".into()),
        ..Options::default()
    })
    .expect("fake");
    let app = router(fake);
    let mut failures = Vec::new();
    let mut replayed = 0;
    let mut rvs: Vec<(String, String)> = Vec::new();
    let mut rv_map = std::collections::HashMap::<String, String>::new();
    for ex in testkit::fixtures::load("kube").expect("fixtures/kube") {
        if NOT_REPLAYED.iter().any(|(n, _)| *n == ex.name) {
            continue;
        }
        let mut req = Request::builder()
            .method(ex.method.as_str())
            .uri(&ex.target);
        for (k, v) in &ex.headers {
            if k != "Host" {
                req = req.header(k, v);
            }
        }
        // A recorded update names the resourceVersion the real server had handed out; send the
        // one the fake handed out for the same response instead.
        let mut sent = ex.body.clone();
        for (recorded, ours) in &rv_map {
            sent = sent.replace(
                &format!("\"resourceVersion\": \"{recorded}\""),
                &format!("\"resourceVersion\": \"{ours}\""),
            );
        }
        let req = req.body(Body::from(sent)).expect("request");
        let res = app.clone().oneshot(req).await.expect("response");
        let status = res.status().as_u16();
        let warnings: Vec<String> = res
            .headers()
            .get_all("warning")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        let body: Value = if ex.response.get("events").is_some() {
            Value::Array(
                String::from_utf8_lossy(&bytes)
                    .lines()
                    .filter_map(|l| serde_json::from_str(l).ok())
                    .collect(),
            )
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        let want_body = ex
            .response
            .get("events")
            .or(ex.response.get("body"))
            .cloned()
            .unwrap_or(Value::Null);
        replayed += 1;
        if status != ex.response["status"].as_u64().unwrap_or(0) as u16 {
            failures.push(format!(
                "{}: status {status}, recorded {}\n  got {body}",
                ex.name, ex.response["status"]
            ));
            continue;
        }
        if normalize(&body) != normalize(&want_body) {
            failures.push(format!(
                "{}: body differs\n  got      {}\n  recorded {}",
                ex.name,
                normalize(&body),
                normalize(&want_body)
            ));
        }
        if warnings != recorded_warnings(&ex.response) {
            failures.push(format!(
                "{}: warnings {warnings:?}, recorded {:?}",
                ex.name,
                recorded_warnings(&ex.response)
            ));
        }
        if let Some(rv) = body["metadata"]["resourceVersion"].as_str() {
            rvs.push((ex.name.clone(), rv.to_string()));
            if let Some(recorded) = want_body["metadata"]["resourceVersion"].as_str() {
                rv_map.insert(recorded.to_string(), rv.to_string());
            }
        }
    }
    assert!(replayed >= 50, "only {replayed} exchanges replayed");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));

    // resourceVersion: an identical apply is a no-op (12 → 13), a change is not (13 → 14).
    let rv = |n: &str| {
        rvs.iter()
            .find(|(name, _)| name.starts_with(n))
            .map(|(_, rv)| rv.clone())
            .expect(n)
    };
    assert_eq!(rv("12-"), rv("13-"));
    assert_ne!(rv("13-"), rv("14-"));
}

/// Recorded 20–23: a watch from a list's resourceVersion sees ADDED, MODIFIED and DELETED, each
/// as one compact JSON line in its own HTTP chunk, DELETED with a new resourceVersion.
#[tokio::test]
async fn watch_streams_events_in_own_chunks() {
    let (addr, _fake, task) =
        testkit::kube::serve("127.0.0.1:0".parse().expect("addr"), Options::default())
            .await
            .expect("serve");
    let base =
        format!("http://{addr}/apis/monitoring.coreos.com/v1/namespaces/default/prometheusrules");
    let http = reqwest::Client::new();
    let list: Value = serde_json::from_str(
        &http
            .get(&base)
            .send()
            .await
            .expect("list")
            .text()
            .await
            .expect("text"),
    )
    .expect("json");
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .expect("rv")
        .to_string();
    let mut watch = http
        .get(format!(
            "{base}?watch=1&resourceVersion={rv}&allowWatchBookmarks=true"
        ))
        .send()
        .await
        .expect("watch");
    assert_eq!(watch.status(), 200);
    assert_eq!(watch.headers()["content-type"], "application/json");
    assert!(watch.headers().get("content-length").is_none());

    let apply = |threshold: u32| {
        let body = serde_json::json!({"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
            "metadata": {"name": "disk-full", "namespace": "default"},
            "spec": {"groups": [{"name": "disk-full", "rules": [{"alert": "disk-full", "expr": format!("disk > {threshold}")}]}]}});
        http.patch(format!("{base}/disk-full?fieldManager=gemscope&force=true"))
            .header("content-type", "application/apply-patch+yaml")
            .body(body.to_string())
            .send()
    };
    assert_eq!(apply(90).await.expect("create").status(), 201);
    assert_eq!(apply(95).await.expect("modify").status(), 200);
    assert_eq!(
        http.delete(format!("{base}/disk-full"))
            .send()
            .await
            .expect("delete")
            .status(),
        200
    );
    let mut events = Vec::new();
    while events.len() < 3 {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), watch.chunk())
            .await
            .expect("an event within 5 s")
            .expect("chunk")
            .expect("stream still open");
        let text = String::from_utf8(chunk.to_vec()).expect("utf8");
        assert!(
            text.ends_with('\n') && text.matches('\n').count() == 1,
            "one event per chunk: {text:?}"
        );
        events.push(serde_json::from_str::<Value>(text.trim_end()).expect("event json"));
    }
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["ADDED", "MODIFIED", "DELETED"]);
    let rvs: Vec<u64> = events
        .iter()
        .map(|e| {
            e["object"]["metadata"]["resourceVersion"]
                .as_str()
                .unwrap_or("0")
                .parse()
                .unwrap_or(0)
        })
        .collect();
    assert!(rvs[0] < rvs[1] && rvs[1] < rvs[2], "{rvs:?}");
    assert!(events[0]["object"]["metadata"]["managedFields"].is_array());

    // Recorded 48: a resourceVersion older than the server keeps is one ERROR event (410 Expired).
    let expired = http
        .get(format!("{base}?watch=1&resourceVersion=1"))
        .send()
        .await
        .expect("watch")
        .text()
        .await
        .expect("text");
    let e: Value = serde_json::from_str(expired.trim_end()).expect("json");
    assert_eq!(e["type"], "ERROR");
    assert_eq!(e["object"]["code"], 410);
    assert_eq!(e["object"]["reason"], "Expired");
    task.abort();
}

#[tokio::test]
async fn injected_faults_answer_internal_errors() {
    let (addr, fake, task) =
        testkit::kube::serve("127.0.0.1:0".parse().expect("addr"), Options::default())
            .await
            .expect("serve");
    let http = reqwest::Client::new();
    let url = format!("http://{addr}/api/v1/namespaces");
    assert_eq!(http.get(&url).send().await.expect("get").status(), 200);
    fake.set_faults(testkit::kube::Faults {
        error_rate: 1.0,
        latency: std::time::Duration::from_millis(50),
        ..Default::default()
    });
    let started = std::time::Instant::now();
    let res = http.get(&url).send().await.expect("get");
    assert_eq!(res.status(), 500);
    assert!(started.elapsed() >= std::time::Duration::from_millis(50));
    let body: Value = res.json().await.expect("status body");
    assert_eq!(body["kind"], "Status");
    assert_eq!(body["reason"], "InternalError");
    task.abort();
}

#[tokio::test]
async fn refused_writes_answer_invalid_and_writes_are_counted() {
    let (addr, fake, task) =
        testkit::kube::serve("127.0.0.1:0".parse().expect("addr"), Options::default())
            .await
            .expect("serve");
    let http = reqwest::Client::new();
    let url = format!("http://{addr}/api/v1/namespaces");
    fake.set_faults(testkit::kube::Faults {
        reject_writes_to: Some("namespaces".into()),
        ..Default::default()
    });
    let ns =
        serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}});
    let res = http.post(&url).json(&ns).send().await.expect("post");
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.expect("status body");
    assert_eq!(body["reason"], "Invalid");
    assert_eq!(http.get(&url).send().await.expect("get").status(), 200);
    assert_eq!(
        fake.write_count(),
        1,
        "the refused write was counted, the read was not"
    );
    fake.set_faults(testkit::kube::Faults::default());
    let res = http.post(&url).json(&ns).send().await.expect("post");
    assert_eq!(res.status(), 201);
    assert_eq!(fake.write_count(), 2);
    task.abort();
}
