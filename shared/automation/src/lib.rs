//! Automation (`docs/product.md §4` automation, `docs/automation.md`).
//!
//! - [`cron`]: cron as users write it, translated for EventBridge Scheduler, next runs
//!   across daylight saving time.
//! - [`conditions`]: the fields and operators a rule's conditions may use, and matching.
//! - [`schedules`]: each enabled scheduled rule's EventBridge Scheduler schedule.
//! - [`runner`]: runs, stage by stage, moved on by messages.

pub mod conditions;
pub mod cron;
pub mod runner;
pub mod schedules;
