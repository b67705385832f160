//! `Announce` by a forum elsewhere that a member here follows: what happens in it (FEP-1b12),
//! each announced activity handled by its own module once it is believed.

use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::traits::Activity;
use serde::{Deserialize, Serialize};
use stoa_db::forum;
use stoa_db::queries::subscriptions;
use url::Url;

use super::create::CreatePost;
use super::delete::DeletePost;
use super::like::{DislikePost, LikePost, UndoDislike, UndoLike};
use super::moderation::{
    self, BanMember, LockThread, ModeratorsChange, UndoBan, UndoLock, UndoRemoval, UpdateForum,
};
use super::post::{Post, fetch_post};
use super::update::UpdatePost;
use crate::data::FedData;
use crate::error::FedError;
use crate::remote::RemoteForum;

/// A remote forum re-broadcasting what happens in it (FEP-1b12): an activity of one of its
/// members (`Create`, `Update`, `Delete`, `Like`, `Undo{Like}`), a moderator's (a removal,
/// `Lock`, and their `Undo`), or a post by reference.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Announce {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: activitypub_federation::kinds::activity::AnnounceType,
    pub actor: ObjectId<RemoteForum>,
    pub object: serde_json::Value,
}

/// What a forum re-broadcasts.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Announced {
    Create(CreatePost),
    // Before `Update`, whose loose post would take a `Group` too.
    UpdateForum(UpdateForum),
    Update(UpdatePost),
    Delete(DeletePost),
    Like(LikePost),
    UndoLike(UndoLike),
    Dislike(DislikePost),
    UndoDislike(UndoDislike),
    Lock(LockThread),
    UndoLock(UndoLock),
    UndoRemoval(UndoRemoval),
    Ban(BanMember),
    UndoBan(UndoBan),
    ModeratorsChange(ModeratorsChange),
    LeftAlone(LeftAlone),
    /// A post by reference or inline (Lemmy's and Stoa's plain `Announce{Page}`).
    Post(Post),
    Reference(Url),
}

/// What a forum re-broadcasts that concerns nothing shown here: a report resolved on its
/// server (`Resolve`), a moderator's warning to one of its members (`Warn`, Lemmy).
#[derive(Debug, Deserialize)]
struct LeftAlone {
    #[serde(rename = "type")]
    kind: LeftAloneKind,
}

#[derive(Debug, Deserialize)]
enum LeftAloneKind {
    Resolve,
    Warn,
}

impl Announce {
    /// What the forum re-broadcast, read from the activity.
    fn announced(&self) -> Result<Announced, FedError> {
        let announced: Announced = serde_json::from_value(self.object.clone()).map_err(|_| {
            FedError::Rejected(format!(
                "a re-broadcast {} is not something Stoa reads",
                kind_name(&self.object)
            ))
        })?;
        if let Announced::Post(post) = &announced
            && post.kind == crate::objects::PostKind::Other
        {
            return Err(FedError::Rejected(format!(
                "a re-broadcast {} is not a post",
                kind_name(&self.object)
            )));
        }
        Ok(announced)
    }

    /// Names what was re-broadcast (`Create{post}`, `post`, `link` …), or why it is refused.
    pub fn describe(&self) -> Result<&'static str, String> {
        Ok(match self.announced().map_err(|e| e.to_string())? {
            Announced::Create(_) => "Create{post}",
            Announced::Update(_) => "Update{post}",
            Announced::UpdateForum(_) => "Update{Group}",
            Announced::Delete(_) => "Delete",
            Announced::Like(_) => "Like",
            Announced::UndoLike(_) => "Undo{Like}",
            Announced::Dislike(_) => "Dislike",
            Announced::UndoDislike(_) => "Undo{Dislike}",
            Announced::Lock(_) => "Lock",
            Announced::UndoLock(_) => "Undo{Lock}",
            Announced::UndoRemoval(_) => "Undo{Delete}",
            Announced::Ban(_) => "Block",
            Announced::ModeratorsChange(_) => "Add or Remove",
            Announced::LeftAlone(LeftAlone {
                kind: LeftAloneKind::Resolve,
            }) => "Resolve (left alone)",
            Announced::LeftAlone(LeftAlone {
                kind: LeftAloneKind::Warn,
            }) => "Warn (left alone)",
            Announced::UndoBan(_) => "Undo{Block}",
            Announced::Post(_) => "post",
            Announced::Reference(_) => "link",
        })
    }

    /// The remote forum, if a member here follows it: only then are its threads kept here.
    async fn followed_forum(&self, data: &Data<FedData>) -> Result<RemoteForum, FedError> {
        let forum = self.actor.dereference(data).await?;
        if subscriptions::count_for_forum(&data.db, forum.row.id).await? == 0 {
            return Err(FedError::Rejected(format!(
                "no one here follows {}",
                self.actor.inner()
            )));
        }
        Ok(forum)
    }
}

/// An object's `type` (the first, if several), for messages.
fn kind_name(value: &serde_json::Value) -> String {
    match value.get("type") {
        Some(serde_json::Value::String(kind)) => kind.clone(),
        Some(serde_json::Value::Array(kinds)) => kinds
            .first()
            .and_then(|k| k.as_str())
            .unwrap_or("object")
            .to_owned(),
        _ if value.is_string() => "link".into(),
        _ => "object".into(),
    }
}

#[async_trait::async_trait]
impl Activity for Announce {
    activity_basics!();

    async fn verify(&self, data: &Data<FedData>) -> Result<(), FedError> {
        self.followed_forum(data).await.map(|_| ())
    }

