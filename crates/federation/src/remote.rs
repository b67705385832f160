//! Remote actors (people on Mastodon, Lemmy, …): fetched, verified and cached in the `users`
//! table with `local = false` and `name = user@host`.

use activitypub_federation::config::Data;
use activitypub_federation::kinds::actor::PersonType;
use activitypub_federation::protocol::public_key::PublicKey;
use activitypub_federation::protocol::verification::verify_domains_match;
use activitypub_federation::traits::{Actor, Object};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use stoa_core::text::{TextKind, clean};
use stoa_db::queries::{forums, users};
use stoa_db::{forum, user};
use url::Url;

use crate::data::FedData;
use crate::error::FedError;

/// A cached actor of another server, with its id parsed.
#[derive(Debug, Clone)]
pub struct RemoteUser {
    pub row: user::Model,
    pub id: Url,
}

/// An actor document as other servers send it: only what Stoa uses, the rest ignored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorDocument {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    pub preferred_username: String,
    #[serde(default)]
    pub name: Option<String>,
    pub inbox: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox: Option<Url>,
    #[serde(default)]
    pub endpoints: Option<ActorEndpoints>,
    #[serde(default)]
    pub url: Option<serde_json::Value>,
    #[serde(default)]
    pub icon: Option<serde_json::Value>,
    pub public_key: PublicKey,
    /// A group's description (HTML), which Stoa shows as a remote forum's purpose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// A forum of another Stoa: the forum group its server files it under.
    #[serde(
        default,
        rename = "forumGroup",
        deserialize_with = "crate::objects::lenient::first_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub forum_group: Option<Url>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorEndpoints {
    #[serde(default)]
    pub shared_inbox: Option<Url>,
}

/// The actor's shared inbox, kept only when it is on the actor's own server: a shared inbox
/// elsewhere would let one actor aim this server's deliveries at a third party.
fn own_shared_inbox(json: &ActorDocument) -> Option<&Url> {
    json.endpoints
        .as_ref()
        .and_then(|e| e.shared_inbox.as_ref())
        .filter(|inbox| same_server(inbox, &json.id))
}

/// Whether two URLs are on the same server: host and port.
pub fn same_server(a: &Url, b: &Url) -> bool {
    a.host_str().is_some()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// `user@host` (with the port when the id has one): how Stoa names a remote member.
fn handle(preferred_username: &str, id: &Url) -> String {
    let host = id.host_str().unwrap_or("unknown");
    let name = clean(preferred_username, 64, TextKind::Handle);
    match id.port() {
        Some(port) => format!("{name}@{host}:{port}"),
        None => format!("{name}@{host}"),
    }
}

fn first_url(value: &Option<serde_json::Value>) -> Option<String> {
    match value.as_ref()? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(map) => map
            .get("url")
            .or_else(|| map.get("href"))
            .and_then(|v| v.as_str().map(str::to_owned)),
        serde_json::Value::Array(items) => items.iter().find_map(|i| first_url(&Some(i.clone()))),
        _ => None,
    }
}

