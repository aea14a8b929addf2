//! The one way a site-scoped kind is listed (`docs/product.md §3`): the scope a request
//! names (a site, optionally one sector), the objects its filter keeps, in the order it
//! asks for. Each kind says only what is its own: which objects a filter keeps and how
//! two compare by a field; pages are cut by the handler (`ListResponse::paginate`).

use std::borrow::Borrow;
use std::cmp::Ordering as CmpOrdering;

use igny8_http::{ApiResult, Ordering};
use igny8_store::Scoped;

use crate::{Tenancy, Tenant};

/// A list request's filter for one site-scoped kind.
pub trait ScopedList {
    type Item: Scoped;
    /// The fields `ordering` takes.
    const ORDERINGS: &'static [&'static str];
    /// The ordering when none is given (`-` first for descending).
    const DEFAULT_ORDERING: &'static str;

    fn site_id(&self) -> Option<&igny8_store::SiteId>;
    fn sector_id(&self) -> Option<&igny8_store::SectorId>;
    fn ordering(&self) -> Option<&str>;
    /// Whether the filter keeps `item`.
    fn keeps(&self, item: &Self::Item) -> bool;
    /// `a` against `b` by `field` (one of `ORDERINGS`), ascending.
    fn compare(a: &Self::Item, b: &Self::Item, field: &str) -> CmpOrdering;

    /// Filters and orders objects already read (ties go by id, so pages are stable).
    fn apply(&self, all: Vec<Self::Item>) -> ApiResult<Vec<Self::Item>> {
        self.order(all.into_iter().filter(|item| self.keeps(item)).collect())
    }

    /// Orders objects the filter kept.
    fn order(&self, mut kept: Vec<Self::Item>) -> ApiResult<Vec<Self::Item>> {
        let ordering = Ordering::parse(self.ordering(), Self::ORDERINGS, Self::DEFAULT_ORDERING)?;
        ordering.sort(&mut kept, Self::compare, |item| item.id().borrow());
        Ok(kept)
    }
}

impl Tenancy {
    /// The objects of the scope `filter` names that it keeps, in its order. The scope is
    /// read page by page and only what the filter keeps is held.
    pub async fn select<F: ScopedList>(&self, tenant: &Tenant, filter: &F) -> ApiResult<Vec<F::Item>> {
        // Ordering first: an unknown ordering is a 400 before anything is read.
        Ordering::parse(filter.ordering(), F::ORDERINGS, F::DEFAULT_ORDERING)?;
        let kept =
            self.list_in_scope_where(tenant, filter.site_id(), filter.sector_id(), |item| filter.keeps(item)).await?;
        filter.order(kept)
    }
}

/// The accessors of a filter whose scope and ordering are its `site_id`, `sector_id`
/// and `ordering` fields (every list filter's), inside `impl ScopedList for …`.
#[macro_export]
macro_rules! scope_fields {
    () => {
        fn site_id(&self) -> Option<&igny8_store::SiteId> {
            self.site_id.as_ref()
        }

        fn sector_id(&self) -> Option<&igny8_store::SectorId> {
            self.sector_id.as_ref()
        }

        fn ordering(&self) -> Option<&str> {
            self.ordering.as_deref()
        }
    };
}

/// Text ordering that ignores case.
pub fn by_text(a: &str, b: &str) -> CmpOrdering {
    a.to_lowercase().cmp(&b.to_lowercase())
}
