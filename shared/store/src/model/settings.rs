//! Account-level settings of the AI pipeline: AI settings (one item), prompt overrides
//! (one per AI function), author profiles, strategies, and the API keys of AI providers
//! (sealed by the caller; this module never sees a key in clear).
//!
//! All live in the account's partition:
//! `SETTINGS#AI`, `PROMPT#<function>`, `AUTHOR#<aut_…>`, `STRATEGY#<str_…>`,
//! `AIINTEGRATION#<provider>`.

use crate::Conflict;
use crate::ids::AccountId;
use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::keys;
use crate::table::{Key, Record, Store, StoreError, StoreResult, Tx, Update, now};

/// The account's AI settings; [`AiSettings::defaults`] until the account saves its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AiSettings {
    pub account_id: AccountId,
    /// `offline` or `openai`.
    pub text_provider: String,
    pub model: String,
    pub temperature: f32,
    pub max_tokens: u32,
    /// `offline`, `openai` or `runware`.
    pub image_provider: String,
    pub image_model: String,
    /// `WxH`, e.g. `1024x1024`.
    pub image_size: String,
    /// `standard` or `hd`.
    pub image_quality: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_style: Option<String>,
    /// Empty while the defaults are in use.
    #[serde(default)]
    pub updated_at: String,
}

impl AiSettings {
    pub fn defaults(account_id: &AccountId) -> Self {
        Self {
            account_id: account_id.to_owned(),
            text_provider: "offline".into(),
            model: "gpt-4o-mini".into(),
            temperature: 0.7,
            max_tokens: 4000,
            image_provider: "offline".into(),
            image_model: "dall-e-3".into(),
            image_size: "1024x1024".into(),
            image_quality: "standard".into(),
            image_style: None,
            updated_at: String::new(),
        }
    }
}

/// An account's own text for one AI function's prompt (the default is built in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PromptOverride {
    pub account_id: AccountId,
    pub function: String,
    pub text: String,
    pub updated_at: String,
}

/// A voice the AI writes in; the engine appends it to prompts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuthorProfile {
    pub id: String,
    pub account_id: AccountId,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub tone: String,
    #[serde(default)]
    pub language: String,
    pub created_at: String,
    pub updated_at: String,
}

/// A content strategy: free-text guidelines the engine adds to prompts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Strategy {
    pub id: String,
    pub account_id: AccountId,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub guidelines: String,
    pub created_at: String,
    pub updated_at: String,
}

/// An AI provider's API key for the account, sealed (`igny8_tenancy::SecretBox`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Integration {
    pub account_id: AccountId,
    /// `openai` or `runware`.
    pub provider: String,
    pub api_key_sealed: String,
    /// What may be shown of the key, e.g. `sk-…abcd`.
    pub api_key_masked: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// What the endpoint was found to accept, per model (learned from its refusals), so
    /// the next call is right the first time.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub quirks: BTreeMap<String, ModelQuirks>,
    pub updated_at: String,
}

/// Which chat parameters a model at an endpoint takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ModelQuirks {
    /// `max_completion_tokens` (OpenAI's current name) or `max_tokens` (older servers).
    pub token_param: TokenParam,
    pub temperature: bool,
    pub answer_format: AnswerFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenParam {
    MaxCompletionTokens,
    MaxTokens,
}

/// How a structured answer is asked for, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnswerFormat {
    JsonSchema,
    JsonObject,
    Text,
}

/// Named instructions an account keeps for the AI — author profiles and strategies —
/// stored as `<PREFIX>#<id>` in the account's partition and read, listed, changed field
/// by field and deleted alike.
pub trait Guidance: Serialize + DeserializeOwned + Send + Sync {
    /// `kind` attribute, e.g. `author_profile`.
    const KIND: &'static str;
    /// Sort-key prefix, e.g. `AUTHOR`.
    const PREFIX: &'static str;
    fn id(&self) -> &str;
    fn account_id(&self) -> &AccountId;
}

