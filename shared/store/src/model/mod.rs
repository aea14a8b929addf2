//! The objects of the platform and their repositories. Each file holds one kind of
//! object: its stored shape and the reads and writes that keep its invariants.

mod account;
mod reference;
mod role;
mod sector;
mod session;
mod site;
mod user;

pub use account::{Account, AccountStatus, Registration};
pub use reference::{INDUSTRIES, Industry, IndustrySector, PLANS, Plan, TRIAL_PLAN, industry, industry_sector, plan};
pub use role::Role;
pub use sector::{MAX_ACTIVE_SECTORS, Sector, SectorChanges};
pub use session::{RefreshOutcome, Session};
pub use site::{ApiKeyOwner, Site, SiteChanges, SiteStatus};
pub use user::{User, UserChanges};
