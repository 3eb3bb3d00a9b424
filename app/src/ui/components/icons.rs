//! Inline SVG icons: drawn by the page itself, so they look the same whatever fonts the browser
//! has (the bell used to be an emoji, an empty box on a Chromium without an emoji font).
//!
//! Each icon is a 24×24 stroke drawing in the text colour; decorative unless given a label.

use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IconName {
    Bell,
    Plus,
    Trash,
    Edit,
    Search,
    Check,
    Close,
    Alert,
    Info,
    Sun,
    Moon,
    Refresh,
    Download,
    Upload,
    ChevronRight,
    SortUp,
    SortDown,
    Sort,
    Inbox,
}

impl IconName {
    pub const ALL: [IconName; 19] = [
        IconName::Bell,
        IconName::Plus,
        IconName::Trash,
        IconName::Edit,
        IconName::Search,
        IconName::Check,
        IconName::Close,
        IconName::Alert,
        IconName::Info,
        IconName::Sun,
        IconName::Moon,
        IconName::Refresh,
        IconName::Download,
        IconName::Upload,
        IconName::ChevronRight,
        IconName::SortUp,
        IconName::SortDown,
        IconName::Sort,
        IconName::Inbox,
    ];

    /// The drawing: SVG path data on a 24×24 grid.
    fn paths(self) -> &'static [&'static str] {
        match self {
            IconName::Bell => &[
                "M6 9a6 6 0 0 1 12 0c0 5 2 7 2 7H4s2-2 2-7",
                "M10 20a2 2 0 0 0 4 0",
            ],
            IconName::Plus => &["M12 5v14", "M5 12h14"],
            IconName::Trash => &[
                "M4 7h16",
                "M9 7V4h6v3",
                "M6 7l1 13h10l1-13",
                "M10 11v6",
                "M14 11v6",
            ],
            IconName::Edit => &["M4 20h4L19 9l-4-4L4 16z", "M13 7l4 4"],
            IconName::Search => &["M11 4a7 7 0 1 0 0 14a7 7 0 1 0 0-14", "M16 16l4 4"],
            IconName::Check => &["M5 12l5 5L19 7"],
            IconName::Close => &["M6 6l12 12", "M18 6L6 18"],
            IconName::Alert => &["M12 3L2 20h20z", "M12 10v4", "M12 17v.5"],
            IconName::Info => &[
                "M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18",
                "M12 11v6",
                "M12 7.5v.5",
            ],
            IconName::Sun => &[
                "M12 8a4 4 0 1 0 0 8a4 4 0 1 0 0-8",
                "M12 2v2",
                "M12 20v2",
                "M2 12h2",
                "M20 12h2",
                "M5 5l1.5 1.5",
                "M17.5 17.5L19 19",
                "M5 19l1.5-1.5",
                "M17.5 6.5L19 5",
            ],
            IconName::Moon => &["M20 14A8 8 0 1 1 10 4a6 6 0 0 0 10 10z"],
            IconName::Refresh => &["M20 12a8 8 0 1 1-2.3-5.7", "M20 4v4h-4"],
            IconName::Download => &["M12 4v11", "M7 10l5 5l5-5", "M5 20h14"],
            IconName::Upload => &["M12 20V9", "M7 14l5-5l5 5", "M5 4h14"],
            IconName::ChevronRight => &["M9 6l6 6l-6 6"],
            IconName::SortUp => &["M8 14l4-4l4 4"],
            IconName::SortDown => &["M8 10l4 4l4-4"],
            IconName::Sort => &["M8 10l4-4l4 4", "M8 14l4 4l4-4"],
            IconName::Inbox => &["M4 13l2-8h12l2 8", "M4 13v6h16v-6", "M4 13h5l1 2h4l1-2h5"],
        }
    }
}

/// An icon. Without `label` it is hidden from screen readers (the text beside it says what it
/// is); with one it is announced as an image with that name.
#[component]
pub fn Icon(
    name: IconName,
    #[prop(optional, into)] label: Option<Signal<&'static str>>,
) -> impl IntoView {
    let labelled = label.is_some();
    view! {
        <svg
            class="icon"
            viewBox="0 0 24 24"
            width="16"
            height="16"
            fill="none"
            stroke="currentColor"
            stroke-width="2"
            stroke-linecap="round"
            stroke-linejoin="round"
            focusable="false"
            role=if labelled { Some("img") } else { None }
            aria-hidden=if labelled { None } else { Some("true") }
            aria-label=move || label.map(|l| l.get())
        >
            {name.paths().iter().map(|d| view! { <path d=*d /> }).collect_view()}
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::IconName;

    #[test]
    fn every_icon_draws_something_in_the_grid() {
        for icon in IconName::ALL {
            let paths = icon.paths();
            assert!(!paths.is_empty(), "{icon:?}");
            for d in paths {
                assert!(d.starts_with('M'), "{icon:?}: {d}");
                let numbers = d
                    .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
                    .filter_map(|n| n.parse::<f32>().ok());
                for n in numbers {
                    assert!((-24.0..=24.0).contains(&n), "{icon:?}: {n} leaves the grid");
                }
            }
        }
    }
}