impl Guidance for AuthorProfile {
    const KIND: &'static str = "author_profile";
    const PREFIX: &'static str = "AUTHOR";
    fn id(&self) -> &str {
        &self.id
    }
    fn account_id(&self) -> &AccountId {
        &self.account_id
    }
}

impl Guidance for Strategy {
    const KIND: &'static str = "strategy";
    const PREFIX: &'static str = "STRATEGY";
    fn id(&self) -> &str {
        &self.id
    }
    fn account_id(&self) -> &AccountId {
        &self.account_id
    }
}

fn guidance_key<T: Guidance>(account_id: &AccountId, id: &str) -> Key {
    keys::object(account_id, T::PREFIX, id)
}

impl Store {
    /// The account's AI settings, or the defaults when it has saved none.
    pub async fn ai_settings(&self, account_id: &AccountId) -> StoreResult<AiSettings> {
        Ok(self.get(keys::ai_settings(account_id)).await?.unwrap_or_else(|| AiSettings::defaults(account_id)))
    }

    /// Replaces the account's AI settings (a whole-item put: the item has no counters).
    pub async fn save_ai_settings(&self, settings: &AiSettings) -> StoreResult<()> {
        put(self, Record::new(keys::ai_settings(&settings.account_id), "ai_settings", settings)?).await
    }

    pub async fn prompt_override(&self, account_id: &AccountId, function: &str) -> StoreResult<Option<PromptOverride>> {
        self.get(keys::prompt_override(account_id, function)).await
    }

    /// Every prompt the account has overridden.
    pub async fn prompt_overrides(&self, account_id: &AccountId) -> StoreResult<Vec<PromptOverride>> {
        self.query_prefix(&keys::account_pk(account_id), "PROMPT#").await
    }

    pub async fn put_prompt_override(&self, prompt: &PromptOverride) -> StoreResult<()> {
        put(self, Record::new(keys::prompt_override(&prompt.account_id, &prompt.function), "prompt_override", prompt)?)
            .await
    }

    /// Removes an override (nothing to do if there is none).
    pub async fn delete_prompt_override(&self, account_id: &AccountId, function: &str) -> StoreResult<()> {
        delete_quietly(self, keys::prompt_override(account_id, function)).await
    }

    pub async fn create_guidance<T: Guidance>(&self, guidance: &T) -> StoreResult<()> {
        let key = guidance_key::<T>(guidance.account_id(), guidance.id());
        let mut tx = Tx::new();
        tx.create(self.table(), Record::new(key, T::KIND, guidance)?, Conflict::Exists);
        self.commit(tx).await
    }

    pub async fn guidance<T: Guidance>(&self, account_id: &AccountId, id: &str) -> StoreResult<Option<T>> {
        let key = guidance_key::<T>(account_id, id);
        if !key.fits() {
            return Ok(None);
        }
        self.get(key).await
    }

    /// The account's guidance of one kind, oldest first.
    pub async fn guidances<T: Guidance>(&self, account_id: &AccountId) -> StoreResult<Vec<T>> {
        self.query_prefix(&keys::account_pk(account_id), &format!("{}#", T::PREFIX)).await
    }

