//! Posts from elsewhere over real signed HTTP: replies placed in the tree (with their unknown
//! ancestors fetched), threads started by posts naming a forum, edits, deletions and likes by
//! their authors only, and a forum re-broadcasting what happens in it to its followers.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{TestApp, loopback, thread_titles};
use crate::peer::start_peer;
use crate::wire;

#[tokio::test]
async fn a_forum_rebroadcasts_threads_replies_edits_and_deletes_to_its_followers() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer().await;
    let forum = app.url("/f/books");
    peer.follow_books(&app).await;
    peer.wait_for("Accept").await;

    let alice = app.member("alice").await;
    let (thread, starter) = alice
        .thread("books", "Summer reading", "What is on your list?")
        .await;
    let page_id = app.url(&format!("/t/{thread}"));

    let create = peer
        .wait_for_matching("Announce{Create{Page}}", |a| {
            a["type"] == "Announce" && a["object"]["type"] == "Create"
        })
        .await;
    assert_eq!(create["actor"], forum);
    assert_eq!(create["object"]["actor"], app.url("/u/alice"));
    assert_eq!(create["object"]["object"]["type"], "Page");
    assert_eq!(create["object"]["object"]["id"], page_id);
    assert_eq!(create["object"]["object"]["name"], "Summer reading");
    assert_eq!(create["audience"], forum);
    let plain = peer
        .wait_for_matching("Announce{Page}", |a| {
            a["type"] == "Announce" && a["object"] == page_id
        })
        .await;
    assert_eq!(plain["actor"], forum);

    let reply = alice.reply(thread, starter, "Middlemarch.").await;
    let note_id = app.url(&format!("/p/{reply}"));
    let note = peer
        .wait_for_matching("Announce{Create{Note}}", |a| {
            a["object"]["object"]["id"] == note_id
        })
        .await;
    assert_eq!(note["object"]["object"]["type"], "Note");
    assert_eq!(note["object"]["object"]["inReplyTo"], page_id);

    alice
        .patch(
            &format!("/api/v1/posts/{reply}"),
            json!({"body": "Middlemarch, again."}),
        )
        .await;
    let update = peer
        .wait_for_matching("Announce{Update}", |a| a["object"]["type"] == "Update")
        .await;
    assert_eq!(
        update["object"]["object"]["content"],
        "<p>Middlemarch, again.</p>\n"
    );

    alice.delete(&format!("/api/v1/posts/{reply}")).await;
    let delete = peer
        .wait_for_matching("Announce{Delete}", |a| a["object"]["type"] == "Delete")
        .await;
    assert_eq!(delete["object"]["object"], note_id);
    assert_eq!(delete["object"]["actor"], app.url("/u/alice"));

    // Another forum's threads do not go to this forum's followers.
    alice.thread("music", "Not followed", "x").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let received = peer.received.lock().unwrap().clone();
    assert!(
        !received
            .iter()
            .any(|a| a.to_string().contains("Not followed")),
        "only the followed forum's activity arrives"
    );
}

