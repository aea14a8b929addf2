//! Keywords and the invariants that tie them to clusters: a keyword is unique per sector
//! (case and spacing ignored; a guard item), and a cluster's `keywords_count` and
//! `volume` are always the count and sum of its keywords (changed in the same
//! transaction as the keywords).

use crate::Conflict;
use crate::ids::{AccountId, ClusterId, KeywordId, SectorId, SiteId};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::keys;
use crate::model::Cluster;
use crate::model::keyword_pages::KeywordList;
use crate::model::scoped::{Scoped, scoped, scoped_key};
use crate::model::sector::MAX_KEYWORDS_PER_SECTOR;
use crate::table::{AttributeValue, Item, Key, ListIndex, Record, Store, StoreError, StoreResult, Tx, Update};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    #[default]
    Informational,
    Commercial,
    Transactional,
    Navigational,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeywordStatus {
    #[default]
    Active,
    Inactive,
    Used,
}

impl Intent {
    /// As in the API (and the sector's count of it, `keywords_<intent>`).
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Informational => "informational",
            Intent::Commercial => "commercial",
            Intent::Transactional => "transactional",
            Intent::Navigational => "navigational",
        }
    }
}

impl KeywordStatus {
    /// As in the API (and the sector's count of it, `keywords_<status>`).
    pub fn as_str(self) -> &'static str {
        match self {
            KeywordStatus::Active => "active",
            KeywordStatus::Inactive => "inactive",
            KeywordStatus::Used => "used",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Keyword {
    pub id: KeywordId,
    pub account_id: AccountId,
    pub site_id: SiteId,
    pub sector_id: SectorId,
    pub keyword: String,
    pub volume: u64,
    pub difficulty: u8,
    pub intent: Intent,
    pub status: KeywordStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<ClusterId>,
    /// Bumped by every write; writes are conditional on the revision they read, so
    /// cluster counter deltas are never computed from a stale keyword.
    #[serde(default)]
    pub revision: u64,
    pub created_at: String,
    pub updated_at: String,
}

scoped!(Keyword, crate::KeywordId, "keyword", "KEYWORD");

impl Keyword {
    /// The keyword as compared for uniqueness.
    pub fn normalised(&self) -> String {
        keys::normalise(&self.keyword)
    }

    /// The stored item, listed in each list a page of keywords is read from
    /// (`KeywordList`): its sector's (GSI1), its cluster's (GSI2), its sector's of its
    /// status (GSI3) and of its intent (GSI4), and its sector's by volume (GSI5) and by
    /// difficulty (GSI6). A page of any of them reads only its own keywords. GSI7 holds
    /// its summary, for the lists no index orders (`KeywordSummary`).
    fn item(&self) -> StoreResult<Record> {
        let (account, sector, id) = (&self.account_id, &self.sector_id, self.id.as_str());
        let record = self
            .record()?
            .in_index(
                ListIndex::Status,
                keys::sector_keywords_with(account, sector, "STATUS", self.status.as_str()),
                id,
            )
            .in_index(
                ListIndex::Intent,
                keys::sector_keywords_with(account, sector, "INTENT", self.intent.as_str()),
                id,
            )
            .in_index(ListIndex::Volume, keys::sector_keywords(account, sector), self.position(KeywordList::Volume))
            .in_index(
                ListIndex::Difficulty,
                keys::sector_keywords(account, sector),
                self.position(KeywordList::Difficulty),
            )
            .in_index(ListIndex::Summary, keys::sector_keywords(account, sector), id);
        Ok(match &self.cluster_id {
            Some(cluster) => record.in_index(ListIndex::Cluster, keys::cluster_keywords(account, cluster), id),
            None => record,
        })
    }

    /// The names of the sector counts this keyword is in (`keywords_<status>`,
    /// `keywords_<intent>`).
    fn tallies(&self) -> [String; 2] {
        [format!("keywords_{}", self.status.as_str()), format!("keywords_{}", self.intent.as_str())]
    }

    fn guard_key(&self) -> Key {
        keys::keyword_guard(&self.account_id, &self.sector_id, &self.normalised())
    }

    fn guard_record(&self) -> StoreResult<Record> {
        Record::new(self.guard_key(), "guard", &serde_json::json!({"keyword_id": self.id}))
    }
}

/// One change to a keyword: create (`before` is None), update, or delete (`after` is None).
#[derive(Debug, Clone)]
pub struct KeywordChange {
    pub before: Option<Keyword>,
    pub after: Option<Keyword>,
}

/// What became of a batch of changes, by position in the batch.
#[derive(Debug, Default)]
pub struct KeywordOutcome {
    pub applied: Vec<usize>,
    /// Another keyword of the sector already has this text.
    pub duplicates: Vec<usize>,
    /// The keyword changed or vanished since it was read.
    pub stale: Vec<usize>,
    /// The cluster it was to join does not exist.
    pub missing_cluster: Vec<usize>,
    /// Its sector is gone or being deleted.
    pub missing_sector: Vec<usize>,
    /// Creating it would take the account past its plan's keyword limit.
    pub plan_limited: Vec<usize>,
    /// Its sector holds `MAX_KEYWORDS_PER_SECTOR` already.
    pub sector_full: Vec<usize>,
}

enum ActionOwner {
    Change(usize),
    Cluster(ClusterId),
    Sector(SectorId),
    /// The account's keyword count (the plan limit).
    Account,
}

fn creates(change: &KeywordChange) -> bool {
    change.before.is_none() && change.after.is_some()
}

/// The account of a batch's keywords (one request's keywords share it).
fn account_of<'a>(changes: &'a [KeywordChange], members: &[usize]) -> Option<&'a AccountId> {
    members.first().and_then(|&m| changes[m].before.as_ref().or(changes[m].after.as_ref())).map(|k| &k.account_id)
}

