//! API: the admins' view of federation — each server Stoa delivers to, its queue and health —
//! and sending a server's queue now.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::Serialize;
use stoa_federation::servers;
use utoipa::ToSchema;

use super::ApiMember;
use crate::error::{ApiError, ApiErrorBody};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct ServerView {
    /// `host[:port]`.
    pub host: String,
    /// Follows of forums here held by its members.
    pub followers: u64,
    /// Deliveries still to be sent to it.
    pub queued: u64,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_failure_at: Option<DateTime<Utc>>,
    /// Why the last failed delivery failed.
    pub last_error: Option<String>,
    /// The last delivery it refused, with its status and answer.
    pub last_refusal: Option<String>,
    /// When its next queued delivery is due.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// After many failures in a row it is tried only every six hours.
    pub failing: bool,
}

impl From<servers::Server> for ServerView {
    fn from(s: servers::Server) -> Self {
        ServerView {
            host: s.host,
            followers: s.followers,
            queued: s.queued,
            last_success_at: s.last_success_at,
            last_failure_at: s.last_failure_at,
            last_error: s.last_error,
            last_refusal: s.last_refusal,
            next_attempt_at: s.next_attempt_at,
            failing: s.failing,
        }
    }
}

/// Every server Stoa delivers to, has queued for or is followed from.
#[utoipa::path(get, path = "/api/v1/admin/federation", security(("bearer" = [])),
    responses((status = 200, body = Vec<ServerView>), (status = 403, body = ApiErrorBody)))]
pub async fn servers(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
) -> Result<Json<Vec<ServerView>>, ApiError> {
    stoa_core::safety::require_admin(&member.actor())?;
    let list = servers::servers(&state.db).await?;
    Ok(Json(list.into_iter().map(ServerView::from).collect()))
}

#[derive(Serialize, ToSchema)]
pub struct RetryView {
    /// Deliveries now due at once.
    pub queued: u64,
}

/// Sends a server's queue now, and stops treating it as failing.
#[utoipa::path(post, path = "/api/v1/admin/federation/{host}/retry", security(("bearer" = [])),
    params(("host" = String, Path, description = "host[:port]")),
    responses((status = 200, body = RetryView), (status = 403, body = ApiErrorBody)))]
pub async fn retry(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(host): Path<String>,
) -> Result<Json<RetryView>, ApiError> {
    stoa_core::safety::require_admin(&member.actor())?;
    let queued = servers::retry_now(&state.db, &host).await?;
    Ok(Json(RetryView { queued }))
}
