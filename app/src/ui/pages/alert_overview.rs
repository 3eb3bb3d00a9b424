//! The alert overview (`/alerts/overview`): today against yesterday, the daily trend per project
//! in the browser's time zone, and the top alert names and projects.

use leptos::prelude::*;

use crate::ui::components::{PageHeader, tr};
use leptos_meta::Title;

use crate::api::alerts::alert_overview;
use crate::model::{DayCompare, OverviewQuery, RangeResult, Series};
use crate::ui::components::chart::TimeSeriesChart;
use crate::ui::pages::alert_history::now_secs;
use crate::ui::{use_session, use_t};

/// The browser's IANA zone; the server renders in UTC until the page hydrates.
fn browser_zone() -> String {
    #[cfg(feature = "hydrate")]
    {
        let options =
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
                .resolved_options();
        js_sys::Reflect::get(&options, &"timeZone".into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

fn change_text(c: &DayCompare, new: &str) -> String {
    match c.change {
        None => new.to_string(),
        Some(p) if p > 0.0 => format!("+{p}%"),
        Some(p) => format!("{p}%"),
    }
}

#[component]
pub fn AlertOverviewPage() -> impl IntoView {
    let t = use_t();
    let me = use_session().user();
    let is_admin = me.as_ref().is_some_and(|m| m.is_system_admin);
    let tenants = me.map(|m| m.tenants).unwrap_or_default();
    let first = tenants.first().map(|t| t.tenant_id);
    let tenant = RwSignal::new(if is_admin { None } else { first });
    let days = RwSignal::new(7i64);
    // Set once hydrated, so the numbers are cut at the user's midnight.
    let zone = RwSignal::new(String::new());
    Effect::new(move |_| zone.set(browser_zone()));
    let data = Resource::new(
        move || (tenant.get(), days.get(), zone.get()),
        |(tenant_id, days, time_zone)| async move {
            let to = now_secs();
            alert_overview(OverviewQuery {
                tenant_id,
                from: to - (days - 1) * 86_400,
                to,
                time_zone,
            })
            .await
        },
    );
    let num = |s: String| s.parse::<i64>().ok();
    view! {
        <Title text=move || t().overview_title />
        <PageHeader title=tr(|t| t.nav_alert_overview) />
        <div class="search-filters">
            <label class="field"><span>{move || t().tenant}</span>
                <select data-testid="overview-tenant" on:change=move |ev| tenant.set(num(event_target_value(&ev)))>
                    {is_admin.then(|| view! { <option value="">{t().all_tenants}</option> })}
                    {tenants.iter().map(|tr| view! {
                        <option value=tr.tenant_id.to_string() selected=Some(tr.tenant_id) == tenant.get_untracked()>{tr.tenant_name.clone()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="field"><span>{move || t().time_range}</span>
                <select data-testid="overview-days" on:change=move |ev| days.set(num(event_target_value(&ev)).unwrap_or(7))>
                    <option value="7" selected=true>{move || t().last_week}</option>
                    <option value="14">"14 d"</option>
                    <option value="30">{move || t().last_month}</option>
                </select>
            </label>
        </div>
        <Transition fallback=|| view! { <crate::ui::components::Skeleton /> }>
            {move || data.get().map(|r| match r {
                Err(e) => view! { <p class="error" role="alert">{crate::ui::error_text(&e)}</p> }.into_any(),
                Ok(o) => {
                    let cards = [("total", t().total, o.total), ("firing", t().firing, o.firing), ("resolved", t().resolved, o.resolved)];
                    let chart = RangeResult {
                        start: o.days.first().map(|d| d.0).unwrap_or(0),
                        end: o.days.last().map(|d| d.0).unwrap_or(0),
                        step: 86_400,
                        series: o.trend.iter().map(|s| Series {
                            labels: [("project".to_string(), if s.name.is_empty() { "system".to_string() } else { s.name.clone() })].into(),
                            points: o.days.iter().zip(&s.counts).map(|(d, c)| (d.0 as f64, Some(*c as f64))).collect(),
                        }).collect(),
                        ..Default::default()
                    };
                    let top = |rows: Vec<(String, u64)>, id: &'static str| {
                        let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1);
                        view! {
                            <table class="table" data-testid=id><tbody>
                                {rows.into_iter().map(|(name, n)| {
                                    let shown = if name.is_empty() { "system".to_string() } else { name.clone() };
                                    view! {
                                    <tr data-testid="top-row" data-name=name data-count=n.to_string()>
                                        <td>{shown}</td>
                                        <td class="bar-cell"><span class="bar" style=format!("width:{}%", n * 100 / max)></span></td>
                                        <td>{n}</td>
                                    </tr>
                                }}).collect_view()}
                            </tbody></table>
                        }
                    };
                    view! {
                        <p class="small muted">{format!("{}: {}", t().time_zone, o.time_zone)}</p>
                        <div class="cards">
                            {cards.into_iter().map(|(id, label, c)| view! {
                                <div class="card stat" data-testid=format!("overview-{id}") data-today=c.today.to_string() data-yesterday=c.yesterday.to_string()>
                                    <h3>{label}</h3>
                                    <p class="big">{c.today}</p>
                                    <p class="small">{format!("{} {} · {}", t().yesterday, c.yesterday, change_text(&c, t().change_new))}</p>
                                </div>
                            }).collect_view()}
                        </div>
                        <h2>{move || t().trend_per_project}</h2>
                        <TimeSeriesChart result=chart height=240.0 />
                        <div class="two-col">
                            <section><h2>{move || t().top_alerts}</h2>{top(o.top_alerts, "top-alerts")}</section>
                            <section><h2>{move || t().top_projects}</h2>{top(o.top_projects, "top-projects")}</section>
                        </div>
                    }.into_any()
                }
            })}
        </Transition>
    }
}
