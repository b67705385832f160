//! The JSON API: every endpoint, its status codes and its error shape.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::TestApp;

#[tokio::test]
async fn accounts_and_sessions() {
    let app = TestApp::spawn().await;
    let api = app.api();
    let (status, body) = api
        .post(
            "/api/v1/accounts",
            json!({"username": "alice", "password": "correct horse"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["name"], "alice");
    assert_eq!(body["url"], app.url("/u/alice"));

    let (status, body) = api
        .post(
            "/api/v1/accounts",
            json!({"username": "alice", "password": "correct horse"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], "conflict");
    assert!(body["detail"].as_str().unwrap().contains("already taken"));

    let (status, body) = api
        .post(
            "/api/v1/accounts",
            json!({"username": "x", "password": "correct horse"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "invalid");
    assert!(body["detail"].as_str().unwrap().starts_with("username:"));

    let (status, body) = api
        .post(
            "/api/v1/sessions",
            json!({"username": "alice", "password": "wrong one"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_credentials");

    let mut alice = app.api();
    alice.login("alice", "correct horse").await;
    let token = alice.token.clone().unwrap();
    assert_eq!(token.len(), 64);
    let (status, _) = alice.thread_status("books").await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, _) = alice.delete("/api/v1/sessions").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = alice.thread_status("books").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a logged-out token stops working"
    );
    assert_eq!(body["error"], "unauthorized");
}

impl crate::common::Api {
    async fn thread_status(&self, forum: &str) -> (StatusCode, serde_json::Value) {
        self.post(
            &format!("/api/v1/forums/{forum}/threads"),
            json!({"title": "Hello", "body": "World"}),
        )
        .await
    }
}

#[tokio::test]
async fn malformed_bodies_get_json_errors() {
    let app = TestApp::spawn().await;
    let response = app
        .api()
        .client
        .post(app.url("/api/v1/accounts"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "bad_request");
    let (status, body) = app
        .api()
        .post("/api/v1/accounts", json!({"username": 5}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "bad_request");
    let (status, body) = app.api().get("/api/v1/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "not_found");
}

#[tokio::test]
async fn forums_threads_replies_edits_and_deletes() {
    let app = TestApp::spawn().await;
    let alice = app.member("alice").await;
    let bob = app.member("bob").await;

    let (status, forums) = app.api().get("/api/v1/forums").await;
    assert_eq!(status, StatusCode::OK);
    let groups = forums["groups"].as_array().unwrap();
    assert!(groups.len() >= 3);
    assert_eq!(groups[0]["name"], "General");
    assert_eq!(groups[0]["forums"][0]["slug"], "general-discussion");
    let forum_count: usize = groups
        .iter()
        .map(|g| g["forums"].as_array().unwrap().len())
        .sum();
    assert!(forum_count >= 8);

    let (status, created) = alice
        .post(
            "/api/v1/forums/books/threads",
            json!({"title": "API thread", "body": "Hello **API**"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let thread = created["id"].as_i64().unwrap();
    assert_eq!(created["url"], app.url(&format!("/t/{thread}")));
    let starter = created["post_id"].as_i64().unwrap();

    let reply = bob.reply(thread, starter, "First!").await;
    let nested = alice.reply(thread, reply, "Nested").await;

    let (status, view) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["title"], "API thread");
    assert_eq!(view["forum"]["slug"], "books");
    let posts = view["posts"].as_array().unwrap();
    assert_eq!(posts.len(), 3);
    assert_eq!(posts[0]["id"], starter);
    assert_eq!(posts[0]["parent_id"], serde_json::Value::Null);
    assert_eq!(posts[0]["body_html"], "<p>Hello <strong>API</strong></p>\n");
    assert_eq!(posts[0]["author"]["name"], "alice");
    assert_eq!(posts[0]["author"]["post_count"], 2);
    assert_eq!(posts[1]["parent_id"], starter);
    assert_eq!(posts[1]["depth"], 1);
    assert_eq!(posts[2]["id"], nested);
    assert_eq!(posts[2]["parent_id"], reply);
    assert_eq!(posts[2]["depth"], 2);
    assert_eq!(posts[2]["deleted"], false);
    assert!(posts[2]["created_at"].as_str().is_some());
    assert_eq!(posts[2]["edited_at"], serde_json::Value::Null);

    // Editing: only the author (or an admin).
    let (status, body) = alice
        .patch(&format!("/api/v1/posts/{reply}"), json!({"body": "hijack"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "forbidden");
    let (status, edited) = bob
        .patch(
            &format!("/api/v1/posts/{reply}"),
            json!({"body": "First, edited"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(edited["body_html"], "<p>First, edited</p>\n");
    let (_, revisions) = app
        .api()
        .get(&format!("/api/v1/posts/{reply}/revisions"))
        .await;
    assert_eq!(revisions["revisions"][0]["body_source"], "First!");
    let (status, _) = bob
        .patch(&format!("/api/v1/posts/{reply}"), json!({"body": ""}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // The first post carries the thread's title: editing it may rename the thread; a reply
    // has no title to change.
    let (status, body) = bob
        .patch(
            &format!("/api/v1/posts/{reply}"),
            json!({"body": "First, edited", "title": "Mine now"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = alice
        .patch(
            &format!("/api/v1/posts/{starter}"),
            json!({"body": "Hello **API**", "title": "API thread, renamed"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, view) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    assert_eq!(view["title"], "API thread, renamed");
    alice
        .patch(
            &format!("/api/v1/posts/{starter}"),
            json!({"body": "Hello **API**", "title": "API thread"}),
        )
        .await;

    // Deleting keeps the place in the tree.
    let (status, _) = alice.delete(&format!("/api/v1/posts/{reply}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = bob.delete(&format!("/api/v1/posts/{reply}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, view) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    let posts = view["posts"].as_array().unwrap();
    assert_eq!(posts.len(), 3);
    assert_eq!(posts[1]["deleted"], true);
    assert_eq!(posts[1]["body_html"], "");
    assert_eq!(posts[2]["parent_id"], reply);
    assert_eq!(posts[2]["depth"], 2);
    let (status, _) = bob.delete(&format!("/api/v1/posts/{reply}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "already deleted");

    // Forum, latest and user views.
    let (status, forum) = app.api().get("/api/v1/forums/books").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(forum["forum"]["name"], "Books");
    assert_eq!(forum["threads"][0]["id"], thread);
    assert_eq!(forum["threads"][0]["reply_count"], 1);
    assert_eq!(forum["has_more"], false);
    let (_, latest) = app.api().get("/api/v1/latest").await;
    assert_eq!(latest["threads"][0]["title"], "API thread");
    assert_eq!(latest["threads"][0]["last_post_author"], "alice");
    let (status, user) = app.api().get("/api/v1/users/alice").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(user["post_count"], 2);
    assert_eq!(user["recent_posts"][0]["id"], nested);
    assert!(user["joined_at"].as_str().is_some());
}

#[tokio::test]
async fn api_errors_for_bad_input() {
    let app = TestApp::spawn().await;
    let alice = app.member("alice").await;
    let (first, _) = alice.thread("books", "One", "x").await;
    let (_, other_starter) = alice.thread("books", "Two", "x").await;

    let cases = [
        (
            "/api/v1/forums/books/threads",
            json!({"title": "", "body": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/api/v1/forums/books/threads",
            json!({"title": "t".repeat(201), "body": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/api/v1/forums/books/threads",
            json!({"title": "t", "body": "b".repeat(65 * 1024)}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/api/v1/forums/nowhere/threads",
            json!({"title": "t", "body": "x"}),
            StatusCode::NOT_FOUND,
        ),
        (
            &format!("/api/v1/threads/{first}/replies"),
            json!({"parent_id": other_starter, "body": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            &format!("/api/v1/threads/{first}/replies"),
            json!({"parent_id": 9999, "body": "x"}),
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/v1/threads/9999/replies",
            json!({"parent_id": 1, "body": "x"}),
            StatusCode::NOT_FOUND,
        ),
    ];
    for (path, body, expected) in cases {
        let (status, error) = alice.post(path, body).await;
        assert_eq!(status, expected, "{path}: {error}");
        assert!(
            error["error"].is_string() && error["detail"].is_string(),
            "{error}"
        );
    }
    assert_eq!(stoa_db::queries::posts::count(&app.db).await.unwrap(), 2);
    let (status, _) = app
        .api()
        .post(
            "/api/v1/forums/books/threads",
            json!({"title": "t", "body": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for path in [
        "/api/v1/threads/9999",
        "/api/v1/forums/nowhere",
        "/api/v1/users/nobody",
    ] {
        let (status, body) = app.api().get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["error"], "not_found");
    }
}

#[tokio::test]
async fn a_browser_session_on_the_api_needs_its_csrf_token_to_write() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.register("alice", "a long password").await;
    let csrf = browser.get("/").await.csrf();
    let url = app.url("/api/v1/forums/books/threads");
    let body = json!({"title": "From the page", "body": "x"});
    let response = browser.client.post(&url).json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = browser
        .client
        .post(&url)
        .header("x-csrf-token", csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn the_openapi_document_describes_every_endpoint() {
    let app = TestApp::spawn().await;
    let (status, doc) = app.api().get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/accounts", "post"),
        ("/api/v1/sessions", "post"),
        ("/api/v1/forums", "get"),
        ("/api/v1/forums/{slug}", "get"),
        ("/api/v1/forums/{slug}/threads", "post"),
        ("/api/v1/threads/{id}", "get"),
        ("/api/v1/threads/{id}/replies", "post"),
        ("/api/v1/posts/{id}", "patch"),
        ("/api/v1/posts/{id}", "delete"),
        ("/api/v1/users/{name}", "get"),
        ("/api/v1/latest", "get"),
    ] {
        assert!(
            paths[path][method].is_object(),
            "{method} {path} is documented"
        );
    }
    assert!(doc["components"]["schemas"]["ThreadView"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}
