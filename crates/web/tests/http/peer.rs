//! A peer server for the federation tests, built on activitypub_federation: its own keys,
//! actor documents (a person and a group) and an inbox that keeps only what verifies, so that
//! every activity Stoa sends is checked against the key Stoa publishes.

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

use crate::common::TestApp;
use crate::wire;

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
    pub(crate) inbox: Url,
    pub(crate) public_key: String,
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
    pub(crate) fetch_signatures: Arc<Mutex<Vec<String>>>,
    /// Objects the peer serves at `/objects/{name}`.
    pub(crate) objects: Arc<Mutex<std::collections::HashMap<String, Value>>>,
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

/// A peer on a chosen port (0: any free one).
pub(crate) async fn start_peer_on(port: u16) -> Peer {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let base = format!("http://localhost:{}", listener.local_addr().unwrap().port());
    let keys = generate_actor_keypair().unwrap();
    let actor_id = Url::parse(&format!("{base}/users/remote")).unwrap();
    let mut document = wire::actor_document("Person", &actor_id, "remote", &keys.public_key);
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
    let mut group_document = wire::actor_document("Group", &group_id, "club", &keys.public_key);
    group_document["name"] = json!("The Club");
    // Its moderators, as Lemmy lists them: a test serves the collection at `/objects/moderators`.
    group_document["attributedTo"] = json!(format!("{base}/objects/moderators"));
    // Its history: a test serves the collection at `/objects/outbox`.
    group_document["outbox"] = json!(format!("{base}/objects/outbox"));
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

    /// Signs and posts an activity as the peer's person, and gives the receiver's status and
    /// answer: for what must be answered with a particular status, not merely taken.
    pub(crate) async fn post_status(&self, activity: &Value, inbox: &str) -> (StatusCode, String) {
        use stoa_federation::signatures::{PrivateKey, Scheme, post_headers};
        let key = PrivateKey::from_pem(self.actor.private_key.as_deref().unwrap()).unwrap();
        let body = activity.to_string();
        let url = Url::parse(inbox).unwrap();
        let key_id = format!("{}#main-key", self.actor.id);
        let headers = post_headers(
            Scheme::Cavage,
            &url,
            body.as_bytes(),
            &key_id,
            &key,
            std::time::SystemTime::now(),
        )
        .unwrap();
        let mut request = reqwest::Client::new().post(url).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        (response.status(), response.text().await.unwrap_or_default())
    }

    /// Signs and sends an activity as one of the peer's actors.
    pub(crate) async fn send_as(
        &self,
        actor: &SomeActor,
        activity: Value,
        inbox: &str,
    ) -> Result<(), String> {
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

impl Peer {
    /// The peer's person follows the forum `books` (the Follow `{base}/follows/1`).
    pub(crate) async fn follow_books(&self, app: &TestApp) {
        let follow = crate::wire::follow(
            &self.actor.id,
            &format!("{}/follows/1", self.base),
            &app.url("/f/books"),
        );
        self.send(follow, &app.url("/f/books/inbox")).await.unwrap();
    }
}

/// How many followers a forum here has.
pub(crate) async fn followers(app: &TestApp, slug: &str) -> u64 {
    let forum = stoa_db::queries::forums::by_slug(&app.db, slug)
        .await
        .unwrap()
        .unwrap();
    stoa_db::queries::followers::count(&app.db, forum.id)
        .await
        .unwrap()
}
