//! Confirmation before a destructive action, as a modal `<dialog>`: the browser keeps focus
//! inside it while open (the rest of the page is inert), Escape cancels, and focus returns to the
//! button that opened it. Cancel is focused first, so Enter never destroys by accident.

use leptos::prelude::*;

use crate::ui::use_t;

/// A destructive button that asks first. `label` names the action on both buttons.
#[component]
pub fn ConfirmButton(
    label: &'static str,
    question: &'static str,
    on_confirm: Callback<()>,
) -> impl IntoView {
    let t = use_t();
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let open = move |_| {
        if let Some(d) = dialog.get() {
            // Fails only if already open or detached; then there is nothing to do.
            let _ = d.show_modal();
        }
    };
    let close = move || {
        if let Some(d) = dialog.get() {
            d.close();
        }
    };
    view! {
        <button type="button" class="danger small" on:click=open>{label}</button>
        <dialog node_ref=dialog class="confirm-dialog" aria-label=question>
            <p class="confirm-question">{question}</p>
            <div class="buttons">
                <button type="button" autofocus on:click=move |_| close()>{move || t().cancel}</button>
                <button
                    type="button"
                    class="danger-solid"
                    data-testid="confirm"
                    on:click=move |_| {
                        close();
                        on_confirm.run(());
                    }
                >
                    {label}
                </button>
            </div>
        </dialog>
    }
}
