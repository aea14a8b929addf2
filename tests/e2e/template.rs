//! `template.yaml` (AWS) and `igny8_store::schema` (the emulator) must declare the same
//! table, or code tested locally would meet a different table in AWS.

use igny8_store::schema::{INDEXES, TABLE_KEYS, TTL_ATTRIBUTE};

#[test]
fn template_declares_the_table_the_code_creates() {
    let path = format!("{}/../template.yaml", env!("CARGO_MANIFEST_DIR"));
    let template = std::fs::read_to_string(&path).expect("template.yaml");
    let compact: String = template.split_whitespace().collect::<Vec<_>>().join(" ");
    let (hash, range) = TABLE_KEYS;
    for (name, kind) in [(hash, "HASH"), (range, "RANGE")] {
        assert!(compact.contains(&format!("AttributeName: {name} KeyType: {kind}")), "table key {name} ({kind})");
    }
    for (index, index_hash, index_range) in INDEXES {
        assert!(compact.contains(&format!("IndexName: {index}")), "index {index}");
        assert!(compact.contains(&format!("AttributeName: {index_hash} KeyType: HASH")), "{index} hash");
        assert!(compact.contains(&format!("AttributeName: {index_range} KeyType: RANGE")), "{index} range");
    }
    assert!(compact.contains(&format!("AttributeName: {TTL_ATTRIBUTE}")), "ttl attribute");
    for binary in ["auth", "planner", "writer", "system"] {
        assert!(compact.contains(&format!("Binary: {binary}")), "function {binary}");
    }
}
