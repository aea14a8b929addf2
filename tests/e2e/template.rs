//! `template.yaml` (AWS) and `igny8_store::schema` (the emulator) must declare the same
//! table, or code tested locally would meet a different table in AWS.

use igny8_store::schema::{INDEXES, SUMMARY_INDEX, TABLE_KEYS, TTL_ATTRIBUTE};

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
    let (summary, carried) = SUMMARY_INDEX;
    let projection = format!("ProjectionType: INCLUDE NonKeyAttributes: [{}]", carried.join(", "));
    let declared = compact.split(&format!("IndexName: {summary} ")).nth(1).unwrap_or("");
    assert!(declared.split("IndexName:").next().unwrap_or("").contains(&projection), "{summary}: {projection}");
    assert!(compact.contains(&format!("AttributeName: {TTL_ATTRIBUTE}")), "ttl attribute");
    for binary in [
        "auth",
        "planner",
        "writer",
        "system",
        "billing",
        "ai-worker",
        "integration",
        "publisher",
        "automation",
        "automation-runner",
    ] {
        assert!(compact.contains(&format!("Binary: {binary}")), "function {binary}");
    }
}

fn compact_template() -> String {
    let path = format!("{}/../template.yaml", env!("CARGO_MANIFEST_DIR"));
    let template = std::fs::read_to_string(&path).expect("template.yaml");
    template.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// SQS partial failures work only when the event source says so
/// (`docs/architecture.md §8`), and a message must stay invisible longer than a worker
/// may run it (and hold its lease), locally as in AWS.
fn assert_worker(
    compact: &str,
    queue_name: &str,
    function: &str,
    queue: igny8_local::resources::QueueSettings,
    lease_secs: Option<i64>,
) {
    let event =
        format!("Queue: !GetAtt {queue_name}.Arn BatchSize: 1 FunctionResponseTypes: - ReportBatchItemFailures");
    assert!(compact.contains(&event), "{function}: partial batch failures");
    let visibility = queue.visibility_secs;
    assert!(
        compact.contains(&format!("{queue_name}: Type: AWS::SQS::Queue Properties: VisibilityTimeout: {visibility}")),
        "{queue_name}: local and AWS visibility differ"
    );
    let declared = &compact[compact.find(&format!("{queue_name}: Type")).expect("queue")..];
    assert!(declared.contains(&format!("maxReceiveCount: {} ", queue.max_receives)), "local and AWS redrive differ");
    let worker = &compact[compact.find(&format!("{function}:")).expect("worker")..];
    let timeout: u32 = worker.split("Timeout: ").nth(1).and_then(|t| t.split(' ').next()).unwrap().parse().unwrap();
    assert!(visibility >= 6 * timeout, "{function}: visibility {visibility} < 6 x timeout {timeout}");
    if let Some(lease_secs) = lease_secs {
        assert!(i64::from(timeout) < lease_secs, "{function}: a live worker must not lose its lease");
        assert!(lease_secs < i64::from(visibility), "{function}: a redelivery must find the lease expired");
    }
}

#[test]
fn workers_report_failures_per_message_and_outlive_no_visibility_timeout() {
    let compact = compact_template();
    assert!(compact.contains("ScalingConfig: MaximumConcurrency:"), "bounded worker concurrency");
    let (ai, publish) = (igny8_local::resources::AI_QUEUE, igny8_local::resources::PUBLISH_QUEUE);
    assert_worker(&compact, "AiJobsQueue", "AiWorkerFunction", ai, Some(igny8_ai::engine::LEASE_SECS));
    assert_worker(&compact, "PublishQueue", "PublisherFunction", publish, Some(igny8_publisher::LEASE_SECS));
    // The runner holds no lease: its steps are conditional writes.
    let automation = igny8_local::resources::AUTOMATION_QUEUE;
    assert_worker(&compact, "AutomationQueue", "AutomationRunnerFunction", automation, None);
}

/// Lambda never lets outbound calls reach private addresses; the integration function
/// is reachable by the plugin through its Function URL.
#[test]
fn lambda_refuses_private_addresses_and_serves_the_plugin() {
    let compact = compact_template();
    assert!(!compact.contains("ALLOW_PRIVATE_URLS:"), "never set in Lambda");
    assert!(compact.contains("FunctionUrlConfig: AuthType: NONE"), "the plugin's Function URL");
}

/// Secrets reach functions by name (an ARN read at start), never as values the
/// template resolves into environment variables, and each function may read only the
/// secrets it names.
#[test]
fn the_template_names_secrets_and_never_resolves_their_values() {
    let template = compact_template();
    assert!(!template.contains("{{resolve:"), "a secret's value would sit in the function's configuration");
    let functions = template.split("Type: AWS::Serverless::Function").skip(1);
    for function in functions {
        for (variable, parameter) in [("JWT_SECRET_ARN", "JwtSecretArn"), ("SECRETS_KEY_ARN", "SecretsKeyArn")] {
            if function.contains(&format!("{variable}: !Ref {parameter}")) {
                let grant = "Action: secretsmanager:GetSecretValue Resource: - !Ref";
                assert!(function.contains(grant) && function.contains(&format!("- !Ref {parameter}")), "{variable}");
            }
        }
        assert!(
            !function.contains("JWT_SECRET:") && !function.contains("SECRETS_KEY:"),
            "no secret value in the environment"
        );
    }
}
