//! Scheduled jobs (system administrators): each job's schedule, next run and last runs, and
//! "run now". The page refreshes itself while it is open.

use std::time::Duration;

use leptos::prelude::*;

use crate::ui::components::{PageHeader, tr};
use leptos_meta::Title;

use crate::api::jobs::{RunJob, list_jobs};
use crate::i18n::Texts;
use crate::model::{JobInfo, JobKind, JobRun};
use crate::ui::components::{ErrorNote, last_error, short_time};
use crate::ui::use_t;

pub fn job_name(t: &Texts, job: JobKind) -> &'static str {
    match job {
        JobKind::AlertStateSync => t.job_state_sync,
        JobKind::AlertConfigCheck => t.job_config_check,
        JobKind::SystemAlertRules => t.job_system_rules,
        JobKind::AlertHistoryArchive => t.job_history_archive,
    }
}

fn job_hint(t: &Texts, job: JobKind) -> &'static str {
    match job {
        JobKind::AlertStateSync => t.job_state_sync_hint,
        JobKind::AlertConfigCheck => t.job_config_check_hint,
        JobKind::SystemAlertRules => t.job_system_rules_hint,
        JobKind::AlertHistoryArchive => t.job_history_archive_hint,
    }
}

/// "checked 3 · changed 1 · …", leaving out zeros.
pub fn counts_text(t: &Texts, r: &JobRun) -> String {
    let c = &r.counts;
    [
        (t.run_checked, c.checked),
        (t.run_changed, c.changed),
        (t.run_drifted, c.drifted),
        (t.run_repaired, c.repaired),
        (t.run_errors, c.errors),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .map(|(label, n)| format!("{label} {n}"))
    .collect::<Vec<_>>()
    .join(" · ")
}

/// Refreshes `tick` every few seconds in the browser while the page is open.
pub fn refresh_every(tick: RwSignal<u64>, secs: u64) {
    let timer = StoredValue::new(None::<IntervalHandle>);
    Effect::new(move |_| {
        let handle =
            set_interval_with_handle(move || tick.update(|n| *n += 1), Duration::from_secs(secs))
                .ok();
        timer.set_value(handle);
    });
    on_cleanup(move || {
        if let Some(h) = timer.get_value() {
            h.clear();
        }
    });
}

#[component]
pub fn JobsPage() -> impl IntoView {
    let t = use_t();
    let tick = RwSignal::new(0u64);
    let run = ServerAction::<RunJob>::new();
    let jobs = Resource::new(move || (tick.get(), run.version().get()), |_| list_jobs());
    refresh_every(tick, 3);
    view! {
        <Title text=move || t().jobs_title />
        <PageHeader title=tr(|t| t.jobs_title) />
        <p class="muted">{move || t().jobs_hint}</p>
        <ErrorNote error=last_error(run.value()) />
        <Transition fallback=|| view! { <crate::ui::components::Skeleton /> }>
            {move || Suspend::new(async move {
                match jobs.await {
                    Err(e) => view! { <p class="error" role="alert">{crate::ui::error_text(&e)}</p> }.into_any(),
                    Ok(list) => list.into_iter().map(|j| view! { <JobCard j run /> }).collect_view().into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn JobCard(j: JobInfo, run: ServerAction<RunJob>) -> impl IntoView {
    let t = use_t();
    let job = j.job;
    let key = job.as_str();
    view! {
        <section class="card job-card" data-testid=format!("job-{key}")>
            <h2>{move || job_name(t(), job)}</h2>
            <p class="muted small">{move || job_hint(t(), job)}</p>
            <p>
                {move || t().job_schedule}": " <code data-testid="job-schedule">{if j.schedule.is_empty() { "-".to_string() } else { j.schedule.clone() }}</code>
                " · "{move || t().job_next_run}": " <span data-testid="job-next">{j.next_run.as_deref().map(short_time).unwrap_or_else(|| "-".into())}</span>
                " "
                <button type="button" class="small" data-testid="job-run-now"
                    on:click=move |_| { run.dispatch(RunJob { job }); }>{move || t().job_run_now}</button>
            </p>
            {if j.runs.is_empty() {
                view! { <p class="muted">{t().job_no_runs}</p> }.into_any()
            } else {
                view! {
                    <table class="table" data-testid="job-runs">
                        <thead><tr>
                            <th>{t().run_started}</th><th>{t().run_origin}</th><th>{t().run_duration}</th>
                            <th>{t().run_result}</th><th>{t().run_counts}</th>
                        </tr></thead>
                        <tbody>
                            {j.runs.into_iter().map(|r| {
                                let counts = counts_text(t(), &r);
                                let notes = r.counts.notes.clone();
                                view! {
                                    <tr data-testid="job-run" data-status=r.status.clone() data-run=r.id.to_string()>
                                        <td>{short_time(r.started_at.as_deref().unwrap_or(&r.created_at))}</td>
                                        <td>{if r.origin == "manual" { t().run_manual } else { t().run_scheduled }}</td>
                                        <td>{r.duration_ms.map(|ms| format!("{:.1} s", ms as f64 / 1000.0)).unwrap_or_default()}</td>
                                        <td>
                                            <span class=format!("badge {}", r.status)>{r.status.clone()}</span>
                                            {(r.attempts > 1).then(|| format!(" ({} {})", t().run_attempt, r.attempts))}
                                            {(!r.error.is_empty()).then(|| view! { <div class="small error" data-testid="run-error">{r.error.clone()}</div> })}
                                        </td>
                                        <td data-testid="run-counts">
                                            {counts}
                                            {(!notes.is_empty()).then(|| view! {
                                                <ul class="plain small muted">{notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}
