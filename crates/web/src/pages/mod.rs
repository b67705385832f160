//! Server-rendered HTML pages. They work without JavaScript: every action is a link or a form.

pub mod accounts;
pub mod admin;
pub mod federation_admin;
pub mod forums;
pub mod juries;
pub mod layout;
pub mod moderation;
pub mod notifications;
pub mod threads;

use askama::Template;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::auth::{SignedIn, Viewer};
use crate::csrf;
use crate::error::PageError;
use crate::state::AppState;
use layout::{Crumb, Layout};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(forums::index))
        .route("/latest", get(forums::latest))
        .route("/f/{slug}", get(forums::forum))
        .route(
            "/f/{slug}/new",
            get(threads::new_thread_form).post(threads::create_thread),
        )
        .route("/f/{slug}/follow", get(forums::follow_from_elsewhere))
        .route("/f/{slug}/subscription", post(forums::subscription))
        .route("/follow", get(forums::follow_form).post(forums::follow))
        .route("/t/{id}", get(threads::thread))
        .route(
            "/t/{id}/reply",
            get(threads::reply_form).post(threads::reply),
        )
        .route("/p/{id}/edit", get(threads::edit_form).post(threads::edit))
        .route(
            "/p/{id}/delete",
            get(threads::delete_form).post(threads::delete),
        )
        .route("/p/{id}/revisions", get(threads::revisions))
        .route("/t/{id}/lock", post(moderation::lock))
        .route(
            "/t/{id}/move",
            get(moderation::move_form).post(moderation::move_thread),
        )
        .route(
            "/p/{id}/remove",
            get(moderation::remove_form).post(moderation::remove),
        )
        .route("/p/{id}/restore", post(moderation::restore))
        .route("/f/{slug}/hosts", post(moderation::hosts))
        .route("/f/{slug}/modlog", get(moderation::forum_log))
        .route("/f/{slug}/purpose", post(moderation::purpose))
        .route(
            "/f/{slug}/bans",
            get(moderation::bans).post(moderation::ban),
        )
        .route("/modlog", get(moderation::instance_log))
        .route("/p/{id}/alert", get(juries::alert_form).post(juries::alert))
        .route("/jury", get(juries::duties))
        .route("/jury/{id}", get(juries::case).post(juries::vote))
        .route("/alerts/{id}", get(juries::verdict))
        .route("/notifications", get(notifications::list))
        .route("/notifications/settings", post(notifications::settings))
        .route("/admin", get(admin::overview))
        .route("/admin/site", post(admin::site))
        .route("/admin/applications/{id}", post(admin::application))
        .route("/admin/suspensions", post(admin::suspension))
        .route("/admin/domains", post(admin::domain))
        .route("/admin/federation", get(federation_admin::overview))
        .route("/admin/federation/retry", post(federation_admin::retry))
        .route("/p/{id}/like", post(threads::like))
        .route("/u/{name}", get(accounts::profile))
        .route(
            "/register",
            get(accounts::register_form).post(accounts::register),
        )
        .route("/login", get(accounts::login_form).post(accounts::login))
        .route("/logout", post(accounts::logout))
        .route("/static/style.css", get(stylesheet))
}

const STYLESHEET: &str = include_str!("../../static/style.css");

/// The stylesheet's address with a fingerprint of its content: browsers may cache it for long,
/// and a new version of Stoa still reaches them at once.
pub static STYLESHEET_HREF: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    STYLESHEET.hash(&mut hasher);
    format!("/static/style.css?v={:016x}", hasher.finish())
});

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=604800"),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// The 404 page for any address that matches no route.
pub async fn not_found() -> PageError {
    PageError::NotFound
}

/// What a page handler needs besides its own inputs: state, the member, and request headers.
pub struct PageCtx {
    pub state: AppState,
    pub viewer: Viewer,
    pub headers: HeaderMap,
    /// The signed-in member's unread notifications, for the header.
    pub unread: u64,
}

impl<S> FromRequestParts<S> for PageCtx
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let viewer = Viewer::from_request_parts(parts, state).await?;
        let unread = viewer.0.as_ref().map_or(0, |member| member.unread);
        Ok(PageCtx {
            state: AppState::from_ref(state),
            viewer,
            headers: parts.headers.clone(),
            unread,
        })
    }
}

impl PageCtx {
    pub fn layout(&self, title: impl Into<String>, mut crumbs: Vec<Crumb>) -> Layout {
        // Every page's breadcrumbs start at Latest Discussions, the forum's front door.
        if crumbs
            .first()
            .is_none_or(|c| c.label != "Latest Discussions")
        {
            crumbs.insert(0, Crumb::link("Latest Discussions", "/latest"));
        }
        Layout {
            site_name: self.state.config.site_name.clone(),
            stylesheet: STYLESHEET_HREF.as_str(),
            title: title.into(),
            crumbs,
            viewer: self.viewer.name().map(str::to_owned),
            admin: self.viewer.0.as_ref().is_some_and(|s| s.member.is_admin),
            unread: self.unread,
            csrf: self
                .viewer
                .0
                .as_ref()
                .map(|s| s.csrf_token.clone())
                .unwrap_or_default(),
        }
    }

    /// The signed-in member, or a redirect to the login page that comes back to `return_to`.
    pub fn require_member(&self, return_to: &str) -> Result<&SignedIn, PageError> {
        self.viewer
            .0
            .as_ref()
            .ok_or_else(|| PageError::SignInRequired {
                return_to: return_to.to_owned(),
            })
    }

    /// Checks the CSRF token a submitted form carried.
    pub fn verify_csrf(&self, submitted: &str) -> Result<(), PageError> {
        csrf::verify(&self.headers, &self.viewer, submitted)
    }

    /// A CSRF token for a form a guest may fill in, with the cookie to set if new.
    pub fn guest_form_token(&self) -> csrf::FormToken {
        csrf::form_token(
            &self.headers,
            &self.viewer,
            self.state.config.secure_cookies(),
        )
    }
}

/// Renders a template into a 200 page.
pub fn render(template: &impl Template) -> Result<Response, PageError> {
    Ok(Html(template.render()?).into_response())
}

/// Renders a page whose URL also answers `application/activity+json`: caches must key on `Accept`.
pub fn render_varying(template: &impl Template) -> Result<Response, PageError> {
    let mut response = render(template)?;
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(response)
}

/// Renders a form again with the status that says why it was not accepted.
pub fn render_with_status(
    status: StatusCode,
    template: &impl Template,
) -> Result<Response, PageError> {
    Ok((status, Html(template.render()?)).into_response())
}

/// Adds a `Set-Cookie` header when there is one.
pub fn with_cookie(mut response: Response, cookie: Option<String>) -> Response {
    if let Some(cookie) = cookie
        && let Ok(value) = HeaderValue::from_str(&cookie)
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// A form body; a malformed one becomes a 400 page instead of axum's plain-text rejection.
pub struct PageForm<T>(pub T);

impl<S, T> FromRequest<S> for PageForm<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Form::<T>::from_request(req, state).await {
            Ok(Form(value)) => Ok(PageForm(value)),
            Err(rejection) => Err(PageError::BadRequest(rejection.body_text())),
        }
    }
}

/// `?page=N` on paginated lists; pages count from 1.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    pub page: Option<u64>,
}

impl PageQuery {
    pub fn number(&self) -> u64 {
        self.page.unwrap_or(1).max(1)
    }
}

/// Where a redirect after a form goes: only paths on this site, never another host.
pub fn safe_return_path(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/"
    }
}
