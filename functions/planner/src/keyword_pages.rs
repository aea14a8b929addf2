//! Keyword list pages read from the store's lists (`KeywordList`), costing reads in
//! proportion to the page: which requests they serve, their cursors and their counts
//! (`docs/decisions.md`, list pages), and the pages no index orders, chosen from the
//! keywords' summaries (`summarised_page`).

use axum::http::Uri;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use igny8_http::{ApiError, ApiResult, ListResponse, Ordering, PageParams, page_link};
use igny8_store::{Cluster, ClusterId, Keyword, KeywordId, KeywordList, KeywordPage, Sector, SectorId};
use igny8_tenancy::{Scope, ScopedList, Tenancy, Tenant};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::keywords::KeywordFilter;

/// Pages 1 to this are read by number (the page and those before it: at most
/// 40 × `page_size` keywords); deeper pages through the cursors of the `next` and
/// `previous` links, which read only their page.
pub const PAGE_DEPTH: u32 = 40;

/// The list a request's pages can be read from, and whether it is read highest first.
/// None when the request needs another way: a search or a range, the text order, or
/// two filters at once.
fn list_for(filter: &KeywordFilter) -> ApiResult<Option<(KeywordList, bool)>> {
    let ordering =
        Ordering::parse(filter.ordering.as_deref(), KeywordFilter::ORDERINGS, KeywordFilter::DEFAULT_ORDERING)?;
    let searched = filter.search.as_deref().is_some_and(|s| !s.trim().is_empty());
    let ranged = filter.difficulty_min.is_some()
        || filter.difficulty_max.is_some()
        || filter.volume_min.is_some()
        || filter.volume_max.is_some();
    if searched || ranged {
        return Ok(None);
    }
    let list = match (&filter.cluster_id, filter.status, filter.intent, ordering.field) {
        (None, None, None, "created_at") => KeywordList::All,
        (None, None, None, "volume") => KeywordList::Volume,
        (None, None, None, "difficulty") => KeywordList::Difficulty,
        (Some(cluster), None, None, "created_at") => KeywordList::Cluster(cluster.clone()),
        (None, Some(status), None, "created_at") => KeywordList::Status(status),
        (None, None, Some(intent), "created_at") => KeywordList::Intent(intent),
        _ => return Ok(None),
    };
    Ok(Some((list, ordering.descending)))
}

/// `cursor`, from a list's `next` or `previous` link.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CursorQuery {
    /// A place in the list, from its `next` or `previous` link (pages past the 40th are
    /// reached this way).
    pub cursor: Option<String>,
}

/// A place in a list: the position of a page's last keyword (read on, `next`) or its
/// first (read back, `previous`), and the list it belongs to. Opaque to clients.
struct Cursor {
    backward: bool,
    position: String,
}

impl Cursor {
    fn encode(list: &KeywordList, backward: bool, position: &str) -> String {
        let way = if backward { "p" } else { "n" };
        URL_SAFE_NO_PAD.encode(format!("{}|{way}|{position}", list.tag()))
    }

    fn decode(text: &str, list: &KeywordList) -> ApiResult<Self> {
        let wrong = || {
            ApiError::field("cursor", "Not a cursor of this list; follow the list's own `next` and `previous` links.")
        };
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| wrong())?;
        let text = String::from_utf8(bytes).map_err(|_| wrong())?;
        let mut parts = text.splitn(3, '|');
        let (Some(tag), Some(way), Some(position)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(wrong());
        };
        if tag != list.tag() || !matches!(way, "n" | "p") || !list.takes(position) {
            return Err(wrong());
        }
        Ok(Self { backward: way == "p", position: position.to_owned() })
    }
}

