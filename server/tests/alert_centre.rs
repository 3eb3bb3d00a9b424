//! The alert centre on every database: episodes and their notifications, search filters, the
//! overview numbers against hand-computed figures across midnight in two time zones, the
//! message centre's fan-out per role, tenant isolation, and the archive.

mod common;

use app::api::alerts::{
    AlertOverview, EpisodeNotifications, ListMessages, MarkMessagesRead, RuleEpisodes,
    SearchHistory, UnreadMessages,
};
use app::model::{EpisodeFilter, HistorySearch, OverviewQuery, RuleScope};
use common::{ADMIN_PW, Auth, Reply, TestApp};
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

/// When the episodes start: 10:00 and 11:00 UTC on 25 November 2026.
const A: i64 = 1_795_600_800;
const B: i64 = 1_795_604_400;

impl World {
    /// Posts to the history receiver (Alertmanager's webhook, not a server function).
    async fn send(&self, alerts: Vec<Value>) {
        let r = self
            .app
            .call(&self.url, json!({"alerts": alerts}), Auth::None)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }

    /// The shop's web-1: one episode notified twice then resolved; web-2: two episodes; one
    /// alert of the db and one of the monitoring namespace. Seven notifications.
    async fn history(&self) {
        let (a, b) = ("2026-11-25T10:00:00Z", "2026-11-25T11:00:00Z");
        self.send(vec![
            alert("cpu-high", "shop", "web-1", "firing", a),
            alert("cpu-high", "shop", "web-2", "firing", a),
        ])
        .await;
        self.send(vec![alert("cpu-high", "shop", "web-1", "firing", a)])
            .await;
        self.send(vec![
            alert("cpu-high", "shop", "web-1", "resolved", a),
            alert("cpu-high", "shop", "web-2", "firing", b),
            alert("disk-full", "db", "pg-0", "firing", a),
            alert("node-down", "kubegems-monitoring", "n1", "firing", a),
        ])
        .await;
    }

    fn shop_scope(&self) -> RuleScope {
        RuleScope::Environment(self.shop.environment)
    }

    async fn episodes(&self, who: &str, filter: EpisodeFilter) -> Reply {
        let episodes = RuleEpisodes {
            scope: self.shop_scope(),
            rule: "cpu-high".into(),
            filter,
        };
        self.app.fun(episodes, Auth::Cookie(who)).await
    }

    async fn search(&self, who: &str, search: HistorySearch) -> Reply {
        self.app
            .fun(SearchHistory { search }, Auth::Cookie(who))
            .await
    }

    fn in_shop(&self) -> HistorySearch {
        HistorySearch {
            tenant_id: Some(self.shop.tenant),
            ..Default::default()
        }
    }

    async fn unread(&self, who: &str) -> Value {
        self.app.fun_ok(UnreadMessages {}, Auth::Cookie(who)).await
    }

    async fn read(&self, who: &str, ids: Vec<i64>) -> Value {
        self.app
            .fun_ok(MarkMessagesRead { ids }, Auth::Cookie(who))
            .await
    }
}

