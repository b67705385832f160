//! The rules of the one reply service, table by table, on a real database (SQLite, or the
//! PostgreSQL named by `STOA_TEST_DATABASE_URL`) and without HTTP: whoever writes a reply — a
//! member here, a server elsewhere, one at a time or in a batch — meets the same rules.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{Duration, Utc};
use common::World;
use stoa_core::CoreError;
use stoa_core::posts::Content;
use stoa_core::replies::{self, NewReply, ReplyTarget};
use stoa_db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// What a reply's outcome must be.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Stored in this thread (by the world's name for it), under this post.
    Stored {
        thread: &'static str,
        parent: &'static str,
    },
    /// Refused, the error displaying this text.
    Refused(&'static str),
}

struct Case {
    name: &'static str,
    target: fn(&World) -> ReplyTarget,
    expect: Expect,
}

fn cases() -> Vec<Case> {
    use Expect::*;
    vec![
        Case {
            name: "a reply to a thread goes under its first post",
            target: |w| ReplyTarget::Thread(w.thread("open")),
            expect: Stored {
                thread: "open",
                parent: "open/1",
            },
        },
        Case {
            name: "a reply to a post goes under it, in its thread",
            target: |w| ReplyTarget::Post(w.post("open/2")),
            expect: Stored {
                thread: "open",
                parent: "open/2",
            },
        },
        Case {
            name: "a reply on a thread's page to one of its posts",
            target: |w| ReplyTarget::InThread {
                thread_id: w.thread("open"),
                post_id: w.post("open/2"),
            },
            expect: Stored {
                thread: "open",
                parent: "open/2",
            },
        },
        Case {
            name: "a parent from another thread is refused",
            target: |w| ReplyTarget::InThread {
                thread_id: w.thread("open"),
                post_id: w.post("other/1"),
            },
            expect: Refused("the post you reply to belongs to another thread"),
        },
        Case {
            name: "an unknown thread",
            target: |_| ReplyTarget::Thread(9_999),
            expect: Refused("thread not found"),
        },
        Case {
            name: "an unknown parent",
            target: |_| ReplyTarget::Post(9_999),
            expect: Refused("parent post not found"),
        },
        Case {
            name: "an unknown parent in a known thread",
            target: |w| ReplyTarget::InThread {
                thread_id: w.thread("open"),
                post_id: 9_999,
            },
            expect: Refused("parent post not found"),
        },
        Case {
            name: "a locked thread takes no reply",
            target: |w| ReplyTarget::Thread(w.thread("locked")),
            expect: Refused("this thread is locked"),
        },
        Case {
            name: "nor a reply to one of its posts",
            target: |w| ReplyTarget::Post(w.post("locked/1")),
            expect: Refused("this thread is locked"),
        },
    ]
}

/// Checks one outcome against its case, and what the thread, the author and the outbox show.
async fn check(world: &World, case: &Case, outcome: Result<stoa_core::posts::Created, CoreError>) {
    match (case.expect, outcome) {
        (Expect::Stored { thread, parent }, Ok(created)) => {
            assert_eq!(created.thread_id, world.thread(thread), "{}", case.name);
            let post = world.stored_post(created.post_id).await;
            assert_eq!(post.parent_id, Some(world.post(parent)), "{}", case.name);
            assert_eq!(post.thread_id, world.thread(thread), "{}", case.name);
            assert!(
                world.has_event("reply_created", created.post_id).await,
                "{}: no outbox event",
                case.name
            );
        }
        (Expect::Refused(message), Err(err)) => {
            assert_eq!(err.to_string(), message, "{}", case.name);
        }
        (expect, outcome) => panic!("{}: expected {expect:?}, got {outcome:?}", case.name),
    }
}

#[tokio::test]
async fn every_rule_holds_for_a_members_reply_and_one_from_elsewhere() {
    for (index, case) in cases().iter().enumerate() {
        let world = World::new().await;
        let target = (case.target)(&world);
        let before = world.counts().await;
        // A member's markdown…
        let local = replies::reply_one(
            &world.db,
            NewReply {
                author: world.member.clone(),
                target,
                content: Content::local("Agreed.").unwrap(),
            },
        )
        .await;
        check(&world, case, local).await;
        // …and a post from elsewhere, through the same door.
        let remote = replies::reply_one(
            &world.db,
            NewReply {
                author: world.remote.clone(),
                target,
                content: Content::remote(
                    "<p>From afar.</p>",
                    None,
                    &format!("https://elsewhere.example/notes/{index}"),
                )
                .unwrap(),
            },
        )
        .await;
        check(&world, case, remote).await;
        let after = world.counts().await;
        let stored = matches!(case.expect, Expect::Stored { .. });
        let added = if stored { 2 } else { 0 };
        assert_eq!(after.posts, before.posts + added, "{}: posts", case.name);
        assert_eq!(after.events, before.events + added, "{}: events", case.name);
        assert_eq!(
            after.open_replies,
            before.open_replies + added,
            "{}: the thread's reply count",
            case.name
        );
        assert_eq!(
            after.forum_posts,
            before.forum_posts + added,
            "{}",
            case.name
        );
        assert_eq!(
            (after.member_posts, after.remote_posts),
            (
                before.member_posts + added / 2,
                before.remote_posts + added / 2
            ),
            "{}: the authors' post counts",
            case.name
        );
    }
}

