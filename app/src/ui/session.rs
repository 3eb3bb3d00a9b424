//! Who is signed in, and the language and theme every page renders with.

use leptos::prelude::*;

use crate::api::account::current_user;
use crate::error::ApiError;
use crate::i18n::{Lang, Texts};
use crate::model::{Me, Theme};

#[derive(Clone, Copy)]
pub struct Session {
    pub me: Resource<Result<Option<Me>, ApiError>>,
    pub lang: RwSignal<Lang>,
    pub theme: RwSignal<Theme>,
}

impl Session {
    pub fn provide() -> Self {
        let (lang, theme) = initial_preferences();
        let session = Session {
            me: Resource::new(|| (), |_| current_user()),
            lang: RwSignal::new(lang),
            theme: RwSignal::new(theme),
        };
        provide_context(session);
        session
    }

    /// The signed-in user once the session has loaded; `None` before that or when signed out.
    pub fn user(&self) -> Option<Me> {
        self.me.get().and_then(|r| r.ok()).flatten()
    }
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// The current text catalogue; re-read inside closures so a language switch redraws labels.
pub fn use_t() -> impl Fn() -> &'static Texts + Copy + Send + Sync + 'static {
    let lang = use_session().lang;
    move || lang.get().texts()
}

/// An error in the page's language, rendered from its code (`i18n::errors`); re-read inside
/// closures so a language switch redraws it.
pub fn error_text(e: &ApiError) -> String {
    match use_context::<Session>() {
        Some(s) => crate::i18n::localize(s.lang.get(), e),
        None => e.message.clone(),
    }
}

/// An error shown under the field it is about: the text without the field's name.
pub fn field_error_text(e: &ApiError) -> String {
    match use_context::<Session>() {
        Some(s) => crate::i18n::localize_text(s.lang.get(), e),
        None => e.text(),
    }
}

/// On the server: the preference cookies, else Accept-Language. In the browser: what the server
/// rendered into `<html>`, so hydration starts from the same state.
#[cfg(feature = "ssr")]
fn initial_preferences() -> (Lang, Theme) {
    use crate::api::context::{THEME_COOKIE, cookie, request_lang};
    let Some(parts) = use_context::<http::request::Parts>() else {
        return (Lang::En, Theme::Light);
    };
    let lang = request_lang(&parts);
    let theme = cookie(&parts, THEME_COOKIE)
        .and_then(|c| Theme::parse(&c))
        .unwrap_or_default();
    (lang, theme)
}

#[cfg(not(feature = "ssr"))]
fn initial_preferences() -> (Lang, Theme) {
    let root = document().document_element();
    let lang = root
        .as_ref()
        .and_then(|r| r.get_attribute("lang"))
        .and_then(|c| Lang::parse(&c))
        .unwrap_or_default();
    let theme = root
        .and_then(|r| r.get_attribute("data-theme"))
        .and_then(|c| Theme::parse(&c))
        .unwrap_or_default();
    (lang, theme)
}