fn rows(r: &Reply) -> usize {
    r.body["rows"].as_array().map(Vec::len).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_episode_is_an_alert_from_its_start_counting_its_notifications() {
    for backend in common::backends() {
        let w = world(backend).await;
        w.history().await;
        let page = w.episodes(&w.alice, EpisodeFilter::default()).await.body;
        let eps = page["episodes"].as_array().cloned().unwrap_or_default();
        assert_eq!(eps.len(), 3, "[{backend}] {page}");
        let find = |pod: &str, start: i64| {
            eps.iter()
                .find(|e| e["labels"]["pod"] == pod && e["starts_at"] == start)
                .unwrap_or_else(|| panic!("[{backend}] no episode {pod}@{start} in {page}"))
        };
        let web1 = find("web-1", A);
        assert_eq!(web1["count"], 3, "[{backend}]");
        assert_eq!(web1["status"], "resolved", "[{backend}] resolved wins");
        assert_eq!(web1["ends_at"], 1_795_602_600);
        assert_eq!(find("web-2", A)["count"], 1);
        assert_eq!(find("web-2", B)["status"], "firing");
        let resolved = EpisodeFilter {
            status: "resolved".into(),
            ..Default::default()
        };
        let only_resolved = w.episodes(&w.alice, resolved).await.body;
        assert_eq!(only_resolved["episodes"].as_array().map(Vec::len), Some(1));
        w.app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_episodes_notifications_come_newest_first_with_where_they_came_from() {
    for backend in common::backends() {
        let w = world(backend).await;
        w.history().await;
        let page = w.episodes(&w.alice, EpisodeFilter::default()).await.body;
        let web1 = page["episodes"]
            .as_array()
            .and_then(|e| e.iter().find(|e| e["labels"]["pod"] == "web-1"))
            .expect("web-1's episode")
            .clone();
        let notes = EpisodeNotifications {
            scope: w.shop_scope(),
            instance_id: web1["instance_id"].as_i64().expect("instance id"),
            starts_at: A,
            page: 1,
        };
        let notes = w.app.fun_ok(notes, Auth::Cookie(&w.alice)).await;
        let statuses: Vec<&str> = notes["rows"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["status"].as_str())
            .collect();
        assert_eq!(statuses, ["resolved", "firing", "firing"], "[{backend}]");
        assert_eq!(notes["rows"][0]["environment"], "prod");
        assert_eq!(notes["rows"][0]["project"], "p");
        assert_eq!(notes["rows"][0]["cluster"], "vm");
        w.app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenant_reads_nothing_of_a_namespaces_history() {
    for backend in common::backends() {
        let w = world(backend).await;
        w.history().await;
        let denied = w.episodes(&w.bob, EpisodeFilter::default()).await;
        assert_eq!(denied.status, 404, "[{backend}] {}", denied.body);
        let page = w.episodes(&w.alice, EpisodeFilter::default()).await.body;
        let instance_id = page["episodes"][0]["instance_id"]
            .as_i64()
            .expect("instance id");
        // The shop's instance asked for through bob's own environment.
        let sneaky = EpisodeNotifications {
            scope: RuleScope::Environment(w.db.environment),
            instance_id,
            starts_at: A,
            page: 1,
        };
        let sneaky = w.app.fun(sneaky, Auth::Cookie(&w.bob)).await;
        assert_eq!(
            sneaky.body["rows"],
            json!([]),
            "[{backend}] {}",
            sneaky.body
        );
        assert_eq!(w.search(&w.bob, w.in_shop()).await.status, 404);
        let by_env = HistorySearch {
            environment_id: Some(w.shop.environment),
            ..Default::default()
        };
        assert_eq!(w.search(&w.bob, by_env).await.status, 404);
        let overview = OverviewQuery {
            tenant_id: Some(w.shop.tenant),
            ..Default::default()
        };
        let overview = w
            .app
            .fun(AlertOverview { query: overview }, Auth::Cookie(&w.bob))
            .await;
        assert_eq!(overview.status, 404, "[{backend}]");
        w.app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_search_filters_by_labels_text_status_place_time_and_pages() {
    for backend in common::backends() {
        let w = world(backend).await;
        w.history().await;
        let shop = || w.in_shop();
        let text = |t: &str| HistorySearch {
            text: t.into(),
            ..shop()
        };
        let cases = [
            (shop(), 5),
            (text("pod=web-2"), 2),
            (text("pod=web-2 severity=error"), 2),
            (text("pod=web-9"), 0),
            (text("OVER web-1"), 3),
            (
                HistorySearch {
                    status: "resolved".into(),
                    ..shop()
                },
                1,
            ),
            (
                HistorySearch {
                    alert_name: "cpu".into(),
                    ..shop()
                },
                5,
            ),
            (
                HistorySearch {
                    alert_name: "disk".into(),
                    ..shop()
                },
                0,
            ),
            (
                HistorySearch {
                    project_id: Some(w.shop.project),
                    ..shop()
                },
                5,
            ),
            (
                HistorySearch {
                    environment_id: Some(w.shop.environment),
                    namespace: "shop".into(),
                    ..shop()
                },
                5,
            ),
            (
                HistorySearch {
                    cluster_id: Some(w.cluster),
                    ..shop()
                },
                5,
            ),
            (
                HistorySearch {
                    cluster_id: Some(w.cluster + 100),
                    ..shop()
                },
                0,
            ),
            (HistorySearch { from: 1, ..shop() }, 5),
            (HistorySearch { to: 1, ..shop() }, 0),
            (
                HistorySearch {
                    page_size: 2,
                    ..shop()
                },
                2,
            ),
        ];
        for (search, n) in cases {
            let what = format!("{search:?}");
            let r = w.search(&w.alice, search).await;
            assert_eq!(r.status, 200, "[{backend}] {what}: {}", r.body);
            assert_eq!(rows(&r), n, "[{backend}] {what}: {}", r.body);
        }
        let paged = HistorySearch {
            page_size: 2,
            page: 3,
            ..shop()
        };
        let paged = w.search(&w.alice, paged).await;
        assert_eq!((rows(&paged), &paged.body["has_more"]), (1, &json!(false)));
        let pending = HistorySearch {
            status: "pending".into(),
            ..shop()
        };
        let bad = w.search(&w.alice, pending).await;
        assert_eq!(bad.status, 422, "[{backend}]");
        let message = bad.body["message"].as_str().unwrap_or_default();
        assert!(message.starts_with("status:"), "{message}");
        w.app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_names_its_tenant_or_environment_unless_a_system_admin_searches_all() {
    for backend in common::backends() {
        let w = world(backend).await;
        w.history().await;
        let db = HistorySearch {
            tenant_id: Some(w.db.tenant),
            ..Default::default()
        };
        assert_eq!(rows(&w.search(&w.bob, db).await), 1);
        assert_eq!(w.search(&w.bob, HistorySearch::default()).await.status, 422);
        // An environment alone names its tenant.
        let by_env = HistorySearch {
            environment_id: Some(w.shop.environment),
            ..Default::default()
        };
        assert_eq!(rows(&w.search(&w.alice, by_env).await), 5);
        let everything = w.search(&w.admin, HistorySearch::default()).await;
        assert_eq!(rows(&everything), 7, "[{backend}]");
        w.app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_message_centre_reaches_each_tenants_members_and_marks_only_ones_own_read() {
    for backend in common::backends() {
        let w = world(backend).await;
        w.history().await;
        // The shop's alerts reach Alice, the db's Bob, the monitoring namespace's the system
        // admins.
        assert_eq!(w.unread(&w.alice).await, 5, "[{backend}]");
        assert_eq!(w.unread(&w.bob).await, 1, "[{backend}]");
        assert_eq!(w.unread(&w.admin).await, 1, "[{backend}]");
        let unread = ListMessages {
            unread_only: true,
            page: 1,
        };
        let inbox = w.app.fun_ok(unread, Auth::Cookie(&w.bob)).await;
        assert_eq!(inbox["items"][0]["alert"]["alert_name"], "disk-full");
        let bobs = inbox["items"][0]["id"].as_i64().expect("item id");
        // Alice marking Bob's item read changes nothing of Bob's.
        assert_eq!(w.read(&w.alice, vec![bobs]).await, 0, "[{backend}]");
        assert_eq!(w.unread(&w.bob).await, 1);
        assert_eq!(w.read(&w.bob, vec![bobs]).await, 1);
        assert_eq!(w.unread(&w.bob).await, 0);
        // No ids: all of one's own.
        assert_eq!(w.read(&w.alice, Vec::new()).await, 5);
        assert_eq!(w.unread(&w.alice).await, 0);
        let all = ListMessages {
            unread_only: false,
            page: 1,
        };
        let all = w.app.fun_ok(all, Auth::Cookie(&w.alice)).await;
        let items = all["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), 5);
        assert!(items.iter().all(|i| i["read"] == true));
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

const D25: i64 = 1_795_564_800; // 2026-11-25T00:00:00Z

/// `hh:mm` after midnight of `d` (hours may run past 24 or below 0).
fn h(d: i64, hh: i64, mm: i64) -> i64 {
    d + hh * 3600 + mm * 60
}

/// "Now" for the overview: 11-26 07:00 UTC, Shanghai 11-26 15:00, New York 11-26 02:00.
const NOW: i64 = D25 + 31 * 3600;

/// Fixture around midnight. UTC instants (2026-11-24 .. 26):
///   A 11-24 20:00  B 11-25 15:30  C 11-25 16:30  D 11-25 23:30  E 11-26 04:00  F 11-26 06:00
/// Shanghai (+8) days: A→25, B→25, C→26, D→26, E→26, F→26.
/// New York (−5) days: A→24, B→25, C→25, D→25, E→25 (23:00), F→26 (01:00).
/// Plus one alert of the db tenant, which never counts for the shop.
async fn midnight(backend: common::Backend) -> World {
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
    at(&w, &w.db, "other", "firing", h(D25, 30, 0)).await;
    w
}

impl World {
    /// The overview of `tenant` from 11-24 00:00 UTC to now, in `tz`.
    async fn overview(&self, tenant: i64, tz: &str) -> app::model::Overview {
        let query = OverviewQuery {
            tenant_id: Some(tenant),
            from: h(D25, -24, 0),
            to: NOW,
            time_zone: tz.into(),
        };
        server::alerts::overview::overview(&self.app.db, Some(tenant), &query, NOW)
            .await
            .expect("the overview")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_counts_days_of_the_callers_time_zone_east_of_utc() {
    for backend in common::backends() {
        let w = midnight(backend).await;
        let sh = w.overview(w.shop.tenant, "Asia/Shanghai").await;
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
        w.app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_counts_days_of_the_callers_time_zone_west_of_utc_with_its_tops() {
    for backend in common::backends() {
        let w = midnight(backend).await;
        let ny = w.overview(w.shop.tenant, "America/New_York").await;
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
        w.app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_after_an_empty_one_is_new_without_a_percentage() {
    for backend in common::backends() {
        let w = midnight(backend).await;
        let fresh = w.overview(w.db.tenant, "UTC").await;
        assert_eq!(
            (fresh.total.today, fresh.total.yesterday, fresh.total.change),
            (1, 0, None),
            "[{backend}]"
        );
        w.app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_api_takes_the_browsers_time_zone_and_refuses_an_unknown_one() {
    let w = midnight(common::Backend::Sqlite).await;
    let query = OverviewQuery {
        tenant_id: Some(w.shop.tenant),
        from: h(D25, -24, 0),
        to: h(D25, 30, 0),
        time_zone: "Asia/Shanghai".into(),
    };
    let api = w
        .app
        .fun_ok(AlertOverview { query }, Auth::Cookie(&w.alice))
        .await;
    assert_eq!(api["time_zone"], "Asia/Shanghai");
    let query = OverviewQuery {
        tenant_id: Some(w.shop.tenant),
        time_zone: "Mars/Base".into(),
        ..Default::default()
    };
    let bad = w
        .app
        .fun(AlertOverview { query }, Auth::Cookie(&w.alice))
        .await;
    assert_eq!(bad.status, 422);
    let message = bad.body["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("time_zone:"), "{message}");
    w.app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_archive_moves_old_notifications_to_a_monthly_csv_once() {
    for backend in common::backends() {
        let w = midnight(backend).await;
        let count = || async {
            alert_notification::Entity::find()
                .count(&w.app.db)
                .await
                .expect("count")
        };
        // Archive everything received before the 25th (UTC): only A goes.
        let dir = tempfile::tempdir().expect("a directory");
        let before = count().await;
        let done = server::alerts::archive::archive(&w.app.db, dir.path(), D25)
            .await
            .expect("archive");
        assert_eq!((done.notifications, done.instances), (1, 1), "[{backend}]");
        assert_eq!(count().await, before - 1);
        let csv_path = dir.path().join("archive/alert-notifications.2026-11.csv");
        let csv = std::fs::read_to_string(&csv_path).expect("the CSV");
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 2, "{csv}");
        assert!(lines[0].starts_with("id,received_at,status,"));
        assert!(lines[1].contains(",2026-11-24T20:00:00Z,firing,"), "{csv}");
        assert!(lines[1].contains("cpu-high"), "{csv}");
        // Archiving again finds nothing; a later cutoff appends to the same file.
        let again = server::alerts::archive::archive(&w.app.db, dir.path(), D25)
            .await
            .expect("archive");
        assert_eq!(again.notifications, 0);
        let later = server::alerts::archive::archive(&w.app.db, dir.path(), h(D25, 16, 0))
            .await
            .expect("archive");
        assert_eq!(later.notifications, 1);
        let csv = std::fs::read_to_string(&csv_path).expect("the CSV");
        assert_eq!(csv.lines().count(), 3, "one header, two rows");
        let inbox = inbox_item::Entity::find()
            .count(&w.app.db)
            .await
            .expect("count");
        assert_eq!(inbox, 0);
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
