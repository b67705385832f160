//! Activities other servers send to Stoa's inboxes, verified (signature, digest, origin) by
//! `inbound` before they reach these handlers.

use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::kinds::activity::{AcceptType, FollowType, UndoType};
use activitypub_federation::protocol::context::WithContext;
use activitypub_federation::protocol::verification::{verify_domains_match, verify_urls_match};
use activitypub_federation::traits::{Activity, Actor, Object};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use stoa_core::replies::{NewReply, ReplyTarget};
use stoa_core::text::TextKind;
use stoa_db::forum;
use stoa_db::queries::{followers, forums, subscriptions};
use url::Url;

use crate::config::FedData;
use crate::delivery::{self, Signer};
use crate::error::FedError;
use crate::remote::{RemoteActor, RemoteForum, RemoteUser};

/// What every inbound activity's `Activity` impl has in common: its data and error types, and
/// its `id` and `actor` fields.
macro_rules! activity_basics {
    () => {
        type DataType = FedData;
        type Error = FedError;

        fn id(&self) -> &Url {
            &self.id
        }

        fn actor(&self) -> &Url {
            self.actor.inner()
        }
    };
}

/// Every activity an inbox understands.
#[derive(Debug, Deserialize, Serialize)]
#[serde(untagged)]
#[enum_delegate::implement(Activity)]
pub enum InboxActivity {
    Follow(Follow),
    UndoFollow(UndoFollow),
    CreatePost(CreatePost),
    // Before `UpdatePost`, whose loose object would also take an actor document.
    UpdateActor(UpdateActor),
    UpdatePost(UpdatePost),
    DeletePost(DeletePost),
    Like(LikePost),
    UndoLike(UndoLike),
    FollowAnswer(FollowAnswer),
    Announce(Announce),
}

impl InboxActivity {
    /// Keeps the activity as it arrived where a forum here re-broadcasts it: a post, its edit
    /// or its deletion, sent on as its author's server made it.
    pub fn keep_received(&mut self, body: &str) {
        let received = Some(body.to_owned());
        match self {
            InboxActivity::CreatePost(create) => create.received = received,
            InboxActivity::UpdatePost(update) => update.received = received,
            InboxActivity::DeletePost(delete) => delete.received = received,
            _ => {}
        }
    }
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

/// Whether an error is a unique-key violation: something stored concurrently already.
fn is_duplicate(err: &FedError) -> bool {
    let db = match err {
        FedError::Database(e) | FedError::Core(stoa_core::CoreError::Database(e)) => e,
        _ => return false,
    };
    stoa_db::is_unique_violation(db)
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
    activity_basics!();

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
    activity_basics!();

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

/// A post as other servers send it (`Note`, `Page` or `Article`): only what Stoa reads.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostIn {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub attributed_to: serde_json::Value,
    #[serde(default)]
    pub in_reply_to: Option<Url>,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub source: Option<serde_json::Value>,
    /// A thread's title (`Page`, `Article`); a `Note` has none.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub to: serde_json::Value,
    #[serde(default)]
    pub cc: serde_json::Value,
    #[serde(default)]
    pub audience: serde_json::Value,
    #[serde(default)]
    pub tag: serde_json::Value,
    /// When it was written; kept loose, as a malformed time should not lose the post.
    #[serde(default)]
    pub published: serde_json::Value,
    /// Images and links; a link post (Lemmy) carries its link as a `Link`.
    #[serde(default)]
    pub attachment: serde_json::Value,
}

/// Every URL in a one-or-many field (strings, or objects with `id` or `href`).
fn urls_in(value: &serde_json::Value) -> Vec<Url> {
    match value {
        serde_json::Value::String(s) => Url::parse(s).into_iter().collect(),
        serde_json::Value::Object(map) => map
            .get("id")
            .or_else(|| map.get("href"))
            .map(urls_in)
            .unwrap_or_default(),
        serde_json::Value::Array(items) => items.iter().flat_map(urls_in).collect(),
        _ => Vec::new(),
    }
}

/// Longest title taken from a post's first line.
const DERIVED_TITLE_CHARS: usize = 120;
/// How much of a post's HTML is looked at for a title.
const TITLE_SOURCE_BYTES: usize = 4 * 1024;

impl PostIn {
    /// Everyone and everything the post names: addressees, audience and mentions.
    fn addressed(&self) -> Vec<Url> {
        [&self.audience, &self.to, &self.cc, &self.tag]
            .into_iter()
            .flat_map(urls_in)
            .collect()
    }

