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
    for binary in ["auth", "planner", "writer", "system", "billing", "ai-worker"] {
        assert!(compact.contains(&format!("Binary: {binary}")), "function {binary}");
    }
}

/// SQS partial failures work only when the event source says so (DESIGN §8), and a
/// message must stay invisible longer than a worker may run it, locally as in AWS.
#[test]
fn the_ai_worker_reports_failures_per_message_and_outlives_no_visibility_timeout() {
    let path = format!("{}/../template.yaml", env!("CARGO_MANIFEST_DIR"));
    let template = std::fs::read_to_string(&path).expect("template.yaml");
    let compact: String = template.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        compact
            .contains("Queue: !GetAtt AiJobsQueue.Arn BatchSize: 1 FunctionResponseTypes: - ReportBatchItemFailures")
    );
    assert!(compact.contains("ScalingConfig: MaximumConcurrency:"), "bounded worker concurrency");
    let queue = igny8_local::resources::AI_QUEUE;
    let visibility = queue.visibility_secs;
    assert!(
        compact.contains(&format!("AiJobsQueue: Type: AWS::SQS::Queue Properties: VisibilityTimeout: {visibility}"))
    );
    let ai_queue = &compact[compact.find("AiJobsQueue: Type").expect("queue")..];
    assert!(ai_queue.contains(&format!("maxReceiveCount: {} ", queue.max_receives)), "local and AWS redrive differ");
    let worker = &compact[compact.find("AiWorkerFunction:").expect("worker")..];
    let timeout: u32 = worker.split("Timeout: ").nth(1).and_then(|t| t.split(' ').next()).unwrap().parse().unwrap();
    assert!(visibility >= 6 * timeout, "visibility {visibility} < 6 x timeout {timeout}");
    assert!(i64::from(timeout) < igny8_ai::engine::LEASE_SECS, "a live worker must not lose its lease");
    assert!(igny8_ai::engine::LEASE_SECS < i64::from(visibility), "a redelivery must find the lease expired");
}
