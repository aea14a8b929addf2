//! Request input that fails as envelopes: JSON bodies (type errors and validation rules
//! become field errors) and query strings.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use http::StatusCode;
use http::request::Parts;
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::error::{ApiError, FieldErrors};

/// A JSON body deserialised into `T` and checked with `T::validate()`.
///
/// Wrong types and missing fields are reported against the field they concern (the path
/// comes from `serde_path_to_error`), so `{"email": 5}` answers
/// `errors: {"email": ["invalid type: integer `5`, expected a string"]}`.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Validate,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let mime = v.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "Expected a JSON body (Content-Type: application/json).",
            ));
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::payload_too_large()
            } else {
                ApiError::bad_request("BAD_REQUEST", "Could not read the request body.")
            }
        })?;
        // serde would also accept a struct written as an array; an API body is an object.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::field("body", "Expected a JSON object."));
        }
        let value = parse_json::<T>(&bytes)?;
        value.validate().map_err(|e| ApiError::validation(validation_messages(&e)))?;
        Ok(JsonBody(value))
    }
}

/// Deserialises JSON, turning serde's complaints into field errors.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if !inner.is_data() {
            return ApiError::field("body", "Malformed JSON.");
        }
        let full = inner.to_string();
        // serde_json appends " at line L column C"; the position is noise for a field error.
        let message = match full.rfind(" at line ") {
            Some(at) => full[..at].to_owned(),
            None => full,
        };
        if let Some(name) = message.strip_prefix("missing field `").and_then(|rest| rest.split('`').next()) {
            let field = if path == "." { name.to_owned() } else { format!("{path}.{name}") };
            return ApiError::field(field, "This field is required.");
        }
        let field = if path == "." { "body".to_owned() } else { path };
        ApiError::field(field, message)
    })
}

/// Flattens validator's errors into `field → [message]`, nested fields as `a.b` / `a[0].b`.
pub fn validation_messages(errors: &ValidationErrors) -> FieldErrors {
    let mut out = FieldErrors::new();
    collect(errors, "", &mut out);
    out
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut FieldErrors) {
    for (field, kind) in errors.errors() {
        let name = if prefix.is_empty() { field.to_string() } else { format!("{prefix}.{field}") };
        match kind {
            ValidationErrorsKind::Field(list) => {
                let messages = out.entry(name).or_default();
                messages.extend(list.iter().map(describe));
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &name, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(inner, &format!("{name}[{index}]"), out);
                }
            }
        }
    }
}

fn describe(error: &validator::ValidationError) -> String {
    if let Some(message) = &error.message {
        return message.to_string();
    }
    let param = |key: &str| error.params.get(key).map(|v| v.to_string());
    match error.code.as_ref() {
        "email" => "Enter a valid email address.".to_owned(),
        "url" => "Enter a valid URL.".to_owned(),
        "required" => "This field is required.".to_owned(),
        // A list's length counts items, a text's characters.
        "length" if error.params.get("value").is_some_and(|v| v.is_array()) => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("Give between {min} and {max} items."),
            (Some(min), None) => format!("Give at least {min} items."),
            (None, Some(max)) => format!("Give at most {max} items."),
            _ => "Invalid number of items.".to_owned(),
        },
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("Must be between {min} and {max} characters long."),
            (Some(min), None) => format!("Must be at least {min} characters long."),
            (None, Some(max)) => format!("Must be at most {max} characters long."),
            _ => "Invalid length.".to_owned(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("Must be between {min} and {max}."),
            (Some(min), None) => format!("Must be at least {min}."),
            (None, Some(max)) => format!("Must be at most {max}."),
            _ => "Out of range.".to_owned(),
        },
        other => format!("Invalid value ({other})."),
    }
}

/// Query-string parameters; a bad value answers 400 with the parameter named.
#[derive(Debug, Clone, Default)]
pub struct QueryParams<T>(pub T);

impl<S, T> FromRequestParts<S> for QueryParams<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parse_query(parts.uri.query().unwrap_or("")).map(QueryParams)
    }
}

/// Deserialises a query string, naming the parameter that failed.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        if let Some(name) = message.strip_prefix("missing field `").and_then(|rest| rest.split('`').next()) {
            return ApiError::field(name, "This parameter is required.");
        }
        let field = if path == "." { "query".to_owned() } else { path };
        ApiError::field(field, message)
    })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Login {
        email: String,
        password: String,
        nested: Option<Nested>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Nested {
        count: u32,
    }

    #[test]
    fn lengths_of_lists_count_items_and_of_texts_characters() {
        #[derive(Debug, validator::Validate)]
        struct Ids {
            #[validate(length(min = 1, max = 50))]
            ids: Vec<String>,
            #[validate(length(max = 3))]
            name: String,
        }
        let input = Ids { ids: vec!["x".into(); 60], name: "long".into() };
        let errors = validation_messages(&validator::Validate::validate(&input).unwrap_err());
        assert_eq!(errors["ids"], vec!["Give between 1 and 50 items."]);
        assert_eq!(errors["name"], vec!["Must be at most 3 characters long."]);
    }

    #[test]
    fn missing_fields_are_named() {
        let err = parse_json::<Login>(br#"{"email":"a@b.co"}"#).unwrap_err();
        assert_eq!(err.errors["password"], vec!["This field is required."]);
    }

    #[test]
    fn wrong_types_point_at_the_field() {
        let err = parse_json::<Login>(br#"{"email":5,"password":"x"}"#).unwrap_err();
        assert!(err.errors["email"][0].contains("expected a string"), "{:?}", err.errors);
        let err = parse_json::<Login>(br#"{"email":"a","password":"x","nested":{"count":"x"}}"#).unwrap_err();
        assert!(err.errors.contains_key("nested.count"), "{:?}", err.errors);
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Paging {
        page: Option<u32>,
    }

    #[test]
    fn bad_query_values_name_the_parameter() {
        let err = parse_query::<Paging>("page=abc").unwrap_err();
        assert!(err.errors.contains_key("page"), "{:?}", err.errors);
        assert_eq!(parse_query::<Paging>("page=3").unwrap().page, Some(3));
    }

    #[test]
    fn malformed_json_is_a_body_error() {
        let err = parse_json::<Login>(b"{nope").unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert!(err.errors.contains_key("body"));
    }
}
