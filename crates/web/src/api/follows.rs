//! API: forums of other servers that the signed-in member follows.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use stoa_federation::following::{self, FollowError, Subscription};
use utoipa::ToSchema;

use super::{ApiJson, ApiMember};
use crate::error::{ApiError, ApiErrorBody};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct FollowRequest {
    /// The forum's handle (`books@forum.example`) or its web address.
    pub forum: String,
}

#[derive(Serialize, ToSchema)]
pub struct FollowedForum {
    /// Where the forum's threads are shown here: `/f/{slug}`.
    pub slug: String,
    pub name: String,
    pub purpose: String,
    /// The forum's ActivityPub id on its own server.
    pub id: String,
    /// `pending` until the forum's server accepts the Follow, then `accepted`.
    pub state: String,
    pub url: String,
}

impl FollowedForum {
    fn new(state: &AppState, subscription: Subscription) -> Self {
        let forum = subscription.forum;
        FollowedForum {
            url: state.config.absolute(&format!("/f/{}", forum.slug)),
            slug: forum.slug,
            name: forum.name,
            purpose: forum.purpose,
            id: forum.ap_id.unwrap_or_default(),
            state: if subscription.accepted {
                "accepted"
            } else {
                "pending"
            }
            .into(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct FollowList {
    pub forums: Vec<FollowedForum>,
}

impl From<FollowError> for ApiError {
    fn from(err: FollowError) -> Self {
        match err {
            FollowError::BadTarget(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", err.to_string())
            }
            FollowError::Local(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "that forum is on this server: its threads are here already",
            ),
            FollowError::NotFound(_) => {
                ApiError::new(StatusCode::BAD_GATEWAY, "upstream", err.to_string())
            }
            FollowError::Federation(e) => e.into(),
        }
    }
}

/// Follows a forum of another server: its new threads will appear here. Following again while
/// the forum has not answered sends the Follow again.
#[utoipa::path(post, path = "/api/v1/follows", request_body = FollowRequest,
    security(("bearer" = [])),
    responses((status = 200, body = FollowedForum),
        (status = 422, description = "not a forum's address, or a forum of this server", body = ApiErrorBody),
        (status = 502, description = "the forum could not be found on its server", body = ApiErrorBody)))]
pub async fn follow(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    ApiJson(request): ApiJson<FollowRequest>,
) -> Result<Json<FollowedForum>, ApiError> {
    let data = state.federation.to_request_data();
    let subscription = following::follow(&data, &member.member, &request.forum).await?;
    Ok(Json(FollowedForum::new(&state, subscription)))
}

/// The forums of other servers the member follows.
#[utoipa::path(get, path = "/api/v1/follows", security(("bearer" = [])),
    responses((status = 200, body = FollowList)))]
pub async fn list(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
) -> Result<Json<FollowList>, ApiError> {
    let data = state.federation.to_request_data();
    let forums = following::of_member(&data, member.member.id).await?;
    Ok(Json(FollowList {
        forums: forums
            .into_iter()
            .map(|s| FollowedForum::new(&state, s))
            .collect(),
    }))
}

/// Stops following a forum of another server.
#[utoipa::path(delete, path = "/api/v1/follows/{slug}", security(("bearer" = [])),
    params(("slug" = String, Path, description = "The forum's slug here: name@host")),
    responses((status = 204), (status = 404, body = ApiErrorBody)))]
pub async fn unfollow(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(slug): Path<String>,
) -> Result<StatusCode, ApiError> {
    let data = state.federation.to_request_data();
    let removed = following::unfollow(&data, &member.member, &slug).await?;
    if !removed {
        return Err(ApiError::not_found("followed forum"));
    }
    Ok(StatusCode::NO_CONTENT)
}
