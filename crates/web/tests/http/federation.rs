//! Discovery and actors: WebFinger, NodeInfo, and the ActivityPub documents served at the same
//! URLs as the pages.

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::TestApp;

const AP: &str = "application/activity+json";

async fn get_json(
    app: &TestApp,
    path: &str,
    accept: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let response = app
        .api()
        .client
        .get(app.url(path))
        .header("accept", accept)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path} ({status}): {text}"));
    (status, headers, body)
}

/// An ActivityPub GET for other test modules.
pub async fn get_json_pub(
    app: &TestApp,
    path: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    get_json(app, path, AP).await
}

fn authority(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

#[tokio::test]
async fn webfinger_finds_members_forums_and_the_instance() {
    let app = TestApp::spawn().await;
    app.member("alice").await;
    let host = authority(&app);
    let bare_host = host.split(':').next().unwrap().to_owned();

    let (status, headers, finger) = get_json(
        &app,
        &format!("/.well-known/webfinger?resource=acct:alice@{host}"),
        "*/*",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/jrd+json");
    assert_eq!(finger["subject"], format!("acct:alice@{host}"));
    let links = finger["links"].as_array().unwrap();
    let me = links.iter().find(|l| l["rel"] == "self").unwrap();
    assert_eq!(me["type"], AP);
    assert_eq!(me["href"], app.url("/u/alice"));
    assert_eq!(
        me["properties"]["https://www.w3.org/ns/activitystreams#type"],
        "Person"
    );
    assert!(
        links
            .iter()
            .any(|l| l["rel"] == "http://webfinger.net/rel/profile-page")
    );

    // The port may be left out of the handle.
    let (status, _, _) = get_json(
        &app,
        &format!("/.well-known/webfinger?resource=acct:alice@{bare_host}"),
        "*/*",
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (_, _, forum) = get_json(
        &app,
        &format!("/.well-known/webfinger?resource=acct:books@{host}"),
        "*/*",
    )
    .await;
    let me = forum["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "self")
        .unwrap()
        .clone();
    assert_eq!(me["href"], app.url("/f/books"));
    assert_eq!(
        me["properties"]["https://www.w3.org/ns/activitystreams#type"],
        "Group"
    );

    let (_, _, instance) = get_json(
        &app,
        &format!("/.well-known/webfinger?resource=acct:{bare_host}@{host}"),
        "*/*",
    )
    .await;
    let me = instance["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "self")
        .unwrap()
        .clone();
    assert_eq!(me["href"], app.url("/actor"));

    for (resource, expected) in [
        (format!("acct:nobody@{host}"), StatusCode::NOT_FOUND),
        (
            "acct:alice@elsewhere.example".to_owned(),
            StatusCode::NOT_FOUND,
        ),
        ("alice".to_owned(), StatusCode::BAD_REQUEST),
        (String::new(), StatusCode::BAD_REQUEST),
    ] {
        let (status, _, body) = get_json(
            &app,
            &format!("/.well-known/webfinger?resource={resource}"),
            "*/*",
        )
        .await;
        assert_eq!(status, expected, "{resource}");
        assert!(body["detail"].is_string());
    }
}

#[tokio::test]
async fn nodeinfo_describes_the_instance() {
    let app = TestApp::spawn().await;
    let alice = app.member("alice").await;
    alice.thread("books", "Counted", "one").await;
    let (status, _, links) = get_json(&app, "/.well-known/nodeinfo", "*/*").await;
    assert_eq!(status, StatusCode::OK);
    let links = links["links"].as_array().unwrap();
    let doc = links
        .iter()
        .find(|l| l["rel"] == "http://nodeinfo.diaspora.software/ns/schema/2.1")
        .unwrap();
    assert_eq!(doc["href"], app.url("/nodeinfo/2.1"));
    assert!(links.iter().any(|l| l["href"] == app.url("/actor")));
    let (status, headers, info) = get_json(&app, "/nodeinfo/2.1", "*/*").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .contains("schema/2.1")
    );
    assert_eq!(info["version"], "2.1");
    assert_eq!(info["software"]["name"], "stoa");
    assert_eq!(info["protocols"][0], "activitypub");
    assert_eq!(info["usage"]["users"]["total"], 1);
    assert_eq!(info["usage"]["localPosts"], 1);
}

#[tokio::test]
async fn members_and_forums_are_actors_at_their_page_urls() {
    let app = TestApp::spawn().await;
    app.member("alice").await;

    let (status, headers, person) = get_json(&app, "/u/alice", AP).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], AP);
    assert_eq!(headers["vary"], "Accept");
    assert_eq!(person["type"], "Person");
    assert_eq!(person["id"], app.url("/u/alice"));
    assert_eq!(person["preferredUsername"], "alice");
    assert_eq!(person["inbox"], app.url("/u/alice/inbox"));
    assert_eq!(person["outbox"], app.url("/u/alice/outbox"));
    assert_eq!(person["followers"], app.url("/u/alice/followers"));
    assert_eq!(person["endpoints"]["sharedInbox"], app.url("/inbox"));
    assert_eq!(
        person["publicKey"]["id"],
        format!("{}#main-key", app.url("/u/alice"))
    );
    assert_eq!(person["publicKey"]["owner"], app.url("/u/alice"));
    assert!(
        person["publicKey"]["publicKeyPem"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );
    assert!(
        person["@context"]
            .to_string()
            .contains("https://www.w3.org/ns/activitystreams")
    );
    // Without the security vocabulary JSON-LD processors drop `publicKey` (Fedify then cannot
    // verify what the actor signs).
    assert!(
        person["@context"]
            .to_string()
            .contains("https://w3id.org/security/v1")
    );
    assert!(person.get("privateKey").is_none() && !person.to_string().contains("PRIVATE KEY"));

    // The same URL still answers browsers with the page, marked as varying by Accept.
    let page = app
        .api()
        .client
        .get(app.url("/u/alice"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.headers()["vary"], "Accept");
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );

    let (status, _, group) = get_json(
        &app,
        "/f/foreign-affairs",
        r#"application/ld+json; profile="https://www.w3.org/ns/activitystreams""#,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(group["type"], "Group");
    assert_eq!(group["id"], app.url("/f/foreign-affairs"));
    assert_eq!(group["preferredUsername"], "foreign-affairs");
    assert_eq!(group["name"], "Foreign Affairs");
    assert_eq!(
        group["summary"],
        "<p>International relations, diplomacy, trade and conflict around the world.</p>"
    );
    assert_eq!(
        group["moderators"],
        app.url("/f/foreign-affairs/moderators")
    );
    assert_eq!(group["followers"], app.url("/f/foreign-affairs/followers"));
    assert_eq!(group["postingRestrictedToMods"], false);
    assert_ne!(
        group["publicKey"]["publicKeyPem"],
        person["publicKey"]["publicKeyPem"]
    );

    let (status, _, missing) = get_json(&app, "/u/nobody", AP).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
}

#[tokio::test]
async fn the_instance_actor_keeps_one_key() {
    let app = TestApp::spawn().await;
    let (status, headers, first) = get_json(&app, "/actor", AP).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], AP);
    assert_eq!(first["type"], "Application");
    assert_eq!(first["id"], app.url("/actor"));
    assert_eq!(first["preferredUsername"], "127.0.0.1");
    let (_, _, second) = get_json(&app, "/actor", AP).await;
    assert_eq!(first["publicKey"], second["publicKey"]);
}

/// Lemmy asks a server's root for its actor: a server gets the instance's `Application`
/// there, a browser the index.
#[tokio::test]
async fn the_site_root_serves_the_instance_actor_to_servers() {
    let app = TestApp::spawn().await;
    let (status, headers, actor) = get_json(&app, "/", AP).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], AP);
    assert_eq!(headers["vary"], "Accept");
    assert_eq!(actor["type"], "Application");
    assert_eq!(actor["id"], app.url("/actor"));
    let (_, _, at_actor) = get_json(&app, "/actor", AP).await;
    assert_eq!(actor["publicKey"], at_actor["publicKey"]);
    let page = app.browser().get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<html"), "{}", page.body);
}

