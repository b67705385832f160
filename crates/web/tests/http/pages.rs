//! What a member sees and does in the browser pages.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{Options, TestApp};

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[tokio::test]
async fn index_lists_groups_and_forums_with_counts_and_latest_post() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let page = browser.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    for group in [
        "General",
        "Issue Forums",
        "Culture Forums",
        "Region Forums",
        "Support Forums",
    ] {
        assert!(
            page.body.contains(&format!(">{group}</h2>")),
            "group {group} missing"
        );
    }
    assert!(
        page.body
            .contains(r#"href="/f/foreign-affairs">Foreign Affairs</a>"#)
    );
    assert!(page.body.contains("Help &#38; Search") || page.body.contains("Help &amp; Search"));
    assert!(count(&page.body, r#"class="forum-name""#) >= 8);

    let alice = app.member("alice").await;
    let (thread, _) = alice
        .thread("books", "What are you reading?", "Tell us.")
        .await;
    let starter = alice.get(&format!("/api/v1/threads/{thread}")).await.1["posts"][0]["id"]
        .as_i64()
        .unwrap();
    let reply = alice.reply(thread, starter, "Middlemarch, again.").await;

    let page = browser.get("/").await;
    let row = page.body.split(r#"href="/f/books""#).nth(1).unwrap();
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains(r#"data-label="Threads">1<"#), "{row}");
    assert!(row.contains(r#"data-label="Posts">2<"#), "{row}");
    assert!(
        row.contains(&format!(r#"href="/t/{thread}#p{reply}""#)),
        "{row}"
    );
    assert!(row.contains(r#"<a href="/u/alice">alice</a>"#), "{row}");
    assert!(row.contains("just now"), "{row}");
}

#[tokio::test]
async fn register_log_out_and_log_in_again() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let page = browser.register("maria", "a long password").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let cookie = page
        .set_cookies
        .iter()
        .find(|c| c.starts_with("stoa_session="))
        .unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain-http instance: {cookie}");

    let home = browser.get("/").await;
    assert!(home.body.contains(r#"<a href="/u/maria">maria</a>"#));
    assert!(home.body.contains("Log out"));

    let logout = browser.post("/logout", &[("csrf", &home.csrf())]).await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER);
    let home = browser.get("/").await;
    assert!(home.body.contains(r#"href="/login">Log in</a>"#));
    assert!(!home.body.contains("Log out"));

    let page = browser.login("maria", "a long password").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(browser.get("/").await.body.contains("Log out"));
}

#[tokio::test]
async fn secure_cookies_on_https_instances() {
    let app = TestApp::spawn_with(Options {
        base_url: Some("https://forum.example".into()),
        host: None,
        production_federation: false,
        delivery_worker: true,
        authorized_fetch: false,
    })
    .await;
    let page = app.browser().register("sam", "a long password").await;
    let cookie = page
        .set_cookies
        .iter()
        .find(|c| c.starts_with("stoa_session="))
        .unwrap();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn registration_errors_come_back_on_the_form_and_store_nothing() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    assert_eq!(
        browser.register("maria", "a long password").await.status,
        StatusCode::SEE_OTHER
    );

    let other = app.browser();
    let page = other.register("maria", "another password").await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.body.contains(r#"role="alert""#));
    assert!(page.body.contains("that username is already taken"));
    assert!(
        page.body.contains(r#"value="maria""#),
        "the name is kept in the form"
    );
    let page = other.register("MARIA", "another password").await;
    assert_eq!(
        page.status,
        StatusCode::CONFLICT,
        "names are unique regardless of case"
    );

    let page = other.register("bo b", "a long password").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("letters, digits"));
    let page = other.register("bob", "short").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("at least 8 characters"));
    assert_eq!(stoa_db::queries::users::count(&app.db).await.unwrap(), 1);
}

#[tokio::test]
async fn wrong_password_is_refused_with_a_message() {
    let app = TestApp::spawn().await;
    app.browser().register("maria", "a long password").await;
    let browser = app.browser();
    let page = browser.login("maria", "not the password").await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.body.contains("wrong username or password"));
    assert!(
        !page
            .set_cookies
            .iter()
            .any(|c| c.starts_with("stoa_session="))
    );
    let page = browser.login("nobody", "not the password").await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.body.contains("wrong username or password"));
}

#[tokio::test]
async fn failed_logins_are_rate_limited_per_account_but_others_still_log_in() {
    let app = TestApp::spawn().await;
    for name in ["victim", "m1", "m2", "m3", "m4", "m5", "m6"] {
        app.browser().register(name, "a long password").await;
    }
    let attacker = app.browser();
    let mut limited = false;
    for _ in 0..8 {
        let page = attacker.login("victim", "guess guess").await;
        if page.status == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            assert!(page.body.contains("Too many failed sign-ins"));
            break;
        }
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    assert!(limited, "repeated failures must be limited");
    // Even the right password is refused while the account is limited.
    let page = app.browser().login("victim", "a long password").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    // Many members logging in from the same address keep working.
    for name in ["m1", "m2", "m3", "m4", "m5", "m6"] {
        let page = app.browser().login(name, "a long password").await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{name}");
    }
}

#[tokio::test]
async fn forms_without_a_valid_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.register("maria", "a long password").await;
    let page = browser
        .post(
            "/f/books/new",
            &[("csrf", "forged"), ("title", "t"), ("body", "b")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("Form expired"));
    let page = browser
        .post("/f/books/new", &[("title", "t"), ("body", "b")])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // A guest form without the cookie's token is refused too.
    let fresh = app.browser();
    let page = fresh
        .post(
            "/register",
            &[
                ("csrf", "x"),
                ("username", "eve"),
                ("password", "a long password"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(stoa_db::queries::threads::count(&app.db).await.unwrap(), 0);
    assert_eq!(stoa_db::queries::users::count(&app.db).await.unwrap(), 1);
}

#[tokio::test]
async fn guests_are_sent_to_log_in_before_posting() {
    let app = TestApp::spawn().await;
    let page = app.browser().get("/f/books/new").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location.as_deref(),
        Some("/login?next=%2Ff%2Fbooks%2Fnew")
    );
}

/// Starts a thread through the form; returns the redirect target.
async fn start_thread(
    browser: &crate::common::Browser,
    forum: &str,
    title: &str,
    body: &str,
) -> crate::common::Page {
    browser
        .submit(
            &format!("/f/{forum}/new"),
            &format!("/f/{forum}/new"),
            &[("title", title), ("body", body)],
        )
        .await
}

fn ids_from_location(location: &str) -> (i64, i64) {
    let rest = location.strip_prefix("/t/").unwrap();
    let (thread, post) = rest.split_once("#p").unwrap();
    (thread.parse().unwrap(), post.parse().unwrap())
}

#[tokio::test]
async fn start_a_thread_reply_to_a_reply_and_see_the_tree() {
    let app = TestApp::spawn().await;
    let alice = app.browser();
    alice.register("alice", "a long password").await;
    let page = start_thread(&alice, "foreign-affairs", "Trade talks", "Who **wins**?").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let (thread, starter) = ids_from_location(page.location.as_deref().unwrap());

    let bob = app.browser();
    bob.register("bob", "a long password").await;
    let reply_form = format!("/t/{thread}/reply?to={starter}");
    let form = bob.get(&reply_form).await;
    assert!(form.body.contains("Reply to alice"));
    assert!(
        form.body.contains("<strong>wins</strong>"),
        "the parent is quoted"
    );
    let page = bob
        .submit(
            &reply_form,
            &format!("/t/{thread}/reply"),
            &[("parent_id", &starter.to_string()), ("body", "Nobody.")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let (_, first_reply) = ids_from_location(page.location.as_deref().unwrap());

    let reply_form = format!("/t/{thread}/reply?to={first_reply}");
    let page = alice
        .submit(
            &reply_form,
            &format!("/t/{thread}/reply"),
            &[
                ("parent_id", &first_reply.to_string()),
                ("body", "Everybody, eventually."),
            ],
        )
        .await;
    let (_, second_reply) = ids_from_location(page.location.as_deref().unwrap());
    // A second direct reply to the starter comes after the first reply's subtree.
    let page = bob
        .submit(
            &format!("/t/{thread}"),
            &format!("/t/{thread}/reply"),
            &[
                ("parent_id", &starter.to_string()),
                ("body", "Also: tariffs."),
            ],
        )
        .await;
    let (_, third_reply) = ids_from_location(page.location.as_deref().unwrap());

    let page = app.browser().get(&format!("/t/{thread}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    let positions: Vec<usize> = [starter, first_reply, second_reply, third_reply]
        .iter()
        .map(|id| body.find(&format!(r#"id="p{id}""#)).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "tree order");
    assert!(body.contains(&format!(r#"id="p{starter}" data-depth="0""#)));
    assert!(body.contains(&format!(r#"id="p{first_reply}" data-depth="1""#)));
    assert!(body.contains(&format!(r#"id="p{second_reply}" data-depth="2""#)));
    assert!(body.contains(&format!(r#"id="p{third_reply}" data-depth="1""#)));
    // Each post: author with post count, absolute and relative time, permalink and reply link.
    assert!(body.contains(r#"<a class="author" href="/u/alice">alice</a>"#));
    assert!(body.contains(r#"<span class="count">2 posts</span>"#));
    assert!(body.contains(" UTC</time>"));
    assert!(body.contains("(just now)"));
    assert!(body.contains(&format!(r#"href="/t/{thread}#p{second_reply}""#)));
    assert!(body.contains(&format!(r#"href="/t/{thread}/reply?to={second_reply}""#)));
    assert!(body.contains("Who <strong>wins</strong>?"));
    // Breadcrumbs: Latest Discussions » group » forum » title.
    let start = body.find(r#"class="crumbs""#).unwrap();
    let crumbs = &body[start..start + body[start..].find("</ol>").unwrap()];
    let expected = [
        r#"<a href="/latest">Latest Discussions</a>"#,
        r#"<a href="/">Issue Forums</a>"#,
        r#"<a href="/f/foreign-affairs">Foreign Affairs</a>"#,
        r#"<li aria-current="page">Trade talks</li>"#,
    ];
    let mut at = 0;
    for crumb in expected {
        let found = crumbs[at..]
            .find(crumb)
            .unwrap_or_else(|| panic!("crumb {crumb} in {crumbs}"));
        at += found;
    }
}

#[tokio::test]
async fn bad_thread_input_returns_the_form_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.register("alice", "a long password").await;
    let long_title = "t".repeat(201);
    let huge_body = "b".repeat(64 * 1024 + 1);
    let cases = [
        ("", "body", "a thread needs a title"),
        ("   ", "body", "a thread needs a title"),
        (long_title.as_str(), "body", "at most 200 characters"),
        ("Title", "", "a post needs some text"),
        ("Title", huge_body.as_str(), "at most 64 KiB"),
    ];
    for (title, body, message) in cases {
        let page = start_thread(&browser, "books", title, body).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(page.body.contains(message), "{message}");
        assert!(page.body.contains(r#"role="alert""#));
    }
    // The entered text comes back so nothing typed is lost.
    let page = start_thread(&browser, "books", "Kept title", "").await;
    assert!(page.body.contains(r#"value="Kept title""#));
    assert_eq!(stoa_db::queries::threads::count(&app.db).await.unwrap(), 0);
    assert_eq!(stoa_db::queries::posts::count(&app.db).await.unwrap(), 0);
    // Exactly at the limits is fine.
    let ok_title = "t".repeat(200);
    let ok_body = "b".repeat(64 * 1024);
    let page = start_thread(&browser, "books", &ok_title, &ok_body).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn unknown_forums_threads_and_pages_get_a_404_page() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    for path in [
        "/f/no-such-forum",
        "/t/999",
        "/u/nobody",
        "/nowhere",
        "/p/5/revisions",
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.body.contains("Page not found"), "{path}");
        assert!(page.body.contains("<!doctype html>"), "{path}");
    }
    browser.register("alice", "a long password").await;
    let token = browser.get("/").await.csrf();
    let page = browser
        .post(
            "/f/no-such-forum/new",
            &[("csrf", &token), ("title", "Title"), ("body", "Body")],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn replying_to_a_post_of_another_thread_is_refused() {
    let app = TestApp::spawn().await;
    let alice = app.member("alice").await;
    let (first, _) = alice.thread("books", "First", "one").await;
    let (second, second_starter) = alice.thread("books", "Second", "two").await;
    let browser = app.browser();
    browser.register("bob", "a long password").await;
    let page = browser
        .submit(
            &format!("/t/{first}"),
            &format!("/t/{first}/reply"),
            &[
                ("parent_id", &second_starter.to_string()),
                ("body", "misplaced"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("belongs to another thread"));
    assert!(page.body.contains("misplaced"), "the text is kept");
    let posts = stoa_db::queries::posts::count(&app.db).await.unwrap();
    assert_eq!(posts, 2);
    let _ = second;
}

#[tokio::test]
async fn edit_keeps_revisions_and_delete_leaves_a_placeholder() {
    let app = TestApp::spawn().await;
    let alice = app.browser();
    alice.register("alice", "a long password").await;
    let page = start_thread(&alice, "music", "Best album", "Kind of Blue").await;
    let (thread, starter) = ids_from_location(page.location.as_deref().unwrap());
    let bob = app.member("bob").await;
    let bobs = bob.reply(thread, starter, "A Love Supreme").await;
    let alice_api = {
        let mut api = app.api();
        api.login("alice", "a long password").await;
        api
    };
    let under_bob = alice_api.reply(thread, bobs, "Good choice").await;

    let edit = format!("/p/{starter}/edit");
    let form = alice.get(&edit).await;
    assert!(form.body.contains("Kind of Blue</textarea>"));
    let page = alice
        .submit(&edit, &edit, &[("body", "Kind of Blue, 1959")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let thread_page = alice.get(&format!("/t/{thread}")).await;
    assert!(thread_page.body.contains("Kind of Blue, 1959"));
    assert!(
        thread_page
            .body
            .contains(&format!(r#"href="/p/{starter}/revisions">edited just now"#))
    );
    let revisions = alice.get(&format!("/p/{starter}/revisions")).await;
    assert_eq!(revisions.status, StatusCode::OK);
    assert!(revisions.body.contains("Kind of Blue, 1959"));
    assert!(
        revisions.body.contains("<p>Kind of Blue</p>"),
        "the old version is kept"
    );

    // Not your post: no edit, no delete.
    let page = alice.get(&format!("/p/{bobs}/edit")).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let token = alice.get(&format!("/t/{thread}")).await.csrf();
    let page = alice
        .post(&format!("/p/{bobs}/delete"), &[("csrf", &token)])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);

    // Bob deletes his reply through the browser: a placeholder stays, Alice's reply under it too.
    let bob_browser = app.browser();
    bob_browser.login("bob", "correct horse").await;
    let delete = format!("/p/{bobs}/delete");
    let confirm = bob_browser.get(&delete).await;
    assert!(confirm.body.contains("A Love Supreme"));
    let page = bob_browser.submit(&delete, &delete, &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let body = app.browser().get(&format!("/t/{thread}")).await.body;
    assert!(!body.contains("A Love Supreme"));
    assert!(body.contains(&format!(r#"id="p{bobs}" data-depth="1""#)));
    assert!(body.contains("This post was deleted."));
    assert!(body.contains(&format!(r#"id="p{under_bob}" data-depth="2""#)));
    assert!(body.contains("Good choice"));
    let profile = app.browser().get("/u/bob").await.body;
    assert!(
        profile.contains("<dd>0</dd>"),
        "deleted posts leave the count"
    );
}

#[tokio::test]
async fn admins_may_edit_and_delete_anything() {
    let app = TestApp::spawn().await;
    let alice = app.member("alice").await;
    let (thread, starter) = alice.thread("books", "Title", "original").await;
    app.admin("root").await;
    let admin = app.browser();
    admin.login("root", "correct horse").await;
    let edit = format!("/p/{starter}/edit");
    let page = admin.submit(&edit, &edit, &[("body", "moderated")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let delete = format!("/p/{starter}/delete");
    let page = admin.submit(&delete, &delete, &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let body = app.browser().get(&format!("/t/{thread}")).await.body;
    assert!(body.contains("This post was deleted."));
}

#[tokio::test]
async fn markdown_is_rendered_and_sanitised() {
    let app = TestApp::spawn().await;
    let alice = app.member("alice").await;
    let (thread, _) = alice
        .thread("books", "XSS", "*hi* <script>alert(1)</script> <a href=\"javascript:x\">j</a> <img src=x onerror=alert(1)>")
        .await;
    let body = app.browser().get(&format!("/t/{thread}")).await.body;
    assert!(body.contains("<em>hi</em>"));
    assert!(!body.contains("<script>alert"));
    assert!(!body.contains("onerror"));
    assert!(!body.contains("javascript:"));
    // Titles are escaped, never interpreted.
    let (thread, _) = alice.thread("books", "<b>bold</b> title", "x").await;
    let body = app.browser().get(&format!("/t/{thread}")).await.body;
    assert!(!body.contains("<b>bold</b>"));
    assert!(
        body.contains("&#60;b&#62;bold&#60;/b&#62; title")
            || body.contains("&lt;b&gt;bold&lt;/b&gt; title")
    );
}

#[tokio::test]
async fn latest_discussions_are_chronological_and_paginated() {
    let app = TestApp::spawn().await;
    let alice = app.member("alice").await;
    let mut threads = Vec::new();
    for i in 0..32 {
        let forum = if i % 2 == 0 { "books" } else { "music" };
        threads.push(
            alice
                .thread(forum, &format!("Thread number {i}"), "x")
                .await,
        );
    }
    // A reply brings an old thread back to the top: activity, not age, decides.
    let (oldest, oldest_starter) = threads[0];
    alice.reply(oldest, oldest_starter, "bump").await;

    let page = app.browser().get("/latest").await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    let first = body.find(&format!(r#"href="/t/{oldest}""#)).unwrap();
    let newest = body.find(r#">Thread number 31<"#).unwrap();
    let older = body.find(r#">Thread number 30<"#).unwrap();
    assert!(first < newest && newest < older);
    assert_eq!(count(body, r#"class="thread-row""#), 30);
    assert!(body.contains(r#"href="/latest?page=2""#));
    assert!(body.contains(r#"in <a href="/f/books">Books</a>"#));
    let page2 = app.browser().get("/latest?page=2").await.body;
    assert_eq!(count(&page2, r#"class="thread-row""#), 2);
    assert!(page2.contains(">Thread number 1<") && page2.contains(">Thread number 2<"));
    assert!(page2.contains(r#"href="/latest?page=1""#));
    assert!(!page2.contains("page=3"));
    assert_eq!(
        app.browser().get("/latest?page=abc").await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn a_forum_page_shows_its_purpose_and_its_threads() {
    let app = TestApp::spawn().await;
    let alice = app.member("alice").await;
    alice.thread("books", "In books", "x").await;
    alice.thread("music", "In music", "x").await;
    let page = app.browser().get("/f/books").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>Books</h1>"));
    assert!(page.body.contains("What you are reading"));
    assert!(page.body.contains(">In books<"));
    assert!(!page.body.contains(">In music<"));
    assert!(page.body.contains(r#"<a href="/">Culture Forums</a>"#));
    assert!(page.body.contains(r#"href="/f/books/new""#));
    let host = app.base.trim_start_matches("http://");
    assert!(
        page.body.contains(&format!("<code>@books@{host}</code>")),
        "the forum's handle"
    );
}

#[tokio::test]
async fn profiles_show_post_count_join_date_and_recent_posts() {
    let app = TestApp::spawn().await;
    let alice = app.member("alice").await;
    let (thread, starter) = alice.thread("books", "My thread", "first words").await;
    alice.reply(thread, starter, "second words").await;
    let page = app.browser().get("/u/alice").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>alice</h1>"));
    assert!(page.body.contains("<dt>Posts</dt><dd>2</dd>"));
    assert!(page.body.contains("<dt>Joined</dt>"));
    let second = page.body.find("second words").unwrap();
    let first = page.body.find("first words").unwrap();
    assert!(second < first, "newest first");
}

#[tokio::test]
async fn pages_are_readable_on_phones_and_in_dark_mode() {
    let app = TestApp::spawn().await;
    let page = app.browser().get("/").await;
    assert!(
        page.body
            .contains(r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#)
    );
    assert!(page.body.contains(r#"<html lang="en">"#));
    let css = app.browser().get("/static/style.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.body.contains("prefers-color-scheme: dark"));
    assert!(css.body.contains("@media (max-width"));
    // Form fields are labelled.
    let register = app.browser().get("/register").await.body;
    assert!(
        register.contains(r#"<label for="username">"#) && register.contains(r#"id="username""#)
    );
    assert!(
        register.contains(r#"<label for="password">"#) && register.contains(r#"id="password""#)
    );
    let _ = json!({});
}

#[tokio::test]
async fn sql_queries_per_page_stay_few_and_do_not_grow_with_the_thread() {
    // Without the delivery worker, whose polling would count as the page's statements.
    let app = TestApp::spawn_with(Options {
        base_url: None,
        host: None,
        production_federation: false,
        delivery_worker: false,
        authorized_fetch: false,
    })
    .await;
    let alice = app.member("alice").await;
    let (small, small_starter) = alice.thread("books", "Small", "x").await;
    alice.reply(small, small_starter, "one").await;
    let (big, big_starter) = alice.thread("books", "Big", "x").await;
    let mut parent = big_starter;
    for i in 0..200 {
        let reply = alice.reply(big, parent, &format!("reply {i}")).await;
        // Alternate deep chains and wide fans.
        if i % 3 != 0 {
            parent = reply;
        }
    }
    let guest = app.browser();
    let member = app.browser();
    member.login("alice", "correct horse").await;
    let mut report = Vec::new();
    for browser in [&guest, &member] {
        let small_thread = app.queries_for(browser, &format!("/t/{small}")).await;
        let big_thread = app.queries_for(browser, &format!("/t/{big}")).await;
        assert_eq!(
            small_thread, big_thread,
            "a thread page's queries do not grow with replies"
        );
        for path in ["/", "/latest", "/f/books", "/u/alice", &format!("/t/{big}")] {
            let count = app.queries_for(browser, path).await;
            assert!(count <= 6, "{path}: {count} queries");
            report.push(format!("{path}={count}"));
        }
    }
    println!(
        "queries per page (guest, then signed in): {}",
        report.join(" ")
    );

    // Moderation costs nothing per post: locked, with a removed reply, the thread page runs
    // the statements it ran before (once its cached copy is refreshed).
    let big_path = format!("/t/{big}");
    let mut before = Vec::new();
    for browser in [&guest, &member] {
        before.push(app.queries_for(browser, &big_path).await);
    }
    let root = app.admin("root").await;
    let (status, _) = root
        .post(
            &format!("/api/v1/threads/{big}/lock"),
            serde_json::Value::Null,
        )
        .await;
    assert_eq!(status.as_u16(), 204);
    let (status, _) = root
        .post(
            &format!("/api/v1/posts/{parent}/removal"),
            serde_json::json!({"reason": "Spam."}),
        )
        .await;
    assert_eq!(status.as_u16(), 204);
    let mut after = Vec::new();
    for browser in [&guest, &member] {
        app.queries_for(browser, &big_path).await;
        after.push(app.queries_for(browser, &big_path).await);
    }
    assert_eq!(
        after, before,
        "queries of a moderated thread page (guest, member)"
    );
}
