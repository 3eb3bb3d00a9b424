//! The pure parts of the check.

use super::*;

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
    let cpu = am_part(&file, "shop/cpu/");
    assert_eq!(cpu["routes"].as_array().unwrap().len(), 1);
    assert_eq!(cpu["receivers"][0]["webhook_configs"][0]["url"], "x");
    let mem = am_part(&file, "shop/mem/");
    assert_eq!(mem["routes"][0]["routes"][0]["receiver"], "shop/mem/hook");
    assert!(is_empty_part(&am_part(&file, "shop/gone/")));
    assert!(!is_empty_part(&cpu));
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
    compare(&mut f, "PrometheusRule a/b", "x: 1\n", None);
    compare(&mut f, "AlertmanagerConfig a/b", "x: 1\n", Some("x: 2\n"));
    compare(&mut f, "same", "x: 1\n", Some("x: 1\n"));
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
