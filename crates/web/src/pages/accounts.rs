//! Registering, logging in and out, and member profiles.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use stoa_core::safety::{self, Registration, SignUp};
use stoa_core::sessions::SessionKind;
use stoa_core::{CoreError, accounts, markdown, posts, sessions};

use super::layout::{Crumb, Layout};
use super::{
    PageCtx, PageForm, render, render_varying, render_with_status, safe_return_path, with_cookie,
};
use crate::auth::{clear_session_cookie, session_cookie};
use crate::error::PageError;
use crate::time_format;

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    layout: Layout,
    username: String,
    answer: String,
    /// The question an applicant answers, when registration needs an admin's approval.
    question: Option<String>,
    closed: bool,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "error.html")]
struct NoticePage {
    layout: Layout,
    heading: String,
    message: String,
}

impl RegisterPage {
    fn new(layout: Layout, site: &safety::Site) -> Self {
        RegisterPage {
            layout,
            username: String::new(),
            answer: String::new(),
            question: (site.registration == Registration::Approval)
                .then(|| site.registration_question.clone()),
            closed: site.registration == Registration::Closed,
            error: None,
        }
    }
}

fn guest_layout(ctx: &PageCtx, title: &str, csrf: String) -> Layout {
    let mut layout = ctx.layout(title, vec![Crumb::here(title)]);
    layout.csrf = csrf;
    layout
}

pub async fn register_form(ctx: PageCtx) -> Result<Response, PageError> {
    let token = ctx.guest_form_token();
    let site = safety::site(&ctx.state.db).await?;
    let page = RegisterPage::new(guest_layout(&ctx, "Register", token.token), &site);
    Ok(with_cookie(render(&page)?, token.set_cookie))
}

#[derive(Deserialize)]
pub struct CredentialsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    /// The answer to the site's question, when registration needs approval.
    #[serde(default)]
    answer: String,
}

