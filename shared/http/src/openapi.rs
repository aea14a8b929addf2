//! The API's machine-readable contract (`docs/api-contract.md`). Every HTTP function
//! builds its routes with [`ApiRouter`], which only takes routes that carry their
//! OpenAPI description (`#[utoipa::path]` handlers through [`routes!`](crate::routes)), so a
//! route cannot exist without being in the document. This module holds what every
//! function's part of the document shares: the envelopes, the error answers every
//! operation may give, and the two ways to authenticate.

use std::collections::BTreeMap;

use axum::Router;
use axum::routing::MethodRouter;
use utoipa::openapi::path::{Operation, PathItem, Paths};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{Components, ContentBuilder, HeaderBuilder, OpenApi, OpenApiBuilder, Ref, RefOr, Schema};
use utoipa::{IntoParams, PartialSchema, ToSchema};

/// The name of the bearer-token scheme in the document.
pub const BEARER: &str = "bearer";
/// The name of the site-API-key scheme in the document.
pub const API_KEY: &str = "api_key";

/// The schemas and path items of one path's operations, built only when the document
/// is asked for: building them takes milliseconds a cold start does not need to spend.
pub type Describe = fn() -> (Vec<(String, RefOr<Schema>)>, Paths);

/// Handlers, each on its own path, and their description, from [`routes!`](crate::routes).
pub struct Routes<S> {
    /// Each handler's path and its methods (handlers of one path are merged by the router).
    pub handlers: Vec<(String, MethodRouter<S>)>,
    pub describe: Describe,
}

/// A function's routes, each with its description. There is deliberately no way to add
/// a route without one (`docs/api-contract.md`). The router is built at once, the
/// description only by [`ApiRouter::into_openapi`].
pub struct ApiRouter<S = ()> {
    router: Router<S>,
    described: Vec<Describe>,
}

impl<S: Clone + Send + Sync + 'static> Default for ApiRouter<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Clone + Send + Sync + 'static> ApiRouter<S> {
    pub fn new() -> Self {
        Self { router: Router::new(), described: Vec::new() }
    }

    /// Handlers from [`routes!`](crate::routes).
    pub fn routes(mut self, routes: Routes<S>) -> Self {
        for (path, methods) in routes.handlers {
            let path = if path.is_empty() { "/" } else { &path };
            self.router = self.router.route(path, methods);
        }
        self.described.push(routes.describe);
        self
    }

    pub fn merge(mut self, other: ApiRouter<S>) -> Self {
        self.router = self.router.merge(other.router);
        self.described.extend(other.described);
        self
    }

    /// A layer on every route added so far (a larger body limit for files, say).
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: tower::Layer<axum::routing::Route> + Clone + Send + Sync + 'static,
        L::Service: tower::Service<axum::extract::Request> + Clone + Send + Sync + 'static,
        <L::Service as tower::Service<axum::extract::Request>>::Response: axum::response::IntoResponse + 'static,
        <L::Service as tower::Service<axum::extract::Request>>::Error: Into<std::convert::Infallible> + 'static,
        <L::Service as tower::Service<axum::extract::Request>>::Future: Send + 'static,
    {
        self.router = self.router.layer(layer);
        self
    }

    /// The router with its state; no description is built.
    pub fn into_router(self, state: S) -> Router {
        self.router.with_state(state)
    }

    /// The description of every route.
    pub fn into_openapi(self) -> OpenApi {
        let mut document = OpenApiBuilder::new().build();
        for describe in self.described {
            let (schemas, paths) = describe();
            for (path, item) in paths.paths {
                match document.paths.paths.get_mut(&path) {
                    Some(existing) => existing.merge_operations(item),
                    None => {
                        document.paths.paths.insert(path, item);
                    }
                }
            }
            document.components.get_or_insert_with(Components::new).schemas.extend(schemas);
        }
        document
    }
}

