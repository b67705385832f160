//! Replies from other servers written in batches: one transaction and a handful of statements
//! for every reply that arrived while the previous batch was being written (group commit).
//!
//! A busy thread followed from many servers receives replies faster than one transaction per
//! reply can store them. [`ReplyQueue`] hands every reply to a single writer task, which takes
//! all that are waiting and stores them together with [`reply_many`]; each sender gets its own
//! answer only after the batch is committed, so an inbox that answers "accepted" has stored it.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use stoa_db::queries::{forums, outbox, posts, threads, users};
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
    /// Any post of a thread.
    Post(i64),
}

/// A reply from another server: its author (a remote member stored here), where it goes and
/// its body, whose `ap_id` must be set.
#[derive(Debug, Clone)]
pub struct IncomingReply {
    pub actor: Actor,
    pub target: ReplyTarget,
    pub content: Content,
}

/// Most replies written in one transaction.
pub const MAX_BATCH: usize = 256;

/// Stores replies in one transaction. The outer error means the transaction failed and nothing
/// was stored; otherwise each reply has its own outcome, in order. A reply whose `ap_id` is
/// already stored (or appears earlier in the batch) is not stored again: its outcome names the
/// stored post.
pub async fn reply_many<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    replies: &[IncomingReply],
) -> CoreResult<Vec<CoreResult<Created>>> {
    let txn = stoa_db::begin_write(db).await?;
    let post_ids: Vec<i64> = dedup(replies.iter().filter_map(|r| match r.target {
        ReplyTarget::Post(id) => Some(id),
        ReplyTarget::Thread(_) => None,
    }));
    let parents: HashMap<i64, stoa_db::post::Model> = posts::by_ids(&txn, &post_ids)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let thread_ids = dedup(replies.iter().filter_map(|r| match r.target {
        ReplyTarget::Thread(id) => Some(id),
        ReplyTarget::Post(id) => parents.get(&id).map(|p| p.thread_id),
    }));
    let thread_rows: HashMap<i64, thread::Model> = threads::by_ids(&txn, &thread_ids)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let ap_ids: Vec<&str> = replies
        .iter()
        .filter_map(|r| r.content.ap_id.as_deref())
        .collect();
    let mut stored: HashMap<String, Created> = posts::by_ap_ids(&txn, &ap_ids)
        .await?
        .into_iter()
        .filter_map(|p| {
            let created = Created {
                thread_id: p.thread_id,
                post_id: p.id,
            };
            p.ap_id.map(|ap_id| (ap_id, created))
        })
        .collect();

    // Each reply is checked as `posts::reply_with` checks a single one; `None` marks a post
    // already stored, or stored by an earlier reply of this batch.
    let now = Utc::now();
    let mut planned: Vec<CoreResult<Option<(&thread::Model, i64)>>> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for reply in replies {
        let plan = match reply.content.ap_id.as_deref() {
            None => Err(CoreError::Internal(
                "a reply from elsewhere needs its ActivityPub id".into(),
            )),
            Some(ap_id) if stored.contains_key(ap_id) => Ok(None),
            Some(ap_id) => place(reply.target, &thread_rows, &parents)
                .map(|placed| seen.insert(ap_id).then_some(placed)),
        };
        planned.push(plan);
    }

    let rows: Vec<posts::NewPost> = replies
        .iter()
        .zip(&planned)
        .filter_map(|(reply, plan)| match plan {
            Ok(Some((thread, parent_id))) => Some(posts::NewPost {
                thread_id: thread.id,
                parent_id: Some(*parent_id),
                author_id: reply.actor.id,
                body_source: &reply.content.source,
                body_html: &reply.content.html,
                ap_id: reply.content.ap_id.as_deref(),
                now,
            }),
            _ => None,
        })
        .collect();
    let mut inserted: HashMap<String, i64> = posts::insert_many(&txn, rows)
        .await?
        .into_iter()
        .filter_map(|p| p.ap_id.map(|ap_id| (ap_id, p.id)))
        .collect();

    // Counters once per thread, forum and author; events in the order the replies came.
    let mut thread_counts: Vec<(&thread::Model, i64, i64)> = Vec::new();
    let mut forum_counts: Vec<forums::NewPosts> = Vec::new();
    let mut author_counts: Vec<(i64, i64)> = Vec::new();
    let mut events = Vec::new();
    for (reply, plan) in replies.iter().zip(&planned) {
        let Ok(Some((thread, parent_id))) = plan else {
            continue;
        };
        let ap_id = reply.content.ap_id.as_deref().unwrap_or_default();
        let post_id = inserted.remove(ap_id).ok_or_else(|| {
            CoreError::Internal(format!("the stored rows do not include {ap_id}"))
        })?;
        stored.insert(
            ap_id.to_owned(),
            Created {
                thread_id: thread.id,
                post_id,
            },
        );
        let author = reply.actor.id;
        match thread_counts.iter_mut().find(|(t, _, _)| t.id == thread.id) {
            Some((_, count, last)) => (*count, *last) = (*count + 1, author),
            None => thread_counts.push((thread, 1, author)),
        }
        match forum_counts
            .iter_mut()
            .find(|f| f.forum_id == thread.forum_id)
        {
            Some(forum) => {
                forum.posts += 1;
                (
                    forum.last_thread_id,
                    forum.last_post_id,
                    forum.last_author_id,
                ) = (thread.id, post_id, author);
            }
            None => forum_counts.push(forums::NewPosts {
                forum_id: thread.forum_id,
                posts: 1,
                threads: 0,
                last_thread_id: thread.id,
                last_post_id: post_id,
                last_author_id: author,
                at: now,
            }),
        }
        match author_counts.iter_mut().find(|(id, _)| *id == author) {
            Some((_, count)) => *count += 1,
            None => author_counts.push((author, 1)),
        }
        let event = Event::ReplyCreated {
            forum_id: thread.forum_id,
            thread_id: thread.id,
            post_id,
            parent_id: *parent_id,
        };
        events.push(crate::events::new_event(author, &event, now)?);
    }
    // The counters last, and each kind in id order: several processes may write to one
    // PostgreSQL database, and rows locked late and in one order are held briefly and never
    // deadlock.
    outbox::append_many(&txn, events).await?;
    thread_counts.sort_by_key(|(thread, _, _)| thread.id);
    for (thread, count, last_author) in &thread_counts {
        threads::record_replies(&txn, thread.id, *count, *last_author, now).await?;
    }
    forum_counts.sort_by_key(|forum| forum.forum_id);
    for forum in &forum_counts {
        forums::record_new_posts(&txn, forum).await?;
    }
    author_counts.sort_unstable();
    users::add_post_counts(&txn, &author_counts).await?;
    txn.commit().await?;

    Ok(replies
        .iter()
        .zip(planned)
        .map(|(reply, plan)| {
            plan.and_then(|_| {
                let ap_id = reply.content.ap_id.as_deref().unwrap_or_default();
                stored
                    .get(ap_id)
                    .copied()
                    .ok_or_else(|| CoreError::Internal(format!("{ap_id} was not stored")))
            })
        })
        .collect())
}

