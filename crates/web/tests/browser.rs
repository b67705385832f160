//! End to end in a real headless Chromium: register, start a thread, reply to a reply, and see
//! the nested tree and the breadcrumbs; alert a post and judge it on its jury — clicking links
//! and filling forms as a member would.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/test` installs them).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "http/common.rs"]
mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_browser(profile: &std::path::Path) -> (Driver, Client) {
    let port = free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect(
            "chromedriver must be installed (Debian: apt-get install chromium chromium-driver)",
        );
    let driver = Driver(child);
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1280,1000",
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    // The WebDriver client is built with rustls; pick its crypto provider once per process.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if let Ok(client) = ClientBuilder::rustls()
            .unwrap()
            .capabilities(capabilities.clone())
            .connect(&url)
            .await
        {
            return (driver, client);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("could not start a Chromium session through chromedriver");
}

async fn fill(client: &Client, selector: &str, text: &str) {
    client
        .find(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("{selector}: {e}"))
        .send_keys(text)
        .await
        .unwrap();
}

async fn click(client: &Client, selector: &str) {
    client
        .find(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("{selector}: {e}"))
        .click()
        .await
        .unwrap();
}

/// Clicks a link or button that leads to another page and waits until that page has loaded:
/// WebDriver's click returns once the click is dispatched, not when the next page is there.
async fn navigate(client: &Client, selector: &str) {
    let before = client.current_url().await.unwrap();
    click(client, selector).await;
    for _ in 0..200 {
        let now = client.current_url().await.unwrap();
        let ready = client
            .execute("return document.readyState", vec![])
            .await
            .unwrap();
        if now != before && ready == "complete" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("clicking {selector} on {before} did not lead to another page");
}

/// The post id in the URL the browser landed on (`/t/1#p5` → 5).
async fn post_in_url(client: &Client) -> i64 {
    let url = client.current_url().await.unwrap();
    url.fragment()
        .and_then(|f| f.strip_prefix('p'))
        .unwrap_or_else(|| panic!("no post in {url}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn register_start_a_thread_reply_to_a_reply_and_see_the_tree() {
    let app = common::TestApp::spawn().await;
    let profile = tempfile::tempdir().unwrap();
    let (_driver, client) = start_browser(profile.path()).await;
    let result = scenario(&app, &client).await;
    client.close().await.ok();
    result.unwrap();
}

async fn scenario(app: &common::TestApp, c: &Client) -> Result<(), fantoccini::error::CmdError> {
    // Register from the front page's header link.
    c.goto(&app.url("/")).await?;
    navigate(c, r#"header.site a[href="/register"]"#).await;
    fill(c, "#username", "penelope").await;
    fill(c, "#password", "a long password").await;
    navigate(c, "form.narrow button[type=submit]").await;
    let header = c
        .find(Locator::Css("header.site nav"))
        .await?
        .text()
        .await?;
    assert!(header.contains("penelope"), "signed in: {header}");

    // Open a forum from the index and start a thread.
    navigate(c, r#"a.forum-name[href="/f/general-discussion"]"#).await;
    navigate(c, r#"a.button[href="/f/general-discussion/new"]"#).await;
    fill(c, "#title", "Front porch conversation").await;
    fill(c, "#body", "What is everyone *reading* this week?").await;
    navigate(c, "form.compose button[type=submit]").await;
    let starter = post_in_url(c).await;

    // Reply to the starter through its Reply link.
    navigate(
        c,
        &format!(r#"#p{starter} .post-actions a[href$="to={starter}"]"#),
    )
    .await;
    fill(c, "#body", "A history of the Silk Road.").await;
    navigate(c, "form.compose button[type=submit]").await;
    let reply = post_in_url(c).await;

    // And reply to that reply.
    navigate(
        c,
        &format!(r#"#p{reply} .post-actions a[href$="to={reply}"]"#),
    )
    .await;
    fill(c, "#body", "Which one? There are several good ones.").await;
    navigate(c, "form.compose button[type=submit]").await;
    let nested = post_in_url(c).await;

    // The tree, as the browser lays it out: each level further right.
    let depth = |id: i64| async move {
        c.find(Locator::Id(&format!("p{id}")))
            .await?
            .attr("data-depth")
            .await
            .map(|d| d.unwrap_or_default())
    };
    assert_eq!(depth(starter).await?, "0");
    assert_eq!(depth(reply).await?, "1");
    assert_eq!(depth(nested).await?, "2");
    let left = |id: i64| async move {
        let (x, _, _, _) = c
            .find(Locator::Id(&format!("p{id}")))
            .await?
            .rectangle()
            .await?;
        Ok::<f64, fantoccini::error::CmdError>(x)
    };
    let (x0, x1, x2) = (
        left(starter).await?,
        left(reply).await?,
        left(nested).await?,
    );
    assert!(
        x0 < x1 && x1 < x2,
        "indentation grows with depth: {x0} {x1} {x2}"
    );
    let nested_text = c
        .find(Locator::Id(&format!("p{nested}")))
        .await?
        .text()
        .await?;
    assert!(nested_text.contains("Which one? There are several good ones."));
    assert!(nested_text.contains("penelope"));

    // Breadcrumbs: Latest Discussions » General » General Discussion » the title.
    let crumbs = c.find(Locator::Css("nav.crumbs")).await?.text().await?;
    let crumbs: Vec<&str> = crumbs
        .split(['»', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(
        crumbs,
        [
            "Latest Discussions",
            "General",
            "General Discussion",
            "Front porch conversation"
        ]
    );

    // The thread leads Latest Discussions.
    navigate(c, r#"nav.crumbs a[href="/latest"]"#).await;
    let first = c
        .find(Locator::Css("ol.threads .thread-row .title"))
        .await?
        .text()
        .await?;
    assert_eq!(first, "Front porch conversation");
    Ok(())
}

#[tokio::test]
async fn alert_a_post_and_judge_it_on_a_jury_in_the_browser() {
    let app = common::TestApp::spawn().await;
    let profile = tempfile::tempdir().unwrap();
    let (_driver, client) = start_browser(profile.path()).await;
    let result = jury_scenario(&app, &client).await;
    client.close().await.ok();
    result.unwrap();
}

async fn log_in(c: &Client, app: &common::TestApp, name: &str) {
    c.goto(&app.url("/login")).await.unwrap();
    fill(c, "#username", name).await;
    fill(c, "#password", "correct horse").await;
    navigate(c, "form.narrow button[type=submit]").await;
}

async fn jury_scenario(
    app: &common::TestApp,
    c: &Client,
) -> Result<(), fantoccini::error::CmdError> {
    // A thread with a spammer's reply; ann, jo and kim wrote lately, so they make the jury.
    let ann = app.member("ann").await;
    let spammer = app.member("spammer").await;
    let (thread, starter) = ann.thread("books", "Reading lists", "Lists?").await;
    let spam = spammer.reply(thread, starter, "Buy my pills.").await;
    let mut others = Vec::new();
    for name in ["jo", "kim"] {
        let member = app.member(name).await;
        member.reply(thread, starter, "Reading along.").await;
        others.push(member);
    }
    app.member("bob").await;

    // bob alerts the post from under it.
    log_in(c, app, "bob").await;
    c.goto(&app.url(&format!("/t/{thread}"))).await?;
    navigate(
        c,
        &format!(r#"#p{spam} .post-actions a[href="/p/{spam}/alert"]"#),
    )
    .await;
    click(c, r#"form.alert input[value="spam"]"#).await;
    fill(c, "#details", "Pills again.").await;
    navigate(c, "form.alert button[type=submit]").await;
    let status = c.find(Locator::Css("p.status")).await?.text().await?;
    assert_eq!(status, "The jury is still out.");
    navigate(c, r#"form[action="/logout"] button"#).await;

    // jo finds the case under "Jury duty" and votes to hide it, with a word for its author.
    log_in(c, app, "jo").await;
    navigate(c, r#"header.site a[href="/jury"]"#).await;
    navigate(c, "ul.duties a").await;
    let case = c
        .find(Locator::Css("blockquote.case"))
        .await?
        .text()
        .await?;
    assert!(case.contains("Buy my pills."), "{case}");
    let page = c.source().await?;
    assert!(!page.contains("bob"), "the alerter stays unnamed");
    click(c, r#"form.vote input[value="hide"]"#).await;
    fill(c, "#comment", "An advertisement.").await;
    let case_url = c.current_url().await?;
    click(c, "form.vote button[type=submit]").await;
    // The form posts back to the same page: wait for the new one, whose old elements go stale.
    for _ in 0..200 {
        if let Ok(source) = c.source().await
            && source.contains("You voted to hide it")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(c.current_url().await?, case_url);
    let voted = c.find(Locator::Css("p.status")).await?.text().await?;
    assert_eq!(voted, "You voted to hide it; the jury is still out.");

    // A second juror's vote decides; the thread shows the jury's placeholder.
    let kim = &others[1];
    let (_, duties) = kim.get("/api/v1/juries").await;
    let alert = duties[0]["id"].as_i64().unwrap();
    let (_, verdict) = kim
        .post(
            &format!("/api/v1/juries/{alert}/votes"),
            json!({"vote": "hide"}),
        )
        .await;
    assert_eq!(verdict["verdict"], "hidden", "{verdict}");
    c.goto(&app.url(&format!("/t/{thread}"))).await?;
    let placeholder = c
        .find(Locator::Css(&format!("#p{spam} p.placeholder")))
        .await?
        .text()
        .await?;
    assert_eq!(
        placeholder,
        "Hidden by a jury of members: 2 of 3 voted to hide it (spam)"
    );
    Ok(())
}
