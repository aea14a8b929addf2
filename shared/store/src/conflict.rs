//! Why a conditional write did not happen. Every condition a repository puts on a write
//! names one of these, and the store reports it as `StoreError::Condition(conflict)`;
//! `igny8_http` turns each into the API's answer in one place.

/// A condition of a write that did not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Conflict {
    // The thing to create is already there.
    /// An item with this key exists (ids are new, so: a retried write).
    Exists,
    AccountExists,
    UserExists,
    SessionExists,
    SiteExists,
    SectorExists,
    /// A site's API key hash is already taken (practically never).
    KeyExists,
    EmailTaken,
    SectorNameTaken,
    /// A keyword with this text is already in the sector.
    Duplicate,
    /// The task for this idea is already queued.
    AlreadyQueued,

    // What the write needs is gone.
    Missing,
    AccountMissing,
    UserMissing,
    SessionMissing,
    SiteMissing,
    SectorMissing,
    ClusterMissing,
    GuidanceMissing,
    /// The object was deleted meanwhile.
    Gone,

    // The object changed meanwhile (optimistic concurrency).
    /// Its revision is not the one read.
    Stale,
    Changed,
    IdeaMoved,
    DripMoved,
    RunMoved,
    BalanceChanged,
    /// A refresh token that is not its family's current one (reuse).
    NotCurrent,
    /// A job's or run's state is not the expected one.
    State,
    /// A cluster is being changed by another request.
    Busy,

    // Limits.
    PlanLimit,
    SectorLimit,
    InsufficientCredits,

    // Objects still in use.
    NotEmpty,
    SiteHasSectors,
    SiteNotEmpty,
    SectorNotEmpty,
    /// Keywords were released from their cluster meanwhile.
    Released,
    /// An empty cluster got keywords meanwhile (so it is not removed).
    Filled,
    /// An image of the article was drawn while its new prompts were made.
    ImageDrawn,

    // Workers' fencing.
    /// Another worker took the job.
    JobTaken,
    /// This unit of the job was saved before (a redelivery).
    UnitSaved,
    /// The worker's lease on the job ended.
    LeaseLost,
    /// An automation run is already active for the rule.
    RunActive,
    /// A write without a condition, or one whose failure the caller ignores (a counter
    /// that is already at its floor).
    Never,
}
