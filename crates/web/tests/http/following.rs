//! Following a forum from another server, end to end over real HTTP with real signatures: a
//! peer built on activitypub_federation follows a forum, gets a signed Accept it verifies with
//! the forum's published key, and undoes the follow. Unsigned or tampered requests get 401.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use activitypub_federation::activity_sending::SendActivityTask;
use activitypub_federation::axum::inbox::{ActivityData, receive_activity};
use activitypub_federation::config::{Data, FederationConfig};
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::http_signatures::generate_actor_keypair;
use activitypub_federation::protocol::context::WithContext;
use activitypub_federation::traits::{Activity, Actor, Object};
use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

use crate::common::{Options, TestApp, loopback, thread_titles};

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct PeerError(String);

impl From<activitypub_federation::error::Error> for PeerError {
    fn from(e: activitypub_federation::error::Error) -> Self {
        PeerError(e.to_string())
    }
}

/// What the peer received and accepted (its signature verified).
#[derive(Clone, Default)]
pub(crate) struct PeerData {
    received: Arc<Mutex<Vec<Value>>>,
}

/// Any actor, read from its published document: enough to check signatures.
#[derive(Debug, Clone)]
pub(crate) struct SomeActor {
    pub(crate) id: Url,
    inbox: Url,
    public_key: String,
    private_key: Option<String>,
}

#[async_trait::async_trait]
impl Object for SomeActor {
    type DataType = PeerData;
    type Kind = Value;
    type Error = PeerError;

    fn id(&self) -> &Url {
        &self.id
    }

    async fn read_from_id(_: Url, _: &Data<PeerData>) -> Result<Option<Self>, PeerError> {
        Ok(None)
    }

    async fn into_json(self, _: &Data<PeerData>) -> Result<Value, PeerError> {
        Err(PeerError("not served".into()))
    }

    async fn verify(_: &Value, _: &Url, _: &Data<PeerData>) -> Result<(), PeerError> {
        Ok(())
    }

    async fn from_json(json: Value, _: &Data<PeerData>) -> Result<Self, PeerError> {
        let text = |v: &Value| {
            v.as_str()
                .map(str::to_owned)
                .ok_or(PeerError("missing".into()))
        };
        Ok(SomeActor {
            id: Url::parse(&text(&json["id"])?).map_err(|e| PeerError(e.to_string()))?,
            inbox: Url::parse(&text(&json["inbox"])?).map_err(|e| PeerError(e.to_string()))?,
            public_key: text(&json["publicKey"]["publicKeyPem"])?,
            private_key: None,
        })
    }
}

impl Actor for SomeActor {
    fn public_key_pem(&self) -> &str {
        &self.public_key
    }

    fn private_key_pem(&self) -> Option<String> {
        self.private_key.clone()
    }

    fn inbox(&self) -> Url {
        self.inbox.clone()
    }
}

/// An activity the peer sends or receives, kept as JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct AnyActivity {
    id: Url,
    actor: ObjectId<SomeActor>,
    #[serde(flatten)]
    rest: serde_json::Map<String, Value>,
}

#[async_trait::async_trait]
impl Activity for AnyActivity {
    type DataType = PeerData;
    type Error = PeerError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        self.actor.inner()
    }

    async fn verify(&self, _: &Data<PeerData>) -> Result<(), PeerError> {
        Ok(())
    }

    async fn receive(self, data: &Data<PeerData>) -> Result<(), PeerError> {
        let value = serde_json::to_value(&self).map_err(|e| PeerError(e.to_string()))?;
        data.received.lock().unwrap().push(value);
        Ok(())
    }
}

pub(crate) struct Peer {
    /// The `Signature` headers of the GETs of the peer's actor document.
    fetch_signatures: Arc<Mutex<Vec<String>>>,
    /// Objects the peer serves at `/objects/{name}`.
    objects: Arc<Mutex<std::collections::HashMap<String, Value>>>,
    pub(crate) base: String,
    pub(crate) actor: SomeActor,
    /// A forum of the peer's (`/groups/club`), with the same keys as its person.
    pub(crate) group: SomeActor,
    config: FederationConfig<PeerData>,
    pub(crate) received: Arc<Mutex<Vec<Value>>>,
}

