//! Reading a post other servers send (`objects::Post`, whatever its kind): its author, title,
//! addressees, text and link as Stoa stores them, and fetching one from its own server.

use activitypub_federation::config::Data;
use activitypub_federation::protocol::verification::verify_urls_match;
use stoa_core::text::TextKind;
use url::Url;

use crate::data::FedData;
use crate::error::FedError;
pub use crate::objects::Post;

/// Longest title taken from a post's first line.
const DERIVED_TITLE_CHARS: usize = 120;
/// How much of a post's HTML is looked at for a title.
const TITLE_SOURCE_BYTES: usize = 4 * 1024;

impl Post {
    /// Everyone and everything the post names: addressees, audience and mentions.
    pub(super) fn addressed(&self) -> Vec<Url> {
        let named = self.to.iter().chain(&self.cc);
        self.audience
            .iter()
            .cloned()
            .chain(named.filter_map(|id| Url::parse(id).ok()))
            .chain(self.tag.iter().map(|mention| mention.href.clone()))
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

    /// The author (`attributedTo`, the first one if several).
    pub(super) fn author(&self) -> Option<Url> {
        self.attributed_to.clone()
    }

    /// The markdown source, when the sender gave one.
    fn markdown(&self) -> Option<&str> {
        let source = self.source.as_ref()?;
        (source.media_type == "text/markdown").then_some(source.content.as_str())
    }

    /// The link of a link post: the first `Link` attachment with an http or https `href`.
    fn link(&self) -> Option<&str> {
        self.attachment
            .iter()
            .map(|link| link.href.as_str())
            .find(|href| href.starts_with("https://") || href.starts_with("http://"))
    }

    /// The body as core stores it; its `Mention` tags of members here tell them.
    pub(super) fn content(
        &self,
        urls: &crate::urls::Urls,
    ) -> Result<stoa_core::posts::Content, FedError> {
        let written_at = self.published;
        let mentions = self
            .tag
            .iter()
            .filter_map(|m| urls.user_name_of(&m.href))
            .map(str::to_owned)
            .take(stoa_core::notifications::MAX_MENTIONS)
            .collect();
        let content = stoa_core::posts::Content::remote(
            self.content.as_deref().unwrap_or_default(),
            self.markdown(),
            self.id.as_str(),
        )?
        .with_written_at(written_at)
        .with_mentions(mentions);
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
pub(crate) async fn fetch_post(data: &Data<FedData>, id: &Url) -> Result<Post, FedError> {
    let fetched: Post = activitypub_federation::fetch::fetch_object_http(id, data)
        .await?
        .object;
    verify_urls_match(&fetched.id, id)?;
    let author = fetched
        .author()
        .ok_or_else(|| FedError::Rejected(format!("{id} names no author")))?;
    fetched.verify_author(&author)?;
    Ok(fetched)
}