#[tokio::test]
async fn threads_are_pages_and_replies_are_notes_in_a_context() {
    let app = TestApp::spawn().await;
    let alice = app.member("alice").await;
    let bob = app.member("bob").await;
    let (thread, starter) = alice
        .thread(
            "foreign-affairs",
            "Trade talks",
            "Who **wins** the trade talks this week?",
        )
        .await;
    let reply = bob.reply(thread, starter, "Nobody.").await;
    let nested = alice.reply(thread, reply, "Everybody, eventually.").await;
    let host = authority(&app);

    let (status, headers, page) = get_json(&app, &format!("/t/{thread}"), AP).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["vary"], "Accept");
    assert_eq!(page["type"], "Page");
    assert_eq!(page["id"], app.url(&format!("/t/{thread}")));
    assert_eq!(page["name"], "Trade talks");
    assert_eq!(
        page["content"],
        "<p>Who <strong>wins</strong> the trade talks this week?</p>\n"
    );
    assert_eq!(page["mediaType"], "text/html");
    assert_eq!(
        page["source"]["content"],
        "Who **wins** the trade talks this week?"
    );
    assert_eq!(page["source"]["mediaType"], "text/markdown");
    assert_eq!(page["summary"], "Who wins the trade talks this week?");
    assert_eq!(page["attributedTo"], app.url("/u/alice"));
    assert_eq!(page["audience"], app.url("/f/foreign-affairs"));
    assert_eq!(page["context"], app.url(&format!("/t/{thread}/context")));
    assert_eq!(page["to"][0], app.url("/f/foreign-affairs"));
    assert_eq!(
        page["to"][1],
        "https://www.w3.org/ns/activitystreams#Public"
    );
    assert_eq!(page["tag"][0]["type"], "Mention");
    assert_eq!(page["tag"][0]["href"], app.url("/f/foreign-affairs"));
    assert_eq!(page["tag"][0]["name"], format!("@foreign-affairs@{host}"));
    assert!(page["published"].is_string());

    let (status, _, note) = get_json(&app, &format!("/p/{reply}"), AP).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(note["type"], "Note");
    assert_eq!(note["id"], app.url(&format!("/p/{reply}")));
    assert_eq!(
        note["inReplyTo"],
        app.url(&format!("/t/{thread}")),
        "a reply to the starter answers the Page"
    );
    assert_eq!(note["attributedTo"], app.url("/u/bob"));
    assert_eq!(note["audience"], app.url("/f/foreign-affairs"));
    assert_eq!(note["context"], page["context"]);
    let (_, _, nested_note) = get_json(&app, &format!("/p/{nested}"), AP).await;
    assert_eq!(nested_note["inReplyTo"], app.url(&format!("/p/{reply}")));

    // Browsers following a reply's id land on the post in its thread.
    let response = app
        .api()
        .client
        .get(app.url(&format!("/p/{reply}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()["location"],
        format!("/t/{thread}#p{reply}")
    );

    let (status, _, context) = get_json(&app, &format!("/t/{thread}/context"), AP).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(context["type"], "OrderedCollection");
    assert_eq!(context["totalItems"], 3);
    let (_, _, first) = get_json(&app, &format!("/t/{thread}/context?page=1"), AP).await;
    assert_eq!(first["type"], "OrderedCollectionPage");
    assert_eq!(first["partOf"], context["id"]);
    let items: Vec<&str> = first["orderedItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        items,
        [
            app.url(&format!("/t/{thread}")),
            app.url(&format!("/p/{reply}")),
            app.url(&format!("/p/{nested}"))
        ]
    );
    assert!(first.get("next").is_none());

    // A deleted reply is a Tombstone, and says so with 410 Gone.
    bob.delete(&format!("/api/v1/posts/{reply}")).await;
    let (status, _, tombstone) = get_json(&app, &format!("/p/{reply}"), AP).await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(tombstone["type"], "Tombstone");
    assert_eq!(tombstone["formerType"], "Note");
    let (status, _, _) = get_json(&app, "/p/99999", AP).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = get_json(&app, "/t/99999/context", AP).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn long_conversations_are_paged() {
    let app = TestApp::spawn().await;
    let alice = app.member("alice").await;
    let (thread, starter) = alice.thread("books", "Long", "x").await;
    for i in 0..55 {
        alice.reply(thread, starter, &format!("reply {i}")).await;
    }
    let (_, _, context) = get_json(&app, &format!("/t/{thread}/context"), AP).await;
    assert_eq!(context["totalItems"], 56);
    let (_, _, first) = get_json(&app, &format!("/t/{thread}/context?page=1"), AP).await;
    assert_eq!(first["orderedItems"].as_array().unwrap().len(), 50);
    assert_eq!(
        first["next"],
        app.url(&format!("/t/{thread}/context?page=2"))
    );
    let (_, _, second) = get_json(&app, &format!("/t/{thread}/context?page=2"), AP).await;
    assert_eq!(second["orderedItems"].as_array().unwrap().len(), 6);
    assert_eq!(
        second["prev"],
        app.url(&format!("/t/{thread}/context?page=1"))
    );
    assert!(second.get("next").is_none());
}

#[tokio::test]
async fn actors_collections_are_served() {
    let app = TestApp::spawn().await;
    let alice = app.member("alice").await;
    let forum = stoa_db::queries::forums::by_slug(&app.db, "books")
        .await
        .unwrap()
        .unwrap();
    let user = stoa_db::queries::users::by_name(&app.db, "alice")
        .await
        .unwrap()
        .unwrap();
    stoa_core::forums::add_host(&app.db, forum.id, user.id)
        .await
        .unwrap();
    let (thread, _) = alice.thread("books", "In the outbox", "x").await;

    let (status, _, moderators) = get_json(&app, "/f/books/moderators", AP).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(moderators["type"], "OrderedCollection");
    assert_eq!(moderators["orderedItems"][0], app.url("/u/alice"));
    let (_, _, followers) = get_json(&app, "/f/books/followers", AP).await;
    assert_eq!(followers["totalItems"], 0);
    // Each thread as Lemmy reads a community's history: the forum's Announce of the author's
    // Create of the Page, embedded and addressed.
    let (_, _, outbox) = get_json(&app, "/f/books/outbox", AP).await;
    assert_eq!(outbox["totalItems"], 1);
    let item = &outbox["orderedItems"][0];
    assert_eq!(item["type"], "Announce");
    assert_eq!(item["actor"], app.url("/f/books"));
    assert_eq!(item["object"]["type"], "Create");
    assert_eq!(item["object"]["actor"], app.url("/u/alice"));
    assert_eq!(item["object"]["to"][0], stoa_federation::objects::PUBLIC);
    assert_eq!(item["object"]["cc"][0], app.url("/f/books"));
    let page = &item["object"]["object"];
    assert_eq!(page["type"], "Page");
    assert_eq!(page["id"], app.url(&format!("/t/{thread}")));
    assert_eq!(page["name"], "In the outbox");
    assert_eq!(page["audience"], app.url("/f/books"));
    assert_eq!(outbox["first"], app.url("/f/books/outbox?page=1"));
    let (_, _, user_outbox) = get_json(&app, "/u/alice/outbox", AP).await;
    assert_eq!(user_outbox["totalItems"], 1);
    let (status, _, _) = get_json(&app, "/f/books/nothing", AP).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The thread form at /f/books/new is still the page.
    let page = app.browser().get("/f/books/new").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
}

/// A forum's whole history can be read from its outbox, page by page, and every item is
/// what a reader of Lemmy's communities takes for a new thread.
#[tokio::test]
async fn a_forums_outbox_pages_through_every_thread() {
    let app = TestApp::spawn().await;
    let alice = app.member("alice").await;
    for n in 1..=23 {
        alice.thread("books", &format!("Thread {n}"), "x").await;
    }
    let (_, _, outbox) = get_json(&app, "/f/books/outbox", AP).await;
    assert_eq!(outbox["totalItems"], 23);
    let newest = outbox["orderedItems"].as_array().unwrap();
    assert_eq!(newest.len(), 20);
    let (_, _, first) = get_json(&app, "/f/books/outbox?page=1", AP).await;
    assert_eq!(first["type"], "OrderedCollectionPage");
    assert_eq!(first["partOf"], app.url("/f/books/outbox"));
    assert_eq!(first["orderedItems"].as_array().unwrap(), newest);
    assert_eq!(first["next"], app.url("/f/books/outbox?page=2"));
    let (_, _, second) = get_json(&app, "/f/books/outbox?page=2", AP).await;
    assert_eq!(second["prev"], app.url("/f/books/outbox?page=1"));
    assert!(second.get("next").is_none(), "{second:#}");
    let titles: Vec<&str> = newest
        .iter()
        .chain(second["orderedItems"].as_array().unwrap())
        .map(|item| item["object"]["object"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 23);
    assert_eq!(titles[0], "Thread 23");
    assert_eq!(titles[22], "Thread 1");
    for item in newest {
        let announce: stoa_federation::inbox::Announce =
            serde_json::from_value(item.clone()).unwrap();
        assert_eq!(announce.describe(), Ok("Create{post}"), "{item:#}");
    }
}

/// What the documents advertise answers: a thread's `replies`, and the instance actor's inbox
/// (which, like every inbox, wants a signature) and outbox.
#[tokio::test]
async fn advertised_collections_and_inboxes_answer() {
    let app = TestApp::spawn().await;
    let alice = app.member("alice").await;
    let (thread, starter) = alice.thread("books", "Asked", "Anyone?").await;
    let first = alice.reply(thread, starter, "Me.").await;
    alice
        .reply(thread, first, "Nested, so not a direct reply.")
        .await;
    let (_, _, page) = get_json_pub(&app, &format!("/t/{thread}")).await;
    let replies = page["replies"].as_str().unwrap().to_owned();
    let path = replies.trim_start_matches(&app.base);
    let (status, _, collection) = get_json_pub(&app, path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(collection["totalItems"], 1, "{collection:#}");
    let (status, _, first_page) = get_json_pub(&app, &format!("{path}?page=1")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        first_page["orderedItems"],
        serde_json::json!([app.url(&format!("/p/{first}"))])
    );

    let (_, _, actor) = get_json_pub(&app, "/actor").await;
    let outbox = actor["outbox"]
        .as_str()
        .unwrap()
        .trim_start_matches(&app.base)
        .to_owned();
    let (status, _, collection) = get_json_pub(&app, &outbox).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(collection["totalItems"], 0);
    let inbox = actor["inbox"].as_str().unwrap().to_owned();
    let answer = reqwest::Client::new()
        .post(&inbox)
        .header("content-type", "application/activity+json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.status(),
        StatusCode::UNAUTHORIZED,
        "an inbox, not a 404"
    );
}

/// A thread's collections carry an `ETag` that changes with the thread: a peer reading one
/// again learns with a 304 that nothing is new. Each reply has its own `replies` collection.
#[tokio::test]
async fn thread_collections_answer_304_until_the_thread_changes() {
    let app = TestApp::spawn().await;
    let alice = app.member("alice").await;
    let (thread, starter) = alice.thread("books", "Tagged", "x").await;
    let reply = alice.reply(thread, starter, "First.").await;
    let (_, _, note) = get_json(&app, &format!("/p/{reply}"), AP).await;
    assert_eq!(note["replies"], app.url(&format!("/p/{reply}/replies")));

    let conditional = |path: String, tag: Option<String>| {
        let client = app.api().client.clone();
        let url = app.url(&path);
        async move {
            let mut request = client.get(url).header("accept", AP);
            if let Some(tag) = tag {
                request = request.header("if-none-match", tag);
            }
            let response = request.send().await.unwrap();
            let tag = response
                .headers()
                .get("etag")
                .map(|v| v.to_str().unwrap().to_owned());
            (response.status(), tag, response.text().await.unwrap())
        }
    };
    for path in [
        format!("/t/{thread}/context?page=1"),
        format!("/t/{thread}/replies"),
        format!("/p/{reply}/replies?page=1"),
    ] {
        let (status, tag, _) = conditional(path.clone(), None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let tag = tag.unwrap_or_else(|| panic!("{path} has no ETag"));
        let (status, again, body) = conditional(path.clone(), Some(tag.clone())).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(body.is_empty());
        assert_eq!(again.as_deref(), Some(tag.as_str()));
    }
    let (_, before, _) = conditional(format!("/p/{reply}/replies?page=1"), None).await;
    let nested = alice.reply(thread, reply, "Second.").await;
    let (status, after, body) =
        conditional(format!("/p/{reply}/replies?page=1"), before.clone()).await;
    assert_eq!(status, StatusCode::OK, "a new reply changes the tag");
    assert_ne!(after, before);
    let page: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        page["orderedItems"],
        serde_json::json!([app.url(&format!("/p/{nested}"))])
    );
}

/// Each forum points to its forum group (Stoa's extension), published as a collection named
/// after the group, of its forums in index order.
#[tokio::test]
async fn a_forum_group_is_published_with_its_forums() {
    let app = TestApp::spawn().await;
    let (_, _, forum) = get_json(&app, "/f/books", AP).await;
    let group_url = forum["forumGroup"].as_str().unwrap().to_owned();
    let path = group_url.trim_start_matches(&app.base).to_owned();
    let (status, headers, group) = get_json(&app, &path, AP).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], AP);
    assert_eq!(group["type"], "OrderedCollection");
    assert_eq!(group["id"], group_url.as_str());
    assert_eq!(group["name"], "Culture Forums");
    let forums = group["orderedItems"].as_array().unwrap();
    assert!(
        forums.contains(&Value::from(app.url("/f/books"))),
        "{group:#}"
    );
    assert_eq!(group["totalItems"], forums.len());
    let (status, _, _) = get_json(&app, "/groups/999999", AP).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