#[tokio::test]
async fn a_batch_decides_each_reply_as_it_would_alone() {
    let world = World::new().await;
    let cases = cases();
    let batch: Vec<NewReply> = cases
        .iter()
        .enumerate()
        .map(|(index, case)| NewReply {
            author: world.remote.clone(),
            target: (case.target)(&world),
            content: Content::remote(
                "<p>One of many.</p>",
                None,
                &format!("https://elsewhere.example/batch/{index}"),
            )
            .unwrap(),
        })
        .collect();
    let outcomes = replies::write(&world.db, &batch, Utc::now()).await.unwrap();
    assert_eq!(outcomes.len(), cases.len());
    for (case, outcome) in cases.iter().zip(outcomes) {
        check(&world, case, outcome).await;
    }
}

#[tokio::test]
async fn a_post_from_elsewhere_is_stored_once() {
    let world = World::new().await;
    let reply = || NewReply {
        author: world.remote.clone(),
        target: ReplyTarget::Thread(world.thread("open")),
        content: Content::remote("<p>Once.</p>", None, "https://elsewhere.example/notes/once")
            .unwrap(),
    };
    let before = world.counts().await;
    // Twice in one batch, then again in the next: one post, one event, counted once.
    let first = replies::write(&world.db, &[reply(), reply()], Utc::now())
        .await
        .unwrap();
    let again = replies::reply_one(&world.db, reply()).await.unwrap();
    let first: Vec<_> = first.into_iter().map(Result::unwrap).collect();
    assert_eq!(first[0], first[1]);
    assert_eq!(first[0], again);
    let after = world.counts().await;
    assert_eq!(after.posts, before.posts + 1);
    assert_eq!(after.events, before.events + 1);
    assert_eq!(after.open_replies, before.open_replies + 1);
    assert_eq!(after.remote_posts, before.remote_posts + 1);
}

/// Everything a batch writes after its posts — the events, the counters of the thread, the
/// forum and each author, and the notifications — is written, once per reply, whichever
/// database it runs on.
#[tokio::test]
async fn a_batch_writes_its_events_counters_and_notifications() {
    let world = World::new().await;
    let from_afar = |n: usize| from_afar(&world, &format!("batch/{n}"));
    let before = world.counts().await;
    let thread_before = world.thread_row("open").await;
    let told_before = notifications_of(&world, world.member.id).await;
    let mut batch: Vec<NewReply> = (0..3).map(from_afar).collect();
    // A member's own reply to the starter, and one to the reply above it.
    batch.push(NewReply {
        author: world.member.clone(),
        target: ReplyTarget::InThread {
            thread_id: world.thread("open"),
            post_id: world.post("open/2"),
        },
        content: Content::local("And mine.").unwrap(),
    });
    let outcomes = replies::write(&world.db, &batch, Utc::now()).await.unwrap();
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    let after = world.counts().await;
    assert_eq!(after.posts, before.posts + 4);
    assert_eq!(after.events, before.events + 4);
    assert_eq!(after.open_replies, before.open_replies + 4);
    assert_eq!(after.forum_posts, before.forum_posts + 4);
    assert_eq!(after.remote_posts, before.remote_posts + 3);
    assert_eq!(after.member_posts, before.member_posts + 1);
    let thread_after = world.thread_row("open").await;
    assert!(thread_after.last_post_at >= thread_before.last_post_at);
    // The thread's author hears of the three replies from elsewhere, not of their own.
    assert_eq!(
        notifications_of(&world, world.member.id).await,
        told_before + 3
    );
}

/// A reply from the world's member elsewhere to the thread "open", under
/// `https://elsewhere.example/{path}`.
fn from_afar(world: &World, path: &str) -> NewReply {
    NewReply {
        author: world.remote.clone(),
        target: ReplyTarget::Thread(world.thread("open")),
        content: Content::remote(
            "<p>From afar.</p>",
            None,
            &format!("https://elsewhere.example/{path}"),
        )
        .unwrap(),
    }
}

async fn notifications_of(world: &World, user_id: i64) -> u64 {
    use stoa_db::sea_orm::PaginatorTrait;
    stoa_db::notification::Entity::find()
        .filter(stoa_db::notification::Column::UserId.eq(user_id))
        .count(&world.db)
        .await
        .unwrap()
}

