//! `Create` of a post: a new thread in a forum, or a reply placed under its parent (fetching
//! unknown ancestors first), stored by core's thread and reply services.

use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::protocol::verification::verify_urls_match;
use activitypub_federation::traits::Activity;
use serde::{Deserialize, Serialize};
use stoa_core::replies::{NewReply, ReplyTarget};
use stoa_db::forum;
use url::Url;

use super::post::Post;
use super::shared::{core_actor, find_post, is_duplicate, local_forum, reply_target};
use crate::data::FedData;
use crate::error::FedError;
use crate::remote::RemoteUser;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePost {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: activitypub_federation::kinds::activity::CreateType,
    pub actor: ObjectId<RemoteUser>,
    pub object: Post,
    /// The activity as it arrived, kept to be re-broadcast as it came (set by `inbound`).
    #[serde(skip)]
    pub received: Option<String>,
}

/// How many unknown ancestors of a reply are fetched before giving up: enough for a
/// conversation that started elsewhere to be joined in the middle, and a bound on a reply loop.
pub const MAX_PARENT_FETCHES: usize = 8;

/// The post a reply answers: found here, or fetched from its server together with its own
/// unknown ancestors (at most `MAX_PARENT_FETCHES` deep) and stored in the tree first. `None`
/// when the chain does not reach one of our threads.
async fn resolve_parent(
    data: &Data<FedData>,
    url: &Url,
    depth: usize,
    via: Option<&forum::Model>,
) -> Result<Option<stoa_db::post::Model>, FedError> {
    if let Some(found) = find_post(data, url).await? {
        return Ok(Some(found));
    }
    if depth >= MAX_PARENT_FETCHES || data.urls.is_local(url) {
        return Ok(None);
    }
    let fetched: Post = activitypub_federation::fetch::fetch_object_http(url, data)
        .await?
        .object;
    // The object must be where it says it is, and be written by someone of that server.
    verify_urls_match(&fetched.id, url)?;
    let Some(author_url) = fetched.author() else {
        return Err(FedError::Rejected(format!("{url} names no author")));
    };
    fetched.verify_author(&author_url)?;
    let author = ObjectId::<RemoteUser>::from(author_url);
    let Some(grandparent) = fetched.in_reply_to.clone() else {
        // The top of a conversation: a thread of a remote forum followed here (whose
        // re-broadcast led to it) is started from it; otherwise the chain ends elsewhere.
        let Some(forum) = via else {
            return Ok(None);
        };
        let author = author.dereference(data).await?;
        let created = stoa_core::posts::create_thread_with(
            &data.db,
            &core_actor(&author),
            &forum.slug,
            &fetched.title(),
            fetched.content(&data.urls)?,
        )
        .await?;
        return Ok(stoa_db::queries::posts::by_id(&data.db, created.post_id).await?);
    };
    let Some(grandparent) = Box::pin(resolve_parent(data, &grandparent, depth + 1, via)).await?
    else {
        return Ok(None);
    };
    let author = author.dereference(data).await?;
    let stored = stoa_core::replies::reply_one(
        &data.db,
        NewReply {
            author: core_actor(&author),
            target: ReplyTarget::Post(grandparent.id),
            content: fetched.content(&data.urls)?,
        },
    )
    .await?;
    Ok(stoa_db::queries::posts::by_id(&data.db, stored.post_id).await?)
}

#[async_trait::async_trait]
impl Activity for CreatePost {
    activity_basics!();

    async fn verify(&self, _data: &Data<FedData>) -> Result<(), FedError> {
        self.object.verify_author(self.actor.inner())
    }

    /// A reply to one of our threads or posts lands under its parent, whoever it was addressed
    /// to (Mastodon addresses the parent's author, not the forum). The same post twice is
    /// stored once.
    async fn receive(self, data: &Data<FedData>) -> Result<(), FedError> {
        self.receive_in(data, None).await
    }
}

impl CreatePost {
    /// Stores the post; `via` is the remote forum whose re-broadcast brought it, where a new
    /// thread goes. The same post arriving twice at once (a forum's `Announce{Create}` and its
    /// plain `Announce` of the same post) is stored once: the second insert finds the first.
    pub(super) async fn receive_in(
        self,
        data: &Data<FedData>,
        via: Option<&forum::Model>,
    ) -> Result<(), FedError> {
        let id = self.object.id.clone();
        match self.store(data, via).await {
            Err(err)
                if is_duplicate(&err)
                    && stoa_db::queries::posts::by_ap_id(&data.db, id.as_str())
                        .await?
                        .is_some() =>
            {
                Ok(())
            }
            other => other,
        }
    }

    async fn store(self, data: &Data<FedData>, via: Option<&forum::Model>) -> Result<(), FedError> {
        if data.urls.is_local(&self.object.id) {
            return Ok(());
        }
        let Some(parent_url) = &self.object.in_reply_to else {
            if stoa_db::queries::posts::by_ap_id(&data.db, self.object.id.as_str())
                .await?
                .is_some()
            {
                return Ok(());
            }
            return self.start_thread(data, via).await;
        };
        let target = match reply_target(&data.urls, parent_url) {
            Some(target) => target,
            None => {
                let parent = resolve_parent(data, parent_url, 0, via)
                    .await?
                    .ok_or_else(|| FedError::NotFound(format!("no post {parent_url} here")))?;
                ReplyTarget::Post(parent.id)
            }
        };
        let author = self.actor.dereference(data).await?;
        // Stored with the other replies arriving now; a post already stored is not stored twice.
        data.replies
            .reply(NewReply {
                author: core_actor(&author),
                target,
                content: self
                    .object
                    .content(&data.urls)?
                    .with_origin(self.received.clone()),
            })
            .await
            .map_err(|err| match err {
                stoa_core::CoreError::NotFound(_) => {
                    FedError::NotFound(format!("no post {parent_url} here"))
                }
                other => other.into(),
            })?;
        Ok(())
    }
}

impl CreatePost {
    /// A post that answers nothing starts a thread: in the remote forum that re-broadcast it,
    /// or in the one of our forums it names.
    async fn start_thread(
        self,
        data: &Data<FedData>,
        via: Option<&forum::Model>,
    ) -> Result<(), FedError> {
        let mut forum = via.cloned();
        for url in self.object.addressed() {
            if forum.is_some() {
                break;
            }
            if let Some(found) = local_forum(data, &url).await? {
                forum = Some(found);
                break;
            }
        }
        let Some(forum) = forum else {
            return Err(FedError::Rejected(
                "a new thread must address or mention one of this server's forums".into(),
            ));
        };
        let author = self.actor.dereference(data).await?;
        let title = self.object.title();
        let content = self
            .object
            .content(&data.urls)?
            .with_origin(self.received.clone());
        stoa_core::posts::create_thread_with(
            &data.db,
            &core_actor(&author),
            &forum.slug,
            &title,
            content,
        )
        .await?;
        Ok(())
    }
}