/// (keywords_count delta, volume delta) per cluster id.
type ClusterDeltas = BTreeMap<ClusterId, (i64, i64)>;

/// What a batch does to one sector's counts.
#[derive(Default)]
struct SectorDelta {
    /// Creates less deletes.
    net: i64,
    /// Whether it creates any (then the sector must be open and have room).
    creates: bool,
    /// `keywords_<status>` / `keywords_<intent>` → change.
    tallies: BTreeMap<String, i64>,
}

fn unchanged_since(keyword: &Keyword) -> (String, Item) {
    ("revision = :seen".to_owned(), Item::from([(":seen".to_owned(), AttributeValue::N(keyword.revision.to_string()))]))
}

impl Store {
    /// Applies keyword changes in as few transactions as the 100-action limit allows.
    /// A change that would duplicate a keyword, acts on a stale read or names a missing
    /// cluster is left out and reported; the others are applied. Cluster counters move
    /// in the same transactions, so they are never wrong, even for a moment. So does the
    /// account's `keywords_count`, which creates may not take past `max_keywords` (the
    /// plan's limit; creates beyond it are reported in `plan_limited`).
    pub async fn apply_keyword_changes(
        &self,
        changes: &[KeywordChange],
        max_keywords: u32,
    ) -> StoreResult<KeywordOutcome> {
        let mut outcome = KeywordOutcome::default();
        let mut pending: Vec<usize> = dedupe_creates(changes, &mut outcome);
        while !pending.is_empty() {
            let (chunk, rest) = take_chunk(changes, &pending);
            let mut members = chunk;
            // A count that failed its condition may have room again when read (keywords
            // deleted meanwhile): then the same members are tried again, a few times.
            let mut rounds_without_drop = 0;
            loop {
                if members.is_empty() {
                    break;
                }
                let (tx, owners) = self.keyword_tx(changes, &members, max_keywords)?;
                let failed = self.try_commit(tx).await?;
                if failed.is_empty() {
                    outcome.applied.extend(&members);
                    break;
                }
                let before_retry = members.len();
                for (action, label) in failed {
                    match &owners[action] {
                        ActionOwner::Change(change) => {
                            match label {
                                Conflict::Duplicate => outcome.duplicates.push(*change),
                                _ => outcome.stale.push(*change),
                            }
                            members.retain(|m| m != change);
                        }
                        ActionOwner::Sector(sector) => {
                            let creates_in = |m: &usize| {
                                creates(&changes[*m])
                                    && changes[*m].after.as_ref().is_some_and(|k| k.sector_id == sector)
                            };
                            let found = match account_of(changes, &members) {
                                Some(account_id) => self.sector(account_id, sector).await?,
                                None => None,
                            };
                            match found {
                                Some(found) if !found.deleting => {
                                    // Full: keep the creates that still fit, in order.
                                    let deleting_here = members
                                        .iter()
                                        .filter(|&&m| changes[m].after.is_none())
                                        .filter(|&&m| changes[m].before.as_ref().is_some_and(|k| k.sector_id == sector))
                                        .count();
                                    let room = (MAX_KEYWORDS_PER_SECTOR as usize + deleting_here)
                                        .saturating_sub(found.keywords_count as usize);
                                    let full: Vec<usize> =
                                        members.iter().copied().filter(creates_in).skip(room).collect();
                                    outcome.sector_full.extend(&full);
                                    members.retain(|m| !full.contains(m));
                                }
                                _ => {
                                    outcome.missing_sector.extend(members.iter().copied().filter(creates_in));
                                    members.retain(|m| !creates_in(m));
                                }
                            }
                        }
                        ActionOwner::Account => {
                            // Keep the creates that still fit, in order; the rest are limited.
                            let room = self.keyword_room(changes, &members, max_keywords).await?;
                            let limited: Vec<usize> =
                                members.iter().copied().filter(|m| creates(&changes[*m])).skip(room).collect();
                            outcome.plan_limited.extend(&limited);
                            members.retain(|m| !limited.contains(m));
                        }
                        ActionOwner::Cluster(cluster) => {
                            // The cluster is gone: every member touching it is out.
                            let touches = |m: &usize| {
                                [&changes[*m].before, &changes[*m].after]
                                    .iter()
                                    .any(|k| k.as_ref().and_then(|k| k.cluster_id.as_ref()) == Some(cluster))
                            };
                            outcome.missing_cluster.extend(members.iter().copied().filter(touches));
                            members.retain(|m| !touches(m));
                        }
                    }
                }
                if members.len() == before_retry {
                    rounds_without_drop += 1;
                    if rounds_without_drop > 3 {
                        return Err(StoreError::Busy("the keyword counts kept changing".into()));
                    }
                }
            }
            pending = rest;
        }
        outcome.applied.sort_unstable();
        outcome.duplicates.sort_unstable();
        outcome.plan_limited.sort_unstable();
        Ok(outcome)
    }

