//! The one reply service: every reply is checked and stored here, whoever wrote it — the page's
//! form, the JSON API, a reply from another server, an ancestor fetched to place one, a thread
//! filled in from elsewhere.
//!
//! Replies are written in batches: one transaction and a handful of statements for every reply
//! that is waiting (group commit), and a single reply is a batch of one. A busy thread followed
//! from many servers receives replies faster than one transaction per reply can store them, so
//! [`ReplyQueue`] hands replies from elsewhere to a single writer task, which takes all that are
//! waiting and stores them together with [`write`]; each sender gets its own answer only after
//! the batch is committed, so an inbox that answers "accepted" has stored it.
//!
//! The rules, in one place: the thread exists and is not locked; its author is not banned from
//! its forum, nor suspended here, nor of a blocked server; the parent post is in that thread; the body is within limits (a [`Content`] cannot be made otherwise) and not blank; a
//! post from elsewhere is stored once, however often its id arrives; a reply keeps the time it
//! says it was written, never later than now; counters and the outbox event are written in the
//! same transaction as the post.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use stoa_db::queries::{forums, outbox, posts, threads, users};
use stoa_db::writes::Writes;
use stoa_db::{ConnectionTrait, DatabaseConnection, TransactionSession, TransactionTrait, thread};
use tokio::sync::{mpsc, oneshot};

use crate::events::Event;
use crate::posts::{Content, Created};
use crate::{Actor, CoreError, CoreResult};

/// The post a reply answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyTarget {
    /// A thread, answered at its starter post (what a reply to `/t/{id}` means).
    Thread(i64),
    /// Any post of any thread (what a reply to `/p/{id}`, or to a post from elsewhere, means).
    Post(i64),
    /// A post that must belong to the given thread (a reply made on the thread's page).
    InThread { thread_id: i64, post_id: i64 },
}

/// A reply to store: its author, where it goes and its body.
#[derive(Debug, Clone)]
pub struct NewReply {
    pub author: Actor,
    pub target: ReplyTarget,
    pub content: Content,
}

/// A member's reply, written here: the body is markdown.
#[tracing::instrument(skip(db, body), fields(actor = actor.id))]
pub async fn reply<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    thread_id: i64,
    parent_id: i64,
    body: &str,
) -> CoreResult<Created> {
    reply_one(
        db,
        NewReply {
            author: actor.clone(),
            target: ReplyTarget::InThread {
                thread_id,
                post_id: parent_id,
            },
            content: Content::local(body)?,
        },
    )
    .await
}

/// Stores one reply: a batch of one.
pub async fn reply_one<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    reply: NewReply,
) -> CoreResult<Created> {
    write(db, std::slice::from_ref(&reply), Utc::now())
        .await?
        .pop()
        .unwrap_or_else(|| Err(CoreError::Internal("an empty batch outcome".into())))
}

/// Most replies written in one transaction.
pub const MAX_BATCH: usize = 256;

