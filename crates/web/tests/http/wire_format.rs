//! Every document and activity Stoa sends, pinned as snapshots (`snapshots/`), so that a change
//! to the wire is a diff someone reviews. Ports, times, keys and random ids are replaced by
//! placeholders first; what stays is the shape and every value a peer reads.

use serde_json::Value;

use crate::common::{TestApp, loopback};
use crate::peer::{Peer, start_peer};

/// What varies from run to run, replaced by fixed placeholders.
struct Normaliser {
    replacements: Vec<(String, &'static str)>,
}

impl Normaliser {
    fn new(app: &TestApp, peer: &Peer) -> Normaliser {
        let authority = |base: &str| base.trim_start_matches("http://").to_owned();
        Normaliser {
            // Longest first, so that a base URL is replaced before its authority.
            replacements: vec![
                (app.base.clone(), "https://stoa.example"),
                (peer.base.clone(), "https://peer.example"),
                (authority(&app.base), "stoa.example"),
                (authority(&peer.base), "peer.example"),
            ],
        }
    }

    fn apply(&self, value: &Value) -> Value {
        match value {
            Value::String(text) => Value::String(self.text(text)),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.apply(v)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(key, v)| (key.clone(), self.apply(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn text(&self, text: &str) -> String {
        if text.starts_with("-----BEGIN") {
            return "[PEM]".into();
        }
        if chrono::DateTime::parse_from_rfc3339(text).is_ok() {
            return "[time]".into();
        }
        let mut text = text.to_owned();
        for (from, to) in &self.replacements {
            text = text.replace(from.as_str(), to);
        }
        // Random parts of ids: a path segment of 16 or more hexadecimal digits.
        text.split('/')
            .map(|segment| {
                let (hex, rest) = segment.split_at(
                    segment
                        .find(|c: char| !c.is_ascii_hexdigit())
                        .unwrap_or(segment.len()),
                );
                if hex.len() >= 16 {
                    format!("[random]{rest}")
                } else {
                    segment.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// The documents anyone may fetch: actors, a thread and a reply, a deleted post, a thread's
/// context, a forum's collections, WebFinger and NodeInfo.
#[tokio::test]
async fn the_documents_stoa_serves() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer().await;
    let normal = Normaliser::new(&app, &peer);
    let alice = app.member("alice").await;
    let (thread, starter) = alice
        .thread("books", "Summer reading", "What is on your **list**?")
        .await;
    let reply = alice.reply(thread, starter, "Middlemarch.").await;
    let gone = alice.reply(thread, reply, "Never mind.").await;
    alice.delete(&format!("/api/v1/posts/{gone}")).await;
    peer.follow_books(&app).await;
    let authority = app.base.trim_start_matches("http://").to_owned();

    let documents = [
        ("person", "/u/alice".to_owned()),
        ("group", "/f/books".to_owned()),
        ("forum_group", forum_group_path(&app).await),
        ("application", "/actor".to_owned()),
        ("page", format!("/t/{thread}")),
        ("note", format!("/p/{reply}")),
        ("tombstone", format!("/p/{gone}")),
        ("context", format!("/t/{thread}/context")),
        ("context_page", format!("/t/{thread}/context?page=1")),
        ("replies", format!("/t/{thread}/replies")),
        ("replies_page", format!("/t/{thread}/replies?page=1")),
        ("application_outbox", "/actor/outbox".to_owned()),
        ("followers", "/f/books/followers".to_owned()),
        ("moderators", "/f/books/moderators".to_owned()),
        ("outbox", "/f/books/outbox".to_owned()),
        ("outbox_page", "/f/books/outbox?page=1".to_owned()),
        ("nodeinfo", "/nodeinfo/2.1".to_owned()),
    ];
    for (name, path) in documents {
        let (status, _, document) = crate::federation::get_json_pub(&app, &path).await;
        // A deleted post answers 410 Gone with its Tombstone.
        let expected = if name == "tombstone" { 410 } else { 200 };
        assert_eq!(status.as_u16(), expected, "{path}");
        insta::assert_json_snapshot!(name, normal.apply(&document));
    }
    for (name, resource) in [
        ("webfinger_member", format!("acct:alice@{authority}")),
        ("webfinger_forum", format!("acct:books@{authority}")),
    ] {
        let (status, finger) = app
            .api()
            .get(&format!("/.well-known/webfinger?resource={resource}"))
            .await;
        assert!(status.is_success(), "{resource}: {status}");
        insta::assert_json_snapshot!(name, normal.apply(&finger));
    }
}

/// The first activity queued for delivery that `matches`, exactly as Stoa signs and sends it.
async fn sent(app: &TestApp, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let rows = stoa_db::queries::deliveries::all(&app.db).await.unwrap();
        if let Some(found) = rows
            .iter()
            .map(|row| serde_json::from_str::<Value>(&row.activity).unwrap())
            .find(|activity| matches(activity))
        {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no {what} was queued for delivery");
}

/// Every activity Stoa sends: a forum's Accept and each of its Announces (of posts and of its
/// moderation), a member's Follow of a forum elsewhere and its Undo, and what members do in
/// that forum (their Create, Update, Delete, Like and Undo) — read from the delivery queue,
/// byte for byte what goes out.
#[tokio::test]
async fn the_activities_stoa_sends() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer().await;
    let normal = Normaliser::new(&app, &peer);
    let snapshot = |name: &str, activity: &Value| {
        insta::assert_json_snapshot!(name, normal.apply(activity));
    };
    peer.follow_books(&app).await;
    snapshot(
        "accept",
        &sent(&app, "Accept", |a| a["type"] == "Accept").await,
    );

    let alice = app.member("alice").await;
    let bob = app.member("bob").await;
    let (thread, starter) = alice
        .thread("books", "Summer reading", "What is on your **list**?")
        .await;
    let page = app.url(&format!("/t/{thread}"));
    let announced = |inner: &'static str| {
        move |a: &Value| a["type"] == "Announce" && a["object"]["type"] == inner
    };
    snapshot(
        "announce_create_page",
        &sent(&app, "Announce{Create{Page}}", |a| {
            announced("Create")(a) && a["object"]["object"]["type"] == "Page"
        })
        .await,
    );
    snapshot(
        "announce_page",
        &sent(&app, "Announce{Page}", |a| {
            a["type"] == "Announce" && a["object"] == page.as_str()
        })
        .await,
    );
    let reply = alice.reply(thread, starter, "Middlemarch.").await;
    snapshot(
        "announce_create_note",
        &sent(&app, "Announce{Create{Note}}", |a| {
            announced("Create")(a) && a["object"]["object"]["type"] == "Note"
        })
        .await,
    );
    alice
        .patch(
            &format!("/api/v1/posts/{reply}"),
            serde_json::json!({"body": "Middlemarch, again."}),
        )
        .await;
    snapshot(
        "announce_update_note",
        &sent(&app, "Announce{Update}", announced("Update")).await,
    );
    bob.post(&format!("/api/v1/posts/{reply}/like"), Value::Null)
        .await;
    snapshot(
        "announce_like",
        &sent(&app, "Announce{Like}", announced("Like")).await,
    );
    bob.delete(&format!("/api/v1/posts/{reply}/like")).await;
    snapshot(
        "announce_undo_like",
        &sent(&app, "Announce{Undo{Like}}", announced("Undo")).await,
    );
    alice.delete(&format!("/api/v1/posts/{reply}")).await;
    snapshot(
        "announce_delete",
        &sent(&app, "Announce{Delete}", announced("Delete")).await,
    );

    // An administrator removes someone else's post: the removal is the administrator's.
    let admin = app.admin("root").await;
    let other = alice.reply(thread, starter, "Off topic.").await;
    admin.delete(&format!("/api/v1/posts/{other}")).await;
    let removed = app.url(&format!("/p/{other}"));
    snapshot(
        "announce_delete_by_moderator",
        &sent(&app, "Announce{Delete} by a moderator", |a| {
            a["object"]["type"] == "Delete" && a["object"]["object"] == removed.as_str()
        })
        .await,
    );

    // A host appointed, a post removed and restored, a thread locked and unlocked, the host
    // dismissed: each the moderator's act inside the forum's Announce, as Lemmy reads them.
    let helen = app.member("helen").await;
    let (status, _) = admin
        .put("/api/v1/forums/books/hosts/helen", Value::Null)
        .await;
    assert_eq!(status.as_u16(), 204);
    snapshot(
        "announce_add_host",
        &sent(&app, "Announce{Add}", announced("Add")).await,
    );
    let spam = alice.reply(thread, starter, "Buy my pills.").await;
    helen
        .post(
            &format!("/api/v1/posts/{spam}/removal"),
            serde_json::json!({"reason": "Spam."}),
        )
        .await;
    let spam_url = app.url(&format!("/p/{spam}"));
    snapshot(
        "announce_removal",
        &sent(&app, "Announce{Delete} of a removal", |a| {
            a["object"]["type"] == "Delete" && a["object"]["object"] == spam_url.as_str()
        })
        .await,
    );
    helen.delete(&format!("/api/v1/posts/{spam}/removal")).await;
    snapshot(
        "announce_undo_removal",
        &sent(&app, "Announce{Undo{Delete}}", |a| {
            announced("Undo")(a) && a["object"]["object"]["type"] == "Delete"
        })
        .await,
    );
    helen
        .post(
            &format!("/api/v1/threads/{thread}/lock"),
            serde_json::json!({"reason": "Cooling off."}),
        )
        .await;
    snapshot(
        "announce_lock",
        &sent(&app, "Announce{Lock}", announced("Lock")).await,
    );
    helen
        .delete(&format!("/api/v1/threads/{thread}/lock"))
        .await;
    snapshot(
        "announce_undo_lock",
        &sent(&app, "Announce{Undo{Lock}}", |a| {
            announced("Undo")(a) && a["object"]["object"]["type"] == "Lock"
        })
        .await,
    );
    admin.delete("/api/v1/forums/books/hosts/helen").await;
    snapshot(
        "announce_remove_host",
        &sent(&app, "Announce{Remove}", announced("Remove")).await,
    );

    // A member here follows the peer's forum, and stops.
    let ada = app.member("ada").await;
    ada.post(
        "/api/v1/follows",
        serde_json::json!({"forum": peer.group.id}),
    )
    .await;
    snapshot(
        "follow",
        &sent(&app, "Follow", |a| a["type"] == "Follow").await,
    );
    let (_, list) = ada.get("/api/v1/follows").await;
    let slug = list["forums"][0]["slug"].as_str().unwrap().to_owned();

    // What members here do in that forum goes to it, as their own activities.
    let ada_url = app.url("/u/ada");
    let by_ada = |kind: &'static str| {
        let ada_url = ada_url.clone();
        move |a: &Value| a["type"] == kind && a["actor"] == ada_url.as_str()
    };
    let (there, there_starter) = ada.thread(&slug, "Elsewhere", "Hello, club.").await;
    snapshot(
        "create_page_elsewhere",
        &sent(&app, "Create{Page} to a forum elsewhere", by_ada("Create")).await,
    );
    let answer = ada.reply(there, there_starter, "And again.").await;
    snapshot(
        "create_note_elsewhere",
        &sent(&app, "Create{Note} to a forum elsewhere", |a| {
            by_ada("Create")(a) && a["object"]["type"] == "Note"
        })
        .await,
    );
    ada.patch(
        &format!("/api/v1/posts/{answer}"),
        serde_json::json!({"body": "And again, edited."}),
    )
    .await;
    snapshot(
        "update_note_elsewhere",
        &sent(&app, "Update{Note} to a forum elsewhere", by_ada("Update")).await,
    );
    bob.post(
        &format!("/api/v1/posts/{answer}/alerts"),
        serde_json::json!({"reason": "off_topic", "details": "Not about the club."}),
    )
    .await;
    snapshot(
        "flag_elsewhere",
        &sent(&app, "Flag to a forum elsewhere", |a| a["type"] == "Flag").await,
    );
    bob.post(&format!("/api/v1/posts/{answer}/like"), Value::Null)
        .await;
    let bob_url = app.url("/u/bob");
    snapshot(
        "like_elsewhere",
        &sent(&app, "Like to a forum elsewhere", |a| {
            a["type"] == "Like" && a["actor"] == bob_url.as_str()
        })
        .await,
    );
    bob.delete(&format!("/api/v1/posts/{answer}/like")).await;
    snapshot(
        "undo_like_elsewhere",
        &sent(&app, "Undo{Like} to a forum elsewhere", |a| {
            a["type"] == "Undo" && a["actor"] == bob_url.as_str()
        })
        .await,
    );
    ada.delete(&format!("/api/v1/posts/{answer}")).await;
    snapshot(
        "delete_elsewhere",
        &sent(&app, "Delete to a forum elsewhere", by_ada("Delete")).await,
    );

    ada.delete(&format!("/api/v1/follows/{slug}")).await;
    snapshot(
        "undo_follow",
        &sent(&app, "Undo{Follow}", |a| {
            a["type"] == "Undo" && a["object"]["type"] == "Follow"
        })
        .await,
    );

    // A post a jury hid: the forum's own Delete, the verdict its summary. The members who may
    // sit are jo, kim and ada (who wrote elsewhere), so all three are drawn, and two decide.
    let mut jurors = Vec::new();
    for name in ["jo", "kim"] {
        let juror = app.member(name).await;
        juror.reply(thread, starter, "Reading along.").await;
        jurors.push(juror);
    }
    let pills = alice.reply(thread, starter, "Buy more pills.").await;
    let (status, alert) = bob
        .post(
            &format!("/api/v1/posts/{pills}/alerts"),
            serde_json::json!({"reason": "spam"}),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{alert}");
    for juror in &jurors {
        juror
            .post(
                &format!("/api/v1/juries/{}/votes", alert["id"]),
                serde_json::json!({"vote": "hide"}),
            )
            .await;
    }
    let pills_url = app.url(&format!("/p/{pills}"));
    snapshot(
        "announce_jury_removal",
        &sent(&app, "Announce{Delete} of a jury's verdict", |a| {
            a["object"]["type"] == "Delete" && a["object"]["object"] == pills_url.as_str()
        })
        .await,
    );

    // A member banned from the forum and the ban lifted: the moderator's Block, target the
    // forum, and its Undo.
    let (status, body) = admin
        .put(
            "/api/v1/forums/books/bans/bob",
            serde_json::json!({"reason": "Spam.", "until": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(status.as_u16(), 204, "{body}");
    snapshot(
        "announce_block",
        &sent(&app, "Announce{Block}", announced("Block")).await,
    );
    admin.delete("/api/v1/forums/books/bans/bob").await;
    snapshot(
        "announce_undo_block",
        &sent(&app, "Announce{Undo{Block}}", |a| {
            announced("Undo")(a) && a["object"]["object"]["type"] == "Block"
        })
        .await,
    );

    // A new statement of purpose: the moderator's Update of the forum's Group.
    let (status, body) = admin
        .patch(
            "/api/v1/forums/books",
            serde_json::json!({"purpose": "Books, read and discussed."}),
        )
        .await;
    assert_eq!(status.as_u16(), 204, "{body}");
    snapshot(
        "announce_update_group",
        &sent(&app, "Announce{Update{Group}}", |a| {
            announced("Update")(a) && a["object"]["object"]["type"] == "Group"
        })
        .await,
    );
}

/// The path of the forum group `books` is filed under.
async fn forum_group_path(app: &crate::common::TestApp) -> String {
    let (_, _, forum) = crate::federation::get_json_pub(app, "/f/books").await;
    forum["forumGroup"]
        .as_str()
        .unwrap()
        .trim_start_matches(&app.base)
        .to_owned()
}
