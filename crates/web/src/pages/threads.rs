//! A thread with its reply tree, and the forms that start threads, reply, edit and delete.
//! The forms of its hosts (lock, remove, restore) are in `moderation`.

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use stoa_core::tree::TreePost;
use stoa_core::{CoreError, moderation, posts, replies};

use super::layout::{Crumb, Layout, forum_crumbs};
use super::{PageCtx, PageForm, render, render_with_status};
use crate::error::PageError;
use crate::time_format;

/// Deeper replies stop indenting further, so a long chain stays readable on a phone.
const MAX_INDENT: usize = 8;

/// A post as the thread page shows it; borrows the (possibly cached) tree instead of copying it.
pub struct PostView<'a> {
    pub id: i64,
    pub thread_id: i64,
    pub depth: usize,
    pub indent: usize,
    pub author: &'a str,
    pub author_href: String,
    pub author_post_count: i64,
    pub body_html: &'a str,
    /// The link a link post carries.
    pub link: Option<&'a str>,
    pub deleted: bool,
    pub created_iso: String,
    pub created_abs: String,
    pub created_ago: String,
    pub edited_ago: Option<String>,
    pub can_edit: bool,
    pub like_count: i64,
    /// Who removed the post and why, when a host, an admin or a jury did.
    pub removal: Option<RemovalView>,
    /// Whether a host, an admin or a jury removed it (a restore undoes that).
    pub removed: bool,
    /// Whether the viewer reads the words: not when removed, unless they wrote it or moderate.
    pub show_body: bool,
    /// Why the forum elsewhere refused it, shown to its author alone.
    pub refused: Option<&'a str>,
    /// Whether the viewer may reply to it: not in a locked thread.
    pub can_reply: bool,
    /// Whether the viewer may remove or restore it: a host of the forum or an admin.
    pub can_moderate: bool,
    /// Whether the viewer may alert it: a member, not its author (to a jury here, or to the
    /// moderators of a forum elsewhere).
    pub can_alert: bool,
}

/// What a removed post's placeholder says.
pub struct RemovalView {
    /// "Removed" by a host or an admin, "Hidden" by a jury.
    pub verb: &'static str,
    pub by: String,
    pub reason: String,
}

impl RemovalView {
    fn of(p: &stoa_db::queries::posts::PostWithAuthor) -> Option<RemovalView> {
        let withheld = moderation::withheld(p)?;
        let by = match (withheld.by.as_str(), withheld.by_name) {
            ("jury", _) => "a jury of members".to_owned(),
            ("admin", Some(name)) => format!("an admin, {name}"),
            ("admin", None) => "the admins".to_owned(),
            (_, name) => format!("a host, {}", name.as_deref().unwrap_or("someone")),
        };
        let verb = if withheld.by == "jury" || p.removed_at.is_none() {
            "Hidden"
        } else {
            "Removed"
        };
        Some(RemovalView {
            verb,
            by,
            reason: withheld.reason,
        })
    }
}

/// Who looks at a thread, and what that lets them do there.
#[derive(Clone, Copy)]
struct Looker<'a> {
    viewer: Option<&'a stoa_core::Actor>,
    role: Option<moderation::Role>,
    locked: bool,
}

fn post_view<'a>(tree_post: &'a TreePost, looker: Looker<'_>, now: DateTime<Utc>) -> PostView<'a> {
    let viewer = looker.viewer;
    let p = &tree_post.post;
    let removal = RemovalView::of(p);
    let author_href = match (&p.author_profile_url, p.author_local) {
        (Some(url), false) => url.clone(),
        _ => format!("/u/{}", p.author_name),
    };
    PostView {
        id: p.id,
        thread_id: p.thread_id,
        depth: tree_post.depth,
        indent: tree_post.depth.min(MAX_INDENT),
        author: &p.author_name,
        author_href,
        author_post_count: p.author_post_count,
        body_html: &p.body_html,
        link: p.link_url.as_deref(),
        deleted: p.deleted_at.is_some(),
        created_iso: time_format::machine(p.created_at),
        created_abs: time_format::absolute(p.created_at),
        created_ago: time_format::relative(p.created_at, now),
        edited_ago: p.edited_at.map(|at| time_format::relative(at, now)),
        can_edit: viewer.is_some_and(|viewer| posts::may_change(viewer, p.author_id)),
        like_count: p.like_count,
        show_body: removal.is_none() || moderation::sees_removed(viewer, looker.role, p.author_id),
        removal,
        removed: p.removed_at.is_some(),
        refused: p
            .refused_elsewhere
            .as_deref()
            .filter(|_| viewer.is_some_and(|viewer| viewer.id == p.author_id)),
        can_reply: !looker.locked,
        can_moderate: looker.role.is_some(),
        can_alert: p.removed_at.is_none()
            && p.author_hidden.is_none()
            && viewer.is_some_and(|viewer| viewer.id != p.author_id),
    }
}

