//! The shapes of the structured answers, as JSON schemas for `response_format:
//! json_schema` (strict: every property required, nothing else allowed; optional values
//! are `null`). Each mirrors the struct its function parses the answer into, so a
//! schema-following answer always parses; answers from endpoints without schema support
//! are validated by the same parsing.

use serde_json::{Value, json};

use crate::provider::AnswerSchema;

fn object(properties: Value) -> Value {
    let required: Vec<String> = properties.as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default();
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}

fn strings() -> Value {
    json!({"type": "array", "items": {"type": "string"}})
}

/// `{clusters: [{name, description, keywords}]}`
pub fn clusters() -> AnswerSchema {
    let cluster = object(json!({
        "name": {"type": "string"},
        "description": {"type": "string"},
        "keywords": strings(),
    }));
    AnswerSchema { name: "keyword_clusters", schema: object(json!({"clusters": {"type": "array", "items": cluster}})) }
}

/// `{ideas: [{title, description, content_type, content_structure, target_keywords, estimated_word_count}]}`
pub fn ideas() -> AnswerSchema {
    let idea = object(json!({
        "title": {"type": "string"},
        "description": {"type": "string"},
        "content_type": {"type": ["string", "null"]},
        "content_structure": {"type": ["string", "null"]},
        "target_keywords": strings(),
        "estimated_word_count": {"type": ["integer", "null"]},
    }));
    AnswerSchema { name: "content_ideas", schema: object(json!({"ideas": {"type": "array", "items": idea}})) }
}

/// `{title, meta_title, meta_description, slug, primary_keyword, secondary_keywords, html}`
pub fn article() -> AnswerSchema {
    AnswerSchema {
        name: "article",
        schema: object(json!({
            "title": {"type": "string"},
            "meta_title": {"type": "string"},
            "meta_description": {"type": "string"},
            "slug": {"type": "string"},
            "primary_keyword": {"type": "string"},
            "secondary_keywords": strings(),
            "html": {"type": "string"},
        })),
    }
}

/// `{featured: {prompt, alt_text, caption}, in_article: [...]}`
pub fn image_prompts() -> AnswerSchema {
    let prompt = object(json!({
        "prompt": {"type": "string"},
        "alt_text": {"type": "string"},
        "caption": {"type": "string"},
    }));
    AnswerSchema {
        name: "image_prompts",
        schema: object(json!({"featured": prompt, "in_article": {"type": "array", "items": prompt}})),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Strict schemas: every object lists all its properties as required and allows no
    /// others (OpenAI refuses a strict schema otherwise).
    fn assert_strict(value: &Value, at: &str) {
        if value["type"] == "object" {
            let properties: Vec<&String> = value["properties"].as_object().expect("properties").keys().collect();
            let required: Vec<&str> = value["required"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
            assert_eq!(properties.len(), required.len(), "{at}");
            assert!(properties.iter().all(|p| required.contains(&p.as_str())), "{at}");
            assert_eq!(value["additionalProperties"], false, "{at}");
            for (name, property) in value["properties"].as_object().unwrap() {
                assert_strict(property, &format!("{at}.{name}"));
            }
        }
        if let Some(items) = value.get("items") {
            assert_strict(items, &format!("{at}[]"));
        }
    }

    #[test]
    fn every_schema_is_strict() {
        for schema in [clusters(), ideas(), article(), image_prompts()] {
            assert_strict(&schema.schema, schema.name);
        }
    }
}
