//! Roles and what they may do. Roles are hierarchical (viewer < editor < admin < owner);
//! a site API key acts as `system_bot`, limited to its one site.

use igny8_store::{AccountId, SiteId};
use std::collections::BTreeSet;

use igny8_http::ApiError;
use igny8_store::{Account, Role, User};

/// What an endpoint needs of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read the account's data (viewer and up).
    Read,
    /// Read what the WordPress bridge needs of its site: the site, its sectors, writer
    /// tasks, content, images and taxonomy terms (viewer and up; a site key too).
    SiteRead,
    /// Create and change content, run AI (editor and up).
    Write,
    /// Users, sites, settings, integrations (admin and up).
    Admin,
    /// Billing, the account itself (owner).
    Owner,
    /// Update the status of writer tasks and content (editor and up; a site key).
    WorkflowStatus,
}

impl Access {
    pub fn allowed_for(self, role: Role) -> bool {
        match role {
            Role::Owner | Role::Developer => true,
            Role::Admin => self != Access::Owner,
            Role::Editor => matches!(self, Access::Read | Access::SiteRead | Access::Write | Access::WorkflowStatus),
            Role::Viewer => matches!(self, Access::Read | Access::SiteRead),
            Role::SystemBot => matches!(self, Access::SiteRead | Access::WorkflowStatus),
        }
    }
}

/// Which of the account's sites the caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteScope {
    All,
    Only(BTreeSet<SiteId>),
}

/// The authenticated caller, as every handler receives it. Built from current stored
/// state (user, role, grants, account status), not from token claims alone, so a
/// removed user or a revoked grant takes effect at once.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub account: Account,
    /// `None` when the caller is a site API key.
    pub user: Option<User>,
    pub role: Role,
    pub sites: SiteScope,
}

impl Tenant {
    /// The account's plan, whose limits creates are held to.
    pub fn plan(&self) -> igny8_http::ApiResult<&'static igny8_store::Plan> {
        igny8_store::plan(&self.account.plan_id)
            .ok_or_else(|| igny8_http::ApiError::internal(format!("unknown plan {}", self.account.plan_id)))
    }

    /// 403 `PLAN_LIMIT`: the plan allows `max` of `what` (e.g. `clusters`).
    pub fn plan_limit(plan: &igny8_store::Plan, max: u32, what: &str) -> igny8_http::ApiError {
        igny8_http::ApiError::plan_limit(plan.allows(max, what))
    }

    pub fn for_user(account: Account, user: User) -> Self {
        let sites = match user.role {
            Role::Owner | Role::Admin | Role::Developer => SiteScope::All,
            _ => SiteScope::Only(user.site_grants.keys().cloned().collect()),
        };
        Self { account, role: user.role, user: Some(user), sites }
    }

    pub fn for_site_key(account: Account, site_id: SiteId) -> Self {
        Self { account, user: None, role: Role::SystemBot, sites: SiteScope::Only(BTreeSet::from([site_id])) }
    }

    pub fn account_id(&self) -> &AccountId {
        &self.account.id
    }

    pub fn allows(&self, access: Access) -> bool {
        access.allowed_for(self.role)
    }

    /// 403 unless the caller's role allows `access`.
    pub fn require(&self, access: Access) -> Result<(), ApiError> {
        if self.allows(access) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("The {} role cannot do this.", self.role.as_str())))
        }
    }

    pub fn sees_site(&self, site_id: &SiteId) -> bool {
        match &self.sites {
            SiteScope::All => true,
            SiteScope::Only(sites) => sites.contains(site_id),
        }
    }

    /// 404 for a site the caller may not see: exactly as if it did not exist.
    pub fn require_site(&self, site_id: &SiteId) -> Result<(), ApiError> {
        if self.sees_site(site_id) { Ok(()) } else { Err(ApiError::not_found("Site")) }
    }

    /// The calling user; 403 for API keys, which act for a site, not a person.
    pub fn require_user(&self) -> Result<&User, ApiError> {
        self.user.as_ref().ok_or_else(|| ApiError::forbidden("This endpoint needs a user, not a site API key."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_matrix() {
        use Access::*;
        let table = [
            (Role::Viewer, [true, true, false, false, false, false]),
            (Role::Editor, [true, true, true, false, false, true]),
            (Role::Admin, [true, true, true, true, false, true]),
            (Role::Owner, [true, true, true, true, true, true]),
            (Role::SystemBot, [false, true, false, false, false, true]),
        ];
        for (role, expected) in table {
            let got = [Read, SiteRead, Write, Admin, Owner, WorkflowStatus].map(|a| a.allowed_for(role));
            assert_eq!(got, expected, "{role:?}");
        }
    }
}
