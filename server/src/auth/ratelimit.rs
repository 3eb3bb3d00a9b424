//! Failed sign-ins are limited per username and per client address, so guessing a password is
//! slow even across many accounts. An attempt is counted before the password is checked; a success clears the username's count.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct LoginLimiter {
    window: Duration,
    per_user: usize,
    per_ip: usize,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self::new(Duration::from_secs(15 * 60), 5, 20)
    }
}

impl LoginLimiter {
    pub fn new(window: Duration, per_user: usize, per_ip: usize) -> Self {
        LoginLimiter {
            window,
            per_user,
            per_ip,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(username: &str, ip: &str) -> (String, String) {
        (format!("u:{}", username.to_lowercase()), format!("ip:{ip}"))
    }

    /// Counts an attempt before its password is verified, so concurrent guesses cannot all pass
    /// the check before any failure is recorded. `false`: blocked, nothing counted. A success
    /// then gives the attempt back ([`LoginLimiter::confirm_success`]).
    pub fn reserve(&self, username: &str, ip: &str, now: Instant) -> bool {
        let (u, a) = Self::keys(username, ip);
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, v| v.iter().any(|t| now.duration_since(*t) < self.window));
        }
        let mut count = |k: &str| {
            map.get_mut(k)
                .map(|v| {
                    v.retain(|t| now.duration_since(*t) < self.window);
                    v.len()
                })
                .unwrap_or(0)
        };
        if count(&u) >= self.per_user || (!ip.is_empty() && count(&a) >= self.per_ip) {
            return false;
        }
        map.entry(u).or_default().push(now);
        if !ip.is_empty() {
            map.entry(a).or_default().push(now);
        }
        true
    }

    /// A reserved attempt that succeeded: the username's count is cleared and the address's
    /// reservation handed back.
    pub fn confirm_success(&self, username: &str, ip: &str, reserved_at: Instant) {
        let (u, a) = Self::keys(username, ip);
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&u);
        if let Some(v) = map.get_mut(&a)
            && let Some(i) = v.iter().position(|t| *t == reserved_at)
        {
            v.remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_limiter_counts_before_verifying() {
        let l = LoginLimiter::new(Duration::from_secs(60), 3, 5);
        let t0 = Instant::now();
        let granted = (0..10).filter(|_| l.reserve("bob", "1.2.3.4", t0)).count();
        assert_eq!(granted, 3, "only the user's limit may be verified at once");
        assert!(!l.reserve("bob", "1.2.3.4", t0));
        // The address limit holds across usernames.
        let others = (0..10)
            .filter(|i| l.reserve(&format!("u{i}"), "1.2.3.4", t0))
            .count();
        assert_eq!(others, 2);
        // A success gives its reservation back.
        let l = LoginLimiter::new(Duration::from_secs(60), 3, 2);
        assert!(l.reserve("amy", "9.9.9.9", t0));
        l.confirm_success("amy", "9.9.9.9", t0);
        assert!(l.reserve("amy", "9.9.9.9", t0));
        assert!(l.reserve("amy", "9.9.9.9", t0));
        assert!(!l.reserve("zed", "9.9.9.9", t0));
    }

    #[test]
    fn blocks_user_after_limit_and_recovers_after_window() {
        let l = LoginLimiter::new(Duration::from_secs(60), 3, 100);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.reserve("alice", "1.2.3.4", t0));
        }
        assert!(!l.reserve("alice", "1.2.3.4", t0));
        assert!(
            !l.reserve("ALICE", "5.6.7.8", t0),
            "per user, any address, any case"
        );
        assert!(l.reserve("bob", "1.2.3.4", t0));
        assert!(l.reserve("alice", "1.2.3.4", t0 + Duration::from_secs(61)));
    }

    #[test]
    fn blocks_address_across_users() {
        let l = LoginLimiter::new(Duration::from_secs(60), 100, 3);
        let t0 = Instant::now();
        for name in ["a", "b", "c"] {
            assert!(l.reserve(name, "9.9.9.9", t0));
        }
        assert!(!l.reserve("d", "9.9.9.9", t0));
        assert!(l.reserve("d", "9.9.9.8", t0));
    }

    #[test]
    fn success_clears_user_count() {
        let l = LoginLimiter::new(Duration::from_secs(60), 2, 100);
        let t0 = Instant::now();
        assert!(l.reserve("alice", "", t0));
        l.confirm_success("alice", "", t0);
        assert!(l.reserve("alice", "", t0));
        assert!(l.reserve("alice", "", t0));
        assert!(!l.reserve("alice", "", t0));
    }
}
