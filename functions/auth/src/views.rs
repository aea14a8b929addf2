//! What the API shows of stored objects (never password or key hashes).

use igny8_store::{Account, AccountStatus, Role, Sector, Site, SiteStatus, User, plan};
use igny8_store::{AccountId, SectorId, SiteId, UserId};
use serde::Serialize;
use utoipa::ToSchema;

/// A user of the account.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    id: UserId,
    account_id: AccountId,
    email: String,
    role: Role,
    first_name: String,
    last_name: String,
    is_active: bool,
    /// Sites granted to an editor or viewer (owners and admins see every site).
    site_ids: Vec<SiteId>,
    created_at: String,
    updated_at: String,
}

pub fn user(u: &User) -> UserView {
    UserView {
        id: u.id.clone(),
        account_id: u.account_id.clone(),
        email: u.email.clone(),
        role: u.role,
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        is_active: u.is_active,
        site_ids: u.site_grants.keys().cloned().collect(),
        created_at: u.created_at.clone(),
        updated_at: u.updated_at.clone(),
    }
}

/// The account's plan by id and name.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanRef {
    id: String,
    /// Null when the plan is no longer offered.
    name: Option<&'static str>,
}

/// What the account's plan allows.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountLimits {
    max_sites: u32,
    max_users: u32,
}

/// The account: the tenant every user, site and credit belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    id: AccountId,
    name: String,
    status: AccountStatus,
    plan: PlanRef,
    credits: i64,
    owner_user_id: UserId,
    users_count: u32,
    sites_count: u32,
    /// Null when the plan is no longer offered.
    limits: Option<AccountLimits>,
    created_at: String,
    updated_at: String,
}

pub fn account(a: &Account) -> AccountView {
    let plan = plan(&a.plan_id);
    AccountView {
        id: a.id.clone(),
        name: a.name.clone(),
        status: a.status,
        plan: PlanRef { id: a.plan_id.clone(), name: plan.map(|p| p.name) },
        credits: a.credits,
        owner_user_id: a.owner_user_id.clone(),
        users_count: a.users_count,
        sites_count: a.sites_count,
        limits: plan.map(|p| AccountLimits { max_sites: p.max_sites, max_users: p.max_users }),
        created_at: a.created_at.clone(),
        updated_at: a.updated_at.clone(),
    }
}

/// A site (a WordPress site the account writes for).
#[derive(Debug, Serialize, ToSchema)]
pub struct SiteView {
    id: SiteId,
    name: String,
    domain: Option<String>,
    industry_id: Option<String>,
    status: SiteStatus,
    sectors_count: u32,
    active_sectors: u32,
    has_api_key: bool,
    /// First characters of the current API key, to recognise it; null without a key.
    api_key_prefix: Option<String>,
    /// Null without a key.
    api_key_created_at: Option<String>,
    created_at: String,
    updated_at: String,
}

pub fn site(s: &Site) -> SiteView {
    SiteView {
        id: s.id.clone(),
        name: s.name.clone(),
        domain: s.domain.clone(),
        industry_id: s.industry_id.clone(),
        status: s.status,
        sectors_count: s.sectors_count,
        active_sectors: s.active_sectors,
        has_api_key: s.api_key_hash.is_some(),
        api_key_prefix: s.api_key_prefix.clone(),
        api_key_created_at: s.api_key_created_at.clone(),
        created_at: s.created_at.clone(),
        updated_at: s.updated_at.clone(),
    }
}

/// A topic area of a site.
#[derive(Debug, Serialize, ToSchema)]
pub struct SectorView {
    id: SectorId,
    site_id: SiteId,
    name: String,
    industry_sector_id: Option<String>,
    is_active: bool,
    created_at: String,
    updated_at: String,
}

pub fn sector(s: &Sector) -> SectorView {
    SectorView {
        id: s.id.clone(),
        site_id: s.site_id.clone(),
        name: s.name.clone(),
        industry_sector_id: s.industry_sector_id.clone(),
        is_active: s.is_active,
        created_at: s.created_at.clone(),
        updated_at: s.updated_at.clone(),
    }
}
