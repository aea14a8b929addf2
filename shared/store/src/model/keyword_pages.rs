//! Pages of keywords read from the lists each keyword is written to (`Keyword::item`):
//! a page costs reads in proportion to the page, not to the sector or site
//! (`docs/decisions.md`, list pages). A site's page merges its sectors' lists, reading
//! each only as far as the page needs.

use std::cmp::Ordering;
use std::collections::VecDeque;

use serde::Deserialize;

use crate::ids::{AccountId, ClusterId, KeywordId, SectorId, SiteId};
use crate::keys;
use crate::model::keyword::{Intent, Keyword, KeywordStatus};
use crate::table::{AttributeValue, IndexRange, Item, ListIndex, Store, StoreResult, decode};

/// A list of keywords that pages are read from, each in its own order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeywordList {
    /// All of a sector's (or a site's), by id: creation order.
    All,
    /// One cluster's, by id.
    Cluster(ClusterId),
    /// Those of one status, by id.
    Status(KeywordStatus),
    /// Those of one intent, by id.
    Intent(Intent),
    /// All, by volume, then id.
    Volume,
    /// All, by difficulty, then id.
    Difficulty,
}

impl KeywordList {
    /// What a cursor names to say which list it belongs to.
    pub fn tag(&self) -> String {
        match self {
            KeywordList::All => "all".into(),
            KeywordList::Cluster(cluster) => format!("cluster:{cluster}"),
            KeywordList::Status(status) => format!("status:{}", status.as_str()),
            KeywordList::Intent(intent) => format!("intent:{}", intent.as_str()),
            KeywordList::Volume => "volume".into(),
            KeywordList::Difficulty => "difficulty".into(),
        }
    }

    /// Whether `position` could be one of this list's.
    pub fn takes(&self, position: &str) -> bool {
        let (measure, id) = match self {
            KeywordList::Volume | KeywordList::Difficulty => match position.split_once('#') {
                Some((measure, id)) => (Some(measure), id),
                None => return false,
            },
            _ => (None, position),
        };
        let digits = |m: &str, len: usize| m.len() == len && m.bytes().all(|b| b.is_ascii_digit());
        let measure_ok = match (self, measure) {
            (KeywordList::Volume, Some(m)) => digits(m, VOLUME_DIGITS),
            (KeywordList::Difficulty, Some(m)) => digits(m, DIFFICULTY_DIGITS),
            (_, None) => true,
            _ => false,
        };
        measure_ok
            && id.starts_with("kw_")
            && id.len() < 64
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    }
}

/// Volumes go up to 10⁹; difficulties to 100. Fixed widths make text order numeric.
const VOLUME_DIGITS: usize = 10;
const DIFFICULTY_DIGITS: usize = 3;

impl Keyword {
    /// Where the keyword sits in `list`: the part of its sort key that orders it there.
    pub fn position(&self, list: KeywordList) -> String {
        match list {
            KeywordList::Volume => format!("{:0width$}#{}", self.volume, self.id, width = VOLUME_DIGITS),
            KeywordList::Difficulty => format!("{:0width$}#{}", self.difficulty, self.id, width = DIFFICULTY_DIGITS),
            _ => self.id.to_string(),
        }
    }
}

/// What lists filter and order keywords by, for whole keywords and their summaries alike.
pub trait KeywordFacts {
    fn id(&self) -> &KeywordId;
    fn text(&self) -> &str;
    fn volume(&self) -> u64;
    fn difficulty(&self) -> u8;
    fn intent(&self) -> Intent;
    fn status(&self) -> KeywordStatus;
    fn cluster_id(&self) -> Option<&ClusterId>;
}

/// A keyword as GSI7 carries it: what lists filter and order by, a quarter of its item
/// (the item also carries the keys of every list it is in). Pages no index orders are
/// chosen from summaries; only the page's keywords are read whole.
#[derive(Debug, Clone, Deserialize)]
pub struct KeywordSummary {
    pub id: KeywordId,
    pub keyword: String,
    pub volume: u64,
    pub difficulty: u8,
    pub intent: Intent,
    pub status: KeywordStatus,
    #[serde(default)]
    pub cluster_id: Option<ClusterId>,
}