/// The thread and parent post a reply goes under, if it may.
fn place<'a>(
    target: ReplyTarget,
    threads: &'a HashMap<i64, thread::Model>,
    parents: &HashMap<i64, stoa_db::post::Model>,
) -> CoreResult<(&'a thread::Model, i64)> {
    let (thread, parent_id) = match target {
        ReplyTarget::Thread(id) => {
            let thread = threads.get(&id).ok_or(CoreError::NotFound("thread"))?;
            let starter = thread
                .starter_post_id
                .ok_or(CoreError::NotFound("parent post"))?;
            (thread, starter)
        }
        ReplyTarget::Post(id) => {
            let parent = parents.get(&id).ok_or(CoreError::NotFound("parent post"))?;
            let thread = threads
                .get(&parent.thread_id)
                .ok_or(CoreError::NotFound("thread"))?;
            (thread, parent.id)
        }
    };
    if thread.locked {
        return Err(CoreError::Forbidden("this thread is locked"));
    }
    Ok((thread, parent_id))
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

type Job = (IncomingReply, oneshot::Sender<CoreResult<Created>>);

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
    pub async fn reply(&self, reply: IncomingReply) -> CoreResult<Created> {
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
        let (replies, answers): (Vec<IncomingReply>, Vec<_>) = batch.drain(..).unzip();
        let started = std::time::Instant::now();
        let written = reply_many(&db, &replies).await;
        tracing::debug!(
            size = replies.len(),
            micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "reply batch written"
        );
        let outcomes = match written {
            Ok(outcomes) => outcomes,
            Err(err) => {
                // The transaction failed as a whole (say, another process stored one of these
                // posts a moment ago): each reply alone, so that one cannot sink the others.
                tracing::debug!(error = %err, size = replies.len(), "reply batch retried one by one");
                let mut outcomes = Vec::with_capacity(replies.len());
                for reply in &replies {
                    outcomes.push(match reply_many(&db, std::slice::from_ref(reply)).await {
                        Ok(mut one) => one
                            .pop()
                            .unwrap_or(Err(CoreError::Internal("an empty batch outcome".into()))),
                        Err(err) => Err(err),
                    });
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