pub(crate) async fn start_peer() -> Peer {
    start_peer_on(0).await
}

/// An actor document of the peer's: its inbox is `{id}/inbox`.
fn actor_document(kind: &str, id: &Url, username: &str, public_key: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "type": kind,
        "id": id,
        "preferredUsername": username,
        "inbox": format!("{id}/inbox"),
        "publicKey": {
            "id": format!("{id}#main-key"),
            "owner": id,
            "publicKeyPem": public_key,
        }
    })
}

/// A peer on a chosen port (0: any free one).
pub(crate) async fn start_peer_on(port: u16) -> Peer {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let base = format!("http://localhost:{}", listener.local_addr().unwrap().port());
    let keys = generate_actor_keypair().unwrap();
    let actor_id = Url::parse(&format!("{base}/users/remote")).unwrap();
    let mut document = actor_document("Person", &actor_id, "remote", &keys.public_key);
    document["name"] = json!("Remote \u{202E}Person");
    document["url"] = json!(format!("{base}/@remote"));
    let data = PeerData::default();
    let received = data.received.clone();
    let config = FederationConfig::builder()
        .domain(base.trim_start_matches("http://"))
        .app_data(data)
        .debug(true)
        .http_signature_compat(true)
        .build()
        .await
        .unwrap();
    let group_id = Url::parse(&format!("{base}/groups/club")).unwrap();
    let mut group_document = actor_document("Group", &group_id, "club", &keys.public_key);
    group_document["name"] = json!("The Club");
    let inbox_config = config.clone();
    let finger = json!({
        "subject": format!("acct:remote@{}", base.trim_start_matches("http://")),
        "links": [
            {"rel": "self", "type": "application/activity+json", "href": actor_id},
            {"rel": "http://ostatus.org/schema/1.0/subscribe", "template": format!("{base}/authorize_interaction?uri={{uri}}")},
        ],
    });
    let objects: Arc<Mutex<std::collections::HashMap<String, Value>>> = Arc::default();
    let fetch_signatures: Arc<Mutex<Vec<String>>> = Arc::default();
    let signatures = fetch_signatures.clone();
    let served = objects.clone();
    let app = Router::new()
        .route(
            "/objects/{name}",
            get(
                move |axum::extract::Path(name): axum::extract::Path<String>| {
                    let found = served.lock().unwrap().get(&name).cloned();
                    async move {
                        match found {
                            Some(object) => (
                                StatusCode::OK,
                                [("content-type", "application/activity+json")],
                                object.to_string(),
                            ),
                            None => (
                                StatusCode::NOT_FOUND,
                                [("content-type", "application/activity+json")],
                                "{}".to_owned(),
                            ),
                        }
                    }
                },
            ),
        )
        .route(
            "/.well-known/webfinger",
            serve("application/jrd+json", finger),
        )
        .route(
            "/users/remote",
            get(move |headers: axum::http::HeaderMap| {
                let document = document.clone();
                if let Some(signature) = headers.get("signature").and_then(|v| v.to_str().ok()) {
                    signatures.lock().unwrap().push(signature.to_owned());
                }
                async move {
                    (
                        [("content-type", "application/activity+json")],
                        document.to_string(),
                    )
                }
            }),
        )
        .route(
            "/groups/club",
            serve("application/activity+json", group_document),
        )
        .route("/users/remote/inbox", post(peer_inbox))
        .route("/groups/club/inbox", post(peer_inbox))
        .with_state(inbox_config);
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Peer {
        fetch_signatures,
        objects,
        group: SomeActor {
            inbox: Url::parse(&format!("{group_id}/inbox")).unwrap(),
            id: group_id,
            public_key: keys.public_key.clone(),
            private_key: Some(keys.private_key.clone()),
        },
        actor: SomeActor {
            inbox: Url::parse(&format!("{base}/users/remote/inbox")).unwrap(),
            id: actor_id,
            public_key: keys.public_key,
            private_key: Some(keys.private_key),
        },
        base,
        config,
        received,
    }
}

