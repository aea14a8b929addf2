//! The media bucket: large article bodies and image bytes.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;

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

    pub async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), String> {
        self.s3
            .put_object()
            .bucket(&*self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("S3 put {key}: {e:?}"))
    }

    pub async fn get_bytes(&self, key: &str) -> Result<Vec<u8>, String> {
        let object = self
            .s3
            .get_object()
            .bucket(&*self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| format!("S3 get {key}: {e:?}"))?;
        Ok(object.body.collect().await.map_err(|e| format!("S3 read {key}: {e}"))?.into_bytes().to_vec())
    }

    pub async fn get_text(&self, key: &str) -> Result<String, String> {
        let bytes = self.get_bytes(key).await?;
        String::from_utf8(bytes).map_err(|e| format!("S3 object {key} is not UTF-8: {e}"))
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