#[derive(Template)]
#[template(path = "thread.html")]
struct ThreadPage<'a> {
    layout: Layout,
    id: i64,
    title: String,
    reply_count: i64,
    forum_slug: String,
    forum_name: String,
    posts: Vec<PostView<'a>>,
    starter_id: Option<i64>,
    signed_in: bool,
    locked: bool,
    can_moderate: bool,
}

pub async fn thread(ctx: PageCtx, Path(id): Path<i64>) -> Result<Response, PageError> {
    if crate::federation::asks_for_activity_json(&ctx.headers) {
        let object =
            stoa_federation::objects::thread_object(&ctx.state.db, &ctx.state.config.urls, id)
                .await?;
        return Ok(crate::federation::post_document(object));
    }
    let view = posts::thread_view(&ctx.state.db, &ctx.state.thread_cache, id).await?;
    let now = Utc::now();
    let header = view.header;
    // A thread from elsewhere, opened by a member after a quiet while, is read again from its
    // server, so replies that never reached here appear (on a later visit). Not for guests:
    // a crawler walking every thread would set this server fetching them all.
    if !header.forum_local && ctx.viewer.0.is_some() {
        stoa_federation::backfill::reconcile_if_quiet(&ctx.state.db, header.forum_id, header.id)
            .await?;
    }
    let viewer = ctx.viewer.0.as_ref().map(|s| s.actor());
    let role = moderation::viewer_role(&ctx.state.db, viewer.as_ref(), header.forum_id).await?;
    let looker = Looker {
        viewer: viewer.as_ref(),
        role,
        locked: header.locked,
    };
    let mut crumbs = forum_crumbs(
        header.group_name.as_deref(),
        Some((&header.forum_name, &header.forum_slug)),
    );
    crumbs.push(Crumb::here(header.title.clone()));
    super::render_varying(&ThreadPage {
        layout: ctx.layout(header.title.clone(), crumbs),
        id: header.id,
        title: header.title,
        reply_count: header.reply_count,
        forum_slug: header.forum_slug,
        forum_name: header.forum_name,
        posts: view
            .posts
            .iter()
            .map(|p| post_view(p, looker, now))
            .collect(),
        // A locked thread offers no reply form.
        starter_id: header.starter_post_id.filter(|_| !header.locked),
        signed_in: viewer.is_some(),
        locked: header.locked,
        can_moderate: role.is_some(),
    })
}

