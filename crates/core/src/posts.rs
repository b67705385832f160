//! Threads and posts: starting a thread, replying anywhere in the tree, editing with kept
//! revisions, deleting to a placeholder. Each runs in one transaction with its outbox event.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use stoa_db::queries::{forums, posts, threads, users};
use stoa_db::{ConnectionTrait, TransactionSession, TransactionTrait, post, post_revision};

use crate::events::{self, Event};
use crate::tree::{self, TreePost};
use crate::{Actor, CoreError, CoreResult, limits, markdown};

fn validate_title(title: &str) -> CoreResult<&str> {
    let title = title.trim();
    if title.is_empty() {
        return Err(CoreError::invalid("title", "a thread needs a title"));
    }
    if title.chars().count() > limits::TITLE_MAX_CHARS {
        return Err(CoreError::invalid(
            "title",
            format!("a title has at most {} characters", limits::TITLE_MAX_CHARS),
        ));
    }
    Ok(title)
}

fn validate_body(body: &str) -> CoreResult<()> {
    if body.trim().is_empty() {
        return Err(CoreError::invalid("body", "a post needs some text"));
    }
    if body.len() > limits::BODY_MAX_BYTES {
        return Err(CoreError::invalid(
            "body",
            format!(
                "a post has at most {} KiB of text",
                limits::BODY_MAX_BYTES / 1024
            ),
        ));
    }
    Ok(())
}

/// A created post and where it lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Created {
    pub thread_id: i64,
    pub post_id: i64,
}

/// Starts a thread in a forum: the thread row, its starter post, counters and the event.
#[tracing::instrument(skip(db, body), fields(actor = actor.id))]
pub async fn create_thread<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    forum_slug: &str,
    title: &str,
    body: &str,
) -> CoreResult<Created> {
    let content = Content::local(body)?;
    create_thread_with(db, actor, forum_slug, title, content).await
}

/// Starts a thread with a body that is already rendered (see [`Content`]): every new thread,
/// written here or arriving from elsewhere, is stored by this function. A post from elsewhere
/// already stored is not stored again: the answer names the stored thread.
pub async fn create_thread_with<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    forum_slug: &str,
    title: &str,
    content: Content,
) -> CoreResult<Created> {
    let title = validate_title(title)?;
    let mentioned = content.mentions.clone();
    let body = content.source.as_str();
    let html = content.html.as_str();
    let txn = stoa_db::begin_write(db).await?;
    if let Some(ap_id) = content.ap_id()
        && let Some(stored) = posts::by_ap_id(&txn, ap_id).await?
    {
        return Ok(Created {
            thread_id: stored.thread_id,
            post_id: stored.id,
        });
    }
    let forum = forums::by_slug(&txn, forum_slug)
        .await?
        .ok_or(CoreError::NotFound("forum"))?;
    let now = Utc::now();
    crate::moderation::ensure_not_banned(&txn, forum.id, actor.id, now).await?;
    crate::safety::ensure_may_write(&txn, actor.id).await?;
    let written = content.stored_at(now);
    let thread = threads::insert(
        &txn,
        threads::NewThread {
            forum_id: forum.id,
            author_id: actor.id,
            title,
            now: written,
        },
    )
    .await?;
    let post = posts::insert(
        &txn,
        posts::NewPost {
            thread_id: thread.id,
            parent_id: None,
            author_id: actor.id,
            body_source: body,
            body_html: html,
            ap_id: content.ap_id.as_deref(),
            link_url: content.link.as_deref(),
            now: written,
        },
    )
    .await;
    let post = match (post, content.ap_id()) {
        (Ok(post), _) => post,
        // The same post from elsewhere stored meanwhile by another request (its thread's
        // announcement and a reply whose parent it is, say): the answer names that one.
        (Err(e), Some(ap_id)) if stoa_db::is_unique_violation(&e) => {
            txn.rollback().await?;
            let stored = posts::by_ap_id(db, ap_id)
                .await?
                .ok_or(CoreError::Database(e))?;
            return Ok(Created {
                thread_id: stored.thread_id,
                post_id: stored.id,
            });
        }
        (Err(e), _) => return Err(e.into()),
    };
    threads::set_starter_post(&txn, thread.id, post.id).await?;
    forums::record_new_post(&txn, forum.id, thread.id, post.id, actor.id, true, written).await?;
    users::add_post_count(&txn, actor.id, 1).await?;
    let event = Event::ThreadCreated {
        forum_id: forum.id,
        thread_id: thread.id,
        post_id: post.id,
        origin: content.origin,
    };
    events::record(&txn, actor.id, &event, now).await?;
    let told =
        crate::notifications::mentions(&txn, &mentioned, actor.id, thread.id, post.id).await?;
    crate::notifications::notify(&txn, told).await?;
    txn.commit().await?;
    Ok(Created {
        thread_id: thread.id,
        post_id: post.id,
    })
}

