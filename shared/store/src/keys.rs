//! Key construction. Every key of the table is built here and nowhere else.

use crate::ids::{AccountId, ClusterId, ContentId, JobId, SectorId, SiteId, UserId};
use crate::table::Key;

pub const GSI1: &str = "GSI1";
pub const GSI2: &str = "GSI2";
pub const GSI3: &str = "GSI3";
pub const GSI4: &str = "GSI4";
pub const GSI5: &str = "GSI5";
pub const GSI6: &str = "GSI6";
pub const GSI7: &str = "GSI7";

pub fn account_pk(account_id: &AccountId) -> String {
    format!("ACCOUNT#{account_id}")
}

pub fn account(account_id: &AccountId) -> Key {
    Key::new(account_pk(account_id), "ACCOUNT")
}

pub fn user(account_id: &AccountId, user_id: &UserId) -> Key {
    Key::new(account_pk(account_id), format!("USER#{user_id}"))
}

pub fn site(account_id: &AccountId, site_id: &SiteId) -> Key {
    Key::new(account_pk(account_id), format!("SITE#{site_id}"))
}

pub fn sector(account_id: &AccountId, sector_id: &SectorId) -> Key {
    Key::new(account_pk(account_id), format!("SECTOR#{sector_id}"))
}

/// GSI1 partition listing one site's sectors.
pub fn site_sectors(account_id: &AccountId, site_id: &SiteId) -> String {
    format!("ACCOUNT#{account_id}#SITE#{site_id}#SECTOR")
}

/// Guard making a sector name unique within its site (case and spacing ignored).
pub fn sector_name_guard(account_id: &AccountId, site_id: &SiteId, name: &str) -> Key {
    Key::new(account_pk(account_id), format!("GUARD#SECTORNAME#{site_id}#{}", normalise(name)))
}

/// Global: login by email; also what makes an email unique across all accounts.
pub fn email(email: &str) -> Key {
    Key::new(format!("EMAIL#{}", email.trim().to_lowercase()), "EMAIL")
}

/// Global: a site API key, by the SHA-256 of the key.
pub fn api_key(key_hash: &str) -> Key {
    Key::new(format!("APIKEY#{key_hash}"), "APIKEY")
}

/// Global: a refresh-token family.
pub fn session(family_id: &str) -> Key {
    Key::new(format!("SESSION#{family_id}"), "SESSION")
}

/// An object of an account by its kind's sort-key prefix (`KEYWORD`, `AUTHOR` …).
pub fn object(account_id: &AccountId, prefix: &str, id: &str) -> Key {
    Key::new(account_pk(account_id), format!("{prefix}#{id}"))
}

/// GSI2 partition listing a cluster's keywords.
pub fn cluster_keywords(account_id: &AccountId, cluster_id: &ClusterId) -> String {
    format!("ACCOUNT#{account_id}#CLUSTER#{cluster_id}#KEYWORD")
}

/// A sector's keywords (GSI5 by volume, GSI6 by difficulty, GSI7 their summaries).
pub fn sector_keywords(account_id: &AccountId, sector_id: &SectorId) -> String {
    format!("ACCOUNT#{account_id}#SECTOR#{sector_id}#KEYWORD")
}

/// A sector's keywords with one value of a field (GSI3 `STATUS`, GSI4 `INTENT`).
pub fn sector_keywords_with(account_id: &AccountId, sector_id: &SectorId, field: &str, value: &str) -> String {
    format!("ACCOUNT#{account_id}#SECTOR#{sector_id}#KEYWORD#{field}#{value}")
}

/// Guard making a keyword unique within its sector (`normalised` text).
pub fn keyword_guard(account_id: &AccountId, sector_id: &SectorId, normalised: &str) -> Key {
    Key::new(account_pk(account_id), format!("GUARD#KEYWORD#{sector_id}#{normalised}"))
}

/// One version of a content's text, numbered so they sort in order.
pub fn content_version(account_id: &AccountId, content_id: &ContentId, seq: u32) -> Key {
    Key::new(account_pk(account_id), format!("CONTENTVERSION#{content_id}#{seq:010}"))
}

/// Where a content was published (WordPress post id, URL).
pub fn publication(account_id: &AccountId, content_id: &ContentId) -> Key {
    Key::new(account_pk(account_id), format!("PUBLICATION#{content_id}"))
}

/// The account's AI usage in one month (`YYYY-MM`).
pub fn month_usage(account_id: &AccountId, month: &str) -> Key {
    Key::new(account_pk(account_id), format!("MONTHUSE#{month}"))
}

pub fn credit_transaction(account_id: &AccountId, id: &str) -> Key {
    Key::new(account_pk(account_id), format!("CREDITTX#{id}"))
}

pub fn usage_record(account_id: &AccountId, id: &str) -> Key {
    Key::new(account_pk(account_id), format!("USAGE#{id}"))
}

pub fn job(account_id: &AccountId, job_id: &JobId) -> Key {
    Key::new(account_pk(account_id), format!("JOB#{job_id}"))
}

/// Marks one saved unit of a job (so a redelivery never saves or charges it twice).
pub fn job_unit(account_id: &AccountId, job_id: &JobId, unit: &str) -> Key {
    Key::new(account_pk(account_id), format!("JOBUNIT#{job_id}#{unit}"))
}

/// One piece of a job's large input.
pub fn job_part(account_id: &AccountId, job_id: &JobId, name: &str, index: usize) -> Key {
    Key::new(account_pk(account_id), format!("JOBPART#{job_id}#{name}#{index:04}"))
}

/// Global: a job watched until it is seen finished, in one of a few shards, by time.
pub fn job_watch(shard: u32, created_at: &str, account_id: &AccountId, job_id: &JobId) -> Key {
    Key::new(format!("JOBWATCH#{shard}"), format!("{created_at}#{account_id}#{job_id}"))
}

pub fn ai_settings(account_id: &AccountId) -> Key {
    Key::new(account_pk(account_id), "SETTINGS#AI")
}

pub fn prompt_override(account_id: &AccountId, function: &str) -> Key {
    Key::new(account_pk(account_id), format!("PROMPT#{function}"))
}

pub fn ai_integration(account_id: &AccountId, provider: &str) -> Key {
    Key::new(account_pk(account_id), format!("AIINTEGRATION#{provider}"))
}

/// Global: a throttle's counter for one window (starting at `window_start`, Unix seconds).
pub fn throttle(scope: &str, subject: &str, window_start: i64) -> Key {
    Key::new(format!("THROTTLE#{scope}#{subject}#{window_start}"), "THROTTLE")
}

/// Lower-case, single-spaced: what "the same name" means for uniqueness.
pub fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_without_case_or_extra_spaces() {
        assert_eq!(normalise("  Best  Running\tShoes "), "best running shoes");
        assert_eq!(email(" Ann@Example.COM ").pk, "EMAIL#ann@example.com");
    }

    #[test]
    fn account_objects_share_the_account_partition() {
        assert_eq!(user(&"a1".into(), &"u1".into()).pk, account(&"a1".into()).pk);
        assert_eq!(site(&"a1".into(), &"s1".into()).pk, account(&"a1".into()).pk);
        assert_ne!(site(&"a1".into(), &"s1".into()).pk, site(&"a2".into(), &"s1".into()).pk);
    }
}
