//! The JSON API under `/api/v1`: the forum's resources for apps, scripts and tests, described by
//! the OpenAPI document at `/api/v1/openapi.json`. Errors are `{"error", "detail"}`.

mod accounts;
mod admin;
mod federation_admin;
mod follows;
mod forums;
mod juries;
mod moderation;
mod notifications;
mod threads;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use utoipa::OpenApi;

use crate::auth::{Credential, SignedIn, Viewer};
use crate::error::ApiError;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/accounts", post(accounts::create_account))
        .route(
            "/sessions",
            post(accounts::create_session).delete(accounts::end_session),
        )
        .route("/users/{name}", get(accounts::user))
        .route("/forums", get(forums::list))
        .route(
            "/forums/{slug}",
            get(forums::forum).patch(moderation::edit_forum),
        )
        .route("/forums/{slug}/threads", post(threads::create_thread))
        .route(
            "/forums/{slug}/hosts/{name}",
            put(moderation::appoint_host).delete(moderation::dismiss_host),
        )
        .route("/forums/{slug}/modlog", get(moderation::forum_log))
        .route("/forums/{slug}/bans", get(moderation::bans))
        .route(
            "/forums/{slug}/bans/{name}",
            put(moderation::ban).delete(moderation::unban),
        )
        .route("/modlog", get(moderation::instance_log))
        .route("/threads/{id}/move", post(moderation::move_thread))
        .route(
            "/threads/{id}/lock",
            post(moderation::lock).delete(moderation::unlock),
        )
        .route(
            "/posts/{id}/removal",
            post(moderation::remove).delete(moderation::restore),
        )
        .route("/posts/{id}/alerts", post(juries::raise))
        .route("/juries", get(juries::duties))
        .route("/juries/{id}", get(juries::case))
        .route("/juries/{id}/votes", post(juries::vote))
        .route("/juries/{id}/decline", post(juries::decline))
        .route("/alerts/{id}", get(juries::verdict))
        .route("/notifications", get(notifications::list))
        .route("/notifications/read", post(notifications::mark_read))
        .route(
            "/notifications/settings",
            get(notifications::settings).put(notifications::change_settings),
        )
        .route("/admin/site", get(admin::site).patch(admin::change_site))
        .route("/admin/applications", get(admin::applications))
        .route("/admin/applications/{id}/approval", post(admin::approve))
        .route("/admin/applications/{id}/rejection", post(admin::reject))
        .route("/admin/suspensions", get(admin::suspensions))
        .route(
            "/admin/users/{name}/suspension",
            post(admin::suspend).delete(admin::unsuspend),
        )
        .route("/admin/domain-blocks", get(admin::domain_blocks))
        .route(
            "/admin/domain-blocks/{domain}",
            put(admin::block_domain).delete(admin::unblock_domain),
        )
        .route("/admin/federation", get(federation_admin::servers))
        .route(
            "/admin/federation/{host}/retry",
            post(federation_admin::retry),
        )
        .route("/admin/domain-allows", get(admin::domain_allows))
        .route(
            "/admin/domain-allows/{domain}",
            put(admin::allow_domain).delete(admin::disallow_domain),
        )
        .route("/latest", get(forums::latest))
        .route("/follows", get(follows::list).post(follows::follow))
        .route("/follows/{slug}", axum::routing::delete(follows::unfollow))
        .route("/threads/{id}", get(threads::thread))
        .route("/threads/{id}/replies", post(threads::reply))
        .route("/posts/{id}", patch(threads::edit).delete(threads::delete))
        .route("/posts/{id}/revisions", get(threads::revisions))
        .route(
            "/posts/{id}/like",
            post(threads::like).delete(threads::unlike),
        )
        .fallback(api_not_found)
}

async fn api_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such API endpoint")
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Stoa API", description = "The forum's resources: accounts, forums, threads, posts, moderation, alerts and juries."),
    paths(
        accounts::create_account,
        accounts::create_session,
        accounts::end_session,
        accounts::user,
        forums::list,
        forums::forum,
        forums::latest,
        follows::follow,
        follows::list,
        follows::unfollow,
        threads::create_thread,
        threads::thread,
        threads::reply,
        threads::edit,
        threads::delete,
        threads::revisions,
        threads::like,
        threads::unlike,
        moderation::appoint_host,
        moderation::dismiss_host,
        moderation::lock,
        moderation::move_thread,
        moderation::unlock,
        moderation::remove,
        moderation::restore,
        moderation::forum_log,
        moderation::instance_log,
        moderation::ban,
        moderation::unban,
        moderation::edit_forum,
        moderation::bans,
        juries::raise,
        juries::duties,
        juries::case,
        juries::vote,
        juries::decline,
        juries::verdict,
        notifications::list,
        notifications::mark_read,
        notifications::settings,
        notifications::change_settings,
        admin::site,
        admin::change_site,
        admin::applications,
        admin::approve,
        admin::reject,
        admin::suspend,
        admin::unsuspend,
        admin::suspensions,
        admin::block_domain,
        admin::unblock_domain,
        admin::domain_blocks,
        admin::allow_domain,
        admin::disallow_domain,
        admin::domain_allows,
        federation_admin::servers,
        federation_admin::retry,
    ),
    modifiers(&BearerAuth),
    tags((name = "stoa"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

async fn openapi() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

/// A JSON body whose rejection (malformed JSON, wrong content type) is an `ApiError`.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => {
                let status = match rejection {
                    JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    JsonRejection::JsonDataError(_) => StatusCode::UNPROCESSABLE_ENTITY,
                    _ => StatusCode::BAD_REQUEST,
                };
                Err(ApiError::new(status, "bad_request", rejection.body_text()))
            }
        }
    }
}

/// A signed-in member for an API call. A bearer token is enough; a browser session cookie
/// must also send its CSRF token in `X-CSRF-Token` on anything but a read.
pub struct ApiMember(pub SignedIn);

impl<S> FromRequestParts<S> for ApiMember
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Viewer(signed_in) = Viewer::from_request_parts(parts, state)
            .await
            .map_err(ApiError::from)?;
        let signed_in = signed_in.ok_or_else(ApiError::unauthorized)?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if signed_in.credential == Credential::Cookie && !safe {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let matches = crate::csrf::same(sent, &signed_in.csrf_token);
            if !matches {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "csrf",
                    "with a session cookie, send the session's CSRF token in X-CSRF-Token",
                ));
            }
        }
        Ok(ApiMember(signed_in))
    }
}

/// `?page=N` for paginated lists.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct PageParams {
    /// Page number, from 1.
    pub page: Option<u64>,
}

impl PageParams {
    pub(crate) fn number(&self) -> u64 {
        self.page.unwrap_or(1).max(1)
    }
}
