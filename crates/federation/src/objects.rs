//! Threads as `Page` and replies as `Note`, each thread's conversation as an `OrderedCollection`
//! (FEP-7888 `context`), and deleted posts as `Tombstone`s: read from the database and mapped
//! to wire types.

use activitypub_federation::kinds::collection::{OrderedCollectionPageType, OrderedCollectionType};
use activitypub_federation::kinds::link::MentionType;
use activitypub_federation::kinds::object::{NoteType, PageType, TombstoneType};
use activitypub_federation::protocol::context::WithContext;
use activitypub_federation::protocol::values::{MediaTypeHtml, MediaTypeMarkdown};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use stoa_db::queries::{forums, posts, threads, users};
use stoa_db::{ConnectionTrait, DbErr, post, user};
use url::Url;

use crate::activities::{self, Kind, Outgoing};
use crate::urls::Urls;

pub use crate::activities::PUBLIC;

/// Posts listed on one page of a thread's context collection.
pub const CONTEXT_PAGE_SIZE: usize = 50;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    pub content: String,
    pub media_type: MediaTypeMarkdown,
}

/// The forum a post belongs to, mentioned so that Mastodon copies it into replies.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Mention {
    #[serde(rename = "type")]
    pub kind: MentionType,
    pub href: Url,
    pub name: String,
}

/// The link a link post carries, as Lemmy sends and reads it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LinkAttachment {
    #[serde(rename = "type")]
    pub kind: activitypub_federation::kinds::link::LinkType,
    pub href: Url,
}

/// A thread: its title, its starter post, and where its conversation lives.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    #[serde(rename = "type")]
    pub kind: PageType,
    pub id: Url,
    pub attributed_to: Url,
    pub name: String,
    pub content: String,
    pub media_type: MediaTypeHtml,
    pub source: Source,
    /// A plain-text excerpt, so that microblogs show more than the title.
    pub summary: String,
    pub url: Url,
    pub audience: Url,
    pub context: Url,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub tag: Vec<Mention>,
    pub replies: Url,
    /// The thread's link, when it is a link post.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachment: Vec<LinkAttachment>,
    pub published: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<DateTime<Utc>>,
}

/// A reply, placed in the tree by `inReplyTo`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    #[serde(rename = "type")]
    pub kind: NoteType,
    pub id: Url,
    pub attributed_to: Url,
    pub in_reply_to: Url,
    pub content: String,
    pub media_type: MediaTypeHtml,
    pub source: Source,
    pub url: Url,
    pub audience: Url,
    pub context: Url,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub tag: Vec<Mention>,
    pub published: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<DateTime<Utc>>,
}

/// What stands where a deleted post was.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Tombstone {
    #[serde(rename = "type")]
    pub kind: TombstoneType,
    pub id: Url,
    pub former_type: String,
    pub deleted: DateTime<Utc>,
}

/// A post as the fediverse sees it.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum PostObject {
    Page(Box<WithContext<Page>>),
    Note(Box<WithContext<Note>>),
    Deleted(WithContext<Tombstone>),
}

/// A post embedded in an activity (`Create`, `Update`): the object without a context of its
/// own.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Embedded {
    Page(Page),
    Note(Note),
}

impl PostObject {
    /// The post to embed in an activity; `None` for a deleted one.
    pub fn embedded(&self) -> Option<Embedded> {
        match self {
            PostObject::Page(page) => Some(Embedded::Page(page.inner().clone())),
            PostObject::Note(note) => Some(Embedded::Note(note.inner().clone())),
            PostObject::Deleted(_) => None,
        }
    }
}

/// The id of a post: its own id when it came from elsewhere; otherwise a thread's starter is
/// the thread's `Page`, every reply a `Note` of its own.
pub fn post_id(urls: &Urls, post: &post::Model) -> Url {
    if let Some(remote) = post.ap_id.as_deref().and_then(|id| Url::parse(id).ok()) {
        return remote;
    }
    match post.parent_id {
        None => urls.path(&format!("/t/{}", post.thread_id)),
        Some(_) => urls.path(&format!("/p/{}", post.id)),
    }
}

