//! The text of a notification, rendered with minijinja from the templates kept in
//! `notify/templates/`: a title, a Markdown body (Feishu, DingTalk, WeCom), an e-mail subject and
//! HTML body. Vendors' JSON envelopes are built in `vendors` around these.

use app::domain::alert_rules::{LABEL_ALERTNAME, LABEL_NAMESPACE, LABEL_SEVERITY};
use minijinja::{Environment, context};
use serde::Serialize;

use super::payload::{Alert, Group};

/// Alerts shown in one message; the rest are counted.
pub const MAX_ALERTS: usize = 10;

const TEMPLATES: [(&str, &str); 4] = [
    ("title.txt.j2", include_str!("templates/title.txt.j2")),
    ("markdown.md.j2", include_str!("templates/markdown.md.j2")),
    (
        "email_subject.txt.j2",
        include_str!("templates/email_subject.txt.j2"),
    ),
    ("email.html.j2", include_str!("templates/email.html.j2")),
];

/// What a template sees of one alert.
#[derive(Debug, Clone, Serialize)]
pub struct AlertView {
    pub name: String,
    pub status: String,
    pub severity: String,
    pub cluster: String,
    pub namespace: String,
    pub starts_at: String,
    pub ends_at: String,
    pub message: String,
    pub labels: std::collections::BTreeMap<String, String>,
}

/// `2026-11-25T10:00:00.123Z` → `2026-11-25 10:00:00 UTC`; anything unparsable stays as it is.
pub fn readable_time(rfc3339: &str) -> String {
    use chrono::Datelike;
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        // Alertmanager's zero time (year 1) means "not set".
        Ok(t) if t.year() > 1 => t
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%d %H:%M:%S UTC")
            .to_string(),
        Ok(_) => "-".into(),
        Err(_) => rfc3339.to_string(),
    }
}

pub fn view(a: &Alert) -> AlertView {
    let label = |k: &str| a.labels.get(k).cloned().unwrap_or_default();
    AlertView {
        name: a.name().to_string(),
        status: a.status.clone(),
        severity: label(LABEL_SEVERITY),
        cluster: label("cluster"),
        namespace: a.namespace().to_string(),
        starts_at: readable_time(&a.starts_at),
        ends_at: readable_time(&a.ends_at),
        message: a.message().to_string(),
        labels: a.labels.clone(),
    }
}

/// A rendered notification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rendered {
    pub title: String,
    pub markdown: String,
    pub subject: String,
    pub html: String,
}

pub struct Messages {
    env: Environment<'static>,
}

/// A message template that does not load or render (Gemscope's own templates: a bug, not input).
#[derive(Debug, thiserror::Error)]
#[error("message template {name}: {source}")]
pub struct TemplateError {
    name: &'static str,
    #[source]
    source: minijinja::Error,
}

impl Messages {
    pub fn new() -> Result<Messages, TemplateError> {
        let mut env = Environment::new();
        for (name, src) in TEMPLATES {
            env.add_template(name, src)
                .map_err(|source| TemplateError { name, source })?;
        }
        Ok(Messages { env })
    }

    fn render(&self, name: &'static str, ctx: &minijinja::Value) -> Result<String, TemplateError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map(|s| s.trim().to_string())
            .map_err(|source| TemplateError { name, source })
    }

    pub fn render_group(&self, g: &Group) -> Result<Rendered, TemplateError> {
        // Firing alerts first: they are what the reader has to act on.
        let mut alerts: Vec<&Alert> = g.alerts.iter().collect();
        alerts.sort_by_key(|a| a.status != "firing");
        let shown: Vec<AlertView> = alerts.iter().take(MAX_ALERTS).map(|a| view(a)).collect();
        let more = g.alerts.len().saturating_sub(MAX_ALERTS) as u64 + g.truncated_alerts;
        let first = g.alerts.first();
        let name = g
            .common_labels
            .get(LABEL_ALERTNAME)
            .or_else(|| g.common_labels.get("alertname"))
            .cloned()
            .or_else(|| first.map(|a| a.name().to_string()))
            .unwrap_or_else(|| "alert".into());
        let status = if g.status.is_empty() {
            "firing"
        } else {
            &g.status
        };
        let title = self.render(
            "title.txt.j2",
            &context! { status, name, count => g.alerts.len() },
        )?;
        let ctx = context! {
            title,
            status,
            name,
            alerts => shown,
            more,
            firing => g.firing(),
            cluster => g.common_labels.get("cluster").cloned().unwrap_or_default(),
            namespace => g.common_labels.get(LABEL_NAMESPACE).or_else(|| g.common_labels.get("namespace")).cloned().unwrap_or_default(),
        };
        Ok(Rendered {
            markdown: self.render("markdown.md.j2", &ctx)?,
            subject: self.render("email_subject.txt.j2", &ctx)?,
            html: self.render("email.html.j2", &ctx)?,
            title,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::payload::sample;

    #[test]
    fn a_group_renders_title_markdown_and_mail() {
        let m = Messages::new().unwrap();
        let mut g = sample("ops", "2026-11-25T10:00:00Z");
        let mut resolved = g.alerts[0].clone();
        resolved.status = "resolved".into();
        resolved.ends_at = "2026-11-25T10:05:00Z".into();
        resolved
            .annotations
            .insert("message".into(), "<b>back</b> to normal".into());
        g.alerts.insert(0, resolved);
        let r = m.render_group(&g).unwrap();
        assert_eq!(r.title, "[Gemscope] FIRING GemscopeTestAlert (2)");
        let want = "\
**🔴 GemscopeTestAlert** · firing
- Severity: error
- Cluster: gemscope-test
- Namespace: gemscope-test
- Started: 2026-11-25 10:00:00 UTC

Test notification of channel ops: if you read this, real alerts arrive too.

---

**🟢 GemscopeTestAlert** · resolved
- Severity: error
- Cluster: gemscope-test
- Namespace: gemscope-test
- Started: 2026-11-25 10:00:00 UTC
- Resolved: 2026-11-25 10:05:00 UTC

<b>back</b> to normal";
        assert_eq!(r.markdown, want);
        assert_eq!(
            r.subject,
            "[Gemscope] FIRING GemscopeTestAlert: 1 firing in cluster gemscope-test, namespace gemscope-test"
        );
        // HTML escapes what alerts carry.
        assert!(
            r.html.contains("&lt;b&gt;back&lt;&#x2f;b&gt;")
                || r.html.contains("&lt;b&gt;back&lt;/b&gt;"),
            "{}",
            r.html
        );
        assert!(r.html.contains("severity=error"));
    }

    #[test]
    fn long_groups_are_cut_and_counted() {
        let m = Messages::new().unwrap();
        let mut g = sample("ops", "2026-11-25T10:00:00Z");
        g.alerts = (0..13).map(|_| g.alerts[0].clone()).collect();
        g.truncated_alerts = 2;
        let r = m.render_group(&g).unwrap();
        assert_eq!(r.markdown.matches("**🔴").count(), MAX_ALERTS);
        assert!(r.markdown.ends_with("… and 5 more"), "{}", r.markdown);
    }
}
