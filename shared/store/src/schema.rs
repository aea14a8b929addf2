//! The table's definition, used to create it on the emulator (local stack and tests).
//! `template.yaml` declares the same table for AWS; `tests` check the two agree.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TimeToLiveSpecification,
};

use crate::keys::{GSI1, GSI2, GSI3, GSI4, GSI5, GSI6, GSI7};
use crate::table::StoreError;

/// Attribute names of the key schema: (table hash, table range, [(index, hash, range)]).
pub const TABLE_KEYS: (&str, &str) = ("PK", "SK");
pub const INDEXES: &[(&str, &str, &str)] = &[
    (GSI1, "GSI1PK", "GSI1SK"),
    (GSI2, "GSI2PK", "GSI2SK"),
    (GSI3, "GSI3PK", "GSI3SK"),
    (GSI4, "GSI4PK", "GSI4SK"),
    (GSI5, "GSI5PK", "GSI5SK"),
    (GSI6, "GSI6PK", "GSI6SK"),
    (GSI7, "GSI7PK", "GSI7SK"),
];
/// The one index that does not carry whole items: GSI7 carries these besides the keys,
/// what keyword lists filter and order by (`KeywordSummary`).
pub const SUMMARY_INDEX: (&str, &[&str]) =
    (GSI7, &["id", "keyword", "volume", "difficulty", "intent", "status", "cluster_id"]);
pub const TTL_ATTRIBUTE: &str = "ttl";

fn key(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder().attribute_name(name).key_type(kind).build().expect("name and type are set")
}

fn string_attribute(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("name and type are set")
}

fn projection(index: &str) -> Projection {
    let (summary, attributes) = SUMMARY_INDEX;
    if index != summary {
        return Projection::builder().projection_type(ProjectionType::All).build();
    }
    let builder = Projection::builder().projection_type(ProjectionType::Include);
    attributes.iter().fold(builder, |b, name| b.non_key_attributes(*name)).build()
}

/// Creates the table (if missing) and waits until it can be used.
pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
    if client.describe_table().table_name(table).send().await.is_ok() {
        return Ok(());
    }
    let (hash, range) = TABLE_KEYS;
    let mut request = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(hash, KeyType::Hash))
        .key_schema(key(range, KeyType::Range))
        .attribute_definitions(string_attribute(hash))
        .attribute_definitions(string_attribute(range));
    for (index, index_hash, index_range) in INDEXES {
        request = request
            .attribute_definitions(string_attribute(index_hash))
            .attribute_definitions(string_attribute(index_range))
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(*index)
                    .key_schema(key(index_hash, KeyType::Hash))
                    .key_schema(key(index_range, KeyType::Range))
                    .projection(projection(index))
                    .build()
                    .expect("index name and keys are set"),
            );
    }
    request.send().await.map_err(|e| StoreError::Aws(format!("create table {table}: {e:?}")))?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(TTL_ATTRIBUTE)
                .build()
                .expect("ttl spec is complete"),
        )
        .send()
        .await
        .map_err(|e| StoreError::Aws(format!("enable ttl on {table}: {e:?}")))?;
    Ok(())
}
