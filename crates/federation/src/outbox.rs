//! A forum's outbox: its threads as the forum announced them, newest activity first, in pages.
//! Each item is the forum's `Announce` of the starter's `Create{Page}` with the page embedded
//! and addressed, the shape Lemmy reads a community's history in (it fetches nothing more);
//! Mastodon, NodeBB and Stoa find each post's id in it.

use activitypub_federation::kinds::collection::{OrderedCollectionPageType, OrderedCollectionType};
use serde::Serialize;
use serde_json::Value;
use stoa_db::queries::{forums, threads};
use stoa_db::{ConnectionTrait, DbErr, forum};
use url::Url;

use crate::activities::{self, Kind, Outgoing};
use crate::objects::{self, Post};
use crate::urls::Urls;

/// Threads on one page of a forum's outbox, and listed in the collection itself (Lemmy reads
/// only those, and at most 20).
pub const PAGE_SIZE: u64 = 20;

/// One item: the forum's `Announce` of the author's `Create` of the thread's `Page`.
pub type Item = Outgoing<Outgoing<Post>>;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Collection {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "type")]
    kind: OrderedCollectionType,
    id: Url,
    total_items: u64,
    first: Url,
    /// The newest page given whole as well, for readers that do not follow `first`.
    ordered_items: Vec<Item>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CollectionPage {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "type")]
    kind: OrderedCollectionPageType,
    id: Url,
    part_of: Url,
    ordered_items: Vec<Item>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prev: Option<Url>,
}

/// The outbox of a forum here (`page: None` for the collection), or `None` when there is no
/// such local forum.
pub async fn forum_outbox<C: ConnectionTrait>(
    db: &C,
    urls: &Urls,
    slug: &str,
    page: Option<usize>,
) -> Result<Option<Value>, DbErr> {
    let Some(forum) = forums::by_slug(db, slug).await?.filter(|f| f.local) else {
        return Ok(None);
    };
    let id = urls.forum_part(&forum.slug, "outbox");
    let page_url = |n: u64| {
        let mut url = id.clone();
        url.set_query(Some(&format!("page={n}")));
        url
    };
    let number = page.map_or(1, |n| n.max(1) as u64);
    let (items, more) = items(db, urls, &forum, (number - 1) * PAGE_SIZE).await?;
    let value = match page {
        None => serde_json::to_value(Collection {
            context: activities::CONTEXT,
            kind: OrderedCollectionType::OrderedCollection,
            total_items: forum.thread_count.max(0) as u64,
            first: page_url(1),
            ordered_items: items,
            id,
        }),
        Some(_) => serde_json::to_value(CollectionPage {
            context: activities::CONTEXT,
            kind: OrderedCollectionPageType::OrderedCollectionPage,
            id: page_url(number),
            next: more.then(|| page_url(number + 1)),
            prev: (number > 1).then(|| page_url(number - 1)),
            part_of: id,
            ordered_items: items,
        }),
    };
    // Plain data: writing it cannot fail.
    Ok(Some(value.unwrap_or_default()))
}

/// One page of items from `offset`, and whether more follow.
async fn items<C: ConnectionTrait>(
    db: &C,
    urls: &Urls,
    forum: &forum::Model,
    offset: u64,
) -> Result<(Vec<Item>, bool), DbErr> {
    let listed = threads::latest(db, Some(forum.id), offset, PAGE_SIZE).await?;
    let forum_url = urls.forum(&forum.slug);
    let followers = urls.forum_part(&forum.slug, "followers");
    let mut items = Vec::with_capacity(listed.items.len());
    for thread in &listed.items {
        let page = objects::thread_object(db, urls, thread.id)
            .await?
            .and_then(|object| object.embedded());
        let (Some(page), Ok(create_id), Ok(announce_id)) = (
            page,
            activities::activity_id(
                &forum_url,
                "create-page",
                format_args!("thread-{}", thread.id),
            ),
            activities::activity_id(
                &forum_url,
                "announce-page",
                format_args!("thread-{}", thread.id),
            ),
        ) else {
            continue;
        };
        let Some(author) = page.attributed_to.clone() else {
            continue;
        };
        let create = Outgoing::new(Kind::Create, create_id, author, page)
            .in_forum(&forum_url, None)
            .published(thread.created_at);
        let announce = Outgoing::new(Kind::Announce, announce_id, forum_url.clone(), create)
            .in_forum(&forum_url, Some(&followers))
            .published(thread.created_at);
        items.push(announce);
    }
    Ok((items, listed.has_more))
}
