//! Resolving the site/sector scope a request names (`site_id`, `sector_id`).

use igny8_http::ApiError;
use igny8_store::{Cluster, Scoped, Sector, Site};
use igny8_store::{ClusterId, SectorId, SiteId};

use crate::access::Tenant;
use crate::extractor::Tenancy;

/// A site the caller may see and, when named, one of its sectors.
#[derive(Debug, Clone)]
pub struct Scope {
    pub site: Site,
    pub sector: Option<Sector>,
}

impl Tenancy {
    /// The site (404 if missing, of another account, or not granted to the caller) and
    /// the sector (404 likewise; 400 if it belongs to another site of the account).
    pub async fn resolve_scope(
        &self,
        tenant: &Tenant,
        site_id: &SiteId,
        sector_id: Option<&SectorId>,
    ) -> Result<Scope, ApiError> {
        tenant.require_site(site_id)?;
        let site = self.store.site(tenant.account_id(), site_id).await?.ok_or_else(|| ApiError::not_found("Site"))?;
        let sector = match sector_id {
            None => None,
            Some(id) => {
                let sector =
                    self.store.sector(tenant.account_id(), id).await?.ok_or_else(|| ApiError::not_found("Sector"))?;
                // A sector of a site the caller may not see is not there for them: saying
                // it belongs elsewhere would confirm it exists.
                if !tenant.sees_site(&sector.site_id) {
                    return Err(ApiError::not_found("Sector"));
                }
                if sector.site_id != site.id {
                    return Err(ApiError::field("sector_id", "This sector belongs to another site."));
                }
                Some(sector)
            }
        };
        Ok(Scope { site, sector })
    }

    /// Like `resolve_scope` with a sector that must be given (objects that live in one).
    pub async fn resolve_sector(
        &self,
        tenant: &Tenant,
        site_id: &SiteId,
        sector_id: &SectorId,
    ) -> Result<(Site, Sector), ApiError> {
        let scope = self.resolve_scope(tenant, site_id, Some(sector_id)).await?;
        let sector = scope.sector.ok_or_else(|| ApiError::not_found("Sector"))?;
        Ok((scope.site, sector))
    }
}

impl Tenancy {
    /// A site-scoped object by id, if it is in the caller's account and on a site the
    /// caller may see; 404 (`what` not found) otherwise.
    pub async fn find_scoped<T: Scoped>(&self, tenant: &Tenant, id: &T::Id, what: &str) -> Result<T, ApiError> {
        match self.store.find::<T>(tenant.account_id(), id).await? {
            Some(object) if tenant.sees_site(object.site_id()) => Ok(object),
            _ => Err(ApiError::not_found(what)),
        }
    }

    /// Every object of `ids`, or 404 naming the ids that are missing, of another account
    /// or on a site the caller may not see — then nothing of the request is done.
    pub async fn find_all_scoped<T: Scoped>(
        &self,
        tenant: &Tenant,
        ids: &[T::Id],
        what: &str,
    ) -> Result<Vec<T>, ApiError> {
        let found: Vec<T> = self.store.find_many(tenant.account_id(), ids).await?;
        let visible: Vec<T> = found.into_iter().filter(|o| tenant.sees_site(o.site_id())).collect();
        let missing: Vec<&T::Id> = ids.iter().filter(|id| !visible.iter().any(|o| o.id() == *id)).collect();
        if missing.is_empty() {
            return Ok(visible);
        }
        let mut error = ApiError::not_found(what);
        error.errors.insert("ids".into(), missing.iter().map(|id| format!("{id} not found.")).collect());
        Err(error)
    }
}

impl Tenancy {
    /// Every object of one kind in the scope a list request names (`site_id` required,
    /// `sector_id` optional), for the handler to filter, order and paginate.
    pub async fn list_in_scope<T: Scoped>(
        &self,
        tenant: &Tenant,
        site_id: Option<&SiteId>,
        sector_id: Option<&SectorId>,
    ) -> Result<Vec<T>, ApiError> {
        self.list_in_scope_where(tenant, site_id, sector_id, |_| true).await
    }

    /// The objects of [`Tenancy::list_in_scope`] that `keep` keeps, holding no others
    /// while the scope is read.
    pub async fn list_in_scope_where<T: Scoped>(
        &self,
        tenant: &Tenant,
        site_id: Option<&SiteId>,
        sector_id: Option<&SectorId>,
        keep: impl FnMut(&T) -> bool,
    ) -> Result<Vec<T>, ApiError> {
        let site_id = site_id.ok_or_else(|| ApiError::field("site_id", "This parameter is required."))?;
        let scope = self.resolve_scope(tenant, site_id, sector_id).await?;
        let sector = scope.sector.as_ref().map(|s| &s.id);
        Ok(self.store.list_scope_where(tenant.account_id(), &scope.site.id, sector, keep).await?)
    }
}

impl Tenancy {
    /// A cluster that objects of `sector_id` may point to: the caller's, visible, and of
    /// that sector (400 on `cluster_id` otherwise).
    pub async fn cluster_in_sector(
        &self,
        tenant: &Tenant,
        cluster_id: &ClusterId,
        sector_id: &SectorId,
    ) -> Result<Cluster, ApiError> {
        let cluster: Cluster = self.find_scoped(tenant, cluster_id, "Cluster").await?;
        if cluster.sector_id != sector_id {
            return Err(ApiError::field("cluster_id", "The cluster belongs to another sector."));
        }
        Ok(cluster)
    }

    /// [`Tenancy::cluster_in_sector`] for a cluster a request may name: its id, if given.
    pub async fn cluster_if_given(
        &self,
        tenant: &Tenant,
        cluster_id: Option<&ClusterId>,
        sector_id: &SectorId,
    ) -> Result<Option<ClusterId>, ApiError> {
        match cluster_id {
            Some(id) => Ok(Some(self.cluster_in_sector(tenant, id, sector_id).await?.id)),
            None => Ok(None),
        }
    }
}
