//! How a page reports state: badges for states and severities, empty states that say what to do
//! next, and a loading skeleton.

use leptos::prelude::*;
use leptos_router::components::A;

use super::icons::{Icon, IconName};

/// The colour family of a badge. Each pairs a tinted background with text that meets WCAG AA on
/// it, in both themes (see the tokens in `style/main.css`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Ok,
    Warning,
    Danger,
    Info,
    Neutral,
}

impl Tone {
    pub fn class(self) -> &'static str {
        match self {
            Tone::Ok => "badge tone-ok",
            Tone::Warning => "badge tone-warning",
            Tone::Danger => "badge tone-danger",
            Tone::Info => "badge tone-info",
            Tone::Neutral => "badge tone-neutral",
        }
    }

    /// The tone of a state word as the API spells it (scrape health, alert, job, drift, sync).
    pub fn of_state(state: &str) -> Tone {
        match state.to_ascii_lowercase().as_str() {
            "up" | "ok" | "resolved" | "succeeded" | "done" | "in_sync" | "synced" | "enabled"
            | "active" => Tone::Ok,
            "down" | "firing" | "failed" | "error" | "drifted" | "missing" => Tone::Danger,
            "queued" | "running" | "pending" | "warning" | "retrying" | "silenced" => Tone::Warning,
            "info" | "new" => Tone::Info,
            _ => Tone::Neutral,
        }
    }

    /// The tone of an alert severity; unknown severities stay neutral rather than alarming.
    pub fn of_severity(severity: &str) -> Tone {
        match severity.to_ascii_lowercase().as_str() {
            "critical" | "error" | "emergency" | "p1" => Tone::Danger,
            "warning" | "major" | "minor" | "p2" | "p3" => Tone::Warning,
            "info" | "notice" | "p4" => Tone::Info,
            _ => Tone::Neutral,
        }
    }
}

/// A small pill with a state or severity. `testid` keeps the hooks tests look for.
#[component]
pub fn Badge(
    tone: Tone,
    #[prop(into)] text: Signal<String>,
    #[prop(optional)] testid: Option<&'static str>,
) -> impl IntoView {
    view! { <span class=tone.class() data-testid=testid>{move || text.get()}</span> }
}

/// What an empty list says: what is missing, what to do about it, and the button that does it.
#[component]
pub fn EmptyState(
    #[prop(into)] title: Signal<String>,
    #[prop(optional, into)] hint: Option<Signal<String>>,
    /// The next step: a label and where it leads.
    #[prop(optional)]
    action: Option<(Signal<String>, String)>,
) -> impl IntoView {
    view! {
        <div class="empty-state" data-testid="empty-state">
            <Icon name=IconName::Inbox />
            <p class="empty-title">{move || title.get()}</p>
            {hint.map(|h| view! { <p class="muted">{move || h.get()}</p> })}
            {action.map(|(label, href)| view! { <A href=href attr:class="button primary">{move || label.get()}</A> })}
        </div>
    }
}

/// Grey bars where content is loading: the page keeps its shape instead of jumping.
#[component]
pub fn Skeleton(#[prop(default = 3)] lines: usize) -> impl IntoView {
    let t = crate::ui::use_t();
    view! {
        <div class="skeleton" aria-busy="true" role="status" aria-label=move || t().loading>
            {(0..lines).map(|_| view! { <span class="skeleton-line"></span> }).collect_view()}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::Tone;

    #[test]
    fn states_and_severities_have_their_tones() {
        let states = [
            ("up", Tone::Ok),
            ("Resolved", Tone::Ok),
            ("firing", Tone::Danger),
            ("down", Tone::Danger),
            ("failed", Tone::Danger),
            ("queued", Tone::Warning),
            ("running", Tone::Warning),
            ("unknown", Tone::Neutral),
            ("", Tone::Neutral),
        ];
        for (s, want) in states {
            assert_eq!(Tone::of_state(s), want, "{s}");
        }
        let severities = [
            ("critical", Tone::Danger),
            ("error", Tone::Danger),
            ("warning", Tone::Warning),
            ("info", Tone::Info),
            ("whatever", Tone::Neutral),
        ];
        for (s, want) in severities {
            assert_eq!(Tone::of_severity(s), want, "{s}");
        }
    }
}
