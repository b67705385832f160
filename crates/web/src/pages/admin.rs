//! The admin pages under `/admin`: the site's registration, applications to join, suspended
//! members and the servers the instance blocks or allows. Admins only.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use stoa_core::CoreError;
use stoa_core::safety::{self, DomainChange, Registration, SiteChange, Suspension};

use super::layout::{Crumb, Layout};
use super::{PageCtx, PageForm, render, render_with_status};
use crate::error::PageError;
use crate::time_format;

pub struct ApplicationRow {
    pub id: i64,
    pub name: String,
    pub answer: String,
    pub applied: String,
}

pub struct SuspensionRow {
    pub name: String,
    pub reason: String,
    pub until: String,
}

pub struct DomainRow {
    pub domain: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    layout: Layout,
    registration: &'static str,
    question: String,
    allowlist: bool,
    applications: Vec<ApplicationRow>,
    suspensions: Vec<SuspensionRow>,
    blocked: Vec<DomainRow>,
    allowed: Vec<DomainRow>,
    error: Option<String>,
}

async fn admin_page(ctx: &PageCtx, error: Option<String>) -> Result<AdminPage, PageError> {
    let member = ctx.require_member("/admin")?;
    let actor = member.actor();
    let db = &ctx.state.db;
    let applications = safety::applications(db, &actor).await?;
    let site = safety::site(db).await?;
    let suspensions = safety::suspensions(db, &actor).await?;
    let rules = safety::domain_rules(db, &actor).await?;
    let now = Utc::now();
    let domain_rows = |kind: &str| {
        rules
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| DomainRow {
                domain: r.domain.clone(),
                reason: r.reason.clone().unwrap_or_default(),
            })
            .collect()
    };
    Ok(AdminPage {
        layout: ctx.layout("Admin", vec![Crumb::here("Admin")]),
        registration: site.registration.word(),
        question: site.registration_question,
        allowlist: site.allowlist,
        applications: applications
            .into_iter()
            .map(|a| ApplicationRow {
                id: a.id,
                name: a.name,
                answer: a.answer,
                applied: time_format::relative(a.created_at, now),
            })
            .collect(),
        suspensions: suspensions
            .into_iter()
            .map(|(s, name)| SuspensionRow {
                name,
                reason: s.reason,
                until: match s.expires_at {
                    Some(at) => format!("until {}", time_format::absolute(at)),
                    None => "until lifted".to_owned(),
                },
            })
            .collect(),
        blocked: domain_rows("block"),
        allowed: domain_rows("allow"),
        error,
    })
}

pub async fn overview(ctx: PageCtx) -> Result<Response, PageError> {
    render(&admin_page(&ctx, None).await?)
}

/// Back to the admin page after an act, or the page again with the reason it was refused.
async fn done(ctx: &PageCtx, outcome: Result<(), CoreError>) -> Result<Response, PageError> {
    match outcome {
        Ok(()) => Ok(Redirect::to("/admin").into_response()),
        Err(
            err @ (CoreError::Invalid { .. }
            | CoreError::Conflict(_)
            | CoreError::NotFound(_)
            | CoreError::Forbidden(_)),
        ) if ctx.viewer.0.as_ref().is_some_and(|v| v.member.is_admin) => {
            let page = admin_page(ctx, Some(err.to_string())).await?;
            render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct SiteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    registration: String,
    #[serde(default)]
    question: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    allowlist: Option<String>,
}

pub async fn site(ctx: PageCtx, PageForm(form): PageForm<SiteForm>) -> Result<Response, PageError> {
    let member = ctx.require_member("/admin")?;
    ctx.verify_csrf(&form.csrf)?;
    let registration = Registration::parse(&form.registration)
        .ok_or_else(|| PageError::BadRequest("registration: open, approval or closed".into()))?;
    let change = SiteChange {
        registration: Some(registration),
        registration_question: Some(form.question.clone()),
        allowlist: Some(form.allowlist.is_some()),
    };
    let outcome =
        safety::change_site(&ctx.state.db, &ctx.state.policy(), &member.actor(), change).await;
    done(&ctx, outcome.map(|_| ())).await
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    /// `approve` or `reject`.
    #[serde(default)]
    action: String,
}

pub async fn application(
    ctx: PageCtx,
    Path(id): Path<i64>,
    PageForm(form): PageForm<DecisionForm>,
) -> Result<Response, PageError> {
    let member = ctx.require_member("/admin")?;
    ctx.verify_csrf(&form.csrf)?;
    let approve = match form.action.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(PageError::BadRequest("action: approve or reject".into())),
    };
    let outcome = safety::decide_application(&ctx.state.db, &member.actor(), id, approve).await;
    done(&ctx, outcome.map(|_| ())).await
}

/// Whole days from a form, from now: empty is "until lifted".
pub fn days_from_now(days: &str, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, CoreError> {
    let days = days.trim();
    if days.is_empty() {
        return Ok(None);
    }
    match days.parse::<i64>() {
        Ok(days @ 1..=3650) => Ok(Some(now + chrono::Duration::days(days))),
        _ => Err(CoreError::invalid(
            "days",
            "a whole number from 1 to 3650, or empty",
        )),
    }
}

#[derive(Deserialize)]
pub struct SuspensionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    days: String,
    /// `suspend` or `lift`.
    #[serde(default)]
    action: String,
}

pub async fn suspension(
    ctx: PageCtx,
    PageForm(form): PageForm<SuspensionForm>,
) -> Result<Response, PageError> {
    let member = ctx.require_member("/admin")?;
    ctx.verify_csrf(&form.csrf)?;
    let now = Utc::now();
    let outcome = match form.action.as_str() {
        "lift" => {
            safety::set_suspension(&ctx.state.db, &member.actor(), &form.name, None, now).await
        }
        "suspend" => match days_from_now(&form.days, now) {
            Ok(until) => {
                let terms = Suspension {
                    reason: &form.reason,
                    until,
                };
                safety::set_suspension(&ctx.state.db, &member.actor(), &form.name, Some(terms), now)
                    .await
            }
            Err(err) => Err(err),
        },
        _ => return Err(PageError::BadRequest("action: suspend or lift".into())),
    };
    done(&ctx, outcome).await
}

#[derive(Deserialize)]
pub struct DomainForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    reason: String,
    /// `block`, `unblock`, `allow` or `disallow`.
    #[serde(default)]
    action: String,
}

pub async fn domain(
    ctx: PageCtx,
    PageForm(form): PageForm<DomainForm>,
) -> Result<Response, PageError> {
    let member = ctx.require_member("/admin")?;
    ctx.verify_csrf(&form.csrf)?;
    let change = match form.action.as_str() {
        "block" => DomainChange::Block,
        "unblock" => DomainChange::Unblock,
        "allow" => DomainChange::Allow,
        "disallow" => DomainChange::Disallow,
        _ => {
            return Err(PageError::BadRequest(
                "action: block, unblock, allow or disallow".into(),
            ));
        }
    };
    let policy = ctx.state.policy();
    let outcome = safety::change_domain(
        &ctx.state.db,
        &policy,
        &member.actor(),
        &form.domain,
        change,
        Some(&form.reason),
    )
    .await;
    done(&ctx, outcome.map(|_| ())).await
}
