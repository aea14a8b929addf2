//! Fault injection on the emulator (`infra/emulator/faults.py`): makes DynamoDB, SQS or
//! S3 answer the next matching requests with the error the real service sends on a bad
//! day (or hold them past the client's timeout), so tests can check how our code copes.
//!
//! A rule: `{"service", "operation", "match", "fault", "times"}` (and `delay_secs` for
//! `timeout`). It answers the next `times` requests of that service and operation
//! (`"*"` for any) whose path or body contains `match`, then is used up.
//!
//! The AWS SDK retries some of these itself (3 attempts by default: throttling,
//! `ProvisionedThroughputExceededException`, 500s, 503s, timeouts), and every attempt
//! uses up one firing. For a retried fault to reach our code, `times` must be at least the
//! SDK's attempts (3); fewer firings are absorbed by the SDK's retries. A
//! `transaction_conflict` is not retried by the SDK: `times: 1` reaches our code.
//!
//! | service    | faults                                                             |
//! |------------|--------------------------------------------------------------------|
//! | `dynamodb` | `transaction_conflict` (TransactWriteItems), `throughput_exceeded`, `throttling`, `internal`, `timeout` |
//! | `sqs`      | `internal`, `timeout`                                              |
//! | `s3`       | `slow_down`, `internal`, `timeout`                                 |

use serde_json::{Value, json};

use crate::TestApp;

/// The emulator's URL (`AWS_ENDPOINT_URL`, set by `infra/test.sh`).
pub fn emulator_endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL")
        .expect("AWS_ENDPOINT_URL is not set: run the tests with infra/test.sh, which starts the emulator")
}

fn control_url(endpoint: &str) -> String {
    format!("{}/_faults", endpoint.trim_end_matches('/'))
}

/// Adds a fault rule; panics if the emulator refuses it (an unknown service or fault).
pub async fn inject(endpoint: &str, rule: Value) {
    let response = reqwest::Client::new()
        .post(control_url(endpoint))
        .json(&rule)
        .send()
        .await
        .expect("the emulator's fault endpoint answers");
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "the emulator refused the fault {rule}: {status} {body}");
}

/// Removes the rules added with exactly this `match`, used up or not.
pub async fn clear(endpoint: &str, matching: &str) {
    let response = reqwest::Client::new()
        .delete(control_url(endpoint))
        .query(&[("match", matching)])
        .send()
        .await
        .expect("the emulator's fault endpoint answers");
    assert!(response.status().is_success(), "clearing faults failed: {}", response.status());
}

/// How many firings the rules added with exactly this `match` have left (0 once used up).
pub async fn remaining(endpoint: &str, matching: &str) -> u64 {
    let response = reqwest::Client::new()
        .get(control_url(endpoint))
        .query(&[("match", matching)])
        .send()
        .await
        .expect("the emulator's fault endpoint answers");
    let body: Value = response.json().await.expect("a JSON list of rules");
    body["rules"].as_array().map(|rules| rules.iter().filter_map(|r| r["remaining"].as_u64()).sum()).unwrap_or(0)
}

impl TestApp {
    /// What this app's fault rules match for `service`: the table for DynamoDB, the
    /// bucket (named after the table) for S3, and for SQS the AI queue's URL as a JSON
    /// string, quotes included, so the `-publish`, `-automation` and `-dlq` queues, whose
    /// URLs extend it, are not hit.
    pub fn fault_match(&self, service: &str) -> String {
        match service {
            "dynamodb" => self.table.clone(),
            "s3" => self.media_bucket().to_owned(),
            "sqs" => format!("\"{}\"", self.queue_url),
            other => panic!("no faults for service {other:?}: use dynamodb, sqs or s3"),
        }
    }

    fn media_bucket(&self) -> &str {
        // TestApp::spawn names the bucket after the table.
        &self.table
    }

    /// Makes the next `times` `operation` requests of this app to `service` fail with
    /// `fault` (see the module's documentation for the kinds and for `times` against
    /// the SDK's own retries). Other tests' requests are untouched.
    pub async fn inject_fault(&self, service: &str, operation: &str, fault: &str, times: u32) {
        let rule = json!({
            "service": service,
            "operation": operation,
            "match": self.fault_match(service),
            "fault": fault,
            "times": times,
        });
        inject(&emulator_endpoint(), rule).await;
    }

    /// Removes this app's fault rules that are not used up yet.
    pub async fn clear_faults(&self) {
        let endpoint = emulator_endpoint();
        for service in ["dynamodb", "sqs", "s3"] {
            clear(&endpoint, &self.fault_match(service)).await;
        }
    }
}