#[async_trait::async_trait]
impl Object for RemoteUser {
    type DataType = FedData;
    type Kind = ActorDocument;
    type Error = FedError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        self.row.last_refreshed_at
    }

    async fn read_from_id(id: Url, data: &Data<FedData>) -> Result<Option<Self>, FedError> {
        if let Some(row) = data.actors.get(id.as_str()) {
            return Ok(Some(RemoteUser { row, id }));
        }
        let row = users::by_ap_id(&data.db, id.as_str()).await?;
        if let Some(row) = &row {
            data.actors.put(row);
        }
        Ok(row.map(|row| RemoteUser { row, id }))
    }

    async fn into_json(self, _data: &Data<FedData>) -> Result<ActorDocument, FedError> {
        Ok(ActorDocument {
            kind: PersonType::Person.to_string(),
            preferred_username: self
                .row
                .name
                .split('@')
                .next()
                .unwrap_or_default()
                .to_owned(),
            name: self.row.display_name.clone(),
            inbox: Url::parse(self.row.inbox_url.as_deref().unwrap_or_default())
                .map_err(|e| FedError::Rejected(e.to_string()))?,
            outbox: None,
            endpoints: None,
            url: self.row.profile_url.clone().map(serde_json::Value::String),
            icon: None,
            public_key: PublicKey {
                id: format!("{}#main-key", self.id),
                owner: self.id.clone(),
                public_key_pem: self.row.public_key.clone().unwrap_or_default(),
            },
            summary: None,
            forum_group: None,
            id: self.id,
        })
    }

    async fn verify(
        json: &ActorDocument,
        expected_domain: &Url,
        _data: &Data<FedData>,
    ) -> Result<(), FedError> {
        verify_actor_document(json, expected_domain)
    }

    async fn from_json(json: ActorDocument, data: &Data<FedData>) -> Result<Self, FedError> {
        if data.urls.is_local(&json.id) {
            return Err(FedError::Rejected(
                "a local actor cannot come from elsewhere".into(),
            ));
        }
        let name = handle(&json.preferred_username, &json.id);
        let display = json.name.as_deref().map(|n| clean(n, 100, TextKind::Line));
        let profile = first_url(&json.url).unwrap_or_else(|| json.id.to_string());
        let avatar = first_url(&json.icon);
        let row = users::upsert_remote(
            &data.db,
            users::RemoteActor {
                ap_id: json.id.as_str(),
                name: &name,
                display_name: display.as_deref().filter(|d| !d.is_empty()),
                inbox_url: json.inbox.as_str(),
                shared_inbox_url: own_shared_inbox(&json).map(Url::as_str),
                profile_url: &profile,
                avatar_url: avatar.as_deref(),
                public_key: &json.public_key.public_key_pem,
                now: Utc::now(),
            },
        )
        .await?;
        data.actors.put(&row);
        Ok(RemoteUser { row, id: json.id })
    }
}

impl Actor for RemoteUser {
    fn public_key_pem(&self) -> &str {
        self.row.public_key.as_deref().unwrap_or_default()
    }

    fn private_key_pem(&self) -> Option<String> {
        None
    }

    fn inbox(&self) -> Url {
        self.row
            .inbox_url
            .as_deref()
            .and_then(|u| Url::parse(u).ok())
            .unwrap_or_else(|| self.id.clone())
    }

    fn shared_inbox(&self) -> Option<Url> {
        self.row
            .shared_inbox_url
            .as_deref()
            .and_then(|u| Url::parse(u).ok())
    }
}

/// An actor document must come from the server it names, with its own key.
fn verify_actor_document(json: &ActorDocument, expected_domain: &Url) -> Result<(), FedError> {
    verify_domains_match(&json.id, expected_domain)?;
    verify_domains_match(&json.inbox, expected_domain)?;
    if json.public_key.owner != json.id {
        return Err(FedError::Rejected(
            "the key belongs to another actor".into(),
        ));
    }
    Ok(())
}

/// Longest purpose kept of a remote forum's description.
const REMOTE_PURPOSE_CHARS: usize = 500;

/// A forum of another server (a `Group`), cached in the `forums` table with `local = false` and
/// `slug = name@host`, so that its threads can live here beside ours.
#[derive(Debug, Clone)]
pub struct RemoteForum {
    pub row: forum::Model,
    pub id: Url,
}

/// Where to deliver to a remote forum: its server's shared inbox when it has one. An inbox on
/// another host than the forum's own is never used, whatever was stored.
pub fn forum_inbox(forum: &forum::Model) -> Option<Url> {
    let id = Url::parse(forum.ap_id.as_deref()?).ok()?;
    [
        forum.shared_inbox_url.as_deref(),
        forum.inbox_url.as_deref(),
    ]
    .into_iter()
    .flatten()
    .filter_map(|u| Url::parse(u).ok())
    .find(|inbox| same_server(inbox, &id))
}

