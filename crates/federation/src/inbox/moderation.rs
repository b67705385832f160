//! Moderation of a forum elsewhere that members here follow, in the shapes Lemmy, PieFed, Mbin
//! and Stoa send inside the forum's `Announce`: a moderator's `Delete` with a `summary` (a
//! removal) and its `Undo`, `Lock` and `Undo{Lock}`. Believed only from an actor the forum's
//! own `moderators` collection (Lemmy's `attributedTo`) lists; then applied to the copy here
//! through core. Admins of that server who are not listed are not
//! believed either.

use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use serde::{Deserialize, Serialize};
use stoa_core::moderation::ElsewhereAct;
use url::Url;

use super::delete::DeletePost;
use super::shared::core_actor;
use crate::data::FedData;
use crate::error::FedError;
use crate::remote::{RemoteForum, RemoteUser};

/// The `type` of a lock.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
pub enum LockType {
    Lock,
}

/// A moderator locks a thread: no more replies (Lemmy's `Lock` of the thread's `Page`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LockThread {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: LockType,
    pub actor: ObjectId<RemoteUser>,
    /// The thread's first post, by id or inline.
    pub object: serde_json::Value,
}

/// A moderator unlocks a thread.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UndoLock {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: activitypub_federation::kinds::activity::UndoType,
    pub actor: ObjectId<RemoteUser>,
    pub object: LockThread,
}

/// A moderator restores a post they (or another moderator) removed.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UndoRemoval {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: activitypub_federation::kinds::activity::UndoType,
    pub actor: ObjectId<RemoteUser>,
    pub object: DeletePost,
}

/// A moderator bans a member from the forum (Lemmy's `Block` with the forum as `target`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BanMember {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: activitypub_federation::kinds::activity::BlockType,
    pub actor: ObjectId<RemoteUser>,
    /// The banned member's actor.
    pub object: Url,
    /// The forum; a `Block` without one is a block of a whole server, not read here.
    pub target: Url,
    #[serde(default)]
    pub summary: Option<String>,
    /// When the ban ends: Lemmy writes `endTime` (older versions `expires`).
    #[serde(default, alias = "expires")]
    pub end_time: Option<chrono::DateTime<chrono::Utc>>,
}

/// A moderator lifts a ban.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UndoBan {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: activitypub_federation::kinds::activity::UndoType,
    pub actor: ObjectId<RemoteUser>,
    pub object: BanMember,
}

/// The `type` of a change to the forum's moderators.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
pub enum ModeratorsChangeType {
    Add,
    Remove,
}

/// A host appointed or dismissed in the forum (`Add` or `Remove` to its `moderators`): taken and
/// left alone, since the collection itself is read whenever a moderator's act is to be believed.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ModeratorsChange {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: ModeratorsChangeType,
    pub actor: Url,
    pub object: Url,
    pub target: Url,
}

/// The forum's actor document, as a moderator's `Update{Group}` names it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct GroupRef {
    #[serde(rename = "type")]
    pub kind: activitypub_federation::kinds::actor::GroupType,
    pub id: Url,
}

/// A moderator rewrote the forum's description (Lemmy's `Update{Group}`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateForum {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: activitypub_federation::kinds::activity::UpdateType,
    pub actor: ObjectId<RemoteUser>,
    pub object: GroupRef,
}

/// Who may moderate a forum elsewhere: the actors its `moderators` collection lists (Lemmy
/// publishes it as `attributedTo`), read from its server each time.
async fn moderators(data: &Data<FedData>, forum: &RemoteForum) -> Result<Vec<Url>, FedError> {
    let document: serde_json::Value =
        activitypub_federation::fetch::fetch_object_http(&forum.id, data)
            .await?
            .object;
    let collection = ["moderators", "attributedTo"]
        .into_iter()
        .filter_map(|key| document.get(key).and_then(|v| v.as_str()))
        .find_map(|url| Url::parse(url).ok());
    let mut listed = Vec::new();
    let Some(collection) = collection else {
        return Ok(listed);
    };
    let items: serde_json::Value =
        activitypub_federation::fetch::fetch_object_http(&collection, data)
            .await?
            .object;
    for key in ["orderedItems", "items"] {
        if let Some(serde_json::Value::Array(entries)) = items.get(key) {
            listed.extend(
                entries
                    .iter()
                    .filter_map(super::shared::object_id_of)
                    .take(1_000),
            );
        }
    }
    Ok(listed)
}

/// The moderator behind an act in a forum elsewhere, once its server says they moderate it.
async fn moderator(
    data: &Data<FedData>,
    forum: &RemoteForum,
    actor: &ObjectId<RemoteUser>,
) -> Result<stoa_core::Actor, FedError> {
    if !moderators(data, forum).await?.contains(actor.inner()) {
        return Err(FedError::Core(stoa_core::CoreError::Forbidden(
            "only the forum's moderators moderate it",
        )));
    }
    Ok(core_actor(&actor.dereference(data).await?))
}

/// The post here with this id, if it is here.
async fn post_here(
    data: &Data<FedData>,
    id: &Url,
) -> Result<Option<stoa_db::post::Model>, FedError> {
    Ok(stoa_db::queries::posts::by_ap_id(&data.db, id.as_str()).await?)
}