/// A post's body, ready to store: the markdown source (empty when a remote server sent only
/// HTML), the sanitised HTML, the link a thread's first post may carry, and, for a post from
/// elsewhere, its ActivityPub id and when it says it was written. Made only by
/// [`Content::local`] and [`Content::remote`], which hold the rules for a body, so every stored
/// body has met them. A body from elsewhere may be empty — a link post, or a title alone — and
/// the services decide where that may stand (a thread's first post, whose title carries it).
#[derive(Debug, Clone)]
pub struct Content {
    source: String,
    html: String,
    link: Option<String>,
    ap_id: Option<String>,
    written_at: Option<chrono::DateTime<Utc>>,
    origin: Option<String>,
    /// Names of members here the post mentions, to be told.
    mentions: Vec<String>,
}

/// Longest link a post may carry, in bytes.
pub const LINK_MAX_BYTES: usize = 2_000;

impl Content {
    /// A member's markdown, rendered and sanitised.
    pub fn local(markdown: &str) -> CoreResult<Content> {
        validate_body(markdown)?;
        Ok(Content {
            source: markdown.to_owned(),
            html: markdown::render(markdown),
            link: None,
            ap_id: None,
            written_at: None,
            origin: None,
            mentions: crate::notifications::mentioned_names(markdown),
        })
    }

    /// A body from another server: its HTML is sanitised here, whatever the sender did.
    pub fn remote(html: &str, source: Option<&str>, ap_id: &str) -> CoreResult<Content> {
        // Bounded before it is parsed: the parser's work grows with the input.
        if html.len() > 4 * limits::BODY_MAX_BYTES {
            return Err(CoreError::invalid("content", "the post is too long"));
        }
        let html = markdown::sanitize(html);
        Ok(Content {
            source: source
                .unwrap_or_default()
                .chars()
                .take(limits::BODY_MAX_BYTES)
                .collect(),
            html,
            link: None,
            ap_id: Some(ap_id.to_owned()),
            written_at: None,
            origin: None,
            mentions: Vec::new(),
        })
    }

    /// When the post says it was written. It is stored under that time, or under now if that
    /// is later, so that what came from elsewhere keeps its place in the chronological lists
    /// and in the reply tree.
    pub fn with_written_at(mut self, at: Option<chrono::DateTime<Utc>>) -> Content {
        self.written_at = at;
        self
    }

    /// The link the post carries: an http or https URL of bounded length.
    pub fn with_link(mut self, link: Option<&str>) -> CoreResult<Content> {
        self.link = match link.map(str::trim).filter(|l| !l.is_empty()) {
            None => None,
            Some(link) => {
                let is_web = link.split_once("://").is_some_and(|(scheme, rest)| {
                    matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https")
                        && !rest.is_empty()
                });
                if !is_web || link.len() > LINK_MAX_BYTES || link.chars().any(char::is_whitespace) {
                    return Err(CoreError::invalid(
                        "link",
                        "a link is an http or https address of at most 2,000 characters",
                    ));
                }
                Some(link.to_owned())
            }
        };
        Ok(self)
    }

    /// The activity that brought the post, as its server sent it (see [`Event`]'s `origin`).
    pub fn with_origin(mut self, origin: Option<String>) -> Content {
        self.origin = origin;
        self
    }

    /// The members here a post from elsewhere mentions, by name (its server's `Mention` tags).
    pub fn with_mentions(mut self, names: Vec<String>) -> Content {
        self.mentions = names;
        self
    }

    pub fn mentions(&self) -> &[String] {
        &self.mentions
    }

    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    /// Whether there are no words to show (a link post, or a title alone).
    pub fn is_blank(&self) -> bool {
        self.html.trim().is_empty()
    }

