//! The rules of moderation as core decides them: who may lock, remove, restore and appoint;
//! what a lock stops; who still reads a removed post; and the log row and outbox event written
//! with every act — or nothing at all when it is refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::Utc;
use common::World;
use stoa_core::events::Event;
use stoa_core::moderation::{self, Role};
use stoa_core::posts::Content;
use stoa_core::replies::{self, NewReply, ReplyTarget};
use stoa_core::{Actor, CoreError};
use stoa_db::queries::moderation::{LogRow, Removal, log_page, set_removal};
use stoa_db::queries::{forums, outbox, users};

/// The people of a moderation test besides the world's member (who wrote every post): a host of
/// "books", an admin, a member with no role and a host of another forum.
struct Cast {
    host: Actor,
    admin: Actor,
    other: Actor,
    stranger_host: Actor,
}

async fn member(world: &World, name: &str, is_admin: bool) -> Actor {
    let user = users::insert_local(
        &world.db,
        users::NewLocalUser {
            name,
            password_hash: "unused",
            is_admin,
            public_key: "unused",
            private_key: "unused",
            now: Utc::now(),
        },
    )
    .await
    .expect("a member");
    Actor::from(&user)
}

async fn cast(world: &World) -> Cast {
    let host = member(world, "helen", false).await;
    let admin = member(world, "root", true).await;
    let other = member(world, "otto", false).await;
    let stranger_host = member(world, "sam", false).await;
    moderation::set_host(&world.db, &admin, "books", "helen", true)
        .await
        .expect("appoint helen");
    let poems = forums::insert_local(
        &world.db,
        forums::NewForum {
            group_id: None,
            slug: "poems",
            name: "Poems",
            purpose: "",
            position: 1,
            public_key: "unused",
            private_key: "unused",
            now: Utc::now(),
        },
    )
    .await
    .expect("another forum");
    moderation::set_host(&world.db, &admin, &poems.slug, "sam", true)
        .await
        .expect("appoint sam");
    Cast {
        host,
        admin,
        other,
        stranger_host,
    }
}

async fn log(world: &World) -> Vec<LogRow> {
    log_page(&world.db, Some(world.forum_id), 0, 100)
        .await
        .unwrap()
        .items
}

/// The moderation events waiting in the outbox, oldest first.
async fn moderation_events(world: &World) -> Vec<Event> {
    outbox::pending(&world.db, 10_000)
        .await
        .unwrap()
        .iter()
        .map(|e| serde_json::from_str::<Event>(&e.payload).unwrap())
        .filter(|e| {
            matches!(
                e,
                Event::PostRemoved { .. }
                    | Event::PostRestored { .. }
                    | Event::ThreadLocked { .. }
                    | Event::HostChanged { .. }
            )
        })
        .collect()
}

#[derive(Debug, Clone, Copy)]
enum Who {
    Author,
    Other,
    StrangerHost,
    Host,
    Admin,
}

impl Who {
    fn actor<'a>(self, world: &'a World, cast: &'a Cast) -> &'a Actor {
        match self {
            Who::Author => &world.member,
            Who::Other => &cast.other,
            Who::StrangerHost => &cast.stranger_host,
            Who::Host => &cast.host,
            Who::Admin => &cast.admin,
        }
    }
}

