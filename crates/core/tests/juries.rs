//! The rules of alerts and member juries as core decides them: who is drawn, how votes and
//! deadlines decide, what a verdict does to the post, the log and the outbox, who reads it, and
//! the guards against abuse. The clock is an argument: nothing here waits.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use common::World;
use stoa_core::events::Event;
use stoa_core::juries::{self, Answer, JuryRules, NewAlert, Reason, Verdict};
use stoa_core::{Actor, CoreError, moderation, replies};
use stoa_db::queries::juries as rows;
use stoa_db::queries::moderation::log_page;
use stoa_db::queries::{outbox, users};

/// Small juries that sit for a day, as a small forum would set them.
fn rules(size: u32) -> JuryRules {
    JuryRules {
        size,
        min_account_age: Duration::days(7),
        deadline: Duration::hours(24),
    }
}

/// A member here who joined `age_days` ago and, when `active`, wrote a reply today.
async fn member(world: &World, name: &str, age_days: i64, active: bool) -> Actor {
    let user = users::insert_local(
        &world.db,
        users::NewLocalUser {
            name,
            password_hash: "unused",
            is_admin: name == "root",
            public_key: "unused",
            private_key: "unused",
            now: Utc::now() - Duration::days(age_days),
        },
    )
    .await
    .expect("a member");
    let actor = Actor::from(&user);
    if active {
        replies::reply(
            &world.db,
            &actor,
            world.thread("other"),
            world.post("other/1"),
            &format!("{name} was here."),
        )
        .await
        .expect("a reply");
    }
    actor
}

/// The people of a jury test: an alerter, a host of "books", an admin, four members who may sit
/// on juries, and three who may not (too new, never writes, not from here — the world's remote
/// member).
struct Cast {
    alerter: Actor,
    host: Actor,
    admin: Actor,
    eligible: Vec<Actor>,
}

async fn cast(world: &World) -> Cast {
    let admin = member(world, "root", 400, false).await;
    let host = member(world, "helen", 300, true).await;
    moderation::set_host(&world.db, &admin, "books", "helen", true)
        .await
        .unwrap();
    let alerter = member(world, "al", 200, true).await;
    let mut eligible = Vec::new();
    for name in ["jo", "kim", "lee", "max"] {
        eligible.push(member(world, name, 100, true).await);
    }
    member(world, "newbie", 1, true).await;
    member(world, "quiet", 100, false).await;
    Cast {
        alerter,
        host,
        admin,
        eligible,
    }
}

fn ids(actors: &[Actor]) -> BTreeSet<i64> {
    actors.iter().map(|a| a.id).collect()
}

async fn seated(world: &World, alert_id: i64) -> BTreeSet<i64> {
    rows::jury(&world.db, alert_id)
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.state != rows::DECLINED)
        .map(|s| s.user_id)
        .collect()
}

async fn raise(
    world: &World,
    alerter: &Actor,
    post_id: i64,
    rules: &JuryRules,
    now: DateTime<Utc>,
) -> Result<stoa_db::alert::Model, CoreError> {
    juries::raise(
        &world.db,
        alerter,
        NewAlert {
            post_id,
            reason: Reason::Spam,
            details: Some("Selling watches."),
            ap_id: None,
        },
        rules,
        now,
    )
    .await
}

async fn vote(
    world: &World,
    juror: &Actor,
    alert_id: i64,
    hide: bool,
    now: DateTime<Utc>,
) -> Result<Option<Verdict>, CoreError> {
    let comment = if hide { "Plain spam." } else { "Harmless." };
    juries::answer(
        &world.db,
        juror,
        alert_id,
        Answer::Vote {
            hide,
            comment: Some(comment),
        },
        &rules(3),
        now,
    )
    .await
}

/// The juror seated on an alert, as actors of the cast.
fn jurors_of<'a>(cast: &'a Cast, seats: &BTreeSet<i64>) -> Vec<&'a Actor> {
    cast.eligible
        .iter()
        .filter(|a| seats.contains(&a.id))
        .collect()
}

