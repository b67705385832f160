//! Lemmy's shapes, sent from its own fixtures: link posts and posts with a title alone, the
//! comments under them, and title edits.

use serde_json::Value;

use crate::common::{TestApp, loopback, thread_titles};
use crate::peer::{Peer, start_peer};
use crate::wire;

/// The forum's thread titled `title`, by id.
async fn thread_id(app: &TestApp, title: &str) -> Option<i64> {
    let (_, forum) = app.api().get("/api/v1/forums/books").await;
    forum["threads"]
        .as_array()?
        .iter()
        .find(|t| t["title"] == title)
        .and_then(|t| t["id"].as_i64())
}

/// A Lemmy fixture as the peer's member sends it to the forum `books`.
fn lemmy_activity(app: &TestApp, peer: &Peer, fixture: &str) -> Value {
    wire::lemmy(fixture, &peer.actor.id, &peer.base, &app.url("/f/books"))
}

/// Lemmy's `Create{Page}` fixture from the peer, into the forum `books`, changed by `edit`.
async fn send_page(app: &TestApp, peer: &Peer, fixture: &str, edit: impl FnOnce(&mut Value)) {
    let mut activity = lemmy_activity(app, peer, fixture);
    edit(&mut activity["object"]);
    // One activity per post, as Lemmy names them.
    activity["id"] = format!("{}/create", activity["object"]["id"].as_str().unwrap()).into();
    peer.send(activity, &app.url("/f/books/inbox"))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_link_post_and_a_title_alone_start_threads_and_take_comments() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer().await;
    let article = "https://example.com/some-article?a=1&b=2";

    // A link post: a title and a link, no text (these were refused: "a post needs some text").
    send_page(
        &app,
        &peer,
        "activities/create_or_update/create_page.json",
        |page| {
            page["name"] = "An article worth reading".into();
            page["attachment"][0]["href"] = article.into();
            let object = page.as_object_mut().unwrap();
            object.remove("content");
            object.remove("source");
        },
    )
    .await;
    // A title alone.
    send_page(
        &app,
        &peer,
        "activities/create_or_update/create_page.json",
        |page| {
            page["id"] = format!("{}/post/2", peer.base).into();
            page["name"] = "Just a question in the title?".into();
            let object = page.as_object_mut().unwrap();
            object.remove("content");
            object.remove("source");
            object.remove("attachment");
        },
    )
    .await;

    let (_, forum) = app.api().get("/api/v1/forums/books").await;
    let titles = thread_titles(&forum);
    assert!(titles.contains(&"An article worth reading"), "{titles:?}");
    assert!(
        titles.contains(&"Just a question in the title?"),
        "{titles:?}"
    );

    // The link shows with the thread, on its page and in the API, and goes back out in its Page.
    let linked = thread_id(&app, "An article worth reading").await.unwrap();
    let page = app.browser().get(&format!("/t/{linked}")).await;
    assert!(
        page.body.contains(
            r#"<a href="https://example.com/some-article?a=1&#38;b=2" rel="nofollow ugc noopener">"#
        ),
        "{}",
        page.body
    );
    let (_, thread) = app.api().get(&format!("/api/v1/threads/{linked}")).await;
    assert_eq!(thread["posts"][0]["link"], article, "{thread:#}");
    assert_eq!(thread["posts"][0]["body_html"], "");
    let (_, _, object) = crate::federation::get_json_pub(&app, &format!("/t/{linked}")).await;
    assert_eq!(object["attachment"][0]["type"], "Link", "{object:#}");
    assert_eq!(object["attachment"][0]["href"], article);

    // Lemmy's comment on the link post lands under it (it was lost with its post before).
    let comment = lemmy_activity(
        &app,
        &peer,
        "activities/create_or_update/create_comment.json",
    );
    peer.send(comment, &app.url("/f/books/inbox"))
        .await
        .unwrap();
    let (_, thread) = app.api().get(&format!("/api/v1/threads/{linked}")).await;
    assert_eq!(thread["reply_count"], 1, "{thread:#}");
    assert_eq!(thread["posts"][1]["body_html"], "hello");
    assert_eq!(thread["posts"][1]["depth"], 1);
}

/// A forum with the thread Lemmy's `Create{Page}` fixture starts ("test post"), and its id.
async fn with_lemmy_thread() -> (TestApp, Peer, i64) {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer().await;
    send_page(
        &app,
        &peer,
        "activities/create_or_update/create_page.json",
        |_| {},
    )
    .await;
    let thread = thread_id(&app, "test post").await.unwrap();
    (app, peer, thread)
}

