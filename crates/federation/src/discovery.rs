//! WebFinger (RFC 7033) and NodeInfo 2.1: how other servers find a member, a forum or the
//! instance, and what the instance is.

use activitypub_federation::fetch::webfinger::{
    Webfinger, WebfingerLink, build_webfinger_response_with_type,
};
use serde_json::{Value, json};
use stoa_db::ConnectionTrait;
use stoa_db::queries::{forums, users};
use url::Url;

use crate::urls::Urls;

/// Why a WebFinger query has no answer.
#[derive(Debug, PartialEq, Eq)]
pub enum WebfingerError {
    /// Not an `acct:` URI or URL this server could answer for.
    Malformed(&'static str),
    /// A handle of another server.
    OtherHost,
    /// No member, forum or instance actor by that name.
    NotFound,
}

/// The name in `acct:name@host` (or in one of our actor URLs) when it belongs to this instance.
pub fn local_name<'a>(urls: &Urls, resource: &'a str) -> Result<&'a str, WebfingerError> {
    if let Some(handle) = resource.strip_prefix("acct:") {
        let handle = handle.strip_prefix('@').unwrap_or(handle);
        let (name, host) = handle
            .rsplit_once('@')
            .ok_or(WebfingerError::Malformed("expected acct:name@host"))?;
        // Accept the host with or without our port: `acct:` handles usually leave it out.
        if !host.eq_ignore_ascii_case(&urls.authority()) && !host.eq_ignore_ascii_case(urls.host())
        {
            return Err(WebfingerError::OtherHost);
        }
        if name.is_empty() {
            return Err(WebfingerError::Malformed("the name is empty"));
        }
        return Ok(name);
    }
    if resource.starts_with("https://") || resource.starts_with("http://") {
        let url = Url::parse(resource).map_err(|_| WebfingerError::Malformed("not a URL"))?;
        if url.host_str() != Some(urls.host()) {
            return Err(WebfingerError::OtherHost);
        }
        let path = &resource[resource.find(url.path()).unwrap_or(0)..];
        return path
            .strip_prefix("/u/")
            .or_else(|| path.strip_prefix("/f/"))
            .filter(|name| !name.is_empty() && !name.contains('/'))
            .ok_or(WebfingerError::NotFound);
    }
    Err(WebfingerError::Malformed(
        "resource must be acct:name@host or an actor URL",
    ))
}

/// Answers a WebFinger query. Members and forums share one namespace, so a name is at most one
/// of them; the host's own name is the instance actor. Each answer carries the profile page and
/// the ActivityPub actor.
pub async fn webfinger<C: ConnectionTrait>(
    db: &C,
    urls: &Urls,
    resource: &str,
) -> Result<Webfinger, WebfingerErrorOrDb> {
    let name = local_name(urls, resource)?;
    let subject = format!("acct:{name}@{}", urls.authority());
    let (id, kind) = if name.eq_ignore_ascii_case(urls.host()) || name == urls.authority() {
        (urls.instance_actor(), "Application")
    } else if let Some(user) = users::by_name(db, name).await?.filter(|u| u.local) {
        (urls.user(&user.name), "Person")
    } else if let Some(forum) = forums::by_slug(db, name).await?.filter(|f| f.local) {
        (urls.forum(&forum.slug), "Group")
    } else {
        return Err(WebfingerError::NotFound.into());
    };
    let mut response = build_webfinger_response_with_type(subject, vec![(id.clone(), Some(kind))]);
    response.aliases = vec![id];
    // Where a member of ours follows something they found elsewhere (as Mastodon offers).
    response.links.push(WebfingerLink {
        rel: Some("http://ostatus.org/schema/1.0/subscribe".into()),
        kind: None,
        href: None,
        template: Some(format!("{}follow?forum={{uri}}", urls.root())),
        properties: Default::default(),
    });
    Ok(response)
}

/// A WebFinger failure: the query's fault, or the database's.
#[derive(Debug)]
pub enum WebfingerErrorOrDb {
    Query(WebfingerError),
    Database(stoa_db::DbErr),
}

impl From<WebfingerError> for WebfingerErrorOrDb {
    fn from(e: WebfingerError) -> Self {
        WebfingerErrorOrDb::Query(e)
    }
}

impl From<stoa_db::DbErr> for WebfingerErrorOrDb {
    fn from(e: stoa_db::DbErr) -> Self {
        WebfingerErrorOrDb::Database(e)
    }
}

pub const NODEINFO_2_1_SCHEMA: &str = "http://nodeinfo.diaspora.software/ns/schema/2.1";

