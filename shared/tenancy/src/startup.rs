//! Where a function's own secrets (the token key `JWT_SECRET`, the sealing key
//! `SECRETS_KEY`) come from when it starts: in AWS, Secrets Manager, read once at init
//! from the ARN in `<NAME>_ARN` (the template names the secrets, never their values);
//! locally and in tests, the value itself in `<NAME>`.

use aws_config::SdkConfig;

use crate::{SecretBox, Tenancy, Tokens};

/// The secret `name`: `<NAME>` if set, else the `SecretString` of the Secrets Manager
/// secret whose ARN is in `<NAME>_ARN`.
pub async fn secret(config: &SdkConfig, name: &str) -> Result<String, String> {
    secret_from(config, name, |variable| std::env::var(variable).ok()).await
}

/// [`secret`] with the environment given as `variable`.
pub async fn secret_from(
    config: &SdkConfig,
    name: &str,
    variable: impl Fn(&str) -> Option<String>,
) -> Result<String, String> {
    if let Some(value) = variable(name) {
        return Ok(value);
    }
    let arn = variable(&format!("{name}_ARN")).ok_or_else(|| format!("neither {name} nor {name}_ARN is set"))?;
    let answer = aws_sdk_secretsmanager::Client::new(config)
        .get_secret_value()
        .secret_id(&arn)
        .send()
        .await
        .map_err(|e| format!("{name}: the secret {arn} could not be read: {e:?}"))?;
    answer.secret_string().map(str::to_owned).ok_or_else(|| format!("{name}: the secret {arn} holds no text"))
}

impl Tokens {
    /// Token keys from `JWT_SECRET` or the secret `JWT_SECRET_ARN` names.
    pub async fn load(config: &SdkConfig) -> Result<Self, String> {
        Self::from_secret(&secret(config, "JWT_SECRET").await?)
    }
}

impl SecretBox {
    /// The sealing key from `SECRETS_KEY` or the secret `SECRETS_KEY_ARN` names.
    pub async fn load(config: &SdkConfig) -> Result<Self, String> {
        Self::from_key_text(&secret(config, "SECRETS_KEY").await?).map_err(|e| format!("SECRETS_KEY {e}"))
    }
}

impl Tenancy {
    /// For a function's `main`: the store plus the token keys.
    pub async fn load(store: igny8_store::Store, config: &SdkConfig) -> Result<Self, String> {
        Ok(Self { store, tokens: std::sync::Arc::new(Tokens::load(config).await?) })
    }
}
