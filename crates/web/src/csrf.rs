//! CSRF protection for every form.
//!
//! A signed-in member's forms carry their session's CSRF token (a synchronizer token kept in
//! the sessions table). Forms a guest fills in (register, log in) use a double-submit cookie:
//! a random value in an HttpOnly SameSite=Strict cookie that the form must repeat. Tokens are
//! compared in constant time.

use axum::http::HeaderMap;
use cookie::{Cookie, SameSite};
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::auth::{Viewer, cookie_value};
use crate::error::PageError;

pub const CSRF_COOKIE: &str = "stoa_csrf";
pub const CSRF_FIELD: &str = "csrf";

/// The token a form must carry, and a cookie to set when a guest has none yet.
pub struct FormToken {
    pub token: String,
    pub set_cookie: Option<String>,
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn guest_cookie(token: &str, secure: bool) -> String {
    Cookie::build((CSRF_COOKIE, token.to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .build()
        .to_string()
}

/// The token for a form rendered for this viewer.
pub fn form_token(headers: &HeaderMap, viewer: &Viewer, secure: bool) -> FormToken {
    if let Some(signed_in) = &viewer.0 {
        return FormToken {
            token: signed_in.csrf_token.clone(),
            set_cookie: None,
        };
    }
    match cookie_value(headers, CSRF_COOKIE).filter(|t| t.len() == 64) {
        Some(token) => FormToken {
            token,
            set_cookie: None,
        },
        None => {
            let token = new_token();
            let set_cookie = Some(guest_cookie(&token, secure));
            FormToken { token, set_cookie }
        }
    }
}

/// Compares two tokens in constant time.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Checks the token a submitted form carried.
pub fn verify(headers: &HeaderMap, viewer: &Viewer, submitted: &str) -> Result<(), PageError> {
    let expected = match &viewer.0 {
        Some(signed_in) => Some(signed_in.csrf_token.clone()),
        None => cookie_value(headers, CSRF_COOKIE),
    };
    match expected {
        Some(expected) if !submitted.is_empty() && same(&expected, submitted) => Ok(()),
        _ => Err(PageError::Csrf),
    }
}
