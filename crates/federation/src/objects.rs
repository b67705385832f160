//! Threads as `Page` and replies as `Note`, each thread's conversation as an `OrderedCollection`
//! (FEP-7888 `context`), and deleted posts as `Tombstone`s: read from the database and mapped
//! to wire types.

use activitypub_federation::kinds::collection::{OrderedCollectionPageType, OrderedCollectionType};
use activitypub_federation::kinds::link::MentionType;
use activitypub_federation::kinds::object::TombstoneType;
use activitypub_federation::protocol::context::WithContext;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use stoa_db::queries::{forums, posts, threads, users};
use stoa_db::{ConnectionTrait, DbErr, post, user};
use url::Url;

use crate::urls::Urls;

pub use crate::activities::PUBLIC;

/// Posts listed on one page of a thread's context collection.
pub const CONTEXT_PAGE_SIZE: usize = 50;

/// A post's markdown source, as Stoa sends it (`text/markdown`) and as others may.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    pub content: String,
    pub media_type: String,
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

/// The kinds of post: Stoa sends a `Page` for a thread's first post and a `Note` for each reply,
/// and reads those, `Article` and `Question` alike.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum PostKind {
    Page,
    Note,
    Article,
    Question,
    /// Anything else (`Video`, `Event` …): parsed, so that it can be refused by name.
    #[serde(other)]
    Other,
}

/// A post on the wire, in both directions: what Stoa sends for its own posts (every field but
/// those of the other kind set) and what it reads of other servers' posts. Reading is lenient
/// where servers differ — a field of an unexpected shape (one addressee instead of a list, an
/// author given as an object, tags and attachments of other kinds, a malformed time) is read as
/// far as it makes sense, or as absent, and never loses the post; the id, the kind and the
/// parent must be what they say.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Post {
    #[serde(rename = "type")]
    pub kind: PostKind,
    pub id: Url,
    #[serde(
        default,
        deserialize_with = "lenient::first_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub attributed_to: Option<Url>,
    /// The post a reply answers; a thread's first post answers none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<Url>,
    /// A thread's title (`Page`, `Article`); a `Note` has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub media_type: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub source: Option<Source>,
    /// A plain-text excerpt, so that microblogs show more than a thread's title.
    #[serde(
        default,
        deserialize_with = "lenient::or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub summary: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::first_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub url: Option<Url>,
    /// The forum it is posted in.
    #[serde(
        default,
        deserialize_with = "lenient::first_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub audience: Option<Url>,
    /// Its conversation (FEP-7888).
    #[serde(
        default,
        deserialize_with = "lenient::first_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub context: Option<Url>,
    #[serde(default, deserialize_with = "lenient::ids")]
    pub to: Vec<String>,
    #[serde(default, deserialize_with = "lenient::ids")]
    pub cc: Vec<String>,
    /// Mentions; tags of other kinds (hashtags, emoji) are not read.
    #[serde(default, deserialize_with = "lenient::those_that_parse")]
    pub tag: Vec<Mention>,
    #[serde(
        default,
        deserialize_with = "lenient::first_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub replies: Option<Url>,
    /// The thread's link, when it is a link post; attachments of other kinds are not read.
    #[serde(
        default,
        deserialize_with = "lenient::those_that_parse",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub attachment: Vec<LinkAttachment>,
    #[serde(
        default,
        deserialize_with = "lenient::or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub published: Option<DateTime<Utc>>,
    #[serde(
        default,
        deserialize_with = "lenient::or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub updated: Option<DateTime<Utc>>,
}

/// Lenient readers of fields whose shape differs between servers.
pub(crate) mod lenient {
    use serde::de::DeserializeOwned;
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;
    use url::Url;

    /// The value, or `None` if it has another shape.
    pub fn or_none<'de, D: Deserializer<'de>, T: DeserializeOwned>(
        deserializer: D,
    ) -> Result<Option<T>, D::Error> {
        Ok(serde_json::from_value(Value::deserialize(deserializer)?).ok())
    }

    /// Every URL of a one-or-many field: strings, or objects with an `id` or `href`.
    fn urls(value: &Value, depth: usize) -> Vec<Url> {
        match value {
            Value::String(s) => Url::parse(s).into_iter().collect(),
            Value::Object(map) if depth < 2 => map
                .get("id")
                .or_else(|| map.get("href"))
                .map(|v| urls(v, depth + 1))
                .unwrap_or_default(),
            Value::Array(items) if depth < 2 => {
                items.iter().flat_map(|v| urls(v, depth + 1)).collect()
            }
            _ => Vec::new(),
        }
    }

    /// The first URL of a one-or-many field.
    pub fn first_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Url>, D::Error> {
        Ok(urls(&Value::deserialize(deserializer)?, 0)
            .into_iter()
            .next())
    }