/// Stores replies in one transaction, as of `now`. The outer error means the transaction failed
/// and nothing was stored; otherwise each reply has its own outcome, in order. A reply whose
/// `ap_id` is already stored (or appears earlier in the batch) is not stored again: its outcome
/// names the stored post.
pub async fn write<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    replies: &[NewReply],
    now: DateTime<Utc>,
) -> CoreResult<Vec<CoreResult<Created>>> {
    let txn = stoa_db::begin_write(db).await?;
    let parent_ids: Vec<i64> = dedup(replies.iter().filter_map(|r| match r.target {
        ReplyTarget::Post(id) | ReplyTarget::InThread { post_id: id, .. } => Some(id),
        ReplyTarget::Thread(_) => None,
    }));
    let parents: HashMap<i64, stoa_db::post::Model> = posts::by_ids(&txn, &parent_ids)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let thread_ids = dedup(replies.iter().filter_map(|r| match r.target {
        ReplyTarget::Thread(id) | ReplyTarget::InThread { thread_id: id, .. } => Some(id),
        ReplyTarget::Post(id) => parents.get(&id).map(|p| p.thread_id),
    }));
    let thread_rows: HashMap<i64, thread::Model> = threads::by_ids(&txn, &thread_ids)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    // Bans in force on these authors in these forums, hidden authors (suspended here, or of a
    // blocked server: they post nothing), and which forums have followers: one statement. The
    // activity as received is kept with a reply's event only to re-broadcast it to the forum's
    // followers, so a forum nobody follows is spared the copy.
    let forum_ids = dedup(thread_rows.values().map(|t| t.forum_id));
    let author_ids = dedup(replies.iter().map(|r| r.author.id));
    // Whom the batch may notify: the authors of the posts and threads it answers.
    let notified = dedup(
        parents
            .values()
            .map(|p| p.author_id)
            .chain(thread_rows.values().map(|t| t.author_id)),
    );
    let stoa_db::queries::gate::Gate {
        banned,
        hidden,
        followed,
        recipients,
    } = stoa_db::queries::gate::read(&txn, &forum_ids, &author_ids, &notified, now).await?;
    // `None` marks a post stored by an earlier reply of this batch: it is answered with that
    // post.
    let mut planned: Vec<CoreResult<Option<Placed>>> = Vec::with_capacity(replies.len());
    let mut seen: HashSet<&str> = HashSet::new();
    for reply in replies {
        let plan = match reply.content.ap_id() {
            // A thread's first post may be a link or a title alone; a reply needs words.
            _ if hidden.contains(&reply.author.id) => Err(crate::safety::HIDDEN_AUTHOR),
            _ if reply.content.is_blank() => {
                Err(CoreError::invalid("content", "a post needs some text"))
            }
            ap_id => place(reply, &thread_rows, &parents, &banned, now).map(|placed| match ap_id {
                Some(ap_id) => seen.insert(ap_id).then_some(placed),
                None => Some(placed),
            }),
        };
        planned.push(plan);
    }

    // Posts from elsewhere in one statement, matched back by their ids, passing over those
    // already stored; a member's own reply (no ActivityPub id yet) comes alone, so it is
    // inserted alone.
    let mut post_ids: Vec<Option<i64>> = vec![None; replies.len()];
    let mut many = Vec::new();
    let mut index_of: HashMap<&str, usize> = HashMap::new();
    for (index, (reply, plan)) in replies.iter().zip(&planned).enumerate() {
        let Ok(Some(placed)) = plan else {
            continue;
        };
        let row = posts::NewPost {
            thread_id: placed.thread_id,
            parent_id: Some(placed.parent_id),
            author_id: reply.author.id,
            body_source: reply.content.source(),
            body_html: reply.content.html(),
            ap_id: reply.content.ap_id(),
            // Only a thread's first post carries a link.
            link_url: None,
            now: placed.at,
        };
        match reply.content.ap_id() {
            Some(ap_id) => {
                index_of.insert(ap_id, index);
                many.push(row);
            }
            None => post_ids[index] = Some(posts::insert(&txn, row).await?.id),
        }
    }
    for row in posts::insert_new_from_elsewhere(&txn, many).await? {
        let index = index_of
            .get(row.ap_id.as_str())
            .ok_or_else(|| CoreError::Internal("a stored row matches no reply".into()))?;
        post_ids[*index] = Some(row.id);
    }
    // A post already stored — found so, or refused — is answered with the stored post even where
    // it could no longer be placed (say, its thread was locked since), as the same activity
    // delivered twice must get the same answer. Only those are looked up: a batch of new posts
    // reads nothing more.
    let unwritten: Vec<&str> = replies
        .iter()
        .zip(&planned)
        .zip(&post_ids)
        .filter(|((_, plan), post_id)| post_id.is_none() && !matches!(plan, Ok(None)))
        .filter_map(|((reply, _), _)| reply.content.ap_id())
        .collect();
    let mut stored: HashMap<String, Created> = HashMap::new();
    if !unwritten.is_empty() {
        for post in posts::by_ap_ids(&txn, &unwritten).await? {
            if let Some(ap_id) = post.ap_id {
                let created = Created {
                    thread_id: post.thread_id,
                    post_id: post.id,
                };
                stored.insert(ap_id, created);
            }
        }
        for ((reply, plan), post_id) in replies.iter().zip(planned.iter_mut()).zip(&post_ids) {
            let found = reply
                .content
                .ap_id()
                .is_some_and(|ap_id| stored.contains_key(ap_id));
            if post_id.is_none() && found {
                *plan = Ok(None);
            }
        }
    }
    // The members here mentioned in the batch, by name: one statement, only when there are any.
    let names: Vec<String> = replies
        .iter()
        .flat_map(|r| r.content.mentions().iter().cloned())
        .collect();
    let named: HashMap<String, i64> =
        stoa_db::queries::notifications::local_members_named(&txn, &names)
            .await?
            .into_iter()
            .map(|(id, name)| (name.to_lowercase(), id))
            .collect();
    let mut told = Vec::new();

    // Counters once per thread, forum and author; events in the order the replies came.
    let mut thread_counts: Vec<ThreadCount> = Vec::new();
    let mut forum_counts: Vec<forums::NewPosts> = Vec::new();
    let mut author_counts: Vec<(i64, i64)> = Vec::new();
    let mut events = Vec::new();
    for ((reply, plan), post_id) in replies.iter().zip(&planned).zip(&post_ids) {
        let (Ok(Some(placed)), Some(post_id)) = (plan, *post_id) else {
            continue;
        };
        if let Some(ap_id) = reply.content.ap_id() {
            let created = Created {
                thread_id: placed.thread_id,
                post_id,
            };
            stored.insert(ap_id.to_owned(), created);
        }
        let author = reply.author.id;
        match thread_counts
            .iter_mut()
            .find(|t| t.thread_id == placed.thread_id)
        {
            Some(count) => count.add(author, placed.at),
            None => thread_counts.push(ThreadCount {
                thread_id: placed.thread_id,
                replies: 1,
                last_author: author,
                last_at: placed.at,
            }),
        }
        match forum_counts
            .iter_mut()
            .find(|f| f.forum_id == placed.forum_id)
        {
            Some(forum) => {
                forum.posts += 1;
                if placed.at >= forum.at {
                    (
                        forum.last_thread_id,
                        forum.last_post_id,
                        forum.last_author_id,
                        forum.at,
                    ) = (placed.thread_id, post_id, author, placed.at);
                }
            }
            None => forum_counts.push(forums::NewPosts {
                forum_id: placed.forum_id,
                posts: 1,
                threads: 0,
                last_thread_id: placed.thread_id,
                last_post_id: post_id,
                last_author_id: author,
                at: placed.at,
            }),
        }
        // The parent's author hears of the reply; the starter's author when the thread was
        // answered; the members it mentions hear of that.
        let parent_author = parents
            .get(&placed.parent_id)
            .map(|p| p.author_id)
            .or_else(|| thread_rows.get(&placed.thread_id).map(|t| t.author_id));
        let about = |kind, user_id| stoa_db::queries::notifications::NewNotification {
            actor_id: Some(author),
            thread_id: Some(placed.thread_id),
            post_id: Some(post_id),
            ..crate::notifications::new(kind, user_id)
        };
        if let Some(parent_author) = parent_author {
            told.push(about(crate::notifications::Kind::Reply, parent_author));
        }
        for name in reply.content.mentions() {
            if let Some(id) = named.get(&name.to_lowercase()) {
                told.push(about(crate::notifications::Kind::Mention, *id));
            }
        }
        match author_counts.iter_mut().find(|(id, _)| *id == author) {
            Some((_, count)) => *count += 1,
            None => author_counts.push((author, 1)),
        }
        let event = Event::ReplyCreated {
            forum_id: placed.forum_id,
            thread_id: placed.thread_id,
            post_id,
            parent_id: placed.parent_id,
            origin: followed
                .contains(&placed.forum_id)
                .then(|| reply.content.origin().map(str::to_owned))
                .flatten(),
        };
        events.push(crate::events::new_event(author, &event, now)?);
    }
    // What nobody reads back goes together, at the end: the events, then the counters, each
    // kind in id order (several processes may write to one PostgreSQL database, and rows locked
    // late and in one order are held briefly and never deadlock), then the notifications.
    let mut writes = Writes::for_connection(&txn);
    outbox::append_many(&mut writes, events);
    thread_counts.sort_by_key(|count| count.thread_id);
    for count in &thread_counts {
        threads::record_replies(
            &mut writes,
            count.thread_id,
            count.replies,
            count.last_author,
            count.last_at,
        );
    }
    forum_counts.sort_by_key(|forum| forum.forum_id);
    for forum in &forum_counts {
        forums::record_new_posts(&mut writes, forum);
    }
    author_counts.sort_unstable();
    users::add_post_counts(&mut writes, &author_counts);
    crate::notifications::notify_among(&txn, &mut writes, told, &notified, recipients).await?;
    writes.run(&txn).await?;
    txn.commit().await?;

    Ok(replies
        .iter()
        .zip(planned)
        .zip(post_ids)
        .map(|((reply, plan), post_id)| match (plan?, post_id) {
            (Some(placed), Some(post_id)) => Ok(Created {
                thread_id: placed.thread_id,
                post_id,
            }),
            _ => {
                let ap_id = reply.content.ap_id().unwrap_or_default();
                stored
                    .get(ap_id)
                    .copied()
                    .ok_or_else(|| CoreError::Internal(format!("{ap_id} was not stored")))
            }
        })
        .collect())
}

