//! Following, both directions, end to end over real HTTP with real signatures: a peer built on
//! activitypub_federation follows a forum, gets a signed Accept it verifies with the forum's
//! published key, and undoes the follow; a member here follows the peer's forum. Unsigned or
//! tampered requests get 401.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use url::Url;

use crate::common::{Options, TestApp, loopback};
use crate::peer::{followers, start_peer};
use crate::wire;

#[tokio::test]
async fn a_remote_person_follows_a_forum_gets_a_signed_accept_and_undoes_it() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer().await;
    let forum = app.url("/f/books");
    let inbox = app.url("/f/books/inbox");
    let follow = wire::follow(&peer.actor.id, &format!("{}/follows/1", peer.base), &forum);

    // Unsigned: refused with 401, nothing stored.
    let response = app
        .api()
        .client
        .post(&inbox)
        .header("content-type", "application/activity+json")
        .body(follow.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(followers(&app, "books").await, 0);

    peer.send(follow.clone(), &inbox)
        .await
        .expect("a signed Follow is accepted");
    assert_eq!(followers(&app, "books").await, 1);
    // Stoa fetched the follower's actor with a request signed by its instance actor (FEP-2677),
    // as servers in authorized-fetch mode require.
    let signatures = peer.fetch_signatures.lock().unwrap().clone();
    assert!(
        signatures
            .iter()
            .any(|s| s.contains(&format!(r#"keyId="{}#main-key""#, app.url("/actor")))),
        "{signatures:?}"
    );

    // The remote person is cached under its handle, with a cleaned display name.
    let host = peer.base.trim_start_matches("http://");
    let cached = stoa_db::queries::users::by_name(&app.db, &format!("remote@{host}"))
        .await
        .unwrap()
        .unwrap();
    assert!(!cached.local);
    assert_eq!(cached.display_name.as_deref(), Some("Remote Person"));
    assert_eq!(cached.ap_id.as_deref(), Some(peer.actor.id.as_str()));

    // The forum answers with an Accept, signed with the key it publishes (the peer checks it).
    let accept = peer.wait_for("Accept").await;
    assert_eq!(accept["actor"], forum);
    assert_eq!(accept["object"]["id"], follow["id"]);
    assert_eq!(accept["object"]["type"], "Follow");

    // The forum page counts its followers.
    let page = app.browser().get("/f/books").await;
    assert!(
        page.body.contains("1 follower"),
        "follower count on the forum page"
    );

    // Following twice keeps one follower.
    let again = wire::follow(&peer.actor.id, &format!("{}/follows/2", peer.base), &forum);
    peer.send(again, &inbox).await.unwrap();
    assert_eq!(followers(&app, "books").await, 1);

    let undo = wire::undo(&format!("{}/undos/1", peer.base), &peer.actor.id, follow);
    peer.send(undo, &app.url("/inbox"))
        .await
        .expect("Undo through the shared inbox");
    assert_eq!(followers(&app, "books").await, 0);
}

#[tokio::test]
async fn tampered_bodies_and_unknown_forums_are_refused() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer().await;
    let follow = wire::follow(
        &peer.actor.id,
        &format!("{}/follows/9", peer.base),
        &app.url("/f/no-such-forum"),
    );
    // The inbox answers 404; senders count a 4xx as final, so only the outcome shows it.
    peer.send(follow, &app.url("/f/books/inbox")).await.unwrap();
    assert_eq!(followers(&app, "books").await, 0);
    assert!(
        stoa_db::queries::deliveries::all(&app.db)
            .await
            .unwrap()
            .is_empty(),
        "no Accept queued"
    );

    // A body that is not the one the signature's digest covers is refused with 401.
    let response = app
        .api()
        .client
        .post(app.url("/inbox"))
        .header("content-type", "application/activity+json")
        .header("digest", "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        .header("signature", format!(r#"keyId="{}#main-key",headers="(request-target) host date digest",signature="AAAA""#, peer.actor.id))
        .header("date", httpdate_now())
        .body(r#"{"id":"x","type":"Follow"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // A signed request from more than an hour ago is not replayed.
    let response = app
        .api()
        .client
        .post(app.url("/inbox"))
        .header("content-type", "application/activity+json")
        .header("digest", "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        .header("signature", format!(r#"keyId="{}#main-key",headers="(request-target) host date digest",signature="AAAA""#, peer.actor.id))
        .header("date", (chrono::Utc::now() - chrono::Duration::hours(3)).format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["detail"].as_str().unwrap().contains("away from now"),
        "{body}"
    );

    // Oversized bodies never reach the parser.
    let response = app
        .api()
        .client
        .post(app.url("/inbox"))
        .header("content-type", "application/activity+json")
        .body(vec![b' '; 300 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

fn httpdate_now() -> String {
    chrono::Utc::now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// A Follow of a remote forum that gets no answer is sent again after a while (Lemmy drops
/// the first Follow from a server it has not seen), a bounded number of times; a Reject from
/// the forum ends the subscription, and an answer from anyone else is refused.
#[tokio::test]
async fn an_unanswered_follow_is_sent_again_and_a_reject_ends_it() {
    use stoa_core::follows::{MAX_SENDS, RESEND_AFTER};
    use stoa_federation::following::resend_pending;
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer().await;
    let ada = app.member("ada").await;
    let (status, followed) = ada
        .post("/api/v1/follows", json!({"forum": peer.group.id}))
        .await;
    assert_eq!(status, StatusCode::OK, "{followed}");
    assert_eq!(followed["state"], "pending");
    let follow = peer.wait_for("Follow").await;
    assert_eq!(follow["object"], peer.group.id.as_str());
    let follows = || {
        peer.received
            .lock()
            .unwrap()
            .iter()
            .filter(|a| a["type"] == "Follow")
            .count()
    };

    // Not yet due: nothing is sent again.
    let data = app.state.federation.to_request_data();
    let mut now = chrono::Utc::now();
    assert_eq!(resend_pending(&data, now).await.unwrap(), 0);
    // Each time it is due it goes out again, as a new Follow (Lemmy drops an activity id it has
    // seen), until it was sent MAX_SENDS times.
    for sends in 2..=MAX_SENDS as usize {
        now += RESEND_AFTER + chrono::Duration::seconds(1);
        assert_eq!(resend_pending(&data, now).await.unwrap(), 1);
        for _ in 0..200 {
            if follows() == sends {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(follows(), sends, "the Follow was sent {sends} times");
    }
    let mut ids: Vec<String> = peer
        .received
        .lock()
        .unwrap()
        .iter()
        .filter(|a| a["type"] == "Follow")
        .map(|a| a["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), MAX_SENDS as usize, "a new id each time: {ids:?}");
    now += RESEND_AFTER * 10;
    assert_eq!(resend_pending(&data, now).await.unwrap(), 0, "no more");

    // Only the forum answers its Follow: a Reject signed by someone else changes nothing.
    let reject =
        |by: &Url| wire::activity("Reject", &format!("{by}/rejects/1"), by, follow.clone());
    // (The sending library counts a 4xx as delivered, so the outcome is what is checked.)
    let _ = peer.send(reject(&peer.actor.id), &app.url("/inbox")).await;
    let (_, list) = ada.get("/api/v1/follows").await;
    assert_eq!(list["forums"][0]["state"], "pending", "{list:#}");

    // The forum's Reject ends it, though it answers the first Follow, whose id is no longer the
    // one stored: the embedded Follow names who follows what.
    peer.send_as(
        &peer.group,
        reject(&peer.group.id),
        &app.url("/u/ada/inbox"),
    )
    .await
    .unwrap();
    let (_, list) = ada.get("/api/v1/follows").await;
    assert_eq!(list["forums"], json!([]), "{list:#}");
    now += RESEND_AFTER * 10;
    assert_eq!(resend_pending(&data, now).await.unwrap(), 0);
}

#[tokio::test]
async fn in_production_loopback_peers_are_never_fetched() {
    let app = TestApp::spawn_with(Options {
        base_url: None,
        host: Some("localhost"),
        production_federation: true,
        delivery_worker: true,
        authorized_fetch: false,
    })
    .await;
    let peer = start_peer().await;
    // The peer's signed Follow names an http actor on loopback: refused, nothing fetched or stored.
    peer.follow_books(&app).await;
    assert_eq!(followers(&app, "books").await, 0);
    let host = peer.base.trim_start_matches("http://");
    assert!(
        stoa_db::queries::users::by_name(&app.db, &format!("remote@{host}"))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn visitors_follow_a_forum_from_their_own_server_in_one_step() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer().await;
    let host = peer.base.trim_start_matches("http://").to_owned();
    let page = app.browser().get("/f/books").await;
    assert!(
        page.body.contains(r#"action="/f/books/follow""#),
        "the form is on the forum page"
    );
    let page = app
        .browser()
        .get(&format!("/f/books/follow?handle=%40remote%40{host}"))
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let target: String =
        url::form_urlencoded::byte_serialize(app.url("/f/books").as_bytes()).collect();
    assert_eq!(
        page.location.unwrap(),
        format!("{}/authorize_interaction?uri={target}", peer.base)
    );

    let page = app
        .browser()
        .get("/f/books/follow?handle=not-a-handle")
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("is not a fediverse handle"));
    // A server that cannot be reached gets a clear message, not an error page of ours.
    let page = app
        .browser()
        .get("/f/books/follow?handle=someone@localhost:1")
        .await;
    assert_eq!(page.status, StatusCode::BAD_GATEWAY);
    assert!(page.body.contains("could not find a follow page"));
}
