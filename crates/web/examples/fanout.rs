//! Fan-out measurement: one new thread in a forum followed by 1,000 remote members on 100
//! servers (receivers on loopback), timed from the thread's creation until every server has
//! acknowledged its delivery. Run with
//! `cargo run --release -p stoa-web --example fanout [followers] [servers]`.
//!
//! The receivers acknowledge without checking signatures: this measures Stoa's side (outbox,
//! one delivery per shared inbox, signing, sending), not the receivers'.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use stoa_core::forums::{DEFAULT_STARTER_FORUMS, StarterForums};
use stoa_web::{AppState, WebConfig};

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    kib("VmHWM:") / 1024.0
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let followers = args.first().copied().unwrap_or(1000);
    let servers = args.get(1).copied().unwrap_or(100);

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}?mode=rwc", dir.path().join("fanout.db").display());
    let db = stoa_db::connect(&url).await.unwrap();
    stoa_db::migrate(&db).await.unwrap();
    let starter = StarterForums::parse(DEFAULT_STARTER_FORUMS).unwrap();
    stoa_core::forums::seed_starter(&db, &starter)
        .await
        .unwrap();

    // The receiving servers: each counts the activities that reach its shared inbox.
    let received = Arc::new(AtomicUsize::new(0));
    let mut inboxes = Vec::new();
    for _ in 0..servers {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let counter = received.clone();
        let app = Router::new().route(
            "/inbox",
            post(move || {
                counter.fetch_add(1, Ordering::SeqCst);
                async { axum::http::StatusCode::ACCEPTED }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        inboxes.push(format!("http://localhost:{port}"));
    }

    // The followers, as Stoa would have cached them after their Follow.
    let forum = stoa_db::queries::forums::by_slug(&db, "books")
        .await
        .unwrap()
        .unwrap();
    let now = chrono::Utc::now();
    for n in 0..followers {
        let server = &inboxes[n % servers];
        let id = format!("{server}/users/u{n}");
        let user = stoa_db::queries::users::upsert_remote(
            &db,
            stoa_db::queries::users::RemoteActor {
                ap_id: &id,
                name: &format!("u{n}@{}", server.trim_start_matches("http://")),
                display_name: None,
                inbox_url: &format!("{id}/inbox"),
                shared_inbox_url: Some(&format!("{server}/inbox")),
                profile_url: &id,
                avatar_url: None,
                public_key: "unused",
                now,
            },
        )
        .await
        .unwrap();
        stoa_db::queries::followers::add(&db, forum.id, user.id, &format!("{id}/follow"), now)
            .await
            .unwrap();
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://localhost:{}", listener.local_addr().unwrap().port());
    let config = WebConfig::new(url::Url::parse(&base).unwrap(), "Stoa".into(), false);
    let state = AppState::new(db.clone(), config, true).await.unwrap();
    state.spawn_delivery_worker();
    let author = stoa_core::accounts::register(&db, "author", "a long password", false)
        .await
        .unwrap();

    let started = Instant::now();
    stoa_core::posts::create_thread(
        &db,
        &stoa_core::Actor::from(&author),
        "books",
        "Fan-out",
        "Hello, everyone.",
    )
    .await
    .unwrap();
    state.delivery_wake.notify_one();
    // Two activities per server: Announce{Create{Page}} and the plain Announce{Page}.
    let expected = servers * 2;
    while received.load(Ordering::SeqCst) < expected {
        if started.elapsed() > Duration::from_secs(120) {
            panic!(
                "only {} of {expected} deliveries arrived",
                received.load(Ordering::SeqCst)
            );
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed();
    println!(
        "{followers} followers on {servers} servers: {expected} deliveries acknowledged in {:.0} ms; peak RSS {:.1} MiB",
        elapsed.as_secs_f64() * 1000.0,
        rss_mib()
    );
}
