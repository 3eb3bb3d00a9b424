//! Tenant isolation holes from the security review, each with the test that failed before the
//! fix: a viewer's fires-now and backtest with every threshold and expression escape reach the
//! real Prometheus only as queries confined to the environment's namespace (read back from
//! Prometheus' own query log), template actions in messages are refused, reserved namespaces
//! cannot be bound by tenants, and an environment is not deleted while it has rules.

mod common;

use std::collections::BTreeMap;

use app::api::alert_rules::{
    AddToBlacklist, AlertRuleBacktest, AlertRuleFiresNow, CreateAlertRule, RemoveFromBlacklist,
    RotateChannelToken, RotateHistoryTokens,
};
use app::api::tenancy::{CreateEnvironment, DeleteEnvironment, SetMember};
use app::model::{
    AlertLevel, AlertRuleInput, AlertType, ClusterSettings, NewEnvironment, PromqlGenerator, Role,
    RuleReceiver, RuleScope, TemplateKey,
};
use common::real::RealStack;
use common::{ADMIN_PW, Auth, Backend, TestApp, standalone};
use promql_parser::label::MatchOp;
use promql_parser::parser::{self, Expr};
use promql_parser::util::{ExprVisitor, walk_expr};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

struct Tenant {
    app: TestApp,
    admin: String,
    alice: String,
    victor: String,
    tenant: i64,
    project: i64,
    env: i64,
    channel: i64,
    cluster: i64,
}

/// Environment `shop` on a standalone cluster on `prometheus_url`; alice is admin, victor viewer.
async fn tenant(backend: Backend, prometheus_url: &str) -> Tenant {
    let app = TestApp::start_with(backend, |c| c.notify_allow = "127.0.0.1/32".into()).await;
    server::templates::seed(&app.db).await.unwrap();
    let admin = app.login("admin", ADMIN_PW).await;
    app.create_user(&admin, "alice", "alice-password").await;
    app.create_user(&admin, "victor", "victor-password").await;
    let cluster = app
        .standalone_cluster(&admin, "local", prometheus_url)
        .await;
    let env = app
        .environment(&admin, "shop-team", ("alice", "admin"), cluster, "shop")
        .await;
    let set = SetMember {
        tenant_id: env.tenant,
        username: "victor".into(),
        role: Role::Viewer,
    };
    app.fun_ok(set, Auth::Cookie(&admin)).await;
    let alice = app.login("alice", "alice-password").await;
    let victor = app.login("victor", "victor-password").await;
    let create = app::api::channels::CreateChannel {
        tenant_id: Some(env.tenant),
        channel: common::rules::webhook("http://127.0.0.1:9/hook"),
    };
    let channel = app.fun_ok(create, Auth::Cookie(&alice)).await["id"]
        .as_i64()
        .expect("channel id");
    Tenant {
        app,
        admin,
        alice,
        victor,
        tenant: env.tenant,
        project: env.project,
        env: env.environment,
        channel,
        cluster,
    }
}

fn scope(env: i64) -> RuleScope {
    RuleScope::Environment(env)
}

fn receivers(channel: i64) -> Vec<RuleReceiver> {
    vec![RuleReceiver {
        channel_id: channel,
        interval: "1h".into(),
    }]
}

/// A rule on the CPU template with `threshold`, or a raw rule with `expr`.
fn templated(channel: i64, threshold: &str) -> AlertRuleInput {
    AlertRuleInput {
        name: "cpu".into(),
        alert_type: AlertType::Monitor,
        for_: "0s".into(),
        promql_generator: Some(PromqlGenerator {
            key: TemplateKey::new("containers", "container", "cpuUsagePercent"),
            unit: "percent-0-100".into(),
            ..Default::default()
        }),
        alert_levels: vec![AlertLevel {
            compare_op: ">".into(),
            compare_value: threshold.into(),
            ..Default::default()
        }],
        receivers: receivers(channel),
        is_open: true,
        ..Default::default()
    }
}

