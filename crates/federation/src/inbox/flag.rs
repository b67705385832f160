//! `Flag`: a report from elsewhere — Mastodon's report form, a Lemmy or Mbin report — on a post
//! in a forum here, which becomes an alert for a jury of members like any member's.

use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::kinds::activity::FlagType;
use activitypub_federation::traits::Activity;
use serde::{Deserialize, Serialize};
use stoa_core::CoreError;
use stoa_core::juries::{self, NewAlert, Reason, TEXT_MAX_CHARS};
use stoa_core::text::{TextKind, clean};
use url::Url;

use super::shared::{core_actor, find_post, object_id_of};
use crate::data::FedData;
use crate::error::FedError;
use crate::remote::RemoteUser;

/// Most objects one report may name (Mastodon sends the account and each reported status).
const MAX_OBJECTS: usize = 20;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlagPost {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: FlagType,
    pub actor: ObjectId<RemoteUser>,
    /// What is reported: one id, or several (an account and its posts).
    #[serde(deserialize_with = "ids")]
    pub object: Vec<Url>,
    /// The reason, where Lemmy and Mbin put it.
    #[serde(default)]
    pub summary: Option<String>,
    /// The reason, where Mastodon puts it.
    #[serde(default)]
    pub content: Option<String>,
}

/// One id or an array of them, each a URL or an object with an `id`; anything else is left out.
fn ids<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<Url>, D::Error> {
    let value = serde_json::Value::deserialize(deserializer)?;
    let ids: Vec<Url> = match &value {
        serde_json::Value::Array(items) => items
            .iter()
            .take(MAX_OBJECTS)
            .filter_map(object_id_of)
            .collect(),
        single => object_id_of(single).into_iter().collect(),
    };
    if ids.is_empty() {
        return Err(serde::de::Error::custom("a Flag names no object"));
    }
    Ok(ids)
}

impl FlagPost {
    /// The reporter's words, cleaned and bounded: the jurors read them (as text, never markup).
    fn details(&self) -> String {
        let text = self
            .summary
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .or(self.content.as_deref())
            .unwrap_or_default();
        // Bounded before it is read: a report's reason is a line or two, whatever was sent.
        let end = text.floor_char_boundary(TEXT_MAX_CHARS * 4);
        let text = clean(&text[..end], TEXT_MAX_CHARS, TextKind::Line);
        if text.is_empty() {
            format!(
                "Reported from {}",
                self.id.host_str().unwrap_or("elsewhere")
            )
        } else {
            text
        }
    }
}

#[async_trait::async_trait]
impl Activity for FlagPost {
    activity_basics!();

    async fn verify(&self, _data: &Data<FedData>) -> Result<(), FedError> {
        Ok(())
    }

    /// Alerts the first post here among the objects; a report naming none of ours (an account,
    /// a post elsewhere) is taken and left alone. Alerts refused by core's rules — a jury is
    /// already sitting, the post is removed, the reporter's day's alerts are used — are taken
    /// too: the report was heard, and answering otherwise would tell the reporter nothing new.
    async fn receive(self, data: &Data<FedData>) -> Result<(), FedError> {
        let mut post = None;
        for id in self.object.iter().filter(|id| data.urls.is_local(id)) {
            if let Some(found) = find_post(data, id).await? {
                post = Some(found);
                break;
            }
        }
        let Some(post) = post else {
            return Ok(());
        };
        let reporter = self.actor.dereference(data).await?;
        let details = self.details();
        let new = NewAlert {
            post_id: post.id,
            reason: Reason::of_words(&details),
            details: Some(&details),
            ap_id: Some(self.id.as_str()),
        };
        match juries::raise(
            &data.db,
            &core_actor(&reporter),
            new,
            &data.jury,
            chrono::Utc::now(),
        )
        .await
        {
            Ok(_) | Err(CoreError::Conflict(_) | CoreError::Forbidden(_)) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }
}