/// `/.well-known/nodeinfo`: where the NodeInfo document is, and the instance actor (FEP-2677).
pub fn nodeinfo_links(urls: &Urls) -> Value {
    json!({
        "links": [
            { "rel": NODEINFO_2_1_SCHEMA, "href": urls.path("/nodeinfo/2.1") },
            { "rel": "https://www.w3.org/ns/activitystreams#Application", "href": urls.instance_actor() }
        ]
    })
}

/// The NodeInfo 2.1 document.
pub fn nodeinfo(
    site_name: &str,
    usage: &stoa_core::instance::Usage,
    open_registrations: bool,
) -> Value {
    json!({
        "version": "2.1",
        "software": {
            "name": "stoa",
            "version": env!("CARGO_PKG_VERSION"),
        },
        "protocols": ["activitypub"],
        "services": { "inbound": [], "outbound": [] },
        "openRegistrations": open_registrations,
        "usage": {
            "users": { "total": usage.local_users },
            "localPosts": usage.local_posts,
        },
        "metadata": { "nodeName": site_name },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls() -> Urls {
        Urls::new(Url::parse("http://stoa-a.test:8081").unwrap())
    }

    #[test]
    fn names_from_resources() {
        let urls = urls();
        assert_eq!(local_name(&urls, "acct:ada@stoa-a.test"), Ok("ada"));
        assert_eq!(local_name(&urls, "acct:ada@stoa-a.test:8081"), Ok("ada"));
        assert_eq!(local_name(&urls, "acct:@ada@stoa-a.test"), Ok("ada"));
        assert_eq!(
            local_name(&urls, "http://stoa-a.test:8081/f/books"),
            Ok("books")
        );
        assert_eq!(
            local_name(&urls, "acct:ada@elsewhere.test"),
            Err(WebfingerError::OtherHost)
        );
        assert!(matches!(
            local_name(&urls, "ada"),
            Err(WebfingerError::Malformed(_))
        ));
        assert!(matches!(
            local_name(&urls, "acct:ada"),
            Err(WebfingerError::Malformed(_))
        ));
    }
}

/// Why a visitor's server could not be asked to follow.
#[derive(Debug, PartialEq, Eq)]
pub enum RemoteFollowError {
    /// Not a handle like `user@example.social`.
    BadHandle,
    /// Their server did not answer usefully (unreachable, no such account, no follow page).
    Unreachable(String),
}

/// Where a visitor following from their own server should go: their server's WebFinger
/// subscribe template (as Mastodon offers) filled in with `target`, one of our actors.
pub async fn remote_follow_url(
    http: &reqwest::Client,
    development: bool,
    handle: &str,
    target: &str,
) -> Result<Url, RemoteFollowError> {
    let handle = handle.trim().trim_start_matches('@');
    let (user, host) = handle.split_once('@').ok_or(RemoteFollowError::BadHandle)?;
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    if user.is_empty() || !host_ok || user.contains('/') {
        return Err(RemoteFollowError::BadHandle);
    }
    let scheme = if development { "http" } else { "https" };
    let mut url = Url::parse(&format!("{scheme}://{host}/.well-known/webfinger"))
        .map_err(|_| RemoteFollowError::BadHandle)?;
    url.query_pairs_mut()
        .append_pair("resource", &format!("acct:{user}@{host}"));
    let unreachable = |e: &dyn std::fmt::Display| RemoteFollowError::Unreachable(e.to_string());
    let response = http
        .get(url)
        .header("accept", "application/jrd+json, application/json")
        .send()
        .await
        .map_err(|e| unreachable(&e))?;
    if !response.status().is_success() {
        return Err(unreachable(&format!(
            "their server answered {}",
            response.status()
        )));
    }
    // A WebFinger answer is small; refuse anything large.
    let bytes = response.bytes().await.map_err(|e| unreachable(&e))?;
    if bytes.len() > 64 * 1024 {
        return Err(unreachable(&"the answer is too large"));
    }
    let finger: Webfinger = serde_json::from_slice(&bytes).map_err(|e| unreachable(&e))?;
    let template = finger
        .links
        .iter()
        .find(|l| l.rel.as_deref() == Some("http://ostatus.org/schema/1.0/subscribe"))
        .and_then(|l| l.template.clone())
        .ok_or_else(|| unreachable(&"their server offers no follow page"))?;
    let encoded: String = url::form_urlencoded::byte_serialize(target.as_bytes()).collect();
    let filled = template.replace("{uri}", &encoded);
    let parsed = Url::parse(&filled).map_err(|e| unreachable(&e))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(unreachable(&"their follow page is not a web address"));
    }
    Ok(parsed)
}
