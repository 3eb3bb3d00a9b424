//! The medium and low findings of the security review, one test each, named after the finding.

mod common;

use app::api::account::{ChangePassword, CreateToken, CurrentUser, Login};
use app::api::channels::{CreateChannel, ListChannels, UpdateChannel};
use app::api::metrics::QueryRange;
use app::api::templates::{CreateTemplateRule, DeleteTemplateRule, UpdateTemplateRule};
use app::api::tenancy::{CreateTenant, SetMember};
use app::api::users::{ListUsers, SetUserPassword};
use app::model::{
    ChannelConfig, ClusterInput, ClusterKind, MetricExpr, QueryTarget, RangeQuery, Role,
    SecretField, SmtpTls, TemplateRuleInput,
};
use common::rules::channel;
use common::{ADMIN_PW, Auth, Backend, TestApp};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;

fn new_tenant(name: &str) -> CreateTenant {
    CreateTenant {
        name: name.into(),
        description: String::new(),
    }
}

/// An email channel through `host`, signing in as `u` with `password`.
fn mail(host: &str, from: &str, to: &str, password: SecretField) -> ChannelConfig {
    ChannelConfig::Email {
        smtp_host: host.into(),
        smtp_port: 587,
        tls: SmtpTls::default(),
        from: from.into(),
        to: vec![to.into()],
        username: "u".into(),
        password,
    }
}

/// A tenant `shop-team` with alice as admin and bob as member; returns the tenant id.
async fn tenant(app: &TestApp, admin: &str) -> i64 {
    app.create_user(admin, "alice", "alice-password").await;
    app.create_user(admin, "bob", "bob-password").await;
    let t = app
        .fun_ok(new_tenant("shop-team"), Auth::Cookie(admin))
        .await["id"]
        .as_i64()
        .expect("tenant id");
    for (user, role) in [("alice", Role::Admin), ("bob", Role::Member)] {
        let set = SetMember {
            tenant_id: t,
            username: user.into(),
            role,
        };
        app.fun_ok(set, Auth::Cookie(admin)).await;
    }
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_limiter_counts_attempts_before_verifying_under_50_concurrent_bad_logins() {
    let app = TestApp::start(Backend::Sqlite).await;
    let started = std::time::Instant::now();
    let attempts = (0..50).map(|i| {
        let login = Login {
            username: "admin".into(),
            password: format!("wrong-{i}"),
        };
        app.fun(login, Auth::None)
    });
    let replies = futures_util::future::join_all(attempts).await;
    let verified = replies.iter().filter(|r| r.status == 401).count();
    let limited = replies.iter().filter(|r| r.status == 429).count();
    eprintln!(
        "50 concurrent bad logins: {verified} password verifications run (401), {limited} answered 429, in {:?}",
        started.elapsed()
    );
    // The limit is 5 failures per username: the other 45 never reach argon2.
    assert_eq!((verified, limited), (5, 45));
    app.cleanup().await;
}

#[tokio::test]
async fn a_password_change_or_reset_ends_other_sessions_and_revokes_api_tokens() {
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.login("admin", ADMIN_PW).await;
    app.create_user(&admin, "alice", "alice-password").await;
    let here = app.login("alice", "alice-password").await;
    let elsewhere = app.login("alice", "alice-password").await;
    let create = CreateToken {
        name: "ci".into(),
        expires_in_days: None,
    };
    let token = app.fun_ok(create, Auth::Cookie(&here)).await["secret"]
        .as_str()
        .expect("secret")
        .to_string();
    let me = async |auth: Auth<'_>| app.fun_ok(CurrentUser {}, auth).await;
    assert_eq!(me(Auth::Bearer(&token)).await["username"], "alice");
    let change = ChangePassword {
        current: "alice-password".into(),
        new: "alice-password-2".into(),
    };
    app.fun_ok(change, Auth::Cookie(&here)).await;
    assert_eq!(
        me(Auth::Cookie(&here)).await["username"],
        "alice",
        "the changing session stays"
    );
    assert_eq!(me(Auth::Cookie(&elsewhere)).await, Value::Null);
    let r = app.fun(CurrentUser {}, Auth::Bearer(&token)).await;
    assert!(
        r.status == 401 || r.body == Value::Null,
        "{} {}",
        r.status,
        r.body
    );
    // An administrator's reset ends every session, the one that changed it too.
    let users = app.fun_ok(ListUsers {}, Auth::Cookie(&admin)).await;
    let alice_id = common::find_in(&users, "", "username", "alice")["id"]
        .as_i64()
        .expect("user id");
    let reset = SetUserPassword {
        user_id: alice_id,
        password: "alice-password-3".into(),
    };
    app.fun_ok(reset, Auth::Cookie(&admin)).await;
    assert_eq!(me(Auth::Cookie(&here)).await, Value::Null);
    app.cleanup().await;
}

#[tokio::test]
async fn queries_are_limited_per_user_with_retry_after() {
    let app = TestApp::start_with(Backend::Sqlite, |c| c.query_rate_per_minute = 3).await;
    let admin = app.login("admin", ADMIN_PW).await;
    let cluster = app
        .standalone_cluster(&admin, "local", "http://127.0.0.1:9")
        .await;
    let query = RangeQuery {
        target: QueryTarget::Cluster(cluster),
        query: MetricExpr {
            expr: "up".into(),
            ..Default::default()
        },
        start: 0,
        end: 600,
        step: None,
    };
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..5 {
        let range = QueryRange {
            query: query.clone(),
        };
        let r = app.fun(range, Auth::Cookie(&admin)).await;
        if r.status == 429 {
            retry_after = r.headers.get("retry-after").cloned();
        }
        statuses.push(r.status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        2,
        "{statuses:?}"
    );
    let wait: u64 = retry_after.unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&wait), "{wait}");
    app.cleanup().await;
}

