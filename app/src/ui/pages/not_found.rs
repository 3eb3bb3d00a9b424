use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::ui::use_t;

#[component]
pub fn NotFound() -> impl IntoView {
    let t = use_t();
    #[cfg(feature = "ssr")]
    {
        if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
            opts.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <Title text=move || t().not_found_title />
        <div class="card narrow">
            <h1>{move || t().not_found_title}</h1>
            <A href="/">{move || t().back_home}</A>
        </div>
    }
}