    /// How many more keywords the account of `members` may have, with the members'
    /// deletes counted as done.
    async fn keyword_room(
        &self,
        changes: &[KeywordChange],
        members: &[usize],
        max_keywords: u32,
    ) -> StoreResult<usize> {
        let Some(account_id) = account_of(changes, members) else { return Ok(0) };
        let count = self.account(account_id).await?.map_or(0, |a| a.keywords_count);
        let deleting = members.iter().filter(|&&m| changes[m].before.is_some() && changes[m].after.is_none()).count();
        Ok((max_keywords as usize + deleting).saturating_sub(count as usize))
    }

    /// The transaction for `members`, and for each action what it belongs to.
    fn keyword_tx(
        &self,
        changes: &[KeywordChange],
        members: &[usize],
        max_keywords: u32,
    ) -> StoreResult<(Tx, Vec<ActionOwner>)> {
        let table = self.table();
        let mut tx = Tx::new();
        let mut owners = Vec::new();
        let mut deltas = ClusterDeltas::new();
        for &index in members {
            let change = &changes[index];
            match (&change.before, &change.after) {
                (None, Some(new)) => {
                    tx.create(table, new.item()?, Conflict::Exists);
                    tx.create(table, new.guard_record()?, Conflict::Duplicate);
                    owners.extend([ActionOwner::Change(index), ActionOwner::Change(index)]);
                }
                (Some(old), Some(new)) => {
                    let (condition, values) = unchanged_since(old);
                    let new = Keyword { revision: old.revision + 1, ..new.clone() };
                    tx.replace_if(table, new.item()?, &condition, values, Conflict::Stale);
                    owners.push(ActionOwner::Change(index));
                    if old.normalised() != new.normalised() {
                        tx.delete_if_present(table, old.guard_key());
                        tx.create(table, new.guard_record()?, Conflict::Duplicate);
                        owners.extend([ActionOwner::Change(index), ActionOwner::Change(index)]);
                    }
                }
                (Some(old), None) => {
                    let (condition, values) = unchanged_since(old);
                    tx.delete_where(table, old.key(), &condition, values, Conflict::Stale);
                    tx.delete_if_present(table, old.guard_key());
                    owners.extend([ActionOwner::Change(index), ActionOwner::Change(index)]);
                }
                (None, None) => {}
            }
            for (keyword, sign) in [(&change.before, -1i64), (&change.after, 1)] {
                if let Some(cluster) = keyword.as_ref().and_then(|k| k.cluster_id.as_ref().map(|c| (c, k.volume))) {
                    let entry = deltas.entry(cluster.0.clone()).or_default();
                    entry.0 += sign;
                    entry.1 += sign * cluster.1 as i64;
                }
            }
        }
        // Each sector's keyword count moves by its creates less its deletes, and its
        // counts by status and intent with every keyword that enters or leaves one; a
        // sector that gains keywords must be open and have room for them.
        let mut sectors: BTreeMap<&SectorId, SectorDelta> = BTreeMap::new();
        for &m in members {
            let change = &changes[m];
            match (&change.before, &change.after) {
                (None, Some(new)) => {
                    let entry = sectors.entry(&new.sector_id).or_default();
                    entry.net += 1;
                    entry.creates = true;
                }
                (Some(old), None) => sectors.entry(&old.sector_id).or_default().net -= 1,
                _ => {}
            }
            for (keyword, sign) in [(&change.before, -1i64), (&change.after, 1)] {
                if let Some(keyword) = keyword {
                    let entry = sectors.entry(&keyword.sector_id).or_default();
                    for tally in keyword.tallies() {
                        *entry.tallies.entry(tally).or_default() += sign;
                    }
                }
            }
        }
        if let Some(account_id) = account_of(changes, members) {
            for (sector, delta) in sectors {
                let mut count = Update::new(keys::sector(account_id, sector));
                count = if delta.creates {
                    count
                        .add_within("keywords_count", delta.net, MAX_KEYWORDS_PER_SECTOR)?
                        .when("attribute_not_exists(deleting)")
                } else if delta.net != 0 {
                    count.add("keywords_count", delta.net)
                } else {
                    count
                };
                let mut moved = delta.net != 0 || delta.creates;
                for (tally, change) in delta.tallies.into_iter().filter(|(_, change)| *change != 0) {
                    count = count.add(&tally, change);
                    moved = true;
                }
                if moved {
                    tx.update(table, count, Conflict::SectorMissing);
                    owners.push(ActionOwner::Sector(sector.clone()));
                }
            }
            let created = members.iter().filter(|&&m| creates(&changes[m])).count() as i64;
            let deleted =
                members.iter().filter(|&&m| changes[m].before.is_some() && changes[m].after.is_none()).count();
            let net = created - deleted as i64;
            if net != 0 {
                tx.count_in_account(table, account_id, "keywords_count", net, Some(max_keywords))?;
                owners.push(ActionOwner::Account);
            }
            for (cluster_id, (count, volume)) in deltas {
                if count == 0 && volume == 0 {
                    continue;
                }
                let update = Update::new(scoped_key::<Cluster>(account_id, &cluster_id))
                    .add("keywords_count", count)
                    .add("volume", volume);
                tx.update(table, update, Conflict::ClusterMissing);
                owners.push(ActionOwner::Cluster(cluster_id));
            }
        }
        Ok((tx, owners))
    }
}

