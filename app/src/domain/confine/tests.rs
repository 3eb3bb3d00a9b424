//! The escapes a tenant could try through a threshold or a raw expression, and what each becomes.

use super::*;

#[test]
fn numbers_as_prometheus_reads_them() {
    for v in [
        "80", "0.5", "-1", "+2", "1e3", "1E-3", ".5", "0x1f", "Inf", "-Inf", "NaN",
    ] {
        assert!(is_number(v), "{v}");
    }
    for v in [
        "",
        "up",
        "1 + 1",
        "1e",
        "0x",
        "--1",
        "vector(0)",
        "1)",
        "e3",
    ] {
        assert!(!is_number(v), "{v}");
    }
}

/// Each threshold of an environment's rule: what the level becomes, or the refusal.
#[test]
fn environment_thresholds_are_numbers_or_scoped_expressions() {
    let base = r#"x{namespace="shop"}"#;
    let cases: [(&str, Result<&str, &str>); 9] = [
        ("80", Ok(r#"x{namespace="shop"} > 80"#)),
        ("1e3", Ok(r#"x{namespace="shop"} > 1000"#)),
        ("-0.5", Ok(r#"x{namespace="shop"} > -0.5"#)),
        (
            "vector(0) or up",
            Ok(r#"x{namespace="shop"} > (vector(0) or up{namespace="shop"})"#),
        ),
        (
            "vector(0) or kube_secret_info",
            Ok(r#"x{namespace="shop"} > (vector(0) or kube_secret_info{namespace="shop"})"#),
        ),
        (
            "1 + on() up",
            Ok(r#"x{namespace="shop"} > (1 + on () up{namespace="shop"})"#),
        ),
        (
            "(up)",
            Ok(r#"x{namespace="shop"} > ((up{namespace="shop"}))"#),
        ),
        ("up", Ok(r#"x{namespace="shop"} > (up{namespace="shop"})"#)),
        (r#"up{namespace="kube-system"}"#, Err("another namespace")),
    ];
    for (value, want) in cases {
        let field = "alertLevels[0].compareValue";
        let got = promql_threshold(field, value, Some("shop"))
            .and_then(|t| promql_final(field, &format!("{base}>{t}"), Some("shop")));
        match (got, want) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{value}"),
            (Err(e), Err(want)) => {
                assert_eq!(e.field.as_deref(), Some(field), "{value}");
                assert!(e.message.contains(want), "{value}: {}", e.message);
            }
            (got, want) => panic!("{value}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn system_thresholds_keep_expressions() {
    let t = promql_threshold("v", "2 * gems_node_cpu_total_cores", None).unwrap();
    assert_eq!(t, "(2 * gems_node_cpu_total_cores)");
    assert_eq!(
        promql_final("v", &format!("gems_node_load5>{t}"), None).unwrap(),
        "gems_node_load5 > (2 * gems_node_cpu_total_cores)"
    );
    assert!(promql_threshold("v", "80 %", None).is_err());
}

/// The final gate refuses whatever reads or claims another namespace, whatever built the text.
#[test]
fn final_promql_reads_only_the_namespace() {
    let refused = [
        (
            "vector(0) or kube_secret_info",
            "kube_secret_info must select",
        ),
        (r#"x{namespace="shop"} > 1 or up"#, "up must select"),
        (r#"x{namespace=~"shop"}"#, "must select"),
        (
            r#"x{namespace="shop"} or {namespace="other"}"#,
            "must select",
        ),
        ("vector(1)", "at least one series"),
        ("1 > bool 0", "at least one series"),
        (
            r#"label_replace(x{namespace="shop"}, "namespace", "other", "", "")"#,
            "must not write the namespace",
        ),
        (
            r#"label_join(x{namespace="shop"}, "namespace", ",", "pod")"#,
            "must not write the namespace",
        ),
        (
            r#"count_values("namespace", x{namespace="shop"})"#,
            "count_values",
        ),
        (
            r#"max_over_time(rate(y[1m])[5m:]) and x{namespace="shop"}"#,
            "must select",
        ),
    ];
    for (expr, want) in refused {
        let e = promql_final("expr", expr, Some("shop")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("expr"), "{expr}");
        assert!(e.message.contains(want), "{expr}: {}", e.message);
    }
    let kept = [
        (
            r#"absent(up{namespace="shop",job="a"})"#,
            r#"absent(up{job="a",namespace="shop"})"#,
        ),
        (
            r#"label_replace(x{namespace="shop"}, "pod", "$1", "p", "(.*)")"#,
            r#"label_replace(x{namespace="shop"}, "pod", "$1", "p", "(.*)")"#,
        ),
        (
            r#"sum by (pod) (rate(x{namespace="shop"}[5m] offset 1h)) > 0"#,
            r#"sum by (pod) (rate(x{namespace="shop"}[5m] offset 1h)) > 0"#,
        ),
    ];
    for (expr, want) in kept {
        assert_eq!(promql_final("expr", expr, Some("shop")).unwrap(), want);
    }
}

#[test]
fn logql_thresholds_and_final_gate() {
    let base = r#"sum(count_over_time({app="a", namespace="shop"} |~ `e` [5m]))"#;
    let field = "alertLevels[0].compareValue";
    let escape = r#"vector(0) or count_over_time({namespace="other"}[5m])"#;
    let e = logql_threshold(field, escape, Some("shop")).unwrap_err();
    assert!(e.message.contains("another namespace"), "{}", e.message);
    assert_eq!(e.field.as_deref(), Some(field));
    let t = logql_threshold(
        field,
        "vector(0) or count_over_time({app=\"b\"}[5m])",
        Some("shop"),
    )
    .unwrap();
    let got = logql_final(field, &format!("{base}>{t}"), Some("shop")).unwrap();
    assert!(got.contains(r#"{app="b", namespace="shop"}"#), "{got}");
    assert_eq!(logql_threshold(field, "10", Some("shop")).unwrap(), "10");

    let refused = [
        (
            "vector(0) or count_over_time({app=\"x\"}[5m])",
            "every stream selector",
        ),
        ("vector(1)", "at least one log stream"),
        (
            r#"count_over_time({namespace="shop"} | label_format namespace="other" [5m])"#,
            "namespace label",
        ),
        (
            r#"label_replace(count_over_time({namespace="shop"}[5m]), "namespace", "x", "", "")"#,
            "namespace label",
        ),
        (r#"{namespace="shop"}"#, "metric query"),
    ];
    for (expr, want) in refused {
        let e = logql_final("expr", expr, Some("shop")).unwrap_err();
        assert!(e.message.contains(want), "{expr}: {}", e.message);
    }
}
