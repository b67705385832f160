//! API: threads with all their posts, starting threads, replying, editing and deleting posts.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use stoa_core::{moderation, posts, replies};
use utoipa::ToSchema;

use super::{ApiJson, ApiMember};
use crate::auth::Viewer;
use crate::error::{ApiError, ApiErrorBody};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct NewThread {
    pub title: String,
    /// Markdown.
    pub body: String,
}

#[derive(Serialize, ToSchema)]
pub struct PostCreated {
    /// The thread's id (for a new thread) or the reply's id.
    pub id: i64,
    pub thread_id: i64,
    pub post_id: i64,
    pub url: String,
}

/// Starts a thread in a forum.
#[utoipa::path(post, path = "/api/v1/forums/{slug}/threads", request_body = NewThread,
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "forum slug")),
    responses(
        (status = 201, body = PostCreated),
        (status = 401, body = ApiErrorBody),
        (status = 404, description = "no such forum", body = ApiErrorBody),
        (status = 422, description = "empty or overlong title or body", body = ApiErrorBody)))]
pub async fn create_thread(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<NewThread>,
) -> Result<(StatusCode, Json<PostCreated>), ApiError> {
    state.resolve_mentions(&input.body).await;
    let created =
        posts::create_thread(&state.db, &member.actor(), &slug, &input.title, &input.body).await?;
    Ok((
        StatusCode::CREATED,
        Json(PostCreated {
            id: created.thread_id,
            thread_id: created.thread_id,
            post_id: created.post_id,
            url: state.config.absolute(&format!("/t/{}", created.thread_id)),
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct Author {
    pub name: String,
    pub local: bool,
    pub post_count: i64,
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct PostView {
    pub id: i64,
    pub parent_id: Option<i64>,
    /// 0 for the starter post, 1 for a reply to it, and so on.
    pub depth: usize,
    pub author: Author,
    /// Sanitised HTML; empty when deleted, and when removed unless the caller wrote it or
    /// moderates the forum.
    pub body_html: String,
    /// The link a link post carries (a thread's first post only).
    pub link: Option<String>,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted: bool,
    /// Likes from members here and elsewhere.
    pub like_count: i64,
    pub url: String,
    /// Who removed the post and why; null when it is not removed.
    pub removal: Option<RemovalView>,
    /// Why the forum elsewhere it was written in refused it, given to its author alone; null
    /// otherwise.
    pub refused_elsewhere: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RemovalView {
    /// `host`, `admin` or `jury`.
    pub by: String,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct ForumRef {
    pub slug: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct ThreadView {
    pub id: i64,
    pub title: String,
    pub forum: ForumRef,
    pub reply_count: i64,
    pub created_at: DateTime<Utc>,
    pub last_post_at: DateTime<Utc>,
    pub url: String,
    /// A locked thread takes no new replies.
    pub locked: bool,
    /// Every post in tree order (depth first).
    pub posts: Vec<PostView>,
}

/// A thread with every post, in reply-tree order.
#[utoipa::path(get, path = "/api/v1/threads/{id}",
    params(("id" = i64, Path, description = "thread id")),
    responses((status = 200, body = ThreadView), (status = 404, body = ApiErrorBody)))]
pub async fn thread(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    Path(id): Path<i64>,
) -> Result<Json<ThreadView>, ApiError> {
    let view = posts::thread_view(&state.db, &state.thread_cache, id).await?;
    let h = view.header;
    let config = &state.config;
    let viewer = viewer.map(|v| v.actor());
    let role = moderation::viewer_role(&state.db, viewer.as_ref(), h.forum_id).await?;
    Ok(Json(ThreadView {
        url: config.absolute(&format!("/t/{}", h.id)),
        id: h.id,
        title: h.title,
        forum: ForumRef {
            slug: h.forum_slug,
            name: h.forum_name,
        },
        reply_count: h.reply_count,
        created_at: h.created_at,
        last_post_at: h.last_post_at,
        locked: h.locked,
        posts: view
            .posts
            .iter()
            .map(|t| {
                let p = t.post.clone();
                let removal = moderation::withheld(&p).map(|w| RemovalView {
                    by: w.by,
                    reason: w.reason,
                });
                let hidden = removal.is_some()
                    && !moderation::sees_removed(viewer.as_ref(), role, p.author_id);
                let own = viewer.as_ref().is_some_and(|v| v.id == p.author_id);
                PostView {
                    removal,
                    refused_elsewhere: p.refused_elsewhere.filter(|_| own),
                    url: config.absolute(&format!("/t/{}#p{}", p.thread_id, p.id)),
                    id: p.id,
                    parent_id: p.parent_id,
                    depth: t.depth,
                    author: Author {
                        url: match (p.author_local, p.author_profile_url) {
                            (false, Some(url)) => url,
                            _ => config.absolute(&format!("/u/{}", p.author_name)),
                        },
                        name: p.author_name,
                        local: p.author_local,
                        post_count: p.author_post_count,
                    },
                    body_html: if hidden { String::new() } else { p.body_html },
                    link: if hidden { None } else { p.link_url },
                    created_at: p.created_at,
                    edited_at: p.edited_at,
                    deleted: p.deleted_at.is_some(),
                    like_count: p.like_count,
                }
            })
            .collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct NewReply {
    /// The post replied to; it must belong to this thread.
    pub parent_id: i64,
    /// Markdown.
    pub body: String,
}

/// Replies to a post of a thread.
#[utoipa::path(post, path = "/api/v1/threads/{id}/replies", request_body = NewReply,
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "thread id")),
    responses(
        (status = 201, body = PostCreated),
        (status = 401, body = ApiErrorBody),
        (status = 404, description = "no such thread or parent", body = ApiErrorBody),
        (status = 422, description = "empty body, or a parent of another thread", body = ApiErrorBody)))]
pub async fn reply(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<NewReply>,
) -> Result<(StatusCode, Json<PostCreated>), ApiError> {
    state.resolve_mentions(&input.body).await;
    let created =
        replies::reply(&state.db, &member.actor(), id, input.parent_id, &input.body).await?;
    Ok((
        StatusCode::CREATED,
        Json(PostCreated {
            id: created.post_id,
            thread_id: created.thread_id,
            post_id: created.post_id,
            url: state
                .config
                .absolute(&format!("/t/{}#p{}", created.thread_id, created.post_id)),
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct EditPost {
    /// Markdown.
    pub body: String,
    /// A new title for the thread, when the post is the thread's first.
    #[serde(default)]
    pub title: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PostEdited {
    pub id: i64,
    pub thread_id: i64,
    pub body_html: String,
    pub edited_at: Option<DateTime<Utc>>,
}

/// Edits a post (the author's own, or any for an admin); the old version is kept.
#[utoipa::path(patch, path = "/api/v1/posts/{id}", request_body = EditPost,
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "post id")),
    responses(
        (status = 200, body = PostEdited),
        (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn edit(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<EditPost>,
) -> Result<Json<PostEdited>, ApiError> {
    state.resolve_mentions(&input.body).await;
    posts::edit_post(
        &state.db,
        &member.actor(),
        id,
        &input.body,
        input.title.as_deref(),
    )
    .await?;
    let post = posts::find_post(&state.db, id).await?;
    Ok(Json(PostEdited {
        id: post.id,
        thread_id: post.thread_id,
        body_html: post.body_html,
        edited_at: post.edited_at,
    }))
}

/// Deletes a post; a placeholder keeps its place in the tree.
#[utoipa::path(delete, path = "/api/v1/posts/{id}", security(("bearer" = [])),
    params(("id" = i64, Path, description = "post id")),
    responses(
        (status = 204),
        (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    posts::delete_post(&state.db, &member.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct Revision {
    pub body_html: String,
    pub body_source: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct Revisions {
    pub post_id: i64,
    /// Earlier versions, oldest first.
    pub revisions: Vec<Revision>,
}

/// A post's earlier versions.
#[utoipa::path(get, path = "/api/v1/posts/{id}/revisions",
    params(("id" = i64, Path, description = "post id")),
    responses((status = 200, body = Revisions),
        (status = 403, description = "a removed post's, asked by someone who may not read it", body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn revisions(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    Path(id): Path<i64>,
) -> Result<Json<Revisions>, ApiError> {
    let viewer = viewer.map(|v| v.actor());
    let history = posts::post_history(&state.db, id, viewer.as_ref()).await?;
    Ok(Json(Revisions {
        post_id: id,
        revisions: history
            .revisions
            .into_iter()
            .map(|r| Revision {
                body_html: r.body_html,
                body_source: r.body_source,
                created_at: r.created_at,
            })
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct LikeState {
    pub post_id: i64,
    /// Whether the member likes the post now.
    pub liked: bool,
    pub like_count: i64,
}

async fn set_like(
    state: &AppState,
    member: &crate::auth::SignedIn,
    id: i64,
    liked: bool,
) -> Result<Json<LikeState>, ApiError> {
    if liked {
        posts::like(&state.db, &member.actor(), id, None).await?;
    } else {
        posts::unlike(&state.db, &member.actor(), id, None).await?;
    }
    let post = posts::find_post(&state.db, id).await?;
    Ok(Json(LikeState {
        post_id: post.id,
        liked,
        like_count: post.like_count,
    }))
}

/// Likes a post (once per member; liking again changes nothing).
#[utoipa::path(post, path = "/api/v1/posts/{id}/like", security(("bearer" = [])),
    params(("id" = i64, Path, description = "post id")),
    responses((status = 200, body = LikeState), (status = 401, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn like(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<i64>,
) -> Result<Json<LikeState>, ApiError> {
    set_like(&state, &member, id, true).await
}

/// Takes the member's like of a post back.
#[utoipa::path(delete, path = "/api/v1/posts/{id}/like", security(("bearer" = [])),
    params(("id" = i64, Path, description = "post id")),
    responses((status = 200, body = LikeState), (status = 401, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn unlike(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<i64>,
) -> Result<Json<LikeState>, ApiError> {
    set_like(&state, &member, id, false).await
}
