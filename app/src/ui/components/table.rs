//! Table headers that sort: one click sorts by the column, a second reverses it. The header says
//! which way it is sorted (`aria-sort`), for screen readers as well as by its arrow.

use std::cmp::Ordering;

use leptos::prelude::*;

use super::icons::{Icon, IconName};

/// Which column a table is sorted by, and which way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: &'static str,
    pub ascending: bool,
}

impl Sort {
    pub fn by(key: &'static str) -> Self {
        Sort {
            key,
            ascending: true,
        }
    }

    /// The sort after a click on `key`'s header.
    pub fn toggled(self, key: &'static str) -> Self {
        if self.key == key {
            Sort {
                key,
                ascending: !self.ascending,
            }
        } else {
            Sort::by(key)
        }
    }

    /// Orders rows by the comparison of the current column (a stable sort: ties keep the order
    /// the server gave).
    pub fn apply<T>(self, rows: &mut [T], compare: impl Fn(&'static str, &T, &T) -> Ordering) {
        rows.sort_by(|a, b| {
            let o = compare(self.key, a, b);
            if self.ascending { o } else { o.reverse() }
        });
    }
}

/// A `<th>` whose button sorts the table by `key`.
#[component]
pub fn SortHeader(
    #[prop(into)] label: Signal<String>,
    key: &'static str,
    sort: RwSignal<Sort>,
) -> impl IntoView {
    let state = move || {
        let s = sort.get();
        match (s.key == key, s.ascending) {
            (false, _) => "none",
            (true, true) => "ascending",
            (true, false) => "descending",
        }
    };
    view! {
        <th aria-sort=state>
            <button type="button" class="sort-button" on:click=move |_| sort.update(|s| *s = s.toggled(key))>
                {move || label.get()}
                {move || match state() {
                    "ascending" => view! { <Icon name=IconName::SortUp /> }.into_any(),
                    "descending" => view! { <Icon name=IconName::SortDown /> }.into_any(),
                    _ => view! { <Icon name=IconName::Sort /> }.into_any(),
                }}
            </button>
        </th>
    }
}

#[cfg(test)]
mod tests {
    use super::Sort;

    #[test]
    fn clicks_sort_then_reverse_then_move_on() {
        let s = Sort::by("name");
        assert_eq!(
            s.toggled("name"),
            Sort {
                key: "name",
                ascending: false
            }
        );
        assert_eq!(s.toggled("name").toggled("name"), s);
        assert_eq!(s.toggled("name").toggled("age"), Sort::by("age"));
    }

    #[test]
    fn rows_follow_the_column_and_ties_keep_their_order() {
        let rows = [("b", 2), ("a", 2), ("c", 1)];
        let cmp = |key: &str, x: &(&str, i32), y: &(&str, i32)| match key {
            "name" => x.0.cmp(y.0),
            _ => x.1.cmp(&y.1),
        };
        let cases = [
            (Sort::by("name"), ["a", "b", "c"]),
            (Sort::by("name").toggled("name"), ["c", "b", "a"]),
            (Sort::by("n"), ["c", "b", "a"]),
            (Sort::by("n").toggled("n"), ["b", "a", "c"]),
        ];
        for (sort, want) in cases {
            let mut r = rows;
            sort.apply(&mut r, cmp);
            assert_eq!(r.map(|x| x.0), want, "{sort:?}");
        }
    }
}
