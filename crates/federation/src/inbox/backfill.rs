//! A followed forum's recent threads, read from its outbox when a member's Follow is accepted,
//! so that following it does not start from an empty page.

use activitypub_federation::config::Data;
use stoa_db::forum;
use url::Url;

use super::announce::announced_post;
use crate::data::FedData;
use crate::error::FedError;

/// How many of a followed forum's newest threads are fetched when the Follow is accepted.
pub const BACKFILL_THREADS: usize = 20;

/// Fetches the newest threads a remote forum lists in its outbox and stores those not here
/// yet, oldest first. Each post is fetched from its own server, whatever the outbox embeds.
pub async fn backfill(data: &Data<FedData>, forum: &forum::Model) -> Result<usize, FedError> {
    use activitypub_federation::fetch::fetch_object_http;
    use activitypub_federation::protocol::verification::verify_domains_match;
    let Some(forum_id) = forum.ap_id.as_deref().and_then(|id| Url::parse(id).ok()) else {
        return Ok(0);
    };
    let document: crate::remote::ActorDocument = fetch_object_http(&forum_id, data).await?.object;
    let Some(outbox) = document.outbox else {
        return Ok(0);
    };
    // The list must come from the forum's own server.
    verify_domains_match(&outbox, &forum_id)?;
    let mut collection: serde_json::Value = fetch_object_http(&outbox, data).await?.object;
    if let Some(first) = collection.get("first").cloned() {
        collection = match first {
            serde_json::Value::String(page) => {
                let page = Url::parse(&page)
                    .map_err(|e| FedError::Rejected(format!("outbox page {page}: {e}")))?;
                verify_domains_match(&page, &forum_id)?;
                fetch_object_http(&page, data).await?.object
            }
            inline => inline,
        };
    }
    let mut posts = outbox_posts(&collection);
    posts.truncate(BACKFILL_THREADS);
    let mut stored = 0;
    for id in posts.into_iter().rev() {
        // Each post with its own budget of fetches (its author, unknown parents).
        match announced_post(&data.reset_request_count(), forum, id.clone()).await {
            Ok(()) => stored += 1,
            Err(e) => tracing::info!(post = %id, error = %e, "skipping a post of a followed forum"),
        }
    }
    Ok(stored)
}

/// The ids of the posts an outbox page lists, newest first as listed: each item may be the
/// post's id, the post, or an activity (`Announce`, `Create`) around either.
fn outbox_posts(page: &serde_json::Value) -> Vec<Url> {
    fn post_id(item: &serde_json::Value, depth: usize) -> Option<Url> {
        match item {
            serde_json::Value::String(id) => Url::parse(id).ok(),
            serde_json::Value::Object(map) => {
                let kind = map.get("type").and_then(|t| t.as_str()).unwrap_or_default();
                if matches!(kind, "Announce" | "Create") && depth < 2 {
                    post_id(map.get("object")?, depth + 1)
                } else if matches!(kind, "Page" | "Article" | "Note" | "Question") {
                    post_id(map.get("id")?, depth)
                } else {
                    None
                }
            }
            _ => None,
        }
    }
    let items = page
        .get("orderedItems")
        .or_else(|| page.get("items"))
        .and_then(|items| items.as_array());
    items
        .into_iter()
        .flatten()
        .filter_map(|item| post_id(item, 0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::outbox_posts;

    #[test]
    fn outbox_items_name_their_posts_whatever_wraps_them() {
        // Lemmy: Announce{Create{Page}}, newest first.
        let lemmy: serde_json::Value = serde_json::from_str(include_str!(
            "../../tests/fixtures/lemmy/collections/group_outbox.json"
        ))
        .unwrap();
        let posts: Vec<String> = outbox_posts(&lemmy).iter().map(|u| u.to_string()).collect();
        assert_eq!(
            posts,
            [
                "https://ds9.lemmy.ml/post/2328",
                "https://ds9.lemmy.ml/post/2327"
            ]
        );
        // Stoa: Announce of the page's id; a bare post; what is not a post is passed over.
        let stoa = serde_json::json!({
            "type": "OrderedCollection",
            "orderedItems": [
                {"type": "Announce", "object": "https://b.example/t/2"},
                {"type": "Note", "id": "https://b.example/p/9"},
                {"type": "Follow", "object": "https://b.example/f/books"},
                {"type": "Announce", "object": {"type": "Person", "id": "https://b.example/u/x"}},
            ],
        });
        let posts: Vec<String> = outbox_posts(&stoa).iter().map(|u| u.to_string()).collect();
        assert_eq!(posts, ["https://b.example/t/2", "https://b.example/p/9"]);
    }
}
