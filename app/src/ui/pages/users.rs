//! User accounts (system admins).

use leptos::prelude::*;

use crate::ui::components::{PageHeader, tr};
use leptos_meta::Title;

use crate::api::users::{CreateUser, SetUserPassword, UpdateUser, list_users};
use crate::model::{NewUser, UserUpdate};
use crate::ui::components::{ErrorNote, TextField, last_error, short_time};
use crate::ui::use_t;

#[component]
pub fn UsersPage() -> impl IntoView {
    let t = use_t();
    let create = ServerAction::<CreateUser>::new();
    let update = ServerAction::<UpdateUser>::new();
    let reset = ServerAction::<SetUserPassword>::new();
    let users = Resource::new(
        move || (create.version().get(), update.version().get()),
        |_| list_users(),
    );
    let username = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let is_admin = RwSignal::new(false);
    let error = last_error(create.value());
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            for s in [username, display_name, email, password] {
                s.set(String::new());
            }
            is_admin.set(false);
        }
    });
    view! {
        <Title text=move || t().users_title />
        <PageHeader title=tr(|t| t.users_title) />
        <ErrorNote error=last_error(update.value()) />
        <ErrorNote error=last_error(reset.value()) />
        <Show when=move || matches!(reset.value().get(), Some(Ok(())))>
            <p class="ok">{move || t().saved}</p>
        </Show>
        <Transition fallback=|| view! { <crate::ui::components::Skeleton /> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(list) => view! {
                        <table class="table" data-testid="users">
                            <thead><tr>
                                <th>{t().username}</th><th>{t().display_name}</th><th>{t().email}</th>
                                <th>{t().system_admin}</th><th>{t().active}</th><th>{t().created_at}</th><th></th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|u| {
                                    let base = UserUpdate {
                                        user_id: u.id,
                                        display_name: u.display_name.clone(),
                                        email: u.email.clone(),
                                        is_system_admin: u.is_system_admin,
                                        active: u.active,
                                    };
                                    let user_id = u.id;
                                    let toggle_admin = base.clone();
                                    let toggle_active = base;
                                    view! {
                                        <tr>
                                            <td>{u.username}</td>
                                            <td>{u.display_name}</td>
                                            <td>{u.email}</td>
                                            <td><input type="checkbox" prop:checked=u.is_system_admin aria-label=t().system_admin
                                                on:change=move |_| { update.dispatch(UpdateUser { user: UserUpdate { is_system_admin: !toggle_admin.is_system_admin, ..toggle_admin.clone() } }); } /></td>
                                            <td><input type="checkbox" prop:checked=u.active aria-label=t().active
                                                on:change=move |_| { update.dispatch(UpdateUser { user: UserUpdate { active: !toggle_active.active, ..toggle_active.clone() } }); } /></td>
                                            <td>{short_time(&u.created_at)}</td>
                                            <td>
                                                <button class="small" on:click=move |_| {
                                                    let answer = window().prompt_with_message(t().password_reset_ends_sessions).ok().flatten();
                                                    if let Some(password) = answer.filter(|p| !p.is_empty()) {
                                                        reset.dispatch(SetUserPassword { user_id, password });
                                                    }
                                                }>{t().reset_password}</button>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => view! { <p class="error">{crate::ui::error_text(&e)}</p> }.into_any(),
                }
            })}
        </Transition>
        <form class="card form-grid" data-testid="create-user" on:submit=move |ev| {
            ev.prevent_default();
            create.dispatch(CreateUser { user: NewUser {
                username: username.get_untracked(),
                display_name: display_name.get_untracked(),
                email: email.get_untracked(),
                password: password.get_untracked(),
                is_system_admin: is_admin.get_untracked(),
            }});
        }>
            <h2>{move || t().new_user}</h2>
            <TextField label=Signal::derive(move || t().username) field="username" value=username error required=true />
            <TextField label=Signal::derive(move || t().display_name) field="display_name" value=display_name error />
            <TextField label=Signal::derive(move || t().email) field="email" value=email error kind="email" />
            <TextField label=Signal::derive(move || t().password) field="password" value=password error kind="password" required=true />
            <label class="field check">
                <input type="checkbox" name="is_system_admin" bind:checked=is_admin />
                <span>{move || t().system_admin}</span>
            </label>
            <div class="buttons"><button type="submit" class="primary">{move || t().create}</button></div>
            <ErrorNote error=Signal::derive(move || error.get().filter(|e| e.field.is_none())) />
        </form>
    }
}
