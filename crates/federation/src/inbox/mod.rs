//! Activities other servers send to Stoa's inboxes, verified (signature, digest, origin) by
//! `inbound` before they reach these handlers: one module per kind of activity, each turning
//! the wire into calls of core's services.

use activitypub_federation::config::Data;
use activitypub_federation::traits::Activity;
use serde::{Deserialize, Serialize};
use url::Url;

/// What every inbound activity's `Activity` impl has in common: its data and error types, and
/// its `id` and `actor` fields.
macro_rules! activity_basics {
    () => {
        type DataType = FedData;
        type Error = FedError;

        fn id(&self) -> &Url {
            &self.id
        }

        fn actor(&self) -> &Url {
            self.actor.inner()
        }
    };
}

mod announce;
mod answer;
mod create;
mod delete;
mod flag;
mod follow;
mod like;
mod moderation;
mod post;
mod shared;
mod update;

pub use announce::Announce;
pub(crate) use announce::{fetch_and_store, store_fetched};
pub use answer::{AnswerKind, FollowAnswer};
pub use create::{CreatePost, MAX_PARENT_FETCHES};
pub use delete::DeletePost;
pub use flag::FlagPost;
pub use follow::{Follow, UndoFollow};
pub use like::{DislikePost, LikePost, UndoDislike, UndoLike};
pub use post::Post;
pub(crate) use post::fetch_post;
pub(crate) use shared::find_post;
pub use update::{UpdateActor, UpdatePost};

/// Every activity an inbox understands.
#[derive(Debug, Deserialize, Serialize)]
#[serde(untagged)]
#[enum_delegate::implement(Activity)]
pub enum InboxActivity {
    Follow(Follow),
    UndoFollow(UndoFollow),
    CreatePost(CreatePost),
    // Before `UpdatePost`, whose loose object would also take an actor document.
    UpdateActor(UpdateActor),
    UpdatePost(UpdatePost),
    DeletePost(DeletePost),
    Like(LikePost),
    UndoLike(UndoLike),
    Dislike(DislikePost),
    UndoDislike(UndoDislike),
    FollowAnswer(FollowAnswer),
    Announce(Announce),
    Flag(FlagPost),
}

impl InboxActivity {
    /// Keeps the activity as it arrived where a forum here re-broadcasts it: a post, its edit
    /// or its deletion, sent on as its author's server made it.
    pub fn keep_received(&mut self, body: &str) {
        let received = Some(body.to_owned());
        match self {
            InboxActivity::CreatePost(create) => create.received = received,
            InboxActivity::UpdatePost(update) => update.received = received,
            InboxActivity::DeletePost(delete) => delete.received = received,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_parse_with_or_without_context() {
        let bare = r#"{"id":"http://localhost:1/follows/1","type":"Follow","actor":"http://localhost:1/users/remote","object":"http://localhost:2/f/books"}"#;
        let parsed: Result<InboxActivity, _> = serde_json::from_str(bare);
        assert!(matches!(parsed, Ok(InboxActivity::Follow(_))), "{parsed:?}");
    }
}
