//! The way in for a signed request from another server: its signature is checked and verified
//! (`signatures`) with the key its key id names, then an inbox activity is parsed, its origin
//! checked against the signer, and it is handled. A signed GET (authorized fetch) stops after
//! the signer is known.

use std::time::{Duration, SystemTime};

use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::protocol::verification::verify_domains_match;
use activitypub_federation::traits::{Activity, Actor, Object};

use crate::data::FedData;
use crate::error::FedError;
use crate::inbox::InboxActivity;
use crate::remote::RemoteActor;
use crate::signatures::{self, PublicKey, Scheme};

/// A key that fails to verify is fetched again (it may have been rotated), but not more often
/// than this per actor: a stream of bad signatures must not become a stream of fetches.
const REFETCH_AFTER: Duration = Duration::from_secs(60);

/// Who signed a request, and how.
#[derive(Debug, Clone)]
pub struct Signer {
    pub actor: RemoteActor,
    pub scheme: Scheme,
}

/// Checks a request's signature and verifies it with the signer's key; the signer must be an
/// actor of another server. Every failure is `Unauthorized` (a 401).
pub async fn verify_signer(
    data: &Data<FedData>,
    request: &signatures::Request<'_>,
) -> Result<Signer, FedError> {
    let authority = data.urls.authority();
    let receiver = signatures::Receiver {
        authority: &authority,
        scheme: data.urls.scheme(),
        now: SystemTime::now(),
    };
    let signed = signatures::check(request, &receiver).map_err(unauthorized)?;
    let owner = signed.key_owner();
    if data.urls.is_local(&owner) {
        return Err(FedError::Unauthorized(
            "the key id names an actor of this server".into(),
        ));
    }
    // A blocked server is refused before anything is fetched from it.
    let permitted = data.policy.get(&data.db).await?;
    if !owner.host_str().is_some_and(|host| permitted.permits(host)) {
        return Err(FedError::Core(stoa_core::CoreError::Forbidden(
            "this server does not federate with yours",
        )));
    }
    let id: ObjectId<RemoteActor> = owner.into();
    let actor = id.dereference(data).await.map_err(|e| {
        FedError::Unauthorized(format!("the signer's key could not be fetched: {e}"))
    })?;
    let key = PublicKey::from_pem(actor.public_key_pem()).map_err(unauthorized)?;
    if signed.verify(&key).is_ok() {
        return Ok(Signer {
            actor,
            scheme: signed.scheme,
        });
    }
    let recently = actor
        .last_refreshed_at()
        .is_some_and(|at| (chrono::Utc::now() - at).to_std().unwrap_or_default() < REFETCH_AFTER);
    if recently {
        return Err(FedError::Unauthorized(
            "the signature does not verify".into(),
        ));
    }
    let actor = id.dereference_forced(data).await.map_err(|e| {
        FedError::Unauthorized(format!("the signer's key could not be fetched: {e}"))
    })?;
    let key = PublicKey::from_pem(actor.public_key_pem()).map_err(unauthorized)?;
    signed.verify(&key).map_err(unauthorized)?;
    Ok(Signer {
        actor,
        scheme: signed.scheme,
    })
}

fn unauthorized(err: signatures::SignatureError) -> FedError {
    FedError::Unauthorized(err.0)
}

/// Receives an inbox POST: verifies its signer, parses the activity, checks that the signer is
/// its actor and that its id is on the actor's server, then handles it.
pub async fn receive(
    data: &Data<FedData>,
    request: &signatures::Request<'_>,
) -> Result<Scheme, FedError> {
    let signer = verify_signer(data, request).await?;
    if signer.actor.is_suspended() {
        return Err(FedError::Core(stoa_core::safety::SUSPENDED));
    }
    let body = request.body.unwrap_or_default();
    let mut activity: InboxActivity = serde_json::from_slice(body).map_err(|err| {
        FedError::Rejected(format!(
            "the activity cannot be read: {err} ({})",
            describe(body)
        ))
    })?;
    if activity.actor() != signer.actor.id() {
        return Err(FedError::Unauthorized(format!(
            "the request is signed by {}, not by the activity's actor {}",
            signer.actor.id(),
            activity.actor()
        )));
    }
    verify_domains_match(activity.id(), activity.actor())?;
    data.urls
        .check_remote(activity.id(), data.development)
        .map_err(|why| FedError::Rejected(format!("the activity's id: {why}")))?;
    if let Ok(text) = std::str::from_utf8(body) {
        activity.keep_received(text);
    }
    activity.verify(data).await?;
    activity.receive(data).await?;
    Ok(signer.scheme)
}

/// The type and id of a payload that failed to parse, for the log and the answer.
fn describe(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Head {
        #[serde(rename = "type")]
        kind: Option<serde_json::Value>,
        id: Option<serde_json::Value>,
    }
    match serde_json::from_slice::<Head>(body) {
        Ok(head) => format!(
            "type {}, id {}",
            head.kind.unwrap_or_default(),
            head.id.unwrap_or_default()
        ),
        Err(_) => "not a JSON object".into(),
    }
}
