//! Sessions for browsers (cookie) and API clients (bearer token). The secret token is handed to
//! the client once; the database keeps only its SHA-256, so a leaked table opens no session.

use chrono::{Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use stoa_db::ConnectionTrait;
use stoa_db::queries::sessions;

use crate::CoreResult;

/// How a session is carried: decides nothing but lifetime and what lists show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Browser,
    Api,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Browser => "browser",
            SessionKind::Api => "api",
        }
    }
}

/// Browser sessions and API tokens both last 30 days.
pub const SESSION_DAYS: i64 = 30;

/// A new session: the secret token (give it to the client) and its CSRF token.
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub async fn start<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    kind: SessionKind,
) -> CoreResult<NewSession> {
    let token = random_token();
    let csrf_token = random_token();
    let now = Utc::now();
    sessions::insert(
        db,
        sessions::NewSession {
            token_hash: &hash_token(&token),
            user_id,
            kind: kind.as_str(),
            csrf_token: &csrf_token,
            now,
            expires_at: now + Duration::days(SESSION_DAYS),
        },
    )
    .await?;
    Ok(NewSession { token, csrf_token })
}

/// The live session behind a token, with its member and their unread notifications.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    token: &str,
) -> CoreResult<Option<sessions::LiveSession>> {
    // Tokens we hand out are 64 hex characters; anything else cannot match, so skip the query.
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    Ok(sessions::find_live(db, &hash_token(token), Utc::now()).await?)
}

pub async fn end<C: ConnectionTrait>(db: &C, token: &str) -> CoreResult<()> {
    sessions::delete(db, &hash_token(token)).await?;
    Ok(())
}

pub async fn purge_expired<C: ConnectionTrait>(db: &C) -> CoreResult<u64> {
    Ok(sessions::delete_expired(db, Utc::now()).await?)
}
