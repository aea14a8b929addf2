use axum::Json;
use axum::response::{IntoResponse, Response};
use http::Uri;
use serde::{Deserialize, Serialize};

use crate::envelope::now_rfc3339;
use crate::error::ApiError;
use crate::request_id::current_request_id;

pub const DEFAULT_PAGE_SIZE: u32 = 25;
pub const MAX_PAGE_SIZE: u32 = 200;

/// `page` (from 1) and `page_size` (default 25, at most 200) of a list request.
#[derive(Debug, Clone, Copy, Deserialize, Default)]
pub struct PageParams {
    page: Option<u32>,
    page_size: Option<u32>,
}

impl PageParams {
    pub fn new(page: Option<u32>, page_size: Option<u32>) -> Self {
        Self { page, page_size }
    }

    pub fn page(&self) -> u32 {
        self.page.unwrap_or(1)
    }

    pub fn page_size(&self) -> u32 {
        self.page_size.unwrap_or(DEFAULT_PAGE_SIZE)
    }

    pub fn check(&self) -> Result<(), ApiError> {
        if self.page == Some(0) {
            return Err(ApiError::field("page", "Must be at least 1."));
        }
        if let Some(size) = self.page_size
            && !(1..=MAX_PAGE_SIZE).contains(&size)
        {
            return Err(ApiError::field("page_size", format!("Must be between 1 and {MAX_PAGE_SIZE}.")));
        }
        Ok(())
    }

    /// Index of the first item of the page in the full, ordered list.
    pub fn offset(&self) -> usize {
        (self.page() as usize - 1) * self.page_size() as usize
    }
}

/// `{"success": true, "count": N, "next": URL|null, "previous": URL|null, "results": [...]}`.
/// `next` and `previous` are the request's own path and query with `page` changed.
#[derive(Debug)]
pub struct ListResponse<T> {
    pub count: usize,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<T>,
}

impl<T: Serialize> ListResponse<T> {
    /// One page of an already complete, ordered list.
    pub fn paginate(all: Vec<T>, params: &PageParams, uri: &Uri) -> Self {
        let count = all.len();
        let results: Vec<T> = all.into_iter().skip(params.offset()).take(params.page_size() as usize).collect();
        Self::page_of(count, results, params, uri)
    }

    /// A page computed elsewhere, with the total it was taken from.
    pub fn page_of(count: usize, results: Vec<T>, params: &PageParams, uri: &Uri) -> Self {
        let page = params.page() as usize;
        let end = params.offset() + results.len();
        let next = (end < count).then(|| link(uri, page + 1));
        let previous = (page > 1).then(|| link(uri, page - 1));
        Self { count, next, previous, results }
    }
}

fn link(uri: &Uri, page: usize) -> String {
    page_link(uri, page, None)
}

/// The request's own path and query with `page` (and `cursor`, for lists read from a
/// place in an index) set to these.
pub fn page_link(uri: &Uri, page: usize, cursor: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .filter(|(k, _)| k != "page" && k != "cursor")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if let Some(cursor) = cursor {
        pairs.push(("cursor".into(), cursor.to_owned()));
    }
    pairs.push(("page".into(), page.to_string()));
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    format!("{}?{}", uri.path(), query)
}

#[derive(Serialize)]
struct ListBody<'a, T> {
    success: bool,
    count: usize,
    next: &'a Option<String>,
    previous: &'a Option<String>,
    results: &'a [T],
    request_id: String,
    timestamp: String,
}

impl<T: Serialize> IntoResponse for ListResponse<T> {
    fn into_response(self) -> Response {
        Json(ListBody {
            success: true,
            count: self.count,
            next: &self.next,
            previous: &self.previous,
            results: &self.results,
            request_id: current_request_id(),
            timestamp: now_rfc3339(),
        })
        .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_filters_and_move_the_page() {
        let uri: Uri = "/api/v1/auth/sites/?page=2&page_size=2&search=a".parse().unwrap();
        let params = PageParams::new(Some(2), Some(2));
        let list = ListResponse::paginate(vec![1, 2, 3, 4, 5], &params, &uri);
        assert_eq!(list.results, vec![3, 4]);
        assert_eq!(list.count, 5);
        assert_eq!(list.next.as_deref(), Some("/api/v1/auth/sites/?page_size=2&search=a&page=3"));
        assert_eq!(list.previous.as_deref(), Some("/api/v1/auth/sites/?page_size=2&search=a&page=1"));
    }

    #[test]
    fn last_page_has_no_next() {
        let uri: Uri = "/x".parse().unwrap();
        let list = ListResponse::paginate(vec![1, 2], &PageParams::default(), &uri);
        assert!(list.next.is_none() && list.previous.is_none());
    }

    #[test]
    fn page_size_is_bounded() {
        assert!(PageParams::new(None, Some(201)).check().is_err());
        assert!(PageParams::new(Some(0), None).check().is_err());
        assert!(PageParams::new(Some(3), Some(200)).check().is_ok());
    }
}
