//! A post as other servers send it, whatever its shape (`Note`, `Page`, `Article`): what Stoa
//! reads of it, and fetching one from its own server.

use activitypub_federation::config::Data;
use activitypub_federation::protocol::verification::verify_urls_match;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use stoa_core::text::TextKind;
use url::Url;

use crate::data::FedData;
use crate::error::FedError;

/// A post as other servers send it (`Note`, `Page` or `Article`): only what Stoa reads.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostIn {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub attributed_to: serde_json::Value,
    #[serde(default)]
    pub in_reply_to: Option<Url>,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub source: Option<serde_json::Value>,
    /// A thread's title (`Page`, `Article`); a `Note` has none.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub to: serde_json::Value,
    #[serde(default)]
    pub cc: serde_json::Value,
    #[serde(default)]
    pub audience: serde_json::Value,
    #[serde(default)]
    pub tag: serde_json::Value,
    /// When it was written; kept loose, as a malformed time should not lose the post.
    #[serde(default)]
    pub published: serde_json::Value,
    /// Images and links; a link post (Lemmy) carries its link as a `Link`.
    #[serde(default)]
    pub attachment: serde_json::Value,
}

/// Every URL in a one-or-many field (strings, or objects with `id` or `href`).
fn urls_in(value: &serde_json::Value) -> Vec<Url> {
    match value {
        serde_json::Value::String(s) => Url::parse(s).into_iter().collect(),
        serde_json::Value::Object(map) => map
            .get("id")
            .or_else(|| map.get("href"))
            .map(urls_in)
            .unwrap_or_default(),
        serde_json::Value::Array(items) => items.iter().flat_map(urls_in).collect(),
        _ => Vec::new(),
    }
}

/// Longest title taken from a post's first line.
const DERIVED_TITLE_CHARS: usize = 120;
/// How much of a post's HTML is looked at for a title.
const TITLE_SOURCE_BYTES: usize = 4 * 1024;

impl PostIn {
    /// Everyone and everything the post names: addressees, audience and mentions.
    pub(super) fn addressed(&self) -> Vec<Url> {
        [&self.audience, &self.to, &self.cc, &self.tag]
            .into_iter()
            .flat_map(urls_in)
            .collect()
    }

    /// The thread title: the post's `name`, or its text's first line (a `Note` has no name).
    pub(super) fn title(&self) -> String {
        if let Some(name) = self
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            return stoa_core::text::clean(
                name,
                stoa_core::limits::TITLE_MAX_CHARS,
                TextKind::Line,
            );
        }
        // The title comes from the start of the post: the rest is never read for it.
        let html = self.content.as_deref().unwrap_or_default();
        let mut head = html.len().min(TITLE_SOURCE_BYTES);
        while !html.is_char_boundary(head) {
            head -= 1;
        }
        let html = &html[..head];
        let first_block = html
            .split("</p>")
            .find(|block| !stoa_core::markdown::excerpt(block, 10).is_empty())
            .unwrap_or(html);
        let mut title = stoa_core::markdown::excerpt(first_block, DERIVED_TITLE_CHARS);
        if title.is_empty() {
            title = "Untitled".into();
        }
        title
    }

    /// The author: `attributedTo` may be a URL, an object or a list of either.
    pub(super) fn author(&self) -> Option<Url> {
        fn first(value: &serde_json::Value) -> Option<Url> {
            match value {
                serde_json::Value::String(s) => Url::parse(s).ok(),
                serde_json::Value::Object(map) => map.get("id").and_then(first),
                serde_json::Value::Array(items) => items.iter().find_map(first),
                _ => None,
            }
        }
        first(&self.attributed_to)
    }

    /// The markdown source, when the sender gave one.
    fn markdown(&self) -> Option<&str> {
        let source = self.source.as_ref()?;
        let is_markdown = source.get("mediaType").and_then(|m| m.as_str()) == Some("text/markdown");
        is_markdown
            .then(|| source.get("content").and_then(|c| c.as_str()))
            .flatten()
    }

    /// The link of a link post: the first `Link` attachment with an http or https `href`.
    fn link(&self) -> Option<&str> {
        let attachments = match &self.attachment {
            serde_json::Value::Array(items) => items.as_slice(),
            single @ serde_json::Value::Object(_) => std::slice::from_ref(single),
            _ => &[],
        };
        attachments
            .iter()
            .filter(|a| a.get("type").and_then(|t| t.as_str()) == Some("Link"))
            .filter_map(|a| a.get("href").and_then(|h| h.as_str()))
            .find(|href| href.starts_with("https://") || href.starts_with("http://"))
    }

    pub(super) fn content(&self) -> Result<stoa_core::posts::Content, FedError> {
        let written_at = self
            .published
            .as_str()
            .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
            .map(|at| at.with_timezone(&Utc));
        let content = stoa_core::posts::Content::remote(
            self.content.as_deref().unwrap_or_default(),
            self.markdown(),
            self.id.as_str(),
        )?
        .with_written_at(written_at);
        // A link that is not one a page can show is left out, not the post with it.
        Ok(match content.clone().with_link(self.link()) {
            Ok(with_link) => with_link,
            Err(_) => content,
        })
    }

    /// Only the author may create, change or delete their post, and only on their own server.
    pub(super) fn verify_author(&self, actor: &Url) -> Result<(), FedError> {
        activitypub_federation::protocol::verification::verify_domains_match(&self.id, actor)?;
        match self.author() {
            Some(author) if &author == actor => Ok(()),
            _ => Err(FedError::Rejected(
                "the post is attributed to someone else".into(),
            )),
        }
    }
}

/// A post of another server, fetched from where its id points and checked to be its author's.
pub(super) async fn fetch_post(data: &Data<FedData>, id: &Url) -> Result<PostIn, FedError> {
    let fetched: PostIn = activitypub_federation::fetch::fetch_object_http(id, data)
        .await?
        .object;
    verify_urls_match(&fetched.id, id)?;
    let author = fetched
        .author()
        .ok_or_else(|| FedError::Rejected(format!("{id} names no author")))?;
    fetched.verify_author(&author)?;
    Ok(fetched)
}
