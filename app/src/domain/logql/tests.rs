use super::*;

/// Each query, and how Loki prints it back (its ruler API's `query` field shows this form).
#[test]
fn queries_print_in_lokis_canonical_form() {
    for (src, canonical) in [
        (r#"{namespace="demo"}"#, r#"{namespace="demo"}"#),
        (
            r#"{namespace="demo",pod=~"web-.*"} |~ `error`"#,
            r#"{namespace="demo", pod=~"web-.*"} |~ "error""#,
        ),
        (
            r#"sum(count_over_time({namespace="demo", pod=~"web-.*"} |~ `error` [5m]))without(fluentd_thread)>0"#,
            r#"(sum without (fluentd_thread)(count_over_time({namespace="demo", pod=~"web-.*"} |~ "error"[5m])) > 0)"#,
        ),
        (
            r#"sum by (namespace) (count_over_time({namespace=~".+"} |~ `error` [1m]))"#,
            r#"sum by (namespace)(count_over_time({namespace=~".+"} |~ "error"[1m]))"#,
        ),
        (
            r#"{container="event-exporter", stream="stdout"} | json | __error__="" | line_format "{{.metadata_namespace}}" |= "demo""#,
            r#"{container="event-exporter", stream="stdout"} | json | __error__="" | line_format "{{.metadata_namespace}}" |= "demo""#,
        ),
        (
            r#"rate({app="a"} != "x" or "y" | logfmt | status >= 500 and duration > 2.5s [1m30s] offset 1h)"#,
            r#"rate({app="a"} != "x" or "y" | logfmt | ( status>=500 , duration>2.5s )[1m30s] offset 1h)"#,
        ),
        (
            r#"quantile_over_time(0.99, {app="a"} | json | unwrap duration(latency) [5m]) by (path)"#,
            r#"quantile_over_time(0.99,{app="a"} | json | unwrap duration(latency)[5m]) by (path)"#,
        ),
        (
            r#"topk(3, sum by (pod, container) (rate({app="a"}[1m])))"#,
            r#"topk(3,sum by (pod,container)(rate({app="a"}[1m])))"#,
        ),
        (
            r#"sum(rate({a="b"}[1m])) / sum(rate({a="c"}[1m])) * 100"#,
            r#"((sum(rate({a="b"}[1m])) / sum(rate({a="c"}[1m]))) * 100)"#,
        ),
        (
            r#"count_over_time({a="b"}[5m]) > bool on (pod) group_left (x) vector(1)"#,
            r#"(count_over_time({a="b"}[5m]) > bool on (pod) group_left (x) vector(1))"#,
        ),
        (
            r#"{a="b"} | json x="a.b", y | label_format z=x, w="{{.y}}" | drop y, v="1""#,
            r#"{a="b"} | json x="a.b",y="y" | label_format z=x,w="{{.y}}" | drop y,v="1""#,
        ),
        ("2 ^ 3 ^ 2", "(2 ^ (3 ^ 2))"),
        ("-1 + 2", "(-1 + 2)"),
    ] {
        let parsed = parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert_eq!(parsed.to_string(), canonical, "{src}");
        // The canonical form parses back to the same tree.
        assert_eq!(
            parse(canonical).map(|e| e.to_string()).as_deref(),
            Ok(canonical)
        );
    }
}

/// Errors name the position and token the way Loki 3.4 does (the first four are its recorded
/// answers in the Loki fixtures).
#[test]
fn errors_match_lokis_wording() {
    for (src, message) in [
        (
            r#"{namespace="demo""#,
            "parse error at line 1, col 18: syntax error: unexpected $end, expecting } or ,",
        ),
        (
            r#"sum(count_over_time({namespace="demo"} |~ "error")) by (pod)"#,
            "parse error at line 1, col 50: syntax error: unexpected )",
        ),
        (
            r#"sum(count_over_time({namespace="demo", pod=~"web-.*"} |~ `error` ))without(fluentd_thread)>0"#,
            "parse error at line 1, col 66: syntax error: unexpected )",
        ),
        (
            r#"{namespace="demo"} |~ `(unclosed`"#,
            "parse error : stage '|~ \"(unclosed\"' : error parsing regexp: unclosed group",
        ),
        (
            r#"{app=~".*"}"#,
            "parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will",
        ),
        (
            r#"{a="b"} > 1"#,
            "parse error at line 1, col 9: syntax error: unexpected >",
        ),
        (
            r#"sum({a="b"})"#,
            "parse error at line 1, col 12: syntax error: unexpected )",
        ),
        (
            r#"{a="b"}[5m]"#,
            "parse error at line 1, col 8: syntax error: unexpected RANGE",
        ),
        (
            r#"count_over_time({a="b"} | unwrap x [5m])"#,
            "parse error : invalid aggregation count_over_time with unwrap",
        ),
        (
            r#"sum_over_time({a="b"}[5m])"#,
            "parse error : invalid aggregation sum_over_time without unwrap",
        ),
        (
            "foo(1)",
            "parse error at line 1, col 1: syntax error: unexpected IDENTIFIER",
        ),
        (
            "{a=\"b\"}\n | bogus",
            "parse error at line 2, col 4: syntax error: unexpected IDENTIFIER",
        ),
        (
            r#"{a="b" | json"#,
            "parse error at line 1, col 8: syntax error: unexpected |, expecting } or ,",
        ),
    ] {
        let err = parse(src).expect_err(src);
        assert_eq!(err.to_string(), message, "{src}");
    }
}

#[test]
fn matchers_follow_prometheus_semantics() {
    let m = |op, value: &str| Matcher {
        name: "a".into(),
        op,
        value: value.into(),
    };
    assert!(m(MatchOp::Re, "web-.*").matches("web-1"));
    assert!(!m(MatchOp::Re, "web").matches("web-1"), "anchored");
    assert!(m(MatchOp::Nre, "web").matches("web-1"));
    assert!(m(MatchOp::Neq, "x").matches(""));
    assert!(!m(MatchOp::Eq, "x").matches(""));
}