/// A route that answers every GET with the same document.
fn serve(
    content_type: &'static str,
    document: Value,
) -> axum::routing::MethodRouter<FederationConfig<PeerData>> {
    let body = document.to_string();
    get(move || {
        let body = body.clone();
        async move { ([("content-type", content_type)], body) }
    })
}

/// The peer's inboxes: what verifies is kept, anything else gets 401.
async fn peer_inbox(
    State(config): State<FederationConfig<PeerData>>,
    activity: ActivityData,
) -> StatusCode {
    let data = config.to_request_data();
    match receive_activity::<WithContext<AnyActivity>, SomeActor, PeerData>(activity, &data).await {
        Ok(()) => StatusCode::ACCEPTED,
        Err(_) => StatusCode::UNAUTHORIZED,
    }
}

impl Peer {
    /// Signs and sends an activity as the peer's person; Ok when the receiver answered 2xx.
    pub(crate) async fn send(&self, activity: Value, inbox: &str) -> Result<(), String> {
        self.send_as(&self.actor, activity, inbox).await
    }

    /// Signs and sends an activity as one of the peer's actors.
    async fn send_as(&self, actor: &SomeActor, activity: Value, inbox: &str) -> Result<(), String> {
        let activity: AnyActivity = serde_json::from_value(activity).unwrap();
        let data = self.config.to_request_data();
        let tasks =
            SendActivityTask::prepare(&activity, actor, vec![Url::parse(inbox).unwrap()], &data)
                .await
                .map_err(|e| e.to_string())?;
        assert_eq!(tasks.len(), 1, "the inbox is remote to the peer");
        tasks[0]
            .sign_and_send(&data)
            .await
            .map_err(|e| e.to_string())
    }

    pub(crate) async fn wait_for(&self, kind: &str) -> Value {
        for _ in 0..200 {
            if let Some(found) = self
                .received
                .lock()
                .unwrap()
                .iter()
                .find(|a| a["type"] == kind)
            {
                return found.clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the peer received no {kind}");
    }
}

async fn followers(app: &TestApp, slug: &str) -> u64 {
    let forum = stoa_db::queries::forums::by_slug(&app.db, slug)
        .await
        .unwrap()
        .unwrap();
    stoa_db::queries::followers::count(&app.db, forum.id)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_remote_person_follows_a_forum_gets_a_signed_accept_and_undoes_it() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer().await;
    let forum = app.url("/f/books");
    let inbox = app.url("/f/books/inbox");
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/follows/1", peer.base),
        "type": "Follow",
        "actor": peer.actor.id,
        "object": forum,
    });

