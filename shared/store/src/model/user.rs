use crate::ids::{AccountId, SiteId, UserId};
use std::collections::BTreeMap;

use crate::Conflict;
use serde::{Deserialize, Serialize};

use crate::keys;
use crate::model::{Account, Role};
use crate::table::{Record, Store, StoreError, StoreResult, Tx, Update, now};

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct User {
    pub id: UserId,
    pub account_id: AccountId,
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    pub is_active: bool,
    /// Bumped when the password changes: tokens carry the epoch they were issued in, and
    /// older ones stop working.
    pub session_epoch: u32,
    /// Sites an editor or viewer was granted (site id → when). Owners and admins see all.
    #[serde(default)]
    pub site_grants: BTreeMap<SiteId, String>,
    pub created_at: String,
    pub updated_at: String,
}

/// Global lookup item: email → user.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
struct EmailLookup {
    account_id: AccountId,
    user_id: UserId,
}

/// Fields an update may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub role: Option<Role>,
    pub is_active: Option<bool>,
}

impl User {
    pub(crate) fn record(&self) -> StoreResult<Record> {
        Record::new(keys::user(&self.account_id, &self.id), "user", self)
    }

    pub(crate) fn email_record(&self) -> StoreResult<Record> {
        let lookup = EmailLookup { account_id: self.account_id.clone(), user_id: self.id.clone() };
        Record::new(keys::email(&self.email), "email", &lookup)
    }
}

impl Store {
    pub async fn user(&self, account_id: &AccountId, user_id: &UserId) -> StoreResult<Option<User>> {
        self.get(keys::user(account_id, user_id)).await
    }

    /// User and account in one round trip: what every authenticated request needs.
    pub async fn user_and_account(
        &self,
        account_id: &AccountId,
        user_id: &UserId,
    ) -> StoreResult<(Option<User>, Option<Account>)> {
        self.get_two(keys::user(account_id, user_id), keys::account(account_id)).await
    }

    pub async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let Some(lookup) = self.get::<EmailLookup>(keys::email(email)).await? else {
            return Ok(None);
        };
        self.user(&lookup.account_id, &lookup.user_id).await
    }

    /// The account's users, oldest first.
    pub async fn users(&self, account_id: &AccountId) -> StoreResult<Vec<User>> {
        self.query_prefix(&keys::account_pk(account_id), "USER#").await
    }

    /// Adds a user if the account is below `max_users` (else `Condition("plan_limit")`)
    /// and the email is free (else `Condition("email_taken")`).
    pub async fn add_user(&self, user: &User, max_users: u32) -> StoreResult<()> {
        let table = self.table();
        let mut tx = Tx::new();
        let count = Update::new(keys::account(&user.account_id))
            .add("users_count", 1)
            .when("users_count < :max")
            .value(":max", max_users)?;
        tx.update(table, count, Conflict::PlanLimit);
        tx.create(table, user.record()?, Conflict::UserExists);
        tx.create(table, user.email_record()?, Conflict::EmailTaken);
        self.commit(tx).await
    }

    pub async fn update_user(
        &self,
        account_id: &AccountId,
        user_id: &UserId,
        changes: UserChanges,
    ) -> StoreResult<User> {
        let mut update = Update::new(keys::user(account_id, user_id)).set("updated_at", now())?;
        if let Some(v) = changes.first_name {
            update = update.set("first_name", v)?;
        }
        if let Some(v) = changes.last_name {
            update = update.set("last_name", v)?;
        }
        if let Some(v) = changes.role {
            update = update.set("role", v)?;
        }
        if let Some(v) = changes.is_active {
            update = update.set("is_active", v)?;
        }
        self.update(update, Conflict::UserMissing).await
    }

    /// Stores a new password hash and ends every session issued before it.
    pub async fn set_password(
        &self,
        account_id: &AccountId,
        user_id: &UserId,
        password_hash: &str,
    ) -> StoreResult<User> {
        let update = Update::new(keys::user(account_id, user_id))
            .set("password_hash", password_hash)?
            .set("updated_at", now())?
            .add("session_epoch", 1);
        self.update(update, Conflict::UserMissing).await
    }

    /// Removes a user, its email lookup, and frees its seat on the plan.
    pub async fn delete_user(&self, user: &User) -> StoreResult<()> {
        let table = self.table();
        let mut tx = Tx::new();
        tx.delete(table, keys::user(&user.account_id, &user.id), Conflict::UserMissing);
        tx.delete_if_present(table, keys::email(&user.email));
        tx.update(table, Update::new(keys::account(&user.account_id)).add("users_count", -1), Conflict::AccountMissing);
        self.commit(tx).await
    }

    /// Grants a site to a user; the site must exist in the same account.
    pub async fn grant_site(&self, account_id: &AccountId, user_id: &UserId, site_id: &SiteId) -> StoreResult<User> {
        let table = self.table();
        let mut tx = Tx::new();
        tx.check(
            table,
            keys::site(account_id, site_id),
            "attribute_exists(PK)",
            Default::default(),
            Conflict::SiteMissing,
        );
        let update = Update::new(keys::user(account_id, user_id)).set_entry("site_grants", site_id, now())?;
        tx.update(table, update, Conflict::UserMissing);
        self.commit(tx).await?;
        self.user(account_id, user_id).await?.ok_or(StoreError::Condition(Conflict::UserMissing))
    }

    pub async fn revoke_site(&self, account_id: &AccountId, user_id: &UserId, site_id: &SiteId) -> StoreResult<User> {
        let update = Update::new(keys::user(account_id, user_id)).remove_entry("site_grants", site_id);
        self.update(update, Conflict::UserMissing).await
    }
}
