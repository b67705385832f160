//! API: alerts on posts, and the juries of members that judge them.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use stoa_core::juries::{self, Answer, NewAlert, Reason};
use utoipa::ToSchema;

use super::{ApiJson, ApiMember};
use crate::error::{ApiError, ApiErrorBody};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct AlertInput {
    /// `personal_attack`, `off_topic`, `spam` or `other`.
    pub reason: String,
    /// What is wrong; required for `other`. The jurors read it, never who wrote it.
    #[serde(default)]
    pub details: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AlertCreated {
    pub id: i64,
    /// When the jury's votes decide, if it has not reached a majority before.
    pub deadline: DateTime<Utc>,
}

/// Alerts a post: a jury of members drawn at random judges whether it is hidden.
#[utoipa::path(post, path = "/api/v1/posts/{id}/alerts", request_body = AlertInput,
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "post id")),
    responses(
        (status = 201, body = AlertCreated),
        (status = 401, body = ApiErrorBody),
        (status = 403, description = "one's own post, or a forum elsewhere", body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, description = "a jury already judges it, it is removed, or the day's alerts are used", body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn raise(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<AlertInput>,
) -> Result<(StatusCode, Json<AlertCreated>), ApiError> {
    let alert = juries::raise(
        &state.db,
        &member.actor(),
        NewAlert {
            post_id: id,
            reason: Reason::parse(&input.reason)?,
            details: input.details.as_deref(),
            ap_id: None,
        },
        &state.config.jury,
        Utc::now(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(AlertCreated {
            id: alert.id,
            deadline: alert.deadline,
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct Duty {
    /// The alert's id: the jury's address.
    pub id: i64,
    pub reason: String,
    /// The alerted post.
    pub post_id: i64,
    /// The caller's vote, once cast: `hide` or `leave`.
    pub vote: Option<String>,
    pub thread_id: i64,
    pub thread_title: String,
    pub deadline: DateTime<Utc>,
    /// Whether the member still has to answer.
    pub to_answer: bool,
    /// `open`, `hidden` or `left`.
    pub state: String,
}

/// The signed-in member's jury duties: those to answer first, then recent ones.
#[utoipa::path(get, path = "/api/v1/juries", security(("bearer" = [])),
    responses((status = 200, body = [Duty]), (status = 401, body = ApiErrorBody)))]
pub async fn duties(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
) -> Result<Json<Vec<Duty>>, ApiError> {
    let duties = juries::duties(&state.db, &member.actor()).await?;
    Ok(Json(
        duties
            .into_iter()
            .map(|d| Duty {
                to_answer: d.to_answer(),
                id: d.alert_id,
                reason: d.reason.word().to_owned(),
                post_id: d.post_id,
                vote: d.vote,
                thread_id: d.thread_id,
                thread_title: d.thread_title,
                deadline: d.deadline,
                state: d.state,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct CasePost {
    pub id: i64,
    pub author: String,
    pub body_html: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct Case {
    pub id: i64,
    pub reason: String,
    pub details: Option<String>,
    pub forum: String,
    pub thread_id: i64,
    pub thread_title: String,
    pub post: CasePost,
    /// The post it answers.
    pub parent: Option<CasePost>,
    pub deadline: DateTime<Utc>,
    /// `summoned` (to answer), `voted` or `declined`.
    pub seat: String,
    pub vote: Option<String>,
    /// `open`, `hidden` or `left`.
    pub state: String,
}

fn case_post(p: stoa_db::queries::posts::PostWithAuthor) -> CasePost {
    CasePost {
        id: p.id,
        author: p.author_name,
        body_html: p.body_html,
        created_at: p.created_at,
    }
}

/// A case for one of its jurors: the post, what it answers, the reason — never who alerted.
#[utoipa::path(get, path = "/api/v1/juries/{id}", security(("bearer" = [])),
    params(("id" = i64, Path, description = "alert id")),
    responses((status = 200, body = Case), (status = 401, body = ApiErrorBody),
        (status = 404, description = "no such jury, or not on it", body = ApiErrorBody)))]
pub async fn case(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<i64>,
) -> Result<Json<Case>, ApiError> {
    let c = juries::case(&state.db, &member.actor(), id).await?;
    Ok(Json(Case {
        id: c.alert_id,
        reason: c.reason.word().to_owned(),
        details: c.details,
        forum: c.forum_slug,
        thread_id: c.thread_id,
        thread_title: c.thread_title,
        post: case_post(c.post),
        parent: c.parent.map(case_post),
        deadline: c.deadline,
        seat: c.seat,
        vote: c.vote,
        state: c.state,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct VoteInput {
    /// `hide` or `leave`.
    pub vote: String,
    /// For the post's author, without the juror's name.
    #[serde(default)]
    pub comment: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Answered {
    /// `hidden` or `left` when this vote decided the case; none while the jury sits.
    pub verdict: Option<String>,
}

/// A juror's vote.
#[utoipa::path(post, path = "/api/v1/juries/{id}/votes", request_body = VoteInput,
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "alert id")),
    responses((status = 200, body = Answered), (status = 401, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, description = "already answered, or the jury has finished", body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn vote(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<VoteInput>,
) -> Result<Json<Answered>, ApiError> {
    let hide = match input.vote.as_str() {
        "hide" => true,
        "leave" => false,
        _ => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "vote: hide or leave",
            ));
        }
    };
    let answer = Answer::Vote {
        hide,
        comment: input.comment.as_deref(),
    };
    let verdict = juries::answer(
        &state.db,
        &member.actor(),
        id,
        answer,
        &state.config.jury,
        Utc::now(),
    )
    .await?;
    Ok(Json(Answered {
        verdict: verdict.map(|v| v.word().to_owned()),
    }))
}

/// A juror declines; another member is drawn in their place.
#[utoipa::path(post, path = "/api/v1/juries/{id}/decline", security(("bearer" = [])),
    params(("id" = i64, Path, description = "alert id")),
    responses((status = 204, description = "declined"), (status = 401, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, description = "already answered, or the jury has finished", body = ApiErrorBody)))]
pub async fn decline(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    juries::answer(
        &state.db,
        &member.actor(),
        id,
        Answer::Decline,
        &state.config.jury,
        Utc::now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct VerdictBody {
    pub id: i64,
    pub reason: String,
    pub thread_id: i64,
    pub post_id: i64,
    /// `open`, `hidden` or `left`.
    pub state: String,
    pub hide_votes: u32,
    pub leave_votes: u32,
    /// Jurors who did not decline.
    pub jurors: u32,
    pub decided_at: Option<DateTime<Utc>>,
    /// The jurors' comments, without their names, once decided.
    pub comments: Vec<String>,
}

/// The verdict on an alert: for the post's author, the forum's hosts and the admins, and for
/// the jurors once it is decided.
#[utoipa::path(get, path = "/api/v1/alerts/{id}", security(("bearer" = [])),
    params(("id" = i64, Path, description = "alert id")),
    responses((status = 200, body = VerdictBody), (status = 401, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn verdict(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<i64>,
) -> Result<Json<VerdictBody>, ApiError> {
    let v = juries::verdict(&state.db, &member.actor(), id).await?;
    Ok(Json(VerdictBody {
        id: v.alert_id,
        reason: v.reason.word().to_owned(),
        thread_id: v.thread_id,
        post_id: v.post_id,
        state: v.state,
        hide_votes: v.tally.hide,
        leave_votes: v.tally.leave,
        jurors: v.tally.seats,
        decided_at: v.decided_at,
        comments: v.comments,
    }))
}
