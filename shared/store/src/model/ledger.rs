//! Credits: the balance on the account item, every change of it as a credit
//! transaction, and every AI operation as a usage record.
//!
//! A charge is a few actions added to the transaction that saves what was paid for
//! ([`Tx::charge`]), so results and their price are written together or not at all. The
//! balance update is conditional on the balance read just before (`credits = :read`):
//! it can never go below zero, and `balance_after` on the transaction is exact even
//! when many jobs finish at once (a loser of that race re-reads and tries again).

use crate::Conflict;
use crate::ids::{AccountId, JobId, SiteId};
use serde::{Deserialize, Serialize};

use crate::keys;
use crate::table::{Record, Store, StoreResult, Tx, Update, new_id, now};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CreditTransactionType {
    Purchase,
    Usage,
    Refund,
    Adjustment,
}

/// One change of the balance. `amount` is negative for usage.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreditTransaction {
    pub id: String,
    pub account_id: AccountId,
    pub transaction_type: CreditTransactionType,
    pub amount: i64,
    pub balance_after: i64,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<JobId>,
    pub created_at: String,
}

impl CreditTransaction {
    /// A change of `amount` leaving the balance at `balance_after`, now.
    pub fn new(
        account_id: &AccountId,
        transaction_type: CreditTransactionType,
        amount: i64,
        balance_after: i64,
        description: &str,
    ) -> Self {
        Self {
            id: new_id("ctx"),
            account_id: account_id.to_owned(),
            transaction_type,
            amount,
            balance_after,
            description: description.to_owned(),
            operation: None,
            job_id: None,
            created_at: now(),
        }
    }

    fn record(&self) -> StoreResult<Record> {
        Record::new(keys::credit_transaction(&self.account_id, &self.id), "credit_transaction", self)
    }
}

/// One AI operation: what it cost us (tokens, dollars) and the customer (credits).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct UsageRecord {
    pub id: String,
    pub account_id: AccountId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_id: Option<SiteId>,
    pub operation: String,
    pub credits: i64,
    pub tokens_in: u64,
    pub tokens_out: u64,
    /// Millionths of a US dollar, so that sums are exact.
    pub cost_micros: i64,
    /// Why the dollar cost is not known (no price for the model, no token counts): then
    /// `cost_micros` is 0 and means nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_note: Option<String>,
    pub provider: String,
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<JobId>,
    pub created_at: String,
}

/// What one saved result costs.
#[derive(Debug, Clone)]
pub struct Charge {
    pub account_id: AccountId,
    pub site_id: Option<SiteId>,
    pub operation: String,
    pub credits: i64,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub cost_micros: i64,
    pub cost_note: Option<String>,
    pub provider: String,
    pub model: String,
    pub job_id: Option<JobId>,
    pub description: String,
    /// The account's counts that move with the charge (see `UnitOutcome::account_counts`).
    pub account_counts: Vec<(&'static str, i64)>,
    /// Words written and images drawn (the month's usage, which plans limit).
    pub words: u64,
    pub images: u64,
    /// What of the job's hold this charge uses up (and so releases).
    pub release_hold: i64,
}

/// What an account used of its AI in one calendar month (UTC): the plan limits these.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MonthlyUsage {
    /// Saved AI results (an article, an image, a cluster's ideas, a clustering run …).
    #[serde(default)]
    pub ai_requests: u64,
    #[serde(default)]
    pub words: u64,
    #[serde(default)]
    pub images: u64,
}

/// `YYYY-MM` of an RFC 3339 time.
fn month_of(stamp: &str) -> &str {
    stamp.get(..7).unwrap_or(stamp)
}