    /// The thread title: the post's `name`, or its text's first line (a `Note` has no name).
    fn title(&self) -> String {
        if let Some(name) = self
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            return stoa_core::text::clean(
                name,
                stoa_core::limits::TITLE_MAX_CHARS,
                TextKind::Line,
            );
        }
        // The title comes from the start of the post: the rest is never read for it.
        let html = self.content.as_deref().unwrap_or_default();
        let mut head = html.len().min(TITLE_SOURCE_BYTES);
        while !html.is_char_boundary(head) {
            head -= 1;
        }
        let html = &html[..head];
        let first_block = html
            .split("</p>")
            .find(|block| !stoa_core::markdown::excerpt(block, 10).is_empty())
            .unwrap_or(html);
        let mut title = stoa_core::markdown::excerpt(first_block, DERIVED_TITLE_CHARS);
        if title.is_empty() {
            title = "Untitled".into();
        }
        title
    }

    /// The author: `attributedTo` may be a URL, an object or a list of either.
    fn author(&self) -> Option<Url> {
        fn first(value: &serde_json::Value) -> Option<Url> {
            match value {
                serde_json::Value::String(s) => Url::parse(s).ok(),
                serde_json::Value::Object(map) => map.get("id").and_then(first),
                serde_json::Value::Array(items) => items.iter().find_map(first),
                _ => None,
            }
        }
        first(&self.attributed_to)
    }

    /// The markdown source, when the sender gave one.
    fn markdown(&self) -> Option<&str> {
        let source = self.source.as_ref()?;
        let is_markdown = source.get("mediaType").and_then(|m| m.as_str()) == Some("text/markdown");
        is_markdown
            .then(|| source.get("content").and_then(|c| c.as_str()))
            .flatten()
    }

    /// The link of a link post: the first `Link` attachment with an http or https `href`.
    fn link(&self) -> Option<&str> {
        let attachments = match &self.attachment {
            serde_json::Value::Array(items) => items.as_slice(),
            single @ serde_json::Value::Object(_) => std::slice::from_ref(single),
            _ => &[],
        };
        attachments
            .iter()
            .filter(|a| a.get("type").and_then(|t| t.as_str()) == Some("Link"))
            .filter_map(|a| a.get("href").and_then(|h| h.as_str()))
            .find(|href| href.starts_with("https://") || href.starts_with("http://"))
    }

    fn content(&self) -> Result<stoa_core::posts::Content, FedError> {
        let written_at = self
            .published
            .as_str()
            .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
            .map(|at| at.with_timezone(&Utc));
        let content = stoa_core::posts::Content::remote(
            self.content.as_deref().unwrap_or_default(),
            self.markdown(),
            self.id.as_str(),
        )?
        .with_written_at(written_at);
        // A link that is not one a page can show is left out, not the post with it.
        Ok(match content.clone().with_link(self.link()) {
            Ok(with_link) => with_link,
            Err(_) => content,
        })
    }

