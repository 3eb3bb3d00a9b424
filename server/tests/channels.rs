//! Alert channels end to end: every vendor's delivery against local stand-ins that check the
//! vendors' signatures (testkit `sinks`), the delivery log and retries, masked secrets, tenant
//! isolation, the outbound address guard, and a real Alertmanager posting to the notify endpoint.

mod common;

use std::time::{Duration, Instant};

use app::api::channels::{
    ChannelDeliveries, CreateChannel, DeleteChannel, ListChannels, TestChannel, UpdateChannel,
};
use app::api::tenancy::{CreateTenant, SetMember};
use app::model::{ChannelConfig, Role, SecretField, SmtpTls};
use common::real::RealStack;
use common::rules::channel;
use common::{ADMIN_PW, Auth, Backend, Reply, TestApp};
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

impl TestApp {
    /// A tenant `name` with `user` as its admin; returns its id.
    async fn team(&self, admin: &str, name: &str, user: &str) -> i64 {
        let create = CreateTenant {
            name: name.into(),
            description: String::new(),
        };
        let tenant_id = self.fun_ok(create, Auth::Cookie(admin)).await["id"]
            .as_i64()
            .expect("tenant id");
        let set = SetMember {
            tenant_id,
            username: user.into(),
            role: Role::Admin,
        };
        self.fun_ok(set, Auth::Cookie(admin)).await;
        tenant_id
    }
}