/// Only the forum's hosts and the admins lock threads and remove posts: not the author, not a
/// member, not the host of another forum. A refusal writes no log row and no event.
#[tokio::test]
async fn only_the_forums_hosts_and_the_admins_moderate_it() {
    let cases = [
        (Who::Author, false),
        (Who::Other, false),
        (Who::StrangerHost, false),
        (Who::Host, true),
        (Who::Admin, true),
    ];
    for (who, allowed) in cases {
        let world = World::new().await;
        let cast = cast(&world).await;
        let actor = who.actor(&world, &cast);
        let before = (
            log(&world).await.len(),
            moderation_events(&world).await.len(),
        );
        let post = world.post("open/2");
        let locked =
            moderation::set_locked(&world.db, actor, world.thread("open"), true, None).await;
        let removed = moderation::remove_post(&world.db, actor, post, "Off topic.").await;
        let role = moderation::role_in(&world.db, actor, world.forum_id)
            .await
            .unwrap();
        if allowed {
            locked.unwrap_or_else(|e| panic!("{who:?} locks: {e}"));
            removed.unwrap_or_else(|e| panic!("{who:?} removes: {e}"));
            assert!(world.thread_row("open").await.locked, "{who:?}");
            assert!(
                world.stored_post(post).await.removed_at.is_some(),
                "{who:?}"
            );
            assert_eq!(log(&world).await.len(), before.0 + 2, "{who:?}");
            assert_eq!(
                moderation_events(&world).await.len(),
                before.1 + 2,
                "{who:?}"
            );
            assert!(role.is_some(), "{who:?}");
        } else {
            for outcome in [locked.map(|_| ()), removed.map(|_| ())] {
                match outcome {
                    Err(CoreError::Forbidden(_)) => {}
                    other => panic!("{who:?}: expected a refusal, got {other:?}"),
                }
            }
            assert!(!world.thread_row("open").await.locked, "{who:?}");
            assert!(
                world.stored_post(post).await.removed_at.is_none(),
                "{who:?}"
            );
            assert_eq!(log(&world).await.len(), before.0, "{who:?}");
            assert_eq!(moderation_events(&world).await.len(), before.1, "{who:?}");
            assert_eq!(role, None, "{who:?}");
        }
    }
}