    // Unsigned: refused with 401, nothing stored.
    let response = app
        .api()
        .client
        .post(&inbox)
        .header("content-type", "application/activity+json")
        .body(follow.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(followers(&app, "books").await, 0);

    peer.send(follow.clone(), &inbox)
        .await
        .expect("a signed Follow is accepted");
    assert_eq!(followers(&app, "books").await, 1);
    // Stoa fetched the follower's actor with a request signed by its instance actor (FEP-2677),
    // as servers in authorized-fetch mode require.
    let signatures = peer.fetch_signatures.lock().unwrap().clone();
    assert!(
        signatures
            .iter()
            .any(|s| s.contains(&format!(r#"keyId="{}#main-key""#, app.url("/actor")))),
        "{signatures:?}"
    );

    // The remote person is cached under its handle, with a cleaned display name.
    let host = peer.base.trim_start_matches("http://");
    let cached = stoa_db::queries::users::by_name(&app.db, &format!("remote@{host}"))
        .await
        .unwrap()
        .unwrap();
    assert!(!cached.local);
    assert_eq!(cached.display_name.as_deref(), Some("Remote Person"));
    assert_eq!(cached.ap_id.as_deref(), Some(peer.actor.id.as_str()));

    // The forum answers with an Accept, signed with the key it publishes (the peer checks it).
    let accept = peer.wait_for("Accept").await;
    assert_eq!(accept["actor"], forum);
    assert_eq!(accept["object"]["id"], follow["id"]);
    assert_eq!(accept["object"]["type"], "Follow");

    // The forum page counts its followers.
    let page = app.browser().get("/f/books").await;
    assert!(
        page.body.contains("1 follower"),
        "follower count on the forum page"
    );

    // Following twice keeps one follower.
    let again = json!({"id": format!("{}/follows/2", peer.base), "type": "Follow", "actor": peer.actor.id, "object": forum});
    peer.send(again, &inbox).await.unwrap();
    assert_eq!(followers(&app, "books").await, 1);

    let undo = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/undos/1", peer.base),
        "type": "Undo",
        "actor": peer.actor.id,
        "object": follow,
    });
    peer.send(undo, &app.url("/inbox"))
        .await
        .expect("Undo through the shared inbox");
    assert_eq!(followers(&app, "books").await, 0);
}

#[tokio::test]
async fn tampered_bodies_and_unknown_forums_are_refused() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer().await;
    let follow = json!({
        "id": format!("{}/follows/9", peer.base),
        "type": "Follow",
        "actor": peer.actor.id,
        "object": app.url("/f/no-such-forum"),
    });
    // The inbox answers 404; senders count a 4xx as final, so only the outcome shows it.
    peer.send(follow, &app.url("/f/books/inbox")).await.unwrap();
    assert_eq!(followers(&app, "books").await, 0);
    assert!(
        stoa_db::queries::deliveries::all(&app.db)
            .await
            .unwrap()
            .is_empty(),
        "no Accept queued"
    );

    // A body that is not the one the signature's digest covers is refused with 401.
    let response = app
        .api()
        .client
        .post(app.url("/inbox"))
        .header("content-type", "application/activity+json")
        .header("digest", "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        .header("signature", format!(r#"keyId="{}#main-key",headers="(request-target) host date digest",signature="AAAA""#, peer.actor.id))
        .header("date", httpdate_now())
        .body(r#"{"id":"x","type":"Follow"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // A signed request from more than an hour ago is not replayed.
    let response = app
        .api()
        .client
        .post(app.url("/inbox"))
        .header("content-type", "application/activity+json")
        .header("digest", "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        .header("signature", format!(r#"keyId="{}#main-key",headers="(request-target) host date digest",signature="AAAA""#, peer.actor.id))
        .header("date", (chrono::Utc::now() - chrono::Duration::hours(3)).format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["detail"].as_str().unwrap().contains("away from now"),
        "{body}"
    );

    // Oversized bodies never reach the parser.
    let response = app
        .api()
        .client
        .post(app.url("/inbox"))
        .header("content-type", "application/activity+json")
        .body(vec![b' '; 300 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

fn httpdate_now() -> String {
    chrono::Utc::now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

impl Peer {
    pub(crate) async fn wait_for_matching(
        &self,
        what: &str,
        matches: impl Fn(&Value) -> bool,
    ) -> Value {
        for _ in 0..200 {
            if let Some(found) = self.received.lock().unwrap().iter().find(|a| matches(a)) {
                return found.clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "the peer received no {what}; it has {:#?}",
            self.received.lock().unwrap()
        );
    }
}

#[tokio::test]
async fn a_forum_rebroadcasts_threads_replies_edits_and_deletes_to_its_followers() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer().await;
    let forum = app.url("/f/books");
    let follow = json!({"id": format!("{}/follows/1", peer.base), "type": "Follow", "actor": peer.actor.id, "object": forum});
    peer.send(follow, &app.url("/f/books/inbox")).await.unwrap();
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
    let note = json!({
        "id": note_id,
        "type": "Note",
        "attributedTo": peer.actor.id,
        "inReplyTo": page_id,
        "content": "<p>From afar. <script>alert(1)</script><b>bold</b></p>",
        "to": [app.url("/u/alice")],
    });
    let create = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/creates/1", peer.base),
        "type": "Create",
        "actor": peer.actor.id,
        "object": note,
        "to": [app.url("/u/alice")],
    });
    peer.send(create.clone(), &app.url("/u/alice/inbox"))
        .await
        .unwrap();
    // The same activity again is stored once.
    peer.send(create, &app.url("/inbox")).await.unwrap();

    // A reply to a local reply nests under it.
    let nested = json!({
        "id": format!("{}/creates/2", peer.base),
        "type": "Create",
        "actor": peer.actor.id,
        "object": {
            "id": format!("{}/notes/2", peer.base),
            "type": "Note",
            "attributedTo": peer.actor.id,
            "inReplyTo": app.url(&format!("/p/{local_reply}")),
            "content": "<p>Under Bob.</p>",
        },
    });
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
    let update = json!({
        "id": format!("{}/updates/1", peer.base),
        "type": "Update",
        "actor": peer.actor.id,
        "object": {"id": note_id, "type": "Note", "attributedTo": peer.actor.id, "inReplyTo": page_id, "content": "<p>Edited from afar.</p>"},
    });
    peer.send(update, &app.url("/inbox")).await.unwrap();
    let (_, view) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    assert!(view.to_string().contains("Edited from afar."));

    // … but cannot edit someone else's post: the local reply stays as it was.
    let hijack = json!({
        "id": format!("{}/updates/2", peer.base),
        "type": "Update",
        "actor": peer.actor.id,
        "object": {"id": app.url(&format!("/p/{local_reply}")), "type": "Note", "attributedTo": peer.actor.id, "content": "<p>hijacked</p>"},
    });
    peer.send(hijack, &app.url("/inbox")).await.unwrap();
    let (_, view) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    assert!(!view.to_string().contains("hijacked"));

    // … and deletes it: a placeholder keeps its place.
    let delete = json!({
        "id": format!("{}/deletes/1", peer.base),
        "type": "Delete",
        "actor": peer.actor.id,
        "object": {"id": note_id, "type": "Tombstone"},
    });
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
        let create = json!({
            "id": format!("{}/creates/{n}", peer.base),
            "type": "Create",
            "actor": peer.actor.id,
            "object": {
                "id": format!("{}/notes/{n}", peer.base),
                "type": "Note",
                "attributedTo": peer.actor.id,
                "inReplyTo": parent,
                "content": format!("<p>Reply {n}.</p>"),
            },
        });
        // Each activity twice at once, as two inboxes of ours might receive it.
        for _ in 0..2 {
            let (peer, create, inbox) = (peer.clone(), create.clone(), app.url("/inbox"));
            sends.spawn(async move { peer.send(create, &inbox).await });
        }
    }
    // One to a post that does not exist, in the same burst: refused, the others unharmed.
    let orphan = json!({
        "id": format!("{}/creates/orphan", peer.base),
        "type": "Create",
        "actor": peer.actor.id,
        "object": {
            "id": format!("{}/notes/orphan", peer.base),
            "type": "Note",
            "attributedTo": peer.actor.id,
            "inReplyTo": app.url("/p/999999"),
            "content": "<p>Orphan.</p>",
        },
    });
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

/// A Follow of a remote forum that gets no answer is sent again after a while (Lemmy drops
/// the first Follow from a server it has not seen), a bounded number of times; a Reject from
/// the forum ends the subscription, and an answer from anyone else is refused.
#[tokio::test]
async fn an_unanswered_follow_is_sent_again_and_a_reject_ends_it() {
    use stoa_core::follows::{MAX_SENDS, RESEND_AFTER};
    use stoa_federation::following::resend_pending;
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer().await;
    let ada = app.member("ada").await;
    let (status, followed) = ada
        .post("/api/v1/follows", json!({"forum": peer.group.id}))
        .await;
    assert_eq!(status, StatusCode::OK, "{followed}");
    assert_eq!(followed["state"], "pending");
    let follow = peer.wait_for("Follow").await;
    assert_eq!(follow["object"], peer.group.id.as_str());
    let follows = || {
        peer.received
            .lock()
            .unwrap()
            .iter()
            .filter(|a| a["type"] == "Follow")
            .count()
    };

    // Not yet due: nothing is sent again.
    let data = app.state.federation.to_request_data();
    let mut now = chrono::Utc::now();
    assert_eq!(resend_pending(&data, now).await.unwrap(), 0);
    // Each time it is due it goes out again, as a new Follow (Lemmy drops an activity id it has
    // seen), until it was sent MAX_SENDS times.
    for sends in 2..=MAX_SENDS as usize {
        now += RESEND_AFTER + chrono::Duration::seconds(1);
        assert_eq!(resend_pending(&data, now).await.unwrap(), 1);
        for _ in 0..200 {
            if follows() == sends {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(follows(), sends, "the Follow was sent {sends} times");
    }
    let mut ids: Vec<String> = peer
        .received
        .lock()
        .unwrap()
        .iter()
        .filter(|a| a["type"] == "Follow")
        .map(|a| a["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), MAX_SENDS as usize, "a new id each time: {ids:?}");
    now += RESEND_AFTER * 10;
    assert_eq!(resend_pending(&data, now).await.unwrap(), 0, "no more");

    // Only the forum answers its Follow: a Reject signed by someone else changes nothing.
    let reject = |by: &Url| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{by}/rejects/1"),
            "type": "Reject",
            "actor": by,
            "object": follow.clone(),
        })
    };
    // (The sending library counts a 4xx as delivered, so the outcome is what is checked.)
    let _ = peer.send(reject(&peer.actor.id), &app.url("/inbox")).await;
    let (_, list) = ada.get("/api/v1/follows").await;
    assert_eq!(list["forums"][0]["state"], "pending", "{list:#}");

    // The forum's Reject ends it, though it answers the first Follow, whose id is no longer the
    // one stored: the embedded Follow names who follows what.
    peer.send_as(
        &peer.group,
        reject(&peer.group.id),
        &app.url("/u/ada/inbox"),
    )
    .await
    .unwrap();
    let (_, list) = ada.get("/api/v1/follows").await;
    assert_eq!(list["forums"], json!([]), "{list:#}");
    now += RESEND_AFTER * 10;
    assert_eq!(resend_pending(&data, now).await.unwrap(), 0);
}

#[tokio::test]
async fn in_production_loopback_peers_are_never_fetched() {
    let app = TestApp::spawn_with(Options {
        base_url: None,
        host: Some("localhost"),
        production_federation: true,
        delivery_worker: true,
        authorized_fetch: false,
    })
    .await;
    let peer = start_peer().await;
    let follow = json!({"id": format!("{}/follows/1", peer.base), "type": "Follow", "actor": peer.actor.id, "object": app.url("/f/books")});
    // The peer's signed Follow names an http actor on loopback: refused, nothing fetched or stored.
    peer.send(follow, &app.url("/f/books/inbox")).await.unwrap();
    assert_eq!(followers(&app, "books").await, 0);
    let host = peer.base.trim_start_matches("http://");
    assert!(
        stoa_db::queries::users::by_name(&app.db, &format!("remote@{host}"))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn likes_from_elsewhere_are_counted_once_and_announced() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer().await;
    let follow = json!({"id": format!("{}/follows/1", peer.base), "type": "Follow", "actor": peer.actor.id, "object": app.url("/f/books")});
    peer.send(follow, &app.url("/f/books/inbox")).await.unwrap();
    let alice = app.member("alice").await;
    let (thread, _) = alice.thread("books", "Likeable", "x").await;
    let like = json!({"id": format!("{}/likes/1", peer.base), "type": "Like", "actor": peer.actor.id, "object": app.url(&format!("/t/{thread}"))});
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

    let undo = json!({"id": format!("{}/undos/9", peer.base), "type": "Undo", "actor": peer.actor.id, "object": like});
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
    let page = json!({
        "id": format!("{}/creates/page", peer.base),
        "type": "Create",
        "actor": peer.actor.id,
        "object": {
            "id": format!("{}/pages/1", peer.base),
            "type": "Page",
            "attributedTo": peer.actor.id,
            "name": "Books that changed your mind",
            "content": "<p>Mine was <em>Middlemarch</em>.</p>",
            "to": [forum, "https://www.w3.org/ns/activitystreams#Public"],
            "audience": forum,
        },
    });
    peer.send(page, &app.url("/f/books/inbox")).await.unwrap();
    // A Note without a title that mentions the forum (as Mastodon sends): its first line is the title.
    let note = json!({
        "id": format!("{}/creates/note", peer.base),
        "type": "Create",
        "actor": peer.actor.id,
        "object": {
            "id": format!("{}/notes/77", peer.base),
            "type": "Note",
            "attributedTo": peer.actor.id,
            "content": "<p><a href=\"x\">@books</a> Any good short stories?</p><p>Looking for ideas.</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "tag": [{"type": "Mention", "href": forum, "name": "@books"}],
        },
    });
    peer.send(note, &app.url("/inbox")).await.unwrap();
    // A post naming no forum here starts nothing.
    let stray = json!({
        "id": format!("{}/creates/stray", peer.base),
        "type": "Create",
        "actor": peer.actor.id,
        "object": {"id": format!("{}/notes/78", peer.base), "type": "Note", "attributedTo": peer.actor.id, "content": "<p>hello world</p>", "to": ["https://www.w3.org/ns/activitystreams#Public"]},
    });
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
async fn visitors_follow_a_forum_from_their_own_server_in_one_step() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer().await;
    let host = peer.base.trim_start_matches("http://").to_owned();
    let page = app.browser().get("/f/books").await;
    assert!(
        page.body.contains(r#"action="/f/books/follow""#),
        "the form is on the forum page"
    );
    let page = app
        .browser()
        .get(&format!("/f/books/follow?handle=%40remote%40{host}"))
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let target: String =
        url::form_urlencoded::byte_serialize(app.url("/f/books").as_bytes()).collect();
    assert_eq!(
        page.location.unwrap(),
        format!("{}/authorize_interaction?uri={target}", peer.base)
    );

    let page = app
        .browser()
        .get("/f/books/follow?handle=not-a-handle")
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("is not a fediverse handle"));
    // A server that cannot be reached gets a clear message, not an error page of ours.
    let page = app
        .browser()
        .get("/f/books/follow?handle=someone@localhost:1")
        .await;
    assert_eq!(page.status, StatusCode::BAD_GATEWAY);
    assert!(page.body.contains("could not find a follow page"));
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
        json!({"id": parent_id, "type": "Note", "attributedTo": peer.actor.id, "inReplyTo": page_id, "content": "<p>The missing link.</p>"}),
    );
    let create = json!({
        "id": format!("{}/creates/child", peer.base),
        "type": "Create",
        "actor": peer.actor.id,
        "object": {"id": format!("{}/objects/child", peer.base), "type": "Note", "attributedTo": peer.actor.id, "inReplyTo": parent_id, "content": "<p>The child.</p>"},
    });
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
            json!({"id": format!("{}/objects/{name}", peer.base), "type": "Note", "attributedTo": peer.actor.id, "inReplyTo": format!("{}/objects/{other}", peer.base), "content": "<p>loop</p>"}),
        );
    }
    let looping = json!({
        "id": format!("{}/creates/loop", peer.base),
        "type": "Create",
        "actor": peer.actor.id,
        "object": {"id": format!("{}/objects/loop-c", peer.base), "type": "Note", "attributedTo": peer.actor.id, "inReplyTo": format!("{}/objects/loop-a", peer.base), "content": "<p>loop</p>"},
    });
    let sent = tokio::time::timeout(
        Duration::from_secs(20),
        peer.send(looping, &app.url("/inbox")),
    )
    .await;
    assert!(sent.is_ok(), "the loop ends");
    assert_eq!(stoa_db::queries::posts::count(&app.db).await.unwrap(), 3);
}

#[tokio::test]
async fn a_remote_person_updates_their_profile_and_deletes_only_themselves() {
    let app = TestApp::spawn_with(loopback()).await;
    let peer = start_peer().await;
    let alice = app.member("alice").await;
    let (thread, starter) = alice.thread("books", "Profiles", "Say hello.").await;
    let reply = json!({
        "id": format!("{}/creates/1", peer.base),
        "type": "Create",
        "actor": peer.actor.id,
        "object": {
            "id": format!("{}/notes/1", peer.base),
            "type": "Note",
            "attributedTo": peer.actor.id,
            "inReplyTo": app.url(&format!("/t/{thread}")),
            "content": "<p>Hello from afar.</p>",
        },
    });
    peer.send(reply, &app.url("/inbox")).await.unwrap();
    let remote = stoa_db::queries::users::by_ap_id(&app.db, peer.actor.id.as_str())
        .await
        .unwrap()
        .expect("the replying person is known");
    assert_eq!(remote.display_name.as_deref(), Some("Remote Person"));

    // Update{Person}: the new name is kept, cleaned like any remote name.
    let mut profile = json!({
        "id": peer.actor.id,
        "type": "Person",
        "preferredUsername": "remote",
        "name": "Renamed \u{202E}Person",
        "inbox": peer.actor.inbox,
        "publicKey": {
            "id": format!("{}#main-key", peer.actor.id),
            "owner": peer.actor.id,
            "publicKeyPem": peer.actor.public_key,
        },
    });
    let update = json!({
        "id": format!("{}/updates/1", peer.base),
        "type": "Update",
        "actor": peer.actor.id,
        "object": profile.clone(),
    });
    peer.send(update, &app.url("/inbox")).await.unwrap();
    let renamed = stoa_db::queries::users::by_ap_id(&app.db, peer.actor.id.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renamed.display_name.as_deref(), Some("Renamed Person"));

    // Nobody updates or deletes someone else, even on their own server.
    let other_on_peer = format!("{}/users/someone-else", peer.base);
    let other = stoa_db::queries::users::upsert_remote(
        &app.db,
        stoa_db::queries::users::RemoteActor {
            ap_id: &other_on_peer,
            name: "someone-else@peer",
            display_name: None,
            inbox_url: &format!("{other_on_peer}/inbox"),
            shared_inbox_url: None,
            profile_url: &other_on_peer,
            avatar_url: None,
            public_key: "unused",
            now: chrono::Utc::now(),
        },
    )
    .await
    .unwrap();
    let others_post = stoa_core::replies::reply_one(
        &app.db,
        stoa_core::replies::NewReply {
            author: stoa_core::Actor::from(&other),
            target: stoa_core::replies::ReplyTarget::InThread {
                thread_id: thread,
                post_id: starter,
            },
            content: stoa_core::posts::Content::remote(
                "<p>Someone else.</p>",
                None,
                &format!("{}/notes/other", peer.base),
            )
            .unwrap(),
        },
    )
    .await
    .unwrap();
    profile["id"] = json!(other_on_peer);
    profile["name"] = json!("Hijacked");
    profile["inbox"] = json!(format!("{other_on_peer}/inbox"));
    let hijack = json!({
        "id": format!("{}/updates/2", peer.base),
        "type": "Update",
        "actor": peer.actor.id,
        "object": profile,
    });
    let _ = peer.send(hijack, &app.url("/inbox")).await;
    let unchanged = stoa_db::queries::users::by_ap_id(&app.db, &other_on_peer)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unchanged.display_name, None);
    let delete_other = json!({
        "id": format!("{}/deletes/1", peer.base),
        "type": "Delete",
        "actor": peer.actor.id,
        "object": other_on_peer,
    });
    let _ = peer.send(delete_other, &app.url("/inbox")).await;

    // Delete{Person} of itself: its posts become placeholders.
    let delete_self = json!({
        "id": format!("{}/deletes/2", peer.base),
        "type": "Delete",
        "actor": peer.actor.id,
        "object": peer.actor.id,
    });
    peer.send(delete_self, &app.url("/inbox")).await.unwrap();
    let (_, view) = app.api().get(&format!("/api/v1/threads/{thread}")).await;
    let posts = view["posts"].as_array().unwrap();
    assert_eq!(posts.len(), 3);
    assert_eq!(posts[0]["id"], starter);
    assert_eq!(posts[0]["deleted"], false);
    let deleted = |id: i64| posts.iter().find(|p| p["id"] == id).unwrap()["deleted"] == true;
    assert!(
        !deleted(others_post.post_id),
        "someone else's post stays: {view:#}"
    );
    let peers_post = posts
        .iter()
        .find(|p| p["id"] != starter && p["id"] != others_post.post_id)
        .unwrap();
    assert_eq!(peers_post["deleted"], true, "{view:#}");
}
