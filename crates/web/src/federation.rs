//! The ActivityPub face of the site: WebFinger, NodeInfo, the instance actor, and the
//! `application/activity+json` side of member and forum pages (same URL, chosen by `Accept`).

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use stoa_federation::discovery::{self, WebfingerError, WebfingerErrorOrDb};
use stoa_federation::{ACTIVITY_JSON, actors, objects, signatures, wants_activity_json};
use tower_http::limit::RequestBodyLimitLayer;

use crate::error::{ApiError, PageError};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route("/nodeinfo/2.1", get(nodeinfo))
        .route("/actor", get(instance_actor))
        .route("/t/{id}/context", get(thread_context))
        .route("/t/{id}/replies", get(thread_replies))
        .route("/actor/outbox", get(instance_outbox))
        .route("/p/{id}", get(post_or_redirect))
        .route("/p/{id}/replies", get(post_replies))
        .route("/f/{slug}/{collection}", get(forum_collection))
        .route("/groups/{id}", get(forum_group))
        .route("/u/{name}/{collection}", get(user_collection))
        .merge(
            Router::new()
                .route("/inbox", post(inbox))
                .route("/actor/inbox", post(inbox))
                .route("/f/{slug}/inbox", post(inbox))
                .route("/u/{name}/inbox", post(inbox))
                .route_layer(RequestBodyLimitLayer::new(MAX_ACTIVITY_BYTES)),
        )
}

/// Largest activity accepted; bigger bodies get 413 before anything is parsed.
const MAX_ACTIVITY_BYTES: usize = 256 * 1024;

/// Every inbox: the signature, digest and origin are verified before the activity is handled;
/// an unverifiable signature gets 401 (never a 2xx), so peers may retry with another scheme.
async fn inbox(
    State(state): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let data = state.federation.to_request_data();
    let request = signatures::Request {
        method: &method,
        uri: &uri,
        headers: &headers,
        body: Some(&body),
    };
    match stoa_federation::inbound::receive(&data, &request).await {
        Ok(_) => StatusCode::ACCEPTED.into_response(),
        Err(err) => {
            let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
            if status.is_server_error() {
                tracing::error!(error = %err, "inbox");
            } else {
                tracing::info!(error = %err, %status, "inbox refused an activity");
            }
            let code = if status == StatusCode::UNAUTHORIZED {
                "unauthorized"
            } else {
                "rejected"
            };
            ApiError::new(status, code, err.to_string()).into_response()
        }
    }
}

/// A post's ActivityPub document: `Page`, `Note`, or (deleted) a `Tombstone` with 410 Gone.
pub fn post_document(object: Option<objects::PostObject>) -> Response {
    match object {
        Some(objects::PostObject::Deleted(tombstone)) => {
            let mut response = activity_json(&tombstone);
            *response.status_mut() = StatusCode::GONE;
            response
        }
        Some(object) => activity_json(&object),
        None => ApiError::not_found("post").into_response(),
    }
}

/// `/p/{id}`: a reply's own id. Servers get the `Note`; browsers go to the post in its thread.
async fn post_or_redirect(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if asks_for_activity_json(&headers) {
        let object = objects::post_object(&state.db, &state.config.urls, id).await?;
        return Ok(post_document(object));
    }
    let post = stoa_core::posts::find_post(&state.db, id).await?;
    Ok(Redirect::to(&format!("/t/{}#p{}", post.thread_id, post.id)).into_response())
}

/// `/f/{slug}/followers|moderators|outbox`.
async fn forum_collection(
    State(state): State<AppState>,
    Path((slug, which)): Path<(String, String)>,
    Query(query): Query<CollectionQuery>,
) -> Result<Response, ApiError> {
    let (db, urls) = (&state.db, &state.config.urls);
    let collection = match which.as_str() {
        "outbox" => stoa_federation::outbox::forum_outbox(db, urls, &slug, query.page()).await?,
        _ => objects::forum_collection(db, urls, &slug, &which).await?,
    };
    match collection {
        Some(collection) => Ok(activity_json(&collection)),
        None => Err(ApiError::not_found("collection")),
    }
}

/// `/groups/{id}`: a forum group and its forums (Stoa's extension).
async fn forum_group(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    match objects::forum_group_collection(&state.db, &state.config.urls, id).await? {
        Some(group) => Ok(activity_json(&group)),
        None => Err(ApiError::not_found("forum group")),
    }
}