    pub fn link(&self) -> Option<&str> {
        self.link.as_deref()
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn html(&self) -> &str {
        &self.html
    }

    pub fn ap_id(&self) -> Option<&str> {
        self.ap_id.as_deref()
    }

    /// The time the post is stored under: when it says it was written, never later than `now`.
    pub fn stored_at(&self, now: chrono::DateTime<Utc>) -> chrono::DateTime<Utc> {
        self.written_at.map_or(now, |at| at.min(now))
    }
}

/// Whether a member may change (edit or delete) a post: its author may, and an admin may.
pub fn may_change(actor: &Actor, author_id: i64) -> bool {
    actor.is_admin || actor.id == author_id
}

/// Loads a post the actor may change: their own, or any post for an admin. A deleted post is
/// not found.
pub async fn editable<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    post_id: i64,
) -> CoreResult<post::Model> {
    let post = posts::by_id(db, post_id)
        .await?
        .ok_or(CoreError::NotFound("post"))?;
    if post.deleted_at.is_some() {
        return Err(CoreError::NotFound("post"));
    }
    if !may_change(actor, post.author_id) {
        return Err(CoreError::Forbidden("You can only change your own posts."));
    }
    Ok(post)
}

/// Replaces a post's body, keeping the previous version as a revision; `title`, for a thread's
/// starter post, renames the thread.
#[tracing::instrument(skip(db, body), fields(actor = actor.id))]
pub async fn edit_post<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    post_id: i64,
    body: &str,
    title: Option<&str>,
) -> CoreResult<Created> {
    let content = Content::local(body)?;
    edit_post_with(db, actor, post_id, content, title).await
}

/// Replaces a post's body with one already rendered (see [`Content`]): every edit, made here or
/// arriving from elsewhere, is stored by this function.
pub async fn edit_post_with<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    post_id: i64,
    content: Content,
    title: Option<&str>,
) -> CoreResult<Created> {
    let title = title.map(validate_title).transpose()?;
    let body = content.source.as_str();
    let html = content.html.as_str();
    let txn = stoa_db::begin_write(db).await?;
    let post = editable(&txn, actor, post_id).await?;
    let thread = threads::by_id(&txn, post.thread_id)
        .await?
        .ok_or(CoreError::NotFound("thread"))?;
    let is_starter = thread.starter_post_id == Some(post.id);
    if title.is_some() && !is_starter {
        return Err(CoreError::invalid(
            "title",
            "only a thread's first post carries its title",
        ));
    }
    if content.is_blank() && !is_starter {
        return Err(CoreError::invalid("content", "a post needs some text"));
    }
    // Only a thread's first post carries a link.
    let link = content.link().filter(|_| is_starter);
    let new_title = title.filter(|t| *t != thread.title);
    let new_body =
        post.body_source != body || post.body_html != html || post.link_url.as_deref() != link;
    if !new_body && new_title.is_none() {
        // Nothing changed: no revision, no event.
        return Ok(Created {
            thread_id: post.thread_id,
            post_id: post.id,
        });
    }
    let now = Utc::now();
    if new_body {
        posts::replace_body(&txn, &post, actor.id, body, html, link, now).await?;
    }
    if let Some(title) = new_title {
        threads::set_title(&txn, thread.id, title).await?;
    }
    threads::bump_revision(&txn, thread.id).await?;
    let event = Event::PostEdited {
        forum_id: thread.forum_id,
        thread_id: thread.id,
        post_id: post.id,
        origin: content.origin.clone(),
    };
    events::record(&txn, actor.id, &event, now).await?;
    txn.commit().await?;
    Ok(Created {
        thread_id: post.thread_id,
        post_id: post.id,
    })
}

/// Deletes a post: its words go, a placeholder stays so the replies under it keep their place.
#[tracing::instrument(skip(db), fields(actor = actor.id))]
pub async fn delete_post<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    post_id: i64,
) -> CoreResult<Created> {
    delete_post_with(db, actor, post_id, None).await
}

