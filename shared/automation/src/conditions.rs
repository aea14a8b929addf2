//! Conditions `{field, operator, value}` narrow a stage's candidates. Fields name the
//! kind of object they apply to (`keyword.volume`, `cluster.keywords_count`); a stage
//! applies the conditions on its own kind and ignores the others.

use serde_json::Value;

use igny8_store::Condition;

/// Fields a condition may name, with the kind of value they hold.
pub const FIELDS: &[(&str, Kind)] = &[
    ("keyword.volume", Kind::Number),
    ("keyword.difficulty", Kind::Number),
    ("keyword.intent", Kind::Text),
    ("keyword.keyword", Kind::Text),
    ("cluster.keywords_count", Kind::Number),
    ("cluster.volume", Kind::Number),
    ("cluster.name", Kind::Text),
    ("idea.estimated_word_count", Kind::Number),
    ("idea.title", Kind::Text),
    ("task.word_count", Kind::Number),
    ("task.title", Kind::Text),
    ("content.word_count", Kind::Number),
    ("content.title", Kind::Text),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Number,
    Text,
}

pub const NUMBER_OPERATORS: &[&str] = &["eq", "ne", "gt", "gte", "lt", "lte", "in"];
pub const TEXT_OPERATORS: &[&str] = &["eq", "ne", "in", "contains"];

/// Checks one condition; Err(field of the condition, message).
pub fn validate(condition: &Condition) -> Result<(), (&'static str, String)> {
    let Some((_, kind)) = FIELDS.iter().find(|(name, _)| *name == condition.field) else {
        let names: Vec<&str> = FIELDS.iter().map(|(n, _)| *n).collect();
        return Err(("field", format!("Use one of: {}.", names.join(", "))));
    };
    let operators = match kind {
        Kind::Number => NUMBER_OPERATORS,
        Kind::Text => TEXT_OPERATORS,
    };
    if !operators.contains(&condition.operator.as_str()) {
        return Err(("operator", format!("{} takes: {}.", condition.field, operators.join(", "))));
    }
    let fits = |v: &Value| match kind {
        Kind::Number => v.is_number(),
        Kind::Text => v.is_string(),
    };
    let ok = match (condition.operator.as_str(), &condition.value) {
        ("in", Value::Array(items)) => !items.is_empty() && items.iter().all(fits),
        ("in", _) => false,
        (_, v) => fits(v),
    };
    if ok {
        Ok(())
    } else {
        let what = match kind {
            Kind::Number => "a number",
            Kind::Text => "a text",
        };
        let message =
            if condition.operator == "in" { format!("A list of {what}s.") } else { format!("Must be {what}.") };
        Err(("value", message))
    }
}

/// Whether an object of `kind` (`keyword`, `cluster` …), seen as JSON, meets every
/// condition on that kind.
pub fn matches(conditions: &[Condition], kind: &str, object: &Value) -> bool {
    conditions.iter().filter_map(|c| c.field.strip_prefix(kind).and_then(|f| f.strip_prefix('.')).map(|f| (f, c))).all(
        |(field, c)| {
            let actual = &object[field];
            let compare = |expected: &Value| -> Option<std::cmp::Ordering> {
                match (actual, expected) {
                    (Value::Number(a), Value::Number(b)) => a.as_f64()?.partial_cmp(&b.as_f64()?),
                    (Value::String(a), Value::String(b)) => Some(a.to_lowercase().cmp(&b.to_lowercase())),
                    _ => None,
                }
            };
            use std::cmp::Ordering::*;
            match c.operator.as_str() {
                "eq" => compare(&c.value) == Some(Equal),
                "ne" => compare(&c.value).is_some_and(|o| o != Equal),
                "gt" => compare(&c.value) == Some(Greater),
                "gte" => matches!(compare(&c.value), Some(Greater | Equal)),
                "lt" => compare(&c.value) == Some(Less),
                "lte" => matches!(compare(&c.value), Some(Less | Equal)),
                "in" => c.value.as_array().is_some_and(|items| items.iter().any(|v| compare(v) == Some(Equal))),
                "contains" => match (actual.as_str(), c.value.as_str()) {
                    (Some(a), Some(b)) => a.to_lowercase().contains(&b.to_lowercase()),
                    _ => false,
                },
                _ => false,
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn condition(field: &str, operator: &str, value: Value) -> Condition {
        Condition { field: field.into(), operator: operator.into(), value }
    }

    #[test]
    fn fields_operators_and_values_are_checked() {
        assert!(validate(&condition("keyword.volume", "gte", json!(100))).is_ok());
        assert!(validate(&condition("keyword.intent", "in", json!(["commercial", "transactional"]))).is_ok());
        assert_eq!(validate(&condition("keyword.colour", "eq", json!(1))).unwrap_err().0, "field");
        assert_eq!(validate(&condition("keyword.volume", "contains", json!(1))).unwrap_err().0, "operator");
        assert_eq!(validate(&condition("keyword.volume", "gte", json!("many"))).unwrap_err().0, "value");
        assert_eq!(validate(&condition("keyword.intent", "in", json!([]))).unwrap_err().0, "value");
    }

    #[test]
    fn conditions_apply_to_their_own_kind() {
        let conditions = [
            condition("keyword.volume", "gte", json!(100)),
            condition("keyword.intent", "in", json!(["Commercial"])),
            condition("cluster.keywords_count", "gte", json!(3)),
        ];
        assert!(matches(&conditions, "keyword", &json!({"volume": 150, "intent": "commercial"})));
        assert!(!matches(&conditions, "keyword", &json!({"volume": 50, "intent": "commercial"})));
        assert!(!matches(&conditions, "keyword", &json!({"volume": 150, "intent": "informational"})));
        assert!(matches(&conditions, "cluster", &json!({"keywords_count": 3})));
        assert!(!matches(&conditions, "cluster", &json!({"keywords_count": 2})));
        assert!(matches(&conditions, "task", &json!({})), "no task conditions");
    }
}
