//! Calendar days in the caller's time zone (KubeGems cut days in the server's zone, §12.17).
//! Daylight-saving days are 23 or 25 hours long, and in some zones midnight does not exist on the
//! day the clocks go forward; a day therefore starts at the first second whose local date is that
//! day, found on the zone's rules (chrono-tz's copy of the tz database).

use app::error::{ApiError, Code};
use chrono::{NaiveDate, TimeZone as _};
use chrono_tz::Tz;

/// The longest trend the overview draws.
pub const MAX_DAYS: usize = 92;

pub fn zone(name: &str) -> Result<Tz, ApiError> {
    if name.is_empty() {
        return Ok(Tz::UTC);
    }
    name.parse::<Tz>()
        .map_err(|_| ApiError::invalid("time_zone", Code::UnknownTimeZone).arg(format!("{name:?}")))
}

fn local_date(tz: &Tz, unix: i64, field: &str) -> Result<NaiveDate, ApiError> {
    tz.timestamp_opt(unix, 0)
        .single()
        .map(|t| t.date_naive())
        .ok_or_else(|| ApiError::invalid(field, Code::OutOfRange))
}

/// The first second whose local date is `date` (or later): no zone is more than 15 hours from
/// UTC, so it lies within 36 hours of midnight UTC of that date, and a binary search finds it.
fn start_of(tz: &Tz, date: NaiveDate, field: &str) -> Result<i64, ApiError> {
    let midnight = date
        .and_hms_opt(0, 0, 0)
        .ok_or_else(|| ApiError::invalid(field, Code::OutOfRange))?
        .and_utc()
        .timestamp();
    let (mut before, mut after) = (midnight - 36 * 3600, midnight + 36 * 3600);
    while after - before > 1 {
        let mid = before + (after - before) / 2;
        if local_date(tz, mid, field)? >= date {
            after = mid;
        } else {
            before = mid;
        }
    }
    Ok(after)
}

/// The start of the day `unix` falls in, and of the day after.
pub fn day_of(tz: &Tz, unix: i64) -> Result<(i64, i64), ApiError> {
    let date = local_date(tz, unix, "from")?;
    let next = date
        .succ_opt()
        .ok_or_else(|| ApiError::invalid("from", Code::OutOfRange))?;
    Ok((start_of(tz, date, "from")?, start_of(tz, next, "from")?))
}

/// Every day from the one `from` falls in to the one `to` falls in: (start, `YYYY-MM-DD`), plus
/// the end of the last day.
pub fn days(tz: &Tz, from: i64, to: i64) -> Result<(Vec<(i64, String)>, i64), ApiError> {
    if to < from {
        return Err(ApiError::invalid("to", Code::ToBeforeFrom));
    }
    let mut out = Vec::new();
    let (mut start, mut next) = day_of(tz, from)?;
    loop {
        let date = local_date(tz, start, "from")?
            .format("%Y-%m-%d")
            .to_string();
        out.push((start, date));
        if next > to {
            return Ok((out, next));
        }
        if out.len() >= MAX_DAYS {
            return Err(ApiError::invalid("from", Code::RangeTooLong).arg(MAX_DAYS));
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
        assert_eq!(days(&Tz::UTC, t, t).unwrap().0[0].1, "2026-11-25");
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
    fn a_day_whose_midnight_does_not_exist_starts_at_one() {
        // Santiago moves its clocks from 00:00 to 01:00 on 2026-09-06: that day starts at 01:00
        // local time (04:00 UTC) and is 23 hours long; the day before it has its 24.
        let santiago = zone("America/Santiago").unwrap();
        let noon = 1_788_710_400; // 2026-09-06T16:00:00Z, noon in Santiago
        let (start, next) = day_of(&santiago, noon).unwrap();
        assert_eq!(start, 1_788_667_200, "2026-09-06T04:00:00Z");
        assert_eq!(next - start, 23 * 3600);
        let (before, end) = day_of(&santiago, start - 1).unwrap();
        assert_eq!(end, start);
        assert_eq!(end - before, 24 * 3600);
    }

    #[test]
    fn bounds_and_lookup() {
        assert!(
            zone("Mars/Olympus")
                .unwrap_err()
                .message
                .starts_with("time_zone:")
        );
        assert!(days(&Tz::UTC, 10, 5).is_err());
        assert!(days(&Tz::UTC, 0, 200 * 86_400).is_err());
        let (list, _) = days(&Tz::UTC, 0, 3 * 86_400 - 1).unwrap();
        assert_eq!(list.len(), 3);
        assert_eq!(index_of(&list, 86_400), Some(1));
        assert_eq!(index_of(&list, 86_399), Some(0));
        assert_eq!(index_of(&list, -1), None);
    }
}