impl Tx {
    /// Adds `charge` to the transaction: the balance moves from `balance` (as just read)
    /// to `balance - credits`, a credit transaction is written when credits change hands
    /// (negative credits: a refund), and a usage record when anything was used. Fails
    /// with `Condition(Conflict::BalanceChanged)` at commit if the balance moved since it was
    /// read; the caller checks `balance >= credits` first.
    pub fn charge(&mut self, table: &str, balance: i64, charge: &Charge) -> StoreResult<()> {
        let created_at = now();
        if charge.credits == 0 {
            for (counter, delta) in &charge.account_counts {
                self.count_in_account(table, &charge.account_id, counter, *delta, None)?;
            }
        } else {
            let mut update = Update::new(keys::account(&charge.account_id))
                .set("credits", balance - charge.credits)?
                .set("updated_at", &created_at)?
                .when("credits = :read AND :read >= :cost")
                .value(":read", balance)?
                .value(":cost", charge.credits)?;
            for (counter, delta) in &charge.account_counts {
                update = update.add(counter, *delta);
            }
            if charge.release_hold > 0 {
                update = update.add("held", -charge.release_hold);
            }
            self.update(table, update, Conflict::BalanceChanged);
            // Negative credits give back what an earlier charge of the job took.
            let kind = if charge.credits > 0 { CreditTransactionType::Usage } else { CreditTransactionType::Refund };
            let mut transaction = CreditTransaction::new(
                &charge.account_id,
                kind,
                -charge.credits,
                balance - charge.credits,
                &charge.description,
            );
            transaction.operation = Some(charge.operation.clone());
            transaction.job_id = charge.job_id.clone();
            self.create(table, transaction.record()?, Conflict::Exists);
        }
        let used = charge.credits > 0 || charge.tokens_in > 0 || charge.tokens_out > 0 || charge.cost_micros > 0;
        if !used {
            return Ok(()); // a refund, or a part of an operation recorded with its first part
        }
        let usage = UsageRecord {
            id: new_id("use"),
            account_id: charge.account_id.clone(),
            site_id: charge.site_id.clone(),
            operation: charge.operation.clone(),
            credits: charge.credits,
            tokens_in: charge.tokens_in,
            tokens_out: charge.tokens_out,
            cost_micros: charge.cost_micros,
            cost_note: charge.cost_note.clone(),
            provider: charge.provider.clone(),
            model: charge.model.clone(),
            job_id: charge.job_id.clone(),
            created_at,
        };
        let month = Update::upsert(keys::month_usage(&charge.account_id, month_of(&usage.created_at)))
            .add("ai_requests", 1)
            .add("words", charge.words as i64)
            .add("images", charge.images as i64);
        self.create(
            table,
            Record::new(keys::usage_record(&charge.account_id, &usage.id), "usage", &usage)?,
            Conflict::Exists,
        );
        self.update(table, month, Conflict::Never);
        Ok(())
    }
}

/// The transaction recording a new account's starting credits (written with the
/// account, so the ledger always adds up to the balance).
pub(crate) fn opening_balance(account_id: &AccountId, credits: i64, description: &str) -> StoreResult<Record> {
    CreditTransaction::new(account_id, CreditTransactionType::Adjustment, credits, credits, description).record()
}

impl Store {
    /// What the account used of its AI in the month of `now` (zeros before any use).
    pub async fn monthly_usage(&self, account_id: &AccountId, now: &str) -> StoreResult<MonthlyUsage> {
        Ok(self.get(keys::month_usage(account_id, month_of(now))).await?.unwrap_or_default())
    }

    /// The account's balance, read strongly consistent.
    pub async fn balance(&self, account_id: &AccountId) -> StoreResult<Option<i64>> {
        Ok(self.account(account_id).await?.map(|a| a.credits))
    }

    /// Credit transactions, newest first.
    pub async fn credit_transactions(&self, account_id: &AccountId) -> StoreResult<Vec<CreditTransaction>> {
        let mut all: Vec<CreditTransaction> = self.query_prefix(&keys::account_pk(account_id), "CREDITTX#").await?;
        all.reverse();
        Ok(all)
    }

    /// Usage records, newest first.
    pub async fn usage_records(&self, account_id: &AccountId) -> StoreResult<Vec<UsageRecord>> {
        let mut all: Vec<UsageRecord> = self.query_prefix(&keys::account_pk(account_id), "USAGE#").await?;
        all.reverse();
        Ok(all)
    }

    /// Adds (or, negative, removes) credits outside AI usage — a purchase, refund or
    /// adjustment — with its transaction; never below zero (`INSUFFICIENT_CREDITS`).
    pub async fn grant_credits(
        &self,
        account_id: &AccountId,
        amount: i64,
        transaction_type: CreditTransactionType,
        description: &str,
    ) -> StoreResult<CreditTransaction> {
        loop {
            let Some(balance) = self.balance(account_id).await? else {
                return Err(crate::StoreError::Condition(Conflict::AccountMissing));
            };
            if balance + amount < 0 {
                return Err(crate::StoreError::Condition(Conflict::InsufficientCredits));
            }
            let transaction =
                CreditTransaction::new(account_id, transaction_type, amount, balance + amount, description);
            let mut tx = Tx::new();
            let update = Update::new(keys::account(account_id))
                .set("credits", balance + amount)?
                .set("updated_at", &transaction.created_at)?
                .when("credits = :read")
                .value(":read", balance)?;
            tx.update(self.table(), update, Conflict::BalanceChanged);
            tx.create(self.table(), transaction.record()?, Conflict::Exists);
            match self.commit(tx).await {
                Err(crate::StoreError::Condition(Conflict::BalanceChanged)) => continue,
                Err(e) => return Err(e),
                Ok(()) => return Ok(transaction),
            }
        }
    }
}
