//! `Update` of a post (its text, a thread's title) and of an actor's profile.

use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::protocol::verification::{verify_domains_match, verify_urls_match};
use activitypub_federation::traits::{Activity, Object};
use serde::{Deserialize, Serialize};
use stoa_db::queries::forums;
use url::Url;

use super::post::Post;
use super::shared::core_actor;
use crate::data::FedData;
use crate::error::FedError;
use crate::remote::{RemoteActor, RemoteForum, RemoteUser};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdatePost {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: activitypub_federation::kinds::activity::UpdateType,
    pub actor: ObjectId<RemoteUser>,
    pub object: Post,
    /// The activity as it arrived, kept to be re-broadcast as it came (set by `inbound`).
    #[serde(skip)]
    pub received: Option<String>,
}

#[async_trait::async_trait]
impl Activity for UpdatePost {
    activity_basics!();

    async fn verify(&self, _data: &Data<FedData>) -> Result<(), FedError> {
        self.object.verify_author(self.actor.inner())
    }

    async fn receive(self, data: &Data<FedData>) -> Result<(), FedError> {
        let Some(post) =
            stoa_db::queries::posts::by_ap_id(&data.db, self.object.id.as_str()).await?
        else {
            return Err(FedError::NotFound(self.object.id.to_string()));
        };
        let author = self.actor.dereference(data).await?;
        // A thread's first post carries its title (a `Page`'s `name`); a `Note` without one
        // keeps the title it was given.
        let title = match (&self.object.name, post.parent_id) {
            (Some(_), None) => Some(self.object.title()),
            _ => None,
        };
        // The core service checks that the post is the author's own.
        stoa_core::posts::edit_post_with(
            &data.db,
            &core_actor(&author),
            post.id,
            self.object
                .content(&data.urls)?
                .with_origin(self.received.clone()),
            title.as_deref(),
        )
        .await?;
        Ok(())
    }
}

/// An actor of another server changed its profile (name, avatar, key, description).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateActor {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: activitypub_federation::kinds::activity::UpdateType,
    pub actor: ObjectId<RemoteActor>,
    pub object: crate::remote::ActorDocument,
}

#[async_trait::async_trait]
impl Activity for UpdateActor {
    activity_basics!();

    /// Only an actor changes itself.
    async fn verify(&self, _data: &Data<FedData>) -> Result<(), FedError> {
        verify_urls_match(self.actor.inner(), &self.object.id)?;
        verify_domains_match(&self.object.inbox, self.actor.inner())?;
        if self.object.public_key.owner != self.object.id {
            return Err(FedError::Rejected(
                "the key belongs to another actor".into(),
            ));
        }
        Ok(())
    }

    /// Stored anew if it is someone Stoa knows; strangers are not collected.
    async fn receive(self, data: &Data<FedData>) -> Result<(), FedError> {
        let id = self.object.id.as_str();
        if stoa_db::queries::users::by_ap_id(&data.db, id)
            .await?
            .is_some_and(|u| !u.local)
        {
            data.actors.forget(id);
            RemoteUser::from_json(self.object, data).await?;
        } else if forums::by_ap_id(&data.db, id)
            .await?
            .is_some_and(|f| !f.local)
        {
            RemoteForum::from_json(self.object, data).await?;
        }
        Ok(())
    }
}
