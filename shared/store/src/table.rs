//! Generic access to the table: typed get/query/put, field updates and labelled
//! transactions. Repositories (in `model`) build on these.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
pub use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::types::{
    ConditionCheck, Delete, KeysAndAttributes, Put, TransactWriteItem, Update as UpdateAction,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::conflict::Conflict;
use crate::keys::GSI1;
use crate::metering::note;
use std::time::Instant;

pub type Item = HashMap<String, AttributeValue>;
pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A labelled condition of a write did not hold (duplicate, limit reached, stale).
    #[error("condition failed: {0:?}")]
    Condition(Conflict),
    #[error("stored item could not be read: {0}")]
    Corrupt(String),
    /// DynamoDB throttled the request, timed out, failed inside, or kept cancelling a
    /// transaction for conflicts — after the retries. Worth trying again soon.
    #[error("DynamoDB is busy: {0}")]
    Busy(String),
    #[error("DynamoDB: {0}")]
    Aws(String),
}

/// Error codes that say "not now" rather than "not this": the SDK has retried them
/// already (throttling, 5xx) or they end a transaction another one overlapped.
const BUSY_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
    "TransactionConflictException",
];

impl StoreError {
    fn aws<E, R>(err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::fmt::Debug,
        R: std::fmt::Debug,
    {
        // The SDK's Display is terse ("service error"); Debug carries the code and message.
        let busy = match &err {
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
            SdkError::ServiceError(e) => e.err().code().is_some_and(|code| BUSY_CODES.contains(&code)),
            _ => false,
        };
        if busy { StoreError::Busy(format!("{err:?}")) } else { StoreError::Aws(format!("{err:?}")) }
    }
}

/// Transactions cancelled because another transaction touched the same items are tried
/// again this many times, after a short random wait (DynamoDB does not retry them).
const CONFLICT_RETRIES: u32 = 4;

/// How long to wait before the `attempt`-th retry: 20, 40, 80 … ms, each scaled by a
/// random factor between ½ and 1½ so that the writers that collided do not collide again.
fn conflict_backoff(attempt: u32) -> std::time::Duration {
    use rand::Rng;
    let base = 20u64 << attempt.min(5);
    std::time::Duration::from_millis(rand::thread_rng().gen_range(base / 2..=base + base / 2))
}

/// What a cancelled transaction says: the first failed condition's index, or that it
/// ran into another transaction (and may be tried again).
enum Cancelled {
    Conditions(Vec<usize>),
    Conflict,
    Other,
}

fn cancelled(reasons: &[aws_sdk_dynamodb::types::CancellationReason]) -> Cancelled {
    let failed: Vec<usize> = reasons
        .iter()
        .enumerate()
        .filter(|(_, reason)| reason.code() == Some("ConditionalCheckFailed"))
        .map(|(index, _)| index)
        .collect();
    if !failed.is_empty() {
        Cancelled::Conditions(failed)
    } else if reasons.iter().any(|r| matches!(r.code(), Some("TransactionConflict" | "ThrottlingError"))) {
        Cancelled::Conflict
    } else {
        Cancelled::Other
    }
}

/// The table's list indexes (`docs/data-model.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListIndex {
    /// GSI1: a scope's objects of one kind (a site's, by sector).
    Scope,
    /// GSI2: a cluster's keywords, by id.
    Cluster,
    /// GSI3: a sector's keywords of one status, by id.
    Status,
    /// GSI4: a sector's keywords of one intent, by id.
    Intent,
    /// GSI5: a sector's keywords by volume, then id.
    Volume,
    /// GSI6: a sector's keywords by difficulty, then id.
    Difficulty,
    /// GSI7: a sector's keywords by id, only what lists filter and order by.
    Summary,
}

impl ListIndex {
    /// (index name, partition attribute, sort attribute).
    pub fn attributes(self) -> (&'static str, &'static str, &'static str) {
        match self {
            ListIndex::Scope => (GSI1, "GSI1PK", "GSI1SK"),
            ListIndex::Cluster => (crate::keys::GSI2, "GSI2PK", "GSI2SK"),
            ListIndex::Status => (crate::keys::GSI3, "GSI3PK", "GSI3SK"),
            ListIndex::Intent => (crate::keys::GSI4, "GSI4PK", "GSI4SK"),
            ListIndex::Volume => (crate::keys::GSI5, "GSI5PK", "GSI5SK"),
            ListIndex::Difficulty => (crate::keys::GSI6, "GSI6PK", "GSI6SK"),
            ListIndex::Summary => (crate::keys::GSI7, "GSI7PK", "GSI7SK"),
        }
    }
}

