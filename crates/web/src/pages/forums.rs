//! The forum index, Latest Discussions and a forum's page.

use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use stoa_core::forums;
use stoa_db::queries::Page;
use stoa_db::queries::threads::ThreadListRow;

use super::layout::{Crumb, forum_crumbs};
use super::{PageCtx, PageForm, PageQuery, render, render_varying, render_with_status};
use crate::error::PageError;
use crate::pages::layout::Layout;
use crate::time_format;
use axum::response::Redirect;
use stoa_federation::following::{self, FollowError};

pub struct LatestPostView {
    pub href: String,
    pub ago: String,
    pub author: String,
}

pub struct ForumRowView {
    pub slug: String,
    pub name: String,
    pub purpose: String,
    pub thread_count: i64,
    pub post_count: i64,
    pub latest: Option<LatestPostView>,
}

pub struct GroupView {
    pub name: String,
    pub forums: Vec<ForumRowView>,
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    layout: Layout,
    groups: Vec<GroupView>,
    /// Forums of other servers that members here follow, under the group their server files
    /// them in (where it publishes one) and their server.
    elsewhere: Vec<ElsewhereGroup>,
}

pub struct ElsewhereGroup {
    /// "Politics · forum.example", or the server alone.
    pub heading: String,
    pub forums: Vec<ForumRowView>,
}

