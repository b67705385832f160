//! The delivery queue against servers that misbehave: one that is down, one that refuses, one
//! whose software reads only some shapes, one that keeps failing.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use reqwest::StatusCode;
use serde_json::{Value, json};
use url::Url;

use crate::common::{TestApp, loopback};
use crate::peer::start_peer_on;

/// Queues an activity of the forum `books` for these inboxes and wakes the delivery worker.
async fn queue_from_books(app: &TestApp, activity: &Value, inboxes: &[Url]) {
    let forum = stoa_db::queries::forums::by_slug(&app.db, "books")
        .await
        .unwrap()
        .unwrap();
    stoa_federation::delivery::enqueue(
        &app.db,
        activity,
        stoa_federation::delivery::Signer::Forum(forum.id),
        inboxes,
    )
    .await
    .unwrap();
    app.state.delivery_wake.notify_one();
}

#[tokio::test]
async fn a_delivery_to_a_server_that_is_down_arrives_when_it_comes_back() {
    let app = TestApp::spawn_with(loopback()).await;
    // A port with nobody listening yet: the receiver is "down".
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let inbox = Url::parse(&format!("http://localhost:{port}/users/remote/inbox")).unwrap();
    let activity =
        crate::wire::forum_announce(&app.url("/f/books"), "note/1", json!(app.url("/f/books")));
    queue_from_books(&app, &activity, &[inbox.clone(), inbox.clone()]).await;

    // The attempt fails and is kept for a later retry, not lost and not repeated at once.
    let mut failed = None;
    for _ in 0..200 {
        let rows = stoa_db::queries::deliveries::all(&app.db).await.unwrap();
        assert_eq!(rows.len(), 1, "one row per inbox");
        if rows[0].attempts >= 1 {
            failed = Some(rows[0].clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let failed = failed.expect("the worker tried");
    assert!(failed.delivered_at.is_none() && failed.gave_up_at.is_none());
    assert!(failed.last_error.is_some());
    assert!(failed.next_attempt_at > chrono::Utc::now() + chrono::Duration::seconds(60));

    // The receiver comes back; when the retry is due, the activity arrives, signed.
    let peer = start_peer_on(port).await;
    {
        use stoa_db::sea_orm::{EntityTrait, sea_query::Expr};
        stoa_db::delivery::Entity::update_many()
            .col_expr(
                stoa_db::delivery::Column::NextAttemptAt,
                Expr::value(chrono::Utc::now()),
            )
            .exec(&app.db)
            .await
            .unwrap();
    }
    app.state.delivery_wake.notify_one();
    let received = peer.wait_for("Announce").await;
    assert_eq!(received["id"], activity["id"]);
    // The worker records the outcome once the receiver has answered: a moment after it arrives.
    let mut rows = stoa_db::queries::deliveries::all(&app.db).await.unwrap();
    for _ in 0..100 {
        if rows[0].delivered_at.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        rows = stoa_db::queries::deliveries::all(&app.db).await.unwrap();
    }
    assert!(rows[0].delivered_at.is_some());
    assert_eq!(rows[0].attempts, 2);
}

/// A server that refuses a delivery for good (Lemmy answers 400 to what it cannot read) is not
/// counted as having it: the delivery is recorded as refused with the status and the start of
/// the answer, not sent again, and the server's refusals are counted without marking it failing.
#[tokio::test]
async fn a_refused_delivery_is_recorded_as_refused_not_as_delivered() {
    let app = TestApp::spawn_with(loopback()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let knocks = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = knocks.clone();
    let refusing = Router::new().fallback(move |method: axum::http::Method| {
        // Deliveries are POSTs (a GET may ask which software the server runs).
        if method == axum::http::Method::POST {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        async {
            (
                StatusCode::BAD_REQUEST,
                format!(
                    "{{\"error\":\"can't accept local object from remote instance\"}}\n{}",
                    "x".repeat(10_000)
                ),
            )
        }
    });
    tokio::spawn(async move { axum::serve(listener, refusing).await.unwrap() });
    let inbox = Url::parse(&format!("http://localhost:{port}/inbox")).unwrap();
    let activity = crate::wire::forum_announce(
        &app.url("/f/books"),
        "announce/refused",
        json!(app.url("/f/books")),
    );
    queue_from_books(&app, &activity, &[inbox]).await;

    let mut row = None;
    for _ in 0..200 {
        let rows = stoa_db::queries::deliveries::all(&app.db).await.unwrap();
        if rows[0].attempts >= 1 {
            row = Some(rows[0].clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let row = row.expect("the worker tried");
    assert!(row.delivered_at.is_none(), "{row:?}");
    assert!(row.refused_at.is_some(), "{row:?}");
    assert_eq!(row.status, Some(400));
    let why = row.last_error.clone().unwrap_or_default();
    assert!(
        why.starts_with("refused: 400 Bad Request: {\"error\":\"can't accept local object"),
        "{why}"
    );
    assert!(
        why.len() < 400,
        "only the start of the answer is kept: {why}"
    );

    let host = format!("localhost:{port}");
    let peer = stoa_db::queries::peers::get(&app.db, &host)
        .await
        .unwrap()
        .expect("the server's health is recorded");
    assert_eq!(peer.refusals, 1);
    assert_eq!(peer.failures, 0);
    assert!(peer.failing_since.is_none());
    assert_eq!(peer.last_refusal.as_deref(), Some(why.as_str()));

    // Not sent again: another round finds nothing due.
    let delivered = stoa_federation::delivery::run_due(&app.state.federation)
        .await
        .unwrap();
    assert_eq!(delivered, 0);
    assert_eq!(knocks.load(std::sync::atomic::Ordering::SeqCst), 1);
}

/// Lemmy refuses an `Announce` of a bare object ("missing field actor"): a server whose
/// NodeInfo says it runs Lemmy is not sent the plain `Announce{Page}`, and the delivery says why;
/// the `Announce{Create{Page}}` beside it goes out.
#[tokio::test]
async fn a_lemmy_server_is_not_sent_an_announce_of_a_bare_page() {
    let app = TestApp::spawn_with(loopback()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let base = format!("http://localhost:{port}");
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let inbox_got = got.clone();
    let links = json!({"links": [{
        "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
        "href": format!("{base}/nodeinfo/2.1"),
    }]});
    let lemmy = Router::new()
        .route(
            "/.well-known/nodeinfo",
            get(move || {
                let links = links.clone();
                async move { axum::Json(links) }
            }),
        )
        .route(
            "/nodeinfo/2.1",
            get(|| async {
                axum::Json(
                    json!({"version": "2.1", "software": {"name": "lemmy", "version": "0.19.20"}}),
                )
            }),
        )
        .route(
            "/inbox",
            post(move |body: String| {
                inbox_got
                    .lock()
                    .unwrap()
                    .push(serde_json::from_str(&body).unwrap());
                async { StatusCode::OK }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, lemmy).await.unwrap() });
    let inbox = Url::parse(&format!("{base}/inbox")).unwrap();
    let forum_url = app.url("/f/books");
    let page = app.url("/t/1");
    let bare = crate::wire::forum_announce(&forum_url, "announce-page/1", json!(page));
    let create = crate::wire::create(
        &format!("{page}/activities/create/1"),
        &Url::parse(&app.url("/u/x")).unwrap(),
        page.as_str(),
    );
    let wrapped = crate::wire::forum_announce(&forum_url, "announce/1", create);
    for activity in [&bare, &wrapped] {
        queue_from_books(&app, activity, std::slice::from_ref(&inbox)).await;
    }

    let mut rows = Vec::new();
    for _ in 0..200 {
        rows = stoa_db::queries::deliveries::all(&app.db).await.unwrap();
        if rows
            .iter()
            .all(|r| r.delivered_at.is_some() || r.gave_up_at.is_some())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let row = |id: &Value| {
        rows.iter()
            .find(|r| r.activity_id == id.as_str().unwrap())
            .unwrap()
    };
    let skipped = row(&bare["id"]);
    assert!(skipped.delivered_at.is_none(), "{skipped:?}");
    assert_eq!(
        skipped.last_error.as_deref(),
        Some("not sent: lemmy reads no Announce of a bare object")
    );
    assert!(row(&wrapped["id"]).delivered_at.is_some());
    let ids: Vec<Value> = got
        .lock()
        .unwrap()
        .iter()
        .map(|a| a["id"].clone())
        .collect();
    assert_eq!(ids, [wrapped["id"].clone()]);
    let peer = stoa_db::queries::peers::get(&app.db, &format!("localhost:{port}"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(peer.software.as_deref(), Some("lemmy"));
}

#[tokio::test]
async fn a_server_that_keeps_failing_is_marked_and_tried_rarely() {
    let app = TestApp::spawn_with(loopback()).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let inbox = Url::parse(&format!("http://localhost:{port}/inbox")).unwrap();
    let forum = stoa_db::queries::forums::by_slug(&app.db, "books")
        .await
        .unwrap()
        .unwrap();
    let enqueue = |n: usize| {
        let books = app.url("/f/books");
        let activity = crate::wire::forum_announce(&books, &format!("test/{n}"), json!(books));
        let db = app.db.clone();
        let inbox = inbox.clone();
        async move {
            stoa_federation::delivery::enqueue(
                &db,
                &activity,
                stoa_federation::delivery::Signer::Forum(forum.id),
                &[inbox],
            )
            .await
            .unwrap();
        }
    };
    for n in 0..stoa_federation::delivery::FAILING_AFTER as usize {
        enqueue(n).await;
    }
    app.state.delivery_wake.notify_one();
    let host = format!("localhost:{port}");
    let mut marked = false;
    for _ in 0..200 {
        if let Some(peer) = stoa_db::queries::peers::get(&app.db, &host).await.unwrap()
            && peer.failing_since.is_some()
        {
            marked = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(marked, "the server is marked failing");

    // A new delivery to it waits for the next probe instead of being tried at once.
    enqueue(99).await;
    app.state.delivery_wake.notify_one();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let rows = stoa_db::queries::deliveries::all(&app.db).await.unwrap();
    let newest = rows.last().unwrap();
    assert_eq!(newest.attempts, 0, "not tried");
    assert!(newest.next_attempt_at > chrono::Utc::now() + chrono::Duration::hours(5));
}

/// A receiver on loopback: each POST waits `delay` before its 202 (for ever, in effect, when
/// the delay is longer than the test). It counts what arrived, what it answered, and the most
/// requests it held at once.
#[derive(Clone, Default)]
struct Receiver {
    arrived: Arc<Mutex<Vec<String>>>,
    answered: Arc<std::sync::atomic::AtomicUsize>,
    holding: Arc<std::sync::atomic::AtomicUsize>,
    most_held: Arc<std::sync::atomic::AtomicUsize>,
}

impl Receiver {
    async fn start(delay: Duration) -> (Receiver, Url) {
        use std::sync::atomic::Ordering::SeqCst;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let receiver = Receiver::default();
        let seen = receiver.clone();
        let app = Router::new().fallback(post(move |body: String| {
            let seen = seen.clone();
            async move {
                seen.arrived.lock().unwrap().push(body);
                let now = seen.holding.fetch_add(1, SeqCst) + 1;
                seen.most_held.fetch_max(now, SeqCst);
                tokio::time::sleep(delay).await;
                seen.holding.fetch_sub(1, SeqCst);
                seen.answered.fetch_add(1, SeqCst);
                StatusCode::ACCEPTED
            }
        }));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let inbox = Url::parse(&format!("http://localhost:{port}/inbox")).unwrap();
        (receiver, inbox)
    }

    /// Waits up to `within` until `n` deliveries have arrived.
    async fn wait_for(&self, n: usize, within: Duration) -> bool {
        let start = std::time::Instant::now();
        while start.elapsed() < within {
            if self.arrived.lock().unwrap().len() >= n {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }
}

/// An announce of the forum `books` with its own id.
fn numbered_activity(app: &TestApp, n: usize) -> Value {
    crate::wire::forum_announce(
        &app.url("/f/books"),
        &format!("note/{n}"),
        json!(app.url("/f/books")),
    )
}

/// A server that takes its time holds only its own deliveries: while it sits on the first, the
/// others get the first and the next at once.
#[tokio::test]
async fn a_slow_server_never_delays_the_others() {
    let app = TestApp::spawn_with(loopback()).await;
    let (slow, slow_inbox) = Receiver::start(Duration::from_secs(60)).await;
    let (fast, fast_inbox) = Receiver::start(Duration::ZERO).await;
    let inboxes = [slow_inbox, fast_inbox];

    queue_from_books(&app, &numbered_activity(&app, 1), &inboxes).await;
    assert!(fast.wait_for(1, Duration::from_secs(5)).await);
    assert!(slow.wait_for(1, Duration::from_secs(5)).await);
    queue_from_books(&app, &numbered_activity(&app, 2), &inboxes).await;
    assert!(
        fast.wait_for(2, Duration::from_secs(5)).await,
        "the second delivery waited for the slow server"
    );
    assert!(slow.wait_for(2, Duration::from_secs(5)).await);
    assert_eq!(slow.answered.load(std::sync::atomic::Ordering::SeqCst), 0);
}

/// A server with a backlog is sent several deliveries at once, never more than its limit.
#[tokio::test]
async fn a_busy_server_is_sent_its_backlog_a_few_at_a_time() {
    let app = TestApp::spawn_with(loopback()).await;
    let (busy, inbox) = Receiver::start(Duration::from_millis(300)).await;
    for n in 0..30 {
        queue_from_books(
            &app,
            &numbered_activity(&app, n),
            std::slice::from_ref(&inbox),
        )
        .await;
    }
    assert!(busy.wait_for(30, Duration::from_secs(20)).await);
    assert_eq!(
        busy.most_held.load(std::sync::atomic::Ordering::SeqCst),
        stoa_federation::delivery::PER_SERVER,
        "its limit of sends at once, all of it used"
    );
}

/// The admins' federation page: each server's followers here, queue, last error and next
/// retry, and a button that sends its queue now. Only admins see it.
#[tokio::test]
async fn admins_see_each_servers_queue_and_send_it_now() {
    let app = TestApp::spawn_with(loopback()).await;
    let admin = app.admin("root").await;
    let member = app.member("alice").await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let host = format!("localhost:{port}");
    let inbox = Url::parse(&format!("http://{host}/inbox")).unwrap();
    queue_from_books(
        &app,
        &numbered_activity(&app, 1),
        std::slice::from_ref(&inbox),
    )
    .await;
    let mut failed = false;
    for _ in 0..200 {
        let rows = stoa_db::queries::deliveries::all(&app.db).await.unwrap();
        if rows[0].attempts >= 1 {
            failed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(failed, "the worker tried the server that is down");

    let (status, _) = member.get("/api/v1/admin/federation").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, servers) = admin.get("/api/v1/admin/federation").await;
    assert_eq!(status, StatusCode::OK, "{servers}");
    let server = servers
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["host"] == host.as_str())
        .unwrap_or_else(|| panic!("{servers:#}"))
        .clone();
    assert_eq!(server["queued"], 1, "{server:#}");
    assert!(
        server["last_error"].as_str().is_some_and(|e| !e.is_empty()),
        "{server:#}"
    );
    assert!(server["last_success_at"].is_null());
    let next: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(server["next_attempt_at"].clone()).unwrap();
    assert!(next > chrono::Utc::now(), "a retry is scheduled later");

    let page = app.browser();
    page.login("root", "correct horse").await;
    let shown = page.get("/admin/federation").await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(
        shown.body.contains(&host) && shown.body.contains("Retry now"),
        "{}",
        shown.body
    );
    let outsider = app.browser();
    outsider.login("alice", "correct horse").await;
    assert_eq!(
        outsider.get("/admin/federation").await.status,
        StatusCode::FORBIDDEN
    );

    // The server comes back; "Retry now" sends its queue at once, not in a minute.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let arrived: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = arrived.clone();
    let receiver = Router::new().fallback(post(move |body: String| {
        seen.lock().unwrap().push(body);
        async { StatusCode::ACCEPTED }
    }));
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });
    let done = page
        .submit(
            "/admin/federation",
            "/admin/federation/retry",
            &[("host", host.as_str())],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let mut delivered = false;
    for _ in 0..100 {
        if !arrived.lock().unwrap().is_empty() {
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(delivered, "the queue was sent at once");
    let (_, servers) = admin.get("/api/v1/admin/federation").await;
    let server = servers
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["host"] == host.as_str())
        .unwrap()
        .clone();
    assert_eq!(server["queued"], 0, "{server:#}");
    assert!(!server["last_success_at"].is_null(), "{server:#}");
}
