//! Authorized fetch (`STOA_AUTHORIZED_FETCH=1`): an ActivityPub GET must carry a valid HTTP
//! signature, checked by the same module as inbox POSTs, so only servers that identify
//! themselves can read this server's documents. WebFinger, NodeInfo and the instance actor stay
//! open (servers need them to find keys). An unsigned request for a member's or forum's actor
//! document gets only what verifying that actor's signatures needs — id, type, name, inbox and
//! public key — as Mastodon does, so servers that fetch keys unsigned can still read our posts.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use stoa_federation::signatures;

use crate::error::ApiError;
use crate::federation::asks_for_activity_json;
use crate::state::AppState;

/// Largest actor document trimmed for an unsigned key fetch.
const MAX_ACTOR_DOCUMENT: usize = 64 * 1024;

/// The middleware: passes through what needs no signature, checks the rest.
pub async fn require_signature(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD)
        || !asks_for_activity_json(request.headers())
        || is_open(request.uri().path())
    {
        return next.run(request).await;
    }
    let data = state.federation.to_request_data();
    let verified = {
        let signed = signatures::Request {
            method: request.method(),
            uri: request.uri(),
            headers: request.headers(),
            body: None,
        };
        stoa_federation::inbound::verify_signer(&data, &signed).await
    };
    match verified {
        Ok(_) => next.run(request).await,
        Err(err) if is_actor(request.uri().path()) => {
            tracing::debug!(error = %err, "unsigned actor fetch gets the key only");
            key_only(next.run(request).await).await
        }
        Err(err) => {
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", err.to_string()).into_response()
        }
    }
}

/// Paths every server may read unsigned.
fn is_open(path: &str) -> bool {
    path.starts_with("/.well-known/")
        || path.starts_with("/nodeinfo/")
        || path == "/actor"
        || path == "/"
}

/// `/u/{name}` or `/f/{slug}`: an actor's own document.
fn is_actor(path: &str) -> bool {
    let mut parts = path.trim_start_matches('/').split('/');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some("u" | "f"), Some(name), None) if !name.is_empty()
    )
}

/// An actor document cut down to what verifying its signatures needs.
async fn key_only(response: Response) -> Response {
    if !response.status().is_success() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ACTOR_DOCUMENT).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Ok(serde_json::Value::Object(document)) = serde_json::from_slice(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let kept: serde_json::Map<String, serde_json::Value> = document
        .into_iter()
        .filter(|(key, _)| {
            matches!(
                key.as_str(),
                "@context" | "id" | "type" | "preferredUsername" | "inbox" | "publicKey"
            )
        })
        .collect();
    let mut parts = parts;
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(
        parts,
        Body::from(serde_json::Value::Object(kept).to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actor_paths() {
        assert!(is_actor("/u/alice"));
        assert!(is_actor("/f/books"));
        assert!(!is_actor("/f/books/outbox"));
        assert!(!is_actor("/t/1"));
        assert!(!is_actor("/u/"));
        assert!(is_open("/.well-known/webfinger"));
        assert!(is_open("/actor"));
        assert!(!is_open("/actor/outbox"));
        assert!(is_open("/"), "the instance actor is served at the root too");
    }
}
