//! The local stack: the same handler code that runs in Lambda, served from one process.
//!
//! - [`resources`]: creates the table, queues and bucket on the emulator.
//! - [`gateway`]: every HTTP function's routes under one port, as API Gateway would
//!   route `/api/v1/<area>/...` to each function.

pub mod resources;

use std::sync::Arc;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use igny8_http::HttpService;
use igny8_store::Store;
use igny8_tenancy::{Tenancy, Tokens};
use igny8_writer::{Media, WriterState};

/// Every HTTP function's routes in one service.
pub fn gateway(store: Store, tokens: Arc<Tokens>, media: Media) -> HttpService {
    let tenancy = Tenancy { store: store.clone(), tokens };
    let routes = igny8_auth::routes(tenancy.clone())
        .merge(igny8_planner::routes(tenancy.clone()))
        .merge(igny8_writer::routes(WriterState { tenancy, media }))
        .merge(igny8_system::routes(store));
    igny8_http::into_service(routes)
}

/// SDK configuration from the environment. Against an emulator (`AWS_ENDPOINT_URL`
/// set) a region and dummy credentials are filled in when none are given, so a fresh
/// machine needs no AWS setup.
pub async fn sdk_config() -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if std::env::var_os("AWS_ENDPOINT_URL").is_some() {
        if std::env::var_os("AWS_REGION").is_none() && std::env::var_os("AWS_DEFAULT_REGION").is_none() {
            loader = loader.region(Region::new("us-east-1"));
        }
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            loader = loader.credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "local",
                "local",
                None,
                None,
                "local-emulator",
            ));
        }
    }
    loader.load().await
}

/// Serves `app` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: HttpService,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = axum::ServiceExt::<axum::extract::Request>::into_make_service(app);
    axum::serve(listener, service).with_graceful_shutdown(shutdown).await
}
