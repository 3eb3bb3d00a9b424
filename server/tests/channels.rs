//! Alert channels end to end: every vendor's delivery against local stand-ins that check the
//! vendors' signatures (testkit `sinks`), the delivery log and retries, masked secrets, tenant
//! isolation, the outbound address guard, and a real Alertmanager posting to the notify endpoint.

mod common;

use std::time::{Duration, Instant};

use common::real::RealStack;
use common::{ADMIN_PW, Auth, Backend, TestApp};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

struct Setup {
    app: TestApp,
    admin: String,
    alice: String,
    tenant: i64,
    sink: String,
    smtp_port: u16,
    sinks: testkit::sinks::Shared,
}

async fn setup(backend: Backend) -> Setup {
    let (http, smtp, sinks) = testkit::sinks::serve(
        "127.0.0.1:0".parse().unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let sink = format!("http://{http}");
    let aliyun = format!("{sink}/");
    let app = TestApp::start_with(backend, |c| {
        c.notify_allow = "127.0.0.1/32".into();
        c.aliyun_sms_endpoint = Some(aliyun.clone());
        c.aliyun_voice_endpoint = Some(aliyun);
    })
    .await;
    let admin = app.login("admin", ADMIN_PW).await;
    app.create_user(&admin, "alice", "alice-password").await;
    let tenant = app
        .ok(
            "/api/tenants/create",
            json!({"name": "shop-team", "description": ""}),
            Auth::Cookie(&admin),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    app.ok(
        "/api/members/set",
        json!({"tenant_id": tenant, "username": "alice", "role": "admin"}),
        Auth::Cookie(&admin),
    )
    .await;
    let alice = app.login("alice", "alice-password").await;
    Setup {
        app,
        admin,
        alice,
        tenant,
        sink,
        smtp_port: smtp.port(),
        sinks,
    }
}

fn secret(v: &str) -> Value {
    json!({"value": v})
}

impl Setup {
    async fn create(&self, name: &str, config: Value) -> Value {
        self.app
            .ok(
                "/api/channels/create",
                json!({"tenant_id": self.tenant, "channel": {"name": name, "config": config}}),
                Auth::Cookie(&self.alice),
            )
            .await
    }

    async fn test(&self, id: i64) -> Value {
        self.app
            .ok(
                "/api/channels/test",
                json!({"channel_id": id}),
                Auth::Cookie(&self.alice),
            )
            .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_vendor_delivers_through_the_notify_path() {
    for backend in common::backends() {
        let s = setup(backend).await;
        let sink = &s.sink;
        *s.sinks.dingtalk_secret.lock().unwrap() = Some("SECding".into());
        *s.sinks.feishu_secret.lock().unwrap() = Some("fs-secret".into());
        *s.sinks.aliyun_secret.lock().unwrap() = Some("ak-secret".into());

        // A DingTalk channel without URL: refused, naming the field, nothing stored.
        let r = s
            .app
            .call(
                "/api/channels/create",
                json!({"tenant_id": s.tenant, "channel": {"name": "ding", "config": {"type": "dingtalk", "url": {}, "at_mobiles": []}}}),
                Auth::Cookie(&s.alice),
            )
            .await;
        assert_eq!(r.status, 422, "[{backend}] {}", r.body);
        assert_eq!(r.body["field"], "config.url");
        let list = s
            .app
            .ok(
                "/api/channels/list",
                json!({"tenant_id": s.tenant}),
                Auth::Cookie(&s.alice),
            )
            .await;
        assert_eq!(list, json!([]), "[{backend}]");

        let ding_url = format!("{sink}/robot/send?access_token=ding-token-1");
        let ding = s
            .create(
                "ding",
                json!({"type": "dingtalk", "url": secret(&ding_url), "at_mobiles": ["13800000000"], "sign_secret": secret("SECding")}),
            )
            .await;
        let feishu = s
            .create(
                "feishu",
                json!({"type": "feishu", "url": secret(&format!("{sink}/open-apis/bot/v2/hook/fs-token")), "at": ["all"], "sign_secret": secret("fs-secret")}),
            )
            .await;
        let wecom = s
            .create(
                "wecom",
                json!({"type": "wecom", "url": secret(&format!("{sink}/cgi-bin/webhook/send?key=wc-key")), "mentioned": ["zhangsan"]}),
            )
            .await;
        let hook = s
            .create("hook", json!({"type": "webhook", "url": secret(&format!("{sink}/webhook/alerts?token=hook-token"))}))
            .await;
        let sms = s
            .create(
                "sms",
                json!({"type": "aliyun_sms", "access_key_id": "LTAIsink", "access_key_secret": secret("ak-secret"),
                    "phone_numbers": ["13800000000", "13900000000"], "sign_name": "Gemscope", "template_code": "SMS_100"}),
            )
            .await;
        let voice = s
            .create(
                "voice",
                json!({"type": "aliyun_voice", "access_key_id": "LTAIsink", "access_key_secret": secret("ak-secret"),
                    "called_number": "13800000000", "tts_code": "TTS_200"}),
            )
            .await;
        let mail = s
            .create(
                "mail",
                json!({"type": "email", "smtp_host": "127.0.0.1", "smtp_port": s.smtp_port, "tls": "none",
                    "from": "gemscope@example.com", "to": ["ops@example.com", "dev@example.com"]}),
            )
            .await;

        // Secrets never come back: not in create answers, not in the list.
        let list = s
            .app
            .ok(
                "/api/channels/list",
                json!({"tenant_id": s.tenant}),
                Auth::Cookie(&s.alice),
            )
            .await;
        let text = format!("{list}{ding}{feishu}{sms}");
        for leaked in [
            "ding-token-1",
            "SECding",
            "fs-token",
            "fs-secret",
            "wc-key",
            "hook-token",
            "ak-secret",
        ] {
            assert!(
                !text.contains(leaked),
                "[{backend}] {leaked} leaked: {text}"
            );
        }
        assert_eq!(ding["config"]["url"]["set"], true);
        assert_eq!(ding["config"]["url"]["hint"], "http://127.0.0.1/••••");
        assert_eq!(list.as_array().unwrap().len(), 7);

        for c in [&ding, &feishu, &wecom, &hook, &sms, &voice, &mail] {
            let d = s.test(c["id"].as_i64().unwrap()).await;
            assert_eq!(d["ok"], true, "[{backend}] {}: {d}", c["name"]);
            assert_eq!(d["test"], true);
            assert_eq!(d["attempts"], 1);
        }
        let one = |vendor: &str| {
            let r = s.sinks.received(vendor);
            assert_eq!(r.len(), 1, "[{backend}] {vendor}: {r:?}");
            r[0].clone()
        };
        let d = one("dingtalk");
        assert_eq!(d.query["access_token"], "ding-token-1");
        assert!(d.query.contains_key("sign") && d.query.contains_key("timestamp"));
        assert_eq!(d.json["msgtype"], "markdown");
        assert_eq!(
            d.json["markdown"]["title"],
            "[Gemscope] FIRING GemscopeTestAlert"
        );
        assert!(
            d.json["markdown"]["text"]
                .as_str()
                .unwrap()
                .ends_with("@13800000000")
        );
        assert_eq!(d.json["at"]["atMobiles"], json!(["13800000000"]));
        let f = one("feishu");
        assert_eq!(
            f.json["card"]["header"]["title"]["content"],
            "[Gemscope] FIRING GemscopeTestAlert"
        );
        assert!(
            f.json["card"]["elements"][0]["text"]["content"]
                .as_str()
                .unwrap()
                .contains("<at id=all></at>")
        );
        let w = one("wecom");
        assert!(
            w.json["markdown"]["content"]
                .as_str()
                .unwrap()
                .contains("<@zhangsan>")
        );
        let h = one("webhook");
        assert_eq!(h.path, "/webhook/alerts");
        assert_eq!(
            h.json["alerts"][0]["labels"]["alertname"],
            "GemscopeTestAlert"
        );
        assert_eq!(h.json["status"], "firing");
        let ali = s.sinks.received("aliyun");
        assert_eq!(ali.len(), 2);
        assert_eq!(ali[0].json["Action"], "SendSms");
        assert_eq!(ali[0].json["PhoneNumbers"], "13800000000,13900000000");
        assert_eq!(ali[0].json["TemplateCode"], "SMS_100");
        let param: Value =
            serde_json::from_str(ali[0].json["TemplateParam"].as_str().unwrap()).unwrap();
        assert_eq!(param["alert"], "GemscopeTestAlert");
        assert_eq!(param["number"], "1");
        assert_eq!(ali[1].json["Action"], "SingleCallByTts");
        assert_eq!(ali[1].json["TtsCode"], "TTS_200");
        let mails = s.sinks.mails.lock().unwrap().clone();
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].to, ["ops@example.com", "dev@example.com"]);
        assert!(
            mails[0]
                .data
                .contains("Subject: [Gemscope] FIRING GemscopeTestAlert"),
            "{}",
            mails[0].data
        );
        assert!(mails[0].data.contains("text/html"));

        // A sign secret the vendor does not know: the vendor's refusal is shown, not retried.
        *s.sinks.dingtalk_secret.lock().unwrap() = Some("SECother".into());
        let ding_id = ding["id"].as_i64().unwrap();
        let d = s.test(ding_id).await;
        assert_eq!(d["ok"], false);
        assert_eq!(d["upstream"], "HTTP 200, errcode 310000");
        assert_eq!(d["error"], "sign not match");
        assert_eq!(d["attempts"], 1);

        // Updating without secrets keeps them; with the vendor back in sync, delivery works.
        *s.sinks.dingtalk_secret.lock().unwrap() = Some("SECding".into());
        let mut update = ding["config"].clone();
        update["at_mobiles"] = json!([]);
        s.app
            .ok(
                "/api/channels/update",
                json!({"channel_id": ding_id, "channel": {"name": "ding", "config": update}}),
                Auth::Cookie(&s.alice),
            )
            .await;
        assert_eq!(s.test(ding_id).await["ok"], true, "[{backend}]");
        assert_eq!(
            s.sinks.received("dingtalk").last().unwrap().query["access_token"],
            "ding-token-1"
        );

        // A vendor that is briefly overloaded gets another attempt.
        s.sinks
            .fail_next
            .store(1, std::sync::atomic::Ordering::SeqCst);
        let d = s.test(hook["id"].as_i64().unwrap()).await;
        assert_eq!(d["ok"], true, "{d}");
        assert_eq!(d["attempts"], 2);

        // The delivery log, newest first.
        let log = s
            .app
            .ok(
                "/api/channels/deliveries",
                json!({"channel_id": ding_id}),
                Auth::Cookie(&s.alice),
            )
            .await;
        let oks: Vec<bool> = log
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["ok"].as_bool().unwrap())
            .collect();
        assert_eq!(oks, [true, false, true]);
        assert!(log[0]["latency_ms"].as_u64().is_some());

        // Another tenant does not see the channel; a member who is not admin cannot change it.
        s.app
            .create_user(&s.admin, "mallory", "mallory-password")
            .await;
        let other = s
            .app
            .ok(
                "/api/tenants/create",
                json!({"name": "other-team", "description": ""}),
                Auth::Cookie(&s.admin),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        s.app
            .ok(
                "/api/members/set",
                json!({"tenant_id": other, "username": "mallory", "role": "admin"}),
                Auth::Cookie(&s.admin),
            )
            .await;
        let mallory = s.app.login("mallory", "mallory-password").await;
        for path in [
            "/api/channels/test",
            "/api/channels/delete",
            "/api/channels/deliveries",
        ] {
            let r = s
                .app
                .call(path, json!({"channel_id": ding_id}), Auth::Cookie(&mallory))
                .await;
            assert_eq!(r.status, 404, "[{backend}] {path}: {}", r.body);
        }
        let r = s
            .app
            .call(
                "/api/channels/list",
                json!({"tenant_id": s.tenant}),
                Auth::Cookie(&mallory),
            )
            .await;
        assert_eq!(r.status, 404);

        // The notify endpoint itself refuses a wrong token.
        let r = s
            .app
            .call(
                &format!("/api/notify/{ding_id}/not-the-token-000000000"),
                json!({"alerts": []}),
                Auth::None,
            )
            .await;
        assert_eq!(r.status, 401, "{}", r.body);

        s.app
            .ok(
                "/api/channels/delete",
                json!({"channel_id": ding_id}),
                Auth::Cookie(&s.alice),
            )
            .await;
        s.app.cleanup().await;
    }
}

/// Without an allow-list, internal and metadata addresses are refused when delivering, in any
/// spelling and through names that resolve to them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_addresses_are_refused_without_an_allow_list() {
    let (http, _, sinks) = testkit::sinks::serve(
        "127.0.0.1:0".parse().unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let app = TestApp::start(Backend::Sqlite).await;
    let admin = app.login("admin", ADMIN_PW).await;
    for (i, url) in [
        format!("http://{http}/webhook/x"),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        format!("http://localhost:{}/webhook/x", http.port()),
        format!("http://2130706433:{}/webhook/x", http.port()),
        "http://[::ffff:127.0.0.1]/webhook/x".to_string(),
    ]
    .into_iter()
    .enumerate()
    {
        let c = app
            .ok(
                "/api/channels/create",
                json!({"tenant_id": null, "channel": {"name": format!("c{i}"), "config": {"type": "webhook", "url": {"value": url}}}}),
                Auth::Cookie(&admin),
            )
            .await;
        let d = app
            .ok(
                "/api/channels/test",
                json!({"channel_id": c["id"]}),
                Auth::Cookie(&admin),
            )
            .await;
        assert_eq!(d["ok"], false, "{url}: {d}");
        assert!(
            d["error"].as_str().unwrap().contains("refused"),
            "{url}: {d}"
        );
        assert_eq!(d["attempts"], 1, "a refusal is not retried");
    }
    assert!(sinks.received("webhook").is_empty());
}

/// A real Alertmanager, configured through the standalone backend with the receiver Gemscope
/// renders, posts a real alert to the notify endpoint, and the vendor receives it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_alertmanager_delivers_through_gemscope() {
    let Some(stack) = RealStack::start() else {
        return;
    };
    let s = setup(Backend::Sqlite).await;
    let base = s.app.listen().await;
    let c = s
        .create("hook", json!({"type": "webhook", "url": secret(&format!("{}/webhook/am?token=hook-token", s.sink))}))
        .await;
    let row = server::db::entities::channel::Entity::find_by_id(c["id"].as_i64().unwrap())
        .one(&s.app.db)
        .await
        .unwrap()
        .unwrap();
    let receiver = s.app.state.notifier.receiver(&base, &row);
    let mut global = app::domain::am_config::global_spec();
    if let Some(route) = global.route.as_mut() {
        route.receiver = receiver.name.clone();
        route.group_wait = Some("1s".into());
    }
    global.receivers.push(receiver);
    let yaml = app::domain::am_config::merge(&global, &[]).unwrap();
    assert!(
        !yaml.contains("hook-token"),
        "no channel secret in the cluster's config:\n{yaml}"
    );
    let path = stack.dir.path().join("alertmanager.yml");
    server::clusters::standalone::apply_file(
        &reqwest::Client::new(),
        &path,
        &yaml,
        Some(&stack.alertmanager_url),
    )
    .await
    .unwrap();
    let alert = json!([{"labels": {"alertname": "DiskFull", "gems_alertname": "DiskFull", "gems_namespace": "shop", "severity": "critical"},
        "annotations": {"message": "disk 95% full"}}]);
    let r = reqwest::Client::new()
        .post(format!("{}/api/v2/alerts", stack.alertmanager_url))
        .json(&alert)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = s.sinks.received("webhook");
        if let Some(h) = got.first() {
            assert_eq!(h.path, "/webhook/am");
            assert_eq!(h.json["alerts"][0]["labels"]["alertname"], "DiskFull");
            assert_eq!(h.json["receiver"], format!("gemscope-channel-{}", c["id"]));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Alertmanager never delivered through Gemscope"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let log = s
        .app
        .ok(
            "/api/channels/deliveries",
            json!({"channel_id": c["id"]}),
            Auth::Cookie(&s.alice),
        )
        .await;
    assert_eq!(log[0]["ok"], true);
    assert_eq!(log[0]["test"], false);
    assert!(
        log[0]["group"].as_str().unwrap().contains("DiskFull"),
        "{log}"
    );
}

/// The history receiver keeps one instance per alert under the tenant whose environment holds its
/// namespace, and one notification per alert in every webhook (repeats included); a wrong token
/// stores nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alert_history_is_stored_per_tenant() {
    use server::db::entities::{alert_instance, alert_label, alert_notification};
    for backend in common::backends() {
        let app = TestApp::start(backend).await;
        let admin = app.login("admin", ADMIN_PW).await;
        app.create_user(&admin, "alice", "alice-password").await;
        app.create_user(&admin, "bob", "bob-password").await;
        let cluster = app
            .standalone_cluster(&admin, "vm", "http://127.0.0.1:9")
            .await;
        let other = app
            .standalone_cluster(&admin, "vm2", "http://127.0.0.1:9")
            .await;
        let shop = app
            .environment(&admin, "shop-team", ("alice", "viewer"), cluster, "shop")
            .await;
        let db = app
            .environment(&admin, "db-team", ("bob", "viewer"), cluster, "db")
            .await;
        let receiver = server::channels::history::receiver(
            &app.state.notifier.secrets,
            "",
            common::system_history(cluster),
        );
        let url = receiver.webhook_configs[0].url.clone();
        assert!(url.starts_with(&format!(
            "/api/alertmanager/webhook?cluster={cluster}&namespace=kubegems-monitoring&token="
        )));
        let alert = |name: &str, ns: &str, status: &str, fp: &str| {
            json!({"status": status, "labels": {"alertname": name, "gems_namespace": ns, "severity": "error"},
                "annotations": {"message": format!("{name} in {ns}"), "value": "97"},
                "startsAt": "2026-11-25T10:00:00Z", "endsAt": if status == "resolved" { "2026-11-25T10:05:00Z" } else { "0001-01-01T00:00:00Z" },
                "fingerprint": fp})
        };
        let payload = json!({"version": "4", "status": "firing", "receiver": "gemscope-history", "groupKey": "{}:{}",
            "alerts": [alert("CpuHigh", "shop", "firing", "aaaa000000000001"), alert("DiskFull", "db", "firing", "bbbb000000000002"),
                       alert("Orphan", "nowhere", "firing", "cccc000000000003")]});
        let first = app.call(&url, payload.clone(), Auth::None).await;
        assert_eq!(first.status, 200, "[{backend}] {}", first.body);
        assert_eq!(first.body["alerts"], 3, "[{backend}]");
        assert_eq!(first.body["new_alerts"], 3, "[{backend}]");
        // Alertmanager repeating the notification: a repeat of known alerts.
        let again = app.call(&url, payload.clone(), Auth::None).await;
        assert_eq!(again.body["new_alerts"], 0, "[{backend}] {}", again.body);
        let resolved = json!({"status": "resolved", "alerts": [alert("CpuHigh", "shop", "resolved", "aaaa000000000001")]});
        let r = app.call(&url, resolved, Auth::None).await;
        assert_eq!(r.body["alerts"], 1, "[{backend}] {}", r.body);
        // The same fingerprint from another cluster is another alert (KubeGems keyed by
        // fingerprint alone, §12.16).
        let other_url = server::channels::history::receiver(
            &app.state.notifier.secrets,
            "",
            common::system_history(other),
        )
        .webhook_configs[0]
            .url
            .clone();
        let o = app
            .call(
                &other_url,
                json!({"alerts": [alert("CpuHigh", "shop", "firing", "aaaa000000000001")]}),
                Auth::None,
            )
            .await;
        assert_eq!(o.body["new_alerts"], 1, "[{backend}] {}", o.body);
        let bad = app
            .call(
                &format!("/api/alertmanager/webhook?cluster={cluster}&token=wrong-token-000000000"),
                payload,
                Auth::None,
            )
            .await;
        assert_eq!(bad.status, 401, "[{backend}]");

        let infos = alert_instance::Entity::find().all(&app.db).await.unwrap();
        assert_eq!(infos.len(), 4, "[{backend}]");
        let info = |fp: &str| {
            infos
                .iter()
                .find(|i| i.fingerprint == fp && i.cluster_id == cluster)
                .unwrap()
        };
        assert_eq!(info("aaaa000000000001").tenant_id, Some(shop.tenant));
        assert_eq!(
            info("aaaa000000000001").environment_id,
            Some(shop.environment)
        );
        assert_eq!(info("aaaa000000000001").project_id, Some(shop.project));
        assert_eq!(info("aaaa000000000001").alert_name, "CpuHigh");
        assert_eq!(info("bbbb000000000002").tenant_id, Some(db.tenant));
        assert_eq!(info("cccc000000000003").tenant_id, None);
        let labels = alert_label::Entity::find().all(&app.db).await.unwrap();
        assert_eq!(labels.len(), 4 * 3, "[{backend}] three labels per alert");
        let messages = alert_notification::Entity::find()
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(messages.len(), 3 + 3 + 1 + 1, "[{backend}]");
        let cpu = info("aaaa000000000001").id;
        let of_cpu: Vec<&str> = messages
            .iter()
            .filter(|m| m.instance_id == cpu)
            .map(|m| m.status.as_str())
            .collect();
        assert_eq!(of_cpu, ["firing", "firing", "resolved"], "[{backend}]");
        assert!(messages.iter().all(|m| m.value == "97"));
        app.cleanup().await;
    }
}
