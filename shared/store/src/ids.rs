//! Typed ids. Every id is an opaque string on the wire and in the table, but in the code
//! an account's id and a site's id are different types: a call that passes one where the
//! other belongs (`keys::site(site_id, account_id)`, `store.find::<Keyword>(…, &cluster_id)`)
//! does not compile.
//!
//! `Id<K>` is one implementation for all of them; `K` is an uninhabited marker that names
//! the kind and the short prefix new ids carry (`site_01J…`). An id reads as `&str`
//! (`Deref`) wherever text is wanted — formatting, comparison, logs — but text never
//! becomes an id without saying which (`SiteId::from(text)`).
//!
//! The right kinds compile:
//!
//! ```
//! use igny8_store::{AccountId, Keyword, KeywordId, SiteId, Store, keys, scoped_key};
//! let (account, site) = (AccountId::from("acc_1"), SiteId::from("site_1"));
//! keys::site(&account, &site);
//! scoped_key::<Keyword>(&account, &KeywordId::from("kw_1"));
//! ```
//!
//! Swapped ids do not:
//!
//! ```compile_fail
//! use igny8_store::{AccountId, SiteId, keys};
//! let (account, site) = (AccountId::from("acc_1"), SiteId::from("site_1"));
//! keys::site(&site, &account);
//! ```
//!
//! Nor does an id of another kind of object:
//!
//! ```compile_fail
//! use igny8_store::{AccountId, ClusterId, Keyword, scoped_key};
//! scoped_key::<Keyword>(&AccountId::from("acc_1"), &ClusterId::from("cl_1"));
//! ```

use std::borrow::{Borrow, Cow};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a kind of id is called in the API document and the prefix of its new ids.
pub trait IdKind: 'static {
    /// Schema name in the OpenAPI document, e.g. `SiteId`.
    const NAME: &'static str;
    /// Prefix of generated ids, e.g. `site`.
    const PREFIX: &'static str;
}

pub struct Id<K: IdKind>(String, PhantomData<fn() -> K>);

impl<K: IdKind> Id<K> {
    /// A new, time-sortable id: `<prefix>_<ulid>`. Sorting ids sorts by creation time,
    /// which lists rely on (`docs/data-model.md`).
    pub fn generate() -> Self {
        Self::from(crate::new_id(K::PREFIX))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl<K: IdKind> From<String> for Id<K> {
    fn from(text: String) -> Self {
        Self(text, PhantomData)
    }
}

impl<K: IdKind> From<&str> for Id<K> {
    fn from(text: &str) -> Self {
        Self(text.to_owned(), PhantomData)
    }
}

impl<K: IdKind> From<&String> for Id<K> {
    fn from(text: &String) -> Self {
        Self(text.clone(), PhantomData)
    }
}

impl<K: IdKind> From<Id<K>> for String {
    fn from(id: Id<K>) -> Self {
        id.0
    }
}

impl<K: IdKind> Deref for Id<K> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<K: IdKind> AsRef<str> for Id<K> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<K: IdKind> Borrow<str> for Id<K> {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl<K: IdKind> Clone for Id<K> {
    fn clone(&self) -> Self {
        Self(self.0.clone(), PhantomData)
    }
}

impl<K: IdKind> fmt::Debug for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl<K: IdKind> fmt::Display for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<K: IdKind> PartialEq for Id<K> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<K: IdKind> Eq for Id<K> {}

impl<K: IdKind> PartialEq<str> for Id<K> {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl<K: IdKind> PartialEq<&str> for Id<K> {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl<K: IdKind> PartialEq<String> for Id<K> {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl<K: IdKind> PartialEq<&Id<K>> for Id<K> {
    fn eq(&self, other: &&Id<K>) -> bool {
        self.0 == other.0
    }
}

impl<K: IdKind> PartialEq<Id<K>> for String {
    fn eq(&self, other: &Id<K>) -> bool {
        *self == other.0
    }
}

impl<K: IdKind> PartialEq<Id<K>> for str {
    fn eq(&self, other: &Id<K>) -> bool {
        self == other.0
    }
}

impl<K: IdKind> PartialOrd for Id<K> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<K: IdKind> Ord for Id<K> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp(&other.0)
    }
}

impl<K: IdKind> Hash for Id<K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state)
    }
}

impl<K: IdKind> Serialize for Id<K> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de, K: IdKind> Deserialize<'de> for Id<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::from)
    }
}

impl<K: IdKind> validator::ValidateLength<u64> for Id<K> {
    fn length(&self) -> Option<u64> {
        Some(self.0.chars().count() as u64)
    }
}

impl<K: IdKind> utoipa::PartialSchema for Id<K> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(format!("Opaque id; new ones look like `{}_01j…`.", K::PREFIX)))
            .into()
    }
}

impl<K: IdKind> utoipa::ToSchema for Id<K> {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed(K::NAME)
    }
}

macro_rules! id_kinds {
    ($($alias:ident = $marker:ident, $prefix:literal;)*) => {
        /// The markers that tell one kind of id from another.
        pub mod kind {
            $(
                #[derive(Debug)]
                pub enum $marker {}
                impl super::IdKind for $marker {
                    const NAME: &'static str = stringify!($alias);
                    const PREFIX: &'static str = $prefix;
                }
            )*
        }
        $(pub type $alias = Id<kind::$marker>;)*
    };
}

id_kinds! {
    AccountId = Account, "acc";
    UserId = User, "usr";
    SiteId = Site, "site";
    SectorId = Sector, "sec";
    KeywordId = Keyword, "kw";
    ClusterId = Cluster, "cl";
    IdeaId = Idea, "idea";
    TaskId = Task, "task";
    ContentId = Content, "cnt";
    ImageId = Image, "img";
    TermId = Term, "term";
    JobId = Job, "job";
    WpIntegrationId = WpIntegration, "wp";
    SyncLogId = SyncLog, "log";
    RuleId = Rule, "rule";
    RunId = Run, "run";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_its_text_on_the_wire() {
        let id = SiteId::from("site_1");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"site_1\"");
        let back: SiteId = serde_json::from_str("\"site_1\"").unwrap();
        assert_eq!(back, id);
        assert_eq!(back, "site_1");
    }

    #[test]
    fn generated_ids_carry_their_kind_and_sort_by_time() {
        let first = KeywordId::generate();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = KeywordId::generate();
        assert!(first.starts_with("kw_"));
        assert!(first < second);
    }
}
