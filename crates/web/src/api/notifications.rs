//! API: the caller's notifications, marking them read, and the kinds they hear of.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use stoa_core::notifications::{self, Kind};
use utoipa::ToSchema;

use super::{ApiJson, ApiMember, PageParams};
use crate::error::{ApiError, ApiErrorBody};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct NotificationView {
    pub id: i64,
    /// `reply`, `mention`, `jury`, `verdict` or `moderation`.
    pub kind: String,
    /// Who did it; none for a jury.
    pub actor: Option<String>,
    pub thread_id: Option<i64>,
    pub thread_title: Option<String>,
    pub post_id: Option<i64>,
    /// The alert, for a jury summons or a verdict.
    pub alert_id: Option<i64>,
    /// What was done, in words: "removed your post: Spam.", a jury's tally.
    pub detail: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Notifications {
    pub notifications: Vec<NotificationView>,
    pub unread: u64,
    pub has_more: bool,
}

/// The caller's notifications, newest first. Reading them does not mark them read.
#[utoipa::path(get, path = "/api/v1/notifications", params(PageParams), security(("bearer" = [])),
    responses((status = 200, body = Notifications), (status = 401, body = ApiErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Query(params): Query<PageParams>,
) -> Result<Json<Notifications>, ApiError> {
    let actor = member.actor();
    let page = notifications::list(&state.db, &actor, params.number()).await?;
    let unread = notifications::unread(&state.db, &actor).await?;
    Ok(Json(Notifications {
        notifications: page
            .items
            .into_iter()
            .map(|n| NotificationView {
                id: n.id,
                kind: n.kind,
                actor: n.actor_name,
                thread_id: n.thread_id,
                thread_title: n.thread_title,
                post_id: n.post_id,
                alert_id: n.alert_id,
                detail: n.detail,
                created_at: n.created_at,
                read: n.read_at.is_some(),
            })
            .collect(),
        unread,
        has_more: page.has_more,
    }))
}

/// Marks all the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read", security(("bearer" = [])),
    responses((status = 204, description = "all read"), (status = 401, body = ApiErrorBody)))]
pub async fn mark_read(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
) -> Result<StatusCode, ApiError> {
    notifications::mark_read(&state.db, &member.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct NotificationSettings {
    /// The kinds the caller is told of; the others they opted out of.
    pub wanted: Vec<String>,
}

/// The kinds of notification the caller is told of.
#[utoipa::path(get, path = "/api/v1/notifications/settings", security(("bearer" = [])),
    responses((status = 200, body = NotificationSettings), (status = 401, body = ApiErrorBody)))]
pub async fn settings(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
) -> Result<Json<NotificationSettings>, ApiError> {
    let wanted = notifications::wanted(&state.db, &member.actor()).await?;
    Ok(Json(NotificationSettings {
        wanted: wanted.into_iter().map(|k| k.word().to_owned()).collect(),
    }))
}

/// Chooses the kinds of notification the caller is told of.
#[utoipa::path(put, path = "/api/v1/notifications/settings", request_body = NotificationSettings,
    security(("bearer" = [])),
    responses((status = 200, body = NotificationSettings), (status = 401, body = ApiErrorBody),
        (status = 422, description = "an unknown kind", body = ApiErrorBody)))]
pub async fn change_settings(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    ApiJson(input): ApiJson<NotificationSettings>,
) -> Result<Json<NotificationSettings>, ApiError> {
    let mut wanted = Vec::new();
    for word in &input.wanted {
        let kind = Kind::parse(word).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("wanted: {word:?} is not reply, mention, jury, verdict or moderation"),
            )
        })?;
        wanted.push(kind);
    }
    notifications::set_wanted(&state.db, &member.actor(), &wanted).await?;
    Ok(Json(input))
}
