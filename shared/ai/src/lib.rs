//! The AI side of the product (`docs/product.md §5`): jobs accepted from the API
//! ([`jobs`]), the engine that runs them ([`engine`]), the five AI functions
//! ([`functions`]), the providers ([`provider`], chosen per account by [`providers`]),
//! prompts, the built-in clustering and credit prices.

pub mod cluster;
pub mod engine;
pub mod functions;
pub mod jobs;
pub mod pricing;
pub mod prompts;
pub mod provider;
pub mod providers;
pub mod schemas;

pub use engine::{Engine, EngineError, RunOutcome};
pub use jobs::{JobMessage, JobQueue};
pub use providers::Providers;
