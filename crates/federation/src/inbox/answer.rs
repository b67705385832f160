//! `Accept` or `Reject` of a member's Follow by the forum elsewhere it was sent to.

use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::traits::Activity;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use stoa_core::follows;
use stoa_db::queries::{forums, subscriptions};
use url::Url;

use super::shared::object_id_of;
use crate::data::FedData;
use crate::error::FedError;
use crate::remote::RemoteForum;

/// `Accept` or `Reject`: a remote forum's answer to a member's Follow.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
pub enum AnswerKind {
    Accept,
    Reject,
}

/// A remote forum accepting or rejecting the Follow of a member here.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowAnswer {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: AnswerKind,
    pub actor: ObjectId<RemoteForum>,
    /// The Follow: embedded, or only its id.
    pub object: serde_json::Value,
}

impl FollowAnswer {
    /// The subscription the answer is about; only the followed forum answers.
    async fn subscription(
        &self,
        data: &Data<FedData>,
    ) -> Result<stoa_db::forum_subscription::Model, FedError> {
        let follow_id = object_id_of(&self.object)
            .ok_or_else(|| FedError::Rejected("the answer names no Follow".into()))?;
        let subscription = match subscriptions::by_follow_id(&data.db, follow_id.as_str()).await? {
            Some(found) => Some(found),
            // A Follow sent again has a new id; an answer to an earlier one, with the Follow
            // embedded, still names who follows what.
            None => self.subscription_of_embedded_follow(data).await?,
        };
        let subscription = subscription
            .ok_or_else(|| FedError::NotFound(format!("no Follow {follow_id} pending here")))?;
        let forum = forums::by_id(&data.db, subscription.forum_id).await?;
        if forum.and_then(|f| f.ap_id).as_deref() != Some(self.actor.inner().as_str()) {
            return Err(FedError::Rejected(
                "only the followed forum answers a Follow".into(),
            ));
        }
        Ok(subscription)
    }
}

impl FollowAnswer {
    /// The subscription of the member named as the embedded Follow's `actor` to the forum
    /// named as its `object`, which must be the forum answering.
    async fn subscription_of_embedded_follow(
        &self,
        data: &Data<FedData>,
    ) -> Result<Option<stoa_db::forum_subscription::Model>, FedError> {
        let field = |name: &str| {
            self.object
                .get(name)
                .and_then(|v| v.as_str())
                .and_then(|s| Url::parse(s).ok())
        };
        let (Some(follower), Some(followed)) = (field("actor"), field("object")) else {
            return Ok(None);
        };
        if &followed != self.actor.inner() {
            return Ok(None);
        }
        let Some(name) = data.urls.user_name_of(&follower) else {
            return Ok(None);
        };
        let member = stoa_db::queries::users::by_name(&data.db, name).await?;
        let forum = forums::by_ap_id(&data.db, followed.as_str()).await?;
        let (Some(member), Some(forum)) = (member.filter(|m| m.local), forum) else {
            return Ok(None);
        };
        Ok(subscriptions::get(&data.db, forum.id, member.id).await?)
    }
}

#[async_trait::async_trait]
impl Activity for FollowAnswer {
    activity_basics!();

    async fn verify(&self, data: &Data<FedData>) -> Result<(), FedError> {
        self.subscription(data).await.map(|_| ())
    }

    async fn receive(self, data: &Data<FedData>) -> Result<(), FedError> {
        let subscription = self.subscription(data).await?;
        match self.kind {
            AnswerKind::Accept => {
                follows::follow_answered(&data.db, &subscription, true, Utc::now()).await?;
                // The forum's history, so that following it does not start from an empty page:
                // brought in the background, the Accept is answered now.
                crate::backfill::start_forum(data, subscription.forum_id).await?;
            }
            AnswerKind::Reject => {
                follows::follow_answered(&data.db, &subscription, false, Utc::now()).await?;
            }
        }
        Ok(())
    }
}
