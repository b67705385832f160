//! A member of one Stoa following a forum of another, both real servers on loopback talking
//! signed ActivityPub: the Follow is accepted, the forum's new threads and replies appear here,
//! replies, edits, likes and deletions travel both ways, and unfollowing stops it.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Api, Options, TestApp, loopback};

fn authority(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

/// Polls `probe` until it returns `Some`, for at most 15 s.
async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..150 {
        if let Some(found) = probe().await {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("gave up waiting: {what}");
}

async fn thread(api: &Api, id: i64) -> Value {
    let (status, body) = api.get(&format!("/api/v1/threads/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn posts(thread: &Value) -> &Vec<Value> {
    thread["posts"].as_array().unwrap()
}

/// The member follows the forum `books` of the server at `host`, which accepts.
async fn follow_books(member: &Api, host: &str) {
    member
        .post(
            "/api/v1/follows",
            json!({"forum": format!("@books@{host}")}),
        )
        .await;
    eventually("the forum's server accepts the Follow", || async {
        let (_, list) = member.get("/api/v1/follows").await;
        (list["forums"][0]["state"] == "accepted").then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_member_follows_a_forum_on_another_stoa_and_joins_its_threads() {
    let a = TestApp::spawn_with(loopback()).await;
    let b = TestApp::spawn_with(loopback()).await;
    let (a_host, b_host) = (authority(&a), authority(&b));
    let ada = a.member("ada").await;
    let bo = b.member("bo").await;
    let remote_slug = format!("books@{b_host}");

    // What is not a forum's address, or is one of this server's, is refused with a reason.
    let (status, body) = ada
        .post("/api/v1/follows", json!({"forum": "just words"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("books@forum.example")
    );
    let (status, body) = ada
        .post(
            "/api/v1/follows",
            json!({"forum": format!("books@{a_host}")}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = ada
        .post("/api/v1/follows", json!({"forum": format!("bo@{b_host}")}))
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_GATEWAY,
        "a person is not a forum: {body}"
    );

    // The Follow goes out pending; B accepts it.
    let (status, followed) = ada
        .post(
            "/api/v1/follows",
            json!({"forum": format!("@books@{b_host}")}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{followed}");
    assert_eq!(followed["slug"], remote_slug.as_str());
    assert_eq!(followed["id"], format!("{}/f/books", b.base).as_str());
    assert_eq!(followed["state"], "pending");
    eventually("B accepts the Follow", || async {
        let (_, list) = ada.get("/api/v1/follows").await;
        (list["forums"][0]["state"] == "accepted").then_some(())
    })
    .await;
    let forum_page = b.browser().get("/f/books").await;
    assert!(
        forum_page.body.contains("1 follower"),
        "{}",
        forum_page.body
    );

    // A new thread on B appears on A, in the remote forum and in Latest Discussions.
    let (thread_b, starter_b) = bo
        .thread("books", "Across servers", "Hello, **other server**.")
        .await;
    let thread_a = eventually("B's thread reaches A", || async {
        let (_, forum) = ada.get(&format!("/api/v1/forums/{remote_slug}")).await;
        forum["threads"]
            .as_array()
            .and_then(|threads| threads.iter().find(|t| t["title"] == "Across servers"))
            .and_then(|t| t["id"].as_i64())
    })
    .await;
    let seen = thread(&ada, thread_a).await;
    let starter_a = posts(&seen)[0]["id"].as_i64().unwrap();
    assert_eq!(
        posts(&seen)[0]["author"]["name"],
        format!("bo@{b_host}").as_str()
    );
    assert_eq!(posts(&seen)[0]["author"]["local"], false);
    assert!(
        posts(&seen)[0]["body_html"]
            .as_str()
            .unwrap()
            .contains("<strong>other server</strong>")
    );
    let latest = a.browser().get("/latest").await;
    assert!(latest.body.contains("Across servers"));
    let index = a.browser().get("/").await;
    assert!(index.body.contains("Forums elsewhere"), "{}", index.body);
    assert!(index.body.contains(&format!("/f/{remote_slug}")));

    // A's member replies on A: the reply lands on B under the starter post, and is not
    // duplicated on A when B re-broadcasts it.
    let reply_a = ada.reply(thread_a, starter_a, "Greetings from A.").await;
    let on_b = eventually("A's reply reaches B", || async {
        let seen = thread(&bo, thread_b).await;
        (posts(&seen).len() == 2).then_some(seen)
    })
    .await;
    let reply_on_b = &posts(&on_b)[1];
    assert_eq!(reply_on_b["parent_id"], starter_b);
    assert_eq!(
        reply_on_b["author"]["name"],
        format!("ada@{a_host}").as_str()
    );
    let reply_on_b = reply_on_b["id"].as_i64().unwrap();

    // B's member answers it on B; the answer appears on A under A's reply.
    let answer_b = bo.reply(thread_b, reply_on_b, "Welcome, ada.").await;
    let on_a = eventually("B's answer reaches A", || async {
        let seen = thread(&ada, thread_a).await;
        (posts(&seen).len() == 3).then_some(seen)
    })
    .await;
    assert_eq!(posts(&on_a)[1]["id"], reply_a, "A's own reply is kept once");
    assert_eq!(posts(&on_a)[2]["parent_id"], reply_a);
    assert_eq!(posts(&on_a)[2]["depth"], 2);

    // An edit on B shows on A; an edit on A shows on B.
    let (status, _) = bo
        .patch(
            &format!("/api/v1/posts/{starter_b}"),
            json!({"body": "Hello, edited on B."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    eventually("B's edit reaches A", || async {
        let seen = thread(&ada, thread_a).await;
        posts(&seen)[0]["body_html"]
            .as_str()
            .unwrap()
            .contains("edited on B")
            .then_some(())
    })
    .await;
    let (status, _) = ada
        .patch(
            &format!("/api/v1/posts/{reply_a}"),
            json!({"body": "Greetings, edited on A."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    eventually("A's edit reaches B", || async {
        let seen = thread(&bo, thread_b).await;
        posts(&seen)[1]["body_html"]
            .as_str()
            .unwrap()
            .contains("edited on A")
            .then_some(())
    })
    .await;

    // A like on A is counted on B.
    let (status, liked) = ada
        .post(&format!("/api/v1/posts/{starter_a}/like"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{liked}");
    assert_eq!(liked["like_count"], 1);
    eventually("A's like reaches B", || async {
        let seen = thread(&bo, thread_b).await;
        (posts(&seen)[0]["like_count"] == 1).then_some(())
    })
    .await;

    // A deletion on B shows on A.
    let (status, _) = bo.delete(&format!("/api/v1/posts/{answer_b}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    eventually("B's deletion reaches A", || async {
        let seen = thread(&ada, thread_a).await;
        (posts(&seen)[2]["deleted"] == true).then_some(())
    })
    .await;

    // Unfollowing: B forgets the follower, and its next thread stays on B.
    let (status, _) = ada.delete(&format!("/api/v1/follows/{remote_slug}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    eventually("B drops the follower", || async {
        let page = b.browser().get("/f/books").await;
        page.body.contains("0 followers").then_some(())
    })
    .await;
    let (status, _) = ada.delete(&format!("/api/v1/follows/{remote_slug}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_forum_page_offers_follow_buttons_for_a_remote_forum() {
    let a = TestApp::spawn_with(loopback()).await;
    let b = TestApp::spawn_with(loopback()).await;
    let b_host = authority(&b);
    let browser = a.browser();
    browser.register("cleo", "correct horse battery").await;

    // The follow page takes a forum's handle and leads to the forum's page here.
    let form = browser.get("/follow?forum=books%40nowhere").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body.contains("value=\"books@nowhere\""),
        "{}",
        form.body
    );
    let refused = browser
        .submit("/follow", "/follow", &[("forum", "not a handle")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("is not a forum"), "{}", refused.body);
    let followed = browser
        .submit(
            "/follow",
            "/follow",
            &[("forum", &format!("books@{b_host}"))],
        )
        .await;
    assert_eq!(followed.status, StatusCode::SEE_OTHER, "{}", followed.body);
    let forum_path = format!("/f/books@{b_host}");
    assert_eq!(followed.location.as_deref(), Some(forum_path.as_str()));
    let page = eventually("the page shows the accepted follow", || async {
        let page = browser.get(&forum_path).await;
        page.body.contains("You follow this forum").then_some(page)
    })
    .await;
    assert!(page.body.contains(&format!("@books@{b_host}")));

    // Unfollow from the forum page.
    let after = browser
        .post(
            &format!("{forum_path}/subscription"),
            &[("csrf", &page.csrf()), ("action", "unfollow")],
        )
        .await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    let page = browser.get(&forum_path).await;
    assert!(
        page.body.contains("to see its new threads here"),
        "{}",
        page.body
    );
}

/// Following a forum elsewhere brings its recent threads along, not only what comes after, and
/// each once.
#[tokio::test]
async fn following_a_forum_elsewhere_brings_its_recent_threads() {
    let a = TestApp::spawn_with(loopback()).await;
    let b = TestApp::spawn_with(loopback()).await;
    let remote_slug = format!("books@{}", authority(&b));
    let ada = a.member("ada").await;
    let bo = b.member("bo").await;
    let (older, older_starter) = bo
        .thread("books", "Before you came", "An old thread.")
        .await;
    bo.reply(older, older_starter, "An old reply.").await;
    bo.thread("books", "Also before", "Another one.").await;
    // B announced these to nobody: they were written before anyone followed.
    eventually("B has sent out its events", || async {
        let pending = stoa_db::queries::outbox::pending(&b.db, 1).await.unwrap();
        pending.is_empty().then_some(())
    })
    .await;

    let followed_at = chrono::Utc::now();
    let (status, followed) = ada
        .post("/api/v1/follows", json!({"forum": remote_slug}))
        .await;
    assert_eq!(status, StatusCode::OK, "{followed}");
    let threads = eventually("B's earlier threads reach A", || async {
        let (_, forum) = ada.get(&format!("/api/v1/forums/{remote_slug}")).await;
        let threads = forum["threads"].as_array()?.clone();
        (threads.len() >= 2).then_some(threads)
    })
    .await;
    let titles: Vec<&str> = threads
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Also before", "Before you came"], "newest first");
    // They keep the time they were written, so Latest Discussions does not show them as new.
    for thread in &threads {
        let created: chrono::DateTime<chrono::Utc> =
            thread["created_at"].as_str().unwrap().parse().unwrap();
        assert!(created < followed_at, "{thread:#}");
    }
    let starter = thread(&ada, threads[1]["id"].as_i64().unwrap()).await;
    assert_eq!(
        posts(&starter)[0]["author"]["name"],
        format!("bo@{}", authority(&b)).as_str()
    );
    assert!(
        posts(&starter)[0]["body_html"]
            .as_str()
            .unwrap()
            .contains("An old thread.")
    );
    let page = a.browser().get(&format!("/f/{remote_slug}")).await;
    assert!(page.body.contains("Before you came"), "{}", page.body);

    // Following it again (a second member) stores nothing twice.
    let cy = a.member("cy").await;
    let (status, _) = cy
        .post("/api/v1/follows", json!({"forum": remote_slug}))
        .await;
    assert_eq!(status, StatusCode::OK);
    eventually("cy's Follow is accepted", || async {
        let (_, list) = cy.get("/api/v1/follows").await;
        (list["forums"][0]["state"] == "accepted").then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, forum) = ada.get(&format!("/api/v1/forums/{remote_slug}")).await;
    assert_eq!(forum["threads"].as_array().unwrap().len(), 2, "{forum:#}");
}

/// A forum's host on B removes a post and locks a thread: a member on A following the forum
/// sees the removal's placeholder and the lock, and cannot reply there; the restore and the
/// unlock follow. A removal announced in the name of someone who is not the forum's moderator
/// is not believed.
#[tokio::test]
async fn a_forums_host_elsewhere_removes_and_locks_and_it_shows_here() {
    let a = TestApp::spawn_with(loopback()).await;
    let b = TestApp::spawn_with(loopback()).await;
    let b_host = authority(&b);
    let ada = a.member("ada").await;
    let root = b.admin("root").await;
    let helen = b.member("helen").await;
    let bo = b.member("bo").await;
    root.put("/api/v1/forums/books/hosts/helen", Value::Null)
        .await;
    let remote_slug = format!("books@{b_host}");
    follow_books(&ada, &b_host).await;
    let (thread_b, starter_b) = bo.thread("books", "Pills", "Buy now.").await;
    let spam_b = bo.reply(thread_b, starter_b, "Cheap pills here.").await;
    let thread_a = eventually("B's thread reaches A", || async {
        let (_, forum) = ada.get(&format!("/api/v1/forums/{remote_slug}")).await;
        forum["threads"]
            .as_array()
            .and_then(|threads| threads.iter().find(|t| t["title"] == "Pills"))
            .and_then(|t| t["id"].as_i64())
    })
    .await;
    let spam_a = eventually("the reply reaches A", || async {
        let seen = thread(&ada, thread_a).await;
        posts(&seen)
            .iter()
            .find(|p| {
                p["body_html"]
                    .as_str()
                    .unwrap_or("")
                    .contains("Cheap pills")
            })
            .and_then(|p| p["id"].as_i64())
    })
    .await;

    // A member here reports the reply: a `Flag` goes to the forum, which makes it an alert for
    // a jury there; here it is recorded as sent, once.
    let (status, report) = ada
        .post(
            &format!("/api/v1/posts/{spam_a}/alerts"),
            json!({"reason": "spam", "details": "Pills again."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    let (status, _) = ada
        .post(
            &format!("/api/v1/posts/{spam_a}/alerts"),
            json!({"reason": "spam"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "one report per member and post"
    );
    let (_, verdict) = ada.get(&format!("/api/v1/alerts/{}", report["id"])).await;
    assert_eq!(verdict["state"], "reported", "{verdict}");
    let alert_b = eventually("the Flag reaches B as an alert", || async {
        use stoa_db::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        stoa_db::alert::Entity::find()
            .filter(stoa_db::alert::Column::PostId.eq(spam_b))
            .one(&b.db)
            .await
            .unwrap()
    })
    .await;
    assert_eq!(alert_b.reason, "spam");
    assert!(
        alert_b
            .ap_id
            .as_deref()
            .is_some_and(|id| id.starts_with(&a.base)),
        "{alert_b:?}"
    );

    // The host removes the reply and locks the thread on B.
    let (status, _) = helen
        .post(
            &format!("/api/v1/posts/{spam_b}/removal"),
            json!({"reason": "Spam."}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = helen
        .post(
            &format!("/api/v1/threads/{thread_b}/lock"),
            json!({"reason": "Closed."}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let seen = eventually("the removal and the lock reach A", || async {
        let seen = thread(&ada, thread_a).await;
        let removed = posts(&seen)
            .iter()
            .any(|p| p["id"] == spam_a && p["removal"] == json!({"by": "host", "reason": "Spam."}));
        (removed && seen["locked"] == true).then_some(seen)
    })
    .await;
    assert!(!seen.to_string().contains("Cheap pills"), "{seen}");
    let (status, body) = ada
        .post(
            &format!("/api/v1/threads/{thread_a}/replies"),
            json!({"parent_id": spam_a, "body": "Let me in."}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (_, log) = a.api().get("/api/v1/modlog").await;
    assert!(
        log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "remove" && e["by"] == format!("helen@{b_host}").as_str()),
        "{log}"
    );

    // The restore and the unlock follow.
    helen
        .delete(&format!("/api/v1/posts/{spam_b}/removal"))
        .await;
    helen
        .delete(&format!("/api/v1/threads/{thread_b}/lock"))
        .await;
    eventually("the restore and the unlock reach A", || async {
        let seen = thread(&ada, thread_a).await;
        let restored = posts(&seen)
            .iter()
            .any(|p| p["id"] == spam_a && p["removal"].is_null());
        (restored && seen["locked"] == false).then_some(())
    })
    .await;

    // The host bans ada: her replies to that forum are refused here, and she is told why.
    let a_host = authority(&a);
    let ban = format!("/api/v1/forums/books/bans/ada@{a_host}");
    let (status, body) = helen.put(&ban, json!({"reason": "Trolling."})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let reply = || async {
        ada.post(
            &format!("/api/v1/threads/{thread_a}/replies"),
            json!({"parent_id": spam_a, "body": "Hello again."}),
        )
        .await
    };
    eventually("the ban reaches A, and she is told", || async {
        let (_, told) = ada.get("/api/v1/notifications").await;
        told["notifications"]
            .as_array()?
            .iter()
            .any(|n| n["detail"] == "banned you from the forum: Trolling.")
            .then_some(())
    })
    .await;
    let (status, body) = reply().await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["detail"], "you are banned from this forum");
    helen.delete(&ban).await;
    eventually("the lifted ban reaches A", || async {
        let (_, told) = ada.get("/api/v1/notifications").await;
        told["notifications"]
            .as_array()?
            .iter()
            .any(|n| n["detail"] == "lifted your ban from the forum")
            .then_some(())
    })
    .await;
    let (status, body) = reply().await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // The host rewrites the statement of purpose: A reads the forum again and shows it.
    let (status, body) = helen
        .patch(
            "/api/v1/forums/books",
            json!({"purpose": "Books, and nothing else."}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    eventually("the new purpose reaches A", || async {
        let (_, forum) = ada.get(&format!("/api/v1/forums/{remote_slug}")).await;
        (forum["forum"]["purpose"] == "Books, and nothing else.").then_some(())
    })
    .await;
}

/// Moderation of a forum elsewhere is believed only from the moderators it lists: a `Lock` its
/// server announces in the name of a member it does not list (Lemmy's own fixture) changes
/// nothing here; once its `moderators` collection lists them, the same lock holds.
#[tokio::test]
async fn moderation_from_someone_the_forum_does_not_list_is_not_believed() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = crate::peer::start_peer().await;
    let ada = app.member("ada").await;
    let (status, _) = ada
        .post("/api/v1/follows", json!({"forum": peer.group.id}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let page_id = format!("{}/post/1", peer.base);
    let page = crate::wire::page(&page_id, &peer.actor.id, "Club news")
        .content("<p>Hello.</p>")
        .to(&[crate::wire::PUBLIC, peer.group.id.as_str()])
        .audience(peer.group.id.as_str());
    let create = crate::wire::create(&format!("{page_id}/create"), &peer.actor.id, page);
    peer.send_as(
        &peer.group,
        crate::wire::forum_announce(peer.group.id.as_str(), "1", create),
        &app.url("/inbox"),
    )
    .await
    .unwrap();
    let slug = format!("club@{}", peer.base.trim_start_matches("http://"));
    let (_, forum) = ada.get(&format!("/api/v1/forums/{slug}")).await;
    let club_thread = forum["threads"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{forum}"));

    let mut lock = crate::wire::lemmy(
        "activities/community/lock_page.json",
        &peer.actor.id,
        &peer.base,
        peer.group.id.as_str(),
    );
    lock["object"] = json!(page_id);
    lock["actor"] = json!(peer.actor.id);
    // Refused (403), which the sending library does not report: the outcome is what is checked.
    let _ = peer
        .send_as(
            &peer.group,
            crate::wire::forum_announce(peer.group.id.as_str(), "2", lock.clone()),
            &app.url("/inbox"),
        )
        .await;
    let seen = thread(&ada, club_thread).await;
    assert_eq!(seen["locked"], false, "{seen}");

    peer.objects.lock().unwrap().insert(
        "moderators".into(),
        json!({
            "type": "OrderedCollection",
            "id": format!("{}/objects/moderators", peer.base),
            "orderedItems": [peer.actor.id],
        }),
    );
    lock["id"] = json!(format!("{}/activities/lock/2", peer.base));
    peer.send_as(
        &peer.group,
        crate::wire::forum_announce(peer.group.id.as_str(), "3", lock),
        &app.url("/inbox"),
    )
    .await
    .unwrap();
    let seen = thread(&ada, club_thread).await;
    assert_eq!(seen["locked"], true, "{seen}");
}

/// A jury's verdict on a forum's server travels as the forum's own removal (Stoa's extension):
/// a member on A following the forum sees the post hidden by a jury of members, with the tally.
#[tokio::test]
async fn a_jurys_verdict_elsewhere_shows_here_as_a_jurys() {
    let a = TestApp::spawn_with(loopback()).await;
    let b = TestApp::spawn_with(loopback()).await;
    let b_host = authority(&b);
    let ada = a.member("ada").await;
    let bo = b.member("bo").await;
    let alerter = b.member("cy").await;
    follow_books(&ada, &b_host).await;
    let (thread_b, starter_b) = alerter.thread("books", "Reading", "Lists?").await;
    let spam_b = bo.reply(thread_b, starter_b, "Cheap pills here.").await;
    let mut jurors = Vec::new();
    for name in ["jo", "kim", "lee"] {
        let member = b.member(name).await;
        member.reply(thread_b, starter_b, "I read.").await;
        jurors.push(member);
    }
    let remote_slug = format!("books@{b_host}");
    let thread_a = eventually("B's thread reaches A", || async {
        let (_, forum) = ada.get(&format!("/api/v1/forums/{remote_slug}")).await;
        forum["threads"][0]["id"].as_i64()
    })
    .await;
    let spam_a = eventually("the reply reaches A", || async {
        let seen = thread(&ada, thread_a).await;
        posts(&seen)
            .iter()
            .find(|p| {
                p["body_html"]
                    .as_str()
                    .unwrap_or("")
                    .contains("Cheap pills")
            })
            .and_then(|p| p["id"].as_i64())
    })
    .await;

    let (status, alert) = alerter
        .post(
            &format!("/api/v1/posts/{spam_b}/alerts"),
            json!({"reason": "spam"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{alert}");
    let mut hidden = false;
    for juror in &jurors {
        let (status, body) = juror
            .post(
                &format!("/api/v1/juries/{}/votes", alert["id"]),
                json!({"vote": "hide"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if body["verdict"] == "hidden" {
            hidden = true;
            break;
        }
    }
    assert!(hidden, "the jury hid the post on B");
    eventually("the verdict reaches A", || async {
        let seen = thread(&ada, thread_a).await;
        posts(&seen)
            .iter()
            .any(|p| {
                p["id"] == spam_a
                    && p["removal"]
                        == json!({"by": "jury", "reason": "2 of 3 voted to hide it (spam)"})
            })
            .then_some(())
    })
    .await;
    let page = a.browser().get(&format!("/t/{thread_a}")).await;
    assert!(
        page.body
            .contains("Hidden by a jury of members: 2 of 3 voted to hide it (spam)"),
        "{}",
        page.body
    );
}

/// A reply the forum's server would not take (its thread was locked there and the lock never
/// reached here): the author reads why on the post and is told; nobody else sees the note.
#[tokio::test]
async fn a_reply_the_forums_server_refuses_says_so_to_its_author() {
    let a = TestApp::spawn_with(loopback()).await;
    let b = TestApp::spawn_with(loopback()).await;
    let ada = a.member("ada").await;
    let other = a.member("otto").await;
    let bo = b.member("bo").await;
    let remote_slug = format!("books@{}", authority(&b));
    follow_books(&ada, &authority(&b)).await;
    let (thread_b, _) = bo.thread("books", "Soon locked", "Say it now.").await;
    let thread_a = eventually("B's thread reaches A", || async {
        let (_, forum) = ada.get(&format!("/api/v1/forums/{remote_slug}")).await;
        forum["threads"]
            .as_array()
            .and_then(|threads| threads.iter().find(|t| t["title"] == "Soon locked"))
            .and_then(|t| t["id"].as_i64())
    })
    .await;
    // Locked on B behind A's back: no event, so A is not told.
    stoa_db::queries::moderation::set_locked(&b.db, thread_b, true)
        .await
        .unwrap();

    let starter_a = posts(&thread(&ada, thread_a).await)[0]["id"]
        .as_i64()
        .unwrap();
    let reply = ada.reply(thread_a, starter_a, "One more thing.").await;
    let why = eventually("B refuses the reply", || async {
        let seen = thread(&ada, thread_a).await;
        posts(&seen)
            .iter()
            .find(|p| p["id"] == reply)
            .and_then(|p| p["refused_elsewhere"].as_str().map(str::to_owned))
    })
    .await;
    assert!(
        why.starts_with("refused: 4") && why.contains("locked"),
        "{why}"
    );
    let (_, on_b) = b.api().get(&format!("/api/v1/threads/{thread_b}")).await;
    assert_eq!(on_b["reply_count"], 0, "{on_b:#}");

    // Only the author reads it, on the page too; and they are told.
    let others = thread(&other, thread_a).await;
    let seen_by_other = posts(&others).iter().find(|p| p["id"] == reply).unwrap();
    assert!(seen_by_other["refused_elsewhere"].is_null());
    let author_page = a.browser();
    author_page.login("ada", "correct horse").await;
    let page = author_page.get(&format!("/t/{thread_a}")).await;
    assert!(
        page.body.contains("would not take this post"),
        "{}",
        page.body
    );
    let guest_page = a.browser().get(&format!("/t/{thread_a}")).await;
    assert!(!guest_page.body.contains("would not take this post"));
    let (_, told) = ada.get("/api/v1/notifications").await;
    let refused = told["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "refused")
        .unwrap_or_else(|| panic!("{told:#}"))
        .clone();
    assert_eq!(refused["post_id"], reply);
}

/// Following a forum elsewhere brings its whole history, page after page of its outbox, each
/// thread with its replies (read through the thread's context); its page says how far that
/// came. A reply that never arrived is read again when a member opens its thread after a while.
#[tokio::test]
async fn following_a_forum_elsewhere_brings_its_whole_history_with_replies() {
    let a = TestApp::spawn_with(loopback()).await;
    let b = TestApp::spawn_with(loopback()).await;
    let remote_slug = format!("books@{}", authority(&b));
    let ada = a.member("ada").await;
    let bo = b.member("bo").await;
    let (first, first_starter) = bo.thread("books", "Thread 0", "The first.").await;
    let reply = bo.reply(first, first_starter, "A reply.").await;
    bo.reply(first, reply, "A reply to the reply.").await;
    for n in 1..23 {
        bo.thread("books", &format!("Thread {n}"), "More.").await;
    }

    follow_books(&ada, &authority(&b)).await;
    let page = eventually("the whole history is brought in", || async {
        let page = a.browser().get(&format!("/f/{remote_slug}")).await;
        page.body
            .contains("Its history was brought in from its server: 23 threads and 2 replies.")
            .then_some(page)
    })
    .await;
    assert!(page.body.contains("Thread 22"));
    let on_a = eventually("the first thread is here", || async {
        let (_, forum) = ada.get(&format!("/api/v1/forums/{remote_slug}")).await;
        let (_, older) = ada
            .get(&format!("/api/v1/forums/{remote_slug}?page=2"))
            .await;
        forum["threads"]
            .as_array()?
            .iter()
            .chain(older["threads"].as_array()?)
            .find(|t| t["title"] == "Thread 0")
            .and_then(|t| t["id"].as_i64())
    })
    .await;
    let seen = thread(&ada, on_a).await;
    let depths: Vec<i64> = posts(&seen)
        .iter()
        .map(|p| p["depth"].as_i64().unwrap())
        .collect();
    assert_eq!(depths, [0, 1, 2], "{seen:#}");

    // A reply that never arrived here (gone from A's copy) comes back once the thread is
    // opened: it had not been read again since it was brought in.
    use stoa_db::sea_orm::EntityTrait;
    let lost = posts(&seen)[2]["id"].as_i64().unwrap();
    stoa_db::post::Entity::delete_by_id(lost)
        .exec(&a.db)
        .await
        .unwrap();
    stoa_db::queries::threads::bump_revision(&a.db, on_a)
        .await
        .unwrap();
    assert_eq!(posts(&thread(&ada, on_a).await).len(), 2);
    // A guest's visit reads nothing from the other server; a member's does.
    a.browser().get(&format!("/t/{on_a}")).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(posts(&thread(&ada, on_a).await).len(), 2);
    let member = a.browser();
    member.login("ada", "correct horse").await;
    member.get(&format!("/t/{on_a}")).await;
    eventually("the missing reply is read again", || async {
        let seen = thread(&ada, on_a).await;
        (posts(&seen).len() == 3).then_some(())
    })
    .await;
}

/// A forum elsewhere looks like a forum: listed by the API and the index with its server under
/// the group its server files it in (read from the forum's `forumGroup`), its server named in
/// the breadcrumbs, and a thread started in it from its page reaches its server.
#[tokio::test]
async fn a_forum_elsewhere_is_listed_and_takes_new_threads_from_its_page() {
    let a = TestApp::spawn_with(loopback()).await;
    let b = TestApp::spawn_with(loopback()).await;
    let (a_host, b_host) = (authority(&a), authority(&b));
    let remote_slug = format!("books@{b_host}");
    let ada = a.member("ada").await;
    follow_books(&ada, &b_host).await;

    let (_, list) = ada.get("/api/v1/forums").await;
    let groups = list["groups"].as_array().unwrap();
    assert!(groups.iter().any(|g| g["server"] == a_host.as_str()));
    let elsewhere = groups
        .iter()
        .find(|g| g["server"] == b_host.as_str())
        .unwrap_or_else(|| panic!("{list:#}"));
    assert_eq!(
        elsewhere["name"], "Culture Forums",
        "B's group of the forum"
    );
    assert_eq!(elsewhere["forums"][0]["slug"], remote_slug.as_str());
    assert_eq!(elsewhere["forums"][0]["server"], b_host.as_str());
    let index = a.browser().get("/").await;
    assert!(
        index.body.contains(&format!("Culture Forums · {b_host}")),
        "{}",
        index.body
    );

    let page = a.browser();
    page.login("ada", "correct horse").await;
    let forum_page = page.get(&format!("/f/{remote_slug}")).await;
    assert!(
        forum_page
            .body
            .contains(&format!("Forums elsewhere: {b_host}")),
        "{}",
        forum_page.body
    );
    let done = page
        .submit(
            &format!("/f/{remote_slug}/new"),
            &format!("/f/{remote_slug}/new"),
            &[("title", "Written elsewhere"), ("body", "Hello from A.")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let on_b = eventually("the thread reaches B's forum", || async {
        let (_, forum) = b.api().get("/api/v1/forums/books").await;
        forum["threads"]
            .as_array()?
            .iter()
            .find(|t| t["title"] == "Written elsewhere")
            .and_then(|t| t["id"].as_i64())
    })
    .await;
    let seen = thread(&b.api(), on_b).await;
    assert_eq!(
        posts(&seen)[0]["author"]["name"],
        format!("ada@{a_host}").as_str()
    );
    let thread_page = page.get(done.location.as_deref().unwrap()).await;
    assert!(
        thread_page
            .body
            .contains(&format!("Forums elsewhere: {b_host}")),
        "{}",
        thread_page.body
    );
}

/// What a forum's server lists is read with care: a history whose pages list nothing ends (a
/// server cannot keep the reader fetching empty pages for ever), and a post that a thread's
/// `replies` collection lists but that answers nothing of the thread is not stored — a thread's
/// collections never start threads.
#[tokio::test]
async fn a_history_reads_what_belongs_and_ends_on_empty_pages() {
    let app = TestApp::spawn_with(Options {
        delivery_worker: false,
        ..loopback()
    })
    .await;
    let peer = crate::peer::start_peer().await;
    let ada = app.member("ada").await;
    let (status, _) = ada
        .post("/api/v1/follows", json!({"forum": peer.group.id}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let object = |name: &str| format!("{}/objects/{name}", peer.base);
    let serve = |name: &str, value: Value| {
        peer.objects.lock().unwrap().insert(name.to_owned(), value);
    };
    let page = crate::wire::page(&object("p1"), &peer.actor.id, "The one thread")
        .content("<p>Hello.</p>")
        .to(&[crate::wire::PUBLIC, peer.group.id.as_str()])
        .audience(peer.group.id.as_str());
    let mut page = Value::from(page);
    page["replies"] = json!(object("replies"));
    serve("p1", page);
    let answer = crate::wire::note(&object("answer"), &peer.actor.id)
        .replying_to(&object("p1"))
        .content("<p>An answer.</p>");
    serve("answer", answer.into());
    let stray = crate::wire::note(&object("stray"), &peer.actor.id).content("<p>Buy now.</p>");
    serve("stray", stray.into());
    serve(
        "replies",
        json!({"type": "OrderedCollection", "id": object("replies"),
               "orderedItems": [object("stray"), object("answer")]}),
    );
    serve(
        "outbox",
        json!({"type": "OrderedCollection", "id": object("outbox"), "first": object("page1")}),
    );
    serve(
        "page1",
        json!({"type": "OrderedCollectionPage", "id": object("page1"),
               "orderedItems": [object("p1")], "next": object("page2")}),
    );
    // From here on, pages that list nothing, each naming another.
    for n in 2..50 {
        serve(
            &format!("page{n}"),
            json!({"type": "OrderedCollectionPage", "id": object(&format!("page{n}")),
                   "orderedItems": [], "next": object(&format!("page{}", n + 1))}),
        );
    }

    let data = app.state.federation.to_request_data();
    let forum = stoa_db::queries::forums::by_ap_id(&app.db, peer.group.id.as_str())
        .await
        .unwrap()
        .unwrap();
    stoa_federation::backfill::start_forum(&data, forum.id)
        .await
        .unwrap();
    let mut rounds = 0;
    while stoa_federation::backfill::work_one(&data).await.unwrap() {
        rounds += 1;
        assert!(rounds < 5, "the history did not end");
    }
    let progress = stoa_federation::backfill::progress(&app.db, forum.id)
        .await
        .unwrap()
        .unwrap();
    assert!(!progress.running, "{progress:?}");
    assert_eq!((progress.threads, progress.replies), (1, 1), "{progress:?}");
    let slug = format!("club@{}", peer.base.trim_start_matches("http://"));
    let (_, listed) = ada.get(&format!("/api/v1/forums/{slug}")).await;
    let titles: Vec<&str> = listed["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["The one thread"], "{listed:#}");
    let id = listed["threads"][0]["id"].as_i64().unwrap();
    let seen = thread(&ada, id).await;
    let bodies: Vec<&str> = posts(&seen)
        .iter()
        .map(|p| p["body_html"].as_str().unwrap())
        .collect();
    assert_eq!(bodies.len(), 2, "{seen:#}");
    assert!(bodies[1].contains("An answer."));
    assert!(!bodies.iter().any(|b| b.contains("Buy now.")));
}
