//! The rules of following, both directions, as core decides them: who may follow what, what is
//! stored, and the outbox event that tells the other server — written together or not at all.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::Utc;
use common::World;
use stoa_core::CoreError;
use stoa_core::events::Event;
use stoa_core::follows::{self, Following, MAX_SENDS, RESEND_AFTER};
use stoa_db::queries::{followers, forums, outbox, subscriptions};

/// A forum of another server, as following it stores it here.
async fn forum_elsewhere(world: &World) -> i64 {
    forums::upsert_remote(
        &world.db,
        forums::RemoteForum {
            ap_id: "https://elsewhere.example/c/poetry",
            slug: "poetry@elsewhere.example",
            name: "Poetry",
            purpose: "",
            inbox_url: "https://elsewhere.example/c/poetry/inbox",
            shared_inbox_url: None,
            profile_url: "https://elsewhere.example/c/poetry",
            public_key: "unused",
            group: Some(None),
            now: Utc::now(),
        },
    )
    .await
    .expect("a forum elsewhere")
    .id
}

/// The follow events waiting in the outbox, oldest first.
async fn follow_events(world: &World) -> Vec<Event> {
    outbox::pending(&world.db, 10_000)
        .await
        .unwrap()
        .iter()
        .map(|e| serde_json::from_str::<Event>(&e.payload).unwrap())
        .filter(|e| {
            matches!(
                e,
                Event::FollowerAdded { .. } | Event::FollowSent { .. } | Event::FollowUndone { .. }
            )
        })
        .collect()
}

/// Who may be a follower of which forum: only someone elsewhere, only of a forum here. A refusal
/// stores nothing and sends nothing.
#[tokio::test]
async fn only_someone_elsewhere_follows_a_forum_here() {
    let world = World::new().await;
    let elsewhere = forum_elsewhere(&world).await;
    let now = Utc::now();
    let cases: [(&str, i64, i64, Option<&str>); 4] = [
        (
            "a member elsewhere, a forum here",
            world.forum_id,
            world.remote.id,
            None,
        ),
        (
            "a member here",
            world.forum_id,
            world.member.id,
            Some("forbidden"),
        ),
        (
            "a forum elsewhere",
            elsewhere,
            world.remote.id,
            Some("not found"),
        ),
        ("no such forum", 9_999, world.remote.id, Some("not found")),
    ];
    for (case, forum, follower, refused) in cases {
        let before = follow_events(&world).await.len();
        let result = follows::add_follower(
            &world.db,
            forum,
            follower,
            "https://elsewhere.example/f/1",
            now,
        )
        .await;
        let stored = followers::is_following(&world.db, forum, follower)
            .await
            .unwrap();
        let sent = follow_events(&world).await.len() - before;
        match refused {
            None => {
                assert!(result.is_ok(), "{case}: {result:?}");
                assert!(stored, "{case}: the follower is stored");
                assert_eq!(sent, 1, "{case}: the Accept is queued");
            }
            Some(why) => {
                let shown = match result {
                    Err(CoreError::Forbidden(_)) => "forbidden",
                    Err(CoreError::NotFound(_)) => "not found",
                    other => panic!("{case}: refused, not {other:?}"),
                };
                assert_eq!(shown, why, "{case}");
                assert!(!stored, "{case}: nothing stored");
                assert_eq!(sent, 0, "{case}: nothing sent");
            }
        }
    }
}

/// A follower whose Follow is sent again (servers re-send what they think was lost) stays one
/// follower, and each Follow is answered under its own id; undoing it removes them once.
#[tokio::test]
async fn a_follow_sent_twice_is_one_follower_answered_twice() {
    let world = World::new().await;
    let now = Utc::now();
    for id in [
        "https://elsewhere.example/f/1",
        "https://elsewhere.example/f/2",
    ] {
        follows::add_follower(&world.db, world.forum_id, world.remote.id, id, now)
            .await
            .unwrap();
    }
    assert_eq!(
        followers::count(&world.db, world.forum_id).await.unwrap(),
        1
    );
    let answered: Vec<String> = follow_events(&world)
        .await
        .into_iter()
        .filter_map(|e| match e {
            Event::FollowerAdded { follow_id, .. } => Some(follow_id),
            _ => None,
        })
        .collect();
    assert_eq!(
        answered,
        [
            "https://elsewhere.example/f/1",
            "https://elsewhere.example/f/2"
        ]
    );
    let removed = follows::remove_follower(&world.db, world.forum_id, world.remote.id);
    assert!(removed.await.unwrap());
    let again = follows::remove_follower(&world.db, world.forum_id, world.remote.id);
    assert!(!again.await.unwrap(), "already gone");
    assert_eq!(
        followers::count(&world.db, world.forum_id).await.unwrap(),
        0
    );
}

