//! Text that Prometheus and Loki's ruler expand as Go templates at every evaluation (a rule's
//! message). Their template language can run `query`, which reads any namespace and sends the
//! answer to the rule's channels, so user text may hold only a small set of actions: a label, the
//! value or an external label, optionally formatted. Everything else is refused, and text
//! Gemscope generates from user input is escaped so it cannot open an action.

use crate::error::{ApiError, Code};

/// The longest message a rule may carry.
pub const MAX_MESSAGE_BYTES: usize = 4096;

/// Formatting steps allowed after a value (`{{ $value | humanize }}`).
const FORMATTERS: [&str; 4] = [
    "humanize",
    "humanize1024",
    "humanizePercentage",
    "humanizeDuration",
];

/// Text with every `{{` and `}}` turned into an action that prints it, so it is shown as written
/// and never runs. The result passes [`check`].
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let pair = &rest[i..];
        if let Some(after) = pair.strip_prefix("{{") {
            out.push_str(r#"{{ "{{" }}"#);
            rest = after;
        } else if let Some(after) = pair.strip_prefix("}}") {
            out.push_str(r#"{{ "}}" }}"#);
            rest = after;
        } else {
            out.push_str(&pair[..1]);
            rest = &pair[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Checks that every template action in `text` is one of the allowed ones; the error names
/// `field` and quotes the action.
pub fn check(field: &str, text: &str) -> Result<(), ApiError> {
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(ApiError::invalid(field, Code::SizeOver)
            .arg(text.len())
            .arg(MAX_MESSAGE_BYTES));
    }
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        // `{{ "}}" }}` prints closing braces: its first `}}` is inside the string.
        if let Some(tail) = after.trim_start().strip_prefix(r#""}}""#)
            && let Some(next) = tail.trim_start().strip_prefix("}}")
        {
            rest = next;
            continue;
        }
        let Some(close) = after.find("}}") else {
            return Err(ApiError::invalid(field, Code::UnclosedAction));
        };
        let action = &after[..close];
        if !allowed(action) {
            return Err(ApiError::invalid(field, Code::ActionNotAllowed).arg(action));
        }
        rest = &after[close + 2..];
    }
    Ok(())
}

/// One action's text between the braces, trim markers included.
fn allowed(action: &str) -> bool {
    let inner = action.strip_prefix("- ").unwrap_or(action);
    let inner = inner.strip_suffix(" -").unwrap_or(inner).trim();
    if inner == r#""{{""# || inner == r#""}}""# {
        return true;
    }
    let mut steps = inner.split('|').map(str::trim);
    let Some(term) = steps.next() else {
        return false;
    };
    if !allowed_term(term) {
        return false;
    }
    let formatters: Vec<&str> = steps.collect();
    formatters.len() <= 1 && formatters.iter().all(|f| allowed_formatter(f))
}

fn allowed_term(term: &str) -> bool {
    if term == "$value" {
        return true;
    }
    ["$labels.", "$externalLabels."]
        .iter()
        .filter_map(|p| term.strip_prefix(p))
        .any(is_label_name)
}

fn is_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn allowed_formatter(step: &str) -> bool {
    if FORMATTERS.contains(&step) {
        return true;
    }
    let Some(arg) = step.strip_prefix("printf ") else {
        return false;
    };
    let Some(format) = arg
        .trim()
        .strip_prefix('"')
        .and_then(|a| a.strip_suffix('"'))
    else {
        return false;
    };
    is_number_format(format)
}

/// `%f`, `%.2f`, `%5.1e`, `%d`, `%s`, `%v`: one verb with a width and precision, nothing else.
fn is_number_format(format: &str) -> bool {
    let Some(spec) = format.strip_prefix('%') else {
        return false;
    };
    let Some((verb, body)) = spec.char_indices().last().map(|(i, c)| (c, &spec[..i])) else {
        return false;
    };
    if !"fegdsv".contains(verb) {
        return false;
    }
    let (width, precision) = body.split_once('.').unwrap_or((body, "0"));
    let digits = |s: &str| s.len() <= 2 && s.chars().all(|c| c.is_ascii_digit());
    digits(width) && !precision.is_empty() && digits(precision)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_and_refused_actions() {
        let allowed = [
            "plain text",
            "{{ $labels.pod }} is down",
            "{{$labels.pod}}",
            "{{- $labels.pod -}}",
            "{{ $value }}",
            "{{ $value | humanize }}",
            "{{ $value | humanizePercentage }}",
            "{{ $value | humanizeDuration }}",
            r#"{{ $value | printf "%.2f" }}"#,
            r#"{{ $value | printf "%.1f" }}%"#,
            r#"{{ $value | printf "%d" }}"#,
            "{{ $externalLabels.cluster }}",
            r#"a {{ "{{" }} b {{ "}}" }}"#,
            "a lone }} is text",
            "{ single braces }",
        ];
        for text in allowed {
            assert_eq!(check("message", text), Ok(()), "{text}");
        }
        let refused = [
            r#"{{ query "up" }}"#,
            r#"{{ with query "kube_secret_info" }}{{ . | first | value }}{{ end }}"#,
            r#"{{ template "x" }}"#,
            r#"{{ define "x" }}y{{ end }}"#,
            "{{ range $labels }}x{{ end }}",
            "{{ $labels }}",
            "{{ $labels.pod | title }}",
            r#"{{ $value | printf "%s" | humanize }}"#,
            r#"{{ printf "%s" $value }}"#,
            r#"{{ $value | printf "%[1]s" }}"#,
            r#"{{ $value | printf "}}" }}"#,
            "{{ .Labels.pod }}",
            "{{ $labels.pod-name }}",
            "{{/* comment */}}",
            "{{ $labels.pod ",
            "{{}}",
        ];
        for text in refused {
            let e = check("message", text).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("message"), "{text}");
            assert_eq!(e.status, 422, "{text}");
        }
    }

    #[test]
    fn long_messages_are_refused_naming_the_size() {
        let e = check("message", &"x".repeat(MAX_MESSAGE_BYTES + 1)).unwrap_err();
        assert!(e.message.contains("4097 bytes"), "{}", e.message);
        assert_eq!(check("message", &"x".repeat(MAX_MESSAGE_BYTES)), Ok(()));
    }

    #[test]
    fn escaped_text_shows_braces_and_runs_nothing() {
        let cases = [
            ("plain", "plain"),
            (r#"{{ query "up" }}"#, r#"{{ "{{" }} query "up" {{ "}}" }}"#),
            ("a{b}c", "a{b}c"),
            ("{{{", r#"{{ "{{" }}{"#),
        ];
        for (input, want) in cases {
            let got = escape(input);
            assert_eq!(got, want, "{input}");
            assert_eq!(check("message", &got), Ok(()), "{input}");
        }
    }
}
