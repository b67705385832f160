//! The pages of alerts and juries: alerting a post, a member's jury duties, a case and its vote,
//! and the verdict its author reads.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use stoa_core::CoreError;
use stoa_core::juries::{self, Answer, NewAlert, Reason, Tally};

use super::layout::{Crumb, Layout};
use super::{PageCtx, PageForm, render, render_with_status};
use crate::error::PageError;
use crate::time_format;

#[derive(Template)]
#[template(path = "alert.html")]
struct AlertPage {
    layout: Layout,
    post_id: i64,
    thread_id: i64,
    body_html: String,
    reasons: Vec<(&'static str, &'static str)>,
    reason: String,
    details: String,
    error: Option<String>,
}

async fn alert_page(
    ctx: &PageCtx,
    post_id: i64,
    reason: String,
    details: String,
    error: Option<String>,
) -> Result<AlertPage, PageError> {
    let member = ctx.require_member(&format!("/p/{post_id}/alert"))?;
    let (post, _) = juries::alertable(&ctx.state.db, &member.actor(), post_id).await?;
    Ok(AlertPage {
        layout: ctx.layout("Alert a post", vec![Crumb::here("Alert a post")]),
        post_id: post.id,
        thread_id: post.thread_id,
        body_html: post.body_html,
        reasons: Reason::ALL
            .into_iter()
            .map(|r| (r.word(), r.label()))
            .collect(),
        reason,
        details,
        error,
    })
}

pub async fn alert_form(ctx: PageCtx, Path(post_id): Path<i64>) -> Result<Response, PageError> {
    render(&alert_page(&ctx, post_id, String::new(), String::new(), None).await?)
}

#[derive(Deserialize)]
pub struct AlertForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    details: String,
}

pub async fn alert(
    ctx: PageCtx,
    Path(post_id): Path<i64>,
    PageForm(form): PageForm<AlertForm>,
) -> Result<Response, PageError> {
    let member = ctx.require_member(&format!("/p/{post_id}/alert"))?;
    ctx.verify_csrf(&form.csrf)?;
    let raised = match Reason::parse(&form.reason) {
        Ok(reason) => {
            let new = NewAlert {
                post_id,
                reason,
                details: Some(&form.details),
                ap_id: None,
            };
            juries::raise(
                &ctx.state.db,
                &member.actor(),
                new,
                &ctx.state.config.jury,
                Utc::now(),
            )
            .await
        }
        Err(err) => Err(err),
    };
    match raised {
        Ok(alert) => Ok(Redirect::to(&format!("/alerts/{}", alert.id)).into_response()),
        Err(err @ (CoreError::Invalid { .. } | CoreError::Conflict(_))) => {
            let page = alert_page(
                &ctx,
                post_id,
                form.reason,
                form.details,
                Some(err.to_string()),
            )
            .await?;
            render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(other) => Err(other.into()),
    }
}

/// A jury duty as the list shows it.
pub struct DutyView {
    pub alert_id: i64,
    pub thread_title: String,
    pub reason: &'static str,
    pub to_answer: bool,
    pub deadline_iso: String,
    pub deadline_abs: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "jury.html")]
struct JuryPage {
    layout: Layout,
    duties: Vec<DutyView>,
}

pub async fn duties(ctx: PageCtx) -> Result<Response, PageError> {
    let member = ctx.require_member("/jury")?;
    let duties = juries::duties(&ctx.state.db, &member.actor()).await?;
    render(&JuryPage {
        layout: ctx.layout("Jury duty", vec![Crumb::here("Jury duty")]),
        duties: duties
            .into_iter()
            .map(|d| DutyView {
                alert_id: d.alert_id,
                to_answer: d.to_answer(),
                reason: d.reason.label(),
                deadline_iso: time_format::machine(d.deadline),
                deadline_abs: time_format::absolute(d.deadline),
                status: status(&d.state, None),
                thread_title: d.thread_title,
            })
            .collect(),
    })
}