/// One read of an index partition by [`Store::query_index_from`].
#[derive(Debug, Clone, Copy)]
pub struct IndexRange<'a> {
    pub index: ListIndex,
    pub partition: &'a str,
    /// Only sort keys that start with this (empty: all of the partition).
    pub prefix: &'a str,
    /// Only sort keys strictly past `prefix + after`, in the read's direction.
    pub after: Option<&'a str>,
    /// Highest sort key first.
    pub descending: bool,
}

/// A new opaque, time-sortable id with a short type prefix, e.g. `site_01J…`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", ulid::Ulid::new().to_string().to_lowercase())
}

pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self { pk: pk.into(), sk: sk.into() }
    }

    /// Whether DynamoDB accepts the key (partition ≤ 2048 bytes, sort ≤ 1024). Ids come
    /// from URLs and bodies: one too long for a key names nothing, it is not an error.
    pub fn fits(&self) -> bool {
        !self.pk.is_empty() && self.pk.len() <= 2048 && !self.sk.is_empty() && self.sk.len() <= 1024
    }

    pub fn to_item(&self) -> Item {
        HashMap::from([
            ("PK".to_owned(), AttributeValue::S(self.pk.clone())),
            ("SK".to_owned(), AttributeValue::S(self.sk.clone())),
        ])
    }
}

/// An object ready to be written: its attributes plus keys and its kind.
#[derive(Debug, Clone)]
pub struct Record {
    pub key: Key,
    attrs: Item,
}

impl Record {
    pub fn new<T: Serialize>(key: Key, kind: &str, value: &T) -> StoreResult<Self> {
        let mut attrs: Item = serde_dynamo::to_item(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        attrs.extend(key.to_item());
        attrs.insert("kind".into(), AttributeValue::S(kind.into()));
        Ok(Self { key, attrs })
    }

    /// Lists this record in a GSI1 partition, ordered by `sort`.
    pub fn in_list(self, partition: String, sort: impl Into<String>) -> Self {
        self.in_index(ListIndex::Scope, partition, sort)
    }

    /// Lists this record in a partition of `index`, ordered by `sort`.
    pub fn in_index(mut self, index: ListIndex, partition: String, sort: impl Into<String>) -> Self {
        let (_, pk, sk) = index.attributes();
        self.attrs.insert(pk.into(), AttributeValue::S(partition));
        self.attrs.insert(sk.into(), AttributeValue::S(sort.into()));
        self
    }

    /// Expires the item through the table's TTL attribute.
    pub fn expires_at(mut self, epoch_secs: i64) -> Self {
        self.attrs.insert("ttl".into(), AttributeValue::N(epoch_secs.to_string()));
        self
    }
}

/// A `SET` of named fields (and `ADD` of counters) on one item, with an optional
/// condition; the item must already exist.
#[derive(Debug, Clone)]
pub struct Update {
    key: Key,
    sets: Vec<(String, AttributeValue)>,
    adds: Vec<(String, i64)>,
    removes: Vec<String>,
    conditions: Vec<String>,
    values: Item,
    names: HashMap<String, String>,
}

impl Update {
    pub fn new(key: Key) -> Self {
        Self {
            key,
            sets: Vec::new(),
            adds: Vec::new(),
            removes: Vec::new(),
            conditions: vec!["attribute_exists(PK)".into()],
            values: Item::new(),
            names: HashMap::new(),
        }
    }

    /// An update that creates the item when it is absent (counters).
    pub fn upsert(key: Key) -> Self {
        Self { conditions: vec!["(attribute_not_exists(PK) OR attribute_exists(PK))".into()], ..Self::new(key) }
    }

