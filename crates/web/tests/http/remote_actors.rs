//! People of other servers changing their profile or deleting their account: only themselves.

use serde_json::json;

use crate::common::{TestApp, loopback};
use crate::peer::start_peer;
use crate::wire;

#[tokio::test]
async fn a_remote_person_updates_their_profile_and_deletes_only_themselves() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer().await;
    let alice = app.member("alice").await;
    let (thread, starter) = alice.thread("books", "Profiles", "Say hello.").await;
    let reply = wire::create(
        &format!("{}/creates/1", peer.base),
        &peer.actor.id,
        wire::note(&format!("{}/notes/1", peer.base), &peer.actor.id)
            .replying_to(&app.url(&format!("/t/{thread}")))
            .content("<p>Hello from afar.</p>"),
    );
    peer.send(reply, &app.url("/inbox")).await.unwrap();
    let remote = stoa_db::queries::users::by_ap_id(&app.db, peer.actor.id.as_str())
        .await
        .unwrap()
        .expect("the replying person is known");
    assert_eq!(remote.display_name.as_deref(), Some("Remote Person"));

    // Update{Person}: the new name is kept, cleaned like any remote name.
    let mut profile =
        wire::actor_document("Person", &peer.actor.id, "remote", &peer.actor.public_key);
    profile["name"] = json!("Renamed \u{202E}Person");
    let update = wire::update(
        &format!("{}/updates/1", peer.base),
        &peer.actor.id,
        profile.clone(),
    );
    peer.send(update, &app.url("/inbox")).await.unwrap();
    let renamed = stoa_db::queries::users::by_ap_id(&app.db, peer.actor.id.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renamed.display_name.as_deref(), Some("Renamed Person"));

    // Nobody updates or deletes someone else, even on their own server.
    let other_on_peer = format!("{}/users/someone-else", peer.base);
    let other = stoa_db::queries::users::upsert_remote(
        &app.db,
        stoa_db::queries::users::RemoteActor {
            ap_id: &other_on_peer,
            name: "someone-else@peer",
            display_name: None,
            inbox_url: &format!("{other_on_peer}/inbox"),
            shared_inbox_url: None,
            profile_url: &other_on_peer,
            avatar_url: None,
            public_key: "unused",
            now: chrono::Utc::now(),
        },
    )
    .await
    .unwrap();
    let others_post = stoa_core::replies::reply_one(
        &app.db,
        stoa_core::replies::NewReply {
            author: stoa_core::Actor::from(&other),
            target: stoa_core::replies::ReplyTarget::InThread {
                thread_id: thread,
                post_id: starter,
            },
            content: stoa_core::posts::Content::remote(
                "<p>Someone else.</p>",
                None,
                &format!("{}/notes/other", peer.base),
            )
            .unwrap(),
        },
    )
    .await
    .unwrap();
    profile["id"] = json!(other_on_peer);
    profile["name"] = json!("Hijacked");
    profile["inbox"] = json!(format!("{other_on_peer}/inbox"));
    let hijack = wire::update(&format!("{}/updates/2", peer.base), &peer.actor.id, profile);
    let _ = peer.send(hijack, &app.url("/inbox")).await;
    let unchanged = stoa_db::queries::users::by_ap_id(&app.db, &other_on_peer)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unchanged.display_name, None);
    let delete_other = wire::delete(
        &format!("{}/deletes/1", peer.base),
        &peer.actor.id,
        other_on_peer.as_str(),
    );
    let _ = peer.send(delete_other, &app.url("/inbox")).await;

    // Delete{Person} of itself: its posts become placeholders.
    let delete_self = wire::delete(
        &format!("{}/deletes/2", peer.base),
        &peer.actor.id,
        peer.actor.id.as_str(),
    );
    peer.send(delete_self, &app.url("/inbox")).await.unwrap();
    let (_, view) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    let posts = view["posts"].as_array().unwrap();
    assert_eq!(posts.len(), 3);
    assert_eq!(posts[0]["id"], starter);
    assert_eq!(posts[0]["deleted"], false);
    let deleted = |id: i64| posts.iter().find(|p| p["id"] == id).unwrap()["deleted"] == true;
    assert!(
        !deleted(others_post.post_id),
        "someone else's post stays: {view:#}"
    );
    let peers_post = posts
        .iter()
        .find(|p| p["id"] != starter && p["id"] != others_post.post_id)
        .unwrap();
    assert_eq!(peers_post["deleted"], true, "{view:#}");
}