#[tokio::test]
async fn remote_replies_land_in_the_tree_and_can_be_edited_and_deleted_by_their_author() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer().await;
    let alice = app.member("alice").await;
    let (thread, starter) = alice
        .thread("foreign-affairs", "Trade talks", "Who wins?")
        .await;
    let bob = app.member("bob").await;
    let local_reply = bob.reply(thread, starter, "Nobody.").await;
    let page_id = app.url(&format!("/t/{thread}"));
    let note_id = format!("{}/notes/1", peer.base);
    // Addressed only to the thread's author, as Mastodon does: the tree still gets it.
    let note = wire::note(&note_id, &peer.actor.id)
        .replying_to(&page_id)
        .content("<p>From afar. <script>alert(1)</script><b>bold</b></p>")
        .to(&[&app.url("/u/alice")]);
    let create = wire::create(&format!("{}/creates/1", peer.base), &peer.actor.id, note);
    peer.send(create.clone(), &app.url("/u/alice/inbox"))
        .await
        .unwrap();
    // The same activity again is stored once.
    peer.send(create, &app.url("/inbox")).await.unwrap();

    // A reply to a local reply nests under it.
    let nested = wire::create(
        &format!("{}/creates/2", peer.base),
        &peer.actor.id,
        wire::note(&format!("{}/notes/2", peer.base), &peer.actor.id)
            .replying_to(&app.url(&format!("/p/{local_reply}")))
            .content("<p>Under Bob.</p>"),
    );
    peer.send(nested, &app.url("/inbox")).await.unwrap();

    let (_, view) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    let posts = view["posts"].as_array().unwrap();
    assert_eq!(posts.len(), 4, "{view:#}");
    let host = peer.base.trim_start_matches("http://");
    let remote_name = format!("remote@{host}");
    let from_afar = posts
        .iter()
        .find(|p| p["body_html"].as_str().unwrap().contains("From afar"))
        .unwrap();
    assert_eq!(from_afar["parent_id"], starter);
    assert_eq!(from_afar["depth"], 1);
    assert_eq!(from_afar["author"]["name"], remote_name);
    assert_eq!(from_afar["author"]["local"], false);
    assert_eq!(from_afar["author"]["url"], format!("{}/@remote", peer.base));
    assert!(!from_afar["body_html"].as_str().unwrap().contains("script"));
    let under_bob = posts
        .iter()
        .find(|p| p["body_html"].as_str().unwrap().contains("Under Bob"))
        .unwrap();
    assert_eq!(under_bob["parent_id"], local_reply);
    assert_eq!(under_bob["depth"], 2);

    // The page names the remote author as name@host, linking to their profile.
    let page = app.browser().get(&format!("/t/{thread}")).await.body;
    assert!(
        page.contains(&format!(
            r#"<a class="author" href="{}/@remote">{remote_name}</a>"#,
            peer.base
        )),
        "{page}"
    );

    // Its author edits it …
    let update = wire::update(
        &format!("{}/updates/1", peer.base),
        &peer.actor.id,
        wire::note(&note_id, &peer.actor.id)
            .replying_to(&page_id)
            .content("<p>Edited from afar.</p>"),
    );
    peer.send(update, &app.url("/inbox")).await.unwrap();
    let (_, view) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    assert!(view.to_string().contains("Edited from afar."));

    // … but cannot edit someone else's post: the local reply stays as it was.
    let hijack = wire::update(
        &format!("{}/updates/2", peer.base),
        &peer.actor.id,
        wire::note(&app.url(&format!("/p/{local_reply}")), &peer.actor.id)
            .content("<p>hijacked</p>"),
    );
    peer.send(hijack, &app.url("/inbox")).await.unwrap();
    let (_, view) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    assert!(!view.to_string().contains("hijacked"));

    // … and deletes it: a placeholder keeps its place.
    let delete = wire::delete(
        &format!("{}/deletes/1", peer.base),
        &peer.actor.id,
        wire::tombstone(&note_id),
    );
    peer.send(delete, &app.url("/inbox")).await.unwrap();
    let (_, view) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    let posts = view["posts"].as_array().unwrap();
    assert_eq!(posts.len(), 4);
    assert!(
        posts
            .iter()
            .any(|p| p["deleted"] == true && p["parent_id"] == starter)
    );
    assert!(!view.to_string().contains("Edited from afar."));
}