/// Who may follow a forum elsewhere: a member here, a forum of another server.
#[tokio::test]
async fn only_a_member_here_follows_a_forum_elsewhere() {
    let world = World::new().await;
    let elsewhere = forum_elsewhere(&world).await;
    let now = Utc::now();
    let id = "https://stoa.example/u/ada/follows/1";
    let here = follows::follow_forum(&world.db, world.member.id, world.forum_id, id, now).await;
    assert!(
        matches!(&here, Err(CoreError::Invalid { field: "forum", .. })),
        "{here:?}"
    );
    let remote = follows::follow_forum(&world.db, world.remote.id, elsewhere, id, now).await;
    assert!(
        matches!(remote, Err(CoreError::NotFound("member"))),
        "{remote:?}"
    );
    assert!(follow_events(&world).await.is_empty(), "nothing sent");
    assert_eq!(
        subscriptions::count_for_forum(&world.db, elsewhere)
            .await
            .unwrap(),
        0
    );
}

/// Following a forum elsewhere: pending until it answers, each sending a new Follow id; once
/// accepted, following again sends nothing; unfollowing undoes the last Follow sent.
#[tokio::test]
async fn a_members_follow_from_pending_to_accepted_to_undone() {
    let world = World::new().await;
    let forum = forum_elsewhere(&world).await;
    let ada = world.member.id;
    let now = Utc::now();
    let first = follows::follow_forum(&world.db, ada, forum, "https://s.example/f/1", now).await;
    assert_eq!(first.unwrap(), Following::Pending);
    let again = follows::follow_forum(&world.db, ada, forum, "https://s.example/f/2", now).await;
    assert_eq!(
        again.unwrap(),
        Following::Pending,
        "still waiting: sent again"
    );

    let subscription = subscriptions::get(&world.db, forum, ada)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(subscription.follow_id, "https://s.example/f/2");
    assert_eq!(subscription.sends, 2);
    // An answer to the first Follow counts: it is the same subscription.
    assert!(
        follows::follow_answered(&world.db, &subscription, true, now)
            .await
            .unwrap()
    );
    assert!(
        !follows::follow_answered(&world.db, &subscription, true, now)
            .await
            .unwrap(),
        "an Accept that comes twice changes nothing"
    );
    let accepted = follows::follow_forum(&world.db, ada, forum, "https://s.example/f/3", now).await;
    assert_eq!(accepted.unwrap(), Following::Accepted);

    assert!(
        follows::unfollow_forum(&world.db, ada, forum, now)
            .await
            .unwrap()
    );
    assert!(
        !follows::unfollow_forum(&world.db, ada, forum, now)
            .await
            .unwrap()
    );
    let sent = follow_events(&world).await;
    let follow = |follow_id: &str| Event::FollowSent {
        forum_id: forum,
        member_id: ada,
        follow_id: follow_id.into(),
    };
    assert_eq!(
        sent,
        [
            follow("https://s.example/f/1"),
            follow("https://s.example/f/2"),
            Event::FollowUndone {
                forum_id: forum,
                member_id: ada,
                follow_id: "https://s.example/f/2".into(),
            },
        ]
    );
}

/// A rejected Follow ends the subscription; a Follow left unanswered is sent again after
/// `RESEND_AFTER`, at most `MAX_SENDS` times in all, and not once it is answered.
#[tokio::test]
async fn unanswered_follows_are_sent_again_a_bounded_number_of_times() {
    let world = World::new().await;
    let forum = forum_elsewhere(&world).await;
    let ada = world.member.id;
    let start = Utc::now();
    follows::follow_forum(&world.db, ada, forum, "https://s.example/f/0", start)
        .await
        .unwrap();
    assert!(
        follows::due_for_resend(&world.db, start)
            .await
            .unwrap()
            .is_empty(),
        "not yet due"
    );
    let mut now = start;
    let mut resent = 0;
    for round in 1..=MAX_SENDS + 2 {
        now += RESEND_AFTER + chrono::Duration::seconds(1);
        for due in follows::due_for_resend(&world.db, now).await.unwrap() {
            let id = format!("https://s.example/f/{round}");
            resent += usize::from(
                follows::resend_follow(&world.db, &due, &id, now)
                    .await
                    .unwrap(),
            );
        }
    }
    assert_eq!(
        resent,
        usize::try_from(MAX_SENDS - 1).unwrap(),
        "the first sending counts"
    );
    let subscription = subscriptions::get(&world.db, forum, ada)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(subscription.sends, MAX_SENDS);

    // Answered meanwhile: a resend in flight changes nothing.
    assert!(
        follows::follow_answered(&world.db, &subscription, false, now)
            .await
            .unwrap()
    );
    assert!(
        subscriptions::get(&world.db, forum, ada)
            .await
            .unwrap()
            .is_none(),
        "rejected"
    );
    let late = follows::resend_follow(&world.db, &subscription, "https://s.example/f/x", now);
    assert!(!late.await.unwrap());
}
