//! Whole forums and whole threads: when a member here starts following a forum elsewhere, its
//! history is brought in — its outbox read page by page, up to a setting, and for each thread
//! its replies, through the thread's `context` collection (FEP-7888) or, where there is none,
//! the `replies` collections (Lemmy, Mastodon). A thread from elsewhere opened after a quiet
//! period is read again the same way, so replies that were never delivered appear.
//!
//! The work is a queue (`backfills`), worked by one loop per process, one page at a time, with
//! a pause between fetches so that no server is asked for more than a few documents a second;
//! each page's progress is saved, so a restart goes on where it stopped. Every post is fetched
//! from its own server and stored through the inbox's own path, so core decides as for any post.

use std::time::Duration;

use activitypub_federation::config::Data;
use activitypub_federation::fetch::fetch_object_http;
use chrono::Utc;
use serde_json::Value;
use stoa_db::queries::{backfills, forums, posts, subscriptions};
use stoa_db::{backfill, forum};
use url::Url;

use crate::data::{Config, FedData};
use crate::error::FedError;
use crate::inbox::{fetch_and_store, fetch_post, find_post, store_fetched};

/// How much of a forum's history is brought in, and how fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Threads read at most from a followed forum's outbox.
    pub max_threads: u32,
    /// The pause between two fetches from the server being read.
    pub pause: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_threads: MAX_THREADS,
            pause: Duration::from_millis(100),
        }
    }
}

/// Threads read from a followed forum's history by default.
pub const MAX_THREADS: u32 = 1_000;
/// Replies read at most for one thread.
const MAX_REPLIES: usize = 2_000;
/// Pages read at most of one collection.
const MAX_PAGES: usize = 200;
/// Items read at most of one page of a forum's outbox (Lemmy lists 20, Stoa 20).
const MAX_PAGE_ITEMS: usize = 50;
/// A page that failed (its server down, say) is tried again after this long.
const RETRY_AFTER: chrono::Duration = chrono::Duration::minutes(10);
/// A thread from elsewhere is read again when opened after this long.
pub const QUIET_PERIOD: chrono::Duration = chrono::Duration::hours(1);
/// A worker holds a backfill this long while it reads a page; if it dies, another goes on.
const LEASE: chrono::Duration = chrono::Duration::minutes(10);

/// A forum's history read in full is read again for a new follower only after this long (the
/// forum's `Announce`s kept it current meanwhile, and opened threads catch up on their own).
const HISTORY_FRESH_FOR: chrono::Duration = chrono::Duration::days(1);

/// Queues the reading of a followed forum's history: once, not again for each new follower
/// while the last reading is recent (an open one is left to go on; a failed one is tried again).
pub async fn start_forum(data: &Data<FedData>, forum_id: i64) -> Result<(), FedError> {
    let now = Utc::now();
    if let Some(last) = backfills::latest(&data.db, forum_id, None).await?
        && last.state != "failed"
        && last
            .finished_at
            .is_none_or(|finished| now - finished < HISTORY_FRESH_FOR)
    {
        return Ok(());
    }
    let max = i32::try_from(data.backfill.max_threads).unwrap_or(i32::MAX);
    backfills::queue(&data.db, forum_id, None, max, now).await?;
    Ok(())
}

/// A thread of a forum elsewhere was opened: unless it was read again lately, its replies are
/// read again from its server in the background. Returns whether that was queued.
pub async fn reconcile_if_quiet<C: stoa_db::ConnectionTrait>(
    db: &C,
    forum_id: i64,
    thread_id: i64,
) -> Result<bool, FedError> {
    let now = Utc::now();
    if let Some(last) = backfills::latest(db, forum_id, Some(thread_id)).await?
        && (last.finished_at.is_none() || now - last.created_at < QUIET_PERIOD)
    {
        return Ok(false);
    }
    backfills::queue(db, forum_id, Some(thread_id), 1, now).await?;
    Ok(true)
}