/// A jury is drawn from members here whose accounts are old enough and who took part lately —
/// never the author, the alerter, a host of the forum, a new or silent account, someone
/// elsewhere, or anyone already sitting on an open jury.
#[tokio::test]
async fn a_jury_is_drawn_only_from_those_who_may_sit() {
    let world = World::new().await;
    let cast = cast(&world).await;
    let now = Utc::now();

    let small = raise(&world, &cast.alerter, world.post("open/2"), &rules(3), now)
        .await
        .unwrap();
    let jury = seated(&world, small.id).await;
    assert_eq!(jury.len(), 3);
    assert!(jury.is_subset(&ids(&cast.eligible)), "{jury:?}");

    // A jury as large as it can be takes every member who may sit, and no one else; those on
    // the first jury are busy, so this one seats only the one left.
    let large = raise(&world, &cast.alerter, world.post("open/1"), &rules(10), now)
        .await
        .unwrap();
    let second = seated(&world, large.id).await;
    let free: BTreeSet<i64> = ids(&cast.eligible).difference(&jury).copied().collect();
    assert_eq!(second, free);
}

/// A majority of the jury to hide hides the post at once: its place says a jury hid it and by
/// how many, the verdict is in the public log as the jury's, and the forum announces the
/// removal (an event with no member as its actor). Later votes find the jury finished.
#[tokio::test]
async fn a_majority_to_hide_hides_the_post_with_the_jurys_placeholder() {
    let world = World::new().await;
    let cast = cast(&world).await;
    let now = Utc::now();
    let post = world.post("open/2");
    let alert = raise(&world, &cast.alerter, post, &rules(3), now)
        .await
        .unwrap();
    let seats = seated(&world, alert.id).await;
    let jurors = jurors_of(&cast, &seats);

    assert_eq!(
        vote(&world, jurors[0], alert.id, true, now).await.unwrap(),
        None
    );
    assert!(
        world.stored_post(post).await.removed_at.is_none(),
        "one vote decides nothing"
    );
    assert_eq!(
        vote(&world, jurors[1], alert.id, true, now).await.unwrap(),
        Some(Verdict::Hidden)
    );
    let stored = world.stored_post(post).await;
    assert!(stored.removed_at.is_some());
    assert_eq!(stored.removal_kind.as_deref(), Some("jury"));
    assert_eq!(
        stored.removal_reason.as_deref(),
        Some("2 of 3 voted to hide it (spam)")
    );
    assert_eq!(stored.removed_by, None);

    let late = vote(&world, jurors[2], alert.id, false, now).await;
    assert!(matches!(late, Err(CoreError::Conflict(_))), "{late:?}");

    let log = log_page(&world.db, Some(world.forum_id), 0, 10)
        .await
        .unwrap()
        .items;
    let verdict = log
        .iter()
        .find(|r| r.action == "jury_hide")
        .expect("logged");
    assert_eq!(verdict.actor_role, "jury");
    assert_eq!(verdict.actor_name, None);
    assert_eq!(
        verdict.reason.as_deref(),
        Some("2 of 3 voted to hide it (spam)")
    );
    assert_eq!(verdict.member_name.as_deref(), Some("ada"));

    let removal = outbox::pending(&world.db, 1000)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.kind == "post_removed" && e.subject_id == post)
        .expect("the removal is told to the outbox");
    assert_eq!(removal.actor_id, None);
    match serde_json::from_str::<Event>(&removal.payload).unwrap() {
        Event::PostRemoved { reason, .. } => {
            assert_eq!(
                reason,
                "Hidden by a jury of members: 2 of 3 voted to hide it (spam)"
            );
        }
        other => panic!("{other:?}"),
    }

    // Only an admin brings back what a jury hid.
    let by_host = moderation::restore_post(&world.db, &cast.host, post).await;
    assert!(
        matches!(by_host, Err(CoreError::Forbidden(_))),
        "{by_host:?}"
    );
    moderation::restore_post(&world.db, &cast.admin, post)
        .await
        .unwrap();
    assert!(world.stored_post(post).await.removed_at.is_none());
}

