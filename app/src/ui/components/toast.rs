//! Toasts: short results of an action ("Saved", "Deleted") in a live region at the corner of the
//! screen, so the page does not shift. They leave by themselves after a few seconds.

use std::time::Duration;

use leptos::prelude::*;

use super::feedback::Tone;
use super::icons::{Icon, IconName};

#[derive(Clone, Debug, PartialEq)]
struct Toast {
    id: u64,
    tone: Tone,
    text: String,
}

/// The page-wide toast list; provided by the frame, pushed to from any page.
#[derive(Clone, Copy)]
pub struct Toaster {
    list: RwSignal<Vec<Toast>>,
    next: StoredValue<u64>,
}

const SHOWN_FOR: Duration = Duration::from_secs(6);
/// Older toasts give way: a burst of results must not cover the page.
const MAX_SHOWN: usize = 3;

impl Toaster {
    pub fn provide() -> Self {
        let toaster = Toaster {
            list: RwSignal::new(Vec::new()),
            next: StoredValue::new(0),
        };
        provide_context(toaster);
        toaster
    }

    /// Shows `text`; call from event handlers and effects (the browser), never during render.
    pub fn push(&self, tone: Tone, text: impl Into<String>) {
        let id = self.next.get_value();
        self.next.set_value(id + 1);
        let toast = Toast {
            id,
            tone,
            text: text.into(),
        };
        self.list.update(|l| {
            l.push(toast);
            let over = l.len().saturating_sub(MAX_SHOWN);
            l.drain(..over);
        });
        let list = self.list;
        set_timeout(move || list.update(|l| l.retain(|t| t.id != id)), SHOWN_FOR);
    }

    fn dismiss(&self, id: u64) {
        self.list.update(|l| l.retain(|t| t.id != id));
    }
}

/// The toaster of the frame, if there is one (the sign-in page has none).
pub fn use_toast() -> Option<Toaster> {
    use_context::<Toaster>()
}

/// Says `pick`'s text in a toast each time an action's call succeeds (an action's `value()`).
/// Failures are not toasted: they are shown at the field or form they are about.
pub fn toast_on_ok<T, S>(value: S, pick: fn(&'static crate::i18n::Texts) -> &'static str)
where
    T: 'static,
    S: With<Value = Option<Result<T, crate::error::ApiError>>> + Send + Sync + 'static,
{
    let Some(toaster) = use_toast() else { return };
    let t = crate::ui::use_t();
    Effect::new(move |_| {
        if value.with(|v| matches!(v, Some(Ok(_)))) {
            toaster.push(Tone::Ok, pick(t()));
        }
    });
}

/// The live region; the frame renders it once.
#[component]
pub fn Toasts(toaster: Toaster) -> impl IntoView {
    let t = crate::ui::use_t();
    view! {
        <div class="toasts" role="status" aria-live="polite" data-testid="toasts">
            <For each=move || toaster.list.get() key=|t| t.id let:toast>
                <div class=format!("toast {}", toast.tone.class().replace("badge ", ""))>
                    <Icon name=if toast.tone == Tone::Danger { IconName::Alert } else { IconName::Check } />
                    <span>{toast.text.clone()}</span>
                    <button type="button" class="icon-button" aria-label=move || t().dismiss
                        on:click=move |_| toaster.dismiss(toast.id)>
                        <Icon name=IconName::Close />
                    </button>
                </div>
            </For>
        </div>
    }
}
