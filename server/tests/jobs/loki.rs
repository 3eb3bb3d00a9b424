//! Logging rules checked and synced against the Loki stand-in.

use super::*;

/// Logging rules against the Loki stand-in (`testkit::loki`, Loki's HTTP API and local rule
/// store): the config check runs each LogQL expression once, and the state sync reads the
/// ruler's rules API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_rules_are_checked_and_synced_against_loki() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    let rules = tempfile::tempdir().unwrap();
    let (loki_url, loki, _task) = common::loki_standin(rules.path()).await;
    let app = TestApp::start(Backend::Sqlite).await;
    let base = app.listen().await;
    let admin = app.login("admin", ADMIN_PW).await;
    let loki_rules = rules.path().join("fake").display().to_string();
    let cluster = standalone(&app, &admin, &stack, &base, |s| {
        s.loki_url = loki_url.clone();
        s.loki_rules_dir = loki_rules;
    })
    .await;
    let env = app
        .environment(&admin, "logs-team", ("admin", "admin"), cluster, "demo")
        .await;
    let channel = webhook_channel(&app, &admin, env.tenant).await;
    let t = i128::from(chrono::Utc::now().timestamp_nanos_opt().unwrap()) - 10_000_000_000;
    let lines: Vec<Value> = (0..3i128)
        .map(|i| {
            json!([
                (t + i * 1_000_000_000).to_string(),
                format!("error: retry {i}")
            ])
        })
        .collect();
    let pushed = reqwest::Client::new()
        .post(format!("{loki_url}/loki/api/v1/push"))
        .json(&json!({"streams": [{
            "stream": {"namespace": "demo", "pod": "app-1", "container": "app"},
            "values": lines,
        }]}))
        .send()
        .await
        .unwrap();
    assert_eq!(pushed.status(), 204);
    logging_rule(
        &app,
        &admin,
        env.environment,
        channel,
        ("errs", "error", "1"),
    )
    .await;
    logging_rule(
        &app,
        &admin,
        env.environment,
        channel,
        ("hush", "never-logged", "0"),
    )
    .await;

    // The sanity query: a rule whose expression has series now is ok, one without is a warning.
    let counts = run_job(&app, JobKind::AlertConfigCheck).await;
    assert_eq!(
        (counts.checked, counts.drifted, counts.errors),
        (2, 0, 0),
        "{counts:?}"
    );
    let errs = rule_row(&app, "errs").await;
    assert_eq!(errs.check_status, "ok", "{:?}", errs.check_detail);
    let hush = rule_row(&app, "hush").await;
    assert_eq!(hush.check_status, "warning");
    let detail: Value = serde_json::from_str(&hush.check_detail.unwrap()).unwrap();
    assert_eq!(
        detail["problems"],
        json!(["the expression returns no series now"])
    );

    // The ruler evaluates the rule file Gemscope wrote; its states reach the rules.
    loki.evaluate_rules(true);
    let counts = run_job(&app, JobKind::AlertStateSync).await;
    assert_eq!((counts.checked, counts.errors), (2, 0), "{counts:?}");
    assert_eq!(rule_row(&app, "errs").await.state, "pending");
    assert_eq!(rule_row(&app, "hush").await.state, "inactive");
    app.cleanup().await;
}
