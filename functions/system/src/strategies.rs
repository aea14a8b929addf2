//! Strategies: named guidelines (free text) the engine adds to prompts.

use igny8_http::not_blank;
use igny8_store::AccountId;
use igny8_store::Strategy;
use serde::Deserialize;
use validator::Validate;

use crate::guidance::GuidanceApi;

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct CreateStrategyInput {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    name: String,
    #[serde(default)]
    #[validate(length(max = 2000))]
    description: String,
    #[serde(default)]
    #[validate(length(max = 10000))]
    guidelines: String,
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct UpdateStrategyInput {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    name: Option<String>,
    #[validate(length(max = 2000))]
    description: Option<String>,
    #[validate(length(max = 10000))]
    guidelines: Option<String>,
}

impl GuidanceApi for Strategy {
    const WHAT: &'static str = "Strategy";
    const ID_PREFIX: &'static str = "str";
    const WHAT_PLURAL: &'static str = "strategies";
    const PATH: &'static str = "/api/v1/system/strategies";
    type Create = CreateStrategyInput;
    type Update = UpdateStrategyInput;

    fn build(id: String, account_id: AccountId, stamp: String, input: CreateStrategyInput) -> Self {
        Strategy {
            id,
            account_id,
            name: input.name.trim().to_owned(),
            description: input.description,
            guidelines: input.guidelines,
            created_at: stamp.clone(),
            updated_at: stamp,
        }
    }

    fn changes(input: UpdateStrategyInput) -> Vec<(&'static str, String)> {
        [
            ("name", input.name.map(|v| v.trim().to_owned())),
            ("description", input.description),
            ("guidelines", input.guidelines),
        ]
        .into_iter()
        .filter_map(|(field, value)| Some((field, value?)))
        .collect()
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn created_at(&self) -> &str {
        &self.created_at
    }
}
