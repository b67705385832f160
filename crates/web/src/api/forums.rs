//! API: forum groups with their forums, a forum with its threads, and Latest Discussions.

use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::{DateTime, Utc};
use serde::Serialize;
use stoa_core::forums;
use stoa_db::queries::threads::ThreadListRow;
use utoipa::ToSchema;

use super::PageParams;
use crate::error::{ApiError, ApiErrorBody};
use crate::state::{AppState, WebConfig};

#[derive(Serialize, ToSchema)]
pub struct ForumSummary {
    pub slug: String,
    pub name: String,
    pub purpose: String,
    pub thread_count: i64,
    pub post_count: i64,
    pub last_post_at: Option<DateTime<Utc>>,
    pub url: String,
    /// The server it is hosted on (`host[:port]`): this one, or another whose forum members
    /// here follow.
    pub server: String,
}

impl ForumSummary {
    fn new(
        config: &WebConfig,
        slug: String,
        name: String,
        purpose: String,
        (thread_count, post_count): (i64, i64),
        last_post_at: Option<DateTime<Utc>>,
    ) -> Self {
        ForumSummary {
            url: config.absolute(&format!("/f/{slug}")),
            server: match slug.split_once('@') {
                Some((_, host)) => host.to_owned(),
                None => config.urls.authority(),
            },
            slug,
            name,
            purpose,
            thread_count,
            post_count,
            last_post_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ForumGroupView {
    pub name: Option<String>,
    /// The server its forums are on: this one, or, for "Forums elsewhere", the other server.
    pub server: String,
    pub forums: Vec<ForumSummary>,
}

#[derive(Serialize, ToSchema)]
pub struct ForumList {
    pub groups: Vec<ForumGroupView>,
}

/// Every forum group with its forums, in index order; then the forums of other servers that
/// members here follow, in a group "Forums elsewhere" per server.
#[utoipa::path(get, path = "/api/v1/forums", responses((status = 200, body = ForumList)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<ForumList>, ApiError> {
    let groups = forums::index(&state.db).await?;
    // Forums elsewhere under the group their server files them in, per server.
    let mut elsewhere: std::collections::BTreeMap<(String, Option<String>), Vec<ForumSummary>> =
        Default::default();
    for f in forums::elsewhere(&state.db).await? {
        let group = f.remote_group.clone();
        let summary = ForumSummary::new(
            &state.config,
            f.slug,
            f.name,
            f.purpose,
            (f.thread_count, f.post_count),
            f.last_post_at,
        );
        elsewhere
            .entry((summary.server.clone(), group))
            .or_default()
            .push(summary);
    }
    let here = state.config.urls.authority();
    Ok(Json(ForumList {
        groups: groups
            .into_iter()
            .map(|g| ForumGroupView {
                name: g.name,
                server: here.clone(),
                forums: g
                    .forums
                    .into_iter()
                    .map(|f| {
                        ForumSummary::new(
                            &state.config,
                            f.slug,
                            f.name,
                            f.purpose,
                            (f.thread_count, f.post_count),
                            f.last_post_at,
                        )
                    })
                    .collect(),
            })
            .chain(
                elsewhere
                    .into_iter()
                    .map(|((server, group), forums)| ForumGroupView {
                        name: Some(group.unwrap_or_else(|| "Forums elsewhere".into())),
                        server,
                        forums,
                    }),
            )
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ThreadSummary {
    pub id: i64,
    pub title: String,
    pub forum_slug: String,
    pub author: String,
    pub reply_count: i64,
    pub created_at: DateTime<Utc>,
    pub last_post_at: DateTime<Utc>,
    pub last_post_author: Option<String>,
    pub url: String,
}

pub(super) fn thread_summaries(config: &WebConfig, rows: Vec<ThreadListRow>) -> Vec<ThreadSummary> {
    rows.into_iter()
        .map(|t| ThreadSummary {
            url: config.absolute(&format!("/t/{}", t.id)),
            id: t.id,
            title: t.title,
            forum_slug: t.forum_slug,
            author: t.author_name,
            reply_count: t.reply_count,
            created_at: t.created_at,
            last_post_at: t.last_post_at,
            last_post_author: t.last_post_author,
        })
        .collect()
}

#[derive(Serialize, ToSchema)]
pub struct ForumDetail {
    pub forum: ForumSummary,
    pub hosts: Vec<String>,
    pub page: u64,
    pub has_more: bool,
    pub threads: Vec<ThreadSummary>,
}

/// A forum and one page of its threads, newest activity first.
#[utoipa::path(get, path = "/api/v1/forums/{slug}",
    params(("slug" = String, Path, description = "forum slug"), PageParams),
    responses((status = 200, body = ForumDetail), (status = 404, body = ApiErrorBody)))]
pub async fn forum(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(params): Query<PageParams>,
) -> Result<Json<ForumDetail>, ApiError> {
    let page = params.number();
    let view = forums::forum_page(&state.db, &slug, page).await?;
    let f = view.forum;
    Ok(Json(ForumDetail {
        forum: ForumSummary::new(
            &state.config,
            f.slug,
            f.name,
            f.purpose,
            (f.thread_count, f.post_count),
            f.last_post_at,
        ),
        hosts: view.hosts,
        page,
        has_more: view.threads.has_more,
        threads: thread_summaries(&state.config, view.threads.items),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct LatestThreads {
    pub page: u64,
    pub has_more: bool,
    pub threads: Vec<ThreadSummary>,
}

/// Latest Discussions: every thread, newest activity first.
#[utoipa::path(get, path = "/api/v1/latest", params(PageParams),
    responses((status = 200, body = LatestThreads)))]
pub async fn latest(
    State(state): State<AppState>,
    Query(params): Query<PageParams>,
) -> Result<Json<LatestThreads>, ApiError> {
    let page = params.number();
    let list = forums::latest(&state.db, page).await?;
    Ok(Json(LatestThreads {
        page,
        has_more: list.has_more,
        threads: thread_summaries(&state.config, list.items),
    }))
}