/// What a page says of an alert's state.
fn status(state: &str, tally: Option<Tally>) -> String {
    let count = |votes: u32| match tally {
        Some(t) => format!(", {votes} of {}", t.seats),
        None => String::new(),
    };
    match state {
        "hidden" => format!(
            "Hidden by a jury of members{}.",
            count(tally.map_or(0, |t| t.hide))
        ),
        "left" => format!(
            "Left as it is by a jury of members{}.",
            count(tally.map_or(0, |t| t.leave))
        ),
        "reported" => {
            "Sent to the forum's moderators on its own server: they judge it there.".to_owned()
        }
        _ => "The jury is still out.".to_owned(),
    }
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    layout: Layout,
    alert_id: i64,
    forum_slug: String,
    forum_name: String,
    thread_id: i64,
    thread_title: String,
    reason: &'static str,
    details: Option<String>,
    author: String,
    body_html: String,
    /// Who wrote the post it answers, and what.
    parent: Option<(String, String)>,
    to_answer: bool,
    deadline_iso: String,
    deadline_abs: String,
    status: String,
}

pub async fn case(ctx: PageCtx, Path(alert_id): Path<i64>) -> Result<Response, PageError> {
    let member = ctx.require_member(&format!("/jury/{alert_id}"))?;
    let c = juries::case(&ctx.state.db, &member.actor(), alert_id).await?;
    let status = match (c.seat.as_str(), c.vote.as_deref()) {
        ("declined", _) => "You declined this one.".to_owned(),
        (_, Some(vote)) if c.state == "open" => {
            format!("You voted to {vote} it; the jury is still out.")
        }
        _ => status(&c.state, None),
    };
    render(&CasePage {
        layout: ctx.layout(
            "A case for the jury",
            vec![
                Crumb::link("Jury duty", "/jury"),
                Crumb::here("A case for the jury"),
            ],
        ),
        alert_id: c.alert_id,
        forum_slug: c.forum_slug,
        forum_name: c.forum_name,
        thread_id: c.thread_id,
        thread_title: c.thread_title,
        reason: c.reason.label(),
        details: c.details,
        author: c.post.author_name,
        body_html: c.post.body_html,
        parent: c.parent.map(|p| (p.author_name, p.body_html)),
        to_answer: c.seat == "summoned" && c.state == "open",
        deadline_iso: time_format::machine(c.deadline),
        deadline_abs: time_format::absolute(c.deadline),
        status,
    })
}

#[derive(Deserialize)]
pub struct VoteForm {
    #[serde(default)]
    csrf: String,
    /// `hide`, `leave` or `decline`.
    #[serde(default)]
    vote: String,
    #[serde(default)]
    comment: String,
}

pub async fn vote(
    ctx: PageCtx,
    Path(alert_id): Path<i64>,
    PageForm(form): PageForm<VoteForm>,
) -> Result<Response, PageError> {
    let back = format!("/jury/{alert_id}");
    let member = ctx.require_member(&back)?;
    ctx.verify_csrf(&form.csrf)?;
    let answer = match form.vote.as_str() {
        "hide" => Answer::Vote {
            hide: true,
            comment: Some(&form.comment),
        },
        "leave" => Answer::Vote {
            hide: false,
            comment: Some(&form.comment),
        },
        "decline" => Answer::Decline,
        _ => return Err(PageError::BadRequest("vote: hide, leave or decline".into())),
    };
    juries::answer(
        &ctx.state.db,
        &member.actor(),
        alert_id,
        answer,
        &ctx.state.config.jury,
        Utc::now(),
    )
    .await?;
    let next = if answer == Answer::Decline {
        "/jury".to_owned()
    } else {
        back
    };
    Ok(Redirect::to(&next).into_response())
}

#[derive(Template)]
#[template(path = "verdict.html")]
struct VerdictPage {
    layout: Layout,
    thread_id: i64,
    thread_title: String,
    post_id: i64,
    reason: &'static str,
    status: String,
    comments: Vec<String>,
}

pub async fn verdict(ctx: PageCtx, Path(alert_id): Path<i64>) -> Result<Response, PageError> {
    let member = ctx.require_member(&format!("/alerts/{alert_id}"))?;
    let v = juries::verdict(&ctx.state.db, &member.actor(), alert_id).await?;
    render(&VerdictPage {
        layout: ctx.layout(
            "The jury's verdict",
            vec![Crumb::here("The jury's verdict")],
        ),
        thread_id: v.thread_id,
        thread_title: v.thread_title,
        post_id: v.post_id,
        reason: v.reason.label(),
        status: status(&v.state, Some(v.tally)),
        comments: v.comments,
    })
}
