//! Identity and access (`docs/product.md §2`, `docs/architecture.md §5`): who is calling
//! and what they may do.
//!
//! - [`password`]: Argon2id hashing.
//! - [`tokens`]: HS256 access and refresh JWTs.
//! - [`api_key`]: site API keys (random, shown once, stored as SHA-256).
//! - [`access`]: roles, what each may do, and the [`Tenant`] every handler receives.
//! - [`extractor`]: turns a request's bearer token or API key into a [`Tenant`].
//! - [`secrets`]: customers' secrets (AI API keys), sealed with AES-256-GCM and masked.

pub mod access;
pub mod api_key;
pub mod creating;
pub mod extractor;
pub mod listing;
pub mod password;
pub mod scope;
pub mod secrets;
pub mod startup;
pub mod throttle;
pub mod tokens;

pub use access::{Access, SiteScope, Tenant};
pub use creating::{Placement, ScopedCreate};
pub use extractor::Tenancy;
pub use igny8_store::Role;
pub use listing::{ScopedList, by_text};
pub use scope::Scope;
pub use secrets::{SecretBox, SecretError};
pub use tokens::{Claims, IssuedTokens, TokenError, TokenKind, Tokens};
