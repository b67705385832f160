//! API: the admins' instance safety — the site's registration settings, applications to join,
//! suspended members and blocked or allowed servers. Admins only; every act is in the log.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use stoa_core::safety::{self, DomainChange, Registration, SiteChange, Suspension};
use utoipa::ToSchema;

use super::{ApiJson, ApiMember};
use crate::error::{ApiError, ApiErrorBody};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct SiteView {
    /// `open`, `approval` or `closed`.
    #[schema(value_type = String)]
    pub registration: Registration,
    pub registration_question: String,
    /// Federate only with the servers on the allow list.
    pub allowlist: bool,
}

impl From<safety::Site> for SiteView {
    fn from(site: safety::Site) -> Self {
        SiteView {
            registration: site.registration,
            registration_question: site.registration_question,
            allowlist: site.allowlist,
        }
    }
}

/// The site's settings.
#[utoipa::path(get, path = "/api/v1/admin/site", security(("bearer" = [])),
    responses((status = 200, body = SiteView), (status = 403, body = ApiErrorBody)))]
pub async fn site(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
) -> Result<Json<SiteView>, ApiError> {
    if !member.member.is_admin {
        return Err(stoa_core::CoreError::Forbidden("Only admins may do that.").into());
    }
    Ok(Json(safety::site(&state.db).await?.into()))
}

#[derive(Deserialize, ToSchema)]
pub struct SiteInput {
    /// `open`, `approval` or `closed`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub registration: Option<Registration>,
    #[serde(default)]
    pub registration_question: Option<String>,
    #[serde(default)]
    pub allowlist: Option<bool>,
}

/// Changes the site's settings; what is left out stays as it is.
#[utoipa::path(patch, path = "/api/v1/admin/site", request_body = SiteInput,
    security(("bearer" = [])),
    responses((status = 200, body = SiteView), (status = 403, body = ApiErrorBody),
        (status = 422, description = "an empty or too long question", body = ApiErrorBody)))]
pub async fn change_site(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    ApiJson(input): ApiJson<SiteInput>,
) -> Result<Json<SiteView>, ApiError> {
    let change = SiteChange {
        registration: input.registration,
        registration_question: input.registration_question,
        allowlist: input.allowlist,
    };
    let site = safety::change_site(&state.db, &state.policy(), &member.actor(), change).await?;
    Ok(Json(site.into()))
}

#[derive(Serialize, ToSchema)]
pub struct ApplicationView {
    pub id: i64,
    pub name: String,
    pub answer: String,
    pub created_at: DateTime<Utc>,
}

/// Applications awaiting approval, oldest first.
#[utoipa::path(get, path = "/api/v1/admin/applications", security(("bearer" = [])),
    responses((status = 200, body = Vec<ApplicationView>), (status = 403, body = ApiErrorBody)))]
pub async fn applications(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
) -> Result<Json<Vec<ApplicationView>>, ApiError> {
    let pending = safety::applications(&state.db, &member.actor()).await?;
    Ok(Json(
        pending
            .into_iter()
            .map(|a| ApplicationView {
                id: a.id,
                name: a.name,
                answer: a.answer,
                created_at: a.created_at,
            })
            .collect(),
    ))
}

/// Approves an application: the applicant becomes a member and can log in.
#[utoipa::path(post, path = "/api/v1/admin/applications/{id}/approval", security(("bearer" = [])),
    params(("id" = i64, Path, description = "application id")),
    responses((status = 204, description = "approved"), (status = 403, body = ApiErrorBody),
        (status = 404, description = "no such pending application", body = ApiErrorBody)))]
pub async fn approve(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    safety::decide_application(&state.db, &member.actor(), id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Rejects an application.
#[utoipa::path(post, path = "/api/v1/admin/applications/{id}/rejection", security(("bearer" = [])),
    params(("id" = i64, Path, description = "application id")),
    responses((status = 204, description = "rejected"), (status = 403, body = ApiErrorBody),
        (status = 404, description = "no such pending application", body = ApiErrorBody)))]
pub async fn reject(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    safety::decide_application(&state.db, &member.actor(), id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct SuspensionInput {
    /// Why; shown in the instance's log and to the member when they try to log in.
    pub reason: String,
    /// When it ends; none: until lifted.
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
}

/// Suspends a member (`name`, or `name@host` for someone elsewhere): a member here is signed
/// out and cannot log in or post; a member elsewhere is not listened to; the posts of both are
/// hidden. A later suspension replaces an earlier one. Admins cannot be suspended.
#[utoipa::path(post, path = "/api/v1/admin/users/{name}/suspension", request_body = SuspensionInput,
    security(("bearer" = [])),
    params(("name" = String, Path, description = "a member, here or elsewhere")),
    responses((status = 204, description = "suspended"), (status = 403, body = ApiErrorBody),
        (status = 404, description = "no such member", body = ApiErrorBody),
        (status = 422, description = "no reason, or an end in the past", body = ApiErrorBody)))]
pub async fn suspend(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(name): Path<String>,
    ApiJson(input): ApiJson<SuspensionInput>,
) -> Result<StatusCode, ApiError> {
    let terms = Suspension {
        reason: &input.reason,
        until: input.until,
    };
    safety::set_suspension(&state.db, &member.actor(), &name, Some(terms), Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lifts a member's suspension: their posts show again.
#[utoipa::path(delete, path = "/api/v1/admin/users/{name}/suspension", security(("bearer" = [])),
    params(("name" = String, Path, description = "a member, here or elsewhere")),
    responses((status = 204, description = "lifted"), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, description = "not suspended", body = ApiErrorBody)))]