/// Forums elsewhere, in groups of one server and one of its forum groups, in order.
fn elsewhere_groups(forums: Vec<stoa_db::forum::Model>) -> Vec<ElsewhereGroup> {
    let mut keyed: Vec<((String, String), ForumRowView)> = forums
        .into_iter()
        .map(|f| {
            let host = f
                .slug
                .split_once('@')
                .map(|(_, h)| h.to_owned())
                .unwrap_or_default();
            let key = (host, f.remote_group.clone().unwrap_or_default());
            let row = ForumRowView {
                slug: f.slug,
                name: f.name,
                purpose: f.purpose,
                thread_count: f.thread_count,
                post_count: f.post_count,
                latest: None,
            };
            (key, row)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let mut groups: Vec<((String, String), ElsewhereGroup)> = Vec::new();
    for (key, row) in keyed {
        match groups.last_mut() {
            Some((last, group)) if *last == key => group.forums.push(row),
            _ => {
                let heading = match key.1.as_str() {
                    "" => key.0.clone(),
                    name => format!("{name} · {}", key.0),
                };
                groups.push((
                    key,
                    ElsewhereGroup {
                        heading,
                        forums: vec![row],
                    },
                ));
            }
        }
    }
    groups.into_iter().map(|(_, group)| group).collect()
}

pub async fn index(ctx: PageCtx) -> Result<Response, PageError> {
    // Lemmy looks for an instance's actor at its root.
    if crate::federation::asks_for_activity_json(&ctx.headers) {
        return Ok(
            crate::federation::instance_actor(axum::extract::State(ctx.state.clone()))
                .await
                .into_response(),
        );
    }
    let now = Utc::now();
    let groups = forums::index(&ctx.state.db)
        .await?
        .into_iter()
        .map(|group| GroupView {
            name: group.name.unwrap_or_else(|| "Forums".into()),
            forums: group
                .forums
                .into_iter()
                .map(|f| ForumRowView {
                    latest: match (f.last_post_at, f.last_thread_id, f.last_post_id) {
                        (Some(at), Some(thread), Some(post)) => Some(LatestPostView {
                            href: format!("/t/{thread}#p{post}"),
                            ago: time_format::relative(at, now),
                            author: f.last_post_author.clone().unwrap_or_default(),
                        }),
                        _ => None,
                    },
                    slug: f.slug,
                    name: f.name,
                    purpose: f.purpose,
                    thread_count: f.thread_count,
                    post_count: f.post_count,
                })
                .collect(),
        })
        .collect();
    render_varying(&IndexPage {
        layout: ctx.layout("Forums", vec![Crumb::here("Forums")]),
        groups,
        elsewhere: elsewhere_groups(forums::elsewhere(&ctx.state.db).await?),
    })
}

pub struct ThreadRowView {
    pub id: i64,
    pub title: String,
    pub forum_slug: String,
    pub forum_name: String,
    pub author: String,
    pub replies: i64,
    pub last_iso: String,
    pub last_abs: String,
    pub last_ago: String,
    pub last_author: Option<String>,
}

fn thread_rows(rows: Vec<ThreadListRow>) -> Vec<ThreadRowView> {
    let now = Utc::now();
    rows.into_iter()
        .map(|t| ThreadRowView {
            id: t.id,
            title: t.title,
            forum_slug: t.forum_slug,
            forum_name: t.forum_name,
            author: t.author_name,
            replies: t.reply_count,
            last_iso: time_format::machine(t.last_post_at),
            last_abs: time_format::absolute(t.last_post_at),
            last_ago: time_format::relative(t.last_post_at, now),
            last_author: t.last_post_author,
        })
        .collect()
}

fn pager(base: &str, page: u64, list: &Page<ThreadListRow>) -> (Option<String>, Option<String>) {
    let prev = (page > 1).then(|| format!("{base}?page={}", page - 1));
    let next = list.has_more.then(|| format!("{base}?page={}", page + 1));
    (prev, next)
}

#[derive(Template)]
#[template(path = "latest.html")]
struct LatestPage {
    layout: Layout,
    threads: Vec<ThreadRowView>,
    show_forum: bool,
    prev_href: Option<String>,
    next_href: Option<String>,
}

pub async fn latest(ctx: PageCtx, Query(query): Query<PageQuery>) -> Result<Response, PageError> {
    let page = query.number();
    let list = forums::latest(&ctx.state.db, page).await?;
    let (prev_href, next_href) = pager("/latest", page, &list);
    render(&LatestPage {
        layout: ctx.layout(
            "Latest Discussions",
            vec![Crumb::here("Latest Discussions")],
        ),
        threads: thread_rows(list.items),
        show_forum: true,
        prev_href,
        next_href,
    })
}

#[derive(Template)]
#[template(path = "forum.html")]
struct ForumPage {
    layout: Layout,
    handle: String,
    followers: u64,
    slug: String,
    name: String,
    purpose: String,
    thread_count: i64,
    post_count: i64,
    hosts: Vec<String>,
    /// Whether the viewer appoints and dismisses hosts: an admin.
    can_appoint: bool,
    /// Whether the viewer bans members from the forum: a host of it or an admin.
    can_ban: bool,
    remote: Option<RemoteForumView>,
    threads: Vec<ThreadRowView>,
    show_forum: bool,
    prev_href: Option<String>,
    next_href: Option<String>,
}

/// What a forum page shows of a forum on another server.
struct RemoteForumView {
    profile_url: String,
    /// The viewer's subscription: none, pending (`false`) or accepted (`true`).
    state: Option<bool>,
    /// How far bringing in its history has come, in words.
    history: Option<String>,
}

/// "Bringing in its history: 40 threads and 310 replies so far", or what it came to.
fn history_words(progress: &stoa_federation::backfill::Progress) -> String {
    let brought = format!(
        "{} {} and {} {}",
        progress.threads,
        if progress.threads == 1 {
            "thread"
        } else {
            "threads"
        },
        progress.replies,
        if progress.replies == 1 {
            "reply"
        } else {
            "replies"
        },
    );
    match (&progress.failed, progress.running) {
        (Some(why), true) => format!(
            "Bringing in its history from its server: {brought} so far; it did not answer the last time ({why}), and is asked again in a few minutes."
        ),
        (None, true) => format!("Bringing in its history from its server: {brought} so far."),
        (Some(why), false) => format!("Its history stopped after {brought}: {why}"),
        (None, false) => format!("Its history was brought in from its server: {brought}."),
    }
}

pub async fn forum(
    ctx: PageCtx,
    Path(slug): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Response, PageError> {
    if crate::federation::asks_for_activity_json(&ctx.headers) {
        let group =
            stoa_federation::actors::group_by_slug(&ctx.state.db, &ctx.state.config.urls, &slug)
                .await?;
        return Ok(match group {
            Some(group) => crate::federation::activity_json(&group),
            None => crate::error::ApiError::not_found("forum").into_response(),
        });
    }
    let page = query.number();
    let view = forums::forum_page(&ctx.state.db, &slug, page).await?;
    let (prev_href, next_href) = pager(&format!("/f/{slug}"), page, &view.threads);
    let mut crumbs = forum_crumbs(view.group_name.as_deref(), None);
    crumbs.extend(super::layout::elsewhere_crumb(&view.forum.slug));
    crumbs.push(Crumb::here(view.forum.name.clone()));
    let remote = if view.forum.local {
        None
    } else {
        let state = match ctx.viewer.0.as_ref() {
            Some(member) => {
                stoa_federation::following::state(
                    &ctx.state.federation.to_request_data(),
                    member.member.id,
                    view.forum.id,
                )
                .await?
            }
            None => None,
        };
        let history = stoa_federation::backfill::progress(&ctx.state.db, view.forum.id)
            .await?
            .map(|p| history_words(&p));
        Some(RemoteForumView {
            history,
            profile_url: view
                .forum
                .profile_url
                .clone()
                .or(view.forum.ap_id.clone())
                .unwrap_or_default(),
            state,
        })
    };
    let handle = if view.forum.local {
        format!("@{}@{}", view.forum.slug, ctx.state.config.urls.authority())
    } else {
        format!("@{}", view.forum.slug)
    };
    render_varying(&ForumPage {
        layout: ctx.layout(view.forum.name.clone(), crumbs),
        handle,
        remote,
        followers: view.followers,
        slug: view.forum.slug,
        name: view.forum.name,
        purpose: view.forum.purpose,
        thread_count: view.forum.thread_count,
        post_count: view.forum.post_count,
        // The forum's hosts are listed on the page already: no query to know one is looking.
        can_ban: ctx.viewer.0.as_ref().is_some_and(|m| {
            let actor = m.actor();
            actor.is_admin || view.hosts.contains(&actor.name)
        }),
        hosts: view.hosts,
        can_appoint: ctx.viewer.0.as_ref().is_some_and(|m| m.actor().is_admin),
        threads: thread_rows(view.threads.items),
        show_forum: false,
        prev_href,
        next_href,
    })
}

#[derive(serde::Deserialize)]
pub struct FollowQuery {
    #[serde(default)]
    handle: String,
}

/// "Follow from your server": looks up the visitor's server and sends them to its follow page
/// for this forum (the subscribe template Mastodon and others publish in WebFinger).
pub async fn follow_from_elsewhere(
    ctx: PageCtx,
    Path(slug): Path<String>,
    Query(query): Query<FollowQuery>,
) -> Result<Response, PageError> {
    use stoa_federation::discovery::{RemoteFollowError, remote_follow_url};
    let forum = forums::find_local(&ctx.state.db, &slug).await?;
    let data = ctx.state.federation.to_request_data();
    let target = ctx.state.config.urls.forum(&forum.slug);
    match remote_follow_url(&data.http, data.development, &query.handle, target.as_str()).await {
        Ok(url) => Ok(axum::response::Redirect::to(url.as_str()).into_response()),
        Err(RemoteFollowError::BadHandle) => Err(PageError::BadRequest(format!(
            "{:?} is not a fediverse handle: type yours like you@your.server",
            query.handle
        ))),
        Err(RemoteFollowError::Unreachable(why)) => Err(PageError::Upstream(format!(
            "We could not find a follow page for {} on its server ({why}). You can also search for @{}@{} there.",
            query.handle,
            forum.slug,
            ctx.state.config.urls.authority()
        ))),
    }
}

#[derive(serde::Deserialize)]
pub struct SubscriptionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
}

/// The Follow / Unfollow buttons on a remote forum's page.
pub async fn subscription(
    ctx: PageCtx,
    Path(slug): Path<String>,
    PageForm(form): PageForm<SubscriptionForm>,
) -> Result<Response, PageError> {
    let member = ctx.require_member(&format!("/f/{slug}"))?;
    ctx.verify_csrf(&form.csrf)?;
    let data = ctx.state.federation.to_request_data();
    match form.action.as_str() {
        "follow" => {
            let forum = following::remote_forum(&data, &slug)
                .await?
                .ok_or(PageError::NotFound)?;
            let target = forum.ap_id.unwrap_or_default();
            following::follow(&data, &member.member, &target).await?;
        }
        "unfollow" => {
            following::unfollow(&data, &member.member, &slug).await?;
        }
        other => {
            return Err(PageError::BadRequest(format!(
                "{other:?} is not follow or unfollow"
            )));
        }
    }
    Ok(Redirect::to(&format!("/f/{slug}")).into_response())
}

#[derive(Template)]
#[template(path = "follow.html")]
struct FollowPage {
    layout: Layout,
    forum: String,
    following: Vec<FollowedView>,
    error: Option<String>,
}

struct FollowedView {
    slug: String,
    name: String,
    accepted: bool,
}

#[derive(serde::Deserialize)]
pub struct FollowPageQuery {
    /// Filled in by the subscribe link other servers find in our WebFinger answers.
    #[serde(default)]
    forum: String,
}

async fn follow_page(
    ctx: &PageCtx,
    member_id: i64,
    forum: String,
    error: Option<String>,
) -> Result<FollowPage, PageError> {
    let following = following::of_member(&ctx.state.federation.to_request_data(), member_id)
        .await?
        .into_iter()
        .map(|s| FollowedView {
            slug: s.forum.slug,
            name: s.forum.name,
            accepted: s.accepted,
        })
        .collect();
    Ok(FollowPage {
        layout: ctx.layout(
            "Follow a forum on another server",
            vec![Crumb::here("Follow a forum elsewhere")],
        ),
        forum,
        following,
        error,
    })
}

/// `/follow`: where a member names a forum of another server to follow (also the target of the
/// subscribe link in our WebFinger answers, `?forum=` filled in).
pub async fn follow_form(
    ctx: PageCtx,
    Query(query): Query<FollowPageQuery>,
) -> Result<Response, PageError> {
    let return_to = format!(
        "/follow?forum={}",
        url::form_urlencoded::byte_serialize(query.forum.as_bytes()).collect::<String>()
    );
    let member = ctx.require_member(&return_to)?;
    render(&follow_page(&ctx, member.member.id, query.forum, None).await?)
}

#[derive(serde::Deserialize)]
pub struct FollowForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    forum: String,
}

pub async fn follow(
    ctx: PageCtx,
    PageForm(form): PageForm<FollowForm>,
) -> Result<Response, PageError> {
    let member = ctx.require_member("/follow")?;
    ctx.verify_csrf(&form.csrf)?;
    let data = ctx.state.federation.to_request_data();
    let err = match following::follow(&data, &member.member, &form.forum).await {
        Ok(subscription) => {
            return Ok(Redirect::to(&format!("/f/{}", subscription.forum.slug)).into_response());
        }
        Err(err) => err,
    };
    let message = err.to_string();
    let status = match err {
        FollowError::Local(slug) => return Ok(Redirect::to(&format!("/f/{slug}")).into_response()),
        FollowError::Federation(e) => return Err(e.into()),
        FollowError::BadTarget(_) => axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        FollowError::NotFound(_) => axum::http::StatusCode::BAD_GATEWAY,
    };
    let page = follow_page(&ctx, member.member.id, form.forum, Some(message)).await?;
    render_with_status(status, &page)
}
