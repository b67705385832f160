//! Storage guarantees: the outbox is written with every change, and migrations round-trip.

use stoa_db::queries::outbox;

use crate::common::{TestApp, fresh_database, thread_titles};

#[tokio::test]
async fn every_change_writes_an_outbox_event_in_order() {
    let app = TestApp::spawn().await;
    let alice = app.member("alice").await;
    let (thread, starter) = alice.thread("books", "Events", "x").await;
    let reply = alice.reply(thread, starter, "y").await;
    alice
        .patch(
            &format!("/api/v1/posts/{reply}"),
            serde_json::json!({"body": "z"}),
        )
        .await;
    alice.delete(&format!("/api/v1/posts/{reply}")).await;
    // A refused change writes nothing.
    let (status, _) = alice
        .post(
            &format!("/api/v1/threads/{thread}/replies"),
            serde_json::json!({"parent_id": 9999, "body": "nothing"}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::NOT_FOUND);

    let events = {
        use stoa_db::sea_orm::{EntityTrait, QueryOrder};
        stoa_db::outbox_event::Entity::find()
            .order_by_asc(stoa_db::outbox_event::Column::Id)
            .all(&app.db)
            .await
            .unwrap()
    };
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "thread_created",
            "reply_created",
            "post_edited",
            "post_deleted"
        ]
    );
    let payload: serde_json::Value = serde_json::from_str(&events[1].payload).unwrap();
    assert_eq!(payload["thread_id"], thread);
    assert_eq!(payload["post_id"], reply);
    assert_eq!(payload["parent_id"], starter);
    assert!(events.iter().all(|e| e.actor_id.is_some()));

    // The federation worker consumes them.
    for _ in 0..100 {
        if outbox::pending(&app.db, 100).await.unwrap().is_empty() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the outbox events were not consumed");
}

#[tokio::test]
async fn migrations_go_up_down_and_up_again() {
    let (url, _dir) = fresh_database().await;
    let db = stoa_db::connect(&url).await.unwrap();
    stoa_db::migrate(&db).await.unwrap();
    let starter =
        stoa_core::forums::StarterForums::parse(stoa_core::forums::DEFAULT_STARTER_FORUMS).unwrap();
    assert!(
        stoa_core::forums::seed_starter(&db, &starter)
            .await
            .unwrap()
            >= 8
    );
    stoa_db::migrate_down_all(&db).await.unwrap();
    assert!(
        stoa_db::queries::forums::count(&db).await.is_err(),
        "tables are gone"
    );
    // Up again as an operator does it, in a new process: over new connections. (On SQLite, a
    // pooled connection that last read the old schema has been seen, under load, to find an
    // index of a dropped table still there.)
    db.close().await.unwrap();
    let db = stoa_db::connect(&url).await.unwrap();
    stoa_db::migrate(&db).await.unwrap();
    assert_eq!(stoa_db::queries::forums::count(&db).await.unwrap(), 0);
    assert!(
        stoa_core::forums::seed_starter(&db, &starter)
            .await
            .unwrap()
            >= 8
    );
}

/// Claims up to `limit` due deliveries, at most `per_server` per server, none for `skipped`.
async fn claim(
    db: &stoa_db::DatabaseConnection,
    now: chrono::DateTime<chrono::Utc>,
    limit: u64,
    per_server: u64,
    skipped: &[String],
) -> Vec<stoa_db::delivery::Model> {
    stoa_db::queries::deliveries::claim_due(
        db,
        stoa_db::queries::deliveries::Claim {
            now,
            lease_until: now + chrono::Duration::minutes(2),
            limit,
            per_server,
            skipped,
        },
    )
    .await
    .unwrap()
}

/// 60 deliveries to seven servers (`b0.example` … `b6.example`), due now.
/// Kept alive with the database (its directory, on SQLite).
type Scratch = Option<std::sync::Arc<tempfile::TempDir>>;

async fn queue_sixty() -> (
    stoa_db::DatabaseConnection,
    Scratch,
    chrono::DateTime<chrono::Utc>,
) {
    use stoa_db::queries::deliveries;
    let (url, dir) = fresh_database().await;
    let db = stoa_db::connect(&url).await.unwrap();
    stoa_db::migrate(&db).await.unwrap();
    let now = chrono::Utc::now();
    for n in 0..60 {
        let host = format!("b{}.example", n % 7);
        deliveries::enqueue(
            &db,
            deliveries::NewDelivery {
                host: &host,
                post_id: None,
                activity_id: &format!("https://a.example/activities/{n}"),
                activity: "{}",
                signer_kind: "forum",
                signer_id: 1,
                inbox: &format!("https://{host}/inbox"),
                now,
            },
        )
        .await
        .unwrap();
    }
    (db, dir, now)
}

#[tokio::test]
async fn concurrent_workers_never_claim_the_same_delivery() {
    let (db, _dir, now) = queue_sixty().await;
    // Three workers claim at once, each up to 25 rows: 60 rows are shared out, none twice.
    let (a, b, c) = tokio::join!(
        claim(&db, now, 25, 100, &[]),
        claim(&db, now, 25, 100, &[]),
        claim(&db, now, 25, 100, &[]),
    );
    let mut ids: Vec<i64> = [a, b, c].into_iter().flatten().map(|d| d.id).collect();
    ids.sort_unstable();
    let claimed = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), claimed, "a delivery was claimed twice");
    assert_eq!(claimed, 60, "every due delivery was claimed");
    // Claimed rows are leased: nothing is due until the lease ends.
    assert!(claim(&db, now, 100, 100, &[]).await.is_empty());
    let lease = now + chrono::Duration::minutes(2);
    assert_eq!(claim(&db, lease, 100, 100, &[]).await.len(), 60);
}

