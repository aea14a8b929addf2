//! Key construction. Every key of the table is built here and nowhere else.

use crate::table::Key;

pub const GSI1: &str = "GSI1";

pub fn account_pk(account_id: &str) -> String {
    format!("ACCOUNT#{account_id}")
}

pub fn account(account_id: &str) -> Key {
    Key::new(account_pk(account_id), "ACCOUNT")
}

pub fn user(account_id: &str, user_id: &str) -> Key {
    Key::new(account_pk(account_id), format!("USER#{user_id}"))
}

pub fn site(account_id: &str, site_id: &str) -> Key {
    Key::new(account_pk(account_id), format!("SITE#{site_id}"))
}

pub fn sector(account_id: &str, sector_id: &str) -> Key {
    Key::new(account_pk(account_id), format!("SECTOR#{sector_id}"))
}

/// GSI1 partition listing one site's sectors.
pub fn site_sectors(account_id: &str, site_id: &str) -> String {
    format!("ACCOUNT#{account_id}#SITE#{site_id}#SECTOR")
}

/// Guard making a sector name unique within its site (case and spacing ignored).
pub fn sector_name_guard(account_id: &str, site_id: &str, name: &str) -> Key {
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
        assert_eq!(user("a1", "u1").pk, account("a1").pk);
        assert_eq!(site("a1", "s1").pk, account("a1").pk);
        assert_ne!(site("a1", "s1").pk, site("a2", "s1").pk);
    }
}