/// The same activity delivered again gets the same answer, even where it could no longer be
/// placed: its thread has been locked since, and a copy in the same batch as a new reply.
#[tokio::test]
async fn a_post_stored_before_is_answered_with_itself_after_its_thread_is_locked() {
    let world = World::new().await;
    let reply = |ap_id: &str| NewReply {
        author: world.remote.clone(),
        target: ReplyTarget::Thread(world.thread("open")),
        content: Content::remote("<p>Before the lock.</p>", None, ap_id).unwrap(),
    };
    let stored = replies::reply_one(&world.db, reply("https://elsewhere.example/notes/early"))
        .await
        .unwrap();
    world.lock("open").await;
    let before = world.counts().await;
    let outcomes = replies::write(
        &world.db,
        &[
            reply("https://elsewhere.example/notes/late"),
            reply("https://elsewhere.example/notes/early"),
        ],
        Utc::now(),
    )
    .await
    .unwrap();
    assert!(
        matches!(
            &outcomes[0],
            Err(CoreError::Forbidden("this thread is locked"))
        ),
        "{:?}",
        outcomes[0]
    );
    assert_eq!(outcomes[1].as_ref().unwrap(), &stored);
    let after = world.counts().await;
    assert_eq!(after.posts, before.posts);
    assert_eq!(after.events, before.events);
}

#[tokio::test]
async fn a_reply_keeps_the_time_it_was_written() {
    let world = World::new().await;
    let thread_before = world.thread_row("open").await;
    let two_days_ago = Utc::now() - Duration::days(2);
    let next_year = Utc::now() + Duration::days(365);
    let write = |id: &str, at| {
        let content = Content::remote("<p>Then.</p>", None, id)
            .unwrap()
            .with_written_at(Some(at));
        replies::reply_one(
            &world.db,
            NewReply {
                author: world.remote.clone(),
                target: ReplyTarget::Thread(world.thread("open")),
                content,
            },
        )
    };
    let old = write("https://elsewhere.example/old", two_days_ago)
        .await
        .unwrap();
    let old = world.stored_post(old.post_id).await;
    assert!(
        (old.created_at - two_days_ago).num_milliseconds().abs() < 1,
        "stored at {}, written at {two_days_ago}",
        old.created_at
    );
    // An old reply counts, but does not move the thread back in the chronological lists.
    let thread = world.thread_row("open").await;
    assert_eq!(thread.reply_count, thread_before.reply_count + 1);
    assert_eq!(thread.last_post_at, thread_before.last_post_at);
    assert_eq!(
        thread.last_post_author_id,
        thread_before.last_post_author_id
    );

    // A time in the future is now.
    let future = write("https://elsewhere.example/future", next_year)
        .await
        .unwrap();
    let future = world.stored_post(future.post_id).await;
    assert!(future.created_at <= Utc::now());
    let thread = world.thread_row("open").await;
    assert_eq!(thread.last_post_at, future.created_at);
    assert_eq!(thread.last_post_author_id, Some(world.remote.id));
}

#[tokio::test]
async fn a_body_meets_the_limits_wherever_it_comes_from() {
    let too_long = "a".repeat(stoa_core::limits::BODY_MAX_BYTES + 1);
    let table: [(&str, Result<Content, CoreError>, &str); 4] = [
        (
            "blank markdown",
            Content::local("  \n "),
            "a post needs some text",
        ),
        (
            "markdown past the limit",
            Content::local(&too_long),
            "a post has at most 64 KiB of text",
        ),
        (
            "HTML far past the limit",
            Content::remote(&too_long.repeat(5), None, "https://e.example/2"),
            "the post is too long",
        ),
        (
            "a long markdown source beside short HTML is cut, not refused",
            Content::remote("<p>ok</p>", Some(&too_long), "https://e.example/3").and_then(|c| {
                if c.source().len() == stoa_core::limits::BODY_MAX_BYTES {
                    Err(CoreError::invalid("source", "cut"))
                } else {
                    Ok(c)
                }
            }),
            "cut",
        ),
    ];
    for (name, outcome, message) in table {
        match outcome {
            Err(err) => assert_eq!(err.to_string(), message, "{name}"),
            Ok(content) => panic!("{name}: accepted {content:?}"),
        }
    }
}

