//! `Follow` and `Undo{Follow}` of a forum here by someone elsewhere.

use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::kinds::activity::{FollowType, UndoType};
use activitypub_federation::protocol::verification::verify_urls_match;
use activitypub_federation::traits::Activity;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use stoa_core::follows;
use url::Url;

use super::shared::local_forum;
use crate::data::FedData;
use crate::error::FedError;
use crate::remote::RemoteUser;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Follow {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: FollowType,
    pub actor: ObjectId<RemoteUser>,
    pub object: Url,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UndoFollow {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: UndoType,
    pub actor: ObjectId<RemoteUser>,
    pub object: Follow,
}

#[async_trait::async_trait]
impl Activity for Follow {
    activity_basics!();

    async fn verify(&self, data: &Data<FedData>) -> Result<(), FedError> {
        if local_forum(data, &self.object).await?.is_none() {
            return Err(FedError::NotFound(format!("no forum {}", self.object)));
        }
        Ok(())
    }

    /// The forum here gains a follower and accepts (see [`follows::add_follower`]).
    async fn receive(self, data: &Data<FedData>) -> Result<(), FedError> {
        let follower = self.actor.dereference(data).await?;
        let forum = local_forum(data, &self.object)
            .await?
            .ok_or_else(|| FedError::NotFound(self.object.to_string()))?;
        follows::add_follower(
            &data.db,
            forum.id,
            follower.row.id,
            self.id.as_str(),
            Utc::now(),
        )
        .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl Activity for UndoFollow {
    activity_basics!();

    /// Only the follower undoes their Follow.
    async fn verify(&self, _data: &Data<FedData>) -> Result<(), FedError> {
        verify_urls_match(self.actor.inner(), self.object.actor.inner())?;
        Ok(())
    }

    async fn receive(self, data: &Data<FedData>) -> Result<(), FedError> {
        let follower = self.actor.dereference(data).await?;
        if let Some(forum) = local_forum(data, &self.object.object).await? {
            follows::remove_follower(&data.db, forum.id, follower.row.id).await?;
        }
        Ok(())
    }
}
