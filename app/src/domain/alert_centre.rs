//! Pure pieces of the alert centre: the today/yesterday comparison and how a search text splits
//! into label matches and message words.

use crate::error::{ApiError, Code};
use crate::model::DayCompare;

/// Yesterday 0 and today more is "new" (`None`); both 0 is 0 %.
pub fn compare(today: u64, yesterday: u64) -> DayCompare {
    let change = if yesterday == 0 {
        if today == 0 { Some(0.0) } else { None }
    } else {
        let pct = (today as f64 - yesterday as f64) * 100.0 / yesterday as f64;
        Some((pct * 10.0).round() / 10.0)
    };
    DayCompare {
        today,
        yesterday,
        change,
    }
}

/// A search text: `key=value` tokens match labels exactly, the other tokens are words the
/// message must contain (all of them, case-insensitive).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchText {
    pub labels: Vec<(String, String)>,
    pub words: Vec<String>,
}

pub fn parse_search(text: &str) -> Result<SearchText, ApiError> {
    let mut out = SearchText::default();
    for token in text.split_whitespace() {
        match token.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                crate::domain::templates::label_name("text", k)?;
                out.labels
                    .push((k.to_string(), v.trim_matches('"').to_string()));
            }
            _ => out.words.push(token.to_lowercase()),
        }
    }
    if out.labels.len() + out.words.len() > 10 {
        return Err(ApiError::invalid("text", Code::TooManyTokens).arg(10));
    }
    Ok(out)
}

/// `firing`, `resolved` or empty (either).
pub fn check_status(field: &str, status: &str) -> Result<(), ApiError> {
    match status {
        "" | "firing" | "resolved" => Ok(()),
        _ => Err(ApiError::invalid(field, Code::AlertStatus)),
    }
}

/// A page number from 1, and a page size within bounds.
/// The deepest page a list goes to: an offset past it only makes the database scan (and a huge
/// page number overflows the offset).
pub const MAX_PAGE: u64 = 10_000;

pub fn paging(page: u64, size: u64) -> (u64, u64) {
    let size = if size == 0 { 50 } else { size.min(500) };
    (page.clamp(1, MAX_PAGE), size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_numbers_are_bounded() {
        assert_eq!(paging(0, 0), (1, 50));
        assert_eq!(paging(u64::MAX, u64::MAX), (MAX_PAGE, 500));
        let (page, size) = paging(u64::MAX, 500);
        assert!((page - 1).checked_mul(size).is_some());
    }

    #[test]
    fn comparison_edge_cases() {
        let cases = [
            (0, 0, Some(0.0)),
            (5, 0, None),
            (0, 4, Some(-100.0)),
            (6, 4, Some(50.0)),
            (4, 4, Some(0.0)),
            (1, 3, Some(-66.7)),
        ];
        for (today, yesterday, change) in cases {
            assert_eq!(
                compare(today, yesterday).change,
                change,
                "{today} vs {yesterday}"
            );
        }
    }

    #[test]
    fn search_tokens() {
        let s = parse_search("pod=web-1  Disk severity=\"critical\" FULL").unwrap();
        assert_eq!(
            s.labels,
            vec![
                ("pod".to_string(), "web-1".to_string()),
                ("severity".to_string(), "critical".to_string())
            ]
        );
        assert_eq!(s.words, vec!["disk".to_string(), "full".to_string()]);
        assert_eq!(parse_search("").unwrap(), SearchText::default());
        // A token starting with '=' is a word, not a label.
        assert_eq!(parse_search("=x").unwrap().words, vec!["=x".to_string()]);
        let bad = parse_search("9bad=1").unwrap_err();
        assert!(bad.message.starts_with("text:"), "{}", bad.message);
        assert!(parse_search(&"a ".repeat(11)).is_err());
    }

    #[test]
    fn statuses_and_paging() {
        assert!(check_status("status", "firing").is_ok());
        assert!(check_status("status", "").is_ok());
        assert!(check_status("status", "pending").is_err());
        assert_eq!(paging(0, 0), (1, 50));
        assert_eq!(paging(3, 10_000), (3, 500));
    }
}