#[tokio::test]
async fn security_headers_on_every_answer_and_metrics_behind_a_token() {
    let app = TestApp::start_with(Backend::Sqlite, |c| {
        c.metrics_token = Some("m-token".into())
    })
    .await;
    let page = app
        .request(
            axum::http::Request::get("/login")
                .header("host", "127.0.0.1:3000")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, 200);
    let csp = page.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("'wasm-unsafe-eval'"),
        "{csp}"
    );
    assert!(
        !csp.contains("'unsafe-inline' ") && !csp.contains("script-src 'self' 'unsafe-inline'"),
        "{csp}"
    );
    // Every inline script carries this answer's nonce.
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .unwrap();
    let html = page.body.as_str().unwrap();
    let scripts = html.matches("<script").count();
    assert!(scripts > 0);
    assert!(
        html.matches(&format!("nonce=\"{nonce}\"")).count() >= scripts,
        "{html}"
    );
    for r in [&page, &app.fun(CurrentUser {}, Auth::None).await] {
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
        assert_eq!(r.headers["referrer-policy"], "same-origin");
        assert_eq!(r.headers["x-frame-options"], "DENY");
        assert!(r.headers.contains_key("content-security-policy"));
    }
    let metrics = |auth: Option<&str>| {
        let mut b = axum::http::Request::get("/metrics").header("host", "127.0.0.1:3000");
        if let Some(t) = auth {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        app.request(b.body(axum::body::Body::empty()).unwrap())
    };
    assert_eq!(metrics(None).await.status, 401);
    assert_eq!(metrics(Some("wrong")).await.status, 401);
    assert_eq!(metrics(Some("m-token")).await.status, 200);
    app.cleanup().await;
}