fn raw(channel: i64, expr: &str, message: &str) -> AlertRuleInput {
    AlertRuleInput {
        name: "raw".into(),
        alert_type: AlertType::Monitor,
        for_: "0s".into(),
        expr: expr.into(),
        message: message.into(),
        alert_levels: vec![AlertLevel::default()],
        receivers: receivers(channel),
        is_open: true,
        ..Default::default()
    }
}

/// Selectors of a query Prometheus ran that do not select exactly `namespace="shop"`.
struct Leaks(Vec<String>);

impl ExprVisitor for Leaks {
    type Error = ();
    fn pre_visit(&mut self, e: &Expr) -> Result<bool, ()> {
        let vs = match e {
            Expr::VectorSelector(v) => v,
            Expr::MatrixSelector(m) => &m.vs,
            Expr::Aggregate(a) => {
                if let Some(p) = a.param.as_deref() {
                    walk_expr(self, p)?;
                }
                return Ok(true);
            }
            _ => return Ok(true),
        };
        let own = vs
            .matchers
            .matchers
            .iter()
            .any(|m| m.name == "namespace" && m.op == MatchOp::Equal && m.value == "shop");
        if !own || !vs.matchers.or_matchers.is_empty() {
            self.0.push(vs.to_string());
        }
        Ok(true)
    }
    fn post_visit(&mut self, _: &Expr) -> Result<bool, ()> {
        Ok(true)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_cannot_read_other_namespaces_through_fires_now_or_backtest() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    let t = tenant(Backend::Sqlite, &stack.prometheus_url).await;
    let thresholds = [
        "vector(0) or kube_secret_info",
        "vector(0) or up",
        "1 + on() up",
        "(up)",
        "up",
        "80",
        "1e3",
        "-0.5",
        r#"up{namespace="kube-system"}"#,
        r#"up{namespace=~".+"}"#,
        r#"label_replace(up, "namespace", "x", "", "")"#,
    ];
    let exprs = [
        r#"cpu{namespace="shop"} > 1 or kube_secret_info"#,
        r#"cpu{namespace="shop"} > 1 or on() vector(1)"#,
        "vector(1)",
        r#"count_values("namespace", cpu{namespace="shop"})"#,
        r#"cpu{namespace="shop"} unless {__name__=~".+"}"#,
        r#"cpu{namespace="shop"} > 0"#,
    ];
    let mut rules: Vec<AlertRuleInput> =
        thresholds.iter().map(|v| templated(t.channel, v)).collect();
    rules.extend(exprs.iter().map(|e| raw(t.channel, e, "")));
    let (mut tried, mut refused, mut answered) = (0, 0, 0);
    for rule in &rules {
        let fires = AlertRuleFiresNow {
            scope: scope(t.env),
            rule: rule.clone(),
        };
        let backtest = AlertRuleBacktest {
            scope: scope(t.env),
            rule: rule.clone(),
            range_secs: 600,
        };
        let victor = || Auth::Cookie(&t.victor);
        for (what, r) in [
            ("fires-now", t.app.fun(fires, victor()).await),
            ("backtest", t.app.fun(backtest, victor()).await),
        ] {
            tried += 1;
            match r.status {
                422 => refused += 1,
                200 => answered += 1,
                s => panic!("{what} {rule:?}: {s} {}", r.body),
            }
        }
    }
    // Everything Prometheus was asked, from its own query log.
    let log = std::fs::read_to_string(stack.dir.path().join("queries.log")).unwrap_or_default();
    let queries: Vec<String> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["params"]["query"].as_str().map(str::to_string))
        .collect();
    assert!(
        queries.len() >= answered,
        "{answered} answers, {} logged queries",
        queries.len()
    );
    for q in &queries {
        let e = parser::parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
        let mut leaks = Leaks(Vec::new());
        let _ = walk_expr(&mut leaks, &e);
        assert!(leaks.0.is_empty(), "Prometheus ran {q}: {:?}", leaks.0);
        assert!(q.contains(r#"namespace="shop""#), "{q}");
    }
    eprintln!(
        "escape attempts: {tried} calls, {refused} refused (422), {answered} answered with {} queries, all confined to namespace shop",
        queries.len()
    );
    assert!(refused >= 8, "{refused} refused");
    t.app.cleanup().await;
}

#[tokio::test]
async fn messages_with_template_actions_are_refused() {
    let t = tenant(Backend::Sqlite, "http://127.0.0.1:9").await;
    let refused = [
        r#"{{ query "up" }}"#,
        r#"{{ template "x" }}"#,
        "{{ range $labels }}{{ . }}{{ end }}",
        r#"{{ with query "kube_secret_info" }}{{ . }}{{ end }}"#,
        "{{ $labels.pod | title }}",
    ];
    for message in refused {
        let fires = AlertRuleFiresNow {
            scope: scope(t.env),
            rule: raw(t.channel, r#"up{namespace="shop"} > 0"#, message),
        };
        let r = t.app.fun(fires, Auth::Cookie(&t.alice)).await;
        assert_eq!(r.status, 422, "{message}: {}", r.body);
        assert_eq!(r.body["field"], "message", "{message}");
    }
    for message in ["{{ $labels.pod }} is down", "{{ $value | humanize }}"] {
        let fires = AlertRuleFiresNow {
            scope: scope(t.env),
            rule: raw(t.channel, r#"up{namespace="shop"} > 0"#, message),
        };
        let r = t.app.fun(fires, Auth::Cookie(&t.alice)).await;
        // Checked and sent on (the cluster's Prometheus is not there): not refused.
        assert_ne!(r.status, 422, "{message}: {}", r.body);
    }
    t.app.cleanup().await;
}

#[tokio::test]
async fn reserved_namespaces_are_refused_for_tenant_admins() {
    let t = tenant(Backend::Sqlite, "http://127.0.0.1:9").await;
    let cluster = t
        .app
        .standalone_cluster(&t.admin, "other", "http://127.0.0.1:9")
        .await;
    let make = |ns: &str, name: &str| CreateEnvironment {
        tenant_id: t.tenant,
        project_id: t.project,
        environment: NewEnvironment {
            name: name.into(),
            cluster_id: cluster,
            namespace: ns.into(),
            description: String::new(),
        },
    };
    for ns in [
        "kubegems-monitoring",
        "kubegems-logging",
        "kube-system",
        "kube-public",
        "kube-node-lease",
    ] {
        let r = t.app.fun(make(ns, "x"), Auth::Cookie(&t.alice)).await;
        assert_eq!(r.status, 422, "{ns}: {}", r.body);
        assert_eq!(r.body["field"], "namespace", "{ns}");
    }
    // A system administrator may, on purpose, and is told what it means.
    let made = t
        .app
        .fun_ok(
            make("kubegems-monitoring", "platform"),
            Auth::Cookie(&t.admin),
        )
        .await;
    assert!(
        made["warning"]
            .as_str()
            .unwrap_or_default()
            .contains("monitoring namespace"),
        "{made}"
    );
    // System rules own that namespace: no environment's rule can take a system rule's name.
    let create = CreateAlertRule {
        scope: scope(made["id"].as_i64().expect("environment id")),
        rule: raw(t.channel, r#"up{namespace="kubegems-monitoring"} > 0"#, ""),
    };
    let r = t.app.fun(create, Auth::Cookie(&t.admin)).await;
    assert_eq!(
        (r.status, r.body["field"].as_str()),
        (409, Some("namespace")),
        "{}",
        r.body
    );
    let fine = t
        .app
        .fun_ok(make("shop-two", "two"), Auth::Cookie(&t.alice))
        .await;
    assert!(fine.get("warning").is_none(), "{fine}");
    t.app.cleanup().await;
}

/// An environment `shop` (alice admin) on a standalone cluster with the real Alertmanager.
struct Doomed {
    app: TestApp,
    alice: String,
    env: common::TenantEnv,
    _stack: RealStack,
}

async fn doomed() -> Option<Doomed> {
    let stack = RealStack::start()?;
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.login("admin", ADMIN_PW).await;
    app.create_user(&admin, "alice", "alice-password").await;
    let settings = ClusterSettings {
        prometheus_url: stack.prometheus_url.clone(),
        alertmanager_url: stack.alertmanager_url.clone(),
        ..Default::default()
    };
    let cluster = app
        .create_cluster(&admin, standalone("local", settings))
        .await["id"]
        .as_i64()
        .expect("cluster id");
    let env = app
        .environment(&admin, "shop-team", ("alice", "admin"), cluster, "shop")
        .await;
    let alice = app.login("alice", "alice-password").await;
    Some(Doomed {
        app,
        alice,
        env,
        _stack: stack,
    })
}

impl Doomed {
    async fn delete(&self) -> common::Reply {
        let delete = DeleteEnvironment {
            tenant_id: self.env.tenant,
            environment_id: self.env.environment,
        };
        self.app.fun(delete, Auth::Cookie(&self.alice)).await
    }

    /// Refused with a 409 whose message names `what` is left.
    async fn refused(&self, what: &str) {
        let r = self.delete().await;
        assert_eq!(r.status, 409, "{}", r.body);
        let message = r.body["message"].as_str().unwrap_or_default();
        assert!(message.contains(what), "{}", r.body);
    }

    async fn deleted(&self) {
        let r = self.delete().await;
        assert_eq!(r.status, 200, "{}", r.body);
        let gone = server::db::entities::environment::Entity::find_by_id(self.env.environment)
            .one(&self.app.db)
            .await
            .expect("query");
        assert!(gone.is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_environment_with_a_dashboard_is_not_deleted_until_it_is_gone() {
    use sea_orm::{ActiveModelTrait, Set};
    use server::db::entities::dashboard;
    let Some(d) = doomed().await else { return };
    let board = dashboard::ActiveModel {
        environment_id: Set(d.env.environment),
        name: Set("orders".into()),
        step: Set(String::new()),
        refresh: Set(String::new()),
        time_start: Set(String::new()),
        time_end: Set(String::new()),
        graphs: Set("[]".into()),
        variables: Set("{}".into()),
        template: Set(String::new()),
        creator: Set("alice".into()),
        created_at: Set(0),
        updated_at: Set(0),
        ..Default::default()
    }
    .insert(&d.app.db)
    .await
    .expect("a dashboard row");
    d.refused("1 dashboard(s) (orders)").await;
    dashboard::Entity::delete_by_id(board.id)
        .exec(&d.app.db)
        .await
        .expect("delete");
    d.deleted().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_environment_with_a_blacklist_entry_is_not_deleted_until_it_is_removed() {
    let Some(d) = doomed().await else { return };
    // A blacklist silence would silence whoever binds the namespace next.
    let add = AddToBlacklist {
        scope: scope(d.env.environment),
        labels: BTreeMap::from([
            ("gems_namespace".to_string(), "shop".to_string()),
            ("gems_alertname".to_string(), "x".to_string()),
        ]),
    };
    let entry = d.app.fun_ok(add, Auth::Cookie(&d.alice)).await;
    d.refused("blacklist").await;
    let remove = RemoveFromBlacklist {
        scope: scope(d.env.environment),
        id: entry["id"].as_str().expect("entry id").into(),
    };
    d.app.fun_ok(remove, Auth::Cookie(&d.alice)).await;
    d.deleted().await;
}

fn history_payload(alerts: &[(&str, &str)]) -> Value {
    let alerts: Vec<Value> = alerts
        .iter()
        .enumerate()
        .map(|(i, (name, ns))| {
            json!({"status": "firing", "labels": {"alertname": name, "gems_namespace": ns, "gems_alertname": name, "severity": "error"},
                "annotations": {"message": format!("{name} in {ns}")}, "startsAt": "2026-12-01T10:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z", "fingerprint": format!("{i:016x}")})
        })
        .collect();
    json!({"version": "4", "status": "firing", "receiver": "gemscope-history", "alerts": alerts})
}

/// What a history post is, and what it answers: (status, alerts stored).
type Case<'a> = (
    &'a str,
    String,
    &'a [(&'a str, &'a str)],
    (u16, Option<i64>),
);

fn history_url(app: &TestApp, cluster: i64, namespace: &str, version: i32) -> String {
    server::channels::history::receiver(
        &app.state.notifier.secrets,
        "",
        server::channels::history::HistoryTarget {
            cluster_id: cluster,
            namespace,
            version,
        },
    )
    .webhook_configs[0]
        .url
        .clone()
}

#[tokio::test]
async fn a_namespace_history_token_posts_only_that_namespace_and_rotation_retires_it() {
    let t = tenant(Backend::Sqlite, "http://127.0.0.1:9").await;
    let cluster = t.cluster;
    let shop = history_url(&t.app, cluster, "shop", 1);
    let system = history_url(&t.app, cluster, "kubegems-monitoring", 1);
    let post = async |url: &str, alerts: &[(&str, &str)]| {
        let r = t.app.call(url, history_payload(alerts), Auth::None).await;
        (r.status, r.body["alerts"].as_i64())
    };
    let cases: [Case; 5] = [
        // Forged alerts of another tenant's namespace are dropped; only those is 403.
        (
            "mixed",
            shop.clone(),
            &[("Mine", "shop"), ("Forged", "db")],
            (200, Some(1)),
        ),
        (
            "forged only",
            shop.clone(),
            &[("Forged", "db")],
            (403, None),
        ),
        // A token is bound to its namespace, and the cluster-wide URLs of before are refused.
        (
            "swapped",
            shop.replace("namespace=shop", "namespace=db"),
            &[("Forged", "db")],
            (401, None),
        ),
        (
            "legacy",
            shop.replace("namespace=shop&", ""),
            &[("Mine", "shop")],
            (401, None),
        ),
        // The monitoring namespace's token (system rules) may post any namespace.
        (
            "system",
            system,
            &[("A", "shop"), ("B", "db")],
            (200, Some(2)),
        ),
    ];
    for (what, url, alerts, want) in cases {
        assert_eq!(post(&url, alerts).await, want, "{what}");
    }

    // Rotation: only system administrators; afterwards the old token no longer works.
    let rotate = || RotateHistoryTokens {
        cluster_id: cluster,
    };
    let r = t.app.fun(rotate(), Auth::Cookie(&t.alice)).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let done = t.app.fun_ok(rotate(), Auth::Cookie(&t.admin)).await;
    assert_eq!(
        (
            done["version"].as_i64(),
            done["old_token_still_valid"].as_bool()
        ),
        (Some(2), Some(false)),
        "{done}"
    );
    assert_eq!(post(&shop, &[("Mine", "shop")]).await.0, 401);
    let fresh = history_url(&t.app, cluster, "shop", 2);
    assert_eq!(post(&fresh, &[("Mine", "shop")]).await.0, 200);

    // A channel's notify token rotates the same way.
    let channel = server::db::entities::channel::Entity::find_by_id(t.channel)
        .one(&t.app.db)
        .await
        .unwrap()
        .unwrap();
    let old = t.app.state.notifier.notify_url("", &channel);
    let rotate = RotateChannelToken {
        channel_id: t.channel,
    };
    let done = t.app.fun_ok(rotate, Auth::Cookie(&t.admin)).await;
    assert_eq!(done["version"].as_i64(), Some(2), "{done}");
    assert_eq!(post(&old, &[("Mine", "shop")]).await.0, 401);
    t.app.cleanup().await;
}
