//! What WordPress tells us, written to our store: a post published, moved or deleted
//! (from a publish, a sync or the plugin's webhook), the site's structure and terms,
//! and the log of calls. The publisher and the integration function share these so
//! a fact from WordPress means the same wherever it arrives.

use igny8_store::Conflict;
use igny8_store::{
    Content, ContentStatus, Scoped, Store, StoreError, TaskPatch, TaskStatus, Taxonomy, WpIntegration, WpTerm, now,
};
use serde_json::Value;

use crate::publish::Published;
use crate::structure::PostState;

/// Our content after WordPress took it: its post id and URL, the status WordPress
/// gave it (a new version), and its task completed.
pub async fn mark_published(store: &Store, content: &Content, published: &Published) -> Result<(), StoreError> {
    let status = ContentStatus::from_wordpress(&published.status);
    let external_url = (!published.url.is_empty()).then(|| published.url.clone());
    apply_to_content(store, content, |next| {
        next.external_id = Some(published.post_id.to_string());
        next.external_url = external_url.clone();
        next.status = status;
    })
    .await?;
    if let Some(task_id) = &content.task_id {
        let patch = TaskPatch { status: Some(TaskStatus::Completed), ..Default::default() };
        match store.patch_by_id(&content.account_id, task_id, patch).await {
            Ok(_) | Err(StoreError::Condition(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Saves `change` applied to the content as a new version; re-reads and tries again
/// when someone saved the content meanwhile. Nothing when the content is gone.
pub async fn apply_to_content(
    store: &Store,
    content: &Content,
    change: impl Fn(&mut Content),
) -> Result<(), StoreError> {
    let mut current = content.clone();
    for _ in 0..5 {
        let mut next = current.clone();
        change(&mut next);
        if next == current {
            return Ok(());
        }
        next.version = current.version + 1;
        next.updated_at = now();
        // What WordPress reports is the content's state, not a new text: no version kept.
        match store.save_content(&current, &next, false).await.map(|_| ()) {
            Err(StoreError::Condition(_)) => match store.find::<Content>(&content.account_id, content.id()).await? {
                Some(fresh) => current = fresh,
                None => return Ok(()),
            },
            other => return other,
        }
    }
    Err(StoreError::Condition(Conflict::Stale))
}

/// Logs are for people; a failure to write them must not fail the publish.
pub async fn write_logs(store: &Store, logs: Vec<igny8_store::SyncLog>) {
    if let Err(e) = store.add_sync_logs(&logs).await {
        tracing::warn!(error = %e, entries = logs.len(), "sync log entries could not be written");
    }
}

/// Stores what WordPress said the site is made of and mirrors its terms.
pub async fn save_structure(store: &Store, integration: &WpIntegration, site: &Value) -> Result<(), StoreError> {
    for (field, taxonomy) in [("category", Taxonomy::Category), ("post_tag", Taxonomy::PostTag)] {
        let terms: Vec<WpTerm> = serde_json::from_value(site["terms"][field].clone()).unwrap_or_default();
        store.mirror_wp_terms(&integration.account_id, &integration.site_id, taxonomy, &terms).await?;
    }
    let mut updated = store
        .wp_integration_of_site(&integration.account_id, &integration.site_id)
        .await?
        .unwrap_or_else(|| integration.clone());
    let mut described = site.clone();
    if let Some(object) = described.as_object_mut() {
        object.remove("terms");
    }
    updated.structure = Some(described);
    updated.structure_updated_at = Some(now());
    updated.last_sync_at = Some(now());
    store.put_wp_integration(&updated).await
}

/// Our content after WordPress's post moved: its status follows WordPress's; a deleted
/// post unlinks the content (publishing again makes a new post).
pub async fn apply_post_state(store: &Store, content: &Content, state: &PostState) -> Result<(), StoreError> {
    match state {
        PostState::Present { url, status, modified_gmt, .. } => {
            apply_to_content(store, content, |next| {
                next.status = ContentStatus::from_wordpress(status);
                if !url.is_empty() {
                    next.external_url = Some(url.clone());
                }
            })
            .await?;
            if let Some(mut publication) = store.publication(&content.account_id, &content.id).await? {
                publication.wp_status = Some(status.clone());
                if !modified_gmt.is_empty() {
                    publication.wp_modified_gmt = Some(modified_gmt.clone());
                }
                store.put_publication(&publication).await?;
            }
        }
        PostState::Deleted => {
            apply_to_content(store, content, |next| {
                next.status = ContentStatus::Draft;
                next.external_id = None;
                next.external_url = None;
            })
            .await?;
            if let Some(mut publication) = store.publication(&content.account_id, &content.id).await? {
                publication.post_id = None;
                publication.post_url = None;
                publication.wp_status = Some("deleted".into());
                store.put_publication(&publication).await?;
            }
        }
    }
    Ok(())
}
