use crate::ids::{AccountId, UserId};
use serde::{Deserialize, Serialize};

use crate::Conflict;
use crate::keys;
use crate::model::{Session, User};
use crate::table::{Record, Store, StoreResult, Tx, Update, now};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    Trial,
    Suspended,
    Cancelled,
}

impl AccountStatus {
    /// Whether the account's users and keys may use the API.
    pub fn is_usable(self) -> bool {
        matches!(self, AccountStatus::Active | AccountStatus::Trial)
    }
}

/// The tenant. Its counts are kept true transactionally (each moves in the transaction
/// that creates or deletes what it counts): they are what plan limits are checked against.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    pub plan_id: String,
    pub status: AccountStatus,
    pub credits: i64,
    /// Credits held for accepted jobs that have not charged them yet: what new jobs
    /// can count on is `credits - held` (`docs/decisions.md`, credit holds).
    #[serde(default)]
    pub held: i64,
    pub owner_user_id: UserId,
    pub users_count: u32,
    pub sites_count: u32,
    #[serde(default)]
    pub keywords_count: u32,
    #[serde(default)]
    pub clusters_count: u32,
    #[serde(default)]
    pub ideas_count: u32,
    pub created_at: String,
    pub updated_at: String,
}

/// What registration writes, all or nothing.
#[derive(Debug, Clone)]
pub struct Registration {
    pub account: Account,
    pub owner: User,
    pub session: Session,
}

impl Tx {
    /// Moves one of the account's counts by `delta`. With `max`, a rise may not take it
    /// past `max` (else `PlanLimit`).
    pub fn count_in_account(
        &mut self,
        table: &str,
        account_id: &AccountId,
        counter: &str,
        delta: i64,
        max: Option<u32>,
    ) -> StoreResult<()> {
        let update = Update::new(keys::account(account_id));
        let update = match max {
            Some(max) => update.add_within(counter, delta, max)?,
            None => update.add(counter, delta),
        };
        self.update(table, update, Conflict::PlanLimit);
        Ok(())
    }
}

impl Store {
    /// Creates account, owner, email lookup, first session and the transaction of the
    /// starting credits in one transaction. Fails
    /// with `Condition("email_taken")` when the email is in use — also when two
    /// registrations of one email race: exactly one wins.
    pub async fn register(&self, registration: &Registration) -> StoreResult<()> {
        let table = self.table();
        let mut tx = Tx::new();
        let account = &registration.account;
        tx.create(table, Record::new(keys::account(&account.id), "account", account)?, Conflict::AccountExists);
        tx.create(table, registration.owner.record()?, Conflict::UserExists);
        tx.create(table, registration.owner.email_record()?, Conflict::EmailTaken);
        tx.create(table, registration.session.record()?, Conflict::SessionExists);
        if account.credits > 0 {
            let opening = crate::model::ledger::opening_balance(&account.id, account.credits, "Starting credits")?;
            tx.create(table, opening, Conflict::Exists);
        }
        self.commit(tx).await
    }

    pub async fn account(&self, account_id: &AccountId) -> StoreResult<Option<Account>> {
        self.get(keys::account(account_id)).await
    }

    pub async fn rename_account(&self, account_id: &AccountId, name: &str) -> StoreResult<Account> {
        let update = Update::new(keys::account(account_id)).set("name", name)?.set("updated_at", now())?;
        self.update(update, Conflict::AccountMissing).await
    }
}