#[tokio::test]
async fn system_channels_show_members_only_their_name_and_kind() {
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.login("admin", ADMIN_PW).await;
    let t = tenant(&app, &admin).await;
    let mut config = mail(
        "mail.corp.internal",
        "alerts@corp.example",
        "oncall@corp.example",
        SecretField::new("pw"),
    );
    if let ChannelConfig::Email { username, .. } = &mut config {
        *username = "svc".into();
    }
    let create = CreateChannel {
        tenant_id: None,
        channel: channel("oncall-mail", config),
    };
    app.fun_ok(create, Auth::Cookie(&admin)).await;
    let bob = app.login("bob", "bob-password").await;
    let list = ListChannels { tenant_id: Some(t) };
    let list = app.fun_ok(list, Auth::Cookie(&bob)).await;
    let text = list.to_string();
    let mail = common::find_in(&list, "", "name", "oncall-mail");
    assert_eq!(mail["config"]["type"], "email");
    for secret in [
        "mail.corp.internal",
        "oncall@corp.example",
        "alerts@corp.example",
        "svc",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    // The system administrator still sees the settings to edit them.
    let all = ListChannels { tenant_id: Some(t) };
    let all = app.fun_ok(all, Auth::Cookie(&admin)).await;
    assert!(all.to_string().contains("mail.corp.internal"));
    app.cleanup().await;
}

#[tokio::test]
async fn template_audit_rows_take_the_tenant_from_the_stored_owner() {
    use server::db::entities::audit_log;
    let app = TestApp::start(Backend::Sqlite).await;
    server::templates::seed(&app.db).await.unwrap();
    let admin = app.login("admin", ADMIN_PW).await;
    let a = tenant(&app, &admin).await;
    let other = app.fun_ok(new_tenant("other"), Auth::Cookie(&admin)).await["id"]
        .as_i64()
        .expect("tenant id");
    let alice = app.login("alice", "alice-password").await;
    let container = app
        .template_resource(&alice, a, "containers", "container")
        .await
        .as_i64()
        .expect("resource id");
    let rule = |tenant: i64| TemplateRuleInput {
        resource_id: container,
        name: "queueDepth".into(),
        expr: "sum(q) by (pod)".into(),
        labels: vec!["pod".into()],
        tenant_id: Some(tenant),
        ..Default::default()
    };
    let create = CreateTemplateRule { rule: rule(a) };
    let rule_id = app.fun_ok(create, Auth::Cookie(&alice)).await["id"]
        .as_i64()
        .expect("rule id");
    // The body names another tenant; the audit row names the rule's owner.
    let update = UpdateTemplateRule {
        rule_id,
        rule: rule(other),
    };
    app.fun(update, Auth::Cookie(&alice)).await;
    app.fun_ok(DeleteTemplateRule { rule_id }, Auth::Cookie(&alice))
        .await;
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::Action.starts_with("template.rule."))
        .order_by_asc(audit_log::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    let got: Vec<(&str, Option<i64>)> = rows
        .iter()
        .map(|r| (r.action.as_str(), r.tenant_id))
        .collect();
    assert_eq!(
        got,
        vec![
            ("template.rule.create", Some(a)),
            ("template.rule.update", Some(a)),
            ("template.rule.delete", Some(a)),
        ]
    );
    app.cleanup().await;
}

#[tokio::test]
async fn kubeconfigs_that_run_commands_or_read_files_are_refused() {
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.login("admin", ADMIN_PW).await;
    let kubeconfig = "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:6443\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /bin/sh\n      args: [\"-c\", \"touch /tmp/pwned\"]\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n";
    let cluster = ClusterInput {
        name: "evil".into(),
        kind: ClusterKind::Kubernetes,
        kubeconfig: Some(kubeconfig.into()),
        ..Default::default()
    };
    let create = app::api::clusters::CreateCluster { cluster };
    let r = app.fun(create, Auth::Cookie(&admin)).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["field"], "kubeconfig");
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("users[0].user.exec"),
        "{}",
        r.body
    );
    app.cleanup().await;
}

#[tokio::test]
async fn a_kept_smtp_password_does_not_follow_a_changed_host() {
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.login("admin", ADMIN_PW).await;
    let t = tenant(&app, &admin).await;
    let alice = app.login("alice", "alice-password").await;
    let config = |host: &str, password: SecretField| {
        channel(
            "mail",
            mail(host, "a@shop.example", "b@shop.example", password),
        )
    };
    let create = CreateChannel {
        tenant_id: Some(t),
        channel: config("smtp.shop.example", SecretField::new("pw")),
    };
    let channel_id = app.fun_ok(create, Auth::Cookie(&alice)).await["id"]
        .as_i64()
        .expect("channel id");
    let update = |host: &str, password: SecretField| UpdateChannel {
        channel_id,
        channel: config(host, password),
    };
    // Kept (no value) while the host changes: refused.
    let kept = SecretField::default;
    let r = app
        .fun(update("evil.example.net", kept()), Auth::Cookie(&alice))
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["field"], "config.password");
    app.fun_ok(update("smtp.shop.example", kept()), Auth::Cookie(&alice))
        .await;
    let new = SecretField::new("pw2");
    app.fun_ok(update("smtp2.shop.example", new), Auth::Cookie(&alice))
        .await;
    app.cleanup().await;
}
