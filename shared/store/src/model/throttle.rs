//! Attempt counters for throttling (failed sign-ins, registrations): one item per
//! subject and fixed window, `THROTTLE#<scope>#<subject>#<window start>`. The window is
//! in the key, so a new window starts a new count on the dot; the table's TTL only
//! removes old items, it does not decide when a window ends.

use crate::Conflict;
use crate::keys;
use serde::{Deserialize, Serialize};

use crate::table::{Key, Store, StoreResult, Update};

/// How many attempts a subject made in the current window, and when the last was.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attempts {
    #[serde(default)]
    pub count: u32,
    #[serde(default)]
    pub last_at: i64,
}

fn throttle_key(scope: &str, subject: &str, window_secs: i64, now: i64) -> Key {
    keys::throttle(scope, subject, now - now.rem_euclid(window_secs))
}

impl Store {
    /// The attempts counted in the window `now` falls in.
    pub async fn attempts(&self, scope: &str, subject: &str, window_secs: i64, now: i64) -> StoreResult<Attempts> {
        let key = throttle_key(scope, subject, window_secs, now);
        if !key.fits() {
            return Ok(Attempts::default());
        }
        Ok(self.get(key).await?.unwrap_or_default())
    }

    /// Counts one attempt (atomically, whatever runs at the same time); the new tally.
    pub async fn count_attempt(&self, scope: &str, subject: &str, window_secs: i64, now: i64) -> StoreResult<Attempts> {
        let key = throttle_key(scope, subject, window_secs, now);
        if !key.fits() {
            return Ok(Attempts::default());
        }
        let update = Update::upsert(key).add("count", 1).set("last_at", now)?.set("ttl", now + 2 * window_secs)?;
        self.update(update, Conflict::Never).await
    }

    /// Forgets a subject's attempts of this window and the one before.
    pub async fn reset_attempts(&self, scope: &str, subject: &str, window_secs: i64, now: i64) -> StoreResult<()> {
        let mut tx = crate::table::Tx::new();
        for at in [now, now - window_secs] {
            let key = throttle_key(scope, subject, window_secs, at);
            if key.fits() {
                tx.delete_if_present(self.table(), key);
            }
        }
        self.commit(tx).await
    }

    /// Takes one attempt back (a sign-in that succeeded); never below zero.
    pub async fn uncount_attempt(&self, scope: &str, subject: &str, window_secs: i64, now: i64) -> StoreResult<()> {
        let key = throttle_key(scope, subject, window_secs, now);
        if !key.fits() {
            return Ok(());
        }
        let update =
            Update::new(key).add("count", -1).when("#count > :zero").name("#count", "count").value(":zero", 0)?;
        match self.update::<Attempts>(update, Conflict::Never).await {
            Ok(_) | Err(crate::table::StoreError::Condition(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
