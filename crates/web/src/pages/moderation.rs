//! The forms of a forum's hosts and the admins — lock a thread, remove and restore a post,
//! appoint and dismiss hosts, ban members — and the public moderation log of a forum and of the
//! instance.

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use stoa_core::{CoreError, moderation};
use stoa_db::queries::moderation::LogRow;

use super::layout::{Crumb, Layout, forum_crumbs};
use super::{PageCtx, PageForm, PageQuery, render, render_with_status};
use crate::error::PageError;
use crate::time_format;

#[derive(Deserialize)]
pub struct LockForm {
    #[serde(default)]
    csrf: String,
    locked: bool,
    #[serde(default)]
    reason: String,
}

pub async fn lock(
    ctx: PageCtx,
    Path(thread_id): Path<i64>,
    PageForm(form): PageForm<LockForm>,
) -> Result<Response, PageError> {
    let back = format!("/t/{thread_id}");
    let member = ctx.require_member(&back)?;
    ctx.verify_csrf(&form.csrf)?;
    moderation::set_locked(
        &ctx.state.db,
        &member.actor(),
        thread_id,
        form.locked,
        Some(&form.reason),
    )
    .await?;
    Ok(Redirect::to(&back).into_response())
}

#[derive(Template)]
#[template(path = "move.html")]
struct MovePage {
    layout: Layout,
    thread_id: i64,
    title: String,
    forum_slug: String,
    /// (slug, name) of every forum here.
    forums: Vec<(String, String)>,
    error: Option<String>,
}

async fn move_page(
    ctx: &PageCtx,
    thread_id: i64,
    error: Option<String>,
) -> Result<MovePage, PageError> {
    let member = ctx.require_member(&format!("/t/{thread_id}/move"))?;
    let header = moderation::thread_to_move(&ctx.state.db, &member.actor(), thread_id).await?;
    let forums = stoa_core::forums::index(&ctx.state.db)
        .await?
        .into_iter()
        .flat_map(|group| group.forums)
        .map(|f| (f.slug, f.name))
        .collect();
    Ok(MovePage {
        layout: ctx.layout("Move a thread", vec![Crumb::here("Move a thread")]),
        thread_id,
        title: header.title,
        forum_slug: header.forum_slug,
        forums,
        error,
    })
}

pub async fn move_form(ctx: PageCtx, Path(thread_id): Path<i64>) -> Result<Response, PageError> {
    render(&move_page(&ctx, thread_id, None).await?)
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    forum: String,
}