/// Words are what a reply is made of; a thread's first post may be a link or a title alone.
#[tokio::test]
async fn a_reply_needs_words_and_a_thread_may_be_a_title_alone() {
    let world = World::new().await;
    let blank = |id: &str| Content::remote("<script>alert(1)</script>", None, id).unwrap();
    let refused = replies::reply_one(
        &world.db,
        NewReply {
            author: world.remote.clone(),
            target: ReplyTarget::Thread(world.thread("open")),
            content: blank("https://elsewhere.example/blank-reply"),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(refused.to_string(), "a post needs some text");

    let link = "https://example.com/article";
    let started = stoa_core::posts::create_thread_with(
        &world.db,
        &world.remote,
        "books",
        "Worth reading",
        blank("https://elsewhere.example/link-post")
            .with_link(Some(link))
            .unwrap(),
    )
    .await
    .unwrap();
    let first = world.stored_post(started.post_id).await;
    assert_eq!(first.body_html, "");
    assert_eq!(first.link_url.as_deref(), Some(link));

    // A link is a web address, or nothing.
    for bad in ["javascript:alert(1)", "ftp://example.com/x", "https://"] {
        let refused = blank("https://elsewhere.example/x")
            .with_link(Some(bad))
            .unwrap_err();
        assert_eq!(
            refused.to_string(),
            "a link is an http or https address of at most 2,000 characters",
            "{bad}"
        );
    }

    // Edited to nothing: the first post may be, a reply may not.
    let reply = replies::reply_one(
        &world.db,
        NewReply {
            author: world.remote.clone(),
            target: ReplyTarget::Thread(started.thread_id),
            content: Content::remote("<p>Thanks.</p>", None, "https://elsewhere.example/thanks")
                .unwrap(),
        },
    )
    .await
    .unwrap();
    let refused = stoa_core::posts::edit_post_with(
        &world.db,
        &world.remote,
        reply.post_id,
        blank("https://elsewhere.example/thanks"),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.to_string(), "a post needs some text");
}

/// A batch is written as its forums and authors stand: a ban in force refuses its author there
/// (an expired one does not), a hidden author posts nothing, and the activity as it arrived is
/// kept for re-broadcasting only once the forum has a follower.
#[tokio::test]
async fn bans_hidden_authors_and_followers_decide_a_batch() {
    use stoa_db::queries::{followers, moderation, safety};
    let world = World::new().await;
    let now = Utc::now();
    let from_afar = |n: usize| {
        let mut reply = from_afar(&world, &format!("gate/{n}"));
        reply.content = reply.content.with_origin(Some(format!(
            "{{\"id\":\"https://elsewhere.example/gate/{n}/create\"}}"
        )));
        reply
    };
    let origin_of = |post_id: i64| {
        let db = world.db.clone();
        async move {
            let event = stoa_db::outbox_event::Entity::find()
                .filter(stoa_db::outbox_event::Column::SubjectId.eq(post_id))
                .one(&db)
                .await
                .unwrap()
                .expect("an event");
            let payload: serde_json::Value = serde_json::from_str(&event.payload).unwrap();
            payload["origin"].as_str().map(str::to_owned)
        }
    };
    let ban = |until| moderation::NewBan {
        forum_id: world.forum_id,
        user_id: world.remote.id,
        reason: "spam",
        by: world.member.id,
        now: now - Duration::days(2),
        until,
    };

    // Nobody follows the forum, and a ban that ended refuses nothing.
    moderation::ban(&world.db, ban(Some(now - Duration::days(1))))
        .await
        .unwrap();
    let first = replies::write(&world.db, &[from_afar(1)], now)
        .await
        .unwrap();
    let first = first.into_iter().next().unwrap().unwrap();
    assert_eq!(origin_of(first.post_id).await, None);

    // Once followed, the activity is kept with the event.
    followers::add(
        &world.db,
        world.forum_id,
        world.member.id,
        "https://here/follow/1",
        now,
    )
    .await
    .unwrap();
    let kept = replies::write(&world.db, &[from_afar(2)], now)
        .await
        .unwrap();
    let kept = kept.into_iter().next().unwrap().unwrap();
    assert_eq!(
        origin_of(kept.post_id).await.as_deref(),
        Some("{\"id\":\"https://elsewhere.example/gate/2/create\"}")
    );

    // A ban in force refuses the author in that forum; a hidden member posts nothing; both in
    // one batch beside a reply that stands.
    moderation::ban(&world.db, ban(None)).await.unwrap();
    safety::set_hidden_many(&world.db, &[world.member.id], Some("suspended"))
        .await
        .unwrap();
    let hidden = NewReply {
        author: world.member.clone(),
        target: ReplyTarget::Thread(world.thread("open")),
        content: Content::local("Still here?").unwrap(),
    };
    let before = world.counts().await;
    let outcomes = replies::write(&world.db, &[from_afar(3), hidden], now)
        .await
        .unwrap();
    let messages: Vec<String> = outcomes
        .into_iter()
        .map(|o| {
            o.map(|_| "stored".to_owned())
                .unwrap_or_else(|e| e.to_string())
        })
        .collect();
    assert_eq!(
        messages,
        [
            "you are banned from this forum",
            "your account may not post on this server"
        ]
    );
    assert_eq!(world.counts().await.posts, before.posts);
}