/// A locked thread takes no reply, from a member here or from elsewhere; unlocked, it does
/// again. Each change is logged with its reason and told to the outbox; a lock of a locked
/// thread changes nothing.
#[tokio::test]
async fn a_lock_stops_replies_from_here_and_from_elsewhere() {
    let world = World::new().await;
    let cast = cast(&world).await;
    let thread = world.thread("open");
    moderation::set_locked(&world.db, &cast.host, thread, true, Some("Heated."))
        .await
        .unwrap();
    moderation::set_locked(&world.db, &cast.host, thread, true, None)
        .await
        .unwrap();
    let here = replies::reply(&world.db, &world.member, thread, world.post("open/1"), "Hi")
        .await
        .unwrap_err();
    assert_eq!(here.to_string(), "this thread is locked");
    let elsewhere = replies::reply_one(
        &world.db,
        NewReply {
            author: world.remote.clone(),
            target: ReplyTarget::Post(world.post("open/2")),
            content: Content::remote("<p>Hi</p>", None, "https://elsewhere.example/notes/locked")
                .unwrap(),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(elsewhere.to_string(), "this thread is locked");

    moderation::set_locked(&world.db, &cast.admin, thread, false, None)
        .await
        .unwrap();
    replies::reply(&world.db, &world.member, thread, world.post("open/1"), "Hi")
        .await
        .expect("an unlocked thread takes replies");

    let rows = log(&world).await;
    let acts: Vec<(&str, &str, Option<&str>)> = rows
        .iter()
        .map(|r| {
            (
                r.action.as_str(),
                r.actor_role.as_str(),
                r.reason.as_deref(),
            )
        })
        .collect();
    // Newest first; the appointment of helen came before.
    assert_eq!(
        acts,
        [
            ("unlock", "admin", None),
            ("lock", "host", Some("Heated.")),
            ("appoint_host", "admin", None),
        ]
    );
    let locks: Vec<Event> = moderation_events(&world)
        .await
        .into_iter()
        .filter(|e| matches!(e, Event::ThreadLocked { .. }))
        .collect();
    let forum_id = world.forum_id;
    assert_eq!(
        locks,
        [
            Event::ThreadLocked {
                forum_id,
                thread_id: thread,
                locked: true
            },
            Event::ThreadLocked {
                forum_id,
                thread_id: thread,
                locked: false
            },
        ]
    );
}

/// A removal needs a reason of at most 500 characters, happens once, and is undone by a
/// restore; the removed post's words stay for its author, the hosts and the admins only.
#[tokio::test]
async fn a_removed_post_is_read_only_by_its_author_the_hosts_and_the_admins() {
    let world = World::new().await;
    let cast = cast(&world).await;
    let post = world.post("open/2");
    let refusals = [
        ("   ", "say why"),
        (
            &"x".repeat(501) as &str,
            "a reason is at most 500 characters",
        ),
    ];
    for (reason, message) in refusals {
        let err = moderation::remove_post(&world.db, &cast.host, post, reason)
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), message);
    }
    let revision = world.thread_row("open").await.revision;
    moderation::remove_post(&world.db, &cast.host, post, "  Spam.  ")
        .await
        .unwrap();
    let stored = world.stored_post(post).await;
    assert_eq!(stored.removal_reason.as_deref(), Some("Spam."));
    assert_eq!(stored.removal_kind.as_deref(), Some("host"));
    assert_eq!(stored.removed_by, Some(cast.host.id));
    assert_eq!(stored.body_source, "The first reply.", "the words are kept");
    assert!(
        world.thread_row("open").await.revision > revision,
        "cached copies of the thread are refreshed"
    );
    let again = moderation::remove_post(&world.db, &cast.admin, post, "Again.")
        .await
        .unwrap_err();
    assert!(matches!(again, CoreError::Conflict(_)), "{again:?}");

    for (viewer, role, sees) in [
        (None, None, false),
        (Some(&cast.other), None, false),
        (Some(&world.member), None, true),
        (Some(&cast.host), Some(Role::Host), true),
        (Some(&cast.admin), Some(Role::Admin), true),
    ] {
        let found = match viewer {
            Some(v) => moderation::role_in(&world.db, v, world.forum_id)
                .await
                .unwrap(),
            None => None,
        };
        assert_eq!(found, role, "{viewer:?}");
        assert_eq!(
            moderation::sees_removed(viewer, found, world.member.id),
            sees,
            "{viewer:?}"
        );
        let history = stoa_core::posts::post_history(&world.db, post, viewer).await;
        assert_eq!(history.is_ok(), sees, "{viewer:?}: the revisions");
    }

    moderation::restore_post(&world.db, &cast.host, post)
        .await
        .unwrap();
    let stored = world.stored_post(post).await;
    assert!(stored.removed_at.is_none() && stored.removal_reason.is_none());
    let twice = moderation::restore_post(&world.db, &cast.host, post)
        .await
        .unwrap_err();
    assert!(matches!(twice, CoreError::Conflict(_)), "{twice:?}");
    let acts: Vec<String> = log(&world)
        .await
        .iter()
        .map(|r| format!("{} {}", r.action, r.member_name.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(acts, ["restore ada", "remove ada", "appoint_host helen"]);
}

/// A post a jury hid comes back only by an admin's hand, not a host's.
#[tokio::test]
async fn only_an_admin_restores_what_a_jury_hid() {
    let world = World::new().await;
    let cast = cast(&world).await;
    let post = world.post("open/2");
    let removal = Removal {
        by: None,
        kind: "jury",
        reason: "Hidden by a jury of members, 3 of 3.",
        at: Utc::now(),
    };
    set_removal(&world.db, post, Some(removal)).await.unwrap();
    let by_host = moderation::restore_post(&world.db, &cast.host, post)
        .await
        .unwrap_err();
    assert!(matches!(by_host, CoreError::Forbidden(_)), "{by_host:?}");
    moderation::restore_post(&world.db, &cast.admin, post)
        .await
        .expect("an admin restores it");
}

/// Admins appoint and dismiss hosts of forums here; nobody else does, and only members here
/// become hosts. Appointing a host twice logs it once.
#[tokio::test]
async fn only_admins_appoint_and_dismiss_hosts() {
    let world = World::new().await;
    let cast = cast(&world).await;
    let by_host = moderation::set_host(&world.db, &cast.host, "books", "otto", true)
        .await
        .unwrap_err();
    assert!(matches!(by_host, CoreError::Forbidden(_)), "{by_host:?}");
    let remote = moderation::set_host(&world.db, &cast.admin, "books", &world.remote.name, true)
        .await
        .unwrap_err();
    assert_eq!(remote.to_string(), "member not found");
    let no_forum = moderation::set_host(&world.db, &cast.admin, "nowhere", "otto", true)
        .await
        .unwrap_err();
    assert_eq!(no_forum.to_string(), "forum not found");

    moderation::set_host(&world.db, &cast.admin, "books", "otto", true)
        .await
        .unwrap();
    moderation::set_host(&world.db, &cast.admin, "books", "otto", true)
        .await
        .unwrap();
    assert_eq!(
        moderation::role_in(&world.db, &cast.other, world.forum_id)
            .await
            .unwrap(),
        Some(Role::Host)
    );
    moderation::set_host(&world.db, &cast.admin, "books", "otto", false)
        .await
        .unwrap();
    assert_eq!(
        moderation::role_in(&world.db, &cast.other, world.forum_id)
            .await
            .unwrap(),
        None
    );
    let acts: Vec<String> = log(&world)
        .await
        .iter()
        .map(|r| format!("{} {}", r.action, r.member_name.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        acts,
        [
            "dismiss_host otto",
            "appoint_host otto",
            "appoint_host helen"
        ]
    );
    let otto = cast.other.id;
    let changes: Vec<(i64, bool)> = moderation_events(&world)
        .await
        .into_iter()
        .filter_map(|e| match e {
            Event::HostChanged {
                member_id,
                appointed,
                ..
            } if member_id == otto => Some((member_id, appointed)),
            _ => None,
        })
        .collect();
    assert_eq!(changes, [(otto, true), (otto, false)]);
}

/// A banned member — here or elsewhere — reads but does not post in the forum: no thread, no
/// reply from here, no reply from their server, while the ban is in force; elsewhere they post
/// as before. Only hosts and admins ban, never a host or an admin, with a reason and an end in
/// the future; a ban and its lifting are logged and told to the outbox.
#[tokio::test]
async fn a_banned_member_reads_but_does_not_post_in_the_forum() {
    use chrono::Duration;
    use stoa_core::moderation::Ban;

    let world = World::new().await;
    let cast = cast(&world).await;
    let now = Utc::now();
    let ban = |reason: &'static str, until| Some(Ban { reason, until });

    for (who, target, allowed) in [
        (Who::Other, "ada", false),
        (Who::StrangerHost, "ada", false),
        (Who::Host, "root", false),
        (Who::Admin, "helen", false),
    ] {
        let refused = moderation::set_ban(
            &world.db,
            who.actor(&world, &cast),
            "books",
            target,
            ban("Spam.", None),
            now,
        )
        .await;
        assert!(
            matches!(refused, Err(CoreError::Forbidden(_))) != allowed,
            "{who:?} bans {target}: {refused:?}"
        );
    }
    let no_reason =
        moderation::set_ban(&world.db, &cast.host, "books", "ada", ban(" ", None), now).await;
    assert!(matches!(
        no_reason,
        Err(CoreError::Invalid {
            field: "reason",
            ..
        })
    ));
    let past = moderation::set_ban(
        &world.db,
        &cast.host,
        "books",
        "ada",
        ban("Spam.", Some(now - Duration::hours(1))),
        now,
    )
    .await;
    assert!(matches!(
        past,
        Err(CoreError::Invalid { field: "until", .. })
    ));
    assert!(log(&world).await.iter().all(|r| r.action != "ban"));

    // The host bans ada for a week, and bo (elsewhere) until lifted.
    moderation::set_ban(
        &world.db,
        &cast.host,
        "books",
        "ada",
        ban("Spam.", Some(now + Duration::days(7))),
        now,
    )
    .await
    .unwrap();
    moderation::set_ban(
        &world.db,
        &cast.admin,
        "books",
        "bo@elsewhere.example",
        ban("Abuse.", None),
        now,
    )
    .await
    .unwrap();

    let thread = world.thread("open");
    let here = replies::reply(&world.db, &world.member, thread, world.post("open/1"), "Hi").await;
    assert!(
        matches!(here, Err(CoreError::Forbidden(m)) if m.contains("banned")),
        "{here:?}"
    );
    let started =
        stoa_core::posts::create_thread(&world.db, &world.member, "books", "New", "Text.").await;
    assert!(
        matches!(started, Err(CoreError::Forbidden(_))),
        "{started:?}"
    );
    let from_elsewhere = replies::write(
        &world.db,
        &[NewReply {
            author: world.remote.clone(),
            target: ReplyTarget::Post(world.post("open/1")),
            content: Content::remote(
                "<p>Still here.</p>",
                None,
                "https://elsewhere.example/notes/9",
            )
            .unwrap(),
        }],
        now,
    )
    .await
    .unwrap();
    assert!(
        matches!(from_elsewhere[0], Err(CoreError::Forbidden(_))),
        "{from_elsewhere:?}"
    );
    // In another forum ada posts as before.
    stoa_core::posts::create_thread(&world.db, &world.member, "poems", "Verse", "Text.")
        .await
        .unwrap();

    let actions: Vec<(String, Option<String>)> = log(&world)
        .await
        .into_iter()
        .filter(|r| r.action.contains("ban"))
        .map(|r| (r.member_name.unwrap_or_default(), r.reason))
        .collect();
    assert_eq!(actions.len(), 2);
    assert_eq!(
        actions[0],
        ("bo@elsewhere.example".to_owned(), Some("Abuse.".to_owned()))
    );
    assert!(
        actions[1]
            .1
            .as_deref()
            .unwrap()
            .starts_with("Spam. (until ")
    );
    assert!(
        moderation_events_of(&world, "member_banned").await == 2,
        "each ban is told to the outbox"
    );

    // Lifted, ada posts again; lifting twice is a conflict. An expired ban stops nothing.
    moderation::set_ban(&world.db, &cast.host, "books", "ada", None, now)
        .await
        .unwrap();
    let again = moderation::set_ban(&world.db, &cast.host, "books", "ada", None, now).await;
    assert!(matches!(again, Err(CoreError::Conflict(_))), "{again:?}");
    replies::reply(
        &world.db,
        &world.member,
        thread,
        world.post("open/1"),
        "Back.",
    )
    .await
    .unwrap();
    let later = now + Duration::days(8);
    let bans = moderation::bans(&world.db, &cast.host, "books", later)
        .await
        .unwrap()
        .1;
    assert_eq!(bans.len(), 1, "bo's ban has no end");
    assert_eq!(moderation_events_of(&world, "member_unbanned").await, 1);
}

async fn moderation_events_of(world: &World, kind: &str) -> usize {
    outbox::pending(&world.db, 10_000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.kind == kind)
        .count()
}

/// The forum's hosts and the admins rewrite its statement of purpose; nobody else does, and
/// not beyond its limit. The change is logged with the new words and told to the outbox.
#[tokio::test]
async fn hosts_rewrite_the_statement_of_purpose() {
    let world = World::new().await;
    let cast = cast(&world).await;
    let now = Utc::now();
    for who in [Who::Author, Who::Other, Who::StrangerHost] {
        let refused = moderation::set_purpose(
            &world.db,
            who.actor(&world, &cast),
            "books",
            "Anything.",
            now,
        )
        .await;
        assert!(
            matches!(refused, Err(CoreError::Forbidden(_))),
            "{who:?}: {refused:?}"
        );
    }
    let long = "x".repeat(stoa_core::forums::PURPOSE_MAX + 1);
    let too_long = moderation::set_purpose(&world.db, &cast.host, "books", &long, now).await;
    assert!(matches!(
        too_long,
        Err(CoreError::Invalid {
            field: "purpose",
            ..
        })
    ));
    moderation::set_purpose(
        &world.db,
        &cast.host,
        "books",
        "  Books, read and discussed. ",
        now,
    )
    .await
    .unwrap();
    let forum = forums::by_slug(&world.db, "books").await.unwrap().unwrap();
    assert_eq!(forum.purpose, "Books, read and discussed.");
    let entry = log(&world)
        .await
        .into_iter()
        .find(|r| r.action == "edit_purpose")
        .expect("logged");
    assert_eq!(entry.reason.as_deref(), Some("Books, read and discussed."));
    assert_eq!(moderation_events_of(&world, "forum_updated").await, 1);
    // The same words again change nothing.
    moderation::set_purpose(
        &world.db,
        &cast.admin,
        "books",
        "Books, read and discussed.",
        now,
    )
    .await
    .unwrap();
    assert_eq!(moderation_events_of(&world, "forum_updated").await, 1);
}

/// A thread's posts read in one go (the database gathers them into one value) read as each post
/// does on its own: a removed post with its remover, an edited and a deleted one, a reply from
/// elsewhere with its author's profile.
#[tokio::test]
async fn a_thread_read_in_one_go_reads_as_its_posts_one_by_one() {
    use stoa_db::queries::posts;
    let world = World::new().await;
    let cast = cast(&world).await;
    let thread = world.thread("open");
    moderation::remove_post(&world.db, &cast.host, world.post("open/2"), "Spam.")
        .await
        .unwrap();
    stoa_core::posts::edit_post(
        &world.db,
        &world.member,
        world.post("open/1"),
        "Edited.",
        None,
    )
    .await
    .unwrap();
    let gone = replies::reply(
        &world.db,
        &world.member,
        thread,
        world.post("open/1"),
        "Oops.",
    )
    .await
    .unwrap();
    stoa_core::posts::delete_post(&world.db, &world.member, gone.post_id)
        .await
        .unwrap();
    let from_afar = NewReply {
        author: world.remote.clone(),
        target: ReplyTarget::Thread(thread),
        content: Content::remote("<p>From afar.</p>", None, "https://elsewhere.example/n/1")
            .unwrap(),
    };
    replies::reply_one(&world.db, from_afar).await.unwrap();

    let together = posts::in_thread(&world.db, thread).await.unwrap();
    let mut alone = Vec::new();
    for post in &together {
        alone.push(
            posts::with_author(&world.db, post.id)
                .await
                .unwrap()
                .unwrap(),
        );
    }
    assert_eq!(together.len(), 4);
    assert_eq!(together, alone);
    let ids: Vec<i64> = together.iter().map(|p| p.id).collect();
    assert!(ids.is_sorted(), "in id order: {ids:?}");
    let removed = &together[1];
    assert_eq!(removed.remover_name.as_deref(), Some("helen"));
    assert_eq!(removed.removal_reason.as_deref(), Some("Spam."));
    assert!(removed.removed_at.is_some());
    assert!(together[0].edited_at.is_some() && together[2].deleted_at.is_some());
    let remote = &together[3];
    assert!(!remote.author_local && together[0].author_local);
    assert_eq!(remote.author_name, "bo@elsewhere.example");
    assert_eq!(
        remote.author_profile_url.as_deref(),
        Some("https://elsewhere.example/@bo")
    );
    assert!(
        posts::in_thread(&world.db, i64::MAX)
            .await
            .unwrap()
            .is_empty()
    );
}
