use crate::ids::{AccountId, UserId};
use serde::{Deserialize, Serialize};

use crate::Conflict;
use crate::keys;
use crate::table::{Record, Store, StoreError, StoreResult, Update};

/// A refresh-token family: every refresh token issued from one login. Only the newest
/// token (`current_jti`) may be used; presenting an older one means it was stolen or
/// replayed, and the whole family is revoked.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Session {
    pub family_id: String,
    pub account_id: AccountId,
    pub user_id: UserId,
    pub current_jti: String,
    pub revoked: bool,
    pub created_at: String,
    /// Epoch seconds; the item expires through the table's TTL.
    pub expires_at: i64,
    /// Epoch seconds after which the family cannot be refreshed, however it slid (0 on
    /// families made before the limit: none).
    #[serde(default)]
    pub absolute_expires_at: i64,
}

/// How long a login lasts at most, refreshed or not.
pub const SESSION_ABSOLUTE_SECS: i64 = 30 * 24 * 60 * 60;

#[derive(Debug, Clone)]
pub enum RefreshOutcome {
    Rotated(Session),
    /// An old token of the family was presented: the family is now revoked.
    Reused,
    /// The family was revoked (logout, earlier reuse) or has expired.
    Revoked,
}

impl Session {
    pub(crate) fn record(&self) -> StoreResult<Record> {
        Ok(Record::new(keys::session(&self.family_id), "session", self)?.expires_at(self.expires_at))
    }
}

impl Store {
    pub async fn create_session(&self, session: &Session) -> StoreResult<()> {
        let mut tx = crate::Tx::new();
        tx.create(self.table(), session.record()?, Conflict::SessionExists);
        self.commit(tx).await
    }

    pub async fn session(&self, family_id: &str) -> StoreResult<Option<Session>> {
        self.get(keys::session(family_id)).await
    }

    /// Moves the family from `presented_jti` to `next_jti`, atomically: of two requests
    /// presenting the same token, one rotates and the other is treated as reuse.
    /// Each rotation extends the family to `expires_at` (a sliding 7-day window), never
    /// past its absolute end.
    pub async fn rotate_session(
        &self,
        family_id: &str,
        presented_jti: &str,
        next_jti: &str,
        now_epoch: i64,
        expires_at: i64,
    ) -> StoreResult<RefreshOutcome> {
        let update = Update::new(keys::session(family_id))
            .set("current_jti", next_jti)?
            .set("expires_at", expires_at)?
            .set("ttl", expires_at)?
            .when(
                "current_jti = :presented AND revoked = :no AND expires_at > :now \
                 AND (attribute_not_exists(absolute_expires_at) OR absolute_expires_at = :zero \
                 OR absolute_expires_at > :now)",
            )
            .value(":presented", presented_jti)?
            .value(":no", false)?
            .value(":now", now_epoch)?
            .value(":zero", 0)?;
        match self.update::<Session>(update, Conflict::NotCurrent).await {
            Ok(session) => Ok(RefreshOutcome::Rotated(session)),
            Err(StoreError::Condition(_)) => match self.session(family_id).await? {
                Some(session)
                    if !session.revoked
                        && session.expires_at > now_epoch
                        && (session.absolute_expires_at == 0 || session.absolute_expires_at > now_epoch) =>
                {
                    self.revoke_session(family_id).await?;
                    Ok(RefreshOutcome::Reused)
                }
                _ => Ok(RefreshOutcome::Revoked),
            },
            Err(e) => Err(e),
        }
    }

    /// Revokes a family (logout, reuse). Revoking a missing family is not an error.
    pub async fn revoke_session(&self, family_id: &str) -> StoreResult<()> {
        let update = Update::new(keys::session(family_id)).set("revoked", true)?;
        match self.update::<Session>(update, Conflict::SessionMissing).await {
            Ok(_) | Err(StoreError::Condition(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
