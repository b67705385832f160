//! Fan-out measurement: one new thread in a forum followed by remote members spread over many
//! servers (receivers on loopback), one of which answers only after a delay, timed from the
//! thread's creation until every other server has acknowledged its deliveries, then until the
//! slow one has. Run with
//! `cargo run --release -p stoa-web --example fanout [followers] [servers] [slow_ms] [processes]`
//! (defaults 10000 500 5000 1). With `STOA_BENCH_DATABASE_URL=postgres://…/postgres` the forum
//! lives in a fresh PostgreSQL database made on that server (dropped afterwards), else in a
//! SQLite file. `processes` > 1 runs that many independent instances of the server's state (each
//! its own connection pool and delivery worker) on the one database, as several `stoa serve`
//! processes share it.
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
use stoa_db::ConnectionTrait;
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

/// The database the forum lives in: a fresh PostgreSQL database when `STOA_BENCH_DATABASE_URL`
/// names a server (and what drops it afterwards), else a SQLite file in a temporary folder.
async fn database(
    dir: &tempfile::TempDir,
) -> (String, Option<(stoa_db::DatabaseConnection, String)>) {
    let Ok(admin) = std::env::var("STOA_BENCH_DATABASE_URL") else {
        let url = format!("sqlite:{}?mode=rwc", dir.path().join("fanout.db").display());
        return (url, None);
    };
    let connection = stoa_db::connect(&admin)
        .await
        .expect("connect to PostgreSQL");
    let name = format!("stoa_fanout_{}", std::process::id());
    connection
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
        .await
        .unwrap();
    connection
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let url = match admin.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("STOA_BENCH_DATABASE_URL names no database"),
    };
    (url, Some((connection, name)))
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let followers = args.first().copied().unwrap_or(10_000);
    let servers = args.get(1).copied().unwrap_or(500).max(2);
    let slow_ms = args.get(2).copied().unwrap_or(5_000) as u64;
    let processes = args.get(3).copied().unwrap_or(1).max(1);

    let dir = tempfile::tempdir().unwrap();
    let (url, drop_after) = database(&dir).await;
    let db = stoa_db::connect(&url).await.unwrap();
    stoa_db::migrate(&db).await.unwrap();
    let starter = StarterForums::parse(DEFAULT_STARTER_FORUMS).unwrap();
    stoa_core::forums::seed_starter(&db, &starter)
        .await
        .unwrap();

    // The receiving servers: each counts what reaches its shared inbox; server 0 is slow.
    let fast_received = Arc::new(AtomicUsize::new(0));
    let slow_answered = Arc::new(AtomicUsize::new(0));
    let mut inboxes = Vec::new();
    for n in 0..servers {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (counter, delay) = if n == 0 {
            (slow_answered.clone(), Duration::from_millis(slow_ms))
        } else {
            (fast_received.clone(), Duration::ZERO)
        };
        let app = Router::new().route(
            "/inbox",
            post(move || {
                let counter = counter.clone();
                async move {
                    tokio::time::sleep(delay).await;
                    counter.fetch_add(1, Ordering::SeqCst);
                    axum::http::StatusCode::ACCEPTED
                }
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

    // One or several instances of the server's state on the one database, one public URL.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://localhost:{}", listener.local_addr().unwrap().port());
    let mut states = Vec::new();
    for _ in 0..processes {
        let connection = stoa_db::connect(&url).await.unwrap();
        let config = WebConfig::new(url::Url::parse(&base).unwrap(), "Stoa".into(), false);
        let state = AppState::new(connection, config, true).await.unwrap();
        state.spawn_delivery_worker();
        states.push(state);
    }
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
    for state in &states {
        state.delivery_wake.notify_one();
    }
    // Two activities per server: Announce{Create{Page}} and the plain Announce{Page}.
    let wait_for = |counter: Arc<AtomicUsize>, expected: usize| async move {
        while counter.load(Ordering::SeqCst) < expected {
            if started.elapsed() > Duration::from_secs(300) {
                panic!(
                    "only {} of {expected} deliveries arrived",
                    counter.load(Ordering::SeqCst)
                );
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        started.elapsed()
    };
    let fast = wait_for(fast_received.clone(), (servers - 1) * 2).await;
    let slow = wait_for(slow_answered.clone(), 2).await;
    println!(
        "{followers} followers on {servers} servers, {processes} process(es), {}: \
         {} deliveries to the {} other servers acknowledged in {:.0} ms; the slow server's 2 \
         ({slow_ms} ms each) in {:.0} ms; peak RSS {:.1} MiB",
        if drop_after.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        (servers - 1) * 2,
        servers - 1,
        fast.as_secs_f64() * 1000.0,
        slow.as_secs_f64() * 1000.0,
        rss_mib()
    );
    drop(states);
    drop(db);
    if let Some((connection, name)) = drop_after {
        let _ = connection
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
    }
}