/// `/u/{name}/followers|outbox`.
async fn user_collection(
    State(state): State<AppState>,
    Path((name, which)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    match objects::user_collection(&state.db, &state.config.urls, &name, &which).await? {
        Some(collection) => Ok(activity_json(&collection)),
        None => Err(ApiError::not_found("collection")),
    }
}

#[derive(Deserialize)]
pub struct CollectionQuery {
    page: Option<usize>,
}

/// Pages past this are answered as this one (empty): a page number is multiplied into an
/// offset, which must not overflow.
const LAST_PAGE: usize = 1_000_000;

impl CollectionQuery {
    fn page(&self) -> Option<usize> {
        self.page.map(|page| page.clamp(1, LAST_PAGE))
    }
}

/// `/t/{id}/context`: the thread's conversation as an ordered collection (FEP-7888).
async fn thread_context(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(query): Query<CollectionQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let tag = objects::thread_tag(&state.db, id).await?;
    unless_unchanged(&headers, tag, query.page(), async {
        objects::context_collection(&state.db, &state.config.urls, id, query.page()).await
    })
    .await
}

/// `/t/{id}/replies`: the direct replies to a thread's first post.
async fn thread_replies(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(query): Query<CollectionQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let tag = objects::thread_tag(&state.db, id).await?;
    unless_unchanged(&headers, tag, query.page(), async {
        objects::replies_collection(&state.db, &state.config.urls, id, query.page()).await
    })
    .await
}

/// `/p/{id}/replies`: the direct replies to a reply.
async fn post_replies(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(query): Query<CollectionQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let tag = objects::post_thread_tag(&state.db, id).await?;
    unless_unchanged(&headers, tag, query.page(), async {
        objects::post_replies_collection(&state.db, &state.config.urls, id, query.page()).await
    })
    .await
}

/// A thread's collection with its `ETag` (the thread's tag, and the page), or 304 Not
/// Modified when the reader already has that one (`If-None-Match`): nothing is built then.
async fn unless_unchanged(
    headers: &HeaderMap,
    thread_tag: Option<String>,
    page: Option<usize>,
    build: impl std::future::Future<Output = Result<Option<serde_json::Value>, stoa_db::DbErr>>,
) -> Result<Response, ApiError> {
    let Some(tag) = thread_tag else {
        return Err(ApiError::not_found("thread"));
    };
    let tag = match page {
        Some(page) => format!("{}-p{page}\"", tag.trim_end_matches('"')),
        None => tag,
    };
    let known = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().trim_start_matches("W/") == tag);
    let mut response = if known {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        match build.await? {
            Some(collection) => activity_json(&collection),
            None => return Err(ApiError::not_found("post")),
        }
    };
    if let Ok(value) = HeaderValue::from_str(&tag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    Ok(response)
}

/// `/actor/outbox`: the instance actor publishes nothing.
async fn instance_outbox(State(state): State<AppState>) -> Response {
    activity_json(&objects::instance_outbox(&state.config.urls))
}

/// Whether the request asks for the ActivityPub representation.
pub fn asks_for_activity_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(wants_activity_json)
}

/// An ActivityPub document response. `Vary: Accept` because the same URL also serves HTML.
pub fn activity_json(body: &impl Serialize) -> Response {
    let mut response = Json(body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(ACTIVITY_JSON),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Accept"));
    response
}

#[derive(Deserialize)]
pub struct WebfingerQuery {
    resource: Option<String>,
}

async fn webfinger(
    State(state): State<AppState>,
    Query(query): Query<WebfingerQuery>,
) -> Result<Response, ApiError> {
    let resource = query.resource.unwrap_or_default();
    if resource.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the resource parameter is required",
        ));
    }
    match discovery::webfinger(&state.db, &state.config.urls, &resource).await {
        Ok(answer) => {
            let mut response = Json(answer).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/jrd+json"),
            );
            Ok(response)
        }
        Err(WebfingerErrorOrDb::Query(WebfingerError::Malformed(why))) => {
            Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_request", why))
        }
        Err(WebfingerErrorOrDb::Query(WebfingerError::OtherHost)) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "that handle belongs to another server",
        )),
        Err(WebfingerErrorOrDb::Query(WebfingerError::NotFound)) => {
            Err(ApiError::not_found("member or forum"))
        }
        Err(WebfingerErrorOrDb::Database(e)) => Err(e.into()),
    }
}

async fn nodeinfo_links(State(state): State<AppState>) -> Response {
    Json(discovery::nodeinfo_links(&state.config.urls)).into_response()
}

async fn nodeinfo(State(state): State<AppState>) -> Result<Response, ApiError> {
    let usage = stoa_core::instance::usage(&state.db).await?;
    let site = stoa_core::safety::site(&state.db).await?;
    let open = site.registration == stoa_core::safety::Registration::Open;
    let mut response =
        Json(discovery::nodeinfo(&state.config.site_name, &usage, open)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(
            "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\"",
        ),
    );
    Ok(response)
}

/// `/actor`, and `/` for a server that asks the site root for the instance's actor (Lemmy).
pub(crate) async fn instance_actor(State(state): State<AppState>) -> Result<Response, ApiError> {
    let keys = stoa_core::instance::actor(&state.db).await?;
    Ok(activity_json(&actors::application(
        &state.config.urls,
        &state.config.site_name,
        &keys,
    )))
}