/// Where a reply is read: its thread's page, at the post (`/t/ID#pID`).
fn post_url(urls: &Urls, thread_id: i64, post_id: i64) -> Url {
    let mut url = urls.path(&format!("/t/{thread_id}"));
    url.set_fragment(Some(&format!("p{post_id}")));
    url
}

fn author_id(urls: &Urls, author: &user::Model) -> Url {
    match (&author.ap_id, author.local) {
        (Some(ap_id), false) => Url::parse(ap_id).unwrap_or_else(|_| urls.user(&author.name)),
        _ => urls.user(&author.name),
    }
}

/// The thread's context collection (FEP-7888).
pub fn context_id(urls: &Urls, thread_id: i64) -> Url {
    urls.path(&format!("/t/{thread_id}/context"))
}

/// Loads a post by id and maps it: `Page` for a starter, `Note` for a reply, `Tombstone` once
/// deleted. `None` when there is no such post.
pub async fn post_object<C: ConnectionTrait>(
    db: &C,
    urls: &Urls,
    post_id_number: i64,
) -> Result<Option<PostObject>, DbErr> {
    let Some(post) = posts::by_id(db, post_id_number).await? else {
        return Ok(None);
    };
    let id = post_id(urls, &post);
    if let Some(deleted) = post.deleted_at {
        let former_type = if post.parent_id.is_none() {
            "Page"
        } else {
            "Note"
        };
        return Ok(Some(PostObject::Deleted(WithContext::new_default(
            Tombstone {
                kind: TombstoneType::Tombstone,
                id,
                former_type: former_type.into(),
                deleted,
            },
        ))));
    }
    let (Some(thread), Some(author)) = (
        threads::by_id(db, post.thread_id).await?,
        users::by_id(db, post.author_id).await?,
    ) else {
        return Ok(None);
    };
    let Some(forum) = forums::by_id(db, thread.forum_id).await? else {
        return Ok(None);
    };
    let forum_id = match (&forum.ap_id, forum.local) {
        (Some(ap_id), false) => Url::parse(ap_id).unwrap_or_else(|_| urls.forum(&forum.slug)),
        _ => urls.forum(&forum.slug),
    };
    let attributed_to = author_id(urls, &author);
    let followers = format!("{attributed_to}/followers");
    let mention = Mention {
        kind: MentionType::Mention,
        href: forum_id.clone(),
        // A remote forum's slug is already `name@host`.
        name: if forum.local {
            format!("@{}@{}", forum.slug, urls.authority())
        } else {
            format!("@{}", forum.slug)
        },
    };
    let context = context_id(urls, thread.id);
    let source = Source {
        content: post.body_source.clone(),
        media_type: MediaTypeMarkdown::Markdown,
    };
    let object = match post.parent_id {
        None => PostObject::Page(Box::new(WithContext::new_default(Page {
            kind: PageType::Page,
            attributed_to,
            name: thread.title.clone(),
            summary: stoa_core::markdown::excerpt(&post.body_html, 500),
            content: post.body_html.clone(),
            media_type: MediaTypeHtml::Html,
            source,
            url: id.clone(),
            audience: forum_id.clone(),
            context,
            to: vec![forum_id.to_string(), PUBLIC.into()],
            cc: vec![followers],
            tag: vec![mention],
            replies: urls.path(&format!("/t/{}/replies", thread.id)),
            attachment: post
                .link_url
                .as_deref()
                .and_then(|link| Url::parse(link).ok())
                .map(|href| LinkAttachment {
                    kind: Default::default(),
                    href,
                })
                .into_iter()
                .collect(),
            published: post.created_at,
            updated: post.edited_at,
            id,
        }))),
        Some(parent_id) => {
            let parent = posts::by_id(db, parent_id).await?;
            let in_reply_to = match parent {
                Some(parent) => post_id(urls, &parent),
                None => urls.path(&format!("/t/{}", thread.id)),
            };
            PostObject::Note(Box::new(WithContext::new_default(Note {
                kind: NoteType::Note,
                attributed_to,
                in_reply_to,
                content: post.body_html.clone(),
                media_type: MediaTypeHtml::Html,
                source,
                url: post_url(urls, thread.id, post.id),
                audience: forum_id.clone(),
                context,
                to: vec![PUBLIC.into()],
                cc: vec![forum_id.to_string(), followers],
                tag: vec![mention],
                published: post.created_at,
                updated: post.edited_at,
                id,
            })))
        }
    };
    Ok(Some(object))
}

