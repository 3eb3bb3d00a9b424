//! Long-lived streams (the unread count) a user may hold open at once: each holds a connection
//! and wakes on every alert, so one user cannot open thousands.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub struct StreamSlots {
    per_user: usize,
    open: Mutex<HashMap<i64, usize>>,
}

/// One open stream; dropping it (the stream ends or the client goes) frees the slot.
pub struct Slot {
    slots: Arc<StreamSlots>,
    user: i64,
}

impl StreamSlots {
    pub fn new(per_user: usize) -> Self {
        StreamSlots {
            per_user,
            open: Mutex::new(HashMap::new()),
        }
    }

    /// A slot for `user`, or `None` when they already hold `per_user` streams.
    pub fn take(self: &Arc<Self>, user: i64) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(user).or_default();
        if *n >= self.per_user {
            return None;
        }
        *n += 1;
        Some(Slot {
            slots: self.clone(),
            user,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unread_streams_are_limited_per_user() {
        let slots = Arc::new(StreamSlots::new(5));
        let held: Vec<Slot> = (0..5).filter_map(|_| slots.take(1)).collect();
        assert_eq!(held.len(), 5);
        assert!(slots.take(1).is_none());
        assert!(slots.take(2).is_some(), "another user has their own");
        drop(held);
        assert!(
            slots.take(1).is_some(),
            "closed streams give their slot back"
        );
    }
}