    pub fn set<T: Serialize>(mut self, field: &str, value: T) -> StoreResult<Self> {
        let value = serde_dynamo::to_attribute_value(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.sets.push((field.to_owned(), value));
        Ok(self)
    }

    /// Sets a key of a map attribute (`field.entry`), e.g. one site grant.
    pub fn set_entry<T: Serialize>(mut self, field: &str, entry: &str, value: T) -> StoreResult<Self> {
        let value = serde_dynamo::to_attribute_value(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.sets.push((format!("{field}\u{0}{entry}"), value));
        Ok(self)
    }

    pub fn remove(mut self, field: &str) -> Self {
        self.removes.push(field.to_owned());
        self
    }

    pub fn remove_entry(mut self, field: &str, entry: &str) -> Self {
        self.removes.push(format!("{field}\u{0}{entry}"));
        self
    }

    pub fn add(mut self, field: &str, delta: i64) -> Self {
        self.adds.push((field.to_owned(), delta));
        self
    }

    /// An extra condition in DynamoDB syntax. `#name` placeholders come from `name`,
    /// `:value` placeholders from `value`.
    /// Adds `delta` to the count `field`; a rise may not take it past `max`. Conditions
    /// have no arithmetic, so the condition is that the count before leaves room for
    /// `delta`; a rise larger than `max` gets a room no count can meet. (One per update.)
    pub fn add_within(self, field: &str, delta: i64, max: u32) -> StoreResult<Self> {
        let update = self.add(field, delta);
        if delta <= 0 {
            return Ok(update);
        }
        update
            .name("#within", field)
            .when("(attribute_not_exists(#within) AND :room >= :zero) OR #within <= :room")
            .value(":room", i64::from(max) - delta)?
            .value(":zero", 0)
    }

    pub fn when(mut self, condition: impl Into<String>) -> Self {
        self.conditions.push(condition.into());
        self
    }

    pub fn name(mut self, placeholder: &str, name: &str) -> Self {
        self.names.insert(placeholder.to_owned(), name.to_owned());
        self
    }

    pub fn value<T: Serialize>(mut self, placeholder: &str, value: T) -> StoreResult<Self> {
        let value = serde_dynamo::to_attribute_value(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.values.insert(placeholder.to_owned(), value);
        Ok(self)
    }

    fn path(&mut self, field: &str, index: usize) -> String {
        match field.split_once('\u{0}') {
            Some((map, entry)) => {
                self.names.insert(format!("#f{index}"), map.to_owned());
                self.names.insert(format!("#e{index}"), entry.to_owned());
                format!("#f{index}.#e{index}")
            }
            None => {
                self.names.insert(format!("#f{index}"), field.to_owned());
                format!("#f{index}")
            }
        }
    }

    /// (update expression, condition expression, names, values)
    fn build(mut self) -> (Key, String, String, HashMap<String, String>, Item) {
        let mut index = 0;
        let mut set_parts = Vec::new();
        for (field, value) in std::mem::take(&mut self.sets) {
            let path = self.path(&field, index);
            self.values.insert(format!(":v{index}"), value);
            set_parts.push(format!("{path} = :v{index}"));
            index += 1;
        }
        let mut add_parts = Vec::new();
        for (field, delta) in std::mem::take(&mut self.adds) {
            let path = self.path(&field, index);
            self.values.insert(format!(":v{index}"), AttributeValue::N(delta.to_string()));
            add_parts.push(format!("{path} :v{index}"));
            index += 1;
        }
        let mut remove_parts = Vec::new();
        for field in std::mem::take(&mut self.removes) {
            remove_parts.push(self.path(&field, index));
            index += 1;
        }
        let mut expression = Vec::new();
        if !set_parts.is_empty() {
            expression.push(format!("SET {}", set_parts.join(", ")));
        }
        if !add_parts.is_empty() {
            expression.push(format!("ADD {}", add_parts.join(", ")));
        }
        if !remove_parts.is_empty() {
            expression.push(format!("REMOVE {}", remove_parts.join(", ")));
        }
        let condition = self.conditions.join(" AND ");
        (self.key, expression.join(" "), condition, self.names, self.values)
    }
}

/// A transaction whose actions carry labels, so that a failed condition can be told
/// apart ("email taken" vs "site limit reached").
#[derive(Debug, Clone, Default)]
pub struct Tx {
    actions: Vec<(TransactWriteItem, Conflict)>,
}

impl Tx {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.actions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// Put that fails (with `label`) if the item already exists.
    pub fn create(&mut self, table: &str, record: Record, label: Conflict) {
        let put = Put::builder()
            .table_name(table)
            .set_item(Some(record.attrs))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .expect("table and item are set");
        self.actions.push((TransactWriteItem::builder().put(put).build(), label));
    }

    /// Put that replaces the item only if `condition` holds on it (else `label`).
    pub fn replace_if(&mut self, table: &str, record: Record, condition: &str, values: Item, label: Conflict) {
        let mut put = Put::builder().table_name(table).set_item(Some(record.attrs)).condition_expression(condition);
        if !values.is_empty() {
            put = put.set_expression_attribute_values(Some(values));
        }
        let put = put.build().expect("table and item are set");
        self.actions.push((TransactWriteItem::builder().put(put).build(), label));
    }

    /// Put that replaces whatever is there.
    pub fn replace(&mut self, table: &str, record: Record) {
        let put =
            Put::builder().table_name(table).set_item(Some(record.attrs)).build().expect("table and item are set");
        self.actions.push((TransactWriteItem::builder().put(put).build(), Conflict::Never));
    }

    pub fn update(&mut self, table: &str, update: Update, label: Conflict) {
        let (key, expression, condition, names, values) = update.build();
        let mut action = UpdateAction::builder()
            .table_name(table)
            .set_key(Some(key.to_item()))
            .update_expression(expression)
            .condition_expression(condition);
        if !names.is_empty() {
            action = action.set_expression_attribute_names(Some(names));
        }
        if !values.is_empty() {
            action = action.set_expression_attribute_values(Some(values));
        }
        let action = action.build().expect("table, key and expression are set");
        self.actions.push((TransactWriteItem::builder().update(action).build(), label));
    }

    /// Delete that fails (with `label`) if the item is not there.
    ///
    /// (Every action builder below panics only on a missing required field, which
    /// each sets; they cannot fail on input.)
    pub fn delete(&mut self, table: &str, key: Key, label: Conflict) {
        let delete = Delete::builder()
            .table_name(table)
            .set_key(Some(key.to_item()))
            .condition_expression("attribute_exists(PK)")
            .build()
            .expect("table and key are set");
        self.actions.push((TransactWriteItem::builder().delete(delete).build(), label));
    }

    /// Delete that fails (with `label`) unless `condition` holds on the item.
    pub fn delete_where(&mut self, table: &str, key: Key, condition: &str, values: Item, label: Conflict) {
        let mut delete = Delete::builder()
            .table_name(table)
            .set_key(Some(key.to_item()))
            .condition_expression(format!("attribute_exists(PK) AND ({condition})"));
        if !values.is_empty() {
            delete = delete.set_expression_attribute_values(Some(values));
        }
        let delete = delete.build().expect("table and key are set");
        self.actions.push((TransactWriteItem::builder().delete(delete).build(), label));
    }

    /// Delete without a condition (cleaning up a guard that may be gone already).
    pub fn delete_if_present(&mut self, table: &str, key: Key) {
        let delete =
            Delete::builder().table_name(table).set_key(Some(key.to_item())).build().expect("table and key are set");
        self.actions.push((TransactWriteItem::builder().delete(delete).build(), Conflict::Never));
    }

    /// Asserts a condition on an item without changing it.
    pub fn check(&mut self, table: &str, key: Key, condition: &str, values: Item, label: Conflict) {
        let mut check =
            ConditionCheck::builder().table_name(table).set_key(Some(key.to_item())).condition_expression(condition);
        if !values.is_empty() {
            check = check.set_expression_attribute_values(Some(values));
        }
        let check = check.build().expect("table, key and condition are set");
        self.actions.push((TransactWriteItem::builder().condition_check(check).build(), label));
    }
}

#[derive(Clone)]
pub struct Store {
    client: Client,
    table: Arc<str>,
}

impl Store {
    pub fn new(client: Client, table: impl Into<Arc<str>>) -> Self {
        Self { client, table: table.into() }
    }

    /// Client and table from the environment (`TABLE_NAME`; `AWS_ENDPOINT_URL` for the
    /// emulator). Built once per process, in `main`.
    pub async fn from_env() -> Self {
        Self::from_config(&crate::sdk_config().await)
    }

    /// Client from a loaded SDK configuration, table from `TABLE_NAME`.
    pub fn from_config(config: &aws_config::SdkConfig) -> Self {
        let table = std::env::var("TABLE_NAME").unwrap_or_else(|_| "igny8".to_owned());
        Self::new(Client::new(config), table)
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub async fn get<T: DeserializeOwned>(&self, key: Key) -> StoreResult<Option<T>> {
        if !key.fits() {
            return Ok(None);
        }
        let started = Instant::now();
        let output = self
            .client
            .get_item()
            .table_name(&*self.table)
            .set_key(Some(key.to_item()))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::aws)?;
        note(started, output.item.as_slice());
        output.item.map(decode).transpose()
    }

    /// Reads up to 100 items in one call; missing ones are absent from the result.
    pub async fn get_batch(&self, keys: Vec<Key>) -> StoreResult<Vec<Item>> {
        let keys: Vec<Key> = keys.into_iter().filter(Key::fits).collect();
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut request = KeysAndAttributes::builder().consistent_read(true);
        for key in &keys {
            request = request.keys(key.to_item());
        }
        let request = request.build().map_err(|e| StoreError::Aws(e.to_string()))?;
        let mut pending = HashMap::from([(self.table.to_string(), request)]);
        let mut found = Vec::new();
        // Unprocessed keys are rare (throttling) but must be retried, not dropped.
        for _ in 0..5 {
            let started = Instant::now();
            let output =
                self.client.batch_get_item().set_request_items(Some(pending)).send().await.map_err(StoreError::aws)?;
            if let Some(mut responses) = output.responses {
                let items = responses.remove(&*self.table).unwrap_or_default();
                note(started, &items);
                found.extend(items);
            }
            match output.unprocessed_keys.filter(|u| !u.is_empty()) {
                Some(unprocessed) => pending = unprocessed,
                None => return Ok(found),
            }
        }
        Err(StoreError::Busy("batch get left keys unprocessed after retries".into()))
    }

    /// Two items of different kinds in one round trip.
    pub async fn get_two<A: DeserializeOwned, B: DeserializeOwned>(
        &self,
        a: Key,
        b: Key,
    ) -> StoreResult<(Option<A>, Option<B>)> {
        let items = self.get_batch(vec![a.clone(), b]).await?;
        let (mut first, mut second) = (None, None);
        for item in items {
            let is_a = item.get("PK").and_then(|v| v.as_s().ok()) == Some(&a.pk)
                && item.get("SK").and_then(|v| v.as_s().ok()) == Some(&a.sk);
            if is_a {
                first = Some(decode(item)?);
            } else {
                second = Some(decode(item)?);
            }
        }
        Ok((first, second))
    }

    /// All items of a partition whose sort key starts with `prefix`, in sort-key order.
    pub async fn query_prefix<T: DeserializeOwned>(&self, pk: &str, prefix: &str) -> StoreResult<Vec<T>> {
        self.query_prefix_items(pk, prefix).await?.into_iter().map(decode).collect()
    }

    /// Up to `limit` items of partition `pk` whose sort key sorts before `below`, in order.
    pub async fn query_below<T: DeserializeOwned>(&self, pk: &str, below: &str, limit: i32) -> StoreResult<Vec<T>> {
        let started = Instant::now();
        let output = self
            .client
            .query()
            .table_name(&*self.table)
            .key_condition_expression("PK = :pk AND SK < :below")
            .expression_attribute_values(":pk", AttributeValue::S(pk.to_owned()))
            .expression_attribute_values(":below", AttributeValue::S(below.to_owned()))
            .limit(limit)
            .send()
            .await
            .map_err(StoreError::aws)?;
        let items = output.items.unwrap_or_default();
        note(started, &items);
        items.into_iter().map(decode).collect()
    }

    /// The raw items of [`Store::query_prefix`] (for callers that read the keys too).
    pub async fn query_prefix_items(&self, pk: &str, prefix: &str) -> StoreResult<Vec<Item>> {
        let started = Instant::now();
        let items = self
            .client
            .query()
            .table_name(&*self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(":pk", AttributeValue::S(pk.to_owned()))
            .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned()))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(StoreError::aws)?;
        note(started, &items);
        Ok(items)
    }

    /// All items listed in a GSI1 partition (optionally only sort keys starting with
    /// `prefix`), in GSI1SK order. Page by page, as DynamoDB returns at most 1 MB a call.
    pub async fn query_list<T: DeserializeOwned>(&self, partition: &str, prefix: Option<&str>) -> StoreResult<Vec<T>> {
        self.query_list_in(ListIndex::Scope, partition, prefix).await
    }

    /// [`Store::query_list`] on either index.
    pub async fn query_list_in<T: DeserializeOwned>(
        &self,
        index: ListIndex,
        partition: &str,
        prefix: Option<&str>,
    ) -> StoreResult<Vec<T>> {
        self.query_list_where(index, partition, prefix, |_| true).await
    }

    /// The items of [`Store::query_list_in`] that `keep` keeps, deciding page by page:
    /// what is held at once is one page read (≤ 1 MB) and what was kept, however
    /// large the partition.
    pub async fn query_list_where<T: DeserializeOwned>(
        &self,
        index: ListIndex,
        partition: &str,
        prefix: Option<&str>,
        mut keep: impl FnMut(&T) -> bool,
    ) -> StoreResult<Vec<T>> {
        let (name, pk, sk) = index.attributes();
        let mut request = self
            .client
            .query()
            .table_name(&*self.table)
            .index_name(name)
            .expression_attribute_values(":pk", AttributeValue::S(partition.to_owned()));
        request = match prefix {
            Some(prefix) => request
                .key_condition_expression(format!("{pk} = :pk AND begins_with({sk}, :prefix)"))
                .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned())),
            None => request.key_condition_expression(format!("{pk} = :pk")),
        };
        let mut pages = request.into_paginator().send();
        let mut kept = Vec::new();
        loop {
            let started = Instant::now();
            let Some(page) = pages.next().await else { break };
            let items = page.map_err(StoreError::aws)?.items.unwrap_or_default();
            note(started, &items);
            for item in items {
                let value: T = decode(item)?;
                if keep(&value) {
                    kept.push(value);
                }
            }
        }
        Ok(kept)
    }

