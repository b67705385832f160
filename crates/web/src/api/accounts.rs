//! API: accounts, sessions (bearer tokens) and member profiles.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use stoa_core::safety::{self, SignUp};
use stoa_core::sessions::SessionKind;
use stoa_core::{CoreError, accounts, posts, sessions};
use utoipa::ToSchema;

use super::{ApiJson, ApiMember};
use crate::error::{ApiError, ApiErrorBody};
use crate::rate_limit::client_address;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

/// What a new account needs: the credentials, and the answer to the site's question when
/// registration needs an admin's approval.
#[derive(Deserialize, ToSchema)]
pub struct NewAccount {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub answer: String,
}

/// An application waiting for an admin.
#[derive(Serialize, ToSchema)]
pub struct ApplicationReceived {
    pub name: String,
    /// Always `pending`.
    pub status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct AccountCreated {
    pub id: i64,
    pub name: String,
    pub url: String,
}

/// Registers a member — or, when registration needs approval, files an application (202).
#[utoipa::path(post, path = "/api/v1/accounts", request_body = NewAccount,
    responses(
        (status = 201, body = AccountCreated),
        (status = 202, description = "an application awaits an admin", body = ApplicationReceived),
        (status = 403, description = "registration is closed", body = ApiErrorBody),
        (status = 409, description = "name taken", body = ApiErrorBody),
        (status = 422, description = "invalid name, password or answer", body = ApiErrorBody)))]
pub async fn create_account(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<NewAccount>,
) -> Result<Response, ApiError> {
    let signed_up =
        safety::sign_up(&state.db, &input.username, &input.password, &input.answer).await?;
    Ok(match signed_up {
        SignUp::Member(user) => (
            StatusCode::CREATED,
            Json(AccountCreated {
                id: user.id,
                url: state.config.absolute(&format!("/u/{}", user.name)),
                name: user.name,
            }),
        )
            .into_response(),
        SignUp::Applied => (
            StatusCode::ACCEPTED,
            Json(ApplicationReceived {
                name: input.username.trim().to_owned(),
                status: "pending",
            }),
        )
            .into_response(),
    })
}

#[derive(Serialize, ToSchema)]
pub struct SessionCreated {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_in_days: i64,
}

/// Logs in: returns a bearer token.
#[utoipa::path(post, path = "/api/v1/sessions", request_body = Credentials,
    responses(
        (status = 201, body = SessionCreated),
        (status = 401, description = "wrong username or password", body = ApiErrorBody),
        (status = 429, description = "too many failed attempts", body = ApiErrorBody)))]
pub async fn create_session(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<Credentials>,
) -> Result<(StatusCode, Json<SessionCreated>), ApiError> {
    let address = client_address(&state, &headers, peer);
    if let Some(wait) = state.login_limiter.retry_after(&input.username, address) {
        let mut err = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "too many failed logins; retry in {} s",
                wait.as_secs().max(1)
            ),
        );
        err.retry_after = Some(wait);
        return Err(err);
    }
    match accounts::authenticate(&state.db, &input.username, &input.password).await {
        Ok(user) => {
            let session = sessions::start(&state.db, user.id, SessionKind::Api).await?;
            Ok((
                StatusCode::CREATED,
                Json(SessionCreated {
                    token: session.token,
                    expires_in_days: sessions::SESSION_DAYS,
                }),
            ))
        }
        Err(CoreError::InvalidCredentials) => {
            state.login_limiter.record_failure(&input.username, address);
            Err(CoreError::InvalidCredentials.into())
        }
        Err(err) => Err(err.into()),
    }
}

/// Logs out: the token stops working.
#[utoipa::path(delete, path = "/api/v1/sessions", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ApiErrorBody)))]
pub async fn end_session(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
) -> Result<StatusCode, ApiError> {
    sessions::end(&state.db, &member.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct UserPost {
    pub id: i64,
    pub thread_id: i64,
    pub thread_title: String,
    pub body_html: String,
    pub created_at: DateTime<Utc>,
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserProfile {
    pub name: String,
    pub local: bool,
    pub post_count: i64,
    pub joined_at: DateTime<Utc>,
    pub is_admin: bool,
    pub url: String,
    pub recent_posts: Vec<UserPost>,
}

/// A member's profile with their recent posts.
#[utoipa::path(get, path = "/api/v1/users/{name}",
    params(("name" = String, Path, description = "username")),
    responses((status = 200, body = UserProfile), (status = 404, body = ApiErrorBody)))]
pub async fn user(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<UserProfile>, ApiError> {
    let profile = posts::profile(&state.db, &name).await?;
    let user = profile.user;
    Ok(Json(UserProfile {
        url: state.config.absolute(&format!("/u/{}", user.name)),
        name: user.name,
        local: user.local,
        post_count: user.post_count,
        joined_at: user.created_at,
        is_admin: user.is_admin,
        recent_posts: profile
            .recent
            .into_iter()
            .map(|p| UserPost {
                url: state
                    .config
                    .absolute(&format!("/t/{}#p{}", p.thread_id, p.id)),
                id: p.id,
                thread_id: p.thread_id,
                thread_title: p.thread_title,
                body_html: p.body_html,
                created_at: p.created_at,
            })
            .collect(),
    }))
}