/// Whether a `Delete` of a post is a moderator's removal: the post here is someone else's.
pub(super) async fn is_removal(
    data: &Data<FedData>,
    delete: &DeletePost,
) -> Result<bool, FedError> {
    let Some(post) = post_here(data, &delete.object_id()?).await? else {
        return Ok(false);
    };
    let author = stoa_db::queries::users::by_id(&data.db, post.author_id).await?;
    Ok(author.and_then(|a| a.ap_id).as_deref() != Some(delete.actor.inner().as_str()))
}

/// How a jury's verdict begins where a forum announces it.
const JURY_PREFIX: &str = "Hidden by a jury of members: ";

/// A moderator's removal of a post in the forum, or the forum's own (a jury's verdict).
pub(super) async fn removal(
    data: &Data<FedData>,
    forum: &RemoteForum,
    delete: &DeletePost,
) -> Result<(), FedError> {
    let Some(post) = post_here(data, &delete.object_id()?).await? else {
        return Ok(());
    };
    let reason = delete.summary.as_deref().unwrap_or_default();
    // The forum's own removal is a jury's verdict (Stoa's extension; see FEDERATION.md): the
    // forum signed the announcement, so it is the forum's word.
    if delete.actor.inner() == &forum.id {
        let act = ElsewhereAct::Remove {
            post_id: post.id,
            reason: reason.strip_prefix(JURY_PREFIX).unwrap_or(reason),
            jury: true,
        };
        stoa_core::moderation::act_from_elsewhere(&data.db, forum.row.id, None, act).await?;
        return Ok(());
    }
    let moderator = moderator(data, forum, &delete.actor).await?;
    let act = ElsewhereAct::Remove {
        post_id: post.id,
        reason,
        jury: false,
    };
    stoa_core::moderation::act_from_elsewhere(&data.db, forum.row.id, Some(&moderator), act)
        .await?;
    Ok(())
}

/// A moderator's restore of a removed post.
pub(super) async fn restore(
    data: &Data<FedData>,
    forum: &RemoteForum,
    undo: &UndoRemoval,
) -> Result<(), FedError> {
    let Some(post) = post_here(data, &undo.object.object_id()?).await? else {
        return Ok(());
    };
    let moderator = moderator(data, forum, &undo.actor).await?;
    let act = ElsewhereAct::Restore { post_id: post.id };
    stoa_core::moderation::act_from_elsewhere(&data.db, forum.row.id, Some(&moderator), act)
        .await?;
    Ok(())
}

/// A moderator's lock (or unlock) of a thread.
pub(super) async fn lock(
    data: &Data<FedData>,
    forum: &RemoteForum,
    lock: &LockThread,
    locked: bool,
    actor: &ObjectId<RemoteUser>,
) -> Result<(), FedError> {
    let id = super::shared::object_id_of(&lock.object)
        .ok_or_else(|| FedError::Rejected("Lock without an object id".into()))?;
    let Some(post) = post_here(data, &id).await? else {
        return Ok(());
    };
    let moderator = moderator(data, forum, actor).await?;
    let act = ElsewhereAct::Lock {
        thread_id: post.thread_id,
        locked,
    };
    stoa_core::moderation::act_from_elsewhere(&data.db, forum.row.id, Some(&moderator), act)
        .await?;
    Ok(())
}

/// A moderator's ban of a member here from the forum (`Some`), or its lifting.
pub(super) async fn ban(
    data: &Data<FedData>,
    forum: &RemoteForum,
    ban: &BanMember,
    lifted: bool,
    actor: &ObjectId<RemoteUser>,
) -> Result<(), FedError> {
    if ban.target != forum.id {
        return Err(FedError::Rejected(
            "a forum announces bans from itself only".into(),
        ));
    }
    let Some(name) = data.urls.user_name_of(&ban.object) else {
        // Someone of another server: their server hears it from the forum itself.
        return Ok(());
    };
    let Some(member) = stoa_db::queries::users::by_name(&data.db, name).await? else {
        return Ok(());
    };
    let moderator = moderator(data, forum, actor).await?;
    let terms = stoa_core::moderation::Ban {
        reason: ban.summary.as_deref().unwrap_or_default(),
        until: ban.end_time,
    };
    stoa_core::moderation::ban_from_elsewhere(
        &data.db,
        forum.row.id,
        &moderator,
        member.id,
        (!lifted).then_some(terms),
    )
    .await?;
    Ok(())
}

/// A moderator's rewrite of the forum's description: the forum is read again from its server,
/// so its name and statement of purpose here are what it says now, not what the activity says.
pub(super) async fn forum_updated(
    data: &Data<FedData>,
    forum: &RemoteForum,
    update: &UpdateForum,
) -> Result<(), FedError> {
    if update.object.id != forum.id {
        return Err(FedError::Rejected(
            "a forum announces changes to itself only".into(),
        ));
    }
    moderator(data, forum, &update.actor).await?;
    ObjectId::<RemoteForum>::from(forum.id.clone())
        .dereference_forced(data)
        .await?;
    Ok(())
}
