//! The time range picker of the explorer and the dashboards: a relative range (5m … 7d), or a
//! custom from–to in the browser's local time.

use chrono::{Local, NaiveDateTime, TimeZone};
use leptos::prelude::*;

use crate::domain::time_range::{RELATIVE, TimeRange, duration_secs, format_duration};
use crate::ui::use_t;

const LOCAL_MINUTES: &str = "%Y-%m-%dT%H:%M";

fn local_input(ts: i64) -> String {
    Local
        .timestamp_opt(ts, 0)
        .single()
        .map(|d| d.format(LOCAL_MINUTES).to_string())
        .unwrap_or_default()
}

fn from_local_input(s: &str) -> Option<i64> {
    let naive = NaiveDateTime::parse_from_str(s, LOCAL_MINUTES).ok()?;
    Local
        .from_local_datetime(&naive)
        .earliest()
        .map(|d| d.timestamp())
}

/// Writes `range` when a relative range is picked, or when both custom bounds are valid and in
/// order. The picker starts from the range's value when it is built.
#[component]
pub fn TimeRangePicker(range: RwSignal<TimeRange>, testid: &'static str) -> impl IntoView {
    let t = use_t();
    let (choice, from, to) = match range.get_untracked() {
        TimeRange::Last(n) => (format_duration(n), String::new(), String::new()),
        TimeRange::Between(a, b) => ("custom".to_string(), local_input(a), local_input(b)),
    };
    let extra =
        (choice != "custom" && !RELATIVE.contains(&choice.as_str())).then(|| choice.clone());
    let choice = RwSignal::new(choice);
    let from = RwSignal::new(from);
    let to = RwSignal::new(to);
    let apply_custom = move || {
        if let (Some(a), Some(b)) = (
            from_local_input(&from.get_untracked()),
            from_local_input(&to.get_untracked()),
        ) && a < b
        {
            range.set(TimeRange::Between(a, b));
        }
    };
    view! {
        <label class="field">
            <span>{move || t().time_range}</span>
            <select data-testid=testid prop:value=move || choice.get()
                on:change=move |ev| {
                    let v = event_target_value(&ev);
                    if v == "custom" {
                        let (a, b) = range.get_untracked().resolve(chrono::Utc::now().timestamp());
                        // The inputs hold minutes: round the end up so "now" stays inside.
                        from.set(local_input(a));
                        to.set(local_input(b + 59));
                        apply_custom();
                    } else if let Some(s) = duration_secs(&v) {
                        range.set(TimeRange::Last(s));
                    }
                    choice.set(v);
                }>
                {RELATIVE.into_iter().map(|r| view! {
                    <option value=r selected=move || choice.get() == r>{move || format!("{} {r}", t().last_n)}</option>
                }).collect_view()}
                {extra.map(|v| view! { <option value=v.clone() selected=true>{v.clone()}</option> })}
                <option value="custom" selected=move || choice.get() == "custom">{move || t().custom_range}</option>
            </select>
        </label>
        <Show when=move || choice.get() == "custom">
            <label class="field">
                <span>{move || t().from}</span>
                <input type="datetime-local" data-testid="from" bind:value=from on:change=move |_| apply_custom() />
            </label>
            <label class="field">
                <span>{move || t().to}</span>
                <input type="datetime-local" data-testid="to" bind:value=to on:change=move |_| apply_custom() />
            </label>
        </Show>
    }
}