/// Creates of one text twice in a sector: the later ones are duplicates at once (a
/// transaction may not touch one guard twice).
fn dedupe_creates(changes: &[KeywordChange], outcome: &mut KeywordOutcome) -> Vec<usize> {
    let mut seen = std::collections::HashSet::new();
    let mut pending = Vec::new();
    for (index, change) in changes.iter().enumerate() {
        if let Some(after) = &change.after {
            let renamed = change.before.as_ref().is_none_or(|b| b.normalised() != after.normalised());
            if renamed && !seen.insert((after.sector_id.clone(), after.normalised())) {
                outcome.duplicates.push(index);
                continue;
            }
        }
        pending.push(index);
    }
    pending
}

/// As many pending changes as fit one transaction (≤ 3 keyword actions each, plus room
/// for the counter updates of every cluster and sector they touch), and the rest.
fn take_chunk(changes: &[KeywordChange], pending: &[usize]) -> (Vec<usize>, Vec<usize>) {
    // One action is kept for the account's keyword count.
    const MAX_ACTIONS: usize = 99;
    let mut used = 0;
    let mut counters: std::collections::HashSet<(bool, &str)> = std::collections::HashSet::new();
    let mut taken = 0;
    for &index in pending {
        let change = &changes[index];
        let own = match (&change.before, &change.after) {
            (None, Some(_)) | (Some(_), None) => 2,
            _ => 3,
        };
        let touched: Vec<(bool, &str)> = [&change.before, &change.after]
            .into_iter()
            .flatten()
            .flat_map(|k| [k.cluster_id.as_ref().map(|c| (true, c.as_str())), Some((false, k.sector_id.as_str()))])
            .flatten()
            .filter(|counter| !counters.contains(counter))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if used + own + touched.len() > MAX_ACTIONS {
            break;
        }
        used += own + touched.len();
        counters.extend(touched);
        taken += 1;
    }
    (pending[..taken].to_vec(), pending[taken..].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyword(n: usize, cluster: Option<&str>) -> Keyword {
        Keyword {
            id: format!("kw_{n}").into(),
            account_id: "acc".into(),
            site_id: "site".into(),
            sector_id: "sec".into(),
            keyword: format!("keyword {n}"),
            volume: n as u64,
            difficulty: 10,
            intent: Intent::Informational,
            status: KeywordStatus::Active,
            cluster_id: cluster.map(ClusterId::from),
            revision: 0,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn transactions(changes: &[KeywordChange]) -> usize {
        let mut pending: Vec<usize> = (0..changes.len()).collect();
        let mut count = 0;
        while !pending.is_empty() {
            let (chunk, rest) = take_chunk(changes, &pending);
            assert!(!chunk.is_empty());
            count += 1;
            pending = rest;
        }
        count
    }

    #[test]
    fn importing_ten_thousand_keywords_takes_at_most_400_write_calls() {
        let creates: Vec<KeywordChange> =
            (0..10_000).map(|n| KeywordChange { before: None, after: Some(keyword(n, None)) }).collect();
        let calls = transactions(&creates);
        assert!(calls <= 400, "{calls} transactions");
        assert_eq!(calls, 10_000usize.div_ceil(49));
    }

    #[test]
    fn chunks_leave_room_for_every_cluster_counter() {
        // Moving keywords between many clusters: each change touches two counters.
        let moves: Vec<KeywordChange> = (0..500)
            .map(|n| KeywordChange {
                before: Some(keyword(n, Some(&format!("from{n}")))),
                after: Some(keyword(n, Some(&format!("to{n}")))),
            })
            .collect();
        let mut pending: Vec<usize> = (0..moves.len()).collect();
        while !pending.is_empty() {
            let (chunk, rest) = take_chunk(&moves, &pending);
            // 3 keyword actions (update + possible guard swap) + 2 counters each, + sector check.
            assert!(chunk.len() * 5 < 100, "{} moves in one transaction", chunk.len());
            pending = rest;
        }
    }

    #[test]
    fn repeated_texts_in_one_batch_are_duplicates_before_any_write() {
        let mut second = keyword(2, None);
        second.keyword = "  KEYWORD   1 ".into();
        let creates = vec![
            KeywordChange { before: None, after: Some(keyword(1, None)) },
            KeywordChange { before: None, after: Some(second) },
        ];
        let mut outcome = KeywordOutcome::default();
        assert_eq!(dedupe_creates(&creates, &mut outcome), vec![0]);
        assert_eq!(outcome.duplicates, vec![1]);
    }
}