/// Where to deliver to a remote member: their own inbox, else their server's shared inbox —
/// never one on another host than their own, whatever was stored.
pub fn user_inbox(user: &user::Model) -> Option<Url> {
    let id = Url::parse(user.ap_id.as_deref()?).ok()?;
    [user.inbox_url.as_deref(), user.shared_inbox_url.as_deref()]
        .into_iter()
        .flatten()
        .filter_map(|u| Url::parse(u).ok())
        .find(|inbox| same_server(inbox, &id))
}

#[async_trait::async_trait]
impl Object for RemoteForum {
    type DataType = FedData;
    type Kind = ActorDocument;
    type Error = FedError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        self.row.last_refreshed_at
    }

    async fn read_from_id(id: Url, data: &Data<FedData>) -> Result<Option<Self>, FedError> {
        Ok(forums::by_ap_id(&data.db, id.as_str())
            .await?
            .filter(|f| !f.local)
            .map(|row| RemoteForum { row, id }))
    }

    async fn into_json(self, _data: &Data<FedData>) -> Result<ActorDocument, FedError> {
        Err(FedError::Rejected(
            "a remote forum is served by its own server".into(),
        ))
    }

    async fn verify(
        json: &ActorDocument,
        expected_domain: &Url,
        _data: &Data<FedData>,
    ) -> Result<(), FedError> {
        if json.kind != "Group" {
            return Err(FedError::Rejected(format!(
                "{} is a {}, not a forum",
                json.id, json.kind
            )));
        }
        verify_actor_document(json, expected_domain)
    }

    async fn from_json(json: ActorDocument, data: &Data<FedData>) -> Result<Self, FedError> {
        if data.urls.is_local(&json.id) {
            return Err(FedError::Rejected(
                "a local forum cannot come from elsewhere".into(),
            ));
        }
        let slug = handle(&json.preferred_username, &json.id);
        let name = json
            .name
            .as_deref()
            .map(|n| clean(n, 200, TextKind::Line))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| slug.clone());
        // The description is remote HTML: only its text is kept.
        let purpose = stoa_core::markdown::excerpt(
            json.summary.as_deref().unwrap_or_default(),
            REMOTE_PURPOSE_CHARS,
        );
        let purpose = clean(&purpose, REMOTE_PURPOSE_CHARS, TextKind::Line);
        let profile = first_url(&json.url).unwrap_or_else(|| json.id.to_string());
        let group = match &json.forum_group {
            Some(group) => forum_group_name(data, group, &json.id).await,
            None => Some(None),
        };
        let row = forums::upsert_remote(
            &data.db,
            forums::RemoteForum {
                ap_id: json.id.as_str(),
                slug: &slug,
                name: &name,
                purpose: &purpose,
                inbox_url: json.inbox.as_str(),
                shared_inbox_url: own_shared_inbox(&json).map(Url::as_str),
                profile_url: &profile,
                public_key: &json.public_key.public_key_pem,
                group: group.as_ref().map(|g| g.as_deref()),
                now: Utc::now(),
            },
        )
        .await?;
        Ok(RemoteForum { row, id: json.id })
    }
}

/// The name of the forum group a forum of another Stoa is filed under, read from the group's
/// collection on the forum's own server: `Some(None)` for a group elsewhere or without a name,
/// `None` when it could not be read now (what was known is kept; the forum is taken anyway).
async fn forum_group_name(
    data: &Data<FedData>,
    group: &Url,
    forum: &Url,
) -> Option<Option<String>> {
    if !same_server(group, forum) {
        return Some(None);
    }
    #[derive(serde::Deserialize)]
    struct Named {
        name: Option<String>,
    }
    let fetched: Named = activitypub_federation::fetch::fetch_object_http(group, data)
        .await
        .ok()?
        .object;
    Some(
        fetched
            .name
            .map(|name| clean(&name, 200, TextKind::Line))
            .filter(|name| !name.is_empty()),
    )
}

