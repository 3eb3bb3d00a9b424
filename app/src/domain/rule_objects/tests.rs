//! The objects a rule becomes (golden files) and the comparison with a cluster (tables).
//! `GEMSCOPE_UPDATE_GOLDEN=1 cargo test -p app` rewrites the golden files; review the diff.

use std::collections::BTreeMap;

use serde_json::json;

use super::*;
use crate::model::{AmReceiver, AmRoute, AmWebhookConfig, Rule};

fn rule(ns: &str, name: &str, kind: AlertType) -> RuleObject {
    let expr = match kind {
        AlertType::Monitor => format!(r#"up{{namespace="{ns}"}} == 0"#),
        AlertType::Logging => {
            format!(r#"sum(count_over_time({{namespace="{ns}"}} |= "panic" [1m])) > 0"#)
        }
    };
    RuleObject {
        namespace: ns.into(),
        name: name.into(),
        kind,
        group: RuleGroup {
            name: name.into(),
            interval: None,
            rules: vec![Rule {
                record: None,
                alert: Some(name.into()),
                expr,
                for_: Some("1m".into()),
                labels: BTreeMap::from([("severity".to_string(), "critical".to_string())]),
                annotations: BTreeMap::new(),
            }],
        },
        am: AmConfigSpec {
            route: Some(AmRoute {
                receiver: "hook".into(),
                ..Default::default()
            }),
            receivers: vec![AmReceiver {
                name: "hook".into(),
                webhook_configs: vec![AmWebhookConfig {
                    url: "https://g.example/api/notify/7/s3cr3t".into(),
                    url_secret: None,
                    send_resolved: Some(true),
                }],
            }],
            inhibit_rules: Vec::new(),
        },
    }
}

fn settings() -> ClusterSettings {
    ClusterSettings {
        rules_dir: "/etc/prometheus/rules".into(),
        loki_rules_dir: "/etc/loki/rules/fake".into(),
        alertmanager_config_path: "/etc/alertmanager/alertmanager.yml".into(),
        ..Default::default()
    }
}

fn document(objects: &[Desired]) -> String {
    objects
        .iter()
        .map(|d| {
            format!(
                "# {} ({:?})\n{}",
                d.what,
                d.object,
                text_or_yaml(&d.content)
            )
        })
        .collect::<Vec<_>>()
        .join("---\n")
}

fn text_or_yaml(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => yaml(other),
    }
}

fn golden(name: &str, got: &str) {
    crate::domain::golden::check("src/domain/rule_objects", name, got);
}

#[test]
fn golden_objects() {
    let cpu = rule("shop", "pod-down", AlertType::Monitor);
    let panics = rule("shop", "panics", AlertType::Logging);
    golden("kube-monitor", &document(&kube_objects(&cpu).unwrap()));
    golden("kube-logging", &document(&kube_objects(&panics).unwrap()));
    let all = [cpu.clone(), panics.clone()];
    let am: Value = serde_norway::from_str(&merged_alertmanager(&all).unwrap()).unwrap();
    golden(
        "files-monitor",
        &document(&file_objects(&cpu, &settings(), Some(&am)).unwrap()),
    );
    golden(
        "files-logging",
        &document(&file_objects(&panics, &settings(), Some(&am)).unwrap()),
    );
}

/// What a cluster holds when it holds exactly what is desired.
fn live_of(objects: &[Desired]) -> Live {
    Live {
        objects: objects
            .iter()
            .map(|d| (d.object.clone(), d.content.clone()))
            .collect(),
    }
}

fn expectation(id: i64, r: &RuleObject, objects: Result<Vec<Desired>, String>) -> RuleExpectation {
    RuleExpectation {
        id,
        namespace: r.namespace.clone(),
        name: r.name.clone(),
        objects,
    }
}

#[test]
fn the_check_finds_missing_changed_and_hidden_differences() {
    let r = rule("shop", "pod-down", AlertType::Monitor);
    let desired = kube_objects(&r).unwrap();
    let pr = ObjectRef::PrometheusRule {
        namespace: "shop".into(),
        name: "pod-down".into(),
    };
    let secret = ObjectRef::ReceiverSecret {
        namespace: "shop".into(),
        name: "gemscope-receivers-pod-down".into(),
    };
    type Edit = fn(&mut Live, &ObjectRef, &ObjectRef);
    let cases: [(&str, Edit, Vec<&str>, bool); 5] = [
        ("same", |_, _, _| {}, vec![], false),
        (
            "missing",
            |l, pr, _| {
                l.objects.remove(pr);
            },
            vec!["PrometheusRule shop/pod-down is missing in the cluster"],
            false,
        ),
        (
            "changed",
            |l, pr, _| {
                l.objects.get_mut(pr).unwrap()["spec"]["groups"][0]["rules"][0]["expr"] =
                    json!("vector(1)");
            },
            vec!["PrometheusRule shop/pod-down differs from the database"],
            true,
        ),
        (
            // Another client's labels and the fields the API server adds are not drift.
            "foreign labels and server fields",
            |l, pr, _| {
                let o = l.objects.get_mut(pr).unwrap();
                o["metadata"]["labels"]["team"] = json!("x");
                o["metadata"]["resourceVersion"] = json!("42");
                o["spec"]["groups"][0]["interval"] = Value::Null;
            },
            vec![],
            false,
        ),
        (
            "secret changed",
            |l, _, secret| {
                l.objects.get_mut(secret).unwrap()["data"]["hook"] = json!("b3RoZXI=");
            },
            vec![
                "Secret shop/gemscope-receivers-pod-down does not hold the receiver URLs the database renders",
            ],
            false,
        ),
    ];
    for (name, edit, errors, has_diff) in cases {
        let mut live = live_of(&desired);
        edit(&mut live, &pr, &secret);
        let (findings, orphans) = diff(&[expectation(1, &r, Ok(desired.clone()))], &live);
        let f = &findings[0].2;
        assert_eq!(f.errors, errors, "{name}");
        assert_eq!(!f.diff.is_empty(), has_diff, "{name}: {}", f.diff);
        assert!(orphans.is_empty(), "{name}");
        assert!(
            !f.diff.contains("s3cr3t"),
            "{name}: tokens never reach the report"
        );
    }
}

#[test]
fn objects_no_rule_owns_are_orphans_unless_their_rule_does_not_render() {
    let kept = rule("shop", "kept", AlertType::Monitor);
    let broken = rule("shop", "broken", AlertType::Monitor);
    let ghost = rule("shop", "ghost", AlertType::Monitor);
    let logs = rule("shop", "panics", AlertType::Logging);
    let mut live = live_of(&kube_objects(&kept).unwrap());
    for r in [&broken, &ghost, &logs] {
        live.objects
            .extend(live_of(&kube_objects(r).unwrap()).objects);
    }
    let rules = [
        expectation(1, &kept, Ok(kube_objects(&kept).unwrap())),
        expectation(2, &broken, Err("no template".into())),
    ];
    let (findings, orphans) = diff(&rules, &live);
    assert_eq!(
        findings[1].2.errors,
        vec!["it does not render: no template"]
    );
    let mut names: Vec<(&str, &str)> = orphans
        .iter()
        .map(|o| (o.object.kind(), o.object.name()))
        .collect();
    names.sort();
    // The ghost's Secret goes with its AlertmanagerConfig; the broken rule keeps what it owns.
    assert_eq!(
        names,
        vec![
            ("AlertmanagerConfig", "ghost"),
            ("AlertmanagerConfig", "panics"),
            ("LokiRules", "panics"),
            ("PrometheusRule", "ghost"),
        ]
    );
    assert!(orphans.iter().all(|o| !o.content.contains("s3cr3t")));
}

#[test]
fn a_standalone_cluster_compares_files_and_routing_parts() {
    let a = rule("shop", "pod-down", AlertType::Monitor);
    let b = rule("shop", "panics", AlertType::Logging);
    let all = [a.clone(), b.clone()];
    let am: Value = serde_norway::from_str(&merged_alertmanager(&all).unwrap()).unwrap();
    let desired_a = file_objects(&a, &settings(), Some(&am)).unwrap();
    let desired_b = file_objects(&b, &settings(), Some(&am)).unwrap();
    // What live() reads back from the same merged file holds both rules' parts.
    let mut live = Live {
        objects: routing_parts(&am),
    };
    assert_eq!(live.objects.len(), 2);
    live.objects.insert(
        ObjectRef::RuleFile {
            name: "alert_shop_pod-down".into(),
        },
        desired_a[1].content.clone(),
    );
    live.objects.insert(
        ObjectRef::RuleFile {
            name: "alert_other_gone".into(),
        },
        Value::String("groups: []\n".into()),
    );
    let rules = [
        expectation(1, &a, Ok(desired_a)),
        expectation(2, &b, Ok(desired_b)),
    ];
    let (findings, orphans) = diff(&rules, &live);
    assert_eq!(findings[0].2.errors, Vec::<String>::new());
    assert_eq!(
        findings[1].2.errors,
        vec!["Loki rules /etc/loki/rules/fake/alert_shop.yml is missing in the cluster"]
    );
    assert_eq!(orphans.len(), 1);
    assert_eq!(orphans[0].object.name(), "alert_other_gone");
    assert_eq!(
        orphans[0].object.owner(),
        Some(("other".to_string(), "gone".to_string()))
    );
}

#[test]
fn stored_orphans_parse_back_to_what_they_name() {
    let cases = [
        ObjectRef::PrometheusRule {
            namespace: "a".into(),
            name: "b".into(),
        },
        ObjectRef::AlertmanagerConfig {
            namespace: "a".into(),
            name: "b".into(),
        },
        ObjectRef::LokiGroup {
            namespace: "a".into(),
            group: "b".into(),
        },
        ObjectRef::RuleFile {
            name: "alert_a_b".into(),
        },
    ];
    for o in cases {
        assert_eq!(
            ObjectRef::parse(o.kind(), o.namespace(), o.name()),
            Some(o.clone())
        );
        assert_eq!(o.owner(), Some(("a".to_string(), "b".to_string())), "{o:?}");
    }
    assert_eq!(
        ObjectRef::parse("Secret", "a", "b"),
        None,
        "never an orphan"
    );
}

#[test]
fn an_orphan_group_is_taken_out_of_its_file() {
    let file = "groups:\n- name: a\n  rules:\n  - alert: a\n    expr: vector(1)\n\
                - name: b\n  rules:\n  - alert: b\n    expr: vector(2)\n";
    let cases = [
        ("a", Some(vec!["b"])),
        ("b", Some(vec!["a"])),
        ("c", Some(vec!["a", "b"])),
    ];
    for (group, left) in cases {
        let got = without_group(file, group)
            .unwrap()
            .map(|f| f.groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>());
        assert_eq!(
            got,
            left.map(|l| l.iter().map(|n| n.to_string()).collect()),
            "{group}"
        );
    }
    let one = "groups:\n- name: a\n  rules:\n  - alert: a\n    expr: vector(1)\n";
    assert!(without_group(one, "a").unwrap().is_none(), "nothing left");
    assert!(without_group("groups: [", "a").is_err(), "not YAML");
}

#[test]
fn empty_values_do_not_count_as_drift() {
    let ours = json!({"spec": {"groups": [{"name": "a", "interval": null, "rules": [{"alert": "a", "labels": {}, "annotations": {"m": "x"}}]}]}});
    let theirs = json!({"spec": {"groups": [{"name": "a", "rules": [{"alert": "a", "annotations": {"m": "x"}}]}]}});
    assert_eq!(yaml(&ours), yaml(&theirs));
    let edited = json!({"spec": {"groups": [{"name": "a", "rules": [{"alert": "a", "annotations": {"m": "y"}}]}]}});
    assert_ne!(yaml(&ours), yaml(&edited));
}

#[test]
fn a_rules_part_of_alertmanager_yml_is_its_routes_and_receivers() {
    let file = json!({
        "route": {"receiver": "null", "routes": [
            {"receiver": "shop/cpu/hook", "routes": []},
            {"receiver": "null", "routes": [{"receiver": "shop/mem/hook"}]},
        ]},
        "receivers": [{"name": "null"}, {"name": "shop/cpu/hook", "webhook_configs": [{"url": "x"}]},
                      {"name": "shop/mem/hook"}],
    });
    let cpu = routing_part(&file, "shop/cpu/");
    assert_eq!(cpu["routes"].as_array().unwrap().len(), 1);
    assert_eq!(cpu["receivers"][0]["webhook_configs"][0]["url"], "x");
    let mem = routing_part(&file, "shop/mem/");
    assert_eq!(mem["routes"][0]["routes"][0]["receiver"], "shop/mem/hook");
    assert!(is_empty_routing(&routing_part(&file, "shop/gone/")));
    assert!(!is_empty_routing(&cpu));
    let parts: Vec<String> = routing_parts(&file)
        .keys()
        .map(|o| format!("{o:?}"))
        .collect();
    assert_eq!(parts.len(), 2, "{parts:?}");
}

#[test]
fn receiver_tokens_never_reach_the_report() {
    let cases = [
        (
            "url: https://g.example/api/notify/12/AbC-_9x\n",
            "url: https://g.example/api/notify/12/***\n",
        ),
        (
            "- url: http://g/api/alertmanager/webhook?cluster=3&token=s3cr3t\n",
            "- url: http://g/api/alertmanager/webhook?cluster=3&token=***\n",
        ),
        (
            "-  url: 'http://a/api/notify/1/t1' # token=t2&x=1",
            "-  url: 'http://a/api/notify/1/***' # token=***&x=1",
        ),
        ("expr: up == 0\n", "expr: up == 0\n"),
        ("token=", "token="),
    ];
    for (input, want) in cases {
        assert_eq!(redact_tokens(input), want, "{input}");
    }
}

#[test]
fn a_finding_is_as_bad_as_its_worst_problem() {
    let cases = [
        (vec![], vec![], OK),
        (vec![], vec!["w".to_string()], WARNING),
        (vec!["e".to_string()], vec!["w".to_string()], ERROR),
    ];
    for (errors, warnings, want) in cases {
        let f = Finding {
            errors,
            warnings,
            diff: String::new(),
        };
        assert_eq!(f.status(), want);
    }
}

#[test]
fn comparing_reports_missing_and_changed_objects_with_a_diff() {
    let mut f = Finding::default();
    compare_text(&mut f, "PrometheusRule a/b", "x: 1\n", None);
    compare_text(&mut f, "AlertmanagerConfig a/b", "x: 1\n", Some("x: 2\n"));
    compare_text(&mut f, "same", "x: 1\n", Some("x: 1\n"));
    assert_eq!(
        f.errors,
        vec![
            "PrometheusRule a/b is missing in the cluster",
            "AlertmanagerConfig a/b differs from the database"
        ]
    );
    assert!(f.diff.contains("-x: 1\n+x: 2\n"), "{}", f.diff);
    assert!(f.diff.contains("(Gemscope database)"));
}
