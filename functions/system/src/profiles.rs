//! Author profiles: the voices the AI writes in (name, description, tone, language).

use igny8_http::not_blank;
use igny8_store::AccountId;
use igny8_store::AuthorProfile;
use serde::Deserialize;
use validator::Validate;

use crate::guidance::GuidanceApi;

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct CreateProfileInput {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    name: String,
    #[serde(default)]
    #[validate(length(max = 2000))]
    description: String,
    #[serde(default)]
    #[validate(length(max = 200))]
    tone: String,
    #[serde(default)]
    #[validate(length(max = 50))]
    language: String,
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct UpdateProfileInput {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    name: Option<String>,
    #[validate(length(max = 2000))]
    description: Option<String>,
    #[validate(length(max = 200))]
    tone: Option<String>,
    #[validate(length(max = 50))]
    language: Option<String>,
}

impl GuidanceApi for AuthorProfile {
    const WHAT: &'static str = "Author profile";
    const ID_PREFIX: &'static str = "aut";
    const WHAT_PLURAL: &'static str = "author profiles";
    const PATH: &'static str = "/api/v1/system/author-profiles";
    type Create = CreateProfileInput;
    type Update = UpdateProfileInput;

    fn build(id: String, account_id: AccountId, stamp: String, input: CreateProfileInput) -> Self {
        AuthorProfile {
            id,
            account_id,
            name: input.name.trim().to_owned(),
            description: input.description,
            tone: input.tone.trim().to_owned(),
            language: input.language.trim().to_owned(),
            created_at: stamp.clone(),
            updated_at: stamp,
        }
    }

    fn changes(input: UpdateProfileInput) -> Vec<(&'static str, String)> {
        [
            ("name", input.name.map(|v| v.trim().to_owned())),
            ("description", input.description),
            ("tone", input.tone.map(|v| v.trim().to_owned())),
            ("language", input.language.map(|v| v.trim().to_owned())),
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