pub async fn move_thread(
    ctx: PageCtx,
    Path(thread_id): Path<i64>,
    PageForm(form): PageForm<MoveForm>,
) -> Result<Response, PageError> {
    let member = ctx.require_member(&format!("/t/{thread_id}/move"))?;
    ctx.verify_csrf(&form.csrf)?;
    let moved =
        moderation::move_thread(&ctx.state.db, &member.actor(), thread_id, &form.forum).await;
    match moved {
        Ok(()) => Ok(Redirect::to(&format!("/t/{thread_id}")).into_response()),
        Err(err @ (CoreError::Conflict(_) | CoreError::Forbidden(_) | CoreError::NotFound(_))) => {
            let page = move_page(&ctx, thread_id, Some(err.to_string())).await?;
            render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "remove.html")]
struct RemovePage {
    layout: Layout,
    post_id: i64,
    thread_id: i64,
    body_html: String,
    reason: String,
    error: Option<String>,
}

async fn remove_page(
    ctx: &PageCtx,
    post_id: i64,
    reason: String,
    error: Option<String>,
) -> Result<RemovePage, PageError> {
    let member = ctx.require_member(&format!("/p/{post_id}/remove"))?;
    let post = moderation::post_to_moderate(&ctx.state.db, &member.actor(), post_id).await?;
    Ok(RemovePage {
        layout: ctx.layout("Remove a post", vec![Crumb::here("Remove a post")]),
        post_id: post.id,
        thread_id: post.thread_id,
        body_html: post.body_html,
        reason,
        error,
    })
}

pub async fn remove_form(ctx: PageCtx, Path(post_id): Path<i64>) -> Result<Response, PageError> {
    render(&remove_page(&ctx, post_id, String::new(), None).await?)
}

#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

pub async fn remove(
    ctx: PageCtx,
    Path(post_id): Path<i64>,
    PageForm(form): PageForm<RemoveForm>,
) -> Result<Response, PageError> {
    let member = ctx.require_member(&format!("/p/{post_id}/remove"))?;
    ctx.verify_csrf(&form.csrf)?;
    match moderation::remove_post(&ctx.state.db, &member.actor(), post_id, &form.reason).await {
        Ok(done) => {
            Ok(Redirect::to(&format!("/t/{}#p{}", done.thread_id, done.post_id)).into_response())
        }
        Err(err @ (CoreError::Invalid { .. } | CoreError::Conflict(_))) => {
            let page = remove_page(&ctx, post_id, form.reason, Some(err.to_string())).await?;
            render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn restore(
    ctx: PageCtx,
    Path(post_id): Path<i64>,
    PageForm(form): PageForm<CsrfForm>,
) -> Result<Response, PageError> {
    let member = ctx.require_member(&format!("/p/{post_id}/remove"))?;
    ctx.verify_csrf(&form.csrf)?;
    let done = moderation::restore_post(&ctx.state.db, &member.actor(), post_id).await?;
    Ok(Redirect::to(&format!("/t/{}#p{}", done.thread_id, done.post_id)).into_response())
}

#[derive(Deserialize)]
pub struct HostForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    /// `appoint` or `dismiss`.
    action: String,
}

pub async fn hosts(
    ctx: PageCtx,
    Path(slug): Path<String>,
    PageForm(form): PageForm<HostForm>,
) -> Result<Response, PageError> {
    let back = format!("/f/{slug}");
    let member = ctx.require_member(&back)?;
    ctx.verify_csrf(&form.csrf)?;
    let appoint = match form.action.as_str() {
        "appoint" => true,
        "dismiss" => false,
        _ => return Err(PageError::BadRequest("action: appoint or dismiss".into())),
    };
    moderation::set_host(
        &ctx.state.db,
        &member.actor(),
        &slug,
        form.name.trim(),
        appoint,
    )
    .await?;
    Ok(Redirect::to(&back).into_response())
}

/// A line of the moderation log as a page shows it.
pub struct LogEntryView {
    pub at_iso: String,
    pub at_abs: String,
    /// "host helen", "admin root", "a jury of members".
    pub who: String,
    /// "locked", "removed a post by bob in", …
    pub what: String,
    pub href: Option<String>,
    pub target: Option<String>,
    pub forum: Option<ForumLink>,
    pub reason: Option<String>,
}

pub struct ForumLink {
    pub slug: String,
    pub name: String,
}

impl LogEntryView {
    fn of(row: LogRow) -> LogEntryView {
        let who = match (row.actor_role.as_str(), row.actor_name.as_deref()) {
            ("jury", _) => "a jury of members".to_owned(),
            (role, Some(name)) => format!("{role} {name}"),
            (role, None) => role.to_owned(),
        };
        let member = row.member_name.as_deref().unwrap_or("someone");
        let domain = row.domain.as_deref().unwrap_or("a server");
        let what = match row.action.as_str() {
            "lock" => "locked the thread".to_owned(),
            "move" => "moved the thread".to_owned(),
            "unlock" => "unlocked the thread".to_owned(),
            "remove" => format!("removed a post by {member} in"),
            "restore" => format!("restored a post by {member} in"),
            "appoint_host" => format!("appointed {member} a host"),
            "jury_hide" => format!("hid a post by {member} in"),
            "jury_leave" => format!("left a post by {member} as it was, in"),
            "dismiss_host" => format!("dismissed {member} as a host"),
            "ban" => format!("banned {member} from the forum"),
            "unban" => format!("lifted the ban on {member}"),
            "edit_purpose" => "rewrote the statement of purpose".to_owned(),
            "suspend" => format!("suspended {member}"),
            "unsuspend" => format!("lifted the suspension of {member}"),
            "block_domain" => format!("blocked {domain}"),
            "unblock_domain" => format!("unblocked {domain}"),
            "allow_domain" => format!("allowed {domain}"),
            "disallow_domain" => format!("took {domain} off the allow list"),
            "approve_application" => format!("approved the application of {member}"),
            "reject_application" => "rejected an application".to_owned(),
            "set_registration" => "changed who may join".to_owned(),
            "set_registration_question" => "rewrote the registration question".to_owned(),
            "allowlist_on" => "federates only with the allow list now".to_owned(),
            "allowlist_off" => "federates with every server not blocked now".to_owned(),
            other => other.replace('_', " "),
        };
        let href = match (row.thread_id, row.post_id) {
            (Some(thread), Some(post)) => Some(format!("/t/{thread}#p{post}")),
            (Some(thread), None) => Some(format!("/t/{thread}")),
            _ => None,
        };
        LogEntryView {
            at_iso: time_format::machine(row.created_at),
            at_abs: time_format::absolute(row.created_at),
            who,
            what,
            target: href.as_ref().map(|_| row.thread_title.unwrap_or_default()),
            href,
            forum: row
                .forum_slug
                .zip(row.forum_name)
                .map(|(slug, name)| ForumLink { slug, name }),
            reason: row.reason,
        }
    }
}

#[derive(Template)]
#[template(path = "modlog.html")]
struct LogPage {
    layout: Layout,
    heading: String,
    entries: Vec<LogEntryView>,
    prev_href: Option<String>,
    next_href: Option<String>,
}

async fn log_page(
    ctx: PageCtx,
    slug: Option<String>,
    query: PageQuery,
) -> Result<Response, PageError> {
    let page = query.number();
    let (forum, rows) = moderation::log(&ctx.state.db, slug.as_deref(), page).await?;
    let (heading, mut crumbs, base) = match &forum {
        Some(forum) => (
            format!("Moderation log of {}", forum.name),
            forum_crumbs(None, Some((&forum.name, &forum.slug))),
            format!("/f/{}/modlog", forum.slug),
        ),
        None => (
            "Moderation log".to_owned(),
            forum_crumbs(None, None),
            "/modlog".to_owned(),
        ),
    };
    crumbs.push(Crumb::here("Moderation log"));
    render(&LogPage {
        layout: ctx.layout(heading.clone(), crumbs),
        heading,
        prev_href: (page > 1).then(|| format!("{base}?page={}", page - 1)),
        next_href: rows.has_more.then(|| format!("{base}?page={}", page + 1)),
        entries: rows.items.into_iter().map(LogEntryView::of).collect(),
    })
}

pub async fn forum_log(
    ctx: PageCtx,
    Path(slug): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Response, PageError> {
    log_page(ctx, Some(slug), query).await
}

pub async fn instance_log(
    ctx: PageCtx,
    Query(query): Query<PageQuery>,
) -> Result<Response, PageError> {
    log_page(ctx, None, query).await
}

/// A ban as the bans page lists it.
pub struct BanView {
    pub name: String,
    pub reason: String,
    /// "until 2027-01-05 12:00 UTC" or "until lifted".
    pub until: String,
}

#[derive(Template)]
#[template(path = "bans.html")]
struct BansPage {
    layout: Layout,
    slug: String,
    forum_name: String,
    bans: Vec<BanView>,
    name: String,
    reason: String,
    days: String,
    error: Option<String>,
}

async fn bans_page(
    ctx: &PageCtx,
    slug: &str,
    form: Option<&BanForm>,
    error: Option<String>,
) -> Result<BansPage, PageError> {
    let member = ctx.require_member(&format!("/f/{slug}/bans"))?;
    let (forum, bans) = moderation::bans(&ctx.state.db, &member.actor(), slug, Utc::now()).await?;
    let mut crumbs = forum_crumbs(None, Some((&forum.name, &forum.slug)));
    crumbs.push(Crumb::here("Bans"));
    Ok(BansPage {
        layout: ctx.layout(format!("Bans in {}", forum.name), crumbs),
        slug: forum.slug,
        forum_name: forum.name,
        bans: bans
            .into_iter()
            .map(|(ban, name)| BanView {
                name,
                reason: ban.reason,
                until: match ban.expires_at {
                    Some(at) => format!("until {}", time_format::absolute(at)),
                    None => "until lifted".to_owned(),
                },
            })
            .collect(),
        name: form.map(|f| f.name.clone()).unwrap_or_default(),
        reason: form.map(|f| f.reason.clone()).unwrap_or_default(),
        days: form.map(|f| f.days.clone()).unwrap_or_default(),
        error,
    })
}

pub async fn bans(ctx: PageCtx, Path(slug): Path<String>) -> Result<Response, PageError> {
    render(&bans_page(&ctx, &slug, None, None).await?)
}

#[derive(Deserialize)]
pub struct BanForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    reason: String,
    /// Whole days, or empty for a ban until lifted.
    #[serde(default)]
    days: String,
    /// `ban` or `lift`.
    #[serde(default)]
    action: String,
}

pub async fn ban(
    ctx: PageCtx,
    Path(slug): Path<String>,
    PageForm(form): PageForm<BanForm>,
) -> Result<Response, PageError> {
    let back = format!("/f/{slug}/bans");
    let member = ctx.require_member(&back)?;
    ctx.verify_csrf(&form.csrf)?;
    let now = Utc::now();
    let ban = match form.action.as_str() {
        "lift" => None,
        "ban" => {
            let until = match super::admin::days_from_now(&form.days, now) {
                Ok(until) => until,
                Err(err) => {
                    let page = bans_page(&ctx, &slug, Some(&form), Some(err.to_string())).await?;
                    return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
                }
            };
            Some(moderation::Ban {
                reason: &form.reason,
                until,
            })
        }
        _ => return Err(PageError::BadRequest("action: ban or lift".into())),
    };
    let done =
        moderation::set_ban(&ctx.state.db, &member.actor(), &slug, &form.name, ban, now).await;
    match done {
        Ok(()) => Ok(Redirect::to(&back).into_response()),
        Err(
            err @ (CoreError::Invalid { .. } | CoreError::Conflict(_) | CoreError::NotFound(_)),
        ) => {
            let page = bans_page(&ctx, &slug, Some(&form), Some(err.to_string())).await?;
            render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct PurposeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    purpose: String,
}

pub async fn purpose(
    ctx: PageCtx,
    Path(slug): Path<String>,
    PageForm(form): PageForm<PurposeForm>,
) -> Result<Response, PageError> {
    let back = format!("/f/{slug}");
    let member = ctx.require_member(&back)?;
    ctx.verify_csrf(&form.csrf)?;
    moderation::set_purpose(
        &ctx.state.db,
        &member.actor(),
        &slug,
        &form.purpose,
        Utc::now(),
    )
    .await?;
    Ok(Redirect::to(&back).into_response())
}