/// Deletes a post: every deletion, made here or arriving from elsewhere (`origin`, the activity
/// as its server sent it), is stored by this function.
pub async fn delete_post_with<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    post_id: i64,
    origin: Option<String>,
) -> CoreResult<Created> {
    let txn = stoa_db::begin_write(db).await?;
    let post = editable(&txn, actor, post_id).await?;
    let thread = threads::by_id(&txn, post.thread_id)
        .await?
        .ok_or(CoreError::NotFound("thread"))?;
    let now = Utc::now();
    posts::mark_deleted(&txn, post.id, now).await?;
    users::add_post_count(&txn, post.author_id, -1).await?;
    forums::record_deleted_post(&txn, thread.forum_id).await?;
    if post.parent_id.is_some() {
        threads::record_deleted_reply(&txn, thread.id).await?;
    } else {
        threads::bump_revision(&txn, thread.id).await?;
    }
    let event = Event::PostDeleted {
        forum_id: thread.forum_id,
        thread_id: thread.id,
        post_id: post.id,
        origin,
    };
    events::record(&txn, actor.id, &event, now).await?;
    txn.commit().await?;
    Ok(Created {
        thread_id: post.thread_id,
        post_id: post.id,
    })
}

/// A thread as a page shows it: the header for breadcrumbs and the posts in tree order.
pub struct ThreadView {
    pub header: threads::ThreadHeader,
    pub posts: Arc<Vec<TreePost>>,
}

/// Recently read reply trees, so a busy thread is not loaded and ordered again for every reader.
///
/// An entry is used only while the thread's `revision` (bumped in the same transaction as every
/// reply, edit and deletion) is unchanged, so a change shows at once, on every process sharing
/// the database. What the revision does not cover — an author's post count — may lag by at most
/// `MAX_AGE`.
pub struct ThreadCache {
    entries: quick_cache::sync::Cache<i64, Arc<CachedTree>>,
}

struct CachedTree {
    revision: i64,
    loaded_at: Instant,
    posts: Arc<Vec<TreePost>>,
}

impl ThreadCache {
    /// How long an unchanged thread's tree is reused.
    pub const MAX_AGE: Duration = Duration::from_secs(10);

    /// A cache holding at most `threads` reply trees.
    pub fn new(threads: usize) -> Self {
        ThreadCache {
            entries: quick_cache::sync::Cache::new(threads.max(1)),
        }
    }

    fn get(&self, thread_id: i64, revision: i64) -> Option<Arc<Vec<TreePost>>> {
        let entry = self.entries.get(&thread_id)?;
        (entry.revision == revision && entry.loaded_at.elapsed() < Self::MAX_AGE)
            .then(|| entry.posts.clone())
    }
}

/// Loads a thread with its whole reply tree: the header, then — unless a cached tree of the same
/// revision is at hand — every post in one more query, whatever the number of replies.
pub async fn thread_view<C: ConnectionTrait>(
    db: &C,
    cache: &ThreadCache,
    thread_id: i64,
) -> CoreResult<ThreadView> {
    let header = threads::header(db, thread_id)
        .await?
        .ok_or(CoreError::NotFound("thread"))?;
    if let Some(posts) = cache.get(thread_id, header.revision) {
        return Ok(ThreadView { header, posts });
    }
    // Read after the header: if a reply lands in between, the tree is newer than the revision it
    // is filed under, and the next reader just loads it again.
    let posts = Arc::new(tree::depth_first(posts::in_thread(db, thread_id).await?));
    cache.entries.insert(
        thread_id,
        Arc::new(CachedTree {
            revision: header.revision,
            loaded_at: Instant::now(),
            posts: posts.clone(),
        }),
    );
    Ok(ThreadView { header, posts })
}

/// A post with its thread and earlier versions, for the revisions page.
pub struct PostHistory {
    pub post: post::Model,
    pub thread: threads::ThreadHeader,
    pub author_name: String,
    pub revisions: Vec<post_revision::Model>,
}

/// A post's versions, for `viewer`: a removed post's only for its author, the forum's hosts and
/// the admins.
pub async fn post_history<C: ConnectionTrait>(
    db: &C,
    post_id: i64,
    viewer: Option<&Actor>,
) -> CoreResult<PostHistory> {
    let post = posts::by_id(db, post_id)
        .await?
        .ok_or(CoreError::NotFound("post"))?;
    let thread = threads::header(db, post.thread_id)
        .await?
        .ok_or(CoreError::NotFound("thread"))?;
    if post.removed_at.is_some() {
        let role = crate::moderation::viewer_role(db, viewer, thread.forum_id).await?;
        if !crate::moderation::sees_removed(viewer, role, post.author_id) {
            return Err(CoreError::Forbidden("This post was removed."));
        }
    }
    let author_name = users::by_id(db, post.author_id)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let revisions = posts::revisions(db, post_id).await?;
    Ok(PostHistory {
        post,
        thread,
        author_name,
        revisions,
    })
}

