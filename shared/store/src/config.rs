//! How every function talks to AWS: one SDK configuration with time limits, so a call
//! that hangs (a lost connection, an overloaded endpoint) fails and is retried within a
//! request's budget instead of holding the function until Lambda's timeout.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

/// Connecting may take 2 s; one attempt of a call 10 s (an S3 upload of a few MB
/// included); the SDK's retries (3 attempts) then give up on their own.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(10))
        .build()
}

/// The SDK configuration from the environment, with [`timeouts`].
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts()).load().await
}
