//! The browser entry point: hydrates the server-rendered page.
#![recursion_limit = "512"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // A marker for end-to-end tests: clicks before this land on plain HTML, not on handlers.
    let _ = js_sys::Reflect::set(
        &leptos::prelude::window(),
        &"__gemscope_hydrated".into(),
        &true.into(),
    );
}