async fn setup(backend: Backend) -> Setup {
    let (http, smtp, sinks) = testkit::sinks::serve(
        "127.0.0.1:0".parse().expect("address"),
        "127.0.0.1:0".parse().expect("address"),
    )
    .await
    .expect("the sinks");
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
    let tenant = app.team(&admin, "shop-team", "alice").await;
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

fn secret(v: &str) -> SecretField {
    SecretField::new(v)
}

impl Setup {
    async fn try_create(&self, name: &str, config: ChannelConfig) -> Reply {
        let create = CreateChannel {
            tenant_id: Some(self.tenant),
            channel: channel(name, config),
        };
        self.app.fun(create, Auth::Cookie(&self.alice)).await
    }

    async fn create(&self, name: &str, config: ChannelConfig) -> Value {
        let r = self.try_create(name, config).await;
        assert_eq!(r.status, 200, "[{}] {name}: {}", self.app.backend, r.body);
        r.body
    }

    async fn test(&self, id: i64) -> Value {
        let test = TestChannel { channel_id: id };
        self.app.fun_ok(test, Auth::Cookie(&self.alice)).await
    }

    async fn list(&self) -> Value {
        let list = ListChannels {
            tenant_id: Some(self.tenant),
        };
        self.app.fun_ok(list, Auth::Cookie(&self.alice)).await
    }

    /// A DingTalk robot at the sink that signs with `SECding`.
    async fn dingtalk(&self) -> Value {
        *self.sinks.dingtalk_secret.lock().expect("lock") = Some("SECding".into());
        let url = format!("{}/robot/send?access_token=ding-token-1", self.sink);
        let config = ChannelConfig::Dingtalk {
            url: secret(&url),
            at_mobiles: vec!["13800000000".into()],
            sign_secret: secret("SECding"),
        };
        self.create("ding", config).await
    }

    async fn webhook(&self) -> Value {
        let url = format!("{}/webhook/alerts?token=hook-token", self.sink);
        let config = ChannelConfig::Webhook {
            url: secret(&url),
            insecure_tls: false,
        };
        self.create("hook", config).await
    }

    /// One channel of every kind, each to its stand-in.
    async fn every_vendor(&self) -> Vec<Value> {
        *self.sinks.feishu_secret.lock().expect("lock") = Some("fs-secret".into());
        *self.sinks.aliyun_secret.lock().expect("lock") = Some("ak-secret".into());
        let sink = &self.sink;
        let mut out = vec![self.dingtalk().await, self.webhook().await];
        let configs = [
            (
                "feishu",
                ChannelConfig::Feishu {
                    url: secret(&format!("{sink}/open-apis/bot/v2/hook/fs-token")),
                    at: vec!["all".into()],
                    sign_secret: secret("fs-secret"),
                },
            ),
            (
                "wecom",
                ChannelConfig::Wecom {
                    url: secret(&format!("{sink}/cgi-bin/webhook/send?key=wc-key")),
                    mentioned: vec!["zhangsan".into()],
                },
            ),
            (
                "sms",
                ChannelConfig::AliyunSms {
                    access_key_id: "LTAIsink".into(),
                    access_key_secret: secret("ak-secret"),
                    phone_numbers: vec!["13800000000".into(), "13900000000".into()],
                    sign_name: "Gemscope".into(),
                    template_code: "SMS_100".into(),
                },
            ),
            (
                "voice",
                ChannelConfig::AliyunVoice {
                    access_key_id: "LTAIsink".into(),
                    access_key_secret: secret("ak-secret"),
                    called_number: "13800000000".into(),
                    tts_code: "TTS_200".into(),
                },
            ),
            (
                "mail",
                ChannelConfig::Email {
                    smtp_host: "127.0.0.1".into(),
                    smtp_port: self.smtp_port,
                    tls: SmtpTls::None,
                    from: "gemscope@example.com".into(),
                    to: vec!["ops@example.com".into(), "dev@example.com".into()],
                    username: String::new(),
                    password: SecretField::default(),
                },
            ),
        ];
        for (name, config) in configs {
            out.push(self.create(name, config).await);
        }
        out
    }
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_without_its_url_is_refused_on_the_field_and_nothing_is_stored() {
    for backend in common::backends() {
        let s = setup(backend).await;
        let config = ChannelConfig::Dingtalk {
            url: SecretField::default(),
            at_mobiles: Vec::new(),
            sign_secret: SecretField::default(),
        };
        let r = s.try_create("ding", config).await;
        assert_eq!(r.status, 422, "[{backend}] {}", r.body);
        assert_eq!(r.body["field"], "config.url");
        assert_eq!(s.list().await, json!([]), "[{backend}]");
        s.app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_secrets_never_come_back_and_show_a_masked_hint() {
    for backend in common::backends() {
        let s = setup(backend).await;
        let created = s.every_vendor().await;
        let list = s.list().await;
        assert_eq!(list.as_array().map(Vec::len), Some(7));
        let text = format!("{list}{}", json!(created));
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
        assert_eq!(created[0]["config"]["url"]["set"], true);
        assert_eq!(created[0]["config"]["url"]["hint"], "http://127.0.0.1/••••");
        s.app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_vendor_receives_its_own_signed_message_through_the_notify_path() {
    for backend in common::backends() {
        let s = setup(backend).await;
        for c in s.every_vendor().await {
            let d = s.test(id(&c)).await;
            assert_eq!(d["ok"], true, "[{backend}] {}: {d}", c["name"]);
            assert_eq!(d["test"], true);
            assert_eq!(d["attempts"], 1);
        }
        let one = |vendor: &str| {
            let r = s.sinks.received(vendor);
            assert_eq!(r.len(), 1, "[{backend}] {vendor}: {r:?}");
            r[0].clone()
        };
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let d = one("dingtalk");
        assert_eq!(d.query["access_token"], "ding-token-1");
        assert!(d.query.contains_key("sign") && d.query.contains_key("timestamp"));
        assert_eq!(d.json["msgtype"], "markdown");
        assert_eq!(
            d.json["markdown"]["title"],
            "[Gemscope] FIRING GemscopeTestAlert"
        );
        assert!(text(&d.json["markdown"]["text"]).ends_with("@13800000000"));
        assert_eq!(d.json["at"]["atMobiles"], json!(["13800000000"]));
        let f = one("feishu");
        assert_eq!(
            f.json["card"]["header"]["title"]["content"],
            "[Gemscope] FIRING GemscopeTestAlert"
        );
        let card = text(&f.json["card"]["elements"][0]["text"]["content"]);
        assert!(card.contains("<at id=all></at>"), "{card}");
        let w = one("wecom");
        assert!(text(&w.json["markdown"]["content"]).contains("<@zhangsan>"));
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
            serde_json::from_str(&text(&ali[0].json["TemplateParam"])).expect("JSON");
        assert_eq!(param["alert"], "GemscopeTestAlert");
        assert_eq!(param["number"], "1");
        assert_eq!(ali[1].json["Action"], "SingleCallByTts");
        assert_eq!(ali[1].json["TtsCode"], "TTS_200");
        let mails = s.sinks.mails.lock().expect("lock").clone();
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].to, ["ops@example.com", "dev@example.com"]);
        let data = &mails[0].data;
        assert!(
            data.contains("Subject: [Gemscope] FIRING GemscopeTestAlert"),
            "{data}"
        );
        assert!(data.contains("text/html"));
        s.app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vendors_refusal_is_shown_not_retried_and_kept_in_the_newest_first_log() {
    for backend in common::backends() {
        let s = setup(backend).await;
        let ding = id(&s.dingtalk().await);
        assert_eq!(s.test(ding).await["ok"], true);
        // A sign secret the vendor does not know.
        *s.sinks.dingtalk_secret.lock().expect("lock") = Some("SECother".into());
        let d = s.test(ding).await;
        assert_eq!(d["ok"], false);
        assert_eq!(d["upstream"], "HTTP 200, errcode 310000");
        assert_eq!(d["error"], "sign not match");
        assert_eq!(d["attempts"], 1);
        let deliveries = ChannelDeliveries { channel_id: ding };
        let log = s.app.fun_ok(deliveries, Auth::Cookie(&s.alice)).await;
        let oks: Vec<Option<bool>> = log
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| d["ok"].as_bool())
            .collect();
        assert_eq!(oks, [Some(false), Some(true)], "[{backend}] {log}");
        assert!(log[0]["latency_ms"].as_u64().is_some());
        s.app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_without_secrets_keeps_them() {
    for backend in common::backends() {
        let s = setup(backend).await;
        let ding = s.dingtalk().await;
        // What the page sends back: the masked config, one list changed.
        let mut config: ChannelConfig =
            serde_json::from_value(ding["config"].clone()).expect("a config");
        if let ChannelConfig::Dingtalk { at_mobiles, .. } = &mut config {
            at_mobiles.clear();
        }
        let update = UpdateChannel {
            channel_id: id(&ding),
            channel: channel("ding", config),
        };
        s.app.fun_ok(update, Auth::Cookie(&s.alice)).await;
        assert_eq!(
            s.test(id(&ding)).await["ok"],
            true,
            "[{backend}] still signed"
        );
        let last = s.sinks.received("dingtalk").pop().expect("a delivery");
        assert_eq!(last.query["access_token"], "ding-token-1");
        assert_eq!(last.json["at"]["atMobiles"], json!([]));
        s.app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_briefly_overloaded_vendor_gets_another_attempt() {
    for backend in common::backends() {
        let s = setup(backend).await;
        let hook = id(&s.webhook().await);
        s.sinks
            .fail_next
            .store(1, std::sync::atomic::Ordering::SeqCst);
        let d = s.test(hook).await;
        assert_eq!(d["ok"], true, "[{backend}] {d}");
        assert_eq!(d["attempts"], 2);
        s.app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenant_neither_sees_nor_touches_a_channel() {
    for backend in common::backends() {
        let s = setup(backend).await;
        let ding = id(&s.dingtalk().await);
        s.app
            .create_user(&s.admin, "mallory", "mallory-password")
            .await;
        s.app.team(&s.admin, "other-team", "mallory").await;
        let mallory = s.app.login("mallory", "mallory-password").await;
        let m = || Auth::Cookie(&mallory);
        let answers = [
            (
                "test",
                s.app.fun(TestChannel { channel_id: ding }, m()).await,
            ),
            (
                "delete",
                s.app.fun(DeleteChannel { channel_id: ding }, m()).await,
            ),
            (
                "deliveries",
                s.app.fun(ChannelDeliveries { channel_id: ding }, m()).await,
            ),
            (
                "list",
                s.app
                    .fun(
                        ListChannels {
                            tenant_id: Some(s.tenant),
                        },
                        m(),
                    )
                    .await,
            ),
        ];
        for (what, r) in answers {
            assert_eq!(r.status, 404, "[{backend}] {what}: {}", r.body);
        }
        // Still there for its owner.
        s.app
            .fun_ok(DeleteChannel { channel_id: ding }, Auth::Cookie(&s.alice))
            .await;
        s.app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notify_endpoint_refuses_a_wrong_token() {
    let s = setup(Backend::Sqlite).await;
    let ding = id(&s.dingtalk().await);
    // Not a server function: Alertmanager's webhook posts here.
    let r = s
        .app
        .call(
            &format!("/api/notify/{ding}/not-the-token-000000000"),
            json!({"alerts": []}),
            Auth::None,
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.body);
    s.app.cleanup().await;
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
        let config = ChannelConfig::Webhook {
            url: secret(&url),
            insecure_tls: false,
        };
        let create = CreateChannel {
            tenant_id: None,
            channel: channel(&format!("c{i}"), config),
        };
        let c = app.fun_ok(create, Auth::Cookie(&admin)).await;
        let test = TestChannel { channel_id: id(&c) };
        let d = app.fun_ok(test, Auth::Cookie(&admin)).await;
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
    let config = ChannelConfig::Webhook {
        url: secret(&format!("{}/webhook/am?token=hook-token", s.sink)),
        insecure_tls: false,
    };
    let c = s.create("hook", config).await;
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
    let deliveries = ChannelDeliveries { channel_id: id(&c) };
    let log = s.app.fun_ok(deliveries, Auth::Cookie(&s.alice)).await;
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
