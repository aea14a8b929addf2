//! The objects of the platform and their repositories. Each file holds one kind of
//! object: its stored shape and the reads and writes that keep its invariants.

mod account;
mod automation;
mod cluster;
mod content;
mod idea;
mod image;
mod job;
mod keyword;
mod keyword_pages;
mod ledger;
mod patch;
mod reference;
mod role;
mod scoped;
mod sector;
mod session;
mod settings;
mod site;
mod task;
mod taxonomy;
mod throttle;
mod user;
mod wordpress;

pub use account::{Account, AccountStatus, Registration};
pub use automation::{
    AutomationRule, AutomationRun, Condition, PublishPolicy, RunState, Stage, StageAction, StageRun, StageState,
    Trigger, TriggerType, pending_stages,
};
pub use cluster::{Cluster, ClusterStatus};
pub use content::{CONTENT_VERSIONS_KEPT, Content, ContentStatus, ContentVersion};
pub use idea::{ContentStructure, ContentType, Idea, IdeaStatus};
pub use image::{Image, ImageStatus, ImageType};
pub use job::{ItemProgress, ItemState, Job, JobFunction, JobPhase, JobState, JobWatch, UnitOutcome, WATCH_SHARDS};
pub use keyword::{Intent, Keyword, KeywordChange, KeywordOutcome, KeywordStatus};
pub use keyword_pages::{KeywordFacts, KeywordList, KeywordPage, KeywordSummary};
pub use ledger::{Charge, CreditTransaction, CreditTransactionType, MonthlyUsage, UsageRecord};
pub use patch::{ClusterPatch, IdeaPatch, ImagePatch, Patch, TaskPatch, TermPatch};
pub use reference::{INDUSTRIES, Industry, IndustrySector, PLANS, Plan, TRIAL_PLAN, industry, industry_sector, plan};
pub use role::Role;
pub use scoped::{NO_SECTOR, Scoped, scoped_key};
pub use sector::{MAX_ACTIVE_SECTORS, MAX_KEYWORDS_PER_SECTOR, Sector, SectorChanges};
pub use session::{RefreshOutcome, SESSION_ABSOLUTE_SECS, Session};
pub use settings::{
    AiSettings, AnswerFormat, AuthorProfile, Guidance, Integration, ModelQuirks, PromptOverride, Strategy, TokenParam,
};
pub use site::{ApiKeyOwner, Site, SiteChanges, SiteStatus};
pub use task::{Task, TaskStatus};
pub use taxonomy::{Taxonomy, TaxonomyTerm};
pub use throttle::Attempts;
pub use user::{User, UserChanges};
pub use wordpress::{
    BridgeInfo, CategoryRule, ClustersAs, MediaRef, Publication, PublishStatus, RestStyle, SYNC_LOG_DAYS, SyncKind,
    SyncLog, WpIntegration, WpMode, WpTerm,
};