/// How far the reading of a forum's history has come, for its page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub threads: u32,
    pub replies: u32,
    /// Still reading.
    pub running: bool,
    /// Why it stopped early, if it did.
    pub failed: Option<String>,
}

pub async fn progress<C: stoa_db::ConnectionTrait>(
    db: &C,
    forum_id: i64,
) -> Result<Option<Progress>, FedError> {
    Ok(backfills::latest(db, forum_id, None)
        .await?
        .map(|b| Progress {
            threads: b.threads.max(0) as u32,
            replies: b.replies.max(0) as u32,
            running: matches!(b.state.as_str(), "queued" | "running"),
            failed: b.last_error,
        }))
}

/// Works the queue for ever: one page of one backfill at a time, the one that waited longest.
pub async fn worker(config: Config) {
    loop {
        let data = config.to_request_data();
        match work_one(&data).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "backfill round failed"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Claims one backfill and reads its next page. Returns whether there was one.
pub async fn work_one(data: &Data<FedData>) -> Result<bool, FedError> {
    let now = Utc::now();
    let Some(job) = backfills::claim(&data.db, now, now + LEASE).await? else {
        return Ok(false);
    };
    let outcome = match forums::by_id(&data.db, job.forum_id).await? {
        Some(forum) if !forum.local => step(data, &job, &forum).await,
        _ => Ok(None),
    };
    let now = Utc::now();
    match outcome {
        Ok(Some(page)) => {
            backfills::advance(
                &data.db,
                job.id,
                Some(page.next.as_str()),
                page.threads,
                page.replies,
                now,
            )
            .await?;
        }
        Ok(None) => backfills::finish(&data.db, job.id, None, now).await?,
        // A forum's page that could not be read (its server down, say) is tried again later,
        // from the same page; a thread's reading just ends.
        Err(Stop { why: Some(why), .. }) if job.thread_id.is_none() => {
            tracing::info!(forum = job.forum_id, error = %why, "a backfill page failed; trying again later");
            backfills::retry_later(&data.db, job.id, &why.to_string(), now + RETRY_AFTER).await?;
        }
        Err(Stop {
            threads,
            replies,
            why,
        }) => {
            backfills::advance(&data.db, job.id, None, threads, replies, now).await?;
            let why = why.map(|why| why.to_string());
            backfills::finish(&data.db, job.id, why.as_deref(), now).await?;
        }
    }
    Ok(true)
}

/// A page read, and the one to read next.
struct Page {
    next: Url,
    threads: i32,
    replies: i32,
}

/// A backfill that ends with this page: what it brought, and why it stopped if it failed.
struct Stop {
    threads: i32,
    replies: i32,
    why: Option<FedError>,
}

impl From<FedError> for Stop {
    fn from(why: FedError) -> Self {
        Stop {
            threads: 0,
            replies: 0,
            why: Some(why),
        }
    }
}

impl From<stoa_db::DbErr> for Stop {
    fn from(why: stoa_db::DbErr) -> Self {
        Stop::from(FedError::from(why))
    }
}

/// Reads one page of a backfill: `Ok(Some)` with the page to read next, `Ok(None)` or
/// `Err(Stop)` when it is finished.
async fn step(
    data: &Data<FedData>,
    job: &backfill::Model,
    forum: &forum::Model,
) -> Result<Option<Page>, Stop> {
    if let Some(thread_id) = job.thread_id {
        let replies = thread_replies(data, forum, thread_id).await?;
        return Err(Stop {
            threads: 0,
            replies,
            why: None,
        });
    }
    // Nobody here follows it any more: its history is of no use.
    if subscriptions::count_for_forum(&data.db, forum.id).await? == 0 {
        return Ok(None);
    }
    let forum_id = forum
        .ap_id
        .as_deref()
        .and_then(|id| Url::parse(id).ok())
        .ok_or_else(|| FedError::Rejected("a forum elsewhere without an id".into()))?;
    let page = match job.next_page.as_deref() {
        Some(next) => {
            let next = Url::parse(next).map_err(|e| FedError::Rejected(e.to_string()))?;
            fetch(data, &next, &forum_id).await?
        }
        None => first_outbox_page(data, &forum_id).await?,
    };
    let mut threads = 0;
    let mut replies = 0;
    let room = (job.max_threads - job.threads).max(0) as usize;
    let items = collection_items(&page);
    let listed = items.len();
    for id in items.into_iter().take(room.min(MAX_PAGE_ITEMS)) {
        threads += 1;
        // A thread's replies may take minutes: the job stays this worker's meanwhile.
        backfills::hold(&data.db, job.id, Utc::now() + LEASE).await?;
        let starter = match bring(data, forum, id.clone()).await {
            Ok(_) => posts::by_ap_id(&data.db, id.as_str()).await?,
            Err(e) => {
                tracing::info!(post = %id, error = %e, "skipping a post of a followed forum");
                None
            }
        };
        if let Some(starter) = starter.filter(|p| p.parent_id.is_none()) {
            // One thread that cannot be read does not end the forum's history.
            match thread_replies(data, forum, starter.thread_id).await {
                Ok(stored) => replies += stored,
                Err(e) => tracing::info!(post = %id, error = %e, "skipping a thread's replies"),
            }
        }
    }
    // A page that lists nothing, or names itself as next, ends the history: a server cannot
    // keep this worker reading empty pages.
    let current = job.next_page.as_deref();
    let next =
        next_page(&page, &forum_id).filter(|next| listed > 0 && current != Some(next.as_str()));
    match next {
        Some(next) if job.threads + threads < job.max_threads => Ok(Some(Page {
            next,
            threads,
            replies,
        })),
        _ => Err(Stop {
            threads,
            replies,
            why: None,
        }),
    }
}

/// Fetches a post of the forum and stores it, after the pause that paces its server.
async fn bring(
    data: &Data<FedData>,
    forum: &forum::Model,
    id: Url,
) -> Result<Option<crate::inbox::Post>, FedError> {
    if data.urls.is_local(&id) || posts::by_ap_id(&data.db, id.as_str()).await?.is_some() {
        return Ok(None);
    }
    tokio::time::sleep(data.backfill.pause).await;
    // Each post with its own budget of fetches (its author, unknown parents).
    fetch_and_store(&data.reset_request_count(), forum, id).await
}

/// Fetches a reply of the thread and stores it under its parent, after the pause that paces its
/// server — only when its parent is already in this thread: what a thread's collections list
/// never starts a thread, nor is placed under posts fetched from anywhere else.
async fn bring_reply(
    data: &Data<FedData>,
    forum: &forum::Model,
    id: Url,
    thread_id: i64,
) -> Result<Option<crate::inbox::Post>, FedError> {
    if data.urls.is_local(&id) || posts::by_ap_id(&data.db, id.as_str()).await?.is_some() {
        return Ok(None);
    }
    tokio::time::sleep(data.backfill.pause).await;
    let data = data.reset_request_count();
    let reply = fetch_post(&data, &id).await?;
    let Some(parent) = reply.in_reply_to.as_ref() else {
        return Err(FedError::Rejected(format!("{id} answers nothing")));
    };
    match find_post(&data, parent).await? {
        Some(parent) if parent.thread_id == thread_id => {}
        _ => {
            return Err(FedError::Rejected(format!(
                "{id} does not answer a post of this thread"
            )));
        }
    }
    store_fetched(&data, forum, reply.clone()).await?;
    Ok(Some(reply))
}

/// The replies of one thread from elsewhere that are not here yet, read from its server:
/// through the thread's `context` when its server publishes one, else its `replies`
/// collections, each reply's in turn. Returns how many were stored.
async fn thread_replies(
    data: &Data<FedData>,
    forum: &forum::Model,
    thread_id: i64,
) -> Result<i32, FedError> {
    let Some(starter) = stoa_db::queries::threads::by_id(&data.db, thread_id)
        .await?
        .and_then(|t| t.starter_post_id)
    else {
        return Ok(0);
    };
    let Some(starter) = posts::by_id(&data.db, starter).await? else {
        return Ok(0);
    };
    let Some(starter_id) = starter.ap_id.as_deref().and_then(|id| Url::parse(id).ok()) else {
        return Ok(0);
    };
    tokio::time::sleep(data.backfill.pause).await;
    let first = fetch_post(&data.reset_request_count(), &starter_id).await?;
    let mut stored = 0;
    let mut seen = 0;
    // The conversation, whole, from the server of the thread's first post.
    if let Some(context) = first
        .context
        .as_ref()
        .filter(|c| crate::remote::same_server(c, &starter_id))
        && let Ok(ids) = walk(data, context, &starter_id).await
        && !ids.is_empty()
    {
        for id in ids.into_iter().filter(|id| *id != starter_id) {
            seen += 1;
            if seen > MAX_REPLIES {
                break;
            }
            match bring_reply(data, forum, id.clone(), thread_id).await {
                Ok(Some(_)) => stored += 1,
                Ok(None) => {}
                Err(e) => tracing::info!(post = %id, error = %e, "skipping a reply"),
            }
        }
        return Ok(stored);
    }
    // No conversation: each post's direct replies, breadth first.
    let mut queue: std::collections::VecDeque<(Url, Url)> = first
        .replies
        .clone()
        .map(|r| (r, starter_id.clone()))
        .into_iter()
        .collect();
    while let Some((collection, owner)) = queue.pop_front() {
        if !crate::remote::same_server(&collection, &owner) {
            continue;
        }
        let Ok(ids) = walk(data, &collection, &owner).await else {
            continue;
        };
        for id in ids {
            seen += 1;
            if seen > MAX_REPLIES {
                return Ok(stored);
            }
            match bring_reply(data, forum, id.clone(), thread_id).await {
                Ok(Some(reply)) => {
                    stored += 1;
                    if let Some(replies) = reply.replies.clone() {
                        queue.push_back((replies, reply.id.clone()));
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::info!(post = %id, error = %e, "skipping a reply"),
            }
        }
    }
    Ok(stored)
}

/// Every item id of a collection, following `first` and `next` (pages on the collection's own
/// server only), at most [`MAX_PAGES`] pages and [`MAX_REPLIES`] items.
async fn walk(data: &Data<FedData>, collection: &Url, owner: &Url) -> Result<Vec<Url>, FedError> {
    let mut page = fetch(data, collection, owner).await?;
    let mut ids = collection_items(&page);
    let mut next = first_page(&page, owner);
    if next.is_none()
        && let Some(inline) = page.get("first").filter(|f| f.is_object()).cloned()
    {
        ids.extend(collection_items(&inline));
        next = next_page(&inline, owner);
    }
    let mut pages = 0;
    while let Some(url) = next.take() {
        pages += 1;
        if pages > MAX_PAGES || ids.len() >= MAX_REPLIES {
            break;
        }
        page = fetch(data, &url, owner).await?;
        ids.extend(collection_items(&page));
        next = next_page(&page, owner);
    }
    ids.truncate(MAX_REPLIES);
    Ok(ids)
}

/// A forum's outbox, at its first page (or the collection itself when it is not paged).
async fn first_outbox_page(data: &Data<FedData>, forum_id: &Url) -> Result<Value, FedError> {
    let document: crate::remote::ActorDocument =
        fetch_object_http(forum_id, &data.reset_request_count())
            .await?
            .object;
    let outbox = document
        .outbox
        .ok_or_else(|| FedError::Rejected(format!("{forum_id} publishes no outbox")))?;
    let collection = fetch(data, &outbox, forum_id).await?;
    if let Some(first) = first_page(&collection, forum_id) {
        return fetch(data, &first, forum_id).await;
    }
    Ok(match collection.get("first") {
        Some(inline @ Value::Object(_)) => inline.clone(),
        _ => collection,
    })
}

/// Fetches a collection or page, which must be on `owner`'s server, after the pause that
/// paces that server.
async fn fetch(data: &Data<FedData>, url: &Url, owner: &Url) -> Result<Value, FedError> {
    if !crate::remote::same_server(url, owner) {
        return Err(FedError::Rejected(format!(
            "{url} is not on the server of {owner}"
        )));
    }
    tokio::time::sleep(data.backfill.pause).await;
    Ok(fetch_object_http(url, &data.reset_request_count())
        .await?
        .object)
}

/// A collection's `first` page, when it names one on the owner's server.
fn first_page(collection: &Value, owner: &Url) -> Option<Url> {
    link(collection.get("first")?, owner)
}

/// A page's `next` page, when it names one on the owner's server.
fn next_page(page: &Value, owner: &Url) -> Option<Url> {
    link(page.get("next")?, owner)
}

fn link(value: &Value, owner: &Url) -> Option<Url> {
    let text = match value {
        Value::String(text) => text.as_str(),
        Value::Object(map) => map.get("id")?.as_str()?,
        _ => return None,
    };
    Url::parse(text)
        .ok()
        .filter(|url| crate::remote::same_server(url, owner))
}

/// The ids of the posts a collection page lists, in its order: each item may be the post's id,
/// the post, or an activity (`Announce`, `Create`) around either (Lemmy lists
/// `Announce{Create{Page}}`, Stoa too).
fn collection_items(page: &Value) -> Vec<Url> {
    fn post_id(item: &Value, depth: usize) -> Option<Url> {
        match item {
            Value::String(id) => Url::parse(id).ok(),
            Value::Object(map) => {
                let kind = map.get("type").and_then(|t| t.as_str()).unwrap_or_default();
                if matches!(kind, "Announce" | "Create") && depth < 2 {
                    post_id(map.get("object")?, depth + 1)
                } else if matches!(kind, "Page" | "Article" | "Note" | "Question") {
                    post_id(map.get("id")?, depth)
                } else {
                    None
                }
            }
            _ => None,
        }
    }
    let items = page
        .get("orderedItems")
        .or_else(|| page.get("items"))
        .and_then(|items| items.as_array());
    items
        .into_iter()
        .flatten()
        .filter_map(|item| post_id(item, 0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::collection_items;

    #[test]
    fn outbox_items_name_their_posts_whatever_wraps_them() {
        // Lemmy: Announce{Create{Page}}, newest first.
        let lemmy: serde_json::Value = serde_json::from_str(include_str!(
            "../tests/fixtures/lemmy/collections/group_outbox.json"
        ))
        .unwrap();
        let posts: Vec<String> = collection_items(&lemmy)
            .iter()
            .map(|u| u.to_string())
            .collect();
        assert_eq!(
            posts,
            [
                "https://ds9.lemmy.ml/post/2328",
                "https://ds9.lemmy.ml/post/2327"
            ]
        );
        // A post's id; a bare post; what is not a post is passed over.
        let mixed = serde_json::json!({
            "type": "OrderedCollection",
            "orderedItems": [
                {"type": "Announce", "object": "https://b.example/t/2"},
                {"type": "Note", "id": "https://b.example/p/9"},
                {"type": "Follow", "object": "https://b.example/f/books"},
                {"type": "Announce", "object": {"type": "Person", "id": "https://b.example/u/x"}},
            ],
        });
        let posts: Vec<String> = collection_items(&mixed)
            .iter()
            .map(|u| u.to_string())
            .collect();
        assert_eq!(posts, ["https://b.example/t/2", "https://b.example/p/9"]);
    }
}
