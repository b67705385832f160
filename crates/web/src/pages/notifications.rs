//! The notifications page: what a member was told, newest first (reading it marks all read),
//! and the kinds they choose to hear of.

use askama::Template;
use axum::extract::Query;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use stoa_core::notifications::{self, Kind};
use stoa_db::queries::notifications::NotificationRow;

use super::layout::{Crumb, Layout};
use super::{PageCtx, PageForm, PageQuery, render};
use crate::error::PageError;
use crate::time_format;

pub struct NotificationView {
    pub unread: bool,
    pub when: String,
    pub at_iso: String,
    /// "alice replied to your post in", "helen removed your post: Spam. In", …
    pub text: String,
    /// Where it leads, and the words of the link.
    pub link: Option<(String, String)>,
}

impl NotificationView {
    fn of(row: NotificationRow, now: chrono::DateTime<Utc>) -> Self {
        let who = row.actor_name.as_deref().unwrap_or("Someone");
        let title = row
            .thread_title
            .clone()
            .unwrap_or_else(|| "a thread".into());
        let detail = row.detail.as_deref().unwrap_or_default();
        let in_thread = post_href(&row).map(|href| (href, title));
        let (text, link) = match row.kind.as_str() {
            "reply" => (format!("{who} replied to your post in"), in_thread),
            "mention" => (format!("{who} mentioned you in"), in_thread),
            "jury" => (
                "You were drawn for a jury:".to_owned(),
                row.alert_id
                    .map(|id| (format!("/jury/{id}"), "read the case and vote".to_owned())),
            ),
            "verdict" => (
                format!("A jury of members decided on your post: {detail}."),
                row.alert_id
                    .map(|id| (format!("/alerts/{id}"), "the verdict".to_owned())),
            ),
            "refused" => (
                format!("The forum's server would not take your post ({detail}):"),
                in_thread,
            ),
            _ => (format!("{who} {detail}, in"), in_thread),
        };
        NotificationView {
            unread: row.read_at.is_none(),
            when: time_format::relative(row.created_at, now),
            at_iso: time_format::machine(row.created_at),
            text,
            link,
        }
    }
}

fn post_href(row: &NotificationRow) -> Option<String> {
    match (row.thread_id, row.post_id) {
        (Some(thread), Some(post)) => Some(format!("/t/{thread}#p{post}")),
        (Some(thread), None) => Some(format!("/t/{thread}")),
        _ => None,
    }
}

pub struct KindChoice {
    pub word: &'static str,
    pub label: &'static str,
    pub wanted: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    layout: Layout,
    items: Vec<NotificationView>,
    kinds: Vec<KindChoice>,
    prev_href: Option<String>,
    next_href: Option<String>,
}

pub async fn list(ctx: PageCtx, Query(query): Query<PageQuery>) -> Result<Response, PageError> {
    let member = ctx.require_member("/notifications")?;
    let actor = member.actor();
    let page = query.number();
    let rows = notifications::list(&ctx.state.db, &actor, page).await?;
    let wanted = notifications::wanted(&ctx.state.db, &actor).await?;
    // Reading the page is reading them: the count in the header goes.
    notifications::mark_read(&ctx.state.db, &actor).await?;
    let now = Utc::now();
    let mut layout = ctx.layout("Notifications", vec![Crumb::here("Notifications")]);
    layout.unread = 0;
    let view = NotificationsPage {
        layout,
        items: rows
            .items
            .into_iter()
            .map(|row| NotificationView::of(row, now))
            .collect(),
        kinds: Kind::ALL
            .into_iter()
            .map(|kind| KindChoice {
                word: kind.word(),
                label: kind.label(),
                wanted: wanted.contains(&kind),
            })
            .collect(),
        prev_href: (page > 1).then(|| format!("/notifications?page={}", page - 1)),
        next_href: rows
            .has_more
            .then(|| format!("/notifications?page={}", page + 1)),
    };
    render(&view)
}

/// The kinds ticked: a checkbox per kind, present when ticked.
#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    csrf: String,
    reply: Option<String>,
    mention: Option<String>,
    jury: Option<String>,
    verdict: Option<String>,
    moderation: Option<String>,
    refused: Option<String>,
}

pub async fn settings(
    ctx: PageCtx,
    PageForm(form): PageForm<SettingsForm>,
) -> Result<Response, PageError> {
    let member = ctx.require_member("/notifications")?;
    ctx.verify_csrf(&form.csrf)?;
    let ticked = [
        (Kind::Reply, &form.reply),
        (Kind::Mention, &form.mention),
        (Kind::Jury, &form.jury),
        (Kind::Verdict, &form.verdict),
        (Kind::Moderation, &form.moderation),
        (Kind::Refused, &form.refused),
    ];
    let wanted: Vec<Kind> = ticked
        .into_iter()
        .filter(|(_, box_)| box_.is_some())
        .map(|(kind, _)| kind)
        .collect();
    notifications::set_wanted(&ctx.state.db, &member.actor(), &wanted).await?;
    Ok(Redirect::to("/notifications").into_response())
}
