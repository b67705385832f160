//! `Delete` of a post by its author's server, or of an account by itself.

use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::traits::Activity;
use serde::{Deserialize, Serialize};
use url::Url;

use super::shared::core_actor;
use crate::data::FedData;
use crate::error::FedError;
use crate::remote::RemoteUser;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletePost {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: activitypub_federation::kinds::activity::DeleteType,
    pub actor: ObjectId<RemoteUser>,
    /// The deleted object's id, or the object (often a `Tombstone`) with its id.
    pub object: serde_json::Value,
    /// Why, when a moderator removed the post (Lemmy's removal is a `Delete` with a summary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The activity as it arrived, kept to be re-broadcast as it came (set by `inbound`).
    #[serde(skip)]
    pub received: Option<String>,
}

#[async_trait::async_trait]
impl Activity for DeletePost {
    activity_basics!();

    /// A post is deleted by its author's server; an actor only by itself.
    async fn verify(&self, data: &Data<FedData>) -> Result<(), FedError> {
        let id = self.object_id()?;
        activitypub_federation::protocol::verification::verify_domains_match(
            &id,
            self.actor.inner(),
        )?;
        if &id != self.actor.inner()
            && stoa_db::queries::users::by_ap_id(&data.db, id.as_str())
                .await?
                .is_some()
        {
            return Err(FedError::Rejected("only a person deletes itself".into()));
        }
        Ok(())
    }

    async fn receive(self, data: &Data<FedData>) -> Result<(), FedError> {
        let id = self.object_id()?;
        if &id == self.actor.inner() {
            return self.remove_actor(data).await;
        }
        let Some(post) = stoa_db::queries::posts::by_ap_id(&data.db, id.as_str()).await? else {
            // Not here: nothing to do.
            return Ok(());
        };
        let author = self.actor.dereference(data).await?;
        if post.deleted_at.is_some() {
            return Ok(());
        }
        stoa_core::posts::delete_post_with(
            &data.db,
            &core_actor(&author),
            post.id,
            self.received.clone(),
        )
        .await?;
        Ok(())
    }
}

impl DeletePost {
    /// A member of another server deleted their account.
    async fn remove_actor(&self, data: &Data<FedData>) -> Result<(), FedError> {
        let actor = self.actor.inner().as_str();
        data.actors.forget(actor);
        if let Some(member) = stoa_db::queries::users::by_ap_id(&data.db, actor)
            .await?
            .filter(|u| !u.local)
        {
            let removed = stoa_core::accounts::remove_remote_member(&data.db, &member).await?;
            tracing::info!(
                actor,
                posts = removed,
                "a remote member deleted their account"
            );
        }
        Ok(())
    }

    pub(super) fn object_id(&self) -> Result<Url, FedError> {
        let text = match &self.object {
            serde_json::Value::String(s) => Some(s.as_str()),
            serde_json::Value::Object(map) => map.get("id").and_then(|v| v.as_str()),
            _ => None,
        };
        text.and_then(|t| Url::parse(t).ok())
            .ok_or_else(|| FedError::Rejected("Delete without an object id".into()))
    }
}