/// Replies arriving together are written in batches: each is stored once, under its own
/// parent, and the thread's and author's counts match what was stored.
#[tokio::test]
async fn replies_arriving_at_once_are_each_stored_once_in_their_place() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = Arc::new(start_peer().await);
    let alice = app.member("alice").await;
    let (thread, starter) = alice.thread("foreign-affairs", "Busy", "Talk to me.").await;
    let bob = app.member("bob").await;
    let local_reply = bob.reply(thread, starter, "Hello.").await;
    let replies = 24;
    let mut sends = tokio::task::JoinSet::new();
    for n in 0..replies {
        let parent = if n % 2 == 0 {
            app.url(&format!("/t/{thread}"))
        } else {
            app.url(&format!("/p/{local_reply}"))
        };
        let create = wire::create(
            &format!("{}/creates/{n}", peer.base),
            &peer.actor.id,
            wire::note(&format!("{}/notes/{n}", peer.base), &peer.actor.id)
                .replying_to(&parent)
                .content(&format!("<p>Reply {n}.</p>")),
        );
        // Each activity twice at once, as two inboxes of ours might receive it.
        for _ in 0..2 {
            let (peer, create, inbox) = (peer.clone(), create.clone(), app.url("/inbox"));
            sends.spawn(async move { peer.send(create, &inbox).await });
        }
    }
    // One to a post that does not exist, in the same burst: refused, the others unharmed.
    let orphan = wire::create(
        &format!("{}/creates/orphan", peer.base),
        &peer.actor.id,
        wire::note(&format!("{}/notes/orphan", peer.base), &peer.actor.id)
            .replying_to(&app.url("/p/999999"))
            .content("<p>Orphan.</p>"),
    );
    let (orphan_peer, inbox) = (peer.clone(), app.url("/inbox"));
    sends.spawn(async move { orphan_peer.send(orphan, &inbox).await });
    while let Some(sent) = sends.join_next().await {
        sent.unwrap().unwrap();
    }

    let (_, view) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    let posts = view["posts"].as_array().unwrap();
    assert_eq!(posts.len(), 2 + replies, "{view:#}");
    assert_eq!(view["reply_count"], 1 + replies as i64, "{view:#}");
    for n in 0..replies {
        let text = format!("Reply {n}.");
        let found: Vec<&Value> = posts
            .iter()
            .filter(|p| p["body_html"].as_str().unwrap().contains(&text))
            .collect();
        assert_eq!(found.len(), 1, "{text} is stored once");
        let parent = if n % 2 == 0 { starter } else { local_reply };
        assert_eq!(found[0]["parent_id"], parent, "{text}");
    }
    assert!(!view.to_string().contains("Orphan."));
    let host = peer.base.trim_start_matches("http://");
    let (_, member) = app.api().get(&format!("/api/v1/users/remote@{host}")).await;
    assert_eq!(member["post_count"], replies as i64, "{member:#}");
}

