//! The outbox shared by several processes: each event is claimed by one consumer only.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::Utc;
use common::World;
use stoa_db::queries::outbox;

/// Two consumers at once (two `stoa serve` processes on one database): the first claims part of
/// the waiting events; the second, running while the first still holds them, gets the rest —
/// on PostgreSQL by skipping the locked rows, on SQLite by waiting for the first to commit —
/// and no event goes to both.
#[tokio::test]
async fn two_consumers_never_claim_the_same_event() {
    let world = World::new().await;
    let waiting: Vec<i64> = outbox::pending(&world.db, 1_000)
        .await
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert!(
        waiting.len() >= 4,
        "the world's threads and reply: {waiting:?}"
    );

    let first = stoa_db::begin_write(&world.db).await.unwrap();
    let mine: Vec<i64> = outbox::claim_pending(&first, 2)
        .await
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(mine, waiting[..2]);

    let db = world.db.clone();
    let second = tokio::spawn(async move {
        let txn = stoa_db::begin_write(&db).await.unwrap();
        let theirs: Vec<i64> = outbox::claim_pending(&txn, 1_000)
            .await
            .unwrap()
            .iter()
            .map(|e| e.id)
            .collect();
        outbox::mark_processed_many(&txn, &theirs, Utc::now())
            .await
            .unwrap();
        txn.commit().await.unwrap();
        theirs
    });
    // The second consumer runs while the first holds its claim.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    outbox::mark_processed_many(&first, &mine, Utc::now())
        .await
        .unwrap();
    first.commit().await.unwrap();
    let theirs = second.await.unwrap();

    assert_eq!(theirs, waiting[2..], "the rest, and only the rest");
    assert!(outbox::pending(&world.db, 1_000).await.unwrap().is_empty());
}
