//! `Like` of a post and its `Undo`, counted once per actor by core; `Dislike` (a Lemmy
//! downvote) and its `Undo`, taken and left alone: a forum here has no downvotes.

use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::kinds::activity::UndoType;
use activitypub_federation::protocol::verification::verify_urls_match;
use activitypub_federation::traits::Activity;
use serde::{Deserialize, Serialize};
use url::Url;

use super::shared::{core_actor, find_post, id_or_object};
use crate::data::FedData;
use crate::error::FedError;
use crate::remote::RemoteUser;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LikePost {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: activitypub_federation::kinds::activity::LikeType,
    pub actor: ObjectId<RemoteUser>,
    /// The liked post's id; some servers (NodeBB) embed the whole post.
    #[serde(deserialize_with = "id_or_object")]
    pub object: Url,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UndoLike {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: UndoType,
    pub actor: ObjectId<RemoteUser>,
    pub object: LikePost,
}

#[async_trait::async_trait]
impl Activity for LikePost {
    activity_basics!();

    async fn verify(&self, _data: &Data<FedData>) -> Result<(), FedError> {
        Ok(())
    }

    /// Counts the like on the post, once per actor.
    async fn receive(self, data: &Data<FedData>) -> Result<(), FedError> {
        let post = find_post(data, &self.object)
            .await?
            .ok_or_else(|| FedError::NotFound(self.object.to_string()))?;
        let liker = self.actor.dereference(data).await?;
        stoa_core::posts::like(
            &data.db,
            &core_actor(&liker),
            post.id,
            Some(self.id.as_str()),
        )
        .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl Activity for UndoLike {
    activity_basics!();

    /// Only the actor who liked takes the like back.
    async fn verify(&self, _data: &Data<FedData>) -> Result<(), FedError> {
        verify_urls_match(self.actor.inner(), self.object.actor.inner())?;
        Ok(())
    }

    async fn receive(self, data: &Data<FedData>) -> Result<(), FedError> {
        let Some(post) = find_post(data, &self.object.object).await? else {
            return Ok(());
        };
        let liker = self.actor.dereference(data).await?;
        stoa_core::posts::unlike(
            &data.db,
            &core_actor(&liker),
            post.id,
            Some(self.object.id.as_str()),
        )
        .await?;
        Ok(())
    }
}

/// A downvote (Lemmy's `Dislike`). Stoa has none: members say what they think in replies, so
/// the vote is acknowledged and dropped, never counted as anything.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DislikePost {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: activitypub_federation::kinds::activity::DislikeType,
    pub actor: ObjectId<RemoteUser>,
    #[serde(deserialize_with = "id_or_object")]
    pub object: Url,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UndoDislike {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: UndoType,
    pub actor: ObjectId<RemoteUser>,
    pub object: DislikePost,
}

#[async_trait::async_trait]
impl Activity for DislikePost {
    activity_basics!();

    async fn verify(&self, _data: &Data<FedData>) -> Result<(), FedError> {
        Ok(())
    }

    async fn receive(self, _data: &Data<FedData>) -> Result<(), FedError> {
        tracing::debug!(activity = %self.id, "a downvote, left alone: forums here have none");
        Ok(())
    }
}

#[async_trait::async_trait]
impl Activity for UndoDislike {
    activity_basics!();

    async fn verify(&self, _data: &Data<FedData>) -> Result<(), FedError> {
        verify_urls_match(self.actor.inner(), self.object.actor.inner())?;
        Ok(())
    }

    async fn receive(self, _data: &Data<FedData>) -> Result<(), FedError> {
        Ok(())
    }
}