#[tokio::test]
async fn a_comment_without_text_is_still_refused() {
    let (app, peer, thread) = with_lemmy_thread().await;
    let mut comment = lemmy_activity(
        &app,
        &peer,
        "activities/create_or_update/create_comment.json",
    );
    comment["object"]["content"] = "<script>hello</script>".into();
    comment["object"].as_object_mut().unwrap().remove("source");
    // (The sending library counts a 4xx as delivered, so the outcome is what is checked.)
    let _ = peer.send(comment, &app.url("/f/books/inbox")).await;
    let (_, thread) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    assert_eq!(thread["reply_count"], 0, "{thread:#}");
}

#[tokio::test]
async fn lemmy_renames_a_thread_by_updating_its_page() {
    let (app, peer, thread) = with_lemmy_thread().await;

    // Lemmy's Update{Page}: the title is now "test post 1", the body the same.
    let update = lemmy_activity(&app, &peer, "activities/create_or_update/update_page.json");
    peer.send(update, &app.url("/f/books/inbox")).await.unwrap();
    let (_, view) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    assert_eq!(view["title"], "test post 1", "{view:#}");
    let page = app.browser().get(&format!("/t/{thread}")).await;
    assert!(page.body.contains("test post 1"), "{}", page.body);
    let (_, _, object) = crate::federation::get_json_pub(&app, &format!("/t/{thread}")).await;
    assert_eq!(object["name"], "test post 1");
}

/// A forum sends its followers what Lemmy's members do in it as Lemmy made it: the Create and
/// Update under their own ids, never one made up here on Lemmy's host (Lemmy refuses "local
/// objects from a remote instance").
#[tokio::test]
async fn a_forum_sends_on_lemmys_activities_as_they_came() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer().await;
    peer.follow_books(&app).await;
    peer.wait_for("Accept").await;

    let forum = app.url("/f/books");
    let announced = |id: Value| move |a: &Value| a["type"] == "Announce" && a["object"]["id"] == id;
    for fixture in [
        "activities/create_or_update/create_page.json",
        "activities/create_or_update/create_comment.json",
        "activities/create_or_update/update_page.json",
    ] {
        let activity = lemmy_activity(&app, &peer, fixture);
        peer.send(activity.clone(), &app.url("/f/books/inbox"))
            .await
            .unwrap();
        let announce = peer
            .wait_for_matching(fixture, announced(activity["id"].clone()))
            .await;
        assert_eq!(announce["actor"], forum.as_str(), "{announce:#}");
        assert_eq!(announce["object"]["actor"], activity["actor"]);
        assert_eq!(announce["object"]["object"]["id"], activity["object"]["id"]);
        assert_eq!(
            announce["object"]["object"]["content"],
            activity["object"]["content"]
        );
    }
    // Nothing went out under an id made up on the author's host.
    let made_up = format!("{}/post/1/activities", peer.base);
    let received = peer.received.lock().unwrap().clone();
    assert!(
        !received.iter().any(|a| a.to_string().contains(&made_up)),
        "{received:#?}"
    );
}

/// A forum here has no downvotes: Lemmy's `Dislike` of a post, and its `Undo`, are taken (202,
/// so Lemmy does not retry them) and change nothing anyone sees.
#[tokio::test]
async fn a_downvote_is_taken_and_changes_nothing() {
    let (app, peer, thread) = with_lemmy_thread().await;
    let (_, before) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    let mut dislike = lemmy_activity(&app, &peer, "activities/voting/dislike_page.json");
    // The fixture's voter is another member of Lemmy's: the peer's votes here.
    dislike["actor"] = peer.actor.id.as_str().into();
    dislike["id"] = format!("{}/activities/dislike/1", peer.base).into();
    dislike["object"] = format!("{}/post/1", peer.base).into();
    let (status, answer) = peer.post_status(&dislike, &app.url("/f/books/inbox")).await;
    assert_eq!(status, reqwest::StatusCode::ACCEPTED, "{answer}");
    let undo_id = format!("{}/activities/undo/1", peer.base);
    let mut undo = wire::undo(&undo_id, &peer.actor.id, dislike);
    undo["audience"] = app.url("/f/books").into();
    let (status, answer) = peer.post_status(&undo, &app.url("/f/books/inbox")).await;
    assert_eq!(status, reqwest::StatusCode::ACCEPTED, "{answer}");
    let (_, after) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    assert_eq!(
        after["posts"][0]["like_count"],
        before["posts"][0]["like_count"]
    );
    assert_eq!(
        after["posts"][0]["body_html"],
        before["posts"][0]["body_html"]
    );
    assert_eq!(after["reply_count"], 0, "{after:#}");
}
