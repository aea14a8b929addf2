//! Typed partial updates: one struct per kind of object naming the fields a change may
//! set (`Some`) or leave (`None`); optional fields may also be cleared
//! (`Some(None)`). `Store::patch` turns one into the update, so the expressions of
//! client changes are written here and nowhere else (`docs/architecture.md §9`).

use crate::model::scoped::{Scoped, scoped_key};
use crate::table::{Store, StoreResult, Tx, Update, now};
use crate::{
    AccountId, Cluster, ClusterId, Conflict, ContentId, Idea, IdeaStatus, Image, ImageStatus, ImageType, Task,
    TaxonomyTerm, TermId,
};
use crate::{ClusterStatus, ContentStructure, ContentType, TaskStatus};

/// A partial update of a `Target`.
pub trait Patch {
    type Target: Scoped;
    /// The update that applies the patch to the object under `key` (`updated_at` moves).
    fn update(self, key: crate::Key) -> StoreResult<Update>;
}

macro_rules! patch {
    (
        $(#[$meta:meta])*
        $name:ident for $target:ty {
            $($field:ident: $ty:ty),* $(,)?
        }
        $(clearable { $($clear:ident: $cty:ty),* $(,)? })?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default)]
        pub struct $name {
            $(pub $field: Option<$ty>,)*
            $($(pub $clear: Option<Option<$cty>>,)*)?
        }

        impl Patch for $name {
            type Target = $target;

            fn update(self, key: crate::Key) -> StoreResult<Update> {
                let mut update = Update::new(key).set("updated_at", now())?;
                $(if let Some(value) = self.$field {
                    update = update.set(stringify!($field), value)?;
                })*
                $($(match self.$clear {
                    Some(Some(value)) => update = update.set(stringify!($clear), value)?,
                    Some(None) => update = update.remove(stringify!($clear)),
                    None => {}
                })*)?
                Ok(update)
            }
        }
    };
}

patch!(
    /// What a client may change of a cluster.
    ClusterPatch for Cluster { name: String, description: String, status: ClusterStatus }
);

patch!(
    /// What a client may change of an idea (its status: see `Store::patch_idea`).
    IdeaPatch for Idea {
        title: String,
        description: String,
        content_type: ContentType,
        content_structure: ContentStructure,
        target_keywords: Vec<String>,
        estimated_word_count: u32,
        status: IdeaStatus,
    }
    clearable { cluster_id: ClusterId }
);

patch!(
    /// What a client, the publisher or a site key may change of a writer task.
    TaskPatch for Task {
        title: String,
        description: String,
        keywords: Vec<String>,
        content_type: ContentType,
        content_structure: ContentStructure,
        word_count: u32,
        status: TaskStatus,
    }
    clearable { cluster_id: ClusterId }
);

patch!(
    /// What a client or an upload may change of an image.
    ImagePatch for Image {
        image_type: ImageType,
        prompt: String,
        alt_text: String,
        caption: String,
        position: u32,
        status: ImageStatus,
        url: String,
        s3_key: String,
        content_type: String,
    }
    clearable { content_id: ContentId }
);

patch!(
    /// What a client or a structure sync may change of a taxonomy term.
    TermPatch for TaxonomyTerm { name: String, slug: String, description: String }
    clearable { parent_id: TermId, external_id: u64 }
);

impl Store {
    /// Applies `patch` to `target` as stored; `Condition(Missing)` if it is gone.
    pub async fn patch<P: Patch>(&self, target: &P::Target, patch: P) -> StoreResult<P::Target> {
        self.update(patch.update(target.key())?, Conflict::Missing).await
    }

    /// Applies `patch` to the object `id` of the account, if it is still there.
    pub async fn patch_by_id<P: Patch>(
        &self,
        account_id: &AccountId,
        id: &<P::Target as Scoped>::Id,
        patch: P,
    ) -> StoreResult<P::Target> {
        self.update(patch.update(scoped_key::<P::Target>(account_id, id))?, Conflict::Missing).await
    }

    /// Applies one patch to many objects, 100 per transaction; each must still exist
    /// (`Condition(Missing)` otherwise, and that transaction changes nothing).
    pub async fn patch_many<P: Patch + Clone>(&self, targets: &[P::Target], patch: P) -> StoreResult<()> {
        for chunk in targets.chunks(100) {
            let mut tx = Tx::new();
            for target in chunk {
                tx.update(self.table(), patch.clone().update(target.key())?, Conflict::Missing);
            }
            self.commit(tx).await?;
        }
        Ok(())
    }

    /// Applies `patch` to an idea whose link to a writer task must still be as read
    /// (`queued`): a status belongs to queued ideas or to the others, and a concurrent
    /// `queue_to_writer` may have linked it (`Condition(Stale)` then).
    pub async fn patch_idea(&self, idea: &Idea, patch: IdeaPatch) -> StoreResult<Idea> {
        let linked = if idea.task_id.is_some() { "attribute_exists(task_id)" } else { "attribute_not_exists(task_id)" };
        let sets_status = patch.status.is_some();
        let mut update = patch.update(idea.key())?;
        if sets_status {
            update = update.when(linked);
        }
        self.update(update, Conflict::Stale).await
    }
}
