//! Which provider serves an account: chosen in its AI settings, with its own API keys
//! (stored sealed) for OpenAI and Runware. The offline provider needs neither.

use igny8_store::AccountId;
use std::sync::Arc;

use igny8_store::{AiSettings, Integration, ModelQuirks, Store};
use igny8_tenancy::SecretBox;

use crate::engine::SetupError;
use crate::provider::offline::OfflineProvider;
use crate::provider::openai::{self, OpenAiClient};
use crate::provider::runware::{self, RunwareClient};
use crate::provider::{CallPolicy, ImageProvider, TextProvider};

#[derive(Clone)]
pub struct Providers {
    http: reqwest::Client,
    secrets: Arc<SecretBox>,
    policy: CallPolicy,
}

impl Providers {
    pub fn new(http: reqwest::Client, secrets: Arc<SecretBox>, policy: CallPolicy) -> Self {
        Self { http, secrets, policy }
    }

    pub fn policy(&self) -> CallPolicy {
        self.policy
    }

    pub fn offline_text(&self) -> Arc<dyn TextProvider> {
        Arc::new(OfflineProvider)
    }

    pub fn offline_image(&self) -> Arc<dyn ImageProvider> {
        Arc::new(OfflineProvider)
    }

    pub async fn text(&self, store: &Store, settings: &AiSettings) -> Result<Arc<dyn TextProvider>, SetupError> {
        match settings.text_provider.as_str() {
            "openai" => {
                let (key, integration) = self.key(store, &settings.account_id, "openai").await?;
                let base_url = integration.base_url.clone().unwrap_or_else(|| openai::DEFAULT_BASE_URL.to_owned());
                let memory = StoredQuirks { store: store.clone(), account_id: settings.account_id.clone() };
                let client = OpenAiClient::new(self.http.clone(), base_url, key, self.policy)
                    .with_quirks(integration.quirks, Some(Arc::new(memory)));
                Ok(Arc::new(client))
            }
            _ => Ok(Arc::new(OfflineProvider)),
        }
    }

    pub async fn image(&self, store: &Store, settings: &AiSettings) -> Result<Arc<dyn ImageProvider>, SetupError> {
        match settings.image_provider.as_str() {
            "openai" => {
                let (key, integration) = self.key(store, &settings.account_id, "openai").await?;
                let base_url = integration.base_url.unwrap_or_else(|| openai::DEFAULT_BASE_URL.to_owned());
                Ok(Arc::new(OpenAiClient::new(self.http.clone(), base_url, key, self.policy)))
            }
            "runware" => {
                let (key, integration) = self.key(store, &settings.account_id, "runware").await?;
                let base_url = integration.base_url.unwrap_or_else(|| runware::DEFAULT_BASE_URL.to_owned());
                Ok(Arc::new(RunwareClient::new(self.http.clone(), base_url, key, self.policy)))
            }
            _ => Ok(Arc::new(OfflineProvider)),
        }
    }

    /// The account's key (opened) and its integration for `provider`.
    async fn key(
        &self,
        store: &Store,
        account_id: &AccountId,
        provider: &str,
    ) -> Result<(String, Integration), SetupError> {
        let integration =
            store.integration(account_id, provider).await.map_err(SetupError::Store)?.ok_or_else(|| {
                SetupError::Config(format!(
                    "{provider} is selected in the AI settings but no {provider} API key is configured"
                ))
            })?;
        let key = self.secrets.open(&integration.api_key_sealed).map_err(|e| {
            tracing::error!(provider, error = %e, "stored API key cannot be opened");
            SetupError::Config(format!("the stored {provider} API key cannot be read; save it again"))
        })?;
        Ok((key, integration))
    }
}

/// Remembers what the account's OpenAI endpoint was found to take, on its integration.
struct StoredQuirks {
    store: Store,
    account_id: AccountId,
}

impl openai::QuirkMemory for StoredQuirks {
    fn remember(&self, model: &str, quirks: ModelQuirks) -> futures::future::BoxFuture<'static, ()> {
        let (store, account_id, model) = (self.store.clone(), self.account_id.clone(), model.to_owned());
        Box::pin(async move {
            if let Err(e) = store.save_model_quirks(&account_id, openai::NAME, &model, quirks).await {
                tracing::warn!(error = %e, model, "what the endpoint takes could not be remembered");
            }
        })
    }
}