    /// Only the author may create, change or delete their post, and only on their own server.
    fn verify_author(&self, actor: &Url) -> Result<(), FedError> {
        activitypub_federation::protocol::verification::verify_domains_match(&self.id, actor)?;
        match self.author() {
            Some(author) if &author == actor => Ok(()),
            _ => Err(FedError::Rejected(
                "the post is attributed to someone else".into(),
            )),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePost {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: activitypub_federation::kinds::activity::CreateType,
    pub actor: ObjectId<RemoteUser>,
    pub object: PostIn,
    /// The activity as it arrived, kept to be re-broadcast as it came (set by `inbound`).
    #[serde(skip)]
    pub received: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdatePost {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: activitypub_federation::kinds::activity::UpdateType,
    pub actor: ObjectId<RemoteUser>,
    pub object: PostIn,
    /// The activity as it arrived, kept to be re-broadcast as it came (set by `inbound`).
    #[serde(skip)]
    pub received: Option<String>,
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

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletePost {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: activitypub_federation::kinds::activity::DeleteType,
    pub actor: ObjectId<RemoteUser>,
    /// The deleted object's id, or the object (often a `Tombstone`) with its id.
    pub object: serde_json::Value,
    /// The activity as it arrived, kept to be re-broadcast as it came (set by `inbound`).
    #[serde(skip)]
    pub received: Option<String>,
}

/// The post a URL names: one of ours (`/t/ID`, `/p/ID`) or one that came from elsewhere.
async fn find_post(
    data: &Data<FedData>,
    url: &Url,
) -> Result<Option<stoa_db::post::Model>, FedError> {
    use stoa_db::queries::{posts, threads};
    if data.urls.is_local(url) {
        return match reply_target(&data.urls, url) {
            Some(ReplyTarget::Thread(id)) => {
                match threads::by_id(&data.db, id)
                    .await?
                    .and_then(|t| t.starter_post_id)
                {
                    Some(starter) => Ok(posts::by_id(&data.db, starter).await?),
                    None => Ok(None),
                }
            }
            Some(ReplyTarget::Post(id) | ReplyTarget::InThread { post_id: id, .. }) => {
                Ok(posts::by_id(&data.db, id).await?)
            }
            None => Ok(None),
        };
    }
    Ok(stoa_db::queries::posts::by_ap_id(&data.db, url.as_str()).await?)
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
    let fetched: PostIn = activitypub_federation::fetch::fetch_object_http(url, data)
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
            fetched.content()?,
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
            content: fetched.content()?,
        },
    )
    .await?;
    Ok(stoa_db::queries::posts::by_id(&data.db, stored.post_id).await?)
}

fn core_actor(user: &RemoteUser) -> stoa_core::Actor {
    stoa_core::Actor {
        id: user.row.id,
        name: user.row.name.clone(),
        is_admin: false,
    }
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
    async fn receive_in(
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
                content: self.object.content()?.with_origin(self.received.clone()),
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

/// Where a reply to one of our own thread or post URLs goes, known without reading anything.
fn reply_target(urls: &crate::urls::Urls, url: &Url) -> Option<ReplyTarget> {
    if !urls.is_local(url) {
        return None;
    }
    let path = url.path();
    let id = |prefix: &str| path.strip_prefix(prefix)?.parse::<i64>().ok();
    id("/t/")
        .map(ReplyTarget::Thread)
        .or_else(|| id("/p/").map(ReplyTarget::Post))
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
        let content = self.object.content()?.with_origin(self.received.clone());
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
            self.object.content()?.with_origin(self.received.clone()),
            title.as_deref(),
        )
        .await?;
        Ok(())
    }
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

    fn object_id(&self) -> Result<Url, FedError> {
        let text = match &self.object {
            serde_json::Value::String(s) => Some(s.as_str()),
            serde_json::Value::Object(map) => map.get("id").and_then(|v| v.as_str()),
            _ => None,
        };
        text.and_then(|t| Url::parse(t).ok())
            .ok_or_else(|| FedError::Rejected("Delete without an object id".into()))
    }
}

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

/// A URL given as itself or as an object carrying it in `id`.
fn id_or_object<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Url, D::Error> {
    let value = serde_json::Value::deserialize(deserializer)?;
    object_id_of(&value)
        .ok_or_else(|| serde::de::Error::custom("expected a URL or an object with an id"))
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

/// The id of an object given inline or by reference.
fn object_id_of(value: &serde_json::Value) -> Option<Url> {
    match value {
        serde_json::Value::String(s) => Url::parse(s).ok(),
        serde_json::Value::Object(map) => map
            .get("id")
            .and_then(|v| v.as_str())
            .and_then(|s| Url::parse(s).ok()),
        _ => None,
    }
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
                subscriptions::accept(&data.db, &subscription.follow_id, Utc::now()).await?;
                // The forum's recent threads, so that following it does not start from an
                // empty page; fetched in the background, the Accept is answered now.
                if let Some(forum) = forums::by_id(&data.db, subscription.forum_id).await? {
                    let data = data.reset_request_count();
                    tokio::spawn(async move {
                        if let Err(e) = crate::following::backfill(&data, &forum).await {
                            tracing::info!(forum = %forum.slug, error = %e, "fetching a followed forum's recent threads failed");
                        }
                    });
                }
            }
            AnswerKind::Reject => {
                subscriptions::remove(&data.db, subscription.forum_id, subscription.user_id)
                    .await?;
            }
        }
        Ok(())
    }
}

/// A remote forum re-broadcasting what happens in it (FEP-1b12): an activity of one of its
/// members (`Create`, `Update`, `Delete`, `Like`, `Undo{Like}`), or a post by reference.
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
    Update(UpdatePost),
    Delete(DeletePost),
    Like(LikePost),
    UndoLike(UndoLike),
    /// A post by reference or inline (Lemmy's and Stoa's plain `Announce{Page}`).
    Post(PostIn),
    Reference(Url),
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
            && !matches!(post.kind.as_str(), "Page" | "Article" | "Note" | "Question")
        {
            return Err(FedError::Rejected(format!(
                "a re-broadcast {} is not a post",
                post.kind
            )));
        }
        Ok(announced)
    }

    /// Names what was re-broadcast (`Create{post}`, `post`, `link` …), or why it is refused.
    pub fn describe(&self) -> Result<&'static str, String> {
        Ok(match self.announced().map_err(|e| e.to_string())? {
            Announced::Create(_) => "Create{post}",
            Announced::Update(_) => "Update{post}",
            Announced::Delete(_) => "Delete",
            Announced::Like(_) => "Like",
            Announced::UndoLike(_) => "Undo{Like}",
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

/// A post of another server, fetched from where its id points and checked to be its author's.
async fn fetch_post(data: &Data<FedData>, id: &Url) -> Result<PostIn, FedError> {
    let fetched: PostIn = activitypub_federation::fetch::fetch_object_http(id, data)
        .await?
        .object;
    verify_urls_match(&fetched.id, id)?;
    let author = fetched
        .author()
        .ok_or_else(|| FedError::Rejected(format!("{id} names no author")))?;
    fetched.verify_author(&author)?;
    Ok(fetched)
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
                if !vouched(&delete.id, delete.actor.inner()) {
                    // Believed only once the post is gone from its own server.
                    let id = delete.object_id()?;
                    match activitypub_federation::fetch::fetch_object_http::<_, PostIn>(&id, data)
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
            Announced::Post(post) => announced_post(data, &forum.row, post.id).await,
            Announced::Reference(id) => announced_post(data, &forum.row, id).await,
        }
    }
}

/// A post a remote forum shared by reference (or lists in its outbox): stored in that forum as
/// if its author had sent it, after fetching it from its own server, unless it is here already.
pub(crate) async fn announced_post(
    data: &Data<FedData>,
    forum: &forum::Model,
    id: Url,
) -> Result<(), FedError> {
    if data.urls.is_local(&id)
        || stoa_db::queries::posts::by_ap_id(&data.db, id.as_str())
            .await?
            .is_some()
    {
        return Ok(());
    }
    let post = fetch_post(data, &id).await?;
    let author = post
        .author()
        .ok_or_else(|| FedError::Rejected(format!("{id} names no author")))?;
    let create = CreatePost {
        id: id.clone(),
        kind: activitypub_federation::kinds::activity::CreateType::Create,
        actor: ObjectId::from(author),
        object: post,
        received: None,
    };
    create.receive_in(data, Some(forum)).await
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
