//! The forms of a forum's hosts and the admins — lock a thread, remove and restore a post,
//! appoint and dismiss hosts — and the public moderation log of a forum and of the instance.

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
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
        let what = match row.action.as_str() {
            "lock" => "locked the thread".to_owned(),
            "unlock" => "unlocked the thread".to_owned(),
            "remove" => format!("removed a post by {member} in"),
            "restore" => format!("restored a post by {member} in"),
            "appoint_host" => format!("appointed {member} a host"),
            "jury_hide" => format!("hid a post by {member} in"),
            "jury_leave" => format!("left a post by {member} as it was, in"),
            "dismiss_host" => format!("dismissed {member} as a host"),
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