    /// Up to `limit` items of `range`, in its direction, and whether the range has no
    /// more. Reads those items and no others: a page of an index starts where the last
    /// one ended, wherever that is in the partition (`limit` is at most 1 000).
    pub async fn query_index_from(&self, range: IndexRange<'_>, limit: usize) -> StoreResult<(Vec<Item>, bool)> {
        let (name, pk, sk) = range.index.attributes();
        let limit = limit.clamp(1, 1_000);
        // A range within a prefix includes `from` itself: one more is read, and dropped.
        let inclusive = range.after.is_some() && !range.prefix.is_empty();
        let mut request = self
            .client
            .query()
            .table_name(&*self.table)
            .index_name(name)
            .scan_index_forward(!range.descending)
            .limit((limit + usize::from(inclusive)) as i32)
            .expression_attribute_values(":pk", AttributeValue::S(range.partition.to_owned()));
        let from = range.after.map(|after| format!("{}{after}", range.prefix));
        let condition = match (&from, range.prefix.is_empty()) {
            (None, true) => format!("{pk} = :pk"),
            (None, false) => {
                request = request.expression_attribute_values(":prefix", AttributeValue::S(range.prefix.to_owned()));
                format!("{pk} = :pk AND begins_with({sk}, :prefix)")
            }
            (Some(from), true) => {
                request = request.expression_attribute_values(":from", AttributeValue::S(from.clone()));
                format!("{pk} = :pk AND {sk} {} :from", if range.descending { "<" } else { ">" })
            }
            (Some(from), false) => {
                // One condition on the sort key: the prefix's bounds with `from` inside
                // them (BETWEEN is inclusive, so `from` itself is dropped below).
                let (low, high) = if range.descending {
                    (range.prefix.to_owned(), from.clone())
                } else {
                    (from.clone(), prefix_end(range.prefix))
                };
                request = request
                    .expression_attribute_values(":low", AttributeValue::S(low))
                    .expression_attribute_values(":high", AttributeValue::S(high));
                format!("{pk} = :pk AND {sk} BETWEEN :low AND :high")
            }
        };
        let started = Instant::now();
        let output = request.key_condition_expression(condition).send().await.map_err(StoreError::aws)?;
        let mut items = output.items.unwrap_or_default();
        note(started, &items);
        if let Some(from) = &from {
            items.retain(|item| !matches!(item.get(sk), Some(AttributeValue::S(key)) if key == from));
        }
        // `from` was not there (deleted meanwhile): the one more read is left for later.
        let cut = items.len() > limit;
        items.truncate(limit);
        let exhausted = !cut && output.last_evaluated_key.is_none_or(|key| key.is_empty());
        Ok((items, exhausted))
    }

