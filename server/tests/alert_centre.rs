//! The alert centre on every database: episodes and their notifications, search filters, the
//! overview numbers against hand-computed figures across midnight in two time zones, the
//! message centre's fan-out per role, tenant isolation, and the archive.

mod common;

use common::{ADMIN_PW, Auth, TestApp};
use sea_orm::{ActiveModelTrait, EntityTrait, PaginatorTrait, Set};
use serde_json::{Value, json};
use server::db::entities::{alert_instance, alert_label, alert_notification, inbox_item};

/// A webhook alert as Gemscope's rules label them.
fn alert(rule: &str, ns: &str, pod: &str, status: &str, starts: &str) -> Value {
    json!({"status": status,
        "labels": {"alertname": format!("{rule}-error"), "gems_alertname": rule, "gems_namespace": ns,
            "severity": "error", "pod": pod},
        "annotations": {"message": format!("{rule}: pod {pod} is Over the limit"), "value": "91"},
        "startsAt": starts,
        "endsAt": if status == "resolved" { "2026-11-25T10:30:00Z" } else { "0001-01-01T00:00:00Z" },
        "fingerprint": format!("{rule}-{pod}")})
}

struct World {
    app: TestApp,
    admin: String,
    alice: String,
    bob: String,
    cluster: i64,
    shop: common::TenantEnv,
    db: common::TenantEnv,
    url: String,
}

async fn world(backend: common::Backend) -> World {
    let app = TestApp::start(backend).await;
    let admin = app.login("admin", ADMIN_PW).await;
    app.create_user(&admin, "alice", "alice-password").await;
    app.create_user(&admin, "bob", "bob-password").await;
    let cluster = app
        .standalone_cluster(&admin, "vm", "http://127.0.0.1:9")
        .await;
    let shop = app
        .environment(&admin, "shop-team", ("alice", "viewer"), cluster, "shop")
        .await;
    let db = app
        .environment(&admin, "db-team", ("bob", "member"), cluster, "db")
        .await;
    let url = server::channels::history::receiver(
        &app.state.notifier.secrets,
        "",
        common::system_history(cluster),
    )
    .webhook_configs[0]
        .url
        .clone();
    let alice = app.login("alice", "alice-password").await;
    let bob = app.login("bob", "bob-password").await;
    World {
        app,
        admin,
        alice,
        bob,
        cluster,
        shop,
        db,
        url,
    }
}

