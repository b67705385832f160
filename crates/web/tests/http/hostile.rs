//! Requests as an attacker sends them, over real HTTP with real signatures from a key whose
//! actor document a peer serves: repeated headers, a signature hidden in `Authorization`, a
//! date a year ahead, a body changed after signing, a shared inbox on someone else's server,
//! names full of invisible characters, and HTML built to make a parser quadratic. Each is
//! refused or defused, and nothing it carried is stored.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use activitypub_federation::http_signatures::generate_actor_keypair;
use activitypub_federation::protocol::public_key::PublicKey;
use axum::Router;
use axum::routing::{get, post};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use stoa_federation::remote::{ActorDocument, ActorEndpoints};
use stoa_federation::signatures::{PrivateKey, Scheme, get_headers, post_headers};
use url::Url;

use crate::common::{Options, TestApp, loopback};
use crate::wire;

/// A server on loopback that serves one actor and counts what reaches its inboxes.
struct Peer {
    base: String,
    id: Url,
    key: PrivateKey,
    received: Arc<Mutex<Vec<String>>>,
    /// Each POST that reached it: the scheme it was signed with and the status it got.
    knocks: Arc<Mutex<Vec<(Scheme, u16)>>>,
}

/// What the peer's actor says of itself.
struct Profile<'a> {
    username: &'a str,
    name: &'a str,
    shared_inbox: Option<String>,
    /// Answers 401 to anything not signed with RFC 9421.
    rfc9421_only: bool,
}

async fn listener() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let base = format!("http://localhost:{}", listener.local_addr().unwrap().port());
    (listener, base)
}