impl Actor for RemoteForum {
    fn public_key_pem(&self) -> &str {
        self.row.public_key.as_deref().unwrap_or_default()
    }

    fn private_key_pem(&self) -> Option<String> {
        None
    }

    fn inbox(&self) -> Url {
        self.row
            .inbox_url
            .as_deref()
            .and_then(|u| Url::parse(u).ok())
            .unwrap_or_else(|| self.id.clone())
    }

    fn shared_inbox(&self) -> Option<Url> {
        self.row
            .shared_inbox_url
            .as_deref()
            .and_then(|u| Url::parse(u).ok())
    }
}

/// Whoever signs an activity sent here: a person, or a forum re-broadcasting (FEP-1b12).
#[derive(Debug, Clone)]
pub enum RemoteActor {
    User(RemoteUser),
    Forum(RemoteForum),
}

#[async_trait::async_trait]
impl Object for RemoteActor {
    type DataType = FedData;
    type Kind = ActorDocument;
    type Error = FedError;

    fn id(&self) -> &Url {
        match self {
            RemoteActor::User(user) => &user.id,
            RemoteActor::Forum(forum) => &forum.id,
        }
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        match self {
            RemoteActor::User(user) => user.last_refreshed_at(),
            RemoteActor::Forum(forum) => forum.last_refreshed_at(),
        }
    }

    async fn read_from_id(id: Url, data: &Data<FedData>) -> Result<Option<Self>, FedError> {
        if let Some(user) = RemoteUser::read_from_id(id.clone(), data).await? {
            return Ok(Some(RemoteActor::User(user)));
        }
        Ok(RemoteForum::read_from_id(id, data)
            .await?
            .map(RemoteActor::Forum))
    }

    async fn into_json(self, data: &Data<FedData>) -> Result<ActorDocument, FedError> {
        match self {
            RemoteActor::User(user) => user.into_json(data).await,
            RemoteActor::Forum(forum) => forum.into_json(data).await,
        }
    }

    async fn verify(
        json: &ActorDocument,
        expected_domain: &Url,
        _data: &Data<FedData>,
    ) -> Result<(), FedError> {
        verify_actor_document(json, expected_domain)
    }

    /// A `Group` is kept as a remote forum, anything else as a remote member.
    async fn from_json(json: ActorDocument, data: &Data<FedData>) -> Result<Self, FedError> {
        if json.kind == "Group" {
            Ok(RemoteActor::Forum(
                RemoteForum::from_json(json, data).await?,
            ))
        } else {
            Ok(RemoteActor::User(RemoteUser::from_json(json, data).await?))
        }
    }
}

impl RemoteActor {
    /// Whether an admin here suspended this actor: nothing it sends is taken.
    pub fn is_suspended(&self) -> bool {
        match self {
            RemoteActor::User(user) => {
                user.row.hidden_because.as_deref()
                    == Some(stoa_db::queries::safety::HIDDEN_SUSPENDED)
            }
            RemoteActor::Forum(_) => false,
        }
    }
}

impl Actor for RemoteActor {
    fn public_key_pem(&self) -> &str {
        match self {
            RemoteActor::User(user) => user.public_key_pem(),
            RemoteActor::Forum(forum) => forum.public_key_pem(),
        }
    }

    fn private_key_pem(&self) -> Option<String> {
        None
    }

    fn inbox(&self) -> Url {
        match self {
            RemoteActor::User(user) => user.inbox(),
            RemoteActor::Forum(forum) => forum.inbox(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_carry_the_host() {
        let id = Url::parse("https://mastodon.example/users/ada").unwrap();
        assert_eq!(handle("ada", &id), "ada@mastodon.example");
        let id = Url::parse("http://peer.test:9000/u/bo").unwrap();
        assert_eq!(handle("b@o", &id), "bo@peer.test:9000");
        // Zero-width characters cannot make a second "ada" that looks like the first.
        assert_eq!(handle("a\u{200B}da", &id), "ada@peer.test:9000");
    }
}