/// The author reads the verdict with the jurors' comments and no names; so do the alerter, the
/// hosts, the admins and (once decided) the jurors; a member with no part in it finds nothing.
#[tokio::test]
async fn the_verdict_is_told_to_those_concerned_without_names() {
    let world = World::new().await;
    let cast = cast(&world).await;
    let now = Utc::now();
    let alert = raise(&world, &cast.alerter, world.post("open/2"), &rules(3), now)
        .await
        .unwrap();
    let seats = seated(&world, alert.id).await;
    let jurors = jurors_of(&cast, &seats);
    vote(&world, jurors[0], alert.id, true, now).await.unwrap();
    let outsider = cast
        .eligible
        .iter()
        .find(|a| !seats.contains(&a.id))
        .unwrap();

    // While the jury sits, its comments stay with it.
    let open = juries::verdict(&world.db, &world.member, alert.id)
        .await
        .unwrap();
    assert_eq!(open.state, "open");
    assert!(open.comments.is_empty());
    let juror_early = juries::verdict(&world.db, jurors[0], alert.id).await;
    assert!(matches!(juror_early, Err(CoreError::NotFound(_))));

    vote(
        &world,
        jurors[1],
        alert.id,
        false,
        now + Duration::minutes(1),
    )
    .await
    .unwrap();
    vote(
        &world,
        jurors[2],
        alert.id,
        false,
        now + Duration::minutes(2),
    )
    .await
    .unwrap();
    for reader in [
        &world.member,
        &cast.alerter,
        &cast.host,
        &cast.admin,
        jurors[0],
    ] {
        let v = juries::verdict(&world.db, reader, alert.id)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", reader.name));
        assert_eq!(v.state, "left");
        assert_eq!((v.tally.hide, v.tally.leave, v.tally.seats), (1, 2, 3));
        assert_eq!(v.comments, ["Plain spam.", "Harmless.", "Harmless."]);
    }
    let nosy = juries::verdict(&world.db, outsider, alert.id).await;
    assert!(matches!(nosy, Err(CoreError::NotFound(_))), "{nosy:?}");
    // A juror's case never names the alerter.
    let case = juries::case(&world.db, jurors[0], alert.id).await.unwrap();
    assert_eq!(case.post.author_name, "ada");
    assert_eq!(case.details.as_deref(), Some("Selling watches."));
    assert_eq!(case.parent.map(|p| p.id), Some(world.post("open/1")));
    let not_seated = juries::case(&world.db, outsider, alert.id).await;
    assert!(matches!(not_seated, Err(CoreError::NotFound(_))));
}

