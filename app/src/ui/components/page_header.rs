//! The head of every page: where you are (breadcrumbs from the overview down), the title, and the
//! page's primary action on the right.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::Texts;
use crate::ui::use_t;

/// A catalogue string as a signal, re-read when the language changes.
pub fn tr(pick: fn(&'static Texts) -> &'static str) -> Signal<String> {
    let t = use_t();
    Signal::derive(move || pick(t()).to_string())
}

/// One step of the breadcrumb trail; the last one (the page itself) has no link.
#[derive(Clone)]
pub struct Crumb {
    pub label: Signal<String>,
    pub href: Option<String>,
}

impl Crumb {
    pub fn link(label: Signal<String>, href: impl Into<String>) -> Self {
        Crumb {
            label,
            href: Some(href.into()),
        }
    }
}

#[component]
pub fn PageHeader(
    #[prop(into)] title: Signal<String>,
    /// Steps between the overview and this page, e.g. the tenant list above one tenant.
    #[prop(optional)]
    crumbs: Vec<Crumb>,
    /// The primary action (and at most a secondary one), right-aligned.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let t = use_t();
    view! {
        <header class="page-header">
            <nav class="breadcrumbs" aria-label=move || t().breadcrumbs>
                <ol>
                    <li><A href="/">{move || t().nav_overview}</A></li>
                    {crumbs
                        .into_iter()
                        .map(|c| {
                            let label = c.label;
                            match c.href {
                                Some(href) => view! { <li><A href=href>{move || label.get()}</A></li> }.into_any(),
                                None => view! { <li><span>{move || label.get()}</span></li> }.into_any(),
                            }
                        })
                        .collect_view()}
                    <li><span aria-current="page">{move || title.get()}</span></li>
                </ol>
            </nav>
            <div class="page-title">
                <h1>{move || title.get()}</h1>
                {children.map(|c| view! { <div class="page-actions">{c()}</div> })}
            </div>
        </header>
    }
}