/// The page a request asks for, read from its list; None when no list serves it.
pub async fn indexed_page(
    state: &Tenancy,
    tenant: &Tenant,
    filter: &KeywordFilter,
    cursor: &CursorQuery,
    page: &PageParams,
    uri: &Uri,
) -> ApiResult<Option<ListResponse<Keyword>>> {
    let cursor_text = cursor.cursor.as_deref().filter(|c| !c.trim().is_empty());
    let Some((list, descending)) = list_for(filter)? else {
        return match cursor_text {
            Some(_) => Err(ApiError::field(
                "cursor",
                "Only pages without search or ranges, with at most one of status, intent and cluster, in creation, \
                 volume or difficulty order, take a cursor.",
            )),
            None => Ok(None),
        };
    };
    let Some(site_id) = filter.site_id.as_ref() else { return Ok(None) };
    let cursor = cursor_text.map(|text| Cursor::decode(text, &list)).transpose()?;
    if cursor.is_none() && page.page() > PAGE_DEPTH {
        return Err(ApiError::field(
            "page",
            format!("Pages past {PAGE_DEPTH} of this list are reached through its `next` and `previous` links."),
        ));
    }
    let scope = state.resolve_scope(tenant, site_id, filter.sector_id.as_ref()).await?;
    let (count, sectors) = match &list {
        KeywordList::Cluster(cluster_id) => match cluster_in_scope(state, tenant, &scope, cluster_id).await? {
            Some(cluster) => (cluster.keywords_count.max(0) as usize, Vec::new()),
            // A cluster of another scope (or none) holds none of the scope's keywords.
            None => return Ok(Some(ListResponse::page_of(0, Vec::new(), page, uri))),
        },
        _ => {
            let sectors = scope_sectors(state, tenant, &scope).await?;
            let count_of = |sector: &Sector| match &list {
                KeywordList::Status(status) => sector.keywords_by.with_status(*status),
                KeywordList::Intent(intent) => sector.keywords_by.with_intent(*intent),
                _ => sector.keywords_count,
            };
            (sectors.iter().map(|s| count_of(s) as usize).sum(), sectors)
        }
    };

    let size = page.page_size() as usize;
    let (skip, after, backward) = match &cursor {
        Some(cursor) => (0, Some(cursor.position.as_str()), cursor.backward),
        None => (page.offset(), None, false),
    };
    let sector_ids: Vec<SectorId> = sectors.into_iter().map(|s| s.id).collect();
    let read = KeywordPage {
        account_id: tenant.account_id(),
        site_id: &scope.site.id,
        sectors: &sector_ids,
        list: list.clone(),
        descending: descending != backward,
        after,
        // One more than the page: whether there is more in the direction read.
        limit: skip + size + 1,
    };
    let mut found = state.store.keyword_page(&read).await?;
    let more = found.len() > skip + size;
    found.truncate(skip + size);
    let mut found: Vec<(String, Keyword)> = found.into_iter().skip(skip).collect();
    if backward {
        found.reverse();
    }

    let number = page.page() as usize;
    let (has_next, has_previous) = if backward { (true, more && number > 1) } else { (more, number > 1) };
    let next = found
        .last()
        .filter(|_| has_next)
        .map(|(position, _)| page_link(uri, number + 1, Some(&Cursor::encode(&list, false, position))));
    let previous = match found.first() {
        // The first page is read by number: it shows what is newest now.
        _ if number == 2 => Some(page_link(uri, 1, None)),
        Some((position, _)) if has_previous => {
            Some(page_link(uri, number - 1, Some(&Cursor::encode(&list, true, position))))
        }
        _ => None,
    };
    let results = found.into_iter().map(|(_, keyword)| keyword).collect();
    Ok(Some(ListResponse { count, next, previous, results }))
}

/// A page no index orders (search, ranges, text order, two filters at once): chosen
/// from summaries of the scope's keywords (GSI7, about a quarter of their items), read
/// page by page keeping only what passes the filter, ordered in memory; then only the
/// page's keywords are read whole. With a cluster, its own list is read whole instead
/// (a cluster's keywords are few next to a sector's).
pub async fn summarised_page(
    state: &Tenancy,
    tenant: &Tenant,
    filter: &KeywordFilter,
    page: &PageParams,
    uri: &Uri,
) -> ApiResult<ListResponse<Keyword>> {
    let ordering =
        Ordering::parse(filter.ordering.as_deref(), KeywordFilter::ORDERINGS, KeywordFilter::DEFAULT_ORDERING)?;
    let site_id = filter.site_id.as_ref().ok_or_else(|| ApiError::field("site_id", "This parameter is required."))?;
    let scope = state.resolve_scope(tenant, site_id, filter.sector_id.as_ref()).await?;
    if let Some(cluster_id) = &filter.cluster_id {
        let keywords = match cluster_in_scope(state, tenant, &scope, cluster_id).await? {
            Some(cluster) => state.store.cluster_keywords(&cluster).await?,
            None => Vec::new(),
        };
        return Ok(ListResponse::paginate(filter.apply(keywords)?, page, uri));
    }
    let sectors: Vec<SectorId> = scope_sectors(state, tenant, &scope).await?.into_iter().map(|s| s.id).collect();
    let mut kept =
        state.store.keyword_summaries_where(tenant.account_id(), &sectors, |k| filter.keeps_facts(k)).await?;
    ordering.sort(&mut kept, KeywordFilter::compare_facts, |k| k.id.as_str());
    let count = kept.len();
    let ids: Vec<KeywordId> =
        kept.into_iter().skip(page.offset()).take(page.page_size() as usize).map(|k| k.id).collect();
    let mut keywords: Vec<Keyword> = state.store.find_many(tenant.account_id(), &ids).await?;
    // In the page's order (a batch read answers in any); one deleted meanwhile is left out.
    keywords.sort_by_key(|k| ids.iter().position(|id| *id == k.id));
    Ok(ListResponse::page_of(count, keywords, page, uri))
}

/// The cluster, if it is the caller's and of the scope.
async fn cluster_in_scope(
    state: &Tenancy,
    tenant: &Tenant,
    scope: &Scope,
    cluster_id: &ClusterId,
) -> ApiResult<Option<Cluster>> {
    let cluster = state.store.find::<Cluster>(tenant.account_id(), cluster_id).await?;
    Ok(cluster.filter(|c| c.site_id == scope.site.id && scope.sector.as_ref().is_none_or(|s| s.id == c.sector_id)))
}

/// The scope's sectors: its one, or all of its site's.
async fn scope_sectors(state: &Tenancy, tenant: &Tenant, scope: &Scope) -> ApiResult<Vec<Sector>> {
    Ok(match &scope.sector {
        Some(sector) => vec![sector.clone()],
        None => state.store.sectors(tenant.account_id(), &scope.site.id).await?,
    })
}
