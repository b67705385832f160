//! The admins' federation page (`/admin/federation`): each server Stoa delivers to — its
//! members' follows here, its queue, its last success and error, its next retry, whether it is
//! marked failing — with a button that sends its queue now.

use askama::Template;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use stoa_federation::servers;

use super::layout::{Crumb, Layout};
use super::{PageCtx, PageForm, render};
use crate::error::PageError;
use crate::time_format;

pub struct ServerRow {
    pub host: String,
    pub followers: u64,
    pub queued: u64,
    pub last_success: String,
    pub last_error: String,
    pub next_retry: String,
    pub failing: bool,
}

#[derive(Template)]
#[template(path = "admin_federation.html")]
struct FederationPage {
    layout: Layout,
    servers: Vec<ServerRow>,
}

pub async fn overview(ctx: PageCtx) -> Result<Response, PageError> {
    let member = ctx.require_member("/admin/federation")?;
    stoa_core::safety::require_admin(&member.actor())?;
    let now = Utc::now();
    let when = |at: Option<chrono::DateTime<Utc>>| {
        at.map_or_else(|| "never".to_owned(), |at| time_format::relative(at, now))
    };
    let rows = servers::servers(&ctx.state.db)
        .await?
        .into_iter()
        .map(|s| ServerRow {
            last_success: when(s.last_success_at),
            last_error: match (s.last_failure_at, s.last_error, s.last_refusal) {
                (Some(at), Some(why), _) => format!("{}: {why}", time_format::relative(at, now)),
                (_, _, Some(refusal)) => refusal,
                _ => String::new(),
            },
            next_retry: s
                .next_attempt_at
                .map(|at| time_format::ahead(at, now))
                .unwrap_or_default(),
            host: s.host,
            followers: s.followers,
            queued: s.queued,
            failing: s.failing,
        })
        .collect();
    render(&FederationPage {
        layout: ctx.layout(
            "Federation",
            vec![Crumb::link("Admin", "/admin"), Crumb::here("Federation")],
        ),
        servers: rows,
    })
}

#[derive(Deserialize)]
pub struct RetryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    host: String,
}

/// The "Retry now" button: the server's queue is sent at once.
pub async fn retry(
    ctx: PageCtx,
    PageForm(form): PageForm<RetryForm>,
) -> Result<Response, PageError> {
    let member = ctx.require_member("/admin/federation")?;
    ctx.verify_csrf(&form.csrf)?;
    stoa_core::safety::require_admin(&member.actor())?;
    servers::retry_now(&ctx.state.db, form.host.trim()).await?;
    Ok(Redirect::to("/admin/federation").into_response())
}
