//! The sync job: pull the site's structure (post types, taxonomies) and its categories
//! and tags into our taxonomy terms, then the state of every post we published —
//! changed, unpublished, trashed or deleted in WordPress shows on our content.

use igny8_store::{Content, Job, JobPhase, Store, StoreError, SyncKind, WpIntegration};
use igny8_wordpress::records::{apply_post_state, save_structure, write_logs};
use igny8_wordpress::structure;
use igny8_wordpress::{LogContext, Via, WpClient};

pub(crate) async fn run(
    store: &Store,
    job: Job,
    integration: &WpIntegration,
    client: &WpClient,
    via: Via,
) -> Result<(), StoreError> {
    let job = store.set_job_phase(&job, JobPhase::Prep).await?;
    let context = LogContext { integration, kind: SyncKind::Sync, content_id: None, job_id: Some(&job.id) };
    let read = structure::read(client, via).await;
    write_logs(store, igny8_wordpress::logs(&context, client.take_attempts())).await;
    let site = match read {
        Ok(site) => site,
        Err(e) => {
            store.finish_job(&job, Some(&e.reason())).await?;
            return Ok(());
        }
    };
    save_structure(store, integration, &site).await?;

    let job = store.set_job_phase(&job, JobPhase::Save).await?;
    let published: Vec<Content> = store
        .list_scope::<Content>(&job.account_id, &job.site_id, None)
        .await?
        .into_iter()
        .filter(|c| c.external_id.is_some())
        .collect();
    let (mut done, mut failed) = (0, 0);
    let mut first_failure = None;
    for content in published {
        let post_id = content.external_id.as_deref().and_then(|id| id.parse::<u64>().ok()).unwrap_or(0);
        let state = structure::post_state(client, via, post_id, &content.id).await;
        let context =
            LogContext { integration, kind: SyncKind::Sync, content_id: Some(&content.id), job_id: Some(&job.id) };
        write_logs(store, igny8_wordpress::logs(&context, client.take_attempts())).await;
        match state {
            Ok(state) => {
                apply_post_state(store, &content, &state).await?;
                done += 1;
            }
            Err(e) => {
                failed += 1;
                first_failure.get_or_insert(e.reason());
            }
        }
    }
    let job = store.set_job_counts(&job, done, failed).await?;
    let failure = if done == 0 { first_failure } else { None };
    store.finish_job(&job, failure.as_deref()).await.map(|_| ())
}