impl World {
    async fn send(&self, alerts: Vec<Value>) {
        let r = self
            .app
            .call(&self.url, json!({"alerts": alerts}), Auth::None)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn episodes_search_messages_and_isolation() {
    for backend in common::backends() {
        let w = world(backend).await;
        let (a, b) = ("2026-11-25T10:00:00Z", "2026-11-25T11:00:00Z");
        // web-1: one episode notified twice then resolved; web-2: two episodes.
        w.send(vec![
            alert("cpu-high", "shop", "web-1", "firing", a),
            alert("cpu-high", "shop", "web-2", "firing", a),
        ])
        .await;
        w.send(vec![alert("cpu-high", "shop", "web-1", "firing", a)])
            .await;
        w.send(vec![
            alert("cpu-high", "shop", "web-1", "resolved", a),
            alert("cpu-high", "shop", "web-2", "firing", b),
            alert("disk-full", "db", "pg-0", "firing", a),
            alert("node-down", "kubegems-monitoring", "n1", "firing", a),
        ])
        .await;
        let scope = json!({"kind": "environment", "id": w.shop.environment});
        let page = w
            .app
            .ok(
                "/api/alerts/episodes",
                json!({"scope": scope, "rule": "cpu-high", "filter": {}}),
                Auth::Cookie(&w.alice),
            )
            .await;
        let eps = page["episodes"].as_array().unwrap();
        assert_eq!(eps.len(), 3, "[{backend}] {page}");
        let find = |pod: &str, start: i64| {
            eps.iter()
                .find(|e| e["labels"]["pod"] == pod && e["starts_at"] == start)
                .unwrap_or_else(|| panic!("[{backend}] no episode {pod}@{start} in {page}"))
        };
        let web1 = find("web-1", 1_795_600_800);
        assert_eq!(web1["count"], 3, "[{backend}]");
        assert_eq!(web1["status"], "resolved", "[{backend}] resolved wins");
        assert_eq!(web1["ends_at"], 1_795_602_600);
        assert_eq!(find("web-2", 1_795_600_800)["count"], 1);
        assert_eq!(find("web-2", 1_795_604_400)["status"], "firing");
        let only_resolved = w
            .app
            .ok(
                "/api/alerts/episodes",
                json!({"scope": scope, "rule": "cpu-high", "filter": {"status": "resolved"}}),
                Auth::Cookie(&w.alice),
            )
            .await;
        assert_eq!(only_resolved["episodes"].as_array().unwrap().len(), 1);
        // Every notification of the episode.
        let notes = w
            .app
            .ok(
                "/api/alerts/notifications",
                json!({"scope": scope, "instance_id": web1["instance_id"], "starts_at": 1_795_600_800, "page": 1}),
                Auth::Cookie(&w.alice),
            )
            .await;
        let statuses: Vec<&str> = notes["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["resolved", "firing", "firing"], "[{backend}]");
        assert_eq!(notes["rows"][0]["environment"], "prod");
        assert_eq!(notes["rows"][0]["project"], "p");
        assert_eq!(notes["rows"][0]["cluster"], "vm");
        // Bob (another tenant) cannot read the shop's history.
        let denied = w
            .app
            .call(
                "/api/alerts/episodes",
                json!({"scope": scope, "rule": "cpu-high", "filter": {}}),
                Auth::Cookie(&w.bob),
            )
            .await;
        assert_eq!(denied.status, 404, "[{backend}] {}", denied.body);
        let sneaky = w
            .app
            .call(
                "/api/alerts/notifications",
                json!({"scope": {"kind": "environment", "id": w.db.environment}, "instance_id": web1["instance_id"], "starts_at": 1_795_600_800, "page": 1}),
                Auth::Cookie(&w.bob),
            )
            .await;
        assert_eq!(
            sneaky.body["rows"],
            json!([]),
            "[{backend}] {}",
            sneaky.body
        );

        // Search.
        let search = |who: &str, s: Value| {
            let body = json!({"search": s});
            let who = who.to_string();
            let app = &w.app;
            async move {
                app.call("/api/alerts/search", body, Auth::Cookie(&who))
                    .await
            }
        };
        let count = |r: &common::Reply| r.body["rows"].as_array().map(Vec::len).unwrap_or(0);
        let all_shop = search(&w.alice, json!({"tenant_id": w.shop.tenant})).await;
        assert_eq!(count(&all_shop), 5, "[{backend}] {}", all_shop.body);
        let cases = [
            (json!({"tenant_id": w.shop.tenant, "text": "pod=web-2"}), 2),
            (
                json!({"tenant_id": w.shop.tenant, "text": "pod=web-2 severity=error"}),
                2,
            ),
            (json!({"tenant_id": w.shop.tenant, "text": "pod=web-9"}), 0),
            (json!({"tenant_id": w.shop.tenant, "text": "OVER web-1"}), 3),
            (json!({"tenant_id": w.shop.tenant, "status": "resolved"}), 1),
            (json!({"tenant_id": w.shop.tenant, "alert_name": "cpu"}), 5),
            (json!({"tenant_id": w.shop.tenant, "alert_name": "disk"}), 0),
            (
                json!({"tenant_id": w.shop.tenant, "project_id": w.shop.project}),
                5,
            ),
            (
                json!({"tenant_id": w.shop.tenant, "environment_id": w.shop.environment, "namespace": "shop"}),
                5,
            ),
            (
                json!({"tenant_id": w.shop.tenant, "cluster_id": w.cluster}),
                5,
            ),
            (
                json!({"tenant_id": w.shop.tenant, "cluster_id": w.cluster + 100}),
                0,
            ),
            (json!({"tenant_id": w.shop.tenant, "from": 1}), 5),
            (json!({"tenant_id": w.shop.tenant, "to": 1}), 0),
            (json!({"tenant_id": w.shop.tenant, "page_size": 2}), 2),
        ];
        for (s, n) in cases {
            let r = search(&w.alice, s.clone()).await;
            assert_eq!(r.status, 200, "[{backend}] {s}: {}", r.body);
            assert_eq!(count(&r), n, "[{backend}] {s}: {}", r.body);
        }
        let paged = search(
            &w.alice,
            json!({"tenant_id": w.shop.tenant, "page_size": 2, "page": 3}),
        )
        .await;
        assert_eq!((count(&paged), &paged.body["has_more"]), (1, &json!(false)));
        let bad = search(
            &w.alice,
            json!({"tenant_id": w.shop.tenant, "status": "pending"}),
        )
        .await;
        assert_eq!(bad.status, 422, "[{backend}]");
        assert!(bad.body["message"].as_str().unwrap().starts_with("status:"));
        // Isolation: Bob sees his tenant only; no tenant at all is for system admins.
        assert_eq!(
            search(&w.bob, json!({"tenant_id": w.shop.tenant}))
                .await
                .status,
            404
        );
        assert_eq!(
            count(&search(&w.bob, json!({"tenant_id": w.db.tenant})).await),
            1
        );
        assert_eq!(search(&w.bob, json!({})).await.status, 422);
        // An environment alone names its tenant, with the same checks.
        let by_env = json!({"environment_id": w.shop.environment});
        assert_eq!(count(&search(&w.alice, by_env.clone()).await), 5);
        assert_eq!(search(&w.bob, by_env).await.status, 404);
        assert_eq!(count(&search(&w.admin, json!({})).await), 7, "[{backend}]");
        let overview = w
            .app
            .call(
                "/api/alerts/overview",
                json!({"query": {"tenant_id": w.shop.tenant, "from": 0, "to": 0}}),
                Auth::Cookie(&w.bob),
            )
            .await;
        assert_eq!(overview.status, 404, "[{backend}]");

        // Message centre: the shop's alerts reach Alice, the db's Bob, the monitoring
        // namespace's the system admins; each sees only their own.
        let unread = |who: &str| {
            let who = who.to_string();
            let app = &w.app;
            async move {
                app.ok("/api/messages/unread", json!({}), Auth::Cookie(&who))
                    .await
            }
        };
        assert_eq!(unread(&w.alice).await, 5, "[{backend}]");
        assert_eq!(unread(&w.bob).await, 1, "[{backend}]");
        assert_eq!(unread(&w.admin).await, 1, "[{backend}]");
        let inbox = w
            .app
            .ok(
                "/api/messages/list",
                json!({"unread_only": true, "page": 1}),
                Auth::Cookie(&w.bob),
            )
            .await;
        assert_eq!(inbox["items"][0]["alert"]["alert_name"], "disk-full");
        let bobs = inbox["items"][0]["id"].as_i64().unwrap();
        // Alice marking Bob's item read changes nothing of Bob's.
        let n = w
            .app
            .ok(
                "/api/messages/read",
                json!({"ids": [bobs]}),
                Auth::Cookie(&w.alice),
            )
            .await;
        assert_eq!(n, 0, "[{backend}]");
        assert_eq!(unread(&w.bob).await, 1);
        assert_eq!(
            w.app
                .ok(
                    "/api/messages/read",
                    json!({"ids": [bobs]}),
                    Auth::Cookie(&w.bob)
                )
                .await,
            1
        );
        assert_eq!(unread(&w.bob).await, 0);
        assert_eq!(
            w.app
                .ok(
                    "/api/messages/read",
                    json!({"ids": []}),
                    Auth::Cookie(&w.alice)
                )
                .await,
            5
        );
        assert_eq!(unread(&w.alice).await, 0);
        let all = w
            .app
            .ok(
                "/api/messages/list",
                json!({"unread_only": false, "page": 1}),
                Auth::Cookie(&w.alice),
            )
            .await;
        assert_eq!(all["items"].as_array().unwrap().len(), 5);
        assert!(
            all["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["read"] == true)
        );
        w.app.cleanup().await;
    }
}

/// Stores one notification received at `at` (Unix seconds) for an alert of the world.
async fn at(w: &World, env: &common::TenantEnv, name: &str, status: &str, received: i64) {
    let inst = alert_instance::ActiveModel {
        cluster_id: Set(w.cluster),
        fingerprint: Set(format!("{name}-{status}-{received}")),
        namespace: Set("shop".into()),
        alert_name: Set(name.into()),
        tenant_id: Set(Some(env.tenant)),
        project_id: Set(Some(env.project)),
        environment_id: Set(Some(env.environment)),
        labels: Set(json!({"gems_alertname": name}).to_string()),
        first_seen: Set(received),
        last_seen: Set(received),
        ..Default::default()
    }
    .insert(&w.app.db)
    .await
    .unwrap();
    alert_label::ActiveModel {
        instance_id: Set(inst.id),
        name: Set("gems_alertname".into()),
        value: Set(name.into()),
    }
    .insert(&w.app.db)
    .await
    .unwrap();
    alert_notification::ActiveModel {
        instance_id: Set(inst.id),
        tenant_id: Set(Some(env.tenant)),
        project_id: Set(Some(env.project)),
        status: Set(status.into()),
        starts_at: Set(received),
        ends_at: Set(0),
        message: Set(format!("{name} {status}")),
        value: Set(String::new()),
        received_at: Set(received),
        ..Default::default()
    }
    .insert(&w.app.db)
    .await
    .unwrap();
}

/// Fixture around midnight. UTC instants (2026-11-24 .. 26):
///   A 11-24 20:00  B 11-25 15:30  C 11-25 16:30  D 11-25 23:30  E 11-26 04:00  F 11-26 06:00
/// Shanghai (+8) days: A→25, B→25, C→26, D→26, E→26, F→26.
/// New York (−5) days: A→24, B→25, C→25, D→25, E→25 (23:00), F→26 (01:00).
/// "Now" is 11-26 07:00 UTC: Shanghai 11-26 15:00, New York 11-26 02:00.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overview_numbers_follow_the_time_zone() {
    const D25: i64 = 1_795_564_800; // 2026-11-25T00:00:00Z
    let h = |d: i64, hh: i64, mm: i64| d + hh * 3600 + mm * 60;
    for backend in common::backends() {
        let w = world(backend).await;
        let fixture = [
            ("cpu-high", "firing", h(D25, -4, 0)),    // A
            ("cpu-high", "resolved", h(D25, 15, 30)), // B
            ("cpu-high", "firing", h(D25, 16, 30)),   // C
            ("disk-full", "firing", h(D25, 23, 30)),  // D
            ("disk-full", "resolved", h(D25, 28, 0)), // E
            ("mem-high", "firing", h(D25, 30, 0)),    // F
        ];
        for (name, status, t) in fixture {
            at(&w, &w.shop, name, status, t).await;
        }
        // Another tenant's alert never counts for the shop.
        at(&w, &w.db, "other", "firing", h(D25, 30, 0)).await;
        let now = h(D25, 31, 0);
        let q = |tz: &str| app::model::OverviewQuery {
            tenant_id: Some(w.shop.tenant),
            from: h(D25, -24, 0),
            to: now,
            time_zone: tz.into(),
        };
        let sh = server::alerts::overview::overview(
            &w.app.db,
            Some(w.shop.tenant),
            &q("Asia/Shanghai"),
            now,
        )
        .await
        .unwrap();
        // Shanghai today (26th): C, D, E, F = 3 firing + 1 resolved; yesterday (25th): A, B.
        assert_eq!((sh.total.today, sh.total.yesterday), (4, 2), "[{backend}]");
        assert_eq!((sh.firing.today, sh.firing.yesterday), (3, 1));
        assert_eq!((sh.resolved.today, sh.resolved.yesterday), (1, 1));
        assert_eq!(sh.total.change, Some(100.0));
        assert_eq!(sh.firing.change, Some(200.0));
        assert_eq!(sh.resolved.change, Some(0.0));
        let days: Vec<&str> = sh.days.iter().map(|d| d.1.as_str()).collect();
        assert_eq!(
            days,
            ["2026-11-24", "2026-11-25", "2026-11-26"],
            "[{backend}]"
        );
        assert_eq!(sh.trend.len(), 1);
        assert_eq!(sh.trend[0].name, "p");
        assert_eq!(sh.trend[0].counts, [0, 2, 4], "[{backend}]");

        let ny = server::alerts::overview::overview(
            &w.app.db,
            Some(w.shop.tenant),
            &q("America/New_York"),
            now,
        )
        .await
        .unwrap();
        // New York today (26th): F; yesterday (25th): B, C, D, E (2 firing, 2 resolved).
        assert_eq!((ny.total.today, ny.total.yesterday), (1, 4), "[{backend}]");
        assert_eq!((ny.firing.today, ny.firing.yesterday), (1, 2));
        assert_eq!((ny.resolved.today, ny.resolved.yesterday), (0, 2));
        assert_eq!(ny.total.change, Some(-75.0));
        assert_eq!(ny.resolved.change, Some(-100.0));
        // The range starts at 11-24 00:00 UTC, which is still the 23rd in New York.
        let days: Vec<&str> = ny.days.iter().map(|d| d.1.as_str()).collect();
        assert_eq!(
            days,
            ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26"]
        );
        assert_eq!(ny.trend[0].counts, [0, 1, 4, 1], "[{backend}]");
        assert_eq!(
            ny.top_alerts,
            [
                ("cpu-high".to_string(), 3),
                ("disk-full".to_string(), 2),
                ("mem-high".to_string(), 1)
            ]
        );
        assert_eq!(ny.top_projects, [("p".to_string(), 6)]);
        // Yesterday empty and today not: "new" (no percentage).
        let fresh =
            server::alerts::overview::overview(&w.app.db, Some(w.db.tenant), &q("UTC"), now)
                .await
                .unwrap();
        assert_eq!(
            (fresh.total.today, fresh.total.yesterday, fresh.total.change),
            (1, 0, None)
        );
        // Through the API, with a zone the caller's browser names.
        let api = w
            .app
            .ok(
                "/api/alerts/overview",
                json!({"query": {"tenant_id": w.shop.tenant, "from": h(D25, -24, 0), "to": h(D25, 30, 0), "time_zone": "Asia/Shanghai"}}),
                Auth::Cookie(&w.alice),
            )
            .await;
        assert_eq!(api["time_zone"], "Asia/Shanghai");
        let bad = w
            .app
            .call(
                "/api/alerts/overview",
                json!({"query": {"tenant_id": w.shop.tenant, "from": 0, "to": 0, "time_zone": "Mars/Base"}}),
                Auth::Cookie(&w.alice),
            )
            .await;
        assert_eq!(bad.status, 422);
        assert!(
            bad.body["message"]
                .as_str()
                .unwrap()
                .starts_with("time_zone:")
        );

        // Archive everything received before the 25th (UTC): only A goes.
        let dir = tempfile::tempdir().unwrap();
        let before = alert_notification::Entity::find()
            .count(&w.app.db)
            .await
            .unwrap();
        let done = server::alerts::archive::archive(&w.app.db, dir.path(), D25)
            .await
            .unwrap();
        assert_eq!(done.notifications, 1, "[{backend}]");
        assert_eq!(done.instances, 1, "[{backend}]");
        let after = alert_notification::Entity::find()
            .count(&w.app.db)
            .await
            .unwrap();
        assert_eq!(after, before - 1);
        let csv =
            std::fs::read_to_string(dir.path().join("archive/alert-notifications.2026-11.csv"))
                .unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 2, "{csv}");
        assert!(lines[0].starts_with("id,received_at,status,"));
        assert!(lines[1].contains(",2026-11-24T20:00:00Z,firing,"), "{csv}");
        assert!(lines[1].contains("cpu-high"), "{csv}");
        // Archiving again finds nothing; a later cutoff appends to the same file.
        assert_eq!(
            server::alerts::archive::archive(&w.app.db, dir.path(), D25)
                .await
                .unwrap()
                .notifications,
            0
        );
        let later = server::alerts::archive::archive(&w.app.db, dir.path(), h(D25, 16, 0))
            .await
            .unwrap();
        assert_eq!(later.notifications, 1);
        let csv =
            std::fs::read_to_string(dir.path().join("archive/alert-notifications.2026-11.csv"))
                .unwrap();
        assert_eq!(csv.lines().count(), 3, "one header, two rows");
        assert_eq!(
            inbox_item::Entity::find().count(&w.app.db).await.unwrap(),
            0
        );
        w.app.cleanup().await;
    }
}

/// Alertmanager may post several groups at once that bring the same new alerts: every webhook is
/// stored, each alert once, and no notification is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_webhooks_store_everything_once() {
    for backend in common::backends() {
        let w = std::sync::Arc::new(world(backend).await);
        let alerts: Vec<Value> = (0..20)
            .map(|i| {
                alert(
                    "burst",
                    "shop",
                    &format!("web-{i}"),
                    "firing",
                    "2026-11-25T10:00:00Z",
                )
            })
            .collect();
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (w, alerts) = (w.clone(), alerts.clone());
            tasks.push(tokio::spawn(async move {
                w.app
                    .call(&w.url, json!({"alerts": alerts}), Auth::None)
                    .await
            }));
        }
        for t in tasks {
            let r = t.await.unwrap();
            assert_eq!(r.status, 200, "[{backend}] {}", r.body);
        }
        let instances = alert_instance::Entity::find()
            .count(&w.app.db)
            .await
            .unwrap();
        let notes = alert_notification::Entity::find()
            .count(&w.app.db)
            .await
            .unwrap();
        let labels = alert_label::Entity::find().count(&w.app.db).await.unwrap();
        assert_eq!((instances, notes, labels), (20, 160, 20 * 5), "[{backend}]");
        // Alice is the only member of the shop's tenant.
        let inbox = inbox_item::Entity::find().count(&w.app.db).await.unwrap();
        assert_eq!(inbox, 160, "[{backend}]");
        match std::sync::Arc::try_unwrap(w) {
            Ok(w) => w.app.cleanup().await,
            Err(_) => panic!("world still shared"),
        }
    }
}