/// A rejected form comes back with this status: 422 for bad input, 409 for a conflict.
fn form_status(err: &CoreError) -> StatusCode {
    match err {
        CoreError::Conflict(_) => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// The errors a form shows to its writer; anything else becomes an error page.
fn form_message(err: CoreError) -> Result<(StatusCode, String), PageError> {
    match err {
        CoreError::Invalid { .. } | CoreError::Conflict(_) => {
            Ok((form_status(&err), err.to_string()))
        }
        other => Err(other.into()),
    }
}

fn to_post(thread_id: i64, post_id: i64) -> Response {
    Redirect::to(&format!("/t/{thread_id}#p{post_id}")).into_response()
}

#[derive(Template)]
#[template(path = "new_thread.html")]
struct NewThreadPage {
    layout: Layout,
    forum_slug: String,
    forum_name: String,
    title: String,
    body: String,
    error: Option<String>,
}

async fn new_thread_page(
    ctx: &PageCtx,
    slug: &str,
    title: String,
    body: String,
    error: Option<String>,
) -> Result<NewThreadPage, PageError> {
    // A forum elsewhere takes new threads too: they are sent to its server.
    let forum = stoa_core::forums::find(&ctx.state.db, slug).await?;
    let mut crumbs = forum_crumbs(None, Some((&forum.name, &forum.slug)));
    crumbs.push(Crumb::here("Start a thread"));
    Ok(NewThreadPage {
        layout: ctx.layout(format!("Start a thread in {}", forum.name), crumbs),
        forum_slug: forum.slug,
        forum_name: forum.name,
        title,
        body,
        error,
    })
}

pub async fn new_thread_form(
    ctx: PageCtx,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    ctx.require_member(&format!("/f/{slug}/new"))?;
    render(&new_thread_page(&ctx, &slug, String::new(), String::new(), None).await?)
}

#[derive(Deserialize)]
pub struct NewThreadForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

pub async fn create_thread(
    ctx: PageCtx,
    Path(slug): Path<String>,
    PageForm(form): PageForm<NewThreadForm>,
) -> Result<Response, PageError> {
    let member = ctx.require_member(&format!("/f/{slug}/new"))?;
    ctx.verify_csrf(&form.csrf)?;
    ctx.state.resolve_mentions(&form.body).await;
    match posts::create_thread(
        &ctx.state.db,
        &member.actor(),
        &slug,
        &form.title,
        &form.body,
    )
    .await
    {
        Ok(created) => Ok(to_post(created.thread_id, created.post_id)),
        Err(err) => {
            let (status, message) = form_message(err)?;
            let page = new_thread_page(&ctx, &slug, form.title, form.body, Some(message)).await?;
            render_with_status(status, &page)
        }
    }
}

#[derive(Template)]
#[template(path = "reply.html")]
struct ReplyPage {
    layout: Layout,
    thread_id: i64,
    parent_id: i64,
    parent_author: String,
    parent_html: String,
    body: String,
    error: Option<String>,
}

async fn reply_page(
    ctx: &PageCtx,
    thread_id: i64,
    parent_id: i64,
    body: String,
    error: Option<String>,
) -> Result<ReplyPage, PageError> {
    let view = posts::thread_view(&ctx.state.db, &ctx.state.thread_cache, thread_id).await?;
    // The parent must be in this thread; otherwise show the form for the thread's starter.
    let parent = view
        .posts
        .iter()
        .find(|p| p.post.id == parent_id)
        .or_else(|| view.posts.first())
        .ok_or(PageError::NotFound)?;
    let header = &view.header;
    let mut crumbs = forum_crumbs(
        header.group_name.as_deref(),
        Some((&header.forum_name, &header.forum_slug)),
    );
    crumbs.push(Crumb::link(header.title.clone(), format!("/t/{thread_id}")));
    crumbs.push(Crumb::here("Reply"));
    Ok(ReplyPage {
        layout: ctx.layout(format!("Reply: {}", header.title), crumbs),
        thread_id,
        parent_id: parent.post.id,
        parent_author: parent.post.author_name.clone(),
        parent_html: parent.post.body_html.clone(),
        body,
        error,
    })
}

#[derive(Deserialize)]
pub struct ReplyQuery {
    to: Option<i64>,
}

pub async fn reply_form(
    ctx: PageCtx,
    Path(thread_id): Path<i64>,
    Query(query): Query<ReplyQuery>,
) -> Result<Response, PageError> {
    let return_to = match query.to {
        Some(to) => format!("/t/{thread_id}/reply?to={to}"),
        None => format!("/t/{thread_id}/reply"),
    };
    ctx.require_member(&return_to)?;
    let parent = query.to.unwrap_or(0);
    render(&reply_page(&ctx, thread_id, parent, String::new(), None).await?)
}

#[derive(Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    csrf: String,
    parent_id: i64,
    #[serde(default)]
    body: String,
}

pub async fn reply(
    ctx: PageCtx,
    Path(thread_id): Path<i64>,
    PageForm(form): PageForm<ReplyForm>,
) -> Result<Response, PageError> {
    let member = ctx.require_member(&format!("/t/{thread_id}"))?;
    ctx.verify_csrf(&form.csrf)?;
    ctx.state.resolve_mentions(&form.body).await;
    let result = replies::reply(
        &ctx.state.db,
        &member.actor(),
        thread_id,
        form.parent_id,
        &form.body,
    )
    .await;
    match result {
        Ok(created) => Ok(to_post(created.thread_id, created.post_id)),
        Err(CoreError::NotFound("parent post")) => {
            let page = reply_page(
                &ctx,
                thread_id,
                0,
                form.body,
                Some("the post you reply to does not exist".into()),
            )
            .await?;
            render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(err) => {
            let (status, message) = form_message(err)?;
            let page =
                reply_page(&ctx, thread_id, form.parent_id, form.body, Some(message)).await?;
            render_with_status(status, &page)
        }
    }
}

/// Loads a post the signed-in member may change, or says why not.
async fn own_post(
    ctx: &PageCtx,
    post_id: i64,
    return_to: &str,
) -> Result<stoa_db::post::Model, PageError> {
    let member = ctx.require_member(return_to)?;
    Ok(posts::editable(&ctx.state.db, &member.actor(), post_id).await?)
}

#[derive(Template)]
#[template(path = "edit.html")]
struct EditPage {
    layout: Layout,
    post_id: i64,
    body: String,
    error: Option<String>,
}

fn edit_page(
    ctx: &PageCtx,
    post_id: i64,
    thread_id: i64,
    body: String,
    error: Option<String>,
) -> EditPage {
    let crumbs = vec![
        Crumb::link("Latest Discussions", "/latest"),
        Crumb::link("Thread", format!("/t/{thread_id}#p{post_id}")),
        Crumb::here("Edit post"),
    ];
    EditPage {
        layout: ctx.layout("Edit post", crumbs),
        post_id,
        body,
        error,
    }
}

pub async fn edit_form(ctx: PageCtx, Path(post_id): Path<i64>) -> Result<Response, PageError> {
    let post = own_post(&ctx, post_id, &format!("/p/{post_id}/edit")).await?;
    render(&edit_page(
        &ctx,
        post.id,
        post.thread_id,
        post.body_source,
        None,
    ))
}

#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
}

pub async fn edit(
    ctx: PageCtx,
    Path(post_id): Path<i64>,
    PageForm(form): PageForm<EditForm>,
) -> Result<Response, PageError> {
    let post = own_post(&ctx, post_id, &format!("/p/{post_id}/edit")).await?;
    ctx.verify_csrf(&form.csrf)?;
    let member = ctx.require_member("/")?;
    ctx.state.resolve_mentions(&form.body).await;
    match posts::edit_post(&ctx.state.db, &member.actor(), post_id, &form.body, None).await {
        Ok(edited) => Ok(to_post(edited.thread_id, edited.post_id)),
        Err(err) => {
            let (status, message) = form_message(err)?;
            render_with_status(
                status,
                &edit_page(&ctx, post_id, post.thread_id, form.body, Some(message)),
            )
        }
    }
}

#[derive(Template)]
#[template(path = "delete.html")]
struct DeletePage {
    layout: Layout,
    post_id: i64,
    thread_id: i64,
    body_html: String,
}

pub async fn delete_form(ctx: PageCtx, Path(post_id): Path<i64>) -> Result<Response, PageError> {
    let post = own_post(&ctx, post_id, &format!("/p/{post_id}/delete")).await?;
    let crumbs = vec![
        Crumb::link("Latest Discussions", "/latest"),
        Crumb::link("Thread", format!("/t/{}#p{post_id}", post.thread_id)),
        Crumb::here("Delete post"),
    ];
    render(&DeletePage {
        layout: ctx.layout("Delete post", crumbs),
        post_id,
        thread_id: post.thread_id,
        body_html: post.body_html,
    })
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    csrf: String,
}

pub async fn delete(
    ctx: PageCtx,
    Path(post_id): Path<i64>,
    PageForm(form): PageForm<DeleteForm>,
) -> Result<Response, PageError> {
    own_post(&ctx, post_id, &format!("/p/{post_id}/delete")).await?;
    ctx.verify_csrf(&form.csrf)?;
    let member = ctx.require_member("/")?;
    let deleted = posts::delete_post(&ctx.state.db, &member.actor(), post_id).await?;
    Ok(to_post(deleted.thread_id, deleted.post_id))
}

#[derive(Deserialize)]
pub struct LikeForm {
    #[serde(default)]
    csrf: String,
}

/// The Like button: likes the post, or takes the member's like back if they had liked it.
pub async fn like(
    ctx: PageCtx,
    Path(post_id): Path<i64>,
    PageForm(form): PageForm<LikeForm>,
) -> Result<Response, PageError> {
    let post = posts::find_post(&ctx.state.db, post_id).await?;
    let member = ctx.require_member(&format!("/t/{}#p{post_id}", post.thread_id))?;
    ctx.verify_csrf(&form.csrf)?;
    posts::toggle_like(&ctx.state.db, &member.actor(), post_id).await?;
    Ok(to_post(post.thread_id, post_id))
}

pub struct RevisionView {
    pub at: String,
    pub html: String,
}

#[derive(Template)]
#[template(path = "revisions.html")]
struct RevisionsPage {
    layout: Layout,
    post_id: i64,
    thread_id: i64,
    thread_title: String,
    author: String,
    deleted: bool,
    current_html: String,
    current_at: Option<String>,
    revisions: Vec<RevisionView>,
}

pub async fn revisions(ctx: PageCtx, Path(post_id): Path<i64>) -> Result<Response, PageError> {
    let viewer = ctx.viewer.0.as_ref().map(|s| s.actor());
    let history = posts::post_history(&ctx.state.db, post_id, viewer.as_ref()).await?;
    let thread = &history.thread;
    let mut crumbs = forum_crumbs(
        thread.group_name.as_deref(),
        Some((&thread.forum_name, &thread.forum_slug)),
    );
    crumbs.push(Crumb::link(
        thread.title.clone(),
        format!("/t/{}", thread.id),
    ));
    crumbs.push(Crumb::here("Revisions"));
    render(&RevisionsPage {
        layout: ctx.layout(format!("Revisions of post #{post_id}"), crumbs),
        post_id,
        thread_id: thread.id,
        thread_title: thread.title.clone(),
        author: history.author_name,
        deleted: history.post.deleted_at.is_some(),
        current_html: history.post.body_html,
        current_at: history.post.edited_at.map(time_format::absolute),
        revisions: history
            .revisions
            .into_iter()
            .map(|r| RevisionView {
                at: time_format::absolute(r.created_at),
                html: r.body_html,
            })
            .collect(),
    })
}