pub async fn unsuspend(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    safety::set_suspension(&state.db, &member.actor(), &name, None, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct SuspensionView {
    pub name: String,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

/// Suspended members, newest first.
#[utoipa::path(get, path = "/api/v1/admin/suspensions", security(("bearer" = [])),
    responses((status = 200, body = Vec<SuspensionView>), (status = 403, body = ApiErrorBody)))]
pub async fn suspensions(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
) -> Result<Json<Vec<SuspensionView>>, ApiError> {
    let rows = safety::suspensions(&state.db, &member.actor()).await?;
    Ok(Json(
        rows.into_iter()
            .map(|(s, name)| SuspensionView {
                name,
                reason: s.reason,
                created_at: s.created_at,
                until: s.expires_at,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema, Default)]
pub struct DomainInput {
    /// Why; shown in the instance's log.
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DomainView {
    pub domain: String,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A body that may be left out: empty, or `null`, is the defaults.
fn optional_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice::<Option<T>>(body)
        .map(Option::unwrap_or_default)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_request", e.to_string()))
}

async fn change(
    state: &AppState,
    member: &crate::auth::SignedIn,
    domain: &str,
    change: DomainChange,
    reason: Option<&str>,
) -> Result<StatusCode, ApiError> {
    let policy = state.policy();
    safety::change_domain(&state.db, &policy, &member.actor(), domain, change, reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn rules(
    state: &AppState,
    member: &crate::auth::SignedIn,
    kind: &str,
) -> Result<Json<Vec<DomainView>>, ApiError> {
    let rules = safety::domain_rules(&state.db, &member.actor()).await?;
    Ok(Json(
        rules
            .into_iter()
            .filter(|r| r.kind == kind)
            .map(|r| DomainView {
                domain: r.domain,
                reason: r.reason,
                created_at: r.created_at,
            })
            .collect(),
    ))
}

/// Blocks a server and its subdomains: nothing is taken from it or sent to it, and its members'
/// posts are hidden here.
#[utoipa::path(put, path = "/api/v1/admin/domain-blocks/{domain}", request_body = DomainInput,
    security(("bearer" = [])),
    params(("domain" = String, Path, description = "a server's domain")),
    responses((status = 204, description = "blocked"), (status = 403, body = ApiErrorBody),
        (status = 422, description = "not a domain", body = ApiErrorBody)))]
pub async fn block_domain(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(domain): Path<String>,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    let input: DomainInput = optional_json(&body)?;
    change(
        &state,
        &member,
        &domain,
        DomainChange::Block,
        input.reason.as_deref(),
    )
    .await
}

/// Lifts a block: the server's members' posts show again.
#[utoipa::path(delete, path = "/api/v1/admin/domain-blocks/{domain}", security(("bearer" = [])),
    params(("domain" = String, Path, description = "a server's domain")),
    responses((status = 204, description = "unblocked"), (status = 403, body = ApiErrorBody),
        (status = 409, description = "not blocked", body = ApiErrorBody)))]
pub async fn unblock_domain(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(domain): Path<String>,
) -> Result<StatusCode, ApiError> {
    change(&state, &member, &domain, DomainChange::Unblock, None).await
}

/// The blocked servers.
#[utoipa::path(get, path = "/api/v1/admin/domain-blocks", security(("bearer" = [])),
    responses((status = 200, body = Vec<DomainView>), (status = 403, body = ApiErrorBody)))]
pub async fn domain_blocks(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
) -> Result<Json<Vec<DomainView>>, ApiError> {
    rules(&state, &member, "block").await
}

/// Adds a server to the allow list (used when the site federates by allow list only).
#[utoipa::path(put, path = "/api/v1/admin/domain-allows/{domain}", request_body = DomainInput,
    security(("bearer" = [])),
    params(("domain" = String, Path, description = "a server's domain")),
    responses((status = 204, description = "allowed"), (status = 403, body = ApiErrorBody),
        (status = 422, description = "not a domain", body = ApiErrorBody)))]
pub async fn allow_domain(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(domain): Path<String>,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    let input: DomainInput = optional_json(&body)?;
    change(
        &state,
        &member,
        &domain,
        DomainChange::Allow,
        input.reason.as_deref(),
    )
    .await
}

/// Takes a server off the allow list.
#[utoipa::path(delete, path = "/api/v1/admin/domain-allows/{domain}", security(("bearer" = [])),
    params(("domain" = String, Path, description = "a server's domain")),
    responses((status = 204, description = "taken off"), (status = 403, body = ApiErrorBody),
        (status = 409, description = "not on the list", body = ApiErrorBody)))]
pub async fn disallow_domain(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
    Path(domain): Path<String>,
) -> Result<StatusCode, ApiError> {
    change(&state, &member, &domain, DomainChange::Disallow, None).await
}

/// The allowed servers.
#[utoipa::path(get, path = "/api/v1/admin/domain-allows", security(("bearer" = [])),
    responses((status = 200, body = Vec<DomainView>), (status = 403, body = ApiErrorBody)))]
pub async fn domain_allows(
    State(state): State<AppState>,
    ApiMember(member): ApiMember,
) -> Result<Json<Vec<DomainView>>, ApiError> {
    rules(&state, &member, "allow").await
}
