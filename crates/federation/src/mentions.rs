//! Mentions of people of other servers (`@name@host`) in posts written here: their handles are
//! resolved before the post is written (WebFinger, then their actor document, kept as members
//! here), so that the post's `Mention` tags name them and its `Create` reaches their inboxes.

use activitypub_federation::config::Data;
use activitypub_federation::fetch::webfinger::webfinger_resolve_actor;
use stoa_db::queries::users;
use stoa_db::{ConnectionTrait, DbErr, user};

use crate::data::FedData;
use crate::remote::RemoteUser;

/// How long resolving a post's handles may take in all: a post is not held up by slow servers.
const RESOLVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Resolves the handles of people elsewhere a member's markdown mentions, best effort: a handle
/// that does not resolve is left as words.
pub async fn resolve(data: &Data<FedData>, markdown: &str) {
    let all = async {
        for handle in stoa_core::notifications::mentioned_elsewhere(markdown) {
            let known = users::by_name(&data.db, &handle).await.ok().flatten();
            if known.is_some_and(|u| !u.local) {
                continue;
            }
            if let Err(e) = webfinger_resolve_actor::<FedData, RemoteUser>(&handle, data).await {
                tracing::debug!(%handle, error = %e, "a mentioned handle did not resolve");
            }
        }
    };
    if tokio::time::timeout(RESOLVE_TIMEOUT, all).await.is_err() {
        tracing::debug!("resolving a post's mentions took too long");
    }
}

/// The people elsewhere a post here mentions, as they are known here (see [`resolve`]): one
/// statement, and none for a post that names nobody elsewhere.
pub async fn mentioned<C: ConnectionTrait>(
    db: &C,
    markdown: &str,
) -> Result<Vec<user::Model>, DbErr> {
    let handles = stoa_core::notifications::mentioned_elsewhere(markdown);
    if handles.is_empty() {
        return Ok(Vec::new());
    }
    Ok(users::remote_by_names(db, &handles)
        .await?
        .into_iter()
        .filter(|u| u.ap_id.is_some())
        .collect())
}
