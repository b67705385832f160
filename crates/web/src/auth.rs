//! Who is asking: the signed-in member behind a session cookie or an API bearer token.
//!
//! Sessions live in the database (web nodes stay stateless). The cookie is HttpOnly and
//! SameSite=Lax, and Secure when the instance is served over https.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use cookie::{Cookie, SameSite};
use stoa_core::{Actor, sessions};

use crate::error::PageError;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "stoa_session";

/// How a request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    Cookie,
    Bearer,
}

/// A signed-in member, as found from the request.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// Who they are, as core's services take them.
    pub member: Actor,
    pub csrf_token: String,
    pub credential: Credential,
    pub token: String,
    /// Unread notifications, read with the session.
    pub unread: u64,
}

impl SignedIn {
    pub fn actor(&self) -> Actor {
        self.member.clone()
    }
}

/// The member behind the request, if any. Never rejects: pages render for guests too.
#[derive(Debug, Clone)]
pub struct Viewer(pub Option<SignedIn>);

impl Viewer {
    pub fn name(&self) -> Option<&str> {
        self.0.as_ref().map(|s| s.member.name.as_str())
    }
}

/// Reads one cookie from the request's `Cookie` headers.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

fn bearer_token(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

impl<S> FromRequestParts<S> for Viewer
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(viewer) = parts.extensions.get::<Viewer>() {
            return Ok(viewer.clone());
        }
        let state = AppState::from_ref(state);
        let found = match (
            bearer_token(parts),
            cookie_value(&parts.headers, SESSION_COOKIE),
        ) {
            (Some(token), _) => Some((token, Credential::Bearer)),
            (None, Some(token)) => Some((token, Credential::Cookie)),
            (None, None) => None,
        };
        let viewer = match found {
            None => Viewer(None),
            Some((token, credential)) => {
                let session = sessions::find(&state.db, &token).await?;
                Viewer(session.map(|session| SignedIn {
                    member: Actor {
                        id: session.user_id,
                        name: session.name,
                        is_admin: session.is_admin,
                    },
                    csrf_token: session.csrf_token,
                    credential,
                    token,
                    unread: u64::try_from(session.unread).unwrap_or_default(),
                }))
            }
        };
        parts.extensions.insert(viewer.clone());
        Ok(viewer)
    }
}

/// The `Set-Cookie` value that starts a browser session.
pub fn session_cookie(token: &str, secure: bool) -> String {
    Cookie::build((SESSION_COOKIE, token.to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::days(sessions::SESSION_DAYS))
        .build()
        .to_string()
}

/// The `Set-Cookie` value that ends a browser session.
pub fn clear_session_cookie(secure: bool) -> String {
    Cookie::build((SESSION_COOKIE, ""))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::ZERO)
        .build()
        .to_string()
}
