//! A per-user budget for the requests that make Prometheus or Loki work (fires-now, backtests,
//! range queries, dashboard refreshes): one user cannot keep an upstream busy for everyone. A
//! token bucket per user; a refusal is 429 with Retry-After.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct QueryQuota {
    /// Requests a user may send at once; refilled at `per_minute`.
    burst: f64,
    per_minute: f64,
    buckets: Mutex<HashMap<i64, (f64, Instant)>>,
}

impl QueryQuota {
    /// `per_minute` 0 switches the limit off.
    pub fn new(per_minute: u32) -> Self {
        QueryQuota {
            burst: f64::from(per_minute.max(1)),
            per_minute: f64::from(per_minute),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `user`'s budget, or says how long until one is there.
    pub fn take(&self, user: i64, now: Instant) -> Result<(), Duration> {
        if self.per_minute <= 0.0 {
            return Ok(());
        }
        let rate = self.per_minute / 60.0;
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, (_, at)| now.duration_since(*at) < Duration::from_secs(600));
        }
        let (tokens, at) = map.entry(user).or_insert((self.burst, now));
        let refilled = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(self.burst);
        *at = now;
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            Ok(())
        } else {
            *tokens = refilled;
            Err(Duration::from_secs_f64(
                ((1.0 - refilled) / rate).ceil().max(1.0),
            ))
        }
    }
}

/// In a server function: takes one query from the caller's budget; a refusal sets Retry-After.
#[cfg(feature = "ssr")]
pub fn charge(caller: &super::context::Caller) -> Result<(), crate::error::ApiError> {
    use crate::error::ApiError;
    let quota = leptos::prelude::use_context::<std::sync::Arc<QueryQuota>>();
    let Some(quota) = quota else { return Ok(()) };
    quota.take(caller.user_id, Instant::now()).map_err(|wait| {
        if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
            && let Ok(v) = http::HeaderValue::from_str(&wait.as_secs().to_string())
        {
            res.insert_header(http::header::RETRY_AFTER, v);
        }
        ApiError::new(
            http::StatusCode::TOO_MANY_REQUESTS,
            crate::error::Code::TooManyQueries,
        )
        .arg(wait.as_secs())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_gets_the_burst_then_the_rate() {
        let q = QueryQuota::new(60);
        let t0 = Instant::now();
        let granted = (0..100).filter(|_| q.take(1, t0).is_ok()).count();
        assert_eq!(granted, 60);
        assert_eq!(q.take(1, t0), Err(Duration::from_secs(1)));
        // Another user has a budget of their own.
        assert!(q.take(2, t0).is_ok());
        // One a second comes back.
        assert!(q.take(1, t0 + Duration::from_secs(1)).is_ok());
        assert!(q.take(1, t0 + Duration::from_secs(1)).is_err());
        let off = QueryQuota::new(0);
        assert!((0..1000).all(|_| off.take(1, t0).is_ok()));
    }
}