    /// Every URL of a one-or-many field, as text.
    pub fn ids<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Ok(urls(&value, 0).into_iter().map(String::from).collect())
    }

    /// The items of a one-or-many field that have the expected shape.
    pub fn those_that_parse<'de, D: Deserializer<'de>, T: DeserializeOwned>(
        deserializer: D,
    ) -> Result<Vec<T>, D::Error> {
        let items = match Value::deserialize(deserializer)? {
            Value::Array(items) => items,
            single @ Value::Object(_) => vec![single],
            _ => Vec::new(),
        };
        Ok(items
            .into_iter()
            .filter_map(|item| serde_json::from_value(item).ok())
            .collect())
    }
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

/// A post as the fediverse sees it: a `Page` or `Note`, or its `Tombstone` once deleted.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum PostObject {
    Live(Box<WithContext<Post>>),
    Deleted(WithContext<Tombstone>),
}

impl PostObject {
    /// The post to embed in an activity (without a context of its own); `None` for a deleted
    /// one.
    pub fn embedded(&self) -> Option<Post> {
        match self {
            PostObject::Live(post) => Some(post.inner().clone()),
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
/// deleted or removed (its words are not for everyone). `None` when there is no such post.
pub async fn post_object<C: ConnectionTrait>(
    db: &C,
    urls: &Urls,
    post_id_number: i64,
) -> Result<Option<PostObject>, DbErr> {
    let Some(post) = posts::by_id(db, post_id_number).await? else {
        return Ok(None);
    };
    let id = post_id(urls, &post);
    if let Some(deleted) = post.deleted_at.or(post.removed_at) {
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
    // People elsewhere the author here mentions: tagged, and addressed.
    let mentioned = if author.local {
        crate::mentions::mentioned(db, &post.body_source).await?
    } else {
        Vec::new()
    };
    let mut tag = vec![mention];
    let mut mentioned_ids = Vec::new();
    for person in &mentioned {
        if let Some(href) = person.ap_id.as_deref().and_then(|id| Url::parse(id).ok()) {
            mentioned_ids.push(href.to_string());
            tag.push(Mention {
                kind: MentionType::Mention,
                href,
                name: format!("@{}", person.name),
            });
        }
    }
    let context = context_id(urls, thread.id);
    let source = Source {
        content: post.body_source.clone(),
        media_type: "text/markdown".into(),
    };
    let common = Post {
        kind: PostKind::Note,
        attributed_to: Some(attributed_to),
        in_reply_to: None,
        name: None,
        content: Some(post.body_html.clone()),
        media_type: Some("text/html".into()),
        source: Some(source),
        summary: None,
        url: None,
        audience: Some(forum_id.clone()),
        context: Some(context),
        to: Vec::new(),
        cc: Vec::new(),
        tag,
        replies: None,
        attachment: Vec::new(),
        published: Some(post.created_at),
        updated: post.edited_at,
        id: id.clone(),
    };
    let object = match post.parent_id {
        None => Post {
            kind: PostKind::Page,
            name: Some(thread.title.clone()),
            summary: Some(stoa_core::markdown::excerpt(&post.body_html, 500)),
            url: Some(id),
            to: vec![forum_id.to_string(), PUBLIC.into()],
            cc: std::iter::once(followers.clone())
                .chain(mentioned_ids.iter().cloned())
                .collect(),
            replies: Some(urls.path(&format!("/t/{}/replies", thread.id))),
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
            ..common
        },
        Some(parent_id) => {
            let parent = posts::by_id(db, parent_id).await?;
            let in_reply_to = match parent {
                Some(parent) => post_id(urls, &parent),
                None => urls.path(&format!("/t/{}", thread.id)),
            };
            Post {
                in_reply_to: Some(in_reply_to),
                url: Some(post_url(urls, thread.id, post.id)),
                // Its own answers; a post from elsewhere has its server's.
                replies: post
                    .ap_id
                    .is_none()
                    .then(|| urls.path(&format!("/p/{}/replies", post.id))),
                to: vec![PUBLIC.into()],
                cc: [forum_id.to_string(), followers]
                    .into_iter()
                    .chain(mentioned_ids)
                    .collect(),
                ..common
            }
        }
    };
    Ok(Some(PostObject::Live(Box::new(WithContext::new_default(
        object,
    )))))
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

/// A reply's `replies` collection: the direct replies to it, paged like its thread's context.
/// `None` when there is no such post.
pub async fn post_replies_collection<C: ConnectionTrait>(
    db: &C,
    urls: &Urls,
    post_id_number: i64,
    page: Option<usize>,
) -> Result<Option<serde_json::Value>, DbErr> {
    let Some(post) = posts::by_id(db, post_id_number).await? else {
        return Ok(None);
    };
    thread_collection(
        db,
        urls,
        post.thread_id,
        page,
        Collection::RepliesTo(post.id),
    )
    .await
}

/// A tag that changes whenever anything in the thread changes (a post, an edit, a deletion,
/// a removal): the `ETag` of its collections, so a peer reading them again learns with a 304
/// that nothing is new, without the collection being built. `None` when there is no thread.
pub async fn thread_tag<C: ConnectionTrait>(
    db: &C,
    thread_id: i64,
) -> Result<Option<String>, DbErr> {
    Ok(threads::by_id(db, thread_id)
        .await?
        .map(|t| format!("\"t{}-r{}\"", t.id, t.revision)))
}

/// The tag of the thread a post is in (see [`thread_tag`]).
pub async fn post_thread_tag<C: ConnectionTrait>(
    db: &C,
    post_id_number: i64,
) -> Result<Option<String>, DbErr> {
    match posts::by_id(db, post_id_number).await? {
        Some(post) => thread_tag(db, post.thread_id).await,
        None => Ok(None),
    }
}

/// Which of a thread's collections.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Collection {
    /// Every post (FEP-7888).
    Context,
    /// The replies to the first post.
    Replies,
    /// The replies to one post.
    RepliesTo(i64),
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
        Collection::RepliesTo(post) => {
            ids.retain(|(_, parent, _)| *parent == Some(post));
            urls.path(&format!("/p/{post}/replies"))
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

/// A forum's collections: `followers` (a count: who follows is not published) and `moderators`
/// (its hosts); its `outbox` is `outbox::forum_outbox`. `None` when there is no such local
/// forum or collection.
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
        _ => None,
    })
}

/// A forum group, as Stoa publishes it (its own extension, see FEDERATION.md): a collection
/// named after the group, of the `Group` ids of its forums, in index order. Each forum's
/// `forumGroup` points here. `None` when there is no such group.
pub async fn forum_group_collection<C: ConnectionTrait>(
    db: &C,
    urls: &Urls,
    group_id: i64,
) -> Result<Option<Value>, DbErr> {
    let Some(group) = forums::group_by_id(db, group_id).await? else {
        return Ok(None);
    };
    let forums: Vec<Url> = forums::in_group(db, group.id)
        .await?
        .iter()
        .map(|f| urls.forum(&f.slug))
        .collect();
    let mut value = collection(
        urls.forum_group(group.id),
        forums.len() as u64,
        Some(forums),
    );
    if let Some(object) = value.as_object_mut() {
        object.insert("name".into(), Value::String(group.name));
    }
    Ok(Some(value))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What servers send in other shapes than Stoa's is read as far as it makes sense: one
    /// addressee for a list, authors as objects, tags and attachments of other kinds left out,
    /// a malformed time taken as absent — and the post kept.
    #[test]
    fn posts_in_other_shapes_are_read_leniently() {
        let post: Post = serde_json::from_str(
            r##"{
                "type": "Video",
                "id": "https://tube.example/videos/1",
                "attributedTo": [{"type": "Person", "id": "https://tube.example/a/ann"},
                                 {"type": "Group", "id": "https://tube.example/c/films"}],
                "to": "https://www.w3.org/ns/activitystreams#Public",
                "cc": [{"id": "https://tube.example/a/ann/followers"}],
                "tag": [{"type": "Hashtag", "name": "#films", "href": "https://tube.example/t/films"},
                        {"type": "Mention", "name": "@books", "href": "https://stoa.example/f/books"}],
                "attachment": {"type": "Link", "href": "https://example.org/film"},
                "url": [{"type": "Link", "href": "https://tube.example/w/1"}],
                "published": "last Tuesday",
                "mediaType": 7
            }"##,
        )
        .unwrap();
        assert_eq!(post.kind, PostKind::Other);
        assert_eq!(
            post.attributed_to.as_ref().map(Url::as_str),
            Some("https://tube.example/a/ann")
        );
        assert_eq!(post.to, [PUBLIC]);
        assert_eq!(post.cc, ["https://tube.example/a/ann/followers"]);
        assert_eq!(post.tag.len(), 1, "only the mention: {:?}", post.tag);
        assert_eq!(post.attachment[0].href.as_str(), "https://example.org/film");
        assert_eq!(
            post.url.as_ref().map(Url::as_str),
            Some("https://tube.example/w/1")
        );
        assert_eq!(post.published, None);
        assert_eq!(post.media_type, None);
        // What must be what it says is not guessed: a parent that is not a URL refuses the post.
        let bad_parent = r#"{"type": "Note", "id": "https://a.example/n/1", "inReplyTo": 5}"#;
        assert!(serde_json::from_str::<Post>(bad_parent).is_err());
    }
}
