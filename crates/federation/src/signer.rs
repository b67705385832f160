//! A local actor as activitypub_federation sees it: the instance actor that signs fetches.

use activitypub_federation::config::Data;
use activitypub_federation::traits::{Actor, Object};
use url::Url;

use crate::data::FedData;
use crate::error::FedError;

/// A local actor (forum, member or the instance) as the signer of a delivery.
#[derive(Debug, Clone)]
pub struct LocalSigner {
    pub id: Url,
    pub public_key: String,
    pub private_key: String,
    pub inbox: Url,
}

#[async_trait::async_trait]
impl Object for LocalSigner {
    type DataType = FedData;
    type Kind = serde_json::Value;
    type Error = FedError;

    fn id(&self) -> &Url {
        &self.id
    }

    async fn read_from_id(_id: Url, _data: &Data<FedData>) -> Result<Option<Self>, FedError> {
        // Signers are built from stored rows, never looked up by id.
        Ok(None)
    }

    async fn into_json(self, _data: &Data<FedData>) -> Result<serde_json::Value, FedError> {
        Err(FedError::Rejected("a signer is not served".into()))
    }

    async fn verify(
        _json: &serde_json::Value,
        _expected_domain: &Url,
        _data: &Data<FedData>,
    ) -> Result<(), FedError> {
        Err(FedError::Rejected("a signer is never received".into()))
    }

    async fn from_json(_json: serde_json::Value, _data: &Data<FedData>) -> Result<Self, FedError> {
        Err(FedError::Rejected("a signer is never received".into()))
    }
}

impl Actor for LocalSigner {
    fn public_key_pem(&self) -> &str {
        &self.public_key
    }

    fn private_key_pem(&self) -> Option<String> {
        Some(self.private_key.clone())
    }

    fn inbox(&self) -> Url {
        self.inbox.clone()
    }
}
