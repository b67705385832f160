//! Error responses. Policy: a client-facing error carries a message safe to show (what was wrong
//! and, where there is one, which field); anything internal becomes a bare 500, logged inside
//! the request's span and never shown. Pages answer with an HTML error page, the API with
//! `{"error": "...", "detail": "..."}`.

use std::time::Duration;

use askama::Template;
use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Serialize;
use stoa_core::CoreError;
use stoa_db::DbErr;
use stoa_federation::error::FedError;
use stoa_federation::following::FollowError;

use crate::pages::layout::Layout;

/// What went wrong while serving a page.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("page not found")]
    NotFound,
    #[error("{0}")]
    Forbidden(String),
    #[error("sign in first")]
    SignInRequired { return_to: String },
    #[error("the form expired or came from another site; go back, reload the page and try again")]
    Csrf,
    #[error("too many failed attempts")]
    TooManyRequests(Duration),
    #[error("{0}")]
    BadRequest(String),
    /// Another server, asked on the member's behalf, did not answer usefully.
    #[error("{0}")]
    Upstream(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<CoreError> for PageError {
    fn from(err: CoreError) -> Self {
        match err {
            CoreError::NotFound(_) => PageError::NotFound,
            CoreError::Forbidden(message) => PageError::Forbidden(message.to_owned()),
            CoreError::Refused(message) => PageError::Forbidden(message),
            CoreError::Invalid { .. } | CoreError::Conflict(_) | CoreError::InvalidCredentials => {
                PageError::BadRequest(err.to_string())
            }
            CoreError::Database(e) => PageError::Internal(e.to_string()),
            CoreError::Internal(e) => PageError::Internal(e),
        }
    }
}

impl From<FedError> for PageError {
    fn from(err: FedError) -> Self {
        match err {
            FedError::Core(e) => e.into(),
            FedError::Database(e) => e.into(),
            other => PageError::Internal(other.to_string()),
        }
    }
}

impl From<FollowError> for PageError {
    fn from(err: FollowError) -> Self {
        match err {
            FollowError::BadTarget(_) | FollowError::Local(_) => {
                PageError::BadRequest(err.to_string())
            }
            FollowError::NotFound(_) => PageError::Upstream(err.to_string()),
            FollowError::Federation(e) => e.into(),
        }
    }
}

impl From<DbErr> for PageError {
    fn from(err: DbErr) -> Self {
        PageError::Internal(err.to_string())
    }
}

impl From<askama::Error> for PageError {
    fn from(err: askama::Error) -> Self {
        PageError::Internal(format!("template: {err}"))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: String,
    message: String,
}

fn error_page(status: StatusCode, heading: &str, message: String) -> Response {
    let page = ErrorPage {
        layout: Layout::bare(heading),
        heading: heading.to_owned(),
        message,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "rendering the error page failed");
            (status, heading.to_owned()).into_response()
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::NotFound => error_page(
                StatusCode::NOT_FOUND,
                "Page not found",
                "There is nothing at this address. It may have been moved or deleted.".into(),
            ),
            PageError::Forbidden(message) => {
                error_page(StatusCode::FORBIDDEN, "Not allowed", message)
            }
            PageError::SignInRequired { return_to } => {
                let target = format!("/login?next={}", url_encode(&return_to));
                Redirect::to(&target).into_response()
            }
            PageError::Csrf => error_page(StatusCode::FORBIDDEN, "Form expired", self.to_string()),
            PageError::TooManyRequests(wait) => {
                let mut response = error_page(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many attempts",
                    format!(
                        "Too many failed sign-ins. Try again in {} seconds.",
                        wait.as_secs().max(1)
                    ),
                );
                if let Ok(value) = wait.as_secs().max(1).to_string().parse() {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                response
            }
            PageError::BadRequest(message) => {
                error_page(StatusCode::BAD_REQUEST, "Something is not right", message)
            }
            PageError::Upstream(message) => error_page(
                StatusCode::BAD_GATEWAY,
                "Their server did not answer",
                message,
            ),
            PageError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The server could not finish this request. Please try again.".into(),
                )
            }
        }
    }
}

pub fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// An API error: a status and the JSON body `{"error", "detail"}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub error: &'static str,
    pub detail: String,
    pub retry_after: Option<Duration>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiErrorBody {
    /// A short machine-readable code, such as `not_found` or `invalid`.
    pub error: String,
    /// A sentence for people: what was wrong.
    pub detail: String,
}

impl ApiError {
    pub fn new(status: StatusCode, error: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            error,
            detail: detail.into(),
            retry_after: None,
        }
    }

    pub fn unauthorized() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send a bearer token from POST /api/v1/sessions",
        )
    }

    pub fn not_found(what: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }
}

impl From<CoreError> for ApiError {
    fn from(err: CoreError) -> Self {
        match err {
            CoreError::Invalid { field, message } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("{field}: {message}"),
            ),
            CoreError::NotFound(what) => ApiError::not_found(what),
            CoreError::Forbidden(message) => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
            }
            CoreError::Refused(message) => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
            }
            CoreError::Conflict(message) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", message)
            }
            CoreError::InvalidCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "wrong username or password",
            ),
            CoreError::Database(e) => ApiError::internal(e.to_string()),
            CoreError::Internal(e) => ApiError::internal(e),
        }
    }
}

impl From<PageError> for ApiError {
    fn from(err: PageError) -> Self {
        match err {
            PageError::Internal(e) => ApiError::internal(e),
            other => ApiError::new(StatusCode::BAD_REQUEST, "bad_request", other.to_string()),
        }
    }
}

impl From<FedError> for ApiError {
    fn from(err: FedError) -> Self {
        match err {
            FedError::Core(e) => e.into(),
            FedError::Database(e) => e.into(),
            other => ApiError::internal(other.to_string()),
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        ApiError::internal(err.to_string())
    }
}

impl ApiError {
    fn internal(detail: String) -> Self {
        tracing::error!(%detail, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server could not finish this request",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ApiErrorBody {
            error: self.error.to_owned(),
            detail: self.detail,
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(wait) = self.retry_after
            && let Ok(value) = wait.as_secs().max(1).to_string().parse()
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}
