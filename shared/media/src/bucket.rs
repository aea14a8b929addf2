//! The media bucket: large article bodies and image bytes.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;

/// Why the bucket did not do what was asked.
#[derive(Debug)]
pub enum MediaError {
    /// S3 throttled, failed inside or did not answer in time — after the SDK's retries.
    /// Worth trying again soon.
    Busy(String),
    Failed(String),
}

impl std::fmt::Display for MediaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MediaError::Busy(detail) => write!(f, "S3 is busy: {detail}"),
            MediaError::Failed(detail) => f.write_str(detail),
        }
    }
}

impl std::error::Error for MediaError {}

impl From<MediaError> for String {
    fn from(error: MediaError) -> Self {
        error.to_string()
    }
}

fn s3_error<E: ProvideErrorMetadata + std::fmt::Debug>(
    what: String,
    err: SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> MediaError {
    let busy = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(e) => {
            e.raw().status().is_server_error() || matches!(e.err().code(), Some("SlowDown" | "InternalError"))
        }
        _ => false,
    };
    let detail = format!("{what}: {err:?}");
    if busy { MediaError::Busy(detail) } else { MediaError::Failed(detail) }
}

/// How long a signed image URL stays valid.
pub const SIGNED_URL_TTL: Duration = Duration::from_secs(15 * 60);

#[derive(Clone)]
pub struct Media {
    s3: aws_sdk_s3::Client,
    bucket: Arc<str>,
}

impl Media {
    pub fn new(s3: aws_sdk_s3::Client, bucket: impl Into<Arc<str>>) -> Self {
        Self { s3, bucket: bucket.into() }
    }

    /// Client from the SDK configuration, bucket from `MEDIA_BUCKET`. Against an emulator
    /// (`AWS_ENDPOINT_URL`) requests use path-style addresses, which need no DNS.
    pub fn from_env(config: &aws_config::SdkConfig) -> Result<Self, String> {
        let bucket = std::env::var("MEDIA_BUCKET").map_err(|_| "MEDIA_BUCKET is not set".to_owned())?;
        Ok(Self::new(client(config), bucket))
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), MediaError> {
        self.s3
            .put_object()
            .bucket(&*self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| s3_error(format!("S3 put {key}"), e))
    }

    pub async fn get_bytes(&self, key: &str) -> Result<Vec<u8>, MediaError> {
        let object = self
            .s3
            .get_object()
            .bucket(&*self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| s3_error(format!("S3 get {key}"), e))?;
        let body = object.body.collect().await.map_err(|e| MediaError::Busy(format!("S3 read {key}: {e}")))?;
        Ok(body.into_bytes().to_vec())
    }

    pub async fn get_text(&self, key: &str) -> Result<String, MediaError> {
        let bytes = self.get_bytes(key).await?;
        String::from_utf8(bytes).map_err(|e| MediaError::Failed(format!("S3 object {key} is not UTF-8: {e}")))
    }

    /// Deletes objects; failures are logged, not returned (an orphaned object costs
    /// little, a failed request over it would cost the user).
    pub async fn delete_quietly(&self, keys: impl IntoIterator<Item = String>) {
        for key in keys {
            if let Err(e) = self.s3.delete_object().bucket(&*self.bucket).key(&key).send().await {
                tracing::warn!(key, error = ?e, "could not delete media object");
            }
        }
    }

    /// A time-limited URL from which anyone holding it can GET the object.
    pub async fn signed_url(&self, key: &str) -> Result<String, String> {
        let config = PresigningConfig::expires_in(SIGNED_URL_TTL).map_err(|e| e.to_string())?;
        let request = self
            .s3
            .get_object()
            .bucket(&*self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|e| format!("presign {key}: {e:?}"))?;
        Ok(request.uri().to_string())
    }
}

/// An S3 client; path-style when an emulator endpoint is configured.
pub fn client(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let mut builder = aws_sdk_s3::config::Builder::from(config);
    if std::env::var_os("AWS_ENDPOINT_URL").is_some() {
        builder = builder.force_path_style(true);
    }
    aws_sdk_s3::Client::from_conf(builder.build())
}