/// Where a reply goes and the time it is stored under.
#[derive(Debug, Clone, Copy)]
struct Placed {
    forum_id: i64,
    thread_id: i64,
    parent_id: i64,
    at: DateTime<Utc>,
}

/// New replies of one thread in a batch.
struct ThreadCount {
    thread_id: i64,
    replies: i64,
    last_author: i64,
    last_at: DateTime<Utc>,
}

impl ThreadCount {
    fn add(&mut self, author: i64, at: DateTime<Utc>) {
        self.replies += 1;
        if at >= self.last_at {
            (self.last_author, self.last_at) = (author, at);
        }
    }
}

/// The thread and parent post a reply goes under, if it may go there at all.
fn place(
    reply: &NewReply,
    threads: &HashMap<i64, thread::Model>,
    parents: &HashMap<i64, stoa_db::post::Model>,
    banned: &HashSet<(i64, i64)>,
    now: DateTime<Utc>,
) -> CoreResult<Placed> {
    let parent = |id: i64| parents.get(&id).ok_or(CoreError::NotFound("parent post"));
    let thread = |id: i64| threads.get(&id).ok_or(CoreError::NotFound("thread"));
    let (thread, parent_id) = match reply.target {
        ReplyTarget::Thread(id) => {
            let thread = thread(id)?;
            let starter = thread
                .starter_post_id
                .ok_or(CoreError::NotFound("parent post"))?;
            (thread, starter)
        }
        ReplyTarget::Post(id) => {
            let parent = parent(id)?;
            (thread(parent.thread_id)?, parent.id)
        }
        ReplyTarget::InThread { thread_id, post_id } => {
            let thread = thread(thread_id)?;
            let parent = parent(post_id)?;
            if parent.thread_id != thread.id {
                return Err(CoreError::invalid(
                    "parent_id",
                    "the post you reply to belongs to another thread",
                ));
            }
            (thread, parent.id)
        }
    };
    if thread.locked {
        return Err(CoreError::Forbidden("this thread is locked"));
    }
    if banned.contains(&(thread.forum_id, reply.author.id)) {
        return Err(crate::moderation::BANNED);
    }
    Ok(Placed {
        forum_id: thread.forum_id,
        thread_id: thread.id,
        parent_id,
        // A post from elsewhere keeps the time it was written, so that a parent fetched late
        // sorts before the replies to it; a time in the future is now.
        at: reply.content.stored_at(now),
    })
}

