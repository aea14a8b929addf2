//! What the API shows of stored objects (never password or key hashes).

use igny8_store::{Account, Sector, Site, User, plan};
use serde::Serialize;
use serde_json::{Value, json};

#[derive(Serialize)]
pub struct UserView<'a> {
    id: &'a str,
    account_id: &'a str,
    email: &'a str,
    role: &'static str,
    first_name: &'a str,
    last_name: &'a str,
    is_active: bool,
    /// Sites granted to an editor or viewer (owners and admins see every site).
    site_ids: Vec<&'a str>,
    created_at: &'a str,
    updated_at: &'a str,
}

pub fn user(u: &User) -> UserView<'_> {
    UserView {
        id: &u.id,
        account_id: &u.account_id,
        email: &u.email,
        role: u.role.as_str(),
        first_name: &u.first_name,
        last_name: &u.last_name,
        is_active: u.is_active,
        site_ids: u.site_grants.keys().map(String::as_str).collect(),
        created_at: &u.created_at,
        updated_at: &u.updated_at,
    }
}

pub fn account(a: &Account) -> Value {
    let plan = plan(&a.plan_id);
    json!({
        "id": a.id,
        "name": a.name,
        "status": a.status,
        "plan": {"id": a.plan_id, "name": plan.map(|p| p.name)},
        "credits": a.credits,
        "owner_user_id": a.owner_user_id,
        "users_count": a.users_count,
        "sites_count": a.sites_count,
        "limits": plan.map(|p| json!({"max_sites": p.max_sites, "max_users": p.max_users})),
        "created_at": a.created_at,
        "updated_at": a.updated_at,
    })
}

pub fn site(s: &Site) -> Value {
    json!({
        "id": s.id,
        "name": s.name,
        "domain": s.domain,
        "industry_id": s.industry_id,
        "status": s.status,
        "sectors_count": s.sectors_count,
        "active_sectors": s.active_sectors,
        "has_api_key": s.api_key_hash.is_some(),
        "api_key_prefix": s.api_key_prefix,
        "api_key_created_at": s.api_key_created_at,
        "created_at": s.created_at,
        "updated_at": s.updated_at,
    })
}

pub fn sector(s: &Sector) -> Value {
    json!({
        "id": s.id,
        "site_id": s.site_id,
        "name": s.name,
        "industry_sector_id": s.industry_sector_id,
        "is_active": s.is_active,
        "created_at": s.created_at,
        "updated_at": s.updated_at,
    })
}