/// The `Page` of a thread, by thread id.
pub async fn thread_object<C: ConnectionTrait>(
    db: &C,
    urls: &Urls,
    thread_id: i64,
) -> Result<Option<PostObject>, DbErr> {
    match threads::by_id(db, thread_id).await? {
        Some(thread) => match thread.starter_post_id {
            Some(starter) => post_object(db, urls, starter).await,
            None => Ok(None),
        },
        None => Ok(None),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OrderedCollection {
    #[serde(rename = "type")]
    pub kind: OrderedCollectionType,
    pub id: Url,
    pub total_items: usize,
    pub first: Url,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributed_to: Option<Url>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OrderedCollectionPage {
    #[serde(rename = "type")]
    pub kind: OrderedCollectionPageType,
    pub id: Url,
    pub part_of: Url,
    pub ordered_items: Vec<Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev: Option<Url>,
}

/// The thread's conversation (FEP-7888): every post's id, oldest first, in pages. `page: None`
/// gives the collection itself. `None` when there is no such thread.
pub async fn context_collection<C: ConnectionTrait>(
    db: &C,
    urls: &Urls,
    thread_id: i64,
    page: Option<usize>,
) -> Result<Option<serde_json::Value>, DbErr> {
    thread_collection(db, urls, thread_id, page, Collection::Context).await
}

/// A thread's `replies` collection: the direct replies to its first post, paged like its
/// context.
pub async fn replies_collection<C: ConnectionTrait>(
    db: &C,
    urls: &Urls,
    thread_id: i64,
    page: Option<usize>,
) -> Result<Option<serde_json::Value>, DbErr> {
    thread_collection(db, urls, thread_id, page, Collection::Replies).await
}

/// Which of a thread's collections.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Collection {
    /// Every post (FEP-7888).
    Context,
    /// The replies to the first post.
    Replies,
}

async fn thread_collection<C: ConnectionTrait>(
    db: &C,
    urls: &Urls,
    thread_id: i64,
    page: Option<usize>,
    which: Collection,
) -> Result<Option<serde_json::Value>, DbErr> {
    let Some(thread) = threads::by_id(db, thread_id).await? else {
        return Ok(None);
    };
    let mut ids = posts::ids_in_thread(db, thread_id).await?;
    let id = match which {
        Collection::Context => context_id(urls, thread.id),
        Collection::Replies => {
            ids.retain(|(_, parent, _)| parent.is_some() && *parent == thread.starter_post_id);
            urls.path(&format!("/t/{}/replies", thread.id))
        }
    };
    let page_url = |n: usize| {
        let mut url = id.clone();
        url.set_query(Some(&format!("page={n}")));
        url
    };
    let Some(number) = page else {
        let collection = OrderedCollection {
            kind: OrderedCollectionType::OrderedCollection,
            total_items: ids.len(),
            first: page_url(1),
            attributed_to: None,
            id,
        };
        return Ok(serde_json::to_value(WithContext::new_default(collection)).ok());
    };
    let number = number.max(1);
    let pages = ids.len().div_ceil(CONTEXT_PAGE_SIZE).max(1);
    let posts_by_id: Vec<Url> = ids
        .iter()
        .skip((number - 1) * CONTEXT_PAGE_SIZE)
        .take(CONTEXT_PAGE_SIZE)
        .map(|(post, parent, ap_id)| {
            ap_id
                .as_deref()
                .and_then(|id| Url::parse(id).ok())
                .unwrap_or_else(|| match parent {
                    None => urls.path(&format!("/t/{}", thread.id)),
                    Some(_) => urls.path(&format!("/p/{post}")),
                })
        })
        .collect();
    let collection_page = OrderedCollectionPage {
        kind: OrderedCollectionPageType::OrderedCollectionPage,
        id: page_url(number),
        part_of: id.clone(),
        ordered_items: posts_by_id,
        next: (number < pages).then(|| page_url(number + 1)),
        prev: (number > 1).then(|| page_url(number - 1)),
    };
    Ok(serde_json::to_value(WithContext::new_default(collection_page)).ok())
}

/// The instance actor's outbox: it publishes nothing, so the collection is empty.
pub fn instance_outbox(urls: &Urls) -> Value {
    collection::<Url>(urls.path("/actor/outbox"), 0, Some(Vec::new()))
}

/// A collection given whole (small) or as a count only.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct WholeCollection<T> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "type")]
    kind: OrderedCollectionType,
    id: Url,
    total_items: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    ordered_items: Option<Vec<T>>,
}

/// A collection of actor ids or activities, given whole (small) or as a count only.
fn collection<T: Serialize>(id: Url, total: u64, items: Option<Vec<T>>) -> Value {
    let whole = WholeCollection {
        context: crate::activities::CONTEXT,
        kind: OrderedCollectionType::OrderedCollection,
        id,
        total_items: total,
        ordered_items: items,
    };
    // Plain data: writing it cannot fail.
    serde_json::to_value(whole).unwrap_or_default()
}

/// Threads listed in a forum's outbox.
pub const OUTBOX_THREADS: u64 = 20;

/// A forum's collections: `followers` (a count: who follows is not published), `moderators`
/// (its hosts) and `outbox` (its newest threads, as the forum announced them). `None` when there
/// is no such local forum or collection.
pub async fn forum_collection<C: ConnectionTrait>(
    db: &C,
    urls: &Urls,
    slug: &str,
    which: &str,
) -> Result<Option<Value>, DbErr> {
    let Some(forum) = forums::by_slug(db, slug).await?.filter(|f| f.local) else {
        return Ok(None);
    };
    let id = urls.forum_part(&forum.slug, which);
    let forum_url = urls.forum(&forum.slug);
    Ok(match which {
        "followers" => {
            let total = stoa_db::queries::followers::count(db, forum.id).await?;
            Some(collection::<Url>(id, total, None))
        }
        "moderators" => {
            let hosts: Vec<Url> = forums::host_names(db, forum.id)
                .await?
                .iter()
                .map(|name| urls.user(name))
                .collect();
            Some(collection(id, hosts.len() as u64, Some(hosts)))
        }
        "outbox" => {
            let latest = threads::latest(db, Some(forum.id), 0, OUTBOX_THREADS).await?;
            let items = latest
                .items
                .iter()
                .filter_map(|t| {
                    let page = urls.path(&format!("/t/{}", t.id));
                    let id = activities::activity_id(
                        &forum_url,
                        "announce-page",
                        format_args!("thread-{}", t.id),
                    )
                    .ok()?;
                    let announce = Outgoing::new(Kind::Announce, id, forum_url.clone(), page)
                        .public()
                        .published(t.created_at);
                    Some(announce)
                })
                .collect::<Vec<_>>();
            Some(collection(
                id,
                forum.thread_count.max(0) as u64,
                Some(items),
            ))
        }
        _ => None,
    })
}

/// A member's collections: `followers` and `outbox`, as counts (members cannot be followed yet,
/// and their posts are found through the forums).
pub async fn user_collection<C: ConnectionTrait>(
    db: &C,
    urls: &Urls,
    name: &str,
    which: &str,
) -> Result<Option<Value>, DbErr> {
    let Some(user) = users::by_name(db, name).await?.filter(|u| u.local) else {
        return Ok(None);
    };
    let id = urls.user_part(&user.name, which);
    Ok(match which {
        "followers" => Some(collection::<Url>(id, 0, None)),
        "outbox" => Some(collection::<Url>(id, user.post_count.max(0) as u64, None)),
        _ => None,
    })
}