macro_rules! keyword_facts {
    ($type:ty) => {
        impl KeywordFacts for $type {
            fn id(&self) -> &KeywordId {
                &self.id
            }
            fn text(&self) -> &str {
                &self.keyword
            }
            fn volume(&self) -> u64 {
                self.volume
            }
            fn difficulty(&self) -> u8 {
                self.difficulty
            }
            fn intent(&self) -> Intent {
                self.intent
            }
            fn status(&self) -> KeywordStatus {
                self.status
            }
            fn cluster_id(&self) -> Option<&ClusterId> {
                self.cluster_id.as_ref()
            }
        }
    };
}
keyword_facts!(Keyword);
keyword_facts!(KeywordSummary);

/// Which keywords a page is of, where it starts and which way it reads.
#[derive(Debug, Clone)]
pub struct KeywordPage<'a> {
    pub account_id: &'a AccountId,
    pub site_id: &'a SiteId,
    /// The sectors whose lists are merged (one for a sector's page; a cluster's list is
    /// one whatever they are).
    pub sectors: &'a [SectorId],
    pub list: KeywordList,
    /// Highest first.
    pub descending: bool,
    /// Only keywords past this position, in the page's direction.
    pub after: Option<&'a str>,
    pub limit: usize,
}

/// One sorted list being read a chunk at a time.
struct Stream {
    index: ListIndex,
    partition: String,
    /// Sort keys of this list start with it (a sector's part of the site's GSI1 list).
    prefix: String,
    buffered: VecDeque<(String, Item)>,
    /// The last position read, where the next chunk starts.
    last: Option<String>,
    exhausted: bool,
}

impl Stream {
    fn new(index: ListIndex, partition: String, prefix: String, after: Option<&str>) -> Self {
        Self { index, partition, prefix, buffered: VecDeque::new(), last: after.map(str::to_owned), exhausted: false }
    }

    fn needs_reading(&self) -> bool {
        self.buffered.is_empty() && !self.exhausted
    }

    async fn read(&mut self, store: &Store, descending: bool, chunk: usize) -> StoreResult<()> {
        let range = IndexRange {
            index: self.index,
            partition: &self.partition,
            prefix: &self.prefix,
            after: self.last.as_deref(),
            descending,
        };
        let (items, exhausted) = store.query_index_from(range, chunk).await?;
        let (_, _, sort) = self.index.attributes();
        for item in items {
            let Some(AttributeValue::S(key)) = item.get(sort) else { continue };
            let position = key.strip_prefix(&self.prefix).unwrap_or(key).to_owned();
            self.last = Some(position.clone());
            self.buffered.push_back((position, item));
        }
        self.exhausted = exhausted;
        Ok(())
    }
}

impl Store {
    /// Up to `page.limit` keywords of `page.list` in its order (reversed when
    /// descending), each with its position. The lists of the page's sectors are read a
    /// chunk at a time and merged, so at most `limit + limit / 2 + sectors` entries are
    /// read, whatever the lists hold.
    pub async fn keyword_page(&self, page: &KeywordPage<'_>) -> StoreResult<Vec<(String, Keyword)>> {
        let mut streams = self.streams(page);
        if streams.is_empty() || page.limit == 0 {
            return Ok(Vec::new());
        }
        // One list is read in one go; several in chunks small enough that what is read
        // and not used (at most a chunk a list) stays within half a page.
        let chunk = match streams.len() {
            1 => page.limit,
            lists => page.limit.div_ceil(2 * lists).max(1),
        };
        let mut found = Vec::with_capacity(page.limit);
        while found.len() < page.limit {
            // A list can only be compared once its next entry is read (or it has none).
            let mut rounds = 0;
            while streams.iter().any(Stream::needs_reading) {
                let wanted = chunk.min(page.limit - found.len()).max(1);
                let reads =
                    streams.iter_mut().filter(|s| s.needs_reading()).map(|s| s.read(self, page.descending, wanted));
                for read in futures::future::join_all(reads).await {
                    read?;
                }
                rounds += 1;
                if rounds > 3 {
                    return Err(crate::StoreError::Busy("an index kept answering empty pages".into()));
                }
            }
            let next = streams
                .iter()
                .enumerate()
                .filter_map(|(i, s)| s.buffered.front().map(|(position, _)| (i, position)))
                .reduce(|best, candidate| {
                    let order = candidate.1.cmp(best.1);
                    let better = if page.descending { order == Ordering::Greater } else { order == Ordering::Less };
                    if better { candidate } else { best }
                })
                .map(|(i, _)| i);
            let Some(stream) = next else { break };
            if let Some((position, item)) = streams[stream].buffered.pop_front() {
                found.push((position, decode(item)?));
            }
        }
        Ok(found)
    }

