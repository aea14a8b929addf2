//! Creates what `template.yaml` declares, on the emulator: the table (from
//! `igny8_store::schema`), the job, publish and automation queues with their dead-letter
//! queues, the rules' schedule group, and the media bucket. Idempotent: existing resources are left alone.

use aws_config::SdkConfig;
use aws_sdk_sqs::types::QueueAttributeName;

/// Resource names, from the same environment variables the functions read.
#[derive(Debug, Clone)]
pub struct ResourceNames {
    pub table: String,
    pub ai_queue: String,
    pub publish_queue: String,
    pub automation_queue: String,
    pub schedule_group: String,
    pub bucket: String,
}

impl ResourceNames {
    pub fn from_env() -> Self {
        let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
        Self {
            table: var("TABLE_NAME", "igny8"),
            ai_queue: var("AI_QUEUE_NAME", "igny8-ai-jobs"),
            publish_queue: var("PUBLISH_QUEUE_NAME", "igny8-publish"),
            automation_queue: var("AUTOMATION_QUEUE_NAME", "igny8-automation"),
            schedule_group: var("SCHEDULE_GROUP", "igny8-automation"),
            bucket: var("MEDIA_BUCKET", "igny8-media-local"),
        }
    }
}

pub async fn create_all(config: &SdkConfig, names: &ResourceNames) -> Result<(), String> {
    let dynamodb = aws_sdk_dynamodb::Client::new(config);
    igny8_store::schema::create_table(&dynamodb, &names.table).await.map_err(|e| e.to_string())?;

    let sqs = aws_sdk_sqs::Client::new(config);
    create_queue_with_dlq(&sqs, &names.ai_queue, AI_QUEUE).await?;
    create_queue_with_dlq(&sqs, &names.publish_queue, PUBLISH_QUEUE).await?;
    create_queue_with_dlq(&sqs, &names.automation_queue, AUTOMATION_QUEUE).await?;
    create_schedule_group(config, &names.schedule_group).await?;

    let s3 = igny8_writer::s3_client(config);
    if s3.head_bucket().bucket(&names.bucket).send().await.is_err() {
        s3.create_bucket()
            .bucket(&names.bucket)
            .send()
            .await
            .map_err(|e| format!("create bucket {}: {e:?}", names.bucket))?;
    }
    Ok(())
}

/// How a queue hands out messages, as `template.yaml` declares it.
#[derive(Debug, Clone, Copy)]
pub struct QueueSettings {
    pub visibility_secs: u32,
    /// Receives after which a message moves to the dead-letter queue.
    pub max_receives: u32,
}

/// Visibility six times the AI worker's 900 s timeout.
pub const AI_QUEUE: QueueSettings = QueueSettings { visibility_secs: 5400, max_receives: 5 };
pub const PUBLISH_QUEUE: QueueSettings = QueueSettings { visibility_secs: 5400, max_receives: 5 };
/// Visibility six times the runner's 60 s timeout.
pub const AUTOMATION_QUEUE: QueueSettings = QueueSettings { visibility_secs: 360, max_receives: 5 };

/// The schedule group of the rules' schedules (existing is fine).
pub async fn create_schedule_group(config: &SdkConfig, group: &str) -> Result<(), String> {
    let scheduler = aws_sdk_scheduler::Client::new(config);
    match scheduler.create_schedule_group().name(group).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_conflict_exception()) => Ok(()),
        Err(e) => Err(format!("create schedule group {group}: {e:?}")),
    }
}

/// The ARN of a queue (what a schedule targets).
pub async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<String, String> {
    sqs.get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| format!("read queue {url}: {e:?}"))?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| format!("queue {url} has no ARN"))
}

/// The rules' schedules on the emulator, targeting the automation queue at `url`.
pub async fn schedules(
    config: &SdkConfig,
    group: &str,
    url: &str,
) -> Result<igny8_automation::schedules::Schedules, String> {
    let sqs = aws_sdk_sqs::Client::new(config);
    let target_arn = queue_arn(&sqs, url).await?;
    let dead_letter_arn = format!("{target_arn}-dlq");
    Ok(igny8_automation::schedules::Schedules {
        client: aws_sdk_scheduler::Client::new(config),
        group: group.to_owned(),
        target_arn,
        role_arn: "arn:aws:iam::000000000000:role/igny8-scheduler-local".into(),
        dead_letter_arn,
    })
}

/// A queue whose messages move to `<name>-dlq` after `max_receives` failed receives, as
/// in AWS. Returns the queue's URL.
pub async fn create_queue_with_dlq(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    settings: QueueSettings,
) -> Result<String, String> {
    let dlq_url = sqs
        .create_queue()
        .queue_name(format!("{name}-dlq"))
        .send()
        .await
        .map_err(|e| format!("create queue {name}-dlq: {e:?}"))?
        .queue_url
        .unwrap_or_default();
    let dlq_arn = sqs
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| format!("read {name}-dlq: {e:?}"))?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .unwrap_or_default();
    let max_receives = settings.max_receives;
    let redrive = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"{max_receives}"}}"#);
    let created = sqs
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .attributes(QueueAttributeName::VisibilityTimeout, settings.visibility_secs.to_string())
        .send()
        .await
        .map_err(|e| format!("create queue {name}: {e:?}"))?;
    Ok(created.queue_url.unwrap_or_default())
}
