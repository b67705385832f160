//! Moderation by a forum's hosts and the admins, as members, guests and hosts see it through
//! the API and the pages: appointing hosts, locking threads, removing and restoring posts, and
//! the public moderation log.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::TestApp;

/// The post of a thread's API view with this id.
fn post(thread: &Value, id: i64) -> &Value {
    thread["posts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("post {id} in {thread}"))
}

#[tokio::test]
async fn hosts_lock_threads_and_remove_posts_through_the_api() {
    let app = TestApp::spawn().await;
    let root = app.admin("root").await;
    let helen = app.member("helen").await;
    let alice = app.member("alice").await;
    let bob = app.member("bob").await;
    let guest = app.api();
    let (thread, starter) = alice.thread("books", "Summer reading", "Lists?").await;
    let reply = alice.reply(thread, starter, "Buy my pills.").await;

    // Nobody but an admin appoints a host; an admin does, and the forum lists them.
    let (status, _) = helen
        .put("/api/v1/forums/books/hosts/helen", Value::Null)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = root
        .put("/api/v1/forums/books/hosts/nobody", Value::Null)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = root
        .put("/api/v1/forums/books/hosts/helen", Value::Null)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, forum) = guest.get("/api/v1/forums/books").await;
    assert_eq!(forum["hosts"], json!(["helen"]));

    // A member cannot lock; the host can, and then nobody replies.
    let lock = format!("/api/v1/threads/{thread}/lock");
    let (status, _) = bob.post(&lock, Value::Null).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = helen.post(&lock, json!({"reason": "Cooling off."})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, view) = guest.get(&format!("/api/v1/threads/{thread}")).await;
    assert_eq!(view["locked"], true);
    let (status, body) = alice
        .post(
            &format!("/api/v1/threads/{thread}/replies"),
            json!({"parent_id": starter, "body": "Still here."}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["detail"], "this thread is locked");
    let (status, _) = helen.delete(&lock).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    alice.reply(thread, starter, "Back again.").await;

    // A removal needs a reason, and happens once.
    let removal = format!("/api/v1/posts/{reply}/removal");
    let (status, body) = helen.post(&removal, json!({"reason": " "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = bob.post(&removal, json!({"reason": "Spam."})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = helen.post(&removal, json!({"reason": "Spam."})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = root.post(&removal, json!({"reason": "Spam."})).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Everyone sees that it was removed and why; only its author and the moderators read it.
    for (who, client, reads) in [
        ("a guest", &guest, false),
        ("another member", &bob, false),
        ("its author", &alice, true),
        ("the host", &helen, true),
        ("an admin", &root, true),
    ] {
        let (_, view) = client.get(&format!("/api/v1/threads/{thread}")).await;
        let removed = post(&view, reply);
        assert_eq!(
            removed["removal"],
            json!({"by": "host", "reason": "Spam."}),
            "{who}"
        );
        let body = removed["body_html"].as_str().unwrap();
        assert_eq!(body.contains("Buy my pills."), reads, "{who}: {body:?}");
        let (status, _) = client
            .get(&format!("/api/v1/posts/{reply}/revisions"))
            .await;
        assert_eq!(status.is_success(), reads, "{who}: the revisions");
    }
    // Its ActivityPub object is a Tombstone to everyone.
    let (status, _, tombstone) =
        crate::federation::get_json_pub(&app, &format!("/p/{reply}")).await;
    assert_eq!(status.as_u16(), 410);
    assert_eq!(tombstone["type"], "Tombstone");

    let (status, _) = helen.delete(&removal).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, view) = guest.get(&format!("/api/v1/threads/{thread}")).await;
    assert_eq!(post(&view, reply)["removal"], Value::Null);
    assert!(
        post(&view, reply)["body_html"]
            .as_str()
            .unwrap()
            .contains("Buy my pills.")
    );
    let (status, _) = helen.delete(&removal).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Dismissed, helen moderates no more.
    let (status, _) = root.delete("/api/v1/forums/books/hosts/helen").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = helen.post(&lock, Value::Null).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Every act is in the public log, newest first, with who did it and why.
    let (status, log) = guest.get("/api/v1/forums/books/modlog").await;
    assert_eq!(status, StatusCode::OK);
    let acts: Vec<String> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {} {} {}",
                e["action"].as_str().unwrap(),
                e["by_role"].as_str().unwrap(),
                e["by"].as_str().unwrap_or("-"),
                e["reason"].as_str().unwrap_or("-")
            )
        })
        .collect();
    assert_eq!(
        acts,
        [
            "dismiss_host admin root -",
            "restore host helen -",
            "remove host helen Spam.",
            "unlock host helen -",
            "lock host helen Cooling off.",
            "appoint_host admin root -",
        ]
    );
    let removal_entry = &log["entries"][2];
    assert_eq!(removal_entry["member"], "alice");
    assert_eq!(removal_entry["post_id"], reply);
    assert_eq!(removal_entry["thread_title"], "Summer reading");
    let (_, instance) = guest.get("/api/v1/modlog").await;
    assert_eq!(instance["entries"], log["entries"]);
    let (status, _) = guest.get("/api/v1/forums/nowhere/modlog").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn hosts_moderate_from_the_pages_and_everyone_reads_the_log() {
    let app = TestApp::spawn().await;
    let root = app.admin("root").await;
    app.member("helen").await;
    let alice = app.member("alice").await;
    let (thread, starter) = alice.thread("books", "Summer reading", "Lists?").await;
    let reply = alice.reply(thread, starter, "Buy my pills.").await;

    // The admin appoints helen from the forum's page; a member sees no such form.
    let admin = app.browser();
    admin.login("root", "correct horse").await;
    assert!(admin.get("/f/books").await.body.contains("Appoint host"));
    let done = admin
        .submit(
            "/f/books",
            "/f/books/hosts",
            &[("name", "helen"), ("action", "appoint")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = app.browser().get("/f/books").await;
    assert!(page.body.contains(r#"Hosts: <a href="/u/helen">helen</a>"#));
    assert!(!page.body.contains("Appoint host"));
    drop(root);

    let host = app.browser();
    host.login("helen", "correct horse").await;
    let member = app.browser();
    member.login("alice", "correct horse").await;
    let thread_path = format!("/t/{thread}");
    assert!(
        !member
            .get(&thread_path)
            .await
            .body
            .contains("Lock the thread"),
        "a member has no host tools"
    );

    // Locked from the page: everyone sees it, nobody gets a reply form.
    let locked = host
        .submit(
            &thread_path,
            &format!("/t/{thread}/lock"),
            &[("locked", "true")],
        )
        .await;
    assert_eq!(locked.status, StatusCode::SEE_OTHER, "{}", locked.body);
    let seen = member.get(&thread_path).await.body;
    assert!(seen.contains("This thread is locked"));
    assert!(!seen.contains("Post reply"), "no reply form");
    assert!(!seen.contains(&format!("/t/{thread}/reply?to=")));
    host.submit(
        &thread_path,
        &format!("/t/{thread}/lock"),
        &[("locked", "false")],
    )
    .await;
    assert!(member.get(&thread_path).await.body.contains("Post reply"));

    // Removed with a reason from its form: its place says so; a guest no longer reads it.
    let form = host.get(&format!("/p/{reply}/remove")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        member.get(&format!("/p/{reply}/remove")).await.status == StatusCode::FORBIDDEN,
        "a member may not remove"
    );
    let empty = host
        .submit(
            &format!("/p/{reply}/remove"),
            &format!("/p/{reply}/remove"),
            &[("reason", "")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("say why"));
    let removed = host
        .submit(
            &format!("/p/{reply}/remove"),
            &format!("/p/{reply}/remove"),
            &[("reason", "Spam.")],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    let notice = "Removed by a host, helen: Spam.";
    let as_guest = app.browser().get(&thread_path).await.body;
    assert!(as_guest.contains(notice));
    assert!(!as_guest.contains("Buy my pills."));
    let as_author = member.get(&thread_path).await.body;
    assert!(as_author.contains(notice) && as_author.contains("Buy my pills."));
    let as_host = host.get(&thread_path).await.body;
    assert!(as_host.contains("Buy my pills.") && as_host.contains("Restore"));

    // The public log, of the forum and of the instance.
    let log = app.browser().get("/f/books/modlog").await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(log.body.contains("host helen removed a post by alice in"));
    assert!(log.body.contains("<q>Spam.</q>"));
    assert!(log.body.contains("host helen locked the thread"));
    assert!(log.body.contains("admin root appointed helen a host"));
    let all = app.browser().get("/modlog").await;
    assert!(all.body.contains("host helen removed a post by alice in"));

    // Restored from the thread page.
    host.submit(&thread_path, &format!("/p/{reply}/restore"), &[])
        .await;
    assert!(
        app.browser()
            .get(&thread_path)
            .await
            .body
            .contains("Buy my pills.")
    );
}

/// A host bans a member here and one elsewhere: both still read the forum, neither posts in it
/// (the reply their server sends is not stored), the ban is in the log, and lifted it stops. Members see no ban tools; the bans page is for the forum's hosts and the admins.
#[tokio::test]
async fn hosts_ban_members_here_and_elsewhere() {
    let app = TestApp::spawn_with(crate::common::loopback()).await;
    let peer = crate::peer::start_peer().await;
    let root = app.admin("root").await;
    let helen = app.member("helen").await;
    let alice = app.member("alice").await;
    let bob = app.member("bob").await;
    root.put("/api/v1/forums/books/hosts/helen", Value::Null)
        .await;
    let (thread, starter) = alice.thread("books", "Summer reading", "Lists?").await;
    // The member elsewhere is known here once they have written.
    let first = crate::wire::note(&format!("{}/notes/1", peer.base), &peer.actor.id)
        .replying_to(&app.url(&format!("/t/{thread}")))
        .content("<p>Hello from afar.</p>");
    peer.send(
        crate::wire::create(&format!("{}/creates/1", peer.base), &peer.actor.id, first),
        &app.url("/inbox"),
    )
    .await
    .unwrap();
    let remote = format!("remote@{}", peer.base.trim_start_matches("http://"));

    let bans = "/api/v1/forums/books/bans";
    let (status, _) = bob
        .put(&format!("{bans}/alice"), json!({"reason": "Spam."}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a member does not ban");
    let (status, _) = helen
        .put(&format!("{bans}/root"), json!({"reason": "Spam."}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "nobody bans an admin");
    let (status, body) = helen
        .put(
            &format!("{bans}/alice"),
            json!({"reason": "Spam.", "until": "2001-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = helen
        .put(&format!("{bans}/alice"), json!({"reason": "Spam, again."}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = helen
        .put(&format!("{bans}/{remote}"), json!({"reason": "Abuse."}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, list) = helen.get(bans).await;
    let mut names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["member"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["alice", remote.as_str()]);
    let (status, _) = bob.get(bans).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Neither posts; alice still reads.
    let (status, body) = alice
        .post(
            &format!("/api/v1/threads/{thread}/replies"),
            json!({"parent_id": starter, "body": "Let me in."}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["detail"], "you are banned from this forum");
    let (status, _) = alice
        .post(
            "/api/v1/forums/books/threads",
            json!({"title": "New", "body": "Text."}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = alice.get(&format!("/api/v1/threads/{thread}")).await;
    assert_eq!(status, StatusCode::OK);
    let second = crate::wire::note(&format!("{}/notes/2", peer.base), &peer.actor.id)
        .replying_to(&app.url(&format!("/t/{thread}")))
        .content("<p>Banned words.</p>");
    // Refused with a 403, which the sending library takes as final and does not report.
    let _ = peer
        .send(
            crate::wire::create(&format!("{}/creates/2", peer.base), &peer.actor.id, second),
            &app.url("/inbox"),
        )
        .await;
    let (_, view) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    assert!(!view.to_string().contains("Banned words."));

    // The bans page and the log.
    let host = app.browser();
    host.login("helen", "correct horse").await;
    let page = host.get("/f/books/bans").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Spam, again.") && page.body.contains("until lifted"));
    assert!(host.get("/f/books").await.body.contains("/f/books/bans"));
    let member = app.browser();
    member.login("bob", "correct horse").await;
    assert!(!member.get("/f/books").await.body.contains("/f/books/bans"));
    assert_eq!(
        member.get("/f/books/bans").await.status,
        StatusCode::FORBIDDEN
    );
    let lifted = host
        .submit(
            "/f/books/bans",
            "/f/books/bans",
            &[("name", "alice"), ("action", "lift")],
        )
        .await;
    assert_eq!(lifted.status, StatusCode::SEE_OTHER, "{}", lifted.body);
    let log = app.browser().get("/f/books/modlog").await.body;
    assert!(log.contains("host helen banned alice from the forum"));
    assert!(log.contains("host helen lifted the ban on alice"));
    alice.reply(thread, starter, "Back again.").await;
    let (status, _) = helen.delete(&format!("{bans}/{remote}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let third = crate::wire::note(&format!("{}/notes/3", peer.base), &peer.actor.id)
        .replying_to(&app.url(&format!("/t/{thread}")))
        .content("<p>Welcome back.</p>");
    peer.send(
        crate::wire::create(&format!("{}/creates/3", peer.base), &peer.actor.id, third),
        &app.url("/inbox"),
    )
    .await
    .unwrap();
    let (_, view) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    assert!(view.to_string().contains("Welcome back."));
}

/// A host rewrites the forum's statement of purpose from its page: the page, the API and the
/// forum's actor document say the new words; a member finds no such form and is refused.
#[tokio::test]
async fn hosts_rewrite_the_forums_purpose() {
    let app = TestApp::spawn().await;
    let root = app.admin("root").await;
    app.member("helen").await;
    let bob = app.member("bob").await;
    root.put("/api/v1/forums/books/hosts/helen", Value::Null)
        .await;
    let (status, _) = bob
        .patch("/api/v1/forums/books", json!({"purpose": "Mine now."}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let member = app.browser();
    member.login("bob", "correct horse").await;
    assert!(
        !member
            .get("/f/books")
            .await
            .body
            .contains("/f/books/purpose")
    );

    let host = app.browser();
    host.login("helen", "correct horse").await;
    let done = host
        .submit(
            "/f/books",
            "/f/books/purpose",
            &[("purpose", "Books & <b>reading</b>.")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = app.browser().get("/f/books").await.body;
    assert!(
        page.contains("reading") && !page.contains("<b>reading</b>"),
        "shown, escaped, on the page"
    );
    let (_, forum) = app.api().get("/api/v1/forums/books").await;
    assert_eq!(forum["forum"]["purpose"], "Books & <b>reading</b>.");
    let (_, _, group) = crate::federation::get_json_pub(&app, "/f/books").await;
    assert_eq!(
        group["summary"],
        "<p>Books &amp; &lt;b&gt;reading&lt;/b&gt;.</p>"
    );
    let log = app.browser().get("/f/books/modlog").await.body;
    assert!(log.contains("host helen rewrote the statement of purpose"));
}

/// A host of both forums (or an admin) moves a thread: it is listed in the new forum with its
/// replies, both forums count it where it is, both logs say it, its author is told; a host of
/// one forum only cannot. The old forum's followers are told it was removed there ("Moved to
/// Music") and the new forum's see it arrive.
#[tokio::test]
async fn hosts_move_threads_between_their_forums() {
    let app = TestApp::spawn_with(crate::common::loopback()).await;
    let peer = crate::peer::start_peer().await;
    let root = app.admin("root").await;
    let helen = app.member("helen").await;
    let alice = app.member("alice").await;
    root.put("/api/v1/forums/books/hosts/helen", Value::Null)
        .await;
    peer.follow_books(&app).await;
    let follow_music = crate::wire::follow(
        &peer.actor.id,
        &format!("{}/follows/2", peer.base),
        &app.url("/f/music"),
    );
    peer.send(follow_music, &app.url("/f/music/inbox"))
        .await
        .unwrap();
    let (thread, starter) = alice.thread("books", "Favourite albums", "Which?").await;
    alice.reply(thread, starter, "Blue Train.").await;
    let (_, books_before) = app.api().get("/api/v1/forums/books").await;

    let path = format!("/api/v1/threads/{thread}/move");
    let (status, _) = alice.post(&path, json!({"forum": "music"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a member does not move");
    let (status, body) = helen.post(&path, json!({"forum": "music"})).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a host of books only: {body}"
    );
    let (status, _) = root.post(&path, json!({"forum": "nowhere"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = root.post(&path, json!({"forum": "books"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    root.put("/api/v1/forums/music/hosts/helen", Value::Null)
        .await;
    let (status, body) = helen.post(&path, json!({"forum": "music"})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    let (_, view) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    assert_eq!(view["forum"]["slug"], "music");
    assert_eq!(view["posts"].as_array().unwrap().len(), 2);
    let (_, music) = app.api().get("/api/v1/forums/music").await;
    assert_eq!(crate::common::thread_titles(&music), ["Favourite albums"]);
    assert_eq!(music["forum"]["thread_count"], 1);
    assert_eq!(music["forum"]["post_count"], 2);
    let (_, books) = app.api().get("/api/v1/forums/books").await;
    assert!(crate::common::thread_titles(&books).is_empty());
    assert_eq!(
        books["forum"]["thread_count"].as_i64().unwrap(),
        books_before["forum"]["thread_count"].as_i64().unwrap() - 1
    );
    for slug in ["books", "music"] {
        let (_, log) = app
            .api()
            .get(&format!("/api/v1/forums/{slug}/modlog"))
            .await;
        assert_eq!(log["entries"][0]["action"], "move", "{slug}: {log}");
        assert_eq!(log["entries"][0]["reason"], "from Books to Music");
    }
    let (_, told) = alice.get("/api/v1/notifications").await;
    assert_eq!(
        told["notifications"][0]["detail"],
        "moved your thread: from Books to Music"
    );

    // The followers of each forum are told in Lemmy's shapes.
    let removed = peer
        .wait_for_matching("the removal from books", |a| {
            a["type"] == "Announce" && a["object"]["type"] == "Delete"
        })
        .await;
    assert_eq!(removed["actor"], app.url("/f/books"));
    assert_eq!(removed["object"]["summary"], "Moved to Music");
    let arrived = peer
        .wait_for_matching("the thread in music", |a| {
            a["type"] == "Announce"
                && a["actor"] == app.url("/f/music")
                && a["object"]["type"] == "Create"
        })
        .await;
    assert_eq!(arrived["object"]["object"]["name"], "Favourite albums");

    // From the page: a host finds the form, a member does not.
    let page = app.browser();
    page.login("helen", "correct horse").await;
    let form = page.get(&format!("/t/{thread}/move")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("<option value=\"books\""));
    let moved = page
        .submit(
            &format!("/t/{thread}/move"),
            &format!("/t/{thread}/move"),
            &[("forum", "books")],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
    let member = app.browser();
    member.login("alice", "correct horse").await;
    assert_eq!(
        member.get(&format!("/t/{thread}/move")).await.status,
        StatusCode::FORBIDDEN
    );
}