    /// The forum's server vouches (by its signature) only for what its own members did; what
    /// came from a third server is fetched from there before it is believed.
    async fn receive(self, data: &Data<FedData>) -> Result<(), FedError> {
        let forum = self.followed_forum(data).await?;
        let via = Some(&forum.row);
        let announced = self.announced()?;
        let vouched = |activity: &Url, actor: &Url| {
            activitypub_federation::protocol::verification::verify_domains_match(
                activity,
                self.actor.inner(),
            )
            .and_then(|()| {
                activitypub_federation::protocol::verification::verify_domains_match(
                    actor,
                    self.actor.inner(),
                )
            })
            .is_ok()
        };
        match announced {
            Announced::Create(mut create) => {
                if data.urls.is_local(create.actor.inner()) {
                    return Ok(());
                }
                if !vouched(&create.id, create.actor.inner()) {
                    create.object = fetch_post(data, &create.object.id).await?;
                }
                create.verify(data).await?;
                create.receive_in(data, via).await
            }
            Announced::Update(mut update) => {
                if data.urls.is_local(update.actor.inner()) {
                    return Ok(());
                }
                if !vouched(&update.id, update.actor.inner()) {
                    update.object = fetch_post(data, &update.object.id).await?;
                }
                update.verify(data).await?;
                update.receive(data).await
            }
            Announced::Delete(delete) => {
                if data.urls.is_local(delete.actor.inner()) {
                    return Ok(());
                }
                // Someone else's post: a moderator's removal, not a deletion.
                if moderation::is_removal(data, &delete).await? {
                    return moderation::removal(data, &forum, &delete).await;
                }
                if !vouched(&delete.id, delete.actor.inner()) {
                    // Believed only once the post is gone from its own server.
                    let id = delete.object_id()?;
                    match activitypub_federation::fetch::fetch_object_http::<_, Post>(&id, data)
                        .await
                    {
                        Err(
                            activitypub_federation::error::Error::NotFound
                            | activitypub_federation::error::Error::ObjectDeleted(_),
                        ) => {}
                        _ => {
                            return Err(FedError::Rejected(format!(
                                "{id} is still there: the deletion is not believed"
                            )));
                        }
                    }
                }
                delete.verify(data).await?;
                delete.receive(data).await
            }
            Announced::Like(like) => {
                if data.urls.is_local(like.actor.inner()) || !vouched(&like.id, like.actor.inner())
                {
                    // Likes from third servers reach us from those servers, if at all.
                    return Ok(());
                }
                like.verify(data).await?;
                like.receive(data).await
            }
            Announced::UndoLike(undo) => {
                if data.urls.is_local(undo.actor.inner()) || !vouched(&undo.id, undo.actor.inner())
                {
                    return Ok(());
                }
                undo.verify(data).await?;
                undo.receive(data).await
            }
            // Taken, and left alone by their own module: a forum here has no downvotes.
            Announced::Dislike(dislike) => dislike.receive(data).await,
            Announced::UndoDislike(undo) => undo.receive(data).await,
            Announced::Lock(lock) => moderation::lock(data, &forum, &lock, true, &lock.actor).await,
            Announced::UndoLock(undo) => {
                moderation::lock(data, &forum, &undo.object, false, &undo.actor).await
            }
            Announced::UndoRemoval(undo) => moderation::restore(data, &forum, &undo).await,
            Announced::Ban(ban) => moderation::ban(data, &forum, &ban, false, &ban.actor).await,
            // Taken and left alone: the forum's collection is read when it matters.
            Announced::ModeratorsChange(change) => {
                if crate::remote::same_server(&change.target, &forum.id) {
                    Ok(())
                } else {
                    Err(FedError::Rejected(
                        "a forum announces changes to its own moderators only".into(),
                    ))
                }
            }
            Announced::LeftAlone(_) => Ok(()),
            Announced::UpdateForum(update) => {
                moderation::forum_updated(data, &forum, &update).await
            }
            Announced::UndoBan(undo) => {
                moderation::ban(data, &forum, &undo.object, true, &undo.actor).await
            }
            Announced::Post(post) => announced_post(data, &forum.row, post.id).await,
            Announced::Reference(id) => announced_post(data, &forum.row, id).await,
        }
    }
}

/// A post a remote forum shared by reference: stored in that forum as if its author had sent
/// it, after fetching it from its own server, unless it is here already.
pub(crate) async fn announced_post(
    data: &Data<FedData>,
    forum: &forum::Model,
    id: Url,
) -> Result<(), FedError> {
    fetch_and_store(data, forum, id).await.map(|_| ())
}

/// Fetches a post of a forum elsewhere from its own server and stores it there, as if its
/// author had sent it (its thread, or its place under its parent, fetching unknown ancestors).
/// `None` when it is here already, or is this server's own: nothing is fetched then.
pub(crate) async fn fetch_and_store(
    data: &Data<FedData>,
    forum: &forum::Model,
    id: Url,
) -> Result<Option<Post>, FedError> {
    if data.urls.is_local(&id)
        || stoa_db::queries::posts::by_ap_id(&data.db, id.as_str())
            .await?
            .is_some()
    {
        return Ok(None);
    }
    let post = fetch_post(data, &id).await?;
    store_fetched(data, forum, post.clone()).await?;
    Ok(Some(post))
}

/// Stores a post fetched from its own server in a forum elsewhere, as if its author had sent
/// it.
pub(crate) async fn store_fetched(
    data: &Data<FedData>,
    forum: &forum::Model,
    post: Post,
) -> Result<(), FedError> {
    let author = post
        .author()
        .ok_or_else(|| FedError::Rejected(format!("{} names no author", post.id)))?;
    let create = CreatePost {
        id: post.id.clone(),
        kind: activitypub_federation::kinds::activity::CreateType::Create,
        actor: ObjectId::from(author),
        object: post,
        received: None,
    };
    create.receive_in(data, Some(forum)).await
}
