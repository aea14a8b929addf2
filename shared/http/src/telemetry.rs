/// JSON logs for Lambda (CloudWatch parses them); level from `RUST_LOG`, default `info`.
/// Lambda adds the AWS request id; our spans add the API request id.
pub fn init_lambda_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .without_time()
        .with_target(false)
        .try_init();
}