fn dedup(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut ids: Vec<i64> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// A batch smaller than this, written while a burst arrives, waits [`GATHER_FOR`] for more.
const GATHER_BELOW: usize = 32;
const GATHER_FOR: std::time::Duration = std::time::Duration::from_millis(1);

type Job = (NewReply, oneshot::Sender<CoreResult<Created>>);

/// The door to the writer task: cheap to clone, one per process.
#[derive(Clone)]
pub struct ReplyQueue {
    jobs: mpsc::Sender<Job>,
}

impl ReplyQueue {
    /// Starts the writer task on the current tokio runtime. It ends when the last
    /// `ReplyQueue` is dropped.
    pub fn start(db: DatabaseConnection) -> ReplyQueue {
        let (jobs, receiver) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(write_batches(db, receiver));
        ReplyQueue { jobs }
    }

    /// Stores one reply with whatever others are waiting, and answers once it is committed.
    pub async fn reply(&self, reply: NewReply) -> CoreResult<Created> {
        let (answer, outcome) = oneshot::channel();
        let stopped = || CoreError::Internal("the reply writer has stopped".into());
        self.jobs
            .send((reply, answer))
            .await
            .map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
    }
}

/// Takes the next batch: whatever is waiting, after a moment's wait for more when a burst is
/// arriving.
async fn gather(jobs: &mut mpsc::Receiver<Job>, batch: &mut Vec<Job>) -> bool {
    if jobs.recv_many(batch, MAX_BATCH).await == 0 {
        return false;
    }
    if (2..GATHER_BELOW).contains(&batch.len()) {
        // Several were waiting, so a burst is arriving: a moment's wait lets the requests
        // being verified join this transaction, and every commit saved is CPU given back to
        // verifying. A lone reply is written at once.
        tokio::time::sleep(GATHER_FOR).await;
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
    }
    true
}

async fn write_batches(db: DatabaseConnection, mut jobs: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while gather(&mut jobs, &mut batch).await {
        let (replies, answers): (Vec<NewReply>, Vec<_>) = batch.drain(..).unzip();
        let started = std::time::Instant::now();
        let written = write(&db, &replies, Utc::now()).await;
        tracing::debug!(
            size = replies.len(),
            micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "reply batch written"
        );
        let outcomes = match written {
            Ok(outcomes) => outcomes,
            Err(err) => {
                // The transaction failed as a whole (say, the database was busy or the
                // connection dropped): each reply alone, so that one cannot sink the others.
                tracing::debug!(error = %err, size = replies.len(), "reply batch retried one by one");
                let mut outcomes = Vec::with_capacity(replies.len());
                for reply in &replies {
                    outcomes.push(
                        match write(&db, std::slice::from_ref(reply), Utc::now()).await {
                            Ok(mut one) => one.pop().unwrap_or(Err(CoreError::Internal(
                                "an empty batch outcome".into(),
                            ))),
                            Err(err) => Err(err),
                        },
                    );
                }
                outcomes
            }
        };
        for (answer, outcome) in answers.into_iter().zip(outcomes) {
            // A sender that gave up (its request was cancelled) needs no answer.
            let _ = answer.send(outcome);
        }
    }
}
