//! UI text in English and Chinese. A catalogue is a struct of fields, so a string missing in one
//! language is a compile error rather than a blank label at run time.

mod en;
mod errors;
mod texts;
mod zh;

pub use errors::{localize, localize_text};
use serde::{Deserialize, Serialize};
pub use texts::Texts;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, Hash)]
pub enum Lang {
    #[default]
    #[serde(rename = "en")]
    En,
    #[serde(rename = "zh-CN")]
    ZhCn,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    /// BCP 47 code, as used in `<html lang>` and the preference cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "en" => Some(Lang::En),
            "zh-CN" | "zh" => Some(Lang::ZhCn),
            _ => None,
        }
    }

    /// Picks from an Accept-Language header: the first language we have wins.
    pub fn from_accept_language(header: &str) -> Self {
        for part in header.split(',') {
            let tag = part
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if tag.starts_with("zh") {
                return Lang::ZhCn;
            }
            if tag.starts_with("en") {
                return Lang::En;
            }
        }
        Lang::En
    }

    /// The name of the language in that language, for the switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::ZhCn => "中文",
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &en::TEXTS,
            Lang::ZhCn => &zh::TEXTS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_first_known() {
        let cases = [
            ("zh-CN,zh;q=0.9,en;q=0.8", Lang::ZhCn),
            ("en-US,en;q=0.9", Lang::En),
            ("fr-FR, zh-TW;q=0.5", Lang::ZhCn),
            ("", Lang::En),
            ("de", Lang::En),
        ];
        for (header, want) in cases {
            assert_eq!(Lang::from_accept_language(header), want, "{header}");
        }
    }

    #[test]
    fn codes_round_trip() {
        for l in Lang::ALL {
            assert_eq!(Lang::parse(l.code()), Some(l));
        }
    }

    #[test]
    fn chinese_catalogue_is_translated() {
        // A label copied over from English untranslated is the usual slip.
        let (en, zh) = (Lang::En.texts(), Lang::ZhCn.texts());
        for (e, z) in [
            (en.log_in, zh.log_in),
            (en.nav_tenants, zh.nav_tenants),
            (en.nav_clusters, zh.nav_clusters),
            (en.tenant, zh.tenant),
            (en.project, zh.project),
            (en.environment, zh.environment),
            (en.create, zh.create),
        ] {
            assert_ne!(e, z);
        }
    }
}