    /// Whether a GSI1 partition (optionally: sort keys starting with `prefix`) lists
    /// anything. Reads at most one item.
    pub async fn list_exists(&self, partition: &str, prefix: Option<&str>) -> StoreResult<bool> {
        let mut request = self
            .client
            .query()
            .table_name(&*self.table)
            .index_name(GSI1)
            .limit(1)
            .expression_attribute_values(":pk", AttributeValue::S(partition.to_owned()));
        request = match prefix {
            Some(prefix) => request
                .key_condition_expression("GSI1PK = :pk AND begins_with(GSI1SK, :prefix)")
                .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned())),
            None => request.key_condition_expression("GSI1PK = :pk"),
        };
        let started = Instant::now();
        let output = request.send().await.map_err(StoreError::aws)?;
        note(started, output.items());
        Ok(output.count() > 0)
    }

    /// Applies an update; `label` is reported if its condition fails. Returns the item
    /// as it is after the update.
    pub async fn update<T: DeserializeOwned>(&self, update: Update, label: Conflict) -> StoreResult<T> {
        let (key, expression, condition, names, values) = update.build();
        let mut request = self
            .client
            .update_item()
            .table_name(&*self.table)
            .set_key(Some(key.to_item()))
            .update_expression(expression)
            .condition_expression(condition)
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew);
        if !names.is_empty() {
            request = request.set_expression_attribute_names(Some(names));
        }
        if !values.is_empty() {
            request = request.set_expression_attribute_values(Some(values));
        }
        let started = Instant::now();
        let sent = request.send().await;
        note(started, &[]);
        match sent {
            Ok(output) => decode(output.attributes.unwrap_or_default()),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Err(StoreError::Condition(label))
            }
            Err(e) => Err(StoreError::aws(e)),
        }
    }

    /// Runs a transaction (at most 100 actions). A failed condition is reported with the
    /// label of the first action whose condition failed.
    pub async fn commit(&self, tx: Tx) -> StoreResult<()> {
        match self.try_commit(tx).await?.first() {
            None => Ok(()),
            Some((_, label)) => Err(StoreError::Condition(*label)),
        }
    }

    /// Runs a transaction and reports which actions' conditions failed, with their
    /// labels (empty: committed). For batches that drop the failing members and retry.
    /// A transaction cancelled by another one is tried again (`CONFLICT_RETRIES`), then
    /// reported as `Busy`.
    pub async fn try_commit(&self, tx: Tx) -> StoreResult<Vec<(usize, Conflict)>> {
        let (items, labels): (Vec<_>, Vec<_>) = tx.actions.into_iter().unzip();
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let mut attempt = 0;
        loop {
            let request = self.client.transact_write_items().set_transact_items(Some(items.clone()));
            // Throttling and 5xx were retried by the SDK already; only conflicts are ours.
            let started = Instant::now();
            let sent = request.send().await;
            note(started, &[]);
            let conflict = match sent {
                Ok(_) => return Ok(Vec::new()),
                Err(SdkError::ServiceError(e)) => match e.err() {
                    TransactWriteItemsError::TransactionCanceledException(cancel) => {
                        match cancelled(cancel.cancellation_reasons()) {
                            Cancelled::Conditions(failed) => {
                                return Ok(failed.into_iter().map(|index| (index, labels[index])).collect());
                            }
                            Cancelled::Conflict => format!("transaction cancelled: {cancel:?}"),
                            Cancelled::Other => {
                                return Err(StoreError::Aws(format!("transaction cancelled: {cancel:?}")));
                            }
                        }
                    }
                    _ => return Err(StoreError::aws(SdkError::ServiceError(e))),
                },
                Err(e) => return Err(StoreError::aws(e)),
            };
            if attempt >= CONFLICT_RETRIES {
                return Err(StoreError::Busy(conflict));
            }
            tokio::time::sleep(conflict_backoff(attempt)).await;
            attempt += 1;
        }
    }

    /// Whether the table answers (for health checks).
    pub async fn ping(&self) -> StoreResult<()> {
        self.client.describe_table().table_name(&*self.table).send().await.map_err(StoreError::aws)?;
        Ok(())
    }
}

/// The least string above every string that starts with `prefix` (ASCII prefixes).
fn prefix_end(prefix: &str) -> String {
    let mut bytes = prefix.as_bytes().to_vec();
    match bytes.last_mut() {
        Some(last) if *last < 0x7f => {
            *last += 1;
            String::from_utf8_lossy(&bytes).into_owned()
        }
        _ => format!("{prefix}\u{10FFFF}"),
    }
}

pub(crate) fn decode<T: DeserializeOwned>(item: Item) -> StoreResult<T> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))
}
