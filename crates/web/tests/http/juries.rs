//! Alerts and member juries as members see them, through the API and through the pages: a
//! member alerts a post, a jury drawn from the others reads the case without learning who
//! alerted, votes, and the post is hidden with the jury's placeholder; its author reads the
//! verdict with the jurors' comments and no names, and the public log keeps it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Api, TestApp, loopback};
use crate::peer::start_peer;
use crate::wire;

/// What a jury test starts from: a thread, a spammer's reply in it, the spammer, the member who
/// alerts it and five who took part lately (a jury of three is drawn from them).
struct Forum {
    thread: i64,
    reply: i64,
    spammer: Api,
    alerter: Api,
    others: Vec<(&'static str, Api)>,
}

async fn forum(app: &TestApp) -> Forum {
    let spammer = app.member("spammer").await;
    let alerter = app.member("bob").await;
    let ann = app.member("ann").await;
    let (thread, starter) = ann.thread("books", "Summer reading", "Lists?").await;
    let reply = spammer.reply(thread, starter, "Buy my pills.").await;
    let mut others = vec![("ann", ann)];
    for name in ["jo", "kim", "lee", "max"] {
        let member = app.member(name).await;
        member
            .reply(thread, starter, &format!("{name} reads."))
            .await;
        others.push((name, member));
    }
    Forum {
        thread,
        reply,
        spammer,
        alerter,
        others,
    }
}

/// The members summoned to an alert's jury, as each one's duties list them.
async fn jurors<'a>(others: &'a [(&'static str, Api)], alert: i64) -> Vec<&'a (&'static str, Api)> {
    let mut seated = Vec::new();
    for other in others {
        let (status, duties) = other.1.get("/api/v1/juries").await;
        assert_eq!(status, StatusCode::OK);
        if duties.as_array().unwrap().iter().any(|d| d["id"] == alert) {
            seated.push(other);
        }
    }
    seated
}

#[tokio::test]
async fn a_jury_of_members_hides_an_alerted_post_through_the_api() {
    let app = TestApp::spawn().await;
    let Forum {
        thread,
        reply,
        spammer,
        alerter,
        others,
    } = forum(&app).await;
    let alerts = format!("/api/v1/posts/{reply}/alerts");

    // Not one's own post, not an unknown reason; then the alert, once.
    let (status, _) = spammer.post(&alerts, json!({"reason": "spam"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = alerter.post(&alerts, json!({"reason": "boring"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = alerter
        .post(
            &alerts,
            json!({"reason": "spam", "details": "Pills again."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let alert = body["id"].as_i64().unwrap();
    let (status, _) = alerter.post(&alerts, json!({"reason": "spam"})).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Three of the five sit; the others see no such jury.
    let seated = jurors(&others, alert).await;
    assert_eq!(seated.len(), 3);
    let outsider = others
        .iter()
        .find(|o| !seated.iter().any(|s| s.0 == o.0))
        .unwrap();
    let case_path = format!("/api/v1/juries/{alert}");
    let (status, _) = outsider.1.get(&case_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Each juror is told of the summons; the others are not.
    for (name, juror) in &seated {
        let (_, told) = juror.get("/api/v1/notifications").await;
        let summons = told["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "jury" && n["alert_id"] == alert)
            .count();
        assert_eq!(summons, 1, "{name}: {told}");
    }
    let (_, told) = outsider.1.get("/api/v1/notifications").await;
    assert!(!told.to_string().contains("\"jury\""), "{told}");

    // The case: the post, what it answers, the reason — and never who alerted.
    let (status, case) = seated[0].1.get(&case_path).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["reason"], "spam");
    assert_eq!(case["details"], "Pills again.");
    assert_eq!(case["post"]["author"], "spammer");
    assert!(
        case["post"]["body_html"]
            .as_str()
            .unwrap()
            .contains("Buy my pills.")
    );
    assert!(
        case["parent"]["body_html"]
            .as_str()
            .unwrap()
            .contains("Lists?")
    );
    assert_eq!(case["seat"], "summoned");
    assert!(
        !case.to_string().contains("bob"),
        "the alerter stays unnamed: {case}"
    );

    // Two votes to hide decide; a third finds the jury finished.
    let vote = |comment: &str| json!({"vote": "hide", "comment": comment});
    let (status, body) = seated[0]
        .1
        .post(&format!("{case_path}/votes"), vote("Spam, plainly."))
        .await;
    assert_eq!(
        (status, &body["verdict"]),
        (StatusCode::OK, &Value::Null),
        "{body}"
    );
    let (_, duties) = seated[0].1.get("/api/v1/juries").await;
    let duty = &duties[0];
    assert_eq!(
        (
            &duty["id"],
            &duty["post_id"],
            &duty["vote"],
            &duty["to_answer"]
        ),
        (&json!(alert), &json!(reply), &json!("hide"), &json!(false)),
        "{duties}"
    );
    let (status, body) = seated[0]
        .1
        .post(&format!("{case_path}/votes"), vote("Twice."))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "one vote each: {body}");
    let (_, body) = seated[1]
        .1
        .post(&format!("{case_path}/votes"), vote("An ad."))
        .await;
    assert_eq!(body["verdict"], "hidden");
    let (status, _) = seated[2]
        .1
        .post(&format!("{case_path}/votes"), json!({"vote": "leave"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Everyone sees the jury's placeholder; a guest no longer reads the post, its author does.
    let (_, view) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    let hidden = view["posts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == reply)
        .unwrap();
    assert_eq!(
        hidden["removal"],
        json!({"by": "jury", "reason": "2 of 3 voted to hide it (spam)"})
    );
    assert!(
        !hidden["body_html"]
            .as_str()
            .unwrap()
            .contains("Buy my pills.")
    );

    // The author is told, and reads the verdict with the comments, no names; a stranger to it
    // cannot.
    let (_, told) = spammer.get("/api/v1/notifications").await;
    let verdict = told["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "verdict")
        .unwrap_or_else(|| panic!("no verdict in {told}"));
    assert_eq!(verdict["alert_id"], alert);
    assert_eq!(verdict["detail"], "2 of 3 voted to hide it (spam)");
    let verdict_path = format!("/api/v1/alerts/{alert}");
    let (status, verdict) = spammer.get(&verdict_path).await;
    assert_eq!(status, StatusCode::OK, "{verdict}");
    assert_eq!(verdict["state"], "hidden");
    assert_eq!(
        (verdict["hide_votes"].as_i64(), verdict["jurors"].as_i64()),
        (Some(2), Some(3))
    );
    assert_eq!(verdict["comments"], json!(["Spam, plainly.", "An ad."]));
    for (name, _) in &others {
        assert!(
            !verdict.to_string().contains(name),
            "{name} named in {verdict}"
        );
    }
    let (status, _) = outsider.1.get(&verdict_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The public log keeps the verdict as the jury's.
    let (_, log) = app.api().get("/api/v1/forums/books/modlog").await;
    let entry = &log["entries"][0];
    assert_eq!(entry["action"], "jury_hide");
    assert_eq!(entry["by_role"], "jury");
    assert_eq!(entry["by"], Value::Null);
    assert_eq!(entry["member"], "spammer");
    assert_eq!(entry["reason"], "2 of 3 voted to hide it (spam)");
}

#[tokio::test]
async fn members_alert_and_judge_from_the_pages() {
    let app = TestApp::spawn().await;
    let Forum {
        thread,
        reply,
        others,
        ..
    } = forum(&app).await;
    let thread_path = format!("/t/{thread}");

    let alerter = app.browser();
    alerter.login("bob", "correct horse").await;
    assert!(
        alerter
            .get(&thread_path)
            .await
            .body
            .contains(&format!("/p/{reply}/alert"))
    );
    let author = app.browser();
    author.login("spammer", "correct horse").await;
    assert!(
        !author
            .get(&thread_path)
            .await
            .body
            .contains(&format!("/p/{reply}/alert")),
        "no alert link on one's own post"
    );

    // The form asks why; "other" needs words.
    let form = format!("/p/{reply}/alert");
    let page = alerter.get(&form).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Buy my pills.") && page.body.contains("off-topic"));
    let refused = alerter
        .submit(&form, &form, &[("reason", "other"), ("details", "")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("say what is wrong"));
    let sent = alerter
        .submit(&form, &form, &[("reason", "spam"), ("details", "")])
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let verdict_page = sent.location.unwrap();
    assert!(
        alerter
            .get(&verdict_page)
            .await
            .body
            .contains("The jury is still out.")
    );
    let alert: i64 = verdict_page.rsplit('/').next().unwrap().parse().unwrap();

    // The jurors find the case among their duties and vote from its page.
    let seated = jurors(&others, alert).await;
    let case = format!("/jury/{alert}");
    for (i, (name, _)) in seated.iter().take(2).enumerate() {
        let juror = app.browser();
        juror.login(name, "correct horse").await;
        let duties = juror.get("/jury").await.body;
        assert!(duties.contains("Summer reading") && duties.contains("your vote is awaited"));
        let page = juror.get(&case).await.body;
        assert!(page.contains("Buy my pills.") && page.contains("alerted this post as"));
        assert!(!page.contains("bob"), "the alerter stays unnamed");
        let comment = format!("Comment {i}.");
        let voted = juror
            .submit(&case, &case, &[("vote", "hide"), ("comment", &comment)])
            .await;
        assert_eq!(voted.status, StatusCode::SEE_OTHER, "{}", voted.body);
    }

    let notice = "Hidden by a jury of members: 2 of 3 voted to hide it (spam)";
    let as_guest = app.browser().get(&thread_path).await.body;
    assert!(as_guest.contains(notice), "{as_guest}");
    assert!(!as_guest.contains("Buy my pills."));
    let verdict = author.get(&verdict_page).await.body;
    assert!(verdict.contains("Hidden by a jury of members, 2 of 3."));
    assert!(verdict.contains("<q>Comment 0.</q>") && verdict.contains("<q>Comment 1.</q>"));
    let log = app.browser().get("/f/books/modlog").await.body;
    assert!(log.contains("a jury of members hid a post by spammer in"));

    // A juror left out declines nothing and votes nothing.
    let outsider = others
        .iter()
        .find(|o| !seated.iter().any(|s| s.0 == o.0))
        .unwrap();
    let stranger = app.browser();
    stranger.login(outsider.0, "correct horse").await;
    assert_eq!(stranger.get(&case).await.status, StatusCode::NOT_FOUND);
}

/// Reports from elsewhere — Lemmy's `Flag` to the forum, Mastodon's to the shared inbox naming
/// an account and its posts — alert the post they name, once however often they come; a report
/// naming nothing here is taken and changes nothing.
#[tokio::test]
async fn reports_from_lemmy_and_mastodon_summon_juries() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer().await;
    let Forum {
        thread,
        reply,
        spammer,
        others,
        ..
    } = forum(&app).await;
    let second = spammer.reply(thread, reply, "More pills.").await;

    let mut lemmy = wire::fixture("lemmy/activities/community/report_page.json");
    lemmy["actor"] = peer.actor.id.as_str().into();
    lemmy["id"] = format!("{}/activities/flag/1", peer.base).into();
    lemmy["to"] = json!([app.url("/f/books")]);
    lemmy["object"] = app.url(&format!("/p/{reply}")).into();
    for _ in 0..2 {
        peer.send(lemmy.clone(), &app.url("/f/books/inbox"))
            .await
            .unwrap();
    }

    let mut mastodon = wire::fixture("mastodon/activities/flag.json");
    mastodon["actor"] = peer.actor.id.as_str().into();
    mastodon["id"] = format!("{}/reports/2", peer.base).into();
    mastodon["to"] = app.url("/u/spammer").into();
    mastodon["object"] = json!([
        app.url("/u/spammer"),
        app.url(&format!("/p/{second}")),
        format!("{}/posts/elsewhere", peer.base),
    ]);
    peer.send(mastodon, &app.url("/inbox")).await.unwrap();

    let mut elsewhere = wire::fixture("mastodon/activities/flag.json");
    elsewhere["actor"] = peer.actor.id.as_str().into();
    elsewhere["id"] = format!("{}/reports/3", peer.base).into();
    elsewhere["object"] = json!([format!("{}/posts/elsewhere", peer.base)]);
    peer.send(elsewhere, &app.url("/inbox")).await.unwrap();

    // Each reported post has one jury; its jurors read the reporter's words.
    let mut cases = std::collections::BTreeMap::new();
    for (_, member) in &others {
        let (_, duties) = member.get("/api/v1/juries").await;
        for duty in duties.as_array().unwrap() {
            let id = duty["id"].as_i64().unwrap();
            let (_, case) = member.get(&format!("/api/v1/juries/{id}")).await;
            cases.insert(
                id,
                (
                    case["post"]["id"].as_i64().unwrap(),
                    case["details"].clone(),
                ),
            );
        }
    }
    let mut reported: Vec<(i64, Value)> = cases.into_values().collect();
    reported.sort_by_key(|(post, _)| *post);
    assert_eq!(
        reported,
        [
            (reply, json!("report this post")),
            (
                second,
                json!("Please take a look at this user and their posts")
            ),
        ]
    );
}