/// Handlers (`#[utoipa::path]` functions, usually the methods of one path) as
/// [`Routes`]: each served on the path and methods its description names, and the
/// description kept as a function to call when the document is built. It uses `utoipa_axum::routes!`'s
/// own arms for the parts of a description, so a handler is read the same way as there
/// (handlers are named by plain paths: `module::handler`).
#[macro_export]
macro_rules! routes {
    ($($head:ident $(:: $tail:ident)*),+ $(,)?) => {{
        use $crate::__private::PathItemExt as _;
        let mut handlers = Vec::new();
        $(
            let mut methods = $crate::__private::MethodRouter::new();
            for method in $crate::__private::utoipa_axum::routes!(@path [methods()] of $head $(:: $tail)*) {
                methods = methods.on(method.to_method_filter(), $head $(:: $tail)*);
            }
            handlers.push(($crate::__private::utoipa_axum::routes!(@path [path()] of $head $(:: $tail)*), methods));
        )+
        $crate::openapi::Routes {
            handlers,
            describe: || {
                let mut schemas = Vec::new();
                let mut paths = $crate::__private::Paths::new();
                $(
                    let (path, item, types) =
                        $crate::__private::utoipa_axum::routes!(@resolve_types $head $(:: $tail)* : schemas);
                    paths.add_path_operation(&path, types, item);
                )+
                (schemas, paths)
            },
        }
    }};
}

/// The success envelope (`Success`) as the document shows it.
#[derive(ToSchema)]
pub struct Envelope<T> {
    pub success: bool,
    pub data: T,
    /// Present when the answer has something to say besides its data.
    pub message: Option<String>,
    pub request_id: String,
    pub timestamp: String,
}

/// The list envelope (`ListResponse`) as the document shows it.
#[derive(ToSchema)]
pub struct Page<T> {
    pub success: bool,
    /// How many items the whole list has, across pages.
    pub count: u64,
    /// The next page's path and query, or null on the last page.
    pub next: Option<String>,
    /// The previous page's path and query, or null on the first page.
    pub previous: Option<String>,
    pub results: Vec<T>,
    pub request_id: String,
    pub timestamp: String,
}

/// The error envelope (`ApiError`) as the document shows it.
#[derive(ToSchema)]
pub struct ErrorEnvelope {
    pub success: bool,
    /// A sentence for people.
    pub error: String,
    /// A stable code for programs, e.g. `VALIDATION_ERROR`, `NOT_FOUND`, `PLAN_LIMIT`.
    pub error_code: String,
    /// Field name → messages, present on validation errors.
    pub errors: Option<BTreeMap<String, Vec<String>>>,
    pub request_id: String,
    pub timestamp: String,
}

/// `page` and `page_size` as the document shows them (the parsing is `PageParams`'s).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// From 1.
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Items per page, 25 unless given.
    #[param(minimum = 1, maximum = 200)]
    pub page_size: Option<u32>,
}

/// Every error an operation can answer, beyond what its own description names.
const COMMON_ERRORS: &[(&str, &str)] = &[
    ("400", "Invalid input: `errors` names the fields."),
    ("401", "Not signed in, or the token or key is not valid."),
    ("403", "The caller's role does not allow this (`FORBIDDEN`), or the plan's limit is reached (`PLAN_LIMIT`)."),
    ("404", "No such object in the caller's account, or no such endpoint."),
    ("405", "The endpoint does not take this method."),
    ("409", "The change conflicts with the stored state (a duplicate, or a change made meanwhile)."),
    ("413", "The body is larger than the endpoint takes."),
    ("415", "The body is not of the type the endpoint takes (JSON unless it says otherwise)."),
    ("429", "Too many requests: wait for `Retry-After` seconds."),
    ("503", "A service the request needs is briefly unavailable: retry after `Retry-After` seconds."),
];