/// A post by id (for edit forms and permission checks in handlers).
pub async fn find_post<C: ConnectionTrait>(db: &C, post_id: i64) -> CoreResult<post::Model> {
    posts::by_id(db, post_id)
        .await?
        .ok_or(CoreError::NotFound("post"))
}

/// A member's profile: the member and their recent posts.
pub struct Profile {
    pub user: stoa_db::user::Model,
    pub recent: Vec<posts::RecentPost>,
}

pub const PROFILE_RECENT_POSTS: u64 = 20;

pub async fn profile<C: ConnectionTrait>(db: &C, name: &str) -> CoreResult<Profile> {
    let user = users::by_name(db, name)
        .await?
        .ok_or(CoreError::NotFound("member"))?;
    let recent = posts::recent_by_author(db, user.id, PROFILE_RECENT_POSTS)
        .await?
        .items;
    Ok(Profile { user, recent })
}

/// Most characters kept of a refusal's reason.
const REFUSAL_REASON_CHARS: usize = 300;

/// The forum elsewhere that a member here wrote a post in refused it for good (`why`: its
/// server's status and answer): the post says so to its author, and the author is told. Once
/// per post; a later refusal of an edit says it again.
pub async fn refused_elsewhere<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    post_id: i64,
    why: &str,
) -> CoreResult<()> {
    let why: String = why.chars().take(REFUSAL_REASON_CHARS).collect();
    let txn = db.begin().await?;
    let Some(post) = posts::by_id(&txn, post_id).await? else {
        return Ok(());
    };
    posts::mark_refused_elsewhere(&txn, &post, &why).await?;
    crate::notifications::notify(
        &txn,
        vec![stoa_db::queries::notifications::NewNotification {
            post_id: Some(post.id),
            thread_id: Some(post.thread_id),
            detail: Some(why),
            ..crate::notifications::new(crate::notifications::Kind::Refused, post.author_id)
        }],
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Likes a post (once per member); `activity_id` is the Like's id when it came from elsewhere.
/// Returns whether the like is new.
pub async fn like<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    post_id: i64,
    activity_id: Option<&str>,
) -> CoreResult<bool> {
    change_like(db, actor, post_id, activity_id, true).await
}

/// Likes a post, or takes the like back when the member already likes it (the page's one
/// button). Returns whether the member likes the post now.
pub async fn toggle_like<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    post_id: i64,
) -> CoreResult<bool> {
    if like(db, actor, post_id, None).await? {
        return Ok(true);
    }
    unlike(db, actor, post_id, None).await?;
    Ok(false)
}

/// Takes a like back. Returns whether there was one.
pub async fn unlike<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    post_id: i64,
    activity_id: Option<&str>,
) -> CoreResult<bool> {
    change_like(db, actor, post_id, activity_id, false).await
}

async fn change_like<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    post_id: i64,
    activity_id: Option<&str>,
    liked: bool,
) -> CoreResult<bool> {
    use stoa_db::queries::likes;
    let txn = stoa_db::begin_write(db).await?;
    let post = posts::by_id(&txn, post_id)
        .await?
        .filter(|p| p.deleted_at.is_none())
        .ok_or(CoreError::NotFound("post"))?;
    let thread = threads::by_id(&txn, post.thread_id)
        .await?
        .ok_or(CoreError::NotFound("thread"))?;
    let now = Utc::now();
    let changed = if liked {
        likes::add(&txn, post.id, actor.id, activity_id, now).await?
    } else {
        likes::remove(&txn, post.id, actor.id).await?
    };
    if changed {
        threads::bump_revision(&txn, thread.id).await?;
        let (forum_id, thread_id, post_id) = (thread.forum_id, thread.id, post.id);
        let activity_id = activity_id.map(str::to_owned);
        let event = if liked {
            Event::PostLiked {
                forum_id,
                thread_id,
                post_id,
                activity_id,
            }
        } else {
            Event::PostUnliked {
                forum_id,
                thread_id,
                post_id,
                activity_id,
            }
        };
        events::record(&txn, actor.id, &event, now).await?;
    }
    txn.commit().await?;
    Ok(changed)
}
