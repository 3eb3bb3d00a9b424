//! Alert channels of a tenant (or the system's): the list, a form per channel type with errors
//! beside their fields, secrets shown only as "set", Test with its result, the delivery log, and
//! a preview of what the channel sends.

use leptos::prelude::*;

use crate::ui::components::{PageHeader, Toggle, tr};
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::channels::{
    CreateChannel, DeleteChannel, TestChannel, UpdateChannel, channel_deliveries, list_channels,
    preview_channel,
};
use crate::api::tenancy::list_tenants;
use crate::error::ApiError;
use crate::model::{Channel, ChannelConfig, ChannelPreview};
use crate::ui::components::{ErrorNote, TextField, last_error, short_time};
use crate::ui::session::use_session;
use crate::ui::use_t;

mod form;
use form::Form;

/// `?tenant=3`, or `?tenant=system`.
fn owner_param(q: Option<String>) -> Option<Option<i64>> {
    match q.as_deref() {
        Some("system") => Some(None),
        Some(v) => v.parse().ok().map(Some),
        None => None,
    }
}

#[component]
pub fn ChannelsPage() -> impl IntoView {
    let t = use_t();
    let query = use_query_map();
    let owner = Memo::new(move |_| owner_param(query.with(|q| q.get("tenant"))));
    let create = ServerAction::<CreateChannel>::new();
    let update = ServerAction::<UpdateChannel>::new();
    let delete = ServerAction::<DeleteChannel>::new();
    crate::ui::components::toast_on_ok(create.value(), |t| t.saved);
    crate::ui::components::toast_on_ok(update.value(), |t| t.saved);
    crate::ui::components::toast_on_ok(delete.value(), |t| t.deleted);
    let test = ServerAction::<TestChannel>::new();
    let tenants = Resource::new(|| (), |_| list_tenants());
    let list = Resource::new(
        move || {
            (
                owner.get(),
                create.version().get(),
                update.version().get(),
                delete.version().get(),
            )
        },
        |(owner, ..)| async move {
            match owner {
                Some(o) => Some(list_channels(o).await),
                None => None,
            }
        },
    );
    let form = Form::new();
    // A saved form starts over.
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(_)))
            || matches!(update.value().get(), Some(Ok(_)))
        {
            form.reset();
        }
    });
    let admin = move || use_session().user().is_some_and(|u| u.is_system_admin);
    let navigate = use_navigate();
    view! {
        <Title text=move || t().channels_title />
        <PageHeader title=tr(|t| t.channels_title) />
        <p class="muted">{move || t().channels_hint}</p>
        <div class="form-row">
            <label class="field">
                <span>{move || t().channel_owner}</span>
                <select data-testid="channel-owner" on:change=move |ev| {
                    navigate(&format!("/channels?tenant={}", event_target_value(&ev)), Default::default())
                }>
                    <option value="">{move || t().choose_tenant}</option>
                    <Suspense>
                        {move || {
                            let current = query.with_untracked(|q| q.get("tenant")).unwrap_or_default();
                            let mut opts: Vec<(String, String)> = tenants.get().and_then(|r| r.ok()).unwrap_or_default()
                                .into_iter().map(|x| (x.id.to_string(), x.name)).collect();
                            if admin() {
                                opts.push(("system".into(), t().system_channels.to_string()));
                            }
                            opts.into_iter().map(|(v, label)| {
                                let selected = v == current;
                                view! { <option value=v selected=selected>{label}</option> }
                            }).collect_view()
                        }}
                    </Suspense>
                </select>
            </label>
        </div>
        <Show when=move || owner.get().is_some() fallback=move || view! { <p class="muted">{t().choose_tenant_channels}</p> }>
            <section class="card">
                <Suspense fallback=|| view! { <crate::ui::components::Skeleton /> }>
                    {move || list.get().flatten().map(|r| match r {
                        Err(e) => view! { <p class="error">{crate::ui::error_text(&e)}</p> }.into_any(),
                        Ok(all) if all.is_empty() => view! { <p class="muted">{t().nothing_yet}</p> }.into_any(),
                        Ok(all) => view! {
                            <table class="table" data-testid="channels">
                                <thead><tr><th>{t().name}</th><th>{t().channel_type}</th><th>{t().updated}</th><th></th></tr></thead>
                                <tbody>
                                    {all.into_iter().map(|c| view! { <ChannelRow c form test delete /> }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    })}
                </Suspense>
                <ErrorNote error=last_error(delete.value()) />
            </section>
            <ChannelForm form owner create update />
        </Show>
    }
}

#[component]
fn ChannelRow(
    c: Channel,
    form: Form,
    test: ServerAction<TestChannel>,
    delete: ServerAction<DeleteChannel>,
) -> impl IntoView {
    let t = use_t();
    let id = c.id;
    let show_log = RwSignal::new(false);
    let log = Resource::new(
        move || (show_log.get(), test.version().get()),
        move |(open, _)| async move {
            if open {
                Some(channel_deliveries(id).await)
            } else {
                None
            }
        },
    );
    // The result of the last Test of this channel.
    let result = move || {
        let mine = test
            .input()
            .get()
            .map(|i| i.channel_id == id)
            .unwrap_or(false);
        if test.pending().get() && mine {
            return Some(
                view! { <span class="muted" data-testid="test-result">{t().sending}</span> }
                    .into_any(),
            );
        }
        match test.value().get() {
            Some(Ok(d)) if d.channel_id == id => Some(if d.ok {
                view! { <span class="ok" data-testid="test-result" data-ok="true">{format!("{} · {} · {} ms", t().delivered, d.upstream, d.latency_ms)}</span> }.into_any()
            } else {
                view! { <span class="error" data-testid="test-result" data-ok="false">{format!("{} · {} {}", t().not_delivered, d.upstream, d.error)}</span> }.into_any()
            }),
            _ => None,
        }
    };
    let confirm = t().confirm_delete;
    let system = c.tenant_id.is_none();
    let session = use_session();
    let admin = move || session.user().is_some_and(|u| u.is_system_admin);
    let rotate = ServerAction::<crate::api::alert_rules::RotateChannelToken>::new();
    let edit_c = c.clone();
    view! {
        <tr data-testid="channel" data-name=c.name.clone()>
            <td><strong>{c.name.clone()}</strong>{system.then(|| view! { <span class="badge">{t().system_channels}</span> })}
                <div class="muted small">{c.description.clone()}</div></td>
            <td>{c.config.kind()}</td>
            <td class="small">{short_time(&c.updated_at)}</td>
            <td>
                <div class="form-row compact">
                    <button type="button" class="small" data-testid="channel-edit" on:click=move |_| form.load(&edit_c)>{move || t().edit}</button>
                    <button type="button" class="small primary" data-testid="channel-test"
                        on:click=move |_| { test.dispatch(TestChannel { channel_id: id }); }>{move || t().test}</button>
                    <button type="button" class="small" data-testid="channel-log" on:click=move |_| show_log.update(|s| *s = !*s)>{move || t().delivery_log}</button>
                    <span data-testid="channel-delete">
                        <crate::ui::components::ConfirmButton label=t().delete question=confirm
                            on_confirm=Callback::new(move |_| { delete.dispatch(DeleteChannel { channel_id: id }); }) />
                    </span>
                    <Show when=admin>
                        <button type="button" class="small" data-testid="channel-rotate" disabled=move || rotate.pending().get()
                            on:click=move |_| { rotate.dispatch(crate::api::alert_rules::RotateChannelToken { channel_id: id }); }>{move || t().rotate_token}</button>
                    </Show>
                </div>
                {result}
                <ErrorNote error=last_error(rotate.value()) />
                {move || rotate.value().get().and_then(|r| r.ok()).map(crate::ui::components::rotation_note)}
            </td>
        </tr>
        <Show when=move || show_log.get()>
            <tr><td colspan="4">
                <Suspense fallback=|| view! { <crate::ui::components::Skeleton /> }>
                    {move || log.get().flatten().map(|r| match r {
                        Err(e) => view! { <p class="error">{crate::ui::error_text(&e)}</p> }.into_any(),
                        Ok(rows) => view! {
                            <table class="table small" data-testid="deliveries">
                                <thead><tr><th>{t().time}</th><th>{t().status}</th><th>{t().upstream}</th><th>{t().attempts}</th><th>"ms"</th><th>{t().group}</th></tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|d| view! {
                                        <tr data-testid="delivery" data-ok=d.ok.to_string() class:failed=!d.ok>
                                            <td>{short_time(&d.at)}{d.test.then_some(" (test)")}</td>
                                            <td>{if d.ok { t().delivered } else { t().not_delivered }}</td>
                                            <td>{d.upstream}{(!d.error.is_empty()).then(|| format!(" · {}", d.error))}</td>
                                            <td>{d.attempts}</td>
                                            <td>{d.latency_ms}</td>
                                            <td class="mono">{d.group}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    })}
                </Suspense>
            </td></tr>
        </Show>
    }
}

#[component]
fn ChannelForm(
    form: Form,
    owner: Memo<Option<Option<i64>>>,
    create: ServerAction<CreateChannel>,
    update: ServerAction<UpdateChannel>,
) -> impl IntoView {
    let t = use_t();
    let preview = RwSignal::new(None::<Result<ChannelPreview, ApiError>>);
    // An input the form itself cannot build (a type it does not know), shown until the next try.
    let unbuilt = RwSignal::new(None::<ApiError>);
    let error = Signal::derive(move || {
        if let Some(e) = unbuilt.get() {
            return Some(e);
        }
        if form.editing.get().is_some() {
            last_error(update.value()).get()
        } else {
            last_error(create.value()).get()
        }
        .or_else(|| preview.get().and_then(|p| p.err()))
    });
    let kind = move || form.kind.get();
    let has = move |k: &[&str]| k.contains(&kind().as_str());
    let secret_hint = move |field: &'static str| {
        move || {
            let h = form.hint(field);
            if h.is_empty() {
                String::new()
            } else {
                format!("{} {h}", t().secret_set)
            }
        }
    };
    let built = move || {
        let input = form.input();
        unbuilt.set(input.as_ref().err().cloned());
        input.ok()
    };
    let on_preview = move |_| {
        let Some(input) = built() else { return };
        leptos::task::spawn_local(async move {
            preview.set(Some(preview_channel(input).await));
        });
    };
    view! {
        <section class="card" data-testid="channel-form">
            <h2>{move || if form.editing.get().is_some() { t().edit_channel } else { t().new_channel }}</h2>
            <div class="editor-layout">
            <form class="form-grid" on:submit=move |ev| {
                ev.prevent_default();
                let Some(input) = built() else { return };
                match form.editing.get_untracked() {
                    Some(id) => { update.dispatch(UpdateChannel { channel_id: id, channel: input }); }
                    None => if let Some(tenant_id) = owner.get_untracked() {
                        create.dispatch(CreateChannel { tenant_id, channel: input });
                    },
                }
            }>
                <div class="form-row wide">
                    <label class="field">
                        <span>{move || t().channel_type}</span>
                        <select name="kind" data-testid="channel-kind" prop:value=move || form.kind.get()
                            disabled=move || form.editing.get().is_some()
                            on:change=move |ev| form.kind.set(event_target_value(&ev))>
                            {ChannelConfig::KINDS.into_iter().map(|k| view! {
                                <option value=k selected=move || form.kind.get() == k>{k}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <TextField label=Signal::derive(move || t().name) field="name" value=form.name error required=true />
                    <TextField label=Signal::derive(move || t().description) field="description" value=form.description error />
                </div>
                <Show when=move || has(&["webhook", "feishu", "dingtalk", "wecom"])>
                    <TextField label=Signal::derive(move || t().robot_url) field="config.url" value=form.url error />
                    <p class="muted small" data-testid="secret-url">{secret_hint("url")}</p>
                </Show>
                <Show when=move || has(&["feishu", "dingtalk"])>
                    <TextField label=Signal::derive(move || t().sign_secret) field="config.sign_secret" value=form.sign_secret error kind="password" />
                    <p class="muted small" data-testid="secret-sign">{secret_hint("sign_secret")}</p>
                </Show>
                <Show when=move || kind() == "feishu">
                    <TextField label=Signal::derive(move || t().mentions_feishu) field="config.at" value=form.mentions error />
                </Show>
                <Show when=move || kind() == "dingtalk">
                    <TextField label=Signal::derive(move || t().mentions_dingtalk) field="config.at_mobiles" value=form.mentions error />
                </Show>
                <Show when=move || kind() == "wecom">
                    <TextField label=Signal::derive(move || t().mentions_wecom) field="config.mentioned" value=form.mentions error />
                </Show>
                <Show when=move || has(&["webhook"])>
                    <Toggle label=Signal::derive(move || t().insecure_tls.to_string()) checked=form.insecure_tls />
                </Show>
                <Show when=move || has(&["email"])>
                    <div class="form-row wide">
                        <TextField label=Signal::derive(move || t().smtp_host) field="config.smtp_host" value=form.smtp_host error />
                        <TextField label=Signal::derive(move || t().port) field="config.smtp_port" value=form.smtp_port error />
                        <label class="field">
                            <span>"TLS"</span>
                            <select name="tls" prop:value=move || form.tls.get() on:change=move |ev| form.tls.set(event_target_value(&ev))>
                                <option value="starttls">"STARTTLS"</option>
                                <option value="tls">"TLS"</option>
                                <option value="none">{move || t().no_tls}</option>
                            </select>
                        </label>
                    </div>
                    <TextField label=Signal::derive(move || t().mail_from) field="config.from" value=form.from error />
                    <TextField label=Signal::derive(move || t().mail_to) field="config.to" value=form.to error />
                    <div class="form-row wide">
                        <TextField label=Signal::derive(move || t().username) field="config.username" value=form.username error />
                        <TextField label=Signal::derive(move || t().password) field="config.password" value=form.password error kind="password" />
                    </div>
                    <p class="muted small">{secret_hint("password")}</p>
                </Show>
                <Show when=move || has(&["aliyun_sms", "aliyun_voice"])>
                    <div class="form-row wide">
                        <TextField label=Signal::derive(move || t().access_key_id) field="config.access_key_id" value=form.key_id error />
                        <TextField label=Signal::derive(move || t().access_key_secret) field="config.access_key_secret" value=form.key_secret error kind="password" />
                    </div>
                    <p class="muted small">{secret_hint("access_key_secret")}</p>
                </Show>
                <Show when=move || has(&["aliyun_sms"])>
                    <TextField label=Signal::derive(move || t().phone_numbers) field="config.phone_numbers" value=form.numbers error />
                    <div class="form-row wide">
                        <TextField label=Signal::derive(move || t().sign_name) field="config.sign_name" value=form.sign_name error />
                        <TextField label=Signal::derive(move || t().template_code) field="config.template_code" value=form.code error />
                    </div>
                </Show>
                <Show when=move || has(&["aliyun_voice"])>
                    <div class="form-row wide">
                        <TextField label=Signal::derive(move || t().called_number) field="config.called_number" value=form.numbers error />
                        <TextField label=Signal::derive(move || t().tts_code) field="config.tts_code" value=form.code error />
                    </div>
                </Show>
                <Toggle label=Signal::derive(move || t().send_resolved.to_string()) checked=form.send_resolved />
                <ErrorNote error=Signal::derive(move || error.get().filter(|e| e.field.is_none())) />
                <div class="form-row wide">
                    <button type="submit" class="primary" data-testid="channel-save">{move || t().save}</button>
                    <button type="button" data-testid="channel-preview" on:click=on_preview>{move || t().preview}</button>
                    <Show when=move || form.editing.get().is_some()>
                        <button type="button" on:click=move |_| form.reset()>{move || t().cancel}</button>
                    </Show>
                </div>
            </form>
            {move || preview.get().and_then(|p| p.ok()).map(|p| view! {
                <div class="preview card" data-testid="preview">
                    <h3>{move || t().preview}</h3>
                    <p><strong>{p.title}</strong></p>
                    {(!p.markdown.is_empty()).then(|| view! { <pre class="mono small">{p.markdown.clone()}</pre> })}
                    {(!p.url.is_empty()).then(|| view! { <p class="muted small">{format!("POST {}", p.url)}</p> })}
                    {(!p.body.is_empty()).then(|| view! { <pre class="mono small">{p.body.clone()}</pre> })}
                    {(p.body.is_empty() && !p.subject.is_empty()).then(|| view! { <p class="muted small">{p.subject.clone()}</p> })}
                </div>
            })}
            </div>
        </section>
    }
}
