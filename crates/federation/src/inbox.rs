//! Activities other servers send to Stoa's inboxes, verified (signature, digest, origin) by
//! activitypub_federation before they reach these handlers.

use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::kinds::activity::{AcceptType, FollowType, UndoType};
use activitypub_federation::protocol::context::WithContext;
use activitypub_federation::protocol::verification::verify_urls_match;
use activitypub_federation::traits::{Activity, Actor};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use stoa_db::forum;
use stoa_db::queries::{followers, forums};
use url::Url;

use crate::config::FedData;
use crate::delivery::{self, Signer};
use crate::error::FedError;
use crate::remote::RemoteUser;

/// Every activity an inbox understands.
#[derive(Debug, Deserialize, Serialize)]
#[serde(untagged)]
#[enum_delegate::implement(Activity)]
pub enum InboxActivity {
    Follow(Follow),
    UndoFollow(UndoFollow),
}

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

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Accept {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: AcceptType,
    pub actor: Url,
    pub object: Follow,
    pub to: Vec<Url>,
}

/// The local forum a URL names, if any.
async fn local_forum(data: &Data<FedData>, url: &Url) -> Result<Option<forum::Model>, FedError> {
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

/// A fresh id for an activity a local actor sends.
fn activity_id(actor: &Url, kind: &str) -> Result<Url, FedError> {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    Url::parse(&format!("{actor}/activities/{kind}/{}", hex::encode(bytes)))
        .map_err(|e| FedError::Rejected(e.to_string()))
}

#[async_trait::async_trait]
impl Activity for Follow {
    type DataType = FedData;
    type Error = FedError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        self.actor.inner()
    }

    async fn verify(&self, data: &Data<FedData>) -> Result<(), FedError> {
        if local_forum(data, &self.object).await?.is_none() {
            return Err(FedError::NotFound(format!("no forum {}", self.object)));
        }
        Ok(())
    }

    /// Stores the follower and answers with an Accept from the forum, queued for delivery.
    async fn receive(self, data: &Data<FedData>) -> Result<(), FedError> {
        let follower = self.actor.dereference(data).await?;
        let forum = local_forum(data, &self.object)
            .await?
            .ok_or_else(|| FedError::NotFound(self.object.to_string()))?;
        let forum_id = data.urls.forum(&forum.slug);
        let accept = Accept {
            id: activity_id(&forum_id, "accept")?,
            kind: AcceptType::Accept,
            actor: forum_id,
            to: vec![follower.id.clone()],
            object: self.clone(),
        };
        let body = serde_json::to_value(WithContext::new_default(accept))
            .map_err(|e| FedError::Rejected(e.to_string()))?;
        let txn = stoa_db::begin_write(&data.db).await?;
        followers::add(
            &txn,
            forum.id,
            follower.row.id,
            self.id.as_str(),
            Utc::now(),
        )
        .await?;
        delivery::enqueue(&txn, &body, Signer::Forum(forum.id), &[follower.inbox()]).await?;
        stoa_db::TransactionSession::commit(txn).await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl Activity for UndoFollow {
    type DataType = FedData;
    type Error = FedError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        self.actor.inner()
    }

    /// Only the follower undoes their Follow.
    async fn verify(&self, _data: &Data<FedData>) -> Result<(), FedError> {
        verify_urls_match(self.actor.inner(), self.object.actor.inner())?;
        Ok(())
    }

    async fn receive(self, data: &Data<FedData>) -> Result<(), FedError> {
        let follower = self.actor.dereference(data).await?;
        if let Some(forum) = local_forum(data, &self.object.object).await? {
            followers::remove(&data.db, forum.id, follower.row.id).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_parse_with_or_without_context() {
        let bare = r#"{"id":"http://localhost:1/follows/1","type":"Follow","actor":"http://localhost:1/users/remote","object":"http://localhost:2/f/books"}"#;
        let parsed: Result<InboxActivity, _> = serde_json::from_str(bare);
        assert!(matches!(parsed, Ok(InboxActivity::Follow(_))), "{parsed:?}");
    }
}