/// At the deadline the votes cast decide: more to hide hides, a tie or no vote leaves the post.
/// Before it nothing is decided, and after it no one votes.
#[tokio::test]
async fn at_the_deadline_the_votes_cast_decide() {
    let world = World::new().await;
    let cast = cast(&world).await;
    let now = Utc::now();
    let after = now + Duration::hours(25);
    let one_hide = raise(&world, &cast.alerter, world.post("open/2"), &rules(3), now)
        .await
        .unwrap();
    let jurors = jurors_of(&cast, &seated(&world, one_hide.id).await);
    vote(&world, jurors[0], one_hide.id, true, now)
        .await
        .unwrap();
    // The last free member sits alone on the second jury: no vote at all.
    let silent = raise(&world, &cast.alerter, world.post("open/1"), &rules(3), now)
        .await
        .unwrap();
    assert_eq!(seated(&world, silent.id).await.len(), 1);

    assert_eq!(
        juries::decide_due(&world.db, now + Duration::hours(23))
            .await
            .unwrap(),
        0
    );
    let too_late = vote(&world, jurors[1], one_hide.id, false, after).await;
    assert!(
        matches!(too_late, Err(CoreError::Conflict(_))),
        "{too_late:?}"
    );
    assert_eq!(juries::decide_due(&world.db, after).await.unwrap(), 2);
    assert_eq!(juries::decide_due(&world.db, after).await.unwrap(), 0);

    let hidden = rows::alert_by_id(&world.db, one_hide.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (hidden.state.as_str(), hidden.hide_votes, hidden.leave_votes),
        ("hidden", 1, 0)
    );
    assert_eq!(
        world
            .stored_post(world.post("open/2"))
            .await
            .removal_reason
            .as_deref(),
        Some("1 of 3 voted to hide it (spam)")
    );
    let left = rows::alert_by_id(&world.db, silent.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(left.state, "left");
    assert!(
        world
            .stored_post(world.post("open/1"))
            .await
            .removed_at
            .is_none()
    );
}

/// A juror who declines is replaced by another member drawn at random, and cannot then vote.
#[tokio::test]
async fn a_juror_who_declines_is_replaced() {
    let world = World::new().await;
    let cast = cast(&world).await;
    let now = Utc::now();
    let alert = raise(&world, &cast.alerter, world.post("open/2"), &rules(3), now)
        .await
        .unwrap();
    let before = seated(&world, alert.id).await;
    let decliner = jurors_of(&cast, &before)[0];
    juries::answer(
        &world.db,
        decliner,
        alert.id,
        Answer::Decline,
        &rules(3),
        now,
    )
    .await
    .unwrap();
    let after = seated(&world, alert.id).await;
    assert_eq!(after.len(), 3);
    assert!(!after.contains(&decliner.id));
    assert_eq!(
        after.union(&before).copied().collect::<BTreeSet<_>>(),
        ids(&cast.eligible)
    );
    let again = vote(&world, decliner, alert.id, true, now).await;
    assert!(matches!(again, Err(CoreError::Conflict(_))), "{again:?}");
}

/// The guards: no alert on one's own post, one open alert per post, a repeated `Flag` counts
/// once, a few alerts a day — fewer for a member whose alerts juries rejected — and reasons
/// and details within bounds.
#[tokio::test]
async fn alerts_are_guarded_against_abuse() {
    let world = World::new().await;
    let cast = cast(&world).await;
    let now = Utc::now();
    let own = raise(&world, &world.member, world.post("open/2"), &rules(3), now).await;
    assert!(matches!(own, Err(CoreError::Forbidden(_))), "{own:?}");

    let first = raise(&world, &cast.alerter, world.post("open/2"), &rules(1), now)
        .await
        .unwrap();
    let twice = raise(&world, &cast.host, world.post("open/2"), &rules(1), now).await;
    assert!(matches!(twice, Err(CoreError::Conflict(_))), "{twice:?}");

    let flag = NewAlert {
        post_id: world.post("open/1"),
        reason: Reason::Other,
        details: Some("Reported from elsewhere"),
        ap_id: Some("https://elsewhere.example/flags/1"),
    };
    let flagged = juries::raise(&world.db, &world.remote, flag.clone(), &rules(1), now)
        .await
        .unwrap();
    let again = juries::raise(&world.db, &world.remote, flag, &rules(1), now)
        .await
        .unwrap();
    assert_eq!(flagged.id, again.id);

    let no_details = juries::raise(
        &world.db,
        &cast.alerter,
        NewAlert {
            post_id: world.post("other/1"),
            reason: Reason::Other,
            details: Some("  "),
            ap_id: None,
        },
        &rules(1),
        now,
    )
    .await;
    assert!(matches!(
        no_details,
        Err(CoreError::Invalid {
            field: "details",
            ..
        })
    ));
    assert!(matches!(
        Reason::parse("boring"),
        Err(CoreError::Invalid {
            field: "reason",
            ..
        })
    ));

    // The first alert is rejected: the jury leaves the post.
    let juror = jurors_of(&cast, &seated(&world, first.id).await)[0];
    assert_eq!(
        vote(&world, juror, first.id, false, now).await.unwrap(),
        Some(Verdict::Left)
    );
    // Five a day, one fewer for the rejection: three more today.
    let mut posts = Vec::new();
    for n in 0..4 {
        let reply = replies::reply(
            &world.db,
            &world.member,
            world.thread("open"),
            world.post("open/1"),
            &format!("Reply {n}."),
        )
        .await
        .unwrap();
        posts.push(reply.post_id);
    }
    for post in &posts[..3] {
        raise(&world, &cast.alerter, *post, &rules(0), now)
            .await
            .unwrap();
    }
    let over = raise(&world, &cast.alerter, posts[3], &rules(0), now).await;
    assert!(matches!(over, Err(CoreError::Conflict(_))), "{over:?}");
    // Tomorrow the day's count starts again.
    raise(
        &world,
        &cast.alerter,
        posts[3],
        &rules(0),
        now + Duration::hours(25),
    )
    .await
    .unwrap();
}
