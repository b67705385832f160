//! Notifications as members see them: replies to their posts, mentions from here and from
//! elsewhere, a host's act on their post; the unread count in the header, the page that reads
//! them, and the kinds a member opts out of.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::TestApp;

fn kinds(told: &Value) -> Vec<(String, Option<String>)> {
    told["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["kind"].as_str().unwrap().to_owned(),
                n["actor"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[tokio::test]
async fn members_are_told_of_replies_mentions_and_moderation() {
    let app = TestApp::spawn().await;
    let root = app.admin("root").await;
    let alice = app.member("alice").await;
    let bob = app.member("bob").await;
    let carol = app.member("carol").await;
    let (thread, starter) = alice.thread("books", "Summer reading", "Lists?").await;

    // A reply tells the parent's author, a mention the one named; nobody is told of their own.
    let reply = bob
        .reply(
            thread,
            starter,
            "Middlemarch. What do you think, @carol and @nobody?",
        )
        .await;
    alice
        .reply(thread, reply, "Agreed, @alice agrees with herself.")
        .await;
    let (status, told) = alice.get("/api/v1/notifications").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kinds(&told), [("reply".to_owned(), Some("bob".to_owned()))]);
    assert_eq!(told["unread"], 1);
    assert_eq!(told["notifications"][0]["thread_title"], "Summer reading");
    assert_eq!(told["notifications"][0]["post_id"], reply);
    let (_, told) = carol.get("/api/v1/notifications").await;
    assert_eq!(
        kinds(&told),
        [("mention".to_owned(), Some("bob".to_owned()))]
    );
    let (_, told) = bob.get("/api/v1/notifications").await;
    assert_eq!(
        kinds(&told),
        [("reply".to_owned(), Some("alice".to_owned()))]
    );

    // The header counts them; the page lists them and reading it marks them read.
    let browser = app.browser();
    browser.login("alice", "correct horse").await;
    let page = browser.get("/").await;
    assert!(
        page.body.contains("aria-label=\"1 unread\""),
        "{}",
        page.body
    );
    let page = browser.get("/notifications").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&format!(
            "bob replied to your post in <a href=\"/t/{thread}#p{reply}\">Summer reading</a>"
        )),
        "{}",
        page.body
    );
    assert!(!browser.get("/").await.body.contains("unread\""));
    let (_, told) = alice.get("/api/v1/notifications").await;
    assert_eq!(told["unread"], 0);
    assert_eq!(told["notifications"][0]["read"], true);

    // A host's act on one's post.
    root.put("/api/v1/forums/books/hosts/carol", Value::Null)
        .await;
    let (status, _) = carol
        .post(
            &format!("/api/v1/posts/{reply}/removal"),
            json!({"reason": "Off topic."}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, told) = bob.get("/api/v1/notifications").await;
    let first = &told["notifications"][0];
    assert_eq!(first["kind"], "moderation");
    assert_eq!(first["actor"], "carol");
    assert_eq!(first["detail"], "removed your post: Off topic.");

    // Opting out of replies: no more of them, mentions still.
    let (status, settings) = alice
        .put(
            "/api/v1/notifications/settings",
            json!({"wanted": ["mention", "jury", "verdict", "moderation"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    let (status, body) = alice
        .put(
            "/api/v1/notifications/settings",
            json!({"wanted": ["gossip"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, settings) = alice.get("/api/v1/notifications/settings").await;
    assert_eq!(
        settings["wanted"],
        json!(["mention", "jury", "verdict", "moderation"])
    );
    bob.reply(thread, starter, "Another one for @alice.").await;
    let (_, told) = alice.get("/api/v1/notifications").await;
    assert_eq!(told["unread"], 1);
    assert_eq!(told["notifications"][0]["kind"], "mention");

    // The page's form sets the same choice.
    let done = browser
        .submit(
            "/notifications",
            "/notifications/settings",
            &[("reply", "on"), ("mention", "on")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let (_, settings) = alice.get("/api/v1/notifications/settings").await;
    assert_eq!(settings["wanted"], json!(["reply", "mention"]));
    let (status, _) = app.api().get("/api/v1/notifications").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// A reply from elsewhere that mentions a member here (a `Mention` tag naming their actor)
/// tells them, and tells the author of the post it answers.
#[tokio::test]
async fn a_mention_from_elsewhere_tells_the_member() {
    let app = TestApp::spawn_with(crate::common::loopback()).await;
    let peer = crate::peer::start_peer().await;
    let alice = app.member("alice").await;
    let carol = app.member("carol").await;
    let (thread, _) = alice.thread("books", "Summer reading", "Lists?").await;
    let note = crate::wire::note(&format!("{}/notes/1", peer.base), &peer.actor.id)
        .replying_to(&app.url(&format!("/t/{thread}")))
        .content("<p>Hello @carol!</p>")
        .mentioning(&app.url("/u/carol"), "@carol");
    peer.send(
        crate::wire::create(&format!("{}/creates/1", peer.base), &peer.actor.id, note),
        &app.url("/inbox"),
    )
    .await
    .unwrap();
    let remote = format!("remote@{}", peer.base.trim_start_matches("http://"));
    let (_, told) = carol.get("/api/v1/notifications").await;
    assert_eq!(kinds(&told), [("mention".to_owned(), Some(remote.clone()))]);
    let (_, told) = alice.get("/api/v1/notifications").await;
    assert_eq!(kinds(&told), [("reply".to_owned(), Some(remote))]);
}

/// A member here mentions someone elsewhere as `@name@host`: the post's `Create` names them in
/// a `Mention` tag and reaches their own inbox, though their server follows no forum here.
#[tokio::test]
async fn a_mention_of_someone_elsewhere_reaches_them() {
    let app = TestApp::spawn_with(crate::common::loopback()).await;
    let peer = crate::peer::start_peer().await;
    let alice = app.member("alice").await;
    let handle = format!("remote@{}", peer.base.trim_start_matches("http://"));
    let (thread, _) = alice
        .thread(
            "books",
            "Summer reading",
            &format!("What do you read, @{handle}?"),
        )
        .await;
    let create = peer
        .wait_for_matching("the Create that mentions the peer", |a| {
            a["type"] == "Create" && a["actor"] == app.url("/u/alice")
        })
        .await;
    let tags = create["object"]["tag"].as_array().unwrap();
    assert!(
        tags.iter().any(|t| t["type"] == "Mention"
            && t["href"] == peer.actor.id.as_str()
            && t["name"] == format!("@{handle}")),
        "{create}"
    );
    assert!(
        create["object"]["cc"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == peer.actor.id.as_str()),
        "{create}"
    );
    // The thread's document, as another server reads it, says the same.
    let page: Value = reqwest::Client::new()
        .get(app.url(&format!("/t/{thread}")))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["tag"], create["object"]["tag"], "{page}");
}
