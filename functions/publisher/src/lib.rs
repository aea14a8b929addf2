//! The publisher: SQS messages (`{account_id, job_id}`) of publish and sync jobs →
//! WordPress.
//!
//! Jobs are taken like AI jobs (a conditional claim with a lease; `attempt` fences
//! every write), so a redelivered message never runs a job twice at once, and a
//! resumed job skips the content it published already. Publishing itself is idempotent
//! on the WordPress side too (`igny8_wordpress::publish`). WordPress failing after the
//! client's retries fails that content item with the reason; the store failing hands
//! the job back and the message is tried again. No credits are charged.

mod article;
mod sync;

use igny8_store::{AccountId, ContentId, JobId};
use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use igny8_media::Media;
pub use igny8_queue::{RETRY_AFTER, Retry};
use igny8_store::JobFunction;
use igny8_store::{
    Conflict, Content, ItemProgress, ItemState, Job, JobPhase, Publication, Store, StoreError, SyncKind, WpIntegration,
};
use igny8_tenancy::SecretBox;
use igny8_wordpress::records::{mark_published, write_logs};
use igny8_wordpress::{LogContext, OutboundPolicy, Progress, PublishError, Published, RetryPolicy, Via, WpClient};

/// A publish job of up to 50 articles with images fits well inside the worker's 900 s.
pub const LEASE_SECS: i64 = 960;

#[derive(Clone)]
pub struct Publisher {
    store: Store,
    media: Media,
    secrets: Arc<SecretBox>,
    http: reqwest::Client,
    policy: RetryPolicy,
    retry: Option<Retry>,
    /// Where finished jobs of automation runs are reported.
    automation: Option<igny8_ai::JobQueue>,
}

/// Why one content item was not published.
enum Failure {
    /// Told to the user on the job item; the job goes on.
    Item(String),
    /// The store failed: the job is handed back and the message retried.
    Store(StoreError),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

impl Publisher {
    pub fn new(
        store: Store,
        media: Media,
        secrets: Arc<SecretBox>,
        outbound: OutboundPolicy,
        policy: RetryPolicy,
    ) -> Self {
        let http = igny8_wordpress::outbound::client(outbound);
        Self { store, media, secrets, http, policy, retry: None, automation: None }
    }

    /// Reports finished jobs of automation runs to `queue`.
    pub fn with_automation(mut self, queue: igny8_ai::JobQueue) -> Self {
        self.automation = Some(queue);
        self
    }

    pub fn with_retry(mut self, retry: Retry) -> Self {
        self.retry = Some(retry);
        self
    }

    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        igny8_queue::handle_batch(event, self.retry.as_ref(), |message: igny8_ai::JobMessage| async move {
            self.run(&message.account_id, &message.job_id).await.map_err(|e| e.to_string())
        })
        .await
    }

    /// Runs the job named by a message; a job finished or held elsewhere is left alone.
    pub async fn run(&self, account_id: &AccountId, job_id: &JobId) -> Result<(), StoreError> {
        let job = match self.store.claim_job(account_id, job_id, LEASE_SECS).await {
            Ok(job) => job,
            Err(StoreError::Condition(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        match self.run_taken(&job).await {
            Ok(()) => {
                igny8_ai::jobs::report_to_automation(self.automation.as_ref(), &job).await;
                Ok(())
            }
            Err(StoreError::Condition(Conflict::LeaseLost)) => Ok(()),
            Err(e) => {
                let _ = self.store.release_job(&job).await;
                Err(e)
            }
        }
    }

    async fn run_taken(&self, job: &Job) -> Result<(), StoreError> {
        let Some(integration) = self.store.wp_integration_of_site(&job.account_id, &job.site_id).await? else {
            self.store.finish_job(job, Some("The site is not connected to WordPress.")).await?;
            return Ok(());
        };
        let (client, via) = match igny8_wordpress::client_for(&self.http, &self.secrets, &integration, self.policy) {
            Ok(ready) => ready,
            Err(reason) => {
                self.store.finish_job(job, Some(&reason)).await?;
                return Ok(());
            }
        };
        let job = self.store.set_job_provider(job, "wordpress", via_name(via)).await?;
        match job.function {
            JobFunction::Publish => self.publish_all(job, &integration, &client, via).await,
            JobFunction::WordpressSync => sync::run(&self.store, job, &integration, &client, via).await,
            other => self.store.finish_job(&job, Some(&format!("{other} is not publishing work"))).await.map(|_| ()),
        }
    }

    async fn publish_all(
        &self,
        job: Job,
        integration: &WpIntegration,
        client: &WpClient,
        via: Via,
    ) -> Result<(), StoreError> {
        let mut job = self.store.set_job_phase(&job, JobPhase::Save).await?;
        for content_id in job.inputs::<ContentId>() {
            if job.items.get(content_id.as_str()).is_some_and(|p| p.state == ItemState::Done) {
                continue;
            }
            let outcome = self.publish_one(&job, integration, client, via, &content_id).await;
            let context = LogContext {
                integration,
                kind: SyncKind::Publish,
                content_id: Some(&content_id),
                job_id: Some(&job.id),
            };
            write_logs(&self.store, igny8_wordpress::logs(&context, client.take_attempts())).await;
            job = match outcome {
                Ok(published) => {
                    let progress = ItemProgress {
                        state: ItemState::Done,
                        reason: None,
                        results: vec![published.post_id.to_string()],
                        credits: 0,
                    };
                    let update = self.store.job_update(&job)?.set_entry("items", &content_id, progress)?.add("done", 1);
                    self.store.update(update, Conflict::LeaseLost).await?
                }
                Err(Failure::Item(reason)) => self.store.fail_job_item(&job, &content_id, &reason).await?,
                Err(Failure::Store(e)) => return Err(e),
            };
        }
        let failure = (job.done == 0).then(|| {
            job.items.values().find_map(|p| p.reason.clone()).unwrap_or_else(|| "Nothing was published.".to_owned())
        });
        self.store.finish_job(&job, failure.as_deref()).await.map(|_| ())
    }

    async fn publish_one(
        &self,
        job: &Job,
        integration: &WpIntegration,
        client: &WpClient,
        via: Via,
        content_id: &ContentId,
    ) -> Result<Published, Failure> {
        let store = &self.store;
        let Some(content) = store.find::<Content>(&job.account_id, content_id).await? else {
            return Err(Failure::Item("The content was deleted.".into()));
        };
        let mut publication = store
            .publication(&job.account_id, content_id)
            .await?
            .unwrap_or_else(|| Publication::new(&job.account_id, &content.site_id, content_id));
        let article = article::build(store, &self.media, &content, integration, &job.options, &publication).await?;
        let progress = StoreProgress { store };
        let published =
            match igny8_wordpress::publish::publish(client, via, &article, &mut publication, &progress).await {
                Ok(published) => published,
                Err(PublishError::WordPress(e)) => return Err(Failure::Item(e.reason())),
                Err(PublishError::Store(e)) => return Err(Failure::Store(StoreError::Aws(e))),
            };
        mark_published(store, &content, &published).await?;
        Ok(published)
    }
}

fn via_name(via: Via) -> &'static str {
    match via {
        Via::CoreRest => "core-rest",
        Via::Bridge => "bridge",
    }
}

/// Saves the publication after each step of a publish.
struct StoreProgress<'a> {
    store: &'a Store,
}

impl Progress for StoreProgress<'_> {
    async fn save(&self, publication: &Publication) -> Result<(), String> {
        self.store.put_publication(publication).await.map_err(|e| e.to_string())
    }
}
