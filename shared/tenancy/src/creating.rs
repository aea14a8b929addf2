//! Creating the objects that belong to a site (clusters, ideas, tasks, content, images,
//! taxonomy terms): one implementation of what every such create does — the caller
//! may write, the site and sector are resolved as the caller sees them, the object gets
//! a new id, the account and a creation time, the plan's limit for the kind holds, and
//! the store refuses it if its sector is being deleted. Each kind says only how its
//! request becomes an object ([`ScopedCreate`]); keywords, which are unique per sector
//! and move cluster counts, have their own path (`Store::apply_keyword_changes`).

use std::future::Future;

use igny8_http::{ApiError, ApiResult};
use igny8_store::{Conflict, Plan, Scoped, Sector, SectorId, Site, SiteId, StoreError, now};

use crate::{Access, Tenancy, Tenant};

/// Where a new object goes and what it starts with.
pub struct Placement<I> {
    pub id: I,
    pub account_id: igny8_store::AccountId,
    pub site: Site,
    /// The sector the request named, checked to be of `site`.
    pub sector: Option<Sector>,
    /// Creation (and first update) time.
    pub stamp: String,
}

impl<I> Placement<I> {
    /// The sector of an object that must be in one (400 if the request named none).
    pub fn sector_id(&self) -> ApiResult<SectorId> {
        self.sector
            .as_ref()
            .map(|s| s.id.clone())
            .ok_or_else(|| ApiError::field("sector_id", "This field is required."))
    }
}

/// A create request of one kind: where it goes and how it becomes the object.
pub trait ScopedCreate: Sized + Send {
    type Item: Scoped;
    /// What `build` and `discard` need beyond the tenancy (the writer's media store …).
    type Context: Sync;

    fn site_id(&self) -> &SiteId;
    fn sector_id(&self) -> Option<&SectorId>;

    /// The plan's limit on objects of this kind, and their name in the error.
    fn plan_limit(_plan: &Plan) -> Option<(u32, &'static str)> {
        None
    }

    /// Checks what the request refers to (a cluster of the same sector …) and builds the
    /// object at `at`.
    fn build(
        self,
        context: &Self::Context,
        tenancy: &Tenancy,
        tenant: &Tenant,
        at: Placement<<Self::Item as Scoped>::Id>,
    ) -> impl Future<Output = ApiResult<Self::Item>> + Send;

    /// Undoes what `build` placed outside the table when the store then refuses the
    /// object (nothing for most kinds).
    fn discard(_context: &Self::Context, _object: &Self::Item) -> impl Future<Output = ()> + Send {
        async {}
    }
}

impl Tenancy {
    /// Creates the object `input` describes; the object as stored.
    pub async fn create_scoped<C: ScopedCreate>(
        &self,
        context: &C::Context,
        tenant: &Tenant,
        input: C,
    ) -> ApiResult<C::Item> {
        tenant.require(Access::Write)?;
        // Everything that can refuse the request comes before `build` places anything.
        let plan = tenant.plan()?;
        let limit = C::plan_limit(plan);
        let scope = self.resolve_scope(tenant, input.site_id(), input.sector_id()).await?;
        let at = Placement {
            id: C::Item::new_id(),
            account_id: tenant.account_id().clone(),
            site: scope.site,
            sector: scope.sector,
            stamp: now(),
        };
        let object = input.build(context, self, tenant, at).await?;
        match self.store.create_within(&object, limit.map(|(max, _)| max)).await {
            Ok(()) => Ok(object),
            Err(e) => {
                C::discard(context, &object).await;
                match (e, limit) {
                    (StoreError::Condition(Conflict::PlanLimit), Some((max, what))) => {
                        Err(Tenant::plan_limit(plan, max, what))
                    }
                    (e, _) => Err(e.into()),
                }
            }
        }
    }
}

/// The accessors of a create request whose `site_id: SiteId` and `sector_id: SectorId`
/// fields say where it goes, inside `impl ScopedCreate for …`; `optional_sector` for a
/// `sector_id: Option<SectorId>` (objects of the whole site).
#[macro_export]
macro_rules! placement_fields {
    () => {
        fn site_id(&self) -> &igny8_store::SiteId {
            &self.site_id
        }

        fn sector_id(&self) -> Option<&igny8_store::SectorId> {
            Some(&self.sector_id)
        }
    };
    (optional_sector) => {
        fn site_id(&self) -> &igny8_store::SiteId {
            &self.site_id
        }

        fn sector_id(&self) -> Option<&igny8_store::SectorId> {
            self.sector_id.as_ref()
        }
    };
}