    /// The summaries of the sectors' keywords that `keep` keeps, read page by page
    /// (GSI7) and holding no others.
    pub async fn keyword_summaries_where(
        &self,
        account_id: &AccountId,
        sectors: &[SectorId],
        mut keep: impl FnMut(&KeywordSummary) -> bool,
    ) -> StoreResult<Vec<KeywordSummary>> {
        let mut kept = Vec::new();
        for sector in sectors {
            let partition = keys::sector_keywords(account_id, sector);
            kept.extend(self.query_list_where(ListIndex::Summary, &partition, None, &mut keep).await?);
        }
        Ok(kept)
    }

    fn streams(&self, page: &KeywordPage<'_>) -> Vec<Stream> {
        let (account, after) = (page.account_id, page.after);
        if let KeywordList::Cluster(cluster) = &page.list {
            return vec![Stream::new(
                ListIndex::Cluster,
                keys::cluster_keywords(account, cluster),
                String::new(),
                after,
            )];
        }
        page.sectors
            .iter()
            .map(|sector| match &page.list {
                KeywordList::Status(status) => Stream::new(
                    ListIndex::Status,
                    keys::sector_keywords_with(account, sector, "STATUS", status.as_str()),
                    String::new(),
                    after,
                ),
                KeywordList::Intent(intent) => Stream::new(
                    ListIndex::Intent,
                    keys::sector_keywords_with(account, sector, "INTENT", intent.as_str()),
                    String::new(),
                    after,
                ),
                KeywordList::Volume => {
                    Stream::new(ListIndex::Volume, keys::sector_keywords(account, sector), String::new(), after)
                }
                KeywordList::Difficulty => {
                    Stream::new(ListIndex::Difficulty, keys::sector_keywords(account, sector), String::new(), after)
                }
                KeywordList::All | KeywordList::Cluster(_) => Stream::new(
                    ListIndex::Scope,
                    crate::model::scoped::scope_list::<Keyword>(account, page.site_id),
                    format!("{sector}#"),
                    after,
                ),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_sort_as_their_measures() {
        let small = Keyword {
            id: "kw_01jabc".into(),
            account_id: "acc".into(),
            site_id: "site".into(),
            sector_id: "sec".into(),
            keyword: "running shoes".into(),
            volume: 90,
            difficulty: 10,
            intent: Intent::Informational,
            status: KeywordStatus::Active,
            cluster_id: None,
            revision: 0,
            created_at: String::new(),
            updated_at: String::new(),
        };
        let mut large = small.clone();
        large.volume = 1_000;
        assert!(small.position(KeywordList::Volume) < large.position(KeywordList::Volume));
        assert!(KeywordList::Volume.takes(&large.position(KeywordList::Volume)));
        assert!(!KeywordList::Difficulty.takes(&large.position(KeywordList::Volume)));
        assert!(KeywordList::All.takes(large.id.as_str()));
        assert!(!KeywordList::All.takes("kw_1\"; drop"));
    }
}
