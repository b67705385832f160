//! What several inbound handlers read the same way: the forum or post a URL names, the core
//! actor of a remote member, ids given inline or by reference.

use activitypub_federation::config::Data;
use serde::Deserialize;
use stoa_core::replies::ReplyTarget;
use stoa_db::forum;
use stoa_db::queries::forums;
use url::Url;

use crate::data::FedData;
use crate::error::FedError;
use crate::remote::RemoteUser;

/// Whether an error is a unique-key violation: something stored concurrently already.
pub(super) fn is_duplicate(err: &FedError) -> bool {
    let db = match err {
        FedError::Database(e) | FedError::Core(stoa_core::CoreError::Database(e)) => e,
        _ => return false,
    };
    stoa_db::is_unique_violation(db)
}

/// The local forum a URL names, if any.
pub(super) async fn local_forum(
    data: &Data<FedData>,
    url: &Url,
) -> Result<Option<forum::Model>, FedError> {
    if !data.urls.is_local(url) {
        return Ok(None);
    }
    match url.path().strip_prefix("/f/") {
        Some(slug) if !slug.contains('/') => {
            Ok(forums::by_slug(&data.db, slug).await?.filter(|f| f.local))
        }
        _ => Ok(None),
    }
}

/// The post a URL names: one of ours (`/t/ID`, `/p/ID`) or one that came from elsewhere.
pub(crate) async fn find_post(
    data: &Data<FedData>,
    url: &Url,
) -> Result<Option<stoa_db::post::Model>, FedError> {
    use stoa_db::queries::{posts, threads};
    if data.urls.is_local(url) {
        return match reply_target(&data.urls, url) {
            Some(ReplyTarget::Thread(id)) => {
                match threads::by_id(&data.db, id)
                    .await?
                    .and_then(|t| t.starter_post_id)
                {
                    Some(starter) => Ok(posts::by_id(&data.db, starter).await?),
                    None => Ok(None),
                }
            }
            Some(ReplyTarget::Post(id) | ReplyTarget::InThread { post_id: id, .. }) => {
                Ok(posts::by_id(&data.db, id).await?)
            }
            None => Ok(None),
        };
    }
    Ok(stoa_db::queries::posts::by_ap_id(&data.db, url.as_str()).await?)
}

/// Where a reply to one of our own thread or post URLs goes, known without reading anything.
pub(super) fn reply_target(urls: &crate::urls::Urls, url: &Url) -> Option<ReplyTarget> {
    if !urls.is_local(url) {
        return None;
    }
    let path = url.path();
    let id = |prefix: &str| path.strip_prefix(prefix)?.parse::<i64>().ok();
    id("/t/")
        .map(ReplyTarget::Thread)
        .or_else(|| id("/p/").map(ReplyTarget::Post))
}

/// A remote member as the author of a core write.
pub(super) fn core_actor(user: &RemoteUser) -> stoa_core::Actor {
    stoa_core::Actor {
        id: user.row.id,
        name: user.row.name.clone(),
        is_admin: false,
    }
}

/// The id of an object given inline or by reference.
pub(super) fn object_id_of(value: &serde_json::Value) -> Option<Url> {
    match value {
        serde_json::Value::String(s) => Url::parse(s).ok(),
        serde_json::Value::Object(map) => map
            .get("id")
            .and_then(|v| v.as_str())
            .and_then(|s| Url::parse(s).ok()),
        _ => None,
    }
}

/// A URL given as itself or as an object carrying it in `id`.
pub(super) fn id_or_object<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Url, D::Error> {
    let value = serde_json::Value::deserialize(deserializer)?;
    object_id_of(&value)
        .ok_or_else(|| serde::de::Error::custom("expected a URL or an object with an id"))
}