    /// Sets the given text fields; `Condition(Conflict::GuidanceMissing)` if there is no such item.
    pub async fn update_guidance<T: Guidance>(
        &self,
        account_id: &AccountId,
        id: &str,
        fields: Vec<(&'static str, String)>,
    ) -> StoreResult<T> {
        let key = guidance_key::<T>(account_id, id);
        if !key.fits() {
            return Err(StoreError::Condition(Conflict::GuidanceMissing));
        }
        let mut update = Update::new(key).set("updated_at", now())?;
        for (field, value) in fields {
            update = update.set(field, value)?;
        }
        self.update(update, Conflict::GuidanceMissing).await
    }

    /// `Condition(Conflict::GuidanceMissing)` if there is no such item.
    pub async fn delete_guidance<T: Guidance>(&self, account_id: &AccountId, id: &str) -> StoreResult<()> {
        delete_existing(self, guidance_key::<T>(account_id, id), Conflict::GuidanceMissing).await
    }

    pub async fn integration(&self, account_id: &AccountId, provider: &str) -> StoreResult<Option<Integration>> {
        self.get(keys::ai_integration(account_id, provider)).await
    }

    /// Stores (or replaces) the provider's sealed key.
    pub async fn put_integration(&self, integration: &Integration) -> StoreResult<()> {
        let key = keys::ai_integration(&integration.account_id, &integration.provider);
        put(self, Record::new(key, "ai_integration", integration)?).await
    }

    /// Remembers what a model at the provider's endpoint accepts. Written only over the
    /// integration as it was read, so a key saved meanwhile is never overwritten;
    /// losing that race only means learning again on a later call.
    pub async fn save_model_quirks(
        &self,
        account_id: &AccountId,
        provider: &str,
        model: &str,
        quirks: ModelQuirks,
    ) -> StoreResult<()> {
        let Some(mut integration) = self.integration(account_id, provider).await? else {
            return Ok(());
        };
        if integration.quirks.get(model) == Some(&quirks) {
            return Ok(());
        }
        let read_at = integration.updated_at.clone();
        integration.quirks.insert(model.to_owned(), quirks);
        let record = Record::new(keys::ai_integration(account_id, provider), "ai_integration", &integration)?;
        let values = crate::table::Item::from([(":u".to_owned(), crate::table::AttributeValue::S(read_at))]);
        let mut tx = Tx::new();
        tx.replace_if(self.table(), record, "updated_at = :u", values, Conflict::Changed);
        match self.commit(tx).await {
            Ok(()) | Err(StoreError::Condition(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Removes the provider's key (nothing to do if there is none).
    pub async fn delete_integration(&self, account_id: &AccountId, provider: &str) -> StoreResult<()> {
        delete_quietly(self, keys::ai_integration(account_id, provider)).await
    }
}

/// Writes `record` whatever was there.
async fn put(store: &Store, record: Record) -> StoreResult<()> {
    let mut tx = Tx::new();
    tx.replace(store.table(), record);
    store.commit(tx).await
}

/// Deletes the item if it is there.
async fn delete_quietly(store: &Store, key: Key) -> StoreResult<()> {
    if !key.fits() {
        return Ok(());
    }
    let mut tx = Tx::new();
    tx.delete_if_present(store.table(), key);
    store.commit(tx).await
}

/// Deletes the item; `Condition(missing)` if it is not there.
async fn delete_existing(store: &Store, key: Key, missing: Conflict) -> StoreResult<()> {
    if !key.fits() {
        return Err(StoreError::Condition(missing));
    }
    let mut tx = Tx::new();
    tx.delete(store.table(), key, missing);
    store.commit(tx).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_items_share_the_account_partition() {
        let (a1, a2) = (AccountId::from("a1"), AccountId::from("a2"));
        let account = keys::account(&a1);
        for key in [
            keys::ai_settings(&a1),
            keys::prompt_override(&a1, "auto_cluster"),
            guidance_key::<AuthorProfile>(&a1, "aut_1"),
            guidance_key::<Strategy>(&a1, "str_1"),
            keys::ai_integration(&a1, "openai"),
        ] {
            assert_eq!(key.pk, account.pk);
        }
        assert_ne!(keys::ai_integration(&a1, "openai").pk, keys::ai_integration(&a2, "openai").pk);
    }

    #[test]
    fn defaults_are_offline() {
        let defaults = AiSettings::defaults(&"a1".into());
        assert_eq!((defaults.text_provider.as_str(), defaults.image_provider.as_str()), ("offline", "offline"));
        assert_eq!((defaults.model.as_str(), defaults.max_tokens), ("gpt-4o-mini", 4000));
    }
}