/// A server that only counts the POSTs it gets.
async fn start_counter() -> (String, Arc<Mutex<Vec<String>>>) {
    let (listener, base) = listener().await;
    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = received.clone();
    let app = Router::new().fallback(post(move |body: String| {
        seen.lock().unwrap().push(body);
        async { StatusCode::ACCEPTED }
    }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, received)
}

async fn start_peer(profile: Profile<'_>) -> Peer {
    let (listener, base) = listener().await;
    let keys = generate_actor_keypair().unwrap();
    let id = Url::parse(&format!("{base}/users/peer")).unwrap();
    let document = ActorDocument {
        kind: "Person".into(),
        id: id.clone(),
        preferred_username: profile.username.into(),
        name: Some(profile.name.into()),
        inbox: Url::parse(&format!("{id}/inbox")).unwrap(),
        outbox: None,
        endpoints: Some(ActorEndpoints {
            shared_inbox: profile
                .shared_inbox
                .map(|u| Url::parse(&u).unwrap())
                .or_else(|| Some(Url::parse(&format!("{base}/inbox")).unwrap())),
        }),
        url: None,
        icon: None,
        public_key: PublicKey {
            id: format!("{id}#main-key"),
            owner: id.clone(),
            public_key_pem: keys.public_key.clone(),
        },
        summary: None,
        forum_group: None,
    };
    let body = serde_json::to_string(&document).unwrap();
    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let knocks: Arc<Mutex<Vec<(Scheme, u16)>>> = Arc::default();
    let seen = received.clone();
    let knocked = knocks.clone();
    let rfc9421_only = profile.rfc9421_only;
    let app = Router::new()
        .route(
            "/users/peer",
            get(move || {
                let body = body.clone();
                async move { ([("content-type", "application/activity+json")], body) }
            }),
        )
        .fallback(post(move |headers: axum::http::HeaderMap, body: String| {
            let scheme = if headers.contains_key("signature-input") {
                Scheme::Rfc9421
            } else {
                Scheme::Cavage
            };
            let status = if rfc9421_only && scheme == Scheme::Cavage {
                StatusCode::UNAUTHORIZED
            } else {
                seen.lock().unwrap().push(body);
                StatusCode::ACCEPTED
            };
            knocked.lock().unwrap().push((scheme, status.as_u16()));
            async move { status }
        }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Peer {
        knocks,
        base,
        id,
        key: PrivateKey::from_pem(&keys.private_key).unwrap(),
        received,
    }
}

impl Peer {
    fn key_id(&self) -> String {
        format!("{}#main-key", self.id)
    }

    /// The headers of `body` signed for `url` at `at`.
    fn sign(&self, scheme: Scheme, url: &str, body: &str, at: SystemTime) -> HeaderMap {
        let url = Url::parse(url).unwrap();
        let mut headers = HeaderMap::new();
        for (name, value) in
            post_headers(scheme, &url, body.as_bytes(), &self.key_id(), &self.key, at).unwrap()
        {
            headers.append(name, HeaderValue::from_str(&value).unwrap());
        }
        headers
    }

    /// Posts `body` with exactly these headers; the status and the answer's `detail`.
    async fn post_raw(&self, url: &str, headers: HeaderMap, body: &str) -> (StatusCode, String) {
        let response = reqwest::Client::new()
            .post(url)
            .headers(headers)
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        let status = response.status();
        let detail = response
            .json::<Value>()
            .await
            .ok()
            .and_then(|v| v["detail"].as_str().map(str::to_owned))
            .unwrap_or_default();
        (status, detail)
    }

    async fn post(&self, scheme: Scheme, url: &str, body: &str) -> (StatusCode, String) {
        let headers = self.sign(scheme, url, body, SystemTime::now());
        self.post_raw(url, headers, body).await
    }
}

impl Peer {
    /// Follows the forum `books` with a Follow signed in `scheme`; it must be accepted.
    async fn follow_books(&self, app: &TestApp, scheme: Scheme) {
        let follow = wire::follow(
            &self.id,
            &format!("{}/follows/1", self.base),
            &app.url("/f/books"),
        );
        let (status, why) = self
            .post(scheme, &app.url("/f/books/inbox"), &follow.to_string())
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{why}");
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> String {
    headers.get(name).unwrap().to_str().unwrap().to_owned()
}

async fn reply_bodies(app: &TestApp, thread: i64) -> Vec<String> {
    let (_, view) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    view["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["body_html"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_headers_checked_are_the_headers_verified() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer(Profile {
        username: "mallory",
        name: "Mallory",
        shared_inbox: None,
        rfc9421_only: false,
    })
    .await;
    let alice = app.member("alice").await;
    let (thread, _) = alice.thread("books", "Signed", "Replies below").await;
    let inbox = app.url("/inbox");
    let page = app.url(&format!("/t/{thread}"));
    let mut n = 0;
    let mut reply = |text: &str| {
        n += 1;
        wire::create_note(&peer.id, &format!("{}/notes/{n}", peer.base), &page, text).to_string()
    };

    // A signature that does not cover Date, sent in Authorization behind a junk Signature.
    let body = reply("<p>via authorization</p>");
    let mut headers = peer.sign(Scheme::Cavage, &inbox, &body, SystemTime::now());
    let real = header_text(&headers, "signature");
    headers.insert(
        "authorization",
        HeaderValue::from_str(&format!("Signature {real}")).unwrap(),
    );
    headers.insert(
        "signature",
        HeaderValue::from_str(&format!(
            r#"keyId="{}",headers="(request-target) host date digest",signature="AAAA""#,
            peer.key_id()
        ))
        .unwrap(),
    );
    let (status, why) = peer.post_raw(&inbox, headers, &body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{why}");
    assert!(why.contains("Authorization"), "{why}");

    // Two Signature headers: a junk one first, the real one last.
    let body = reply("<p>two signatures</p>");
    let mut headers = peer.sign(Scheme::Cavage, &inbox, &body, SystemTime::now());
    let real = headers.remove("signature").unwrap();
    headers.append(
        "signature",
        HeaderValue::from_str(&format!(
            r#"keyId="{}",headers="(request-target) host date digest",signature="AAAA""#,
            peer.key_id()
        ))
        .unwrap(),
    );
    headers.append("signature", real);
    let (status, why) = peer.post_raw(&inbox, headers, &body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{why}");
    assert!(why.contains("repeated"), "{why}");

    // `headers=` twice: the first names date, the second does not.
    let body = reply("<p>two header lists</p>");
    let mut headers = peer.sign(Scheme::Cavage, &inbox, &body, SystemTime::now());
    let real = header_text(&headers, "signature");
    headers.insert(
        "signature",
        HeaderValue::from_str(&format!(r#"{real},headers="(request-target) host digest""#))
            .unwrap(),
    );
    let (status, why) = peer.post_raw(&inbox, headers, &body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{why}");
    assert!(why.contains("repeated"), "{why}");

    // Signed a year ahead, with today's Date beside it; and alone.
    let body = reply("<p>from the future</p>");
    let year = SystemTime::now() + Duration::from_secs(365 * 24 * 3600);
    let mut headers = peer.sign(Scheme::Cavage, &inbox, &body, year);
    let (status, why) = peer.post_raw(&inbox, headers.clone(), &body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{why}");
    assert!(why.contains("ahead"), "{why}");
    headers.append(
        "date",
        HeaderValue::from_str(&httpdate::fmt_http_date(SystemTime::now())).unwrap(),
    );
    let (status, why) = peer.post_raw(&inbox, headers, &body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{why}");
    assert!(why.contains("repeated"), "{why}");

    // The body changed after signing, with a second Digest that matches the change.
    for scheme in [Scheme::Cavage, Scheme::Rfc9421] {
        let signed_body = reply("<p>what was signed</p>");
        let changed = reply("<p>what was sent instead</p>");
        let mut headers = peer.sign(scheme, &inbox, &signed_body, SystemTime::now());
        let (status, why) = peer.post_raw(&inbox, headers.clone(), &changed).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{scheme:?}: {why}");
        let other = peer.sign(scheme, &inbox, &changed, SystemTime::now());
        for name in ["digest", "content-digest"] {
            if let Some(value) = other.get(name) {
                headers.append(HeaderName::from_static(name), value.clone());
            }
        }
        let (status, why) = peer.post_raw(&inbox, headers, &changed).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{scheme:?}: {why}");
        assert!(why.contains("repeated"), "{why}");
    }

    // Properly signed, in either scheme, it is taken on the first knock.
    let (status, why) = peer
        .post(Scheme::Cavage, &inbox, &reply("<p>signed draft-cavage</p>"))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{why}");
    let (status, why) = peer
        .post(Scheme::Rfc9421, &inbox, &reply("<p>signed RFC 9421</p>"))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{why}");

    let bodies = reply_bodies(&app, thread).await;
    assert_eq!(bodies.len(), 3, "{bodies:#?}");
    assert!(bodies[1].contains("signed draft-cavage"));
    assert!(bodies[2].contains("signed RFC 9421"));
}

#[tokio::test]
async fn followers_cannot_aim_the_forums_deliveries_at_another_server() {
    let app = TestApp::spawn_with(loopback()).await;
    let (victim, victim_received) = start_counter().await;
    let peer = start_peer(Profile {
        username: "mallory",
        name: "Mallory",
        shared_inbox: Some(format!("{victim}/inbox")),
        rfc9421_only: false,
    })
    .await;
    peer.follow_books(&app, Scheme::Cavage).await;
    let host = peer.base.trim_start_matches("http://");
    let stored = stoa_db::queries::users::by_name(&app.db, &format!("mallory@{host}"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.shared_inbox_url, None,
        "a shared inbox elsewhere is not kept"
    );

    // A follower stored before this check, with the victim as its shared inbox.
    let keys = generate_actor_keypair().unwrap();
    let (other_base, other_received) = start_counter().await;
    let old = stoa_db::queries::users::upsert_remote(
        &app.db,
        stoa_db::queries::users::RemoteActor {
            ap_id: &format!("{other_base}/users/old"),
            name: &format!("old@{}", other_base.trim_start_matches("http://")),
            display_name: None,
            inbox_url: &format!("{other_base}/users/old/inbox"),
            shared_inbox_url: Some(&format!("{victim}/inbox")),
            profile_url: &format!("{other_base}/users/old"),
            avatar_url: None,
            public_key: &keys.public_key,
            now: chrono::Utc::now(),
        },
    )
    .await
    .unwrap();
    let books = stoa_db::queries::forums::by_slug(&app.db, "books")
        .await
        .unwrap()
        .unwrap();
    stoa_db::queries::followers::add(&app.db, books.id, old.id, "x", chrono::Utc::now())
        .await
        .unwrap();

    let alice = app.member("alice").await;
    alice.thread("books", "News", "For the followers").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while (peer
        .received
        .lock()
        .unwrap()
        .iter()
        .filter(|b| b.contains("Announce"))
        .count()
        == 0
        || other_received.lock().unwrap().is_empty())
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        peer.received
            .lock()
            .unwrap()
            .iter()
            .any(|b| b.contains("For the followers")),
        "the follower's own server gets the thread"
    );
    assert!(
        !other_received.lock().unwrap().is_empty(),
        "the old follower is served at its own inbox"
    );
    assert!(
        victim_received.lock().unwrap().is_empty(),
        "nothing reaches the third server"
    );
    let deliveries = stoa_db::queries::deliveries::all(&app.db).await.unwrap();
    assert!(deliveries.iter().all(|d| !d.inbox.starts_with(&victim)));
}

#[tokio::test]
async fn invisible_characters_never_reach_a_name_or_a_handle() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer(Profile {
        username: "ali\u{200B}ce",
        name: "\u{FEFF}Ali\u{200D}ce \u{202E}Admin\u{2066}",
        shared_inbox: None,
        rfc9421_only: false,
    })
    .await;
    peer.follow_books(&app, Scheme::Cavage).await;
    let host = peer.base.trim_start_matches("http://");
    let stored = stoa_db::queries::users::by_ap_id(&app.db, peer.id.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.name, format!("alice@{host}"));
    assert_eq!(stored.display_name.as_deref(), Some("Alice Admin"));
}

/// Peak memory of this process so far, in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn html_built_to_stall_the_parser_is_stored_at_once_as_its_text() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer(Profile {
        username: "mallory",
        name: "Mallory",
        shared_inbox: None,
        rfc9421_only: false,
    })
    .await;
    let alice = app.member("alice").await;
    let (thread, _) = alice.thread("books", "Bombs", "Replies below").await;
    let page = app.url(&format!("/t/{thread}"));
    let bombs = [
        // 45,000 nested elements (220 KiB).
        format!("{}deep words", "<div>".repeat(45_000)),
        // Formatting elements left open in each paragraph, reopened in every later one
        // (27 KiB).
        (0..1_350)
            .map(|i| format!("<p><b id=b{i}>w</p>"))
            .collect::<String>()
            + "<p>reopened words</p>",
    ];
    let before = peak_rss_kib();
    for (i, html) in bombs.iter().enumerate() {
        let body = wire::create_note(&peer.id, &format!("{}/notes/b{i}", peer.base), &page, html)
            .to_string();
        let started = Instant::now();
        let (status, why) = peer.post(Scheme::Cavage, &app.url("/inbox"), &body).await;
        let took = started.elapsed();
        assert_eq!(status, StatusCode::ACCEPTED, "{why}");
        // Before the bounds, the first took 6 s and the second 9 s and 966 MiB (release build).
        assert!(took < Duration::from_secs(3), "bomb {i} took {took:?}");
    }
    let grown = peak_rss_kib().saturating_sub(before);
    assert!(grown < 200 * 1024, "peak memory grew by {grown} KiB");
    let bodies = reply_bodies(&app, thread).await;
    assert!(
        bodies
            .iter()
            .any(|b| b.contains("deep words") && !b.contains("<div"))
    );
    assert!(
        bodies
            .iter()
            .any(|b| b.contains("reopened words") && !b.contains("<b"))
    );
}

impl Peer {
    /// A GET of `url` asking for ActivityPub, signed in `scheme` or (`None`) not at all.
    async fn get(&self, scheme: Option<Scheme>, url: &str) -> (StatusCode, String) {
        let mut headers = HeaderMap::new();
        if let Some(scheme) = scheme {
            let parsed = Url::parse(url).unwrap();
            let signed = get_headers(
                scheme,
                &parsed,
                &self.key_id(),
                &self.key,
                SystemTime::now(),
            )
            .unwrap();
            for (name, value) in signed {
                headers.append(name, HeaderValue::from_str(&value).unwrap());
            }
        }
        headers.insert(
            "accept",
            HeaderValue::from_static("application/activity+json"),
        );
        let response = reqwest::Client::new()
            .get(url)
            .headers(headers)
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    }
}

#[tokio::test]
async fn with_authorized_fetch_only_signed_requests_read_documents() {
    let app = TestApp::spawn_with(Options {
        authorized_fetch: true,
        ..loopback()
    })
    .await;
    let peer = start_peer(Profile {
        username: "reader",
        name: "Reader",
        shared_inbox: None,
        rfc9421_only: false,
    })
    .await;
    let alice = app.member("alice").await;
    let (thread, _) = alice
        .thread("books", "Members only", "Signed readers only")
        .await;
    let page = app.url(&format!("/t/{thread}"));

    let (status, body) = peer.get(None, &page).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body.contains("not signed"), "{body}");
    for scheme in [Scheme::Cavage, Scheme::Rfc9421] {
        let (status, body) = peer.get(Some(scheme), &page).await;
        assert_eq!(status, StatusCode::OK, "{scheme:?}: {body}");
        assert!(body.contains("Members only"), "{body}");
        let (status, _) = peer.get(Some(scheme), &app.url("/f/books/outbox")).await;
        assert_eq!(status, StatusCode::OK);
    }
    // A signature made for another document does not open this one.
    let other = Url::parse(&app.url("/f/books")).unwrap();
    let mut headers = HeaderMap::new();
    for (name, value) in get_headers(
        Scheme::Cavage,
        &other,
        &peer.key_id(),
        &peer.key,
        SystemTime::now(),
    )
    .unwrap()
    {
        headers.append(name, HeaderValue::from_str(&value).unwrap());
    }
    headers.insert(
        "accept",
        HeaderValue::from_static("application/activity+json"),
    );
    let response = reqwest::Client::new()
        .get(&page)
        .headers(headers)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // Unsigned, a forum's actor document carries its key and nothing more.
    let (status, body) = peer.get(None, &app.url("/f/books")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let document: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(document["type"], "Group");
    assert!(document["publicKey"]["publicKeyPem"].is_string());
    assert!(
        document.get("outbox").is_none() && document.get("summary").is_none(),
        "{document:#}"
    );
    let (_, body) = peer.get(Some(Scheme::Cavage), &app.url("/f/books")).await;
    let document: Value = serde_json::from_str(&body).unwrap();
    assert!(
        document.get("outbox").is_some(),
        "signed, the whole document"
    );

    // What servers need to find keys and names stays open, and so do the pages.
    for path in ["/actor", "/nodeinfo/2.1"] {
        let (status, body) = peer.get(None, &app.url(path)).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    let host = app.base.trim_start_matches("http://");
    let (status, _) = peer
        .get(
            None,
            &app.url(&format!(
                "/.well-known/webfinger?resource=acct:books@{host}"
            )),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let html = app.browser().get(&format!("/t/{thread}")).await;
    assert_eq!(html.status, StatusCode::OK);
    assert!(html.body.contains("Signed readers only"));
}

#[tokio::test]
async fn a_server_that_reads_only_rfc9421_gets_deliveries_on_the_second_knock_then_the_first() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer(Profile {
        username: "modern",
        name: "Modern",
        shared_inbox: None,
        rfc9421_only: true,
    })
    .await;
    peer.follow_books(&app, Scheme::Rfc9421).await;

    // The forum's Accept: draft-cavage first, refused, then RFC 9421.
    let deadline = Instant::now() + Duration::from_secs(20);
    while peer.received.lock().unwrap().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(peer.received.lock().unwrap()[0].contains("Accept"));
    assert_eq!(
        peer.knocks.lock().unwrap().clone(),
        vec![(Scheme::Cavage, 401), (Scheme::Rfc9421, 202)]
    );
    // Remembered once the answer is in, a moment after the peer has it.
    let host = peer.base.trim_start_matches("http://");
    let mut remembered = None;
    while remembered.is_none() && Instant::now() < deadline {
        remembered = stoa_db::queries::peers::get(&app.db, host)
            .await
            .unwrap()
            .and_then(|peer| peer.signature_scheme);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(remembered.as_deref(), Some("rfc9421"));

    // The next delivery knocks once, in the scheme that worked.
    let alice = app.member("alice").await;
    alice.thread("books", "Second knock", "No more 401s").await;
    while peer.received.lock().unwrap().len() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let knocks = peer.knocks.lock().unwrap().clone();
    assert!(knocks.len() >= 3, "{knocks:?}");
    assert!(
        knocks[2..].iter().all(|k| *k == (Scheme::Rfc9421, 202)),
        "{knocks:?}"
    );
}