/// A like from elsewhere counts once however often it comes, is announced to the forum's
/// followers, and its Undo takes it back.
#[tokio::test]
async fn likes_from_elsewhere_are_counted_once_and_announced() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer().await;
    peer.follow_books(&app).await;
    let alice = app.member("alice").await;
    let (thread, _) = alice.thread("books", "Likeable", "x").await;
    let like = wire::like(
        &format!("{}/likes/1", peer.base),
        &peer.actor.id,
        &app.url(&format!("/t/{thread}")),
    );
    peer.send(like.clone(), &app.url("/inbox")).await.unwrap();
    peer.send(like.clone(), &app.url("/inbox")).await.unwrap();
    let (_, view) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    assert_eq!(
        view["posts"][0]["like_count"], 1,
        "a repeated Like counts once"
    );
    let page = app.browser().get(&format!("/t/{thread}")).await.body;
    assert!(page.contains(r#"<span class="likes">1 like</span>"#));
    let announced = peer
        .wait_for_matching("Announce{Like}", |a| a["object"]["type"] == "Like")
        .await;
    assert_eq!(announced["object"]["id"], like["id"]);
    assert_eq!(
        announced["object"]["object"],
        app.url(&format!("/t/{thread}"))
    );

    let undo = wire::undo(&format!("{}/undos/9", peer.base), &peer.actor.id, like);
    peer.send(undo, &app.url("/inbox")).await.unwrap();
    let (_, view) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    assert_eq!(view["posts"][0]["like_count"], 0);
    peer.wait_for_matching("Announce{Undo{Like}}", |a| a["object"]["type"] == "Undo")
        .await;
}

#[tokio::test]
async fn posts_from_elsewhere_that_name_a_forum_start_threads() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer().await;
    let forum = app.url("/f/books");
    // A Page with a title, addressed to the forum (as Lemmy sends).
    let page = wire::create(
        &format!("{}/creates/page", peer.base),
        &peer.actor.id,
        wire::page(
            &format!("{}/pages/1", peer.base),
            &peer.actor.id,
            "Books that changed your mind",
        )
        .content("<p>Mine was <em>Middlemarch</em>.</p>")
        .to(&[&forum, wire::PUBLIC])
        .audience(&forum),
    );
    peer.send(page, &app.url("/f/books/inbox")).await.unwrap();
    // A Note without a title that mentions the forum (as Mastodon sends): its first line is the title.
    let note = wire::create(
        &format!("{}/creates/note", peer.base),
        &peer.actor.id,
        wire::note(&format!("{}/notes/77", peer.base), &peer.actor.id)
            .content(
                "<p><a href=\"x\">@books</a> Any good short stories?</p><p>Looking for ideas.</p>",
            )
            .to(&[wire::PUBLIC])
            .mentioning(&forum, "@books"),
    );
    peer.send(note, &app.url("/inbox")).await.unwrap();
    // A post naming no forum here starts nothing.
    let stray = wire::create(
        &format!("{}/creates/stray", peer.base),
        &peer.actor.id,
        wire::note(&format!("{}/notes/78", peer.base), &peer.actor.id)
            .content("<p>hello world</p>")
            .to(&[wire::PUBLIC]),
    );
    peer.send(stray, &app.url("/inbox")).await.unwrap();

    let (_, forum_view) = app.api().get("/api/v1/forums/books").await;
    let titles = thread_titles(&forum_view);
    assert_eq!(titles.len(), 2, "{titles:?}");
    assert!(titles.contains(&"Books that changed your mind"));
    assert!(titles.contains(&"@books Any good short stories?"));
    let host = peer.base.trim_start_matches("http://");
    assert_eq!(forum_view["threads"][0]["author"], format!("remote@{host}"));
    // The thread's Page keeps the sender's id.
    let thread = forum_view["threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["title"] == "Books that changed your mind")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (_, _, object) = crate::federation::get_json_pub(&app, &format!("/t/{thread}")).await;
    assert_eq!(object["id"], format!("{}/pages/1", peer.base));
}

#[tokio::test]
async fn unknown_parents_are_fetched_and_reply_loops_end() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer().await;
    let alice = app.member("alice").await;
    let (thread, _) = alice.thread("books", "Joined midway", "x").await;
    let page_id = app.url(&format!("/t/{thread}"));
    // A reply Stoa never received, then a reply to it that it does receive.
    let parent_id = format!("{}/objects/parent", peer.base);
    peer.objects.lock().unwrap().insert(
        "parent".into(),
        wire::note(&parent_id, &peer.actor.id)
            .replying_to(&page_id)
            .content("<p>The missing link.</p>")
            .into(),
    );
    let create = wire::create(
        &format!("{}/creates/child", peer.base),
        &peer.actor.id,
        wire::note(&format!("{}/objects/child", peer.base), &peer.actor.id)
            .replying_to(&parent_id)
            .content("<p>The child.</p>"),
    );
    peer.send(create, &app.url("/inbox")).await.unwrap();
    let (_, view) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    let posts = view["posts"].as_array().unwrap();
    assert_eq!(posts.len(), 3, "{view:#}");
    assert!(
        posts[1]["body_html"]
            .as_str()
            .unwrap()
            .contains("The missing link.")
    );
    assert_eq!(posts[1]["depth"], 1);
    assert!(
        posts[2]["body_html"]
            .as_str()
            .unwrap()
            .contains("The child.")
    );
    assert_eq!(posts[2]["depth"], 2);

    // Two unknown posts answering each other: the fetching stops, nothing is stored.
    for (name, other) in [("loop-a", "loop-b"), ("loop-b", "loop-a")] {
        peer.objects.lock().unwrap().insert(
            name.into(),
            wire::note(&format!("{}/objects/{name}", peer.base), &peer.actor.id)
                .replying_to(&format!("{}/objects/{other}", peer.base))
                .content("<p>loop</p>")
                .into(),
        );
    }
    let looping = wire::create(
        &format!("{}/creates/loop", peer.base),
        &peer.actor.id,
        wire::note(&format!("{}/objects/loop-c", peer.base), &peer.actor.id)
            .replying_to(&format!("{}/objects/loop-a", peer.base))
            .content("<p>loop</p>"),
    );
    let sent = tokio::time::timeout(
        Duration::from_secs(20),
        peer.send(looping, &app.url("/inbox")),
    )
    .await;
    assert!(sent.is_ok(), "the loop ends");
    assert_eq!(stoa_db::queries::posts::count(&app.db).await.unwrap(), 3);
}
