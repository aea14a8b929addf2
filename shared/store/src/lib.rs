//! The single DynamoDB table (`docs/architecture.md §3`, `docs/data-model.md`): how keys
//! are built, how items are read and written, and the repositories of each kind of object.
//!
//! Everything an account owns lives in that account's partition (`PK = ACCOUNT#<id>`), so
//! a repository call always takes the caller's account id: another tenant's object cannot
//! be addressed at all.

mod config;
mod conflict;
pub mod ids;
pub mod keys;
pub mod metering;
pub mod model;
pub mod schema;
mod table;

pub use config::{http_client, sdk_config, timeouts};
pub use conflict::Conflict;
pub use ids::{
    AccountId, ClusterId, ContentId, Id, IdKind, IdeaId, ImageId, JobId, KeywordId, RuleId, RunId, SectorId, SiteId,
    SyncLogId, TaskId, TermId, UserId, WpIntegrationId,
};
pub use model::*;
pub use table::{
    AttributeValue, Item, Key, ListIndex, Record, Store, StoreError, StoreResult, Tx, Update, new_id, now,
};
