//! Stoa's HTTP face: the server-rendered forum pages, the JSON API under `/api/v1`, sessions,
//! CSRF protection and login rate limits. Handlers stay thin: they extract, authorise, call one
//! `stoa-core` service and pick the representation.

pub mod api;
pub mod auth;
pub mod authorized_fetch;
pub mod csrf;
pub mod error;
pub mod federation;
pub mod pages;
pub mod rate_limit;
pub mod state;
mod time_format;

use axum::Router;
use axum::extract::MatchedPath;
use axum::http::Request;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

pub use state::{AppState, WebConfig};
/// How much of a followed forum's history is brought in, for the binary's settings.
pub use stoa_federation::backfill::MAX_THREADS as BACKFILL_THREADS;
/// How deliveries are paced, for the binary's settings.
pub use stoa_federation::delivery::{
    PER_SERVER as DELIVERY_PER_SERVER, Settings as DeliverySettings,
};

/// Largest request body accepted: a 64 KiB post plus form encoding and the other fields.
const MAX_BODY_BYTES: usize = 512 * 1024;

/// The whole application. `main` serves it; tests build it the same way.
pub fn router(state: AppState) -> Router {
    let mut app = Router::new()
        .merge(pages::routes())
        .merge(federation::routes())
        .nest("/api/v1", api::routes())
        .fallback(pages::not_found);
    // Only where it is on: otherwise every request would pay for a check that passes it.
    if state.config.authorized_fetch {
        app = app.layer(axum::middleware::from_fn_with_state(
            state.clone(),
            authorized_fetch::require_signature,
        ));
    }
    app.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        wake_delivery_after_writes,
    ))
    .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
    .layer(
        TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let path = request
                .extensions()
                .get::<MatchedPath>()
                .map(MatchedPath::as_str)
                .unwrap_or("unmatched");
            tracing::info_span!("request", method = %request.method(), path)
        }),
    )
    .with_state(state)
}

/// Wakes the delivery worker after every write that succeeded — in this one place, not in each
/// handler. By the time the answer is ready, whatever the request changed is committed, with
/// the outbox events it wrote; the worker also looks every second, so a write that queued
/// nothing costs one spare look.
async fn wake_delivery_after_writes(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::Method;
    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let response = next.run(request).await;
    let status = response.status();
    if writes && (status.is_success() || status.is_redirection()) {
        state.delivery_wake.notify_one();
    }
    response
}

/// Serves the app on a bound listener until `shutdown` resolves. Client addresses reach the
/// handlers (login rate limits need them).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
