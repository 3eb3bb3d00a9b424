//! The message centre (`/messages`): the alerts sent to the signed-in user, newest first, marked
//! read one by one or all at once. The bell in the top bar counts what is unread, live.

use leptos::prelude::*;

use crate::ui::components::{PageHeader, tr};
use leptos_meta::Title;

use crate::api::alerts::{MarkMessagesRead, list_messages};
use crate::ui::components::{ErrorNote, Pager, last_error};
use crate::ui::pages::alert_history::{rule_link, when};
use crate::ui::use_t;

/// Bumped whenever the unread count may have changed, so the bell and the list re-read.
#[derive(Clone, Copy)]
pub struct InboxChanged(pub RwSignal<usize>);

#[component]
pub fn MessagesPage() -> impl IntoView {
    let t = use_t();
    let unread_only = RwSignal::new(false);
    let page = RwSignal::new(1u64);
    let mark = ServerAction::<MarkMessagesRead>::new();
    let changed = use_context::<InboxChanged>();
    let bump = RwSignal::new(0usize);
    Effect::new(move |_| {
        if matches!(mark.value().get(), Some(Ok(_))) {
            bump.update(|n| *n += 1);
            if let Some(c) = changed {
                c.0.update(|n| *n += 1);
            }
        }
    });
    let live = move || changed.map(|c| c.0.get()).unwrap_or(0);
    let list = Resource::new(
        move || (unread_only.get(), page.get(), bump.get(), live()),
        |(only, page, _, _)| list_messages(only, page),
    );
    view! {
        <Title text=move || t().messages_title />
        <PageHeader title=tr(|t| t.messages_title) />
        <div class="form-row">
            <label class="check"><input type="checkbox" data-testid="messages-unread-only"
                prop:checked=unread_only on:change=move |ev| { unread_only.set(event_target_checked(&ev)); page.set(1); } />
                {move || t().unread_only}</label>
            <button type="button" data-testid="messages-read-all" on:click=move |_| { mark.dispatch(MarkMessagesRead { ids: Vec::new() }); }>
                {move || t().mark_all_read}</button>
        </div>
        <ErrorNote error=last_error(mark.value()) />
        <Transition fallback=|| view! { <crate::ui::components::Skeleton /> }>
            {move || list.get().map(|r| match r {
                Err(e) => view! { <p class="error" role="alert">{crate::ui::error_text(&e)}</p> }.into_any(),
                Ok(inbox) => {
                    let more = inbox.has_more;
                    let empty = inbox.items.is_empty();
                    view! {
                        {empty.then(|| view! { <p class="muted" data-testid="messages-empty">{t().no_messages}</p> })}
                        <ul class="messages" data-testid="messages">
                            {inbox.items.into_iter().map(|m| {
                                let id = m.id;
                                let read = m.read;
                                view! {
                                    <li data-testid="message" data-read=read.to_string() class:unread=!read>
                                        <span class=format!("badge {}", m.alert.status)>{m.alert.status.clone()}</span>" "
                                        <strong>{m.alert.alert_name.clone()}</strong>" "
                                        <span class="small muted">{format!("{}/{} · {}", m.alert.cluster, m.alert.namespace, when(m.created_at))}</span>
                                        <p>{m.alert.message.clone()}</p>
                                        <a class="small" href=rule_link(&m.alert)>{move || t().open_rule}</a>
                                        {(!read).then(|| view! {
                                            " "<button type="button" class="small" data-testid="message-read"
                                                on:click=move |_| { mark.dispatch(MarkMessagesRead { ids: vec![id] }); }>{move || t().mark_read}</button>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                        <Pager page more />
                    }.into_any()
                }
            })}
        </Transition>
    }
}

/// The bell: the unread count, kept current by the server's event stream while the page is open.
#[component]
pub fn MessageBell() -> impl IntoView {
    let t = use_t();
    let changed = InboxChanged(RwSignal::new(0));
    provide_context(changed);
    let count = RwSignal::new(None::<u64>);
    let first = Resource::new(
        move || changed.0.get(),
        |_| crate::api::alerts::unread_messages(),
    );
    Effect::new(move |_| {
        if let Some(Ok(n)) = first.get() {
            count.set(Some(n));
        }
    });
    listen(count, changed);
    view! {
        <a href="/messages" class="bell" data-testid="bell" title=move || t().messages_title aria-label=move || t().messages_title
            data-unread=move || count.get().unwrap_or(0).to_string()>
            <crate::ui::components::Icon name=crate::ui::components::IconName::Bell />
            {move || count.get().filter(|n| *n > 0).map(|n| view! { <span class="count" data-testid="bell-count">{n}</span> })}
        </a>
    }
}

#[cfg(feature = "hydrate")]
fn listen(count: RwSignal<Option<u64>>, changed: InboxChanged) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let Ok(source) = web_sys::EventSource::new("/api/messages/stream") else {
        return;
    };
    let on_unread =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            if let Some(n) = ev.data().as_string().and_then(|s| s.parse::<u64>().ok())
                && count.get_untracked() != Some(n)
            {
                count.set(Some(n));
                // Open lists (the message centre) re-read.
                changed.0.update(|x| *x += 1);
            }
        });
    let _ = source.add_event_listener_with_callback("unread", on_unread.as_ref().unchecked_ref());
    on_unread.forget();
    let source = send_wrapper::SendWrapper::new(source);
    on_cleanup(move || source.close());
}

#[cfg(not(feature = "hydrate"))]
fn listen(_: RwSignal<Option<u64>>, _: InboxChanged) {}
