//! Calendar days in the caller's time zone (KubeGems cut days in the server's zone, §12.17).
//! Daylight-saving days are 23 or 25 hours long; jiff's zone rules handle them.

use app::error::ApiError;
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// The longest trend the overview draws.
pub const MAX_DAYS: usize = 92;

pub fn zone(name: &str) -> Result<TimeZone, ApiError> {
    if name.is_empty() {
        return Ok(TimeZone::UTC);
    }
    TimeZone::get(name)
        .map_err(|_| ApiError::invalid("time_zone", format!("unknown time zone {name:?}")))
}

fn at(unix: i64, field: &str) -> Result<Timestamp, ApiError> {
    Timestamp::from_second(unix).map_err(|_| ApiError::invalid(field, "out of range"))
}

fn fail(_: jiff::Error) -> ApiError {
    ApiError::invalid("time_zone", "a day boundary falls outside the calendar")
}

/// The start of the day `unix` falls in, and of the day after.
pub fn day_of(tz: &TimeZone, unix: i64) -> Result<(i64, i64), ApiError> {
    let start = at(unix, "from")?
        .to_zoned(tz.clone())
        .start_of_day()
        .map_err(fail)?;
    let next = start
        .tomorrow()
        .map_err(fail)?
        .start_of_day()
        .map_err(fail)?;
    Ok((start.timestamp().as_second(), next.timestamp().as_second()))
}

/// Every day from the one `from` falls in to the one `to` falls in: (start, `YYYY-MM-DD`), plus
/// the end of the last day.
pub fn days(tz: &TimeZone, from: i64, to: i64) -> Result<(Vec<(i64, String)>, i64), ApiError> {
    if to < from {
        return Err(ApiError::invalid("to", "must not be before from"));
    }
    let mut out = Vec::new();
    let (mut start, mut next) = day_of(tz, from)?;
    loop {
        let date = at(start, "from")?.to_zoned(tz.clone()).date().to_string();
        out.push((start, date));
        if next > to {
            return Ok((out, next));
        }
        if out.len() >= MAX_DAYS {
            return Err(ApiError::invalid(
                "from",
                format!("the range spans more than {MAX_DAYS} days"),
            ));
        }
        (start, next) = day_of(tz, next)?;
    }
}

/// The index of the day holding `unix`, given the day starts in order.
pub fn index_of(starts: &[(i64, String)], unix: i64) -> Option<usize> {
    match starts.binary_search_by(|(s, _)| s.cmp(&unix)) {
        Ok(i) => Some(i),
        Err(0) => None,
        Err(i) => Some(i - 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_follow_the_zone() {
        // 2026-11-25T23:30:00Z is already the 26th in Shanghai and still the 25th in New York.
        let t = 1_795_649_400;
        let sh = zone("Asia/Shanghai").unwrap();
        let ny = zone("America/New_York").unwrap();
        let (days_sh, _) = days(&sh, t, t).unwrap();
        let (days_ny, _) = days(&ny, t, t).unwrap();
        assert_eq!(days_sh[0].1, "2026-11-26");
        assert_eq!(days_ny[0].1, "2026-11-25");
        assert_eq!(days_sh[0].0, 1_795_622_400);
        assert_eq!(days_ny[0].0, 1_795_582_800);
        assert_eq!(days(&TimeZone::UTC, t, t).unwrap().0[0].1, "2026-11-25");
    }

    #[test]
    fn daylight_saving_days_are_not_24_hours() {
        // Europe/Paris left summer time on 2026-10-25: that day has 25 hours.
        let paris = zone("Europe/Paris").unwrap();
        let (list, end) = days(&paris, 1_792_800_000, 1_792_900_000).unwrap();
        let lens: Vec<i64> = list
            .windows(2)
            .map(|w| w[1].0 - w[0].0)
            .chain([end - list.last().unwrap().0])
            .collect();
        let dates: Vec<&str> = list.iter().map(|d| d.1.as_str()).collect();
        let i = dates.iter().position(|d| *d == "2026-10-25").unwrap();
        assert_eq!(lens[i], 25 * 3600, "{dates:?} {lens:?}");
    }

    #[test]
    fn bounds_and_lookup() {
        assert!(
            zone("Mars/Olympus")
                .unwrap_err()
                .message
                .starts_with("time_zone:")
        );
        assert!(days(&TimeZone::UTC, 10, 5).is_err());
        assert!(days(&TimeZone::UTC, 0, 200 * 86_400).is_err());
        let (list, _) = days(&TimeZone::UTC, 0, 3 * 86_400 - 1).unwrap();
        assert_eq!(list.len(), 3);
        assert_eq!(index_of(&list, 86_400), Some(1));
        assert_eq!(index_of(&list, 86_399), Some(0));
        assert_eq!(index_of(&list, -1), None);
    }
}
