//! Members as `Person`, forums as `Group` (FEP-1b12) and the instance as `Application`
//! (FEP-2677): the wire types and their mapping from stored rows.

use activitypub_federation::kinds::actor::{ApplicationType, GroupType, PersonType};
use activitypub_federation::protocol::context::WithContext;
use activitypub_federation::protocol::public_key::PublicKey;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use stoa_db::{forum, instance_actor, user};
use url::Url;

use crate::urls::Urls;

/// Where an actor receives activities; `sharedInbox` lets a server deliver once per instance.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    pub shared_inbox: Url,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    #[serde(rename = "type")]
    pub kind: PersonType,
    pub id: Url,
    pub preferred_username: String,
    pub name: String,
    pub url: Url,
    pub inbox: Url,
    pub outbox: Url,
    pub followers: Url,
    pub endpoints: Endpoints,
    pub public_key: PublicKey,
    pub published: DateTime<Utc>,
    pub discoverable: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    #[serde(rename = "type")]
    pub kind: GroupType,
    pub id: Url,
    pub preferred_username: String,
    pub name: String,
    /// The statement of purpose, as HTML.
    pub summary: String,
    pub url: Url,
    pub inbox: Url,
    pub outbox: Url,
    pub followers: Url,
    /// A collection of the forum's hosts.
    pub moderators: Url,
    /// The same collection under the name Lemmy 0.19 reads it by.
    pub attributed_to: Url,
    /// The forum group it is filed under here (Stoa's extension): a collection with the
    /// group's name and its forums.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forum_group: Option<Url>,
    pub endpoints: Endpoints,
    pub public_key: PublicKey,
    pub published: DateTime<Utc>,
    /// Anyone may start a thread, not only the hosts.
    pub posting_restricted_to_mods: bool,
    pub discoverable: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    #[serde(rename = "type")]
    pub kind: ApplicationType,
    pub id: Url,
    pub preferred_username: String,
    pub name: String,
    pub url: Url,
    pub inbox: Url,
    pub outbox: Url,
    pub endpoints: Endpoints,
    pub public_key: PublicKey,
    pub published: DateTime<Utc>,
}

/// The JSON-LD context of actor documents. `publicKey` is defined by the security vocabulary:
/// without it, JSON-LD processors (Fedify, for one) drop the key and cannot verify signatures.
/// `forumGroup` is Stoa's own term (see FEDERATION.md), defined under the instance's `/ns#`.
fn actor_context(urls: &Urls) -> serde_json::Value {
    serde_json::json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "lemmy": "https://join-lemmy.org/ns#",
            "toot": "http://joinmastodon.org/ns#",
            "stoa": format!("{}#", urls.path("/ns")),
            "moderators": { "@id": "lemmy:moderators", "@type": "@id" },
            "postingRestrictedToMods": "lemmy:postingRestrictedToMods",
            "discoverable": "toot:discoverable",
            "forumGroup": { "@id": "stoa:forumGroup", "@type": "@id" }
        }
    ])
}

fn with_actor_context<T>(urls: &Urls, actor: T) -> WithContext<T> {
    WithContext::new(actor, actor_context(urls))
}

fn public_key(owner: &Url, pem: &str) -> PublicKey {
    PublicKey {
        id: Urls::key_id(owner),
        owner: owner.clone(),
        public_key_pem: pem.to_owned(),
    }
}

/// The `Person` of a local member, or `None` for a cached remote actor (its id is elsewhere) or
/// a member without keys.
pub fn person(urls: &Urls, user: &user::Model) -> Option<WithContext<Person>> {
    if !user.local {
        return None;
    }
    let pem = user.public_key.as_deref()?;
    let id = urls.user(&user.name);
    Some(with_actor_context(
        urls,
        Person {
            kind: PersonType::Person,
            preferred_username: user.name.clone(),
            name: user
                .display_name
                .clone()
                .unwrap_or_else(|| user.name.clone()),
            url: id.clone(),
            inbox: urls.user_part(&user.name, "inbox"),
            outbox: urls.user_part(&user.name, "outbox"),
            followers: urls.user_part(&user.name, "followers"),
            endpoints: Endpoints {
                shared_inbox: urls.shared_inbox(),
            },
            public_key: public_key(&id, pem),
            published: user.created_at,
            discoverable: true,
            id,
        },
    ))
}

/// The `Person` of the local member with this name, if there is one.
pub async fn person_by_name<C: stoa_db::ConnectionTrait>(
    db: &C,
    urls: &Urls,
    name: &str,
) -> Result<Option<WithContext<Person>>, stoa_db::DbErr> {
    let user = stoa_db::queries::users::by_name(db, name).await?;
    Ok(user.and_then(|u| person(urls, &u)))
}

/// The `Group` of the local forum with this slug, if there is one.
pub async fn group_by_slug<C: stoa_db::ConnectionTrait>(
    db: &C,
    urls: &Urls,
    slug: &str,
) -> Result<Option<WithContext<Group>>, stoa_db::DbErr> {
    let forum = stoa_db::queries::forums::by_slug(db, slug).await?;
    Ok(forum.and_then(|f| group(urls, &f)))
}

/// Plain text as one HTML paragraph, escaped.
fn paragraph(text: &str) -> String {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    format!("<p>{escaped}</p>")
}

/// The `Group` of a local forum, or `None` for a remote forum or one without keys.
pub fn group(urls: &Urls, forum: &forum::Model) -> Option<WithContext<Group>> {
    if !forum.local {
        return None;
    }
    let pem = forum.public_key.as_deref()?;
    let id = urls.forum(&forum.slug);
    Some(with_actor_context(
        urls,
        Group {
            kind: GroupType::Group,
            preferred_username: forum.slug.clone(),
            name: forum.name.clone(),
            summary: paragraph(&forum.purpose),
            url: id.clone(),
            inbox: urls.forum_part(&forum.slug, "inbox"),
            outbox: urls.forum_part(&forum.slug, "outbox"),
            followers: urls.forum_part(&forum.slug, "followers"),
            moderators: urls.forum_part(&forum.slug, "moderators"),
            attributed_to: urls.forum_part(&forum.slug, "moderators"),
            forum_group: forum.group_id.map(|group| urls.forum_group(group)),
            endpoints: Endpoints {
                shared_inbox: urls.shared_inbox(),
            },
            public_key: public_key(&id, pem),
            published: forum.created_at,
            posting_restricted_to_mods: false,
            discoverable: true,
            id,
        },
    ))
}

/// The instance actor, named after the host, whose key signs the instance's own fetches.
pub fn application(
    urls: &Urls,
    site_name: &str,
    keys: &instance_actor::Model,
) -> WithContext<Application> {
    let id = urls.instance_actor();
    with_actor_context(
        urls,
        Application {
            kind: ApplicationType::Application,
            preferred_username: urls.host().to_owned(),
            name: site_name.to_owned(),
            url: urls.root(),
            inbox: urls.path("/actor/inbox"),
            outbox: urls.path("/actor/outbox"),
            endpoints: Endpoints {
                shared_inbox: urls.shared_inbox(),
            },
            public_key: public_key(&id, &keys.public_key),
            published: keys.created_at,
            id,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_are_escaped_paragraphs() {
        assert_eq!(
            paragraph("Trade & <b>talks</b>"),
            "<p>Trade &amp; &lt;b&gt;talks&lt;/b&gt;</p>"
        );
    }
}