pub async fn register(
    ctx: PageCtx,
    PageForm(form): PageForm<CredentialsForm>,
) -> Result<Response, PageError> {
    ctx.verify_csrf(&form.csrf)?;
    let signed_up =
        safety::sign_up(&ctx.state.db, &form.username, &form.password, &form.answer).await;
    match signed_up {
        Ok(SignUp::Member(user)) => {
            let session = sessions::start(&ctx.state.db, user.id, SessionKind::Browser).await?;
            let cookie = session_cookie(&session.token, ctx.state.config.secure_cookies());
            Ok(with_cookie(Redirect::to("/").into_response(), Some(cookie)))
        }
        Ok(SignUp::Applied) => render_with_status(
            StatusCode::ACCEPTED,
            &NoticePage {
                layout: ctx.layout("Application received", vec![Crumb::here("Register")]),
                heading: "Thank you for applying".into(),
                message: "An admin reads your answer and approves your account; then you can \
                          log in with the name and password you chose."
                    .into(),
            },
        ),
        Err(
            err @ (CoreError::Invalid { .. } | CoreError::Conflict(_) | CoreError::Forbidden(_)),
        ) => {
            let status = match err {
                CoreError::Conflict(_) => StatusCode::CONFLICT,
                CoreError::Forbidden(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let token = ctx.guest_form_token();
            let site = safety::site(&ctx.state.db).await?;
            let mut page = RegisterPage::new(guest_layout(&ctx, "Register", token.token), &site);
            page.username = form.username;
            page.answer = form.answer;
            page.error = Some(err.to_string());
            Ok(with_cookie(
                render_with_status(status, &page)?,
                token.set_cookie,
            ))
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    username: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

pub async fn login_form(
    ctx: PageCtx,
    Query(query): Query<LoginQuery>,
) -> Result<Response, PageError> {
    let token = ctx.guest_form_token();
    let page = LoginPage {
        layout: guest_layout(&ctx, "Log in", token.token),
        username: String::new(),
        next: safe_return_path(query.next.as_deref().unwrap_or("/")).to_owned(),
        error: None,
    };
    Ok(with_cookie(render(&page)?, token.set_cookie))
}

pub async fn login(
    ctx: PageCtx,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    PageForm(form): PageForm<CredentialsForm>,
) -> Result<Response, PageError> {
    ctx.verify_csrf(&form.csrf)?;
    let address = crate::rate_limit::client_address(&ctx.state, &ctx.headers, peer);
    let limiter = &ctx.state.login_limiter;
    if let Some(wait) = limiter.retry_after(&form.username, address) {
        return Err(PageError::TooManyRequests(wait));
    }
    match accounts::authenticate(&ctx.state.db, &form.username, &form.password).await {
        Ok(user) => {
            let session = sessions::start(&ctx.state.db, user.id, SessionKind::Browser).await?;
            let cookie = session_cookie(&session.token, ctx.state.config.secure_cookies());
            let target = safe_return_path(&form.next);
            Ok(with_cookie(
                Redirect::to(target).into_response(),
                Some(cookie),
            ))
        }
        Err(CoreError::InvalidCredentials) => {
            limiter.record_failure(&form.username, address);
            let token = ctx.guest_form_token();
            let page = LoginPage {
                layout: guest_layout(&ctx, "Log in", token.token),
                username: form.username,
                next: safe_return_path(&form.next).to_owned(),
                error: Some("wrong username or password".into()),
            };
            Ok(with_cookie(
                render_with_status(StatusCode::UNAUTHORIZED, &page)?,
                token.set_cookie,
            ))
        }
        // A suspended member, or an applicant still waiting: the right password, told why.
        Err(err @ (CoreError::Forbidden(_) | CoreError::Refused(_))) => {
            let token = ctx.guest_form_token();
            let page = LoginPage {
                layout: guest_layout(&ctx, "Log in", token.token),
                username: form.username,
                next: safe_return_path(&form.next).to_owned(),
                error: Some(err.to_string()),
            };
            Ok(with_cookie(
                render_with_status(StatusCode::FORBIDDEN, &page)?,
                token.set_cookie,
            ))
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    ctx: PageCtx,
    PageForm(form): PageForm<LogoutForm>,
) -> Result<Response, PageError> {
    let Some(member) = &ctx.viewer.0 else {
        return Ok(Redirect::to("/").into_response());
    };
    ctx.verify_csrf(&form.csrf)?;
    sessions::end(&ctx.state.db, &member.token).await?;
    let cookie = clear_session_cookie(ctx.state.config.secure_cookies());
    Ok(with_cookie(Redirect::to("/").into_response(), Some(cookie)))
}

pub struct RecentView {
    pub id: i64,
    pub thread_id: i64,
    pub thread_title: String,
    pub excerpt: String,
    pub iso: String,
    pub ago: String,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    layout: Layout,
    name: String,
    post_count: i64,
    joined: String,
    joined_iso: String,
    is_admin: bool,
    recent: Vec<RecentView>,
}

pub async fn profile(ctx: PageCtx, Path(name): Path<String>) -> Result<Response, PageError> {
    if crate::federation::asks_for_activity_json(&ctx.headers) {
        let person =
            stoa_federation::actors::person_by_name(&ctx.state.db, &ctx.state.config.urls, &name)
                .await?;
        return Ok(match person {
            Some(person) => crate::federation::activity_json(&person),
            None => crate::error::ApiError::not_found("member").into_response(),
        });
    }
    let profile = posts::profile(&ctx.state.db, &name).await?;
    let now = Utc::now();
    let user = profile.user;
    render_varying(&ProfilePage {
        layout: ctx.layout(
            user.name.clone(),
            vec![
                Crumb::link("Latest Discussions", "/latest"),
                Crumb::here(user.name.clone()),
            ],
        ),
        post_count: user.post_count,
        joined: time_format::absolute(user.created_at),
        joined_iso: time_format::machine(user.created_at),
        is_admin: user.is_admin,
        name: user.name,
        recent: profile
            .recent
            .into_iter()
            .map(|r| RecentView {
                id: r.id,
                thread_id: r.thread_id,
                thread_title: r.thread_title,
                excerpt: markdown::excerpt(&r.body_html, 200),
                iso: time_format::machine(r.created_at),
                ago: time_format::relative(r.created_at, now),
            })
            .collect(),
    })
}
