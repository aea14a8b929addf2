//! Customers' WordPress sites, seen from our side (`docs/product.md §4` integration,
//! `docs/wordpress-bridge.md`):
//!
//! - [`outbound`] (the `igny8-outbound` crate): which addresses may be called at all.
//! - [`client`]: core REST (application password) and bridge (signed) requests, with
//!   retries, bounded answers, no redirects, and every attempt recorded.
//! - [`signature`]: the HMAC the bridge plugin checks.
//! - [`publish`]: one article onto a site, idempotently.
//! - [`check`]: the connection checklist.
//! - [`structure`]: post types, taxonomies, terms, and the state of published posts.

pub mod check;
pub mod client;
pub mod publish;
pub mod records;
pub mod signature;
pub mod site;
pub mod structure;

pub use client::{Answer, Attempt, Body, Credentials, RetryPolicy, WpClient, WpError};
pub use igny8_outbound::{self as outbound, OutboundPolicy};
pub use publish::{Article, ArticleImage, Progress, PublishError, Published, Seo, Via};
pub use site::{LogContext, client_for, logs};