/// One claim takes at most `per_server` of each server's deliveries, the earliest first, and
/// none of a server left out; the rest wait for later claims.
#[tokio::test]
async fn a_claim_takes_a_few_of_each_servers_deliveries() {
    let (db, _dir, now) = queue_sixty().await;
    let skipped = ["b3.example".to_owned()];
    let first = claim(&db, now, 100, 2, &skipped).await;
    let mut per_host = std::collections::BTreeMap::new();
    for row in &first {
        *per_host.entry(row.host.clone()).or_insert(0) += 1;
    }
    assert_eq!(per_host.len(), 6, "{per_host:?}");
    assert!(per_host.values().all(|n| *n == 2), "{per_host:?}");
    assert!(!per_host.contains_key("b3.example"));
    // The earliest of each: b0's first two are activities 0 and 7.
    let b0: Vec<&str> = first
        .iter()
        .filter(|d| d.host == "b0.example")
        .map(|d| d.activity_id.as_str())
        .collect();
    assert_eq!(
        b0,
        [
            "https://a.example/activities/0",
            "https://a.example/activities/7"
        ]
    );
    // A limit in all caps the claim; the next claims take the rest.
    assert_eq!(claim(&db, now, 5, 2, &[]).await.len(), 5);
    let mut total = first.len() + 5;
    loop {
        let more = claim(&db, now, 100, 2, &[]).await;
        if more.is_empty() {
            break;
        }
        total += more.len();
    }
    assert_eq!(total, 60);
}

/// A thread from elsewhere keeps the time it was written: it is counted, placed by that time in
/// the forum's list, and does not replace a newer post as the forum's latest.
#[tokio::test]
async fn a_thread_written_earlier_is_counted_without_becoming_the_latest_post() {
    let app = TestApp::spawn().await;
    let alice = app.member("alice").await;
    let (fresh, _) = alice.thread("books", "Fresh", "Just now.").await;
    let row = stoa_db::queries::users::by_name(&app.db, "alice")
        .await
        .unwrap()
        .unwrap();
    let yesterday = chrono::Utc::now() - chrono::Duration::days(1);
    let content = stoa_core::posts::Content::remote(
        "<p>Old news.</p>",
        None,
        "https://elsewhere.example/p/1",
    )
    .unwrap()
    .with_written_at(Some(yesterday));
    stoa_core::posts::create_thread_with(
        &app.db,
        &stoa_core::Actor::from(&row),
        "books",
        "From the past",
        content,
    )
    .await
    .unwrap();

    let (_, forum) = app.api().get("/api/v1/forums/books").await;
    let titles = thread_titles(&forum);
    assert_eq!(titles, ["Fresh", "From the past"], "{forum:#}");
    let (_, forums) = app.api().get("/api/v1/forums").await;
    let summary = |list: &serde_json::Value| {
        list.as_array()
            .into_iter()
            .flatten()
            .flat_map(|group| group["forums"].as_array().cloned().unwrap_or_default())
            .find(|f| f["slug"] == "books")
            .unwrap()
    };
    let books = summary(&forums["groups"]);
    assert_eq!(books["thread_count"], 2);
    assert_eq!(
        books["last_post_at"], forum["threads"][0]["last_post_at"],
        "the latest post is still in thread {fresh}: {books:#}"
    );
}

/// A backfill survives its worker: the page it got to is saved, a claimed one is not taken by
/// another worker while leased, and once the lease lapses (its worker died) the next worker
/// goes on from the saved page.
#[tokio::test]
async fn a_backfill_goes_on_from_its_saved_page_after_its_worker_dies() {
    use stoa_db::queries::{backfills, forums};
    let (url, _dir) = fresh_database().await;
    let db = stoa_db::connect(&url).await.unwrap();
    stoa_db::migrate(&db).await.unwrap();
    let starter =
        stoa_core::forums::StarterForums::parse(stoa_core::forums::DEFAULT_STARTER_FORUMS).unwrap();
    stoa_core::forums::seed_starter(&db, &starter)
        .await
        .unwrap();
    // A database with no worker of its own: only the test takes the queue's jobs.
    let forum = forums::by_slug(&db, "books").await.unwrap().unwrap();
    let now = chrono::Utc::now();
    let job = backfills::queue(&db, forum.id, None, 1000, now)
        .await
        .unwrap();
    // Queued twice, one job.
    let again = backfills::queue(&db, forum.id, None, 1000, now)
        .await
        .unwrap();
    assert_eq!(again.id, job.id);

    let lease = now + chrono::Duration::minutes(10);
    let claimed = backfills::claim(&db, now, lease).await.unwrap().unwrap();
    assert_eq!(claimed.id, job.id);
    assert_eq!(claimed.state, "running");
    let page = "https://elsewhere.example/c/x/outbox?page=2";
    backfills::advance(&db, job.id, Some(page), 20, 130, lease)
        .await
        .unwrap();
    // Its worker dies here. While the lease holds, nobody else takes it.
    assert!(backfills::claim(&db, now, lease).await.unwrap().is_none());
    let later = lease + chrono::Duration::seconds(1);
    let resumed = backfills::claim(&db, later, later + chrono::Duration::minutes(10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resumed.id, job.id);
    assert_eq!(resumed.next_page.as_deref(), Some(page));
    assert_eq!((resumed.threads, resumed.replies), (20, 130));
    backfills::finish(&db, job.id, None, later).await.unwrap();
    assert!(backfills::claim(&db, later, later).await.unwrap().is_none());
    let done = backfills::latest(&db, forum.id, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.state, "done");
}