/// The whole document from the functions' parts: every operation gets a unique id
/// and the error answers it does not describe itself, and the two ways to authenticate
/// are declared (an operation that needs neither says so with an empty requirement).
///
/// Fails when two parts describe different schemas under one name: merging would keep
/// the first silently and the document would lie about the second.
pub fn document(
    title: &str,
    version: &str,
    description: &str,
    parts: impl IntoIterator<Item = OpenApi>,
) -> Result<OpenApi, String> {
    let mut api = OpenApi::default();
    api.info.title = title.to_owned();
    api.info.version = version.to_owned();
    api.info.description = Some(description.to_owned());
    api.info.license = None;
    api.info.contact = None;
    let mut clashes = Vec::new();
    for part in parts {
        if let (Some(known), Some(new)) = (&api.components, &part.components) {
            for (name, schema) in &new.schemas {
                if known.schemas.get(name).is_some_and(|k| k != schema) {
                    clashes.push(name.clone());
                }
            }
        }
        api.merge(part);
    }
    if !clashes.is_empty() {
        return Err(format!("schemas described differently under one name: {}", clashes.join(", ")));
    }
    let components = api.components.get_or_insert_with(Default::default);
    components.schemas.insert("ErrorEnvelope".to_owned(), ErrorEnvelope::schema());
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some("An access token from `POST /api/v1/auth/login`."))
                .build(),
        ),
    );
    components.add_security_scheme(
        API_KEY,
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "x-igny8-api-key",
            "A site's API key (`POST /api/v1/auth/sites/{id}/api-key`): a system bot of that one site.",
        ))),
    );
    api.security = Some(vec![
        SecurityRequirement::new(BEARER, Vec::<String>::new()),
        SecurityRequirement::new(API_KEY, Vec::<String>::new()),
    ]);
    for (path, item) in api.paths.paths.iter_mut() {
        for (method, operation) in operations_mut(item) {
            operation.operation_id = Some(operation_id(method, path));
            add_common_errors(operation);
        }
    }
    Ok(api)
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("get", &mut item.get),
        ("put", &mut item.put),
        ("post", &mut item.post),
        ("delete", &mut item.delete),
        ("patch", &mut item.patch),
        ("head", &mut item.head),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_mut().map(|o| (method, o)))
}

/// `get /api/v1/planner/keywords/{id}` → `planner_keywords_id_get`: unique, because
/// method and path are, and readable in generated clients. (Handlers' own names repeat
/// across functions: every area has a `list`.)
fn operation_id(method: &str, path: &str) -> String {
    let words: Vec<String> = path
        .trim_start_matches("/api/v1/")
        .split('/')
        .map(|segment| segment.trim_matches(|c| c == '{' || c == '}').replace(['-', '.'], "_"))
        .filter(|segment| !segment.is_empty())
        .collect();
    format!("{}_{method}", words.join("_"))
}

fn add_common_errors(operation: &mut Operation) {
    for (status, description) in COMMON_ERRORS {
        operation
            .responses
            .responses
            .entry((*status).to_owned())
            .or_insert_with(|| error_response(status, description));
    }
}

fn error_response(status: &str, description: &str) -> RefOr<Response> {
    let mut builder = ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorEnvelope"))).build(),
    );
    if status == "429" || status == "503" {
        builder = builder.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(u64::schema())
                .description(Some("Seconds to wait before trying again."))
                .build(),
        );
    }
    RefOr::T(builder.build())
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use http::{Request, StatusCode};
    use tower::ServiceExt;

    use super::ApiRouter;

    #[utoipa::path(get, path = "/one", responses((status = 200, description = "One.")))]
    async fn one() -> &'static str {
        "one"
    }

    #[utoipa::path(post, path = "/two", responses((status = 200, description = "Two.")))]
    async fn two() -> &'static str {
        "two"
    }

    #[utoipa::path(get, path = "/two", responses((status = 200, description = "Two, read.")))]
    async fn two_read() -> &'static str {
        "two, read"
    }

    /// Each handler is served on its own path and method, whatever it is grouped with,
    /// and the description names exactly those.
    #[tokio::test]
    async fn handlers_are_served_where_their_description_says() {
        let api = || ApiRouter::<()>::new().routes(crate::routes!(one, two)).routes(crate::routes!(two_read));
        let router = api().into_router(());
        for (method, path, status) in
            [("GET", "/one", StatusCode::OK), ("POST", "/two", StatusCode::OK), ("GET", "/two", StatusCode::OK)]
        {
            let request = Request::builder().method(method).uri(path).body(Body::empty()).unwrap();
            let response = router.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status(), status, "{method} {path}");
        }
        let post_one = Request::builder().method("POST").uri("/one").body(Body::empty()).unwrap();
        assert_eq!(router.oneshot(post_one).await.unwrap().status(), StatusCode::METHOD_NOT_ALLOWED);
        let document = api().into_openapi();
        let described: Vec<(&str, bool, bool)> = document
            .paths
            .paths
            .iter()
            .map(|(path, item)| (path.as_str(), item.get.is_some(), item.post.is_some()))
            .collect();
        assert_eq!(described, [("/one", true, false), ("/two", true, true)]);
    }
}
