//! API: moderation by a forum's hosts and the admins — hosts, locks, removals, bans — and the
//! public moderation log.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use stoa_core::moderation;
use stoa_db::queries::moderation::LogRow;
use utoipa::ToSchema;

use super::{ApiJson, ApiMember, PageParams};
use crate::error::{ApiError, ApiErrorBody};
use crate::state::AppState;

/// Makes a member a host of a forum. Admins only.
#[utoipa::path(put, path = "/api/v1/forums/{slug}/hosts/{name}",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "forum slug"),
           ("name" = String, Path, description = "a member here")),
    responses(
        (status = 204, description = "the member is a host"),
        (status = 401, body = ApiErrorBody),
        (status = 403, description = "not an admin", body = ApiErrorBody),
        (status = 404, description = "no such forum or member", body = ApiErrorBody)))]
pub async fn appoint_host(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path((slug, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    moderation::set_host(&state.db, &member.actor(), &slug, &name, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Dismisses a host of a forum. Admins only.
#[utoipa::path(delete, path = "/api/v1/forums/{slug}/hosts/{name}",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "forum slug"),
           ("name" = String, Path, description = "a member here")),
    responses(
        (status = 204, description = "the member is not a host"),
        (status = 401, body = ApiErrorBody),
        (status = 403, description = "not an admin", body = ApiErrorBody),
        (status = 404, description = "no such forum or member", body = ApiErrorBody)))]
pub async fn dismiss_host(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path((slug, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    moderation::set_host(&state.db, &member.actor(), &slug, &name, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct Reason {
    /// Why; shown to everyone in the moderation log.
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct MoveInput {
    /// The slug of the forum here it goes to.
    pub forum: String,
}

/// Moves a thread, with its replies, to another forum here. A host of both forums, or an
/// admin; both forums' logs say it.
#[utoipa::path(post, path = "/api/v1/threads/{id}/move", request_body = MoveInput,
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "thread id")),
    responses(
        (status = 204, description = "the thread is in the other forum"),
        (status = 401, body = ApiErrorBody),
        (status = 403, description = "not a host of both forums nor an admin", body = ApiErrorBody),
        (status = 404, description = "no such thread or forum", body = ApiErrorBody),
        (status = 409, description = "already in that forum", body = ApiErrorBody)))]
pub async fn move_thread(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<MoveInput>,
) -> Result<StatusCode, ApiError> {
    moderation::move_thread(&state.db, &member.actor(), id, &input.forum).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Locks a thread: no new replies, from here or elsewhere. Hosts and admins.
#[utoipa::path(post, path = "/api/v1/threads/{id}/lock", request_body = Reason,
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "thread id")),
    responses(
        (status = 204, description = "the thread is locked"),
        (status = 401, body = ApiErrorBody),
        (status = 403, description = "not a host of its forum nor an admin", body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn lock(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    // The body is optional: a lock needs no reason.
    let reason = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<Option<Reason>>(&body)
            .map_err(|e| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "bad_request",
                    e.to_string(),
                )
            })?
            .and_then(|r| r.reason)
    };
    moderation::set_locked(&state.db, &member.actor(), id, true, reason.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unlocks a thread. Hosts and admins.
#[utoipa::path(delete, path = "/api/v1/threads/{id}/lock",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "thread id")),
    responses(
        (status = 204, description = "the thread takes replies"),
        (status = 401, body = ApiErrorBody),
        (status = 403, description = "not a host of its forum nor an admin", body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn unlock(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    moderation::set_locked(&state.db, &member.actor(), id, false, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct RemovalInput {
    /// Why; shown in the post's place and in the moderation log.
    pub reason: String,
}

/// Removes a post for a reason. Hosts and admins.
#[utoipa::path(post, path = "/api/v1/posts/{id}/removal", request_body = RemovalInput,
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "post id")),
    responses(
        (status = 204, description = "the post is removed"),
        (status = 401, body = ApiErrorBody),
        (status = 403, description = "not a host of its forum nor an admin", body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, description = "already removed", body = ApiErrorBody),
        (status = 422, description = "no reason, or too long", body = ApiErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<RemovalInput>,
) -> Result<StatusCode, ApiError> {
    moderation::remove_post(&state.db, &member.actor(), id, &input.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Restores a removed post. Hosts and admins; a post a jury hid, admins only.
#[utoipa::path(delete, path = "/api/v1/posts/{id}/removal",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "post id")),
    responses(
        (status = 204, description = "the post is back"),
        (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, description = "not removed", body = ApiErrorBody)))]
pub async fn restore(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    moderation::restore_post(&state.db, &member.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct LogEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// `lock`, `unlock`, `remove`, `restore`, `appoint_host`, `dismiss_host`, `ban`, `unban`,
    /// `edit_purpose`, `jury_hide`, `jury_leave`; on the instance: `suspend`, `unsuspend`,
    /// `block_domain`, `unblock_domain`, `allow_domain`, `disallow_domain`,
    /// `approve_application`, `reject_application`, `set_registration`,
    /// `set_registration_question`, `allowlist_on`, `allowlist_off`.
    pub action: String,
    /// `host`, `admin` or `jury`.
    pub by_role: String,
    /// The host's or admin's name; none for a jury.
    pub by: Option<String>,
    pub forum: Option<String>,
    pub thread_id: Option<i64>,
    pub thread_title: Option<String>,
    pub post_id: Option<i64>,
    /// The member the act was about: the post's author, the host appointed.
    pub member: Option<String>,
    /// The server an act on a domain was about.
    pub domain: Option<String>,
    pub reason: Option<String>,
}

impl From<LogRow> for LogEntry {
    fn from(row: LogRow) -> Self {
        LogEntry {
            id: row.id,
            at: row.created_at,
            action: row.action,
            by: row.actor_name.filter(|_| row.actor_role != "jury"),
            by_role: row.actor_role,
            forum: row.forum_slug,
            thread_id: row.thread_id,
            thread_title: row.thread_title,
            post_id: row.post_id,
            member: row.member_name,
            domain: row.domain,
            reason: row.reason,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Log {
    pub entries: Vec<LogEntry>,
    pub has_more: bool,
}

async fn log(state: &AppState, slug: Option<&str>, params: &PageParams) -> Result<Log, ApiError> {
    let (_, rows) = moderation::log(&state.db, slug, params.number()).await?;
    Ok(Log {
        has_more: rows.has_more,
        entries: rows.items.into_iter().map(LogEntry::from).collect(),
    })
}

/// A forum's public moderation log, newest first.
#[utoipa::path(get, path = "/api/v1/forums/{slug}/modlog",
    params(("slug" = String, Path, description = "forum slug"), PageParams),
    responses((status = 200, body = Log), (status = 404, body = ApiErrorBody)))]
pub async fn forum_log(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(params): Query<PageParams>,
) -> Result<Json<Log>, ApiError> {
    Ok(Json(log(&state, Some(&slug), &params).await?))
}

/// The instance's public moderation log, newest first.
#[utoipa::path(get, path = "/api/v1/modlog", params(PageParams),
    responses((status = 200, body = Log)))]
pub async fn instance_log(
    State(state): State<AppState>,
    Query(params): Query<PageParams>,
) -> Result<Json<Log>, ApiError> {
    Ok(Json(log(&state, None, &params).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct BanInput {
    /// Why; shown in the moderation log.
    pub reason: String,
    /// When the ban ends; none: until lifted.
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
}

/// Bans a member (`name`, or `name@host` for someone elsewhere) from posting in a forum, for a
/// reason and until a time or until lifted; a later ban replaces an earlier one. Hosts and
/// admins; hosts and admins cannot be banned.
#[utoipa::path(put, path = "/api/v1/forums/{slug}/bans/{name}", request_body = BanInput,
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "forum slug"),
           ("name" = String, Path, description = "a member, here or elsewhere")),
    responses(
        (status = 204, description = "the member is banned"),
        (status = 401, body = ApiErrorBody),
        (status = 403, description = "not a host of the forum nor an admin, or a host or admin named", body = ApiErrorBody),
        (status = 404, description = "no such forum or member", body = ApiErrorBody),
        (status = 422, description = "no reason, or an end in the past", body = ApiErrorBody)))]
pub async fn ban(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path((slug, name)): Path<(String, String)>,
    ApiJson(input): ApiJson<BanInput>,
) -> Result<StatusCode, ApiError> {
    let ban = moderation::Ban {
        reason: &input.reason,
        until: input.until,
    };
    moderation::set_ban(
        &state.db,
        &member.actor(),
        &slug,
        &name,
        Some(ban),
        Utc::now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lifts a member's ban from a forum. Hosts and admins.
#[utoipa::path(delete, path = "/api/v1/forums/{slug}/bans/{name}",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "forum slug"),
           ("name" = String, Path, description = "a member, here or elsewhere")),
    responses(
        (status = 204, description = "the ban is lifted"),
        (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, description = "not banned", body = ApiErrorBody)))]
pub async fn unban(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path((slug, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    moderation::set_ban(&state.db, &member.actor(), &slug, &name, None, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct BanEntry {
    pub member: String,
    pub reason: String,
    pub since: DateTime<Utc>,
    /// None: until lifted.
    pub until: Option<DateTime<Utc>>,
}

/// A forum's bans in force. Hosts and admins.
#[utoipa::path(get, path = "/api/v1/forums/{slug}/bans",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "forum slug")),
    responses(
        (status = 200, body = [BanEntry]),
        (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn bans(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(slug): Path<String>,
) -> Result<Json<Vec<BanEntry>>, ApiError> {
    let (_, bans) = moderation::bans(&state.db, &member.actor(), &slug, Utc::now()).await?;
    Ok(Json(
        bans.into_iter()
            .map(|(ban, name)| BanEntry {
                member: name,
                reason: ban.reason,
                since: ban.created_at,
                until: ban.expires_at,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct ForumChanges {
    /// The statement of purpose, at most 2,000 characters.
    pub purpose: String,
}

/// Rewrites a forum's statement of purpose. Hosts and admins.
#[utoipa::path(patch, path = "/api/v1/forums/{slug}", request_body = ForumChanges,
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "forum slug")),
    responses(
        (status = 204, description = "changed"),
        (status = 401, body = ApiErrorBody),
        (status = 403, description = "not a host of the forum nor an admin", body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 422, description = "too long", body = ApiErrorBody)))]
pub async fn edit_forum(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<ForumChanges>,
) -> Result<StatusCode, ApiError> {
    moderation::set_purpose(
        &state.db,
        &member.actor(),
        &slug,
        &input.purpose,
        Utc::now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
