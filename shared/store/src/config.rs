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

/// The SDK configuration from the environment, with [`timeouts`] and [`http_client`].
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts()).http_client(http_client()).load().await
}

/// The roots AWS service endpoints chain to (Amazon Trust Services).
const AWS_ROOTS: &str = include_str!("aws-roots.pem");

/// The SDK's HTTPS client: rustls on aws-lc-rs (the one crypto provider of every
/// function) trusting the Amazon Trust Services roots, compiled in. The default client
/// reads the system's whole certificate directory when it is built — at start, a few
/// milliseconds of every cold start — to reach endpoints that need five roots.
pub fn http_client() -> aws_sdk_dynamodb::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
    let trust = TrustStore::empty().with_native_roots(false).with_pem_certificate(AWS_ROOTS.as_bytes());
    let context = TlsContext::builder().with_trust_store(trust).build().unwrap_or_else(|e| {
        // Building checks the configuration, not the bundle: the unit test below parses it.
        panic!("the compiled-in AWS roots are not usable: {e}")
    });
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc))
        .tls_context(context)
        .build_https()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_aws_roots_are_five_trust_anchors() {
        // The SDK parses the bundle when it first connects (and panics if it cannot), so
        // parse it here the same way: five certificates, each usable as a root.
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject;
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(AWS_ROOTS.as_bytes()).collect::<Result<_, _>>().expect("the bundle parses");
        assert_eq!(certs.len(), 5);
        let (valid, invalid) = rustls::RootCertStore::empty().add_parsable_certificates(certs);
        assert_eq!((valid, invalid), (5, 0));
        let _ = http_client();
    }
}
