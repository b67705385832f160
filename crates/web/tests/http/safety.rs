//! Instance safety as admins, members and other servers see it: registration by approval or
//! closed, suspended members, blocked servers, and the admin pages that do it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::TestApp;

fn account(name: &str, answer: &str) -> Value {
    json!({"username": name, "password": "correct horse", "answer": answer})
}

/// Registration open, by approval, closed: what applicants, admins and NodeInfo see.
#[tokio::test]
async fn registration_by_approval_and_closed() {
    let app = TestApp::spawn().await;
    let root = app.admin("root").await;
    let bob = app.member("bob").await;
    let guest = app.api();

    // Only admins read or change the site's settings.
    let (status, _) = bob.get("/api/v1/admin/site").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = bob
        .patch("/api/v1/admin/site", json!({"registration": "closed"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, nodeinfo) = guest.get("/nodeinfo/2.1").await;
    assert_eq!(nodeinfo["openRegistrations"], true);

    let (status, site) = root
        .patch(
            "/api/v1/admin/site",
            json!({"registration": "approval", "registration_question": "Which book changed you?"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{site}");
    assert_eq!(site["registration"], "approval");
    let (_, nodeinfo) = guest.get("/nodeinfo/2.1").await;
    assert_eq!(nodeinfo["openRegistrations"], false);
    let page = app.browser().get("/register").await;
    assert!(
        page.body.contains("Which book changed you?"),
        "{}",
        page.body
    );

    // An applicant answers the question; until approved they cannot log in, and the name is
    // theirs meanwhile.
    let (status, body) = guest.post("/api/v1/accounts", account("carol", " ")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = guest
        .post("/api/v1/accounts", account("carol", "Middlemarch."))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "pending");
    let (status, body) = guest
        .post("/api/v1/accounts", account("Carol", "Me too."))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let login = json!({"username": "carol", "password": "correct horse"});
    let (status, body) = guest.post("/api/v1/sessions", login.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        body["detail"],
        "Your application to join waits for an admin's approval."
    );
    // A wrong password learns nothing of the application.
    let (status, _) = guest
        .post(
            "/api/v1/sessions",
            json!({"username": "carol", "password": "wrong horse"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, _) = bob.get("/api/v1/admin/applications").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, queue) = root.get("/api/v1/admin/applications").await;
    assert_eq!(queue[0]["name"], "carol");
    assert_eq!(queue[0]["answer"], "Middlemarch.");
    let carol_id = queue[0]["id"].as_i64().unwrap();
    let (status, _) = bob
        .post(
            &format!("/api/v1/admin/applications/{carol_id}/approval"),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = root
        .post(
            &format!("/api/v1/admin/applications/{carol_id}/approval"),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = guest.post("/api/v1/sessions", login).await;
    assert_eq!(status, StatusCode::CREATED, "carol logs in once approved");

    // A rejected applicant is told so, from the page too.
    let applied = app
        .browser()
        .submit(
            "/register",
            "/register",
            &[
                ("username", "dave"),
                ("password", "correct horse"),
                ("answer", "Buy pills."),
            ],
        )
        .await;
    assert_eq!(applied.status, StatusCode::ACCEPTED, "{}", applied.body);
    assert!(applied.body.contains("Thank you for applying"));
    let (_, queue) = root.get("/api/v1/admin/applications").await;
    let dave_id = queue[0]["id"].as_i64().unwrap();
    let (status, _) = root
        .post(
            &format!("/api/v1/admin/applications/{dave_id}/rejection"),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let page = app.browser().login("dave", "correct horse").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("was not accepted"), "{}", page.body);
    let (_, queue) = root.get("/api/v1/admin/applications").await;
    assert_eq!(queue, json!([]));

    // Closed: nobody registers.
    root.patch("/api/v1/admin/site", json!({"registration": "closed"}))
        .await;
    let (status, body) = guest
        .post("/api/v1/accounts", account("erin", "Hello."))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        app.browser()
            .get("/register")
            .await
            .body
            .contains("Registration is closed")
    );

    // Every act is in the instance's log.
    let log = app.browser().get("/modlog").await.body;
    assert!(
        log.contains("admin root approved the application of carol"),
        "{log}"
    );
    assert!(log.contains("admin root rejected an application"), "{log}");
    assert!(
        log.contains("admin root changed who may join: <q>closed</q>"),
        "{log}"
    );
}

/// A suspended member is signed out, cannot log in or post, and their threads and posts are
/// hidden; lifting the suspension shows them again. Admins only, and never an admin.
#[tokio::test]
async fn suspended_members_are_signed_out_and_hidden() {
    let app = TestApp::spawn().await;
    let root = app.admin("root").await;
    let alice = app.member("alice").await;
    let bob = app.member("bob").await;
    let guest = app.api();
    let (thread, starter) = alice.thread("books", "Cheap pills", "Buy now.").await;
    let (other, other_starter) = bob.thread("books", "Summer reading", "Lists?").await;
    let reply = alice.reply(other, other_starter, "Pills!").await;

    let suspension = "/api/v1/admin/users/alice/suspension";
    let (status, _) = bob.post(suspension, json!({"reason": "Spam."})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a member does not suspend");
    let (status, _) = root
        .post(
            "/api/v1/admin/users/root/suspension",
            json!({"reason": "Spam."}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an admin is not suspended");
    let (status, body) = root.post(suspension, json!({"reason": " "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = root.post(suspension, json!({"reason": "Spam."})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    // Signed out everywhere, and cannot log in again: told why.
    let (status, _) = alice
        .post(
            &format!("/api/v1/threads/{other}/replies"),
            json!({"parent_id": other_starter, "body": "More pills."}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = guest
        .post(
            "/api/v1/sessions",
            json!({"username": "alice", "password": "correct horse"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["detail"], "Your account is suspended: Spam.");

    // Her thread is no longer listed; her posts are placeholders, read by the admins alone.
    let (_, latest) = guest.get("/api/v1/latest").await;
    assert!(!latest.to_string().contains("Cheap pills"), "{latest}");
    assert!(latest.to_string().contains("Summer reading"));
    let (_, view) = guest.get(&format!("/api/v1/threads/{other}")).await;
    let hidden = view["posts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == reply)
        .unwrap();
    assert_eq!(
        hidden["removal"],
        json!({"by": "admin", "reason": "Its author is suspended."})
    );
    assert_eq!(hidden["body_html"], "");
    let (_, view) = root.get(&format!("/api/v1/threads/{other}")).await;
    assert!(view.to_string().contains("Pills!"));
    let page = app.browser().get(&format!("/t/{other}")).await;
    assert!(
        page.body
            .contains("Hidden by the admins: Its author is suspended.")
    );
    assert!(!page.body.contains("Pills!"));
    let (_, list) = root.get("/api/v1/admin/suspensions").await;
    assert_eq!(list[0]["name"], "alice");
    assert_eq!(list[0]["reason"], "Spam.");

    // Lifted: she logs in and is read again.
    let (status, _) = root.delete(suspension).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = root.delete(suspension).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, view) = guest.get(&format!("/api/v1/threads/{thread}")).await;
    assert!(view.to_string().contains("Buy now."));
    assert_eq!(view["posts"][0]["id"], starter);
    assert_eq!(view["posts"][0]["removal"], Value::Null);
    let mut again = app.api();
    again.login("alice", "correct horse").await;

    let log = app.browser().get("/modlog").await.body;
    assert!(log.contains("admin root suspended alice"), "{log}");
    assert!(
        log.contains("admin root lifted the suspension of alice"),
        "{log}"
    );
}

/// The admin pages: admins only, and every act there works from a form.
#[tokio::test]
async fn the_admin_pages_are_for_admins() {
    let app = TestApp::spawn().await;
    app.admin("root").await;
    app.member("alice").await;
    let member = app.browser();
    member.login("alice", "correct horse").await;
    assert_eq!(member.get("/admin").await.status, StatusCode::FORBIDDEN);
    assert!(!member.get("/").await.body.contains("href=\"/admin\""));
    assert_eq!(
        app.browser().get("/admin").await.status,
        StatusCode::SEE_OTHER,
        "a guest is sent to log in"
    );

    let admin = app.browser();
    admin.login("root", "correct horse").await;
    assert!(admin.get("/").await.body.contains("href=\"/admin\""));
    let done = admin
        .submit(
            "/admin",
            "/admin/suspensions",
            &[
                ("name", "alice"),
                ("reason", "Spam."),
                ("days", "3"),
                ("action", "suspend"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = admin.get("/admin").await;
    assert!(page.body.contains("alice") && page.body.contains("Spam."));
    assert!(page.body.contains("until "));
    let refused = admin
        .submit(
            "/admin",
            "/admin/domains",
            &[("domain", "not a domain!"), ("action", "block")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains("give a server&#39;s domain, such as example.com"),
        "{}",
        refused.body
    );
    let done = admin
        .submit(
            "/admin",
            "/admin/domains",
            &[
                ("domain", "https://Spam.Example/about"),
                ("reason", "Spam."),
                ("action", "block"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = admin.get("/admin").await;
    assert!(page.body.contains("spam.example"));
    let done = admin
        .submit(
            "/admin",
            "/admin/site",
            &[("registration", "approval"), ("question", "Why?")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(app.browser().get("/register").await.body.contains("Why?"));
    let log = app.browser().get("/modlog").await.body;
    assert!(log.contains("admin root blocked spam.example"), "{log}");
}

/// A blocked server: its signed requests are refused, nothing new of it is stored, what it
/// wrote is hidden, and nothing is sent to it; lifting the block shows its posts again.
#[tokio::test]
async fn a_blocked_server_is_not_heard_nor_sent_to() {
    let app = TestApp::spawn_with(crate::common::loopback()).await;
    let peer = crate::peer::start_peer().await;
    let root = app.admin("root").await;
    let alice = app.member("alice").await;
    let guest = app.api();
    let (thread, starter) = alice.thread("books", "Summer reading", "Lists?").await;
    let first = crate::wire::note(&format!("{}/notes/1", peer.base), &peer.actor.id)
        .replying_to(&app.url(&format!("/t/{thread}")))
        .content("<p>Hello from afar.</p>");
    peer.send(
        crate::wire::create(&format!("{}/creates/1", peer.base), &peer.actor.id, first),
        &app.url("/inbox"),
    )
    .await
    .unwrap();
    peer.follow_books(&app).await;
    assert_eq!(crate::peer::followers(&app, "books").await, 1);

    let (status, body) = root
        .put(
            "/api/v1/admin/domain-blocks/localhost",
            json!({"reason": "Abuse."}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, blocks) = root.get("/api/v1/admin/domain-blocks").await;
    assert_eq!(blocks[0]["domain"], "localhost");
    let (status, _) = alice.get("/api/v1/admin/domain-blocks").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // What it wrote is hidden.
    let (_, view) = guest.get(&format!("/api/v1/threads/{thread}")).await;
    assert!(!view.to_string().contains("Hello from afar."), "{view}");
    assert!(view.to_string().contains("Its author's server is blocked."));

    // Nothing new from it is taken.
    let second = crate::wire::note(&format!("{}/notes/2", peer.base), &peer.actor.id)
        .replying_to(&app.url(&format!("/t/{thread}")))
        .content("<p>Still here.</p>");
    let _ = peer
        .send(
            crate::wire::create(&format!("{}/creates/2", peer.base), &peer.actor.id, second),
            &app.url("/inbox"),
        )
        .await;
    let stored = stoa_db::queries::posts::by_ap_id(&app.db, &format!("{}/notes/2", peer.base))
        .await
        .unwrap();
    assert!(stored.is_none(), "a blocked server's post was stored");

    // Nothing is sent to it: a new reply here reaches the follower's server no more.
    alice.reply(thread, starter, "Only for us.").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let outcome = loop {
        let rows = stoa_db::queries::deliveries::all(&app.db).await.unwrap();
        let settled = rows
            .into_iter()
            .find(|d| d.activity.contains("Only for us.") && d.gave_up_at.is_some());
        match settled {
            Some(row) => break row.last_error.unwrap_or_default(),
            None if std::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await
            }
            None => panic!("the delivery to the blocked server was never settled"),
        }
    };
    assert_eq!(
        outcome,
        "not sent: this server does not federate with that domain"
    );
    let received = peer.received.lock().unwrap().clone();
    assert!(
        !received
            .iter()
            .any(|a| a.to_string().contains("Only for us.")),
        "a blocked server was sent an activity"
    );

    // Lifted: its posts show again, and it is heard again.
    let (status, _) = root.delete("/api/v1/admin/domain-blocks/localhost").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, view) = guest.get(&format!("/api/v1/threads/{thread}")).await;
    assert!(view.to_string().contains("Hello from afar."), "{view}");
    let third = crate::wire::note(&format!("{}/notes/3", peer.base), &peer.actor.id)
        .replying_to(&app.url(&format!("/t/{thread}")))
        .content("<p>Back again.</p>");
    peer.send(
        crate::wire::create(&format!("{}/creates/3", peer.base), &peer.actor.id, third),
        &app.url("/inbox"),
    )
    .await
    .unwrap();
    let (_, view) = guest.get(&format!("/api/v1/threads/{thread}")).await;
    assert!(view.to_string().contains("Back again."));
    let log = app.browser().get("/modlog").await.body;
    assert!(log.contains("admin root blocked localhost"), "{log}");
    assert!(log.contains("admin root unblocked localhost"), "{log}");
}

/// In allow-list mode only the servers on the list are heard.
#[tokio::test]
async fn allow_list_mode_hears_only_the_allowed() {
    let app = TestApp::spawn_with(crate::common::loopback()).await;
    let peer = crate::peer::start_peer().await;
    let root = app.admin("root").await;
    let alice = app.member("alice").await;
    let (thread, _) = alice.thread("books", "Summer reading", "Lists?").await;
    root.patch("/api/v1/admin/site", json!({"allowlist": true}))
        .await;
    let note = |n: u32, text: &str| {
        let note = crate::wire::note(&format!("{}/notes/{n}", peer.base), &peer.actor.id)
            .replying_to(&app.url(&format!("/t/{thread}")))
            .content(text);
        crate::wire::create(&format!("{}/creates/{n}", peer.base), &peer.actor.id, note)
    };
    let _ = peer
        .send(note(1, "<p>Unheard.</p>"), &app.url("/inbox"))
        .await;
    let (_, view) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    assert!(!view.to_string().contains("Unheard."));
    let (status, _) = root
        .put("/api/v1/admin/domain-allows/localhost", Value::Null)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, allowed) = root.get("/api/v1/admin/domain-allows").await;
    assert_eq!(allowed[0]["domain"], "localhost");
    peer.send(note(2, "<p>Heard.</p>"), &app.url("/inbox"))
        .await
        .unwrap();
    let (_, view) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    assert!(view.to_string().contains("Heard."));
}
