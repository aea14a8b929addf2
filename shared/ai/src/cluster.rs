//! Built-in keyword clustering: lexical similarity, no network. It is what the offline
//! provider answers for `auto_cluster`, and what `method: "builtin"` uses with any
//! provider.
//!
//! Each keyword becomes a TF-IDF vector of its (lightly stemmed) words, each weight
//! scaled by how much the word names a topic rather than qualifies one (see
//! [`hubness`]); known qualifiers ("best", "how", "cheap", "uk", years …) weigh
//! little. Keywords are taken
//! by volume, highest first, and each joins the most similar existing cluster (cosine
//! to the cluster's centroid) or starts one: the most searched keyword of a topic seeds
//! it. Candidate clusters are found through an index of the keyword's strongest words,
//! so the work grows with the number of keywords, not its square. A second pass folds
//! single-keyword clusters into their nearest cluster when it is close enough. Every
//! step is ordered, so the same keywords always give the same clusters.

use std::collections::HashMap;

/// A keyword to cluster.
#[derive(Debug, Clone)]
pub struct KeywordInput {
    pub text: String,
    pub volume: u64,
}

/// A cluster: its name, a one-line description and its members (indexes into the input).
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterDraft {
    pub name: String,
    pub description: String,
    pub members: Vec<usize>,
}

/// How similar a keyword must be to a cluster to join it.
const JOIN_SIMILARITY: f32 = 0.6;
/// How similar a lone keyword must be to another cluster to be folded into it.
const FOLD_SIMILARITY: f32 = 0.3;
/// How much less central than the most central keyword a name may be, in exchange for
/// being more searched.
const NAME_SIMILARITY_SLACK: f32 = 0.1;
/// Words of a keyword used to find candidate clusters.
const CANDIDATE_WORDS: usize = 3;

/// Words too common to say anything about a topic.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "i", "in", "into", "is", "it",
    "my", "of", "on", "or", "the", "to", "with", "you", "your",
];

/// Words that qualify a search (intent, price, size, audience, place) rather than name
/// a topic. Numbers (years, sizes) count as modifiers too.
const MODIFIERS: &[&str] = &[
    "best",
    "top",
    "cheap",
    "cheapest",
    "affordable",
    "luxury",
    "buy",
    "how",
    "what",
    "why",
    "when",
    "where",
    "which",
    "who",
    "vs",
    "versu",
    "near",
    "nearby",
    "me",
    "online",
    "local",
    "review",
    "free",
    "guide",
    "tip",
    "idea",
    "good",
    "new",
    "price",
    "cost",
    "sale",
    "deal",
    "small",
    "large",
    "big",
    "mini",
    "men",
    "women",
    "kid",
    "mens",
    "womens",
    "uk",
    "us",
    "usa",
    "canada",
    "australia",
    "india",
    "ireland",
    "europe",
    "london",
    "today",
];
const MODIFIER_WEIGHT: f32 = 0.25;
/// The least a word weighs for being a topic, however much it qualifies others.
const HUB_FLOOR: f32 = 0.2;

fn is_modifier(word: &str) -> bool {
    MODIFIERS.contains(&word) || word.chars().all(|c| c.is_ascii_digit())
}

/// How much each word is the topic of the keywords it is in (0–1), from which words
/// travel with it. Other words attach to a topic word: most keywords with "lamp" have
/// "desk", so "desk" is a topic there. A qualifier attaches to many topics and few
/// keywords of each: few keywords with "hose" have "clean", so "clean" is not. A word's
/// score is the mean, over the (non-modifier, repeated) words it appears with, of the
/// share of that word's keywords it is in. A word seen with no such partner is a topic
/// on its own ("kettle" in "best kettle").
fn hubness(keywords: &[Vec<u32>], frequency: &[u32], is_modifier: impl Fn(u32) -> bool) -> Vec<f32> {
    let mut together: HashMap<(u32, u32), u32> = HashMap::new();
    for words in keywords {
        for &a in words {
            for &b in words {
                if a != b && frequency[b as usize] > 1 && !is_modifier(b) {
                    *together.entry((a, b)).or_insert(0) += 1;
                }
            }
        }
    }
    let mut sums = vec![(0.0f32, 0u32); frequency.len()];
    for ((a, b), count) in together {
        let entry = &mut sums[a as usize];
        entry.0 += count as f32 / frequency[b as usize] as f32;
        entry.1 += 1;
    }
    sums.into_iter().map(|(sum, partners)| if partners == 0 { 1.0 } else { sum / partners as f32 }).collect()
}

fn stem(word: &str) -> String {
    if word.len() > 4 && word.ends_with("ies") {
        return format!("{}y", &word[..word.len() - 3]);
    }
    if word.len() > 3 && word.ends_with('s') && !word.ends_with("ss") && !word.ends_with("us") {
        return word[..word.len() - 1].to_owned();
    }
    word.to_owned()
}

fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !STOP_WORDS.contains(w))
        .map(stem)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// A sparse vector: (word id, weight), sorted by word id, unit length.
type Vector = Vec<(u32, f32)>;

struct Cluster {
    sum: HashMap<u32, f32>,
    norm_sq: f32,
    members: Vec<usize>,
}

impl Cluster {
    fn similarity(&self, v: &Vector) -> f32 {
        if self.norm_sq <= 0.0 {
            return 0.0;
        }
        let dot: f32 = v.iter().map(|(w, x)| x * self.sum.get(w).copied().unwrap_or(0.0)).sum();
        dot / self.norm_sq.sqrt()
    }

    fn add(&mut self, index: usize, v: &Vector) {
        let dot: f32 = v.iter().map(|(w, x)| x * self.sum.get(w).copied().unwrap_or(0.0)).sum();
        self.norm_sq += 2.0 * dot + 1.0;
        for (w, x) in v {
            *self.sum.entry(*w).or_insert(0.0) += x;
        }
        self.members.push(index);
    }
}

pub fn cluster_keywords(keywords: &[KeywordInput]) -> Vec<ClusterDraft> {
    if keywords.is_empty() {
        return Vec::new();
    }
    // Vocabulary and document frequencies.
    let mut vocabulary: HashMap<String, u32> = HashMap::new();
    let mut names: Vec<String> = Vec::new();
    let mut frequency: Vec<u32> = Vec::new();
    let tokenised: Vec<Vec<u32>> = keywords
        .iter()
        .map(|k| {
            words(&k.text)
                .into_iter()
                .map(|w| {
                    let id = *vocabulary.entry(w.clone()).or_insert_with(|| {
                        names.push(w);
                        frequency.push(0);
                        (names.len() - 1) as u32
                    });
                    frequency[id as usize] += 1;
                    id
                })
                .collect()
        })
        .collect();
    let n = keywords.len() as f32;
    let is_modifier = |id: u32| is_modifier(&names[id as usize]);
    let hub = hubness(&tokenised, &frequency, is_modifier);
    // Inverse document frequency (words of one keyword only count 1: they cannot
    // connect keywords, and at full weight they would push a keyword away from all
    // others), times how much the word is a topic rather than a qualifier.
    let weight = |id: u32| {
        let df = frequency[id as usize];
        let idf = if df == 1 { 1.0 } else { (n / df as f32).ln() + 1.0 };
        let topical = idf * (HUB_FLOOR + hub[id as usize]);
        if is_modifier(id) { topical * MODIFIER_WEIGHT } else { topical }
    };
    let vectors: Vec<Vector> = tokenised
        .iter()
        .map(|ids| {
            let mut v: Vector = ids.iter().map(|&id| (id, weight(id))).collect();
            let norm = v.iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
            if norm > 0.0 {
                v.iter_mut().for_each(|(_, x)| *x /= norm);
            }
            v.sort_by_key(|(id, _)| *id);
            v
        })
        .collect();

    // Highest volume first; ties by text, so the order never depends on the input's.
    let mut order: Vec<usize> = (0..keywords.len()).collect();
    order.sort_by(|&a, &b| keywords[b].volume.cmp(&keywords[a].volume).then(keywords[a].text.cmp(&keywords[b].text)));

    let mut clusters: Vec<Cluster> = Vec::new();
    let mut index: HashMap<u32, Vec<usize>> = HashMap::new();
    for &k in &order {
        let v = &vectors[k];
        let best = best_cluster(&clusters, &index, v, |_| true).filter(|(_, s)| *s >= JOIN_SIMILARITY);
        let target = match best {
            Some((c, _)) => c,
            None => {
                clusters.push(Cluster { sum: HashMap::new(), norm_sq: 0.0, members: Vec::new() });
                clusters.len() - 1
            }
        };
        clusters[target].add(k, v);
        for (w, _) in strongest(v) {
            let listed = index.entry(w).or_default();
            if listed.last() != Some(&target) && !listed.contains(&target) {
                listed.push(target);
            }
        }
    }

    // Fold lone keywords into their nearest cluster.
    let mut folded_into: Vec<Option<usize>> = vec![None; clusters.len()];
    for c in 0..clusters.len() {
        if clusters[c].members.len() != 1 {
            continue;
        }
        let v = &vectors[clusters[c].members[0]];
        let best = best_cluster(&clusters, &index, v, |other| other != c && clusters[other].members.len() > 1)
            .filter(|(_, s)| *s >= FOLD_SIMILARITY);
        if let Some((other, _)) = best {
            folded_into[c] = Some(other);
        }
    }
    for c in 0..clusters.len() {
        if let Some(other) = folded_into[c] {
            let member = clusters[c].members[0];
            clusters[other].add(member, &vectors[member]);
            clusters[c].members.clear();
        }
    }

    clusters.into_iter().filter(|c| !c.members.is_empty()).map(|c| draft(c, keywords, &vectors, &names)).collect()
}

/// The words of `v` that find candidate clusters: its strongest few.
fn strongest(v: &Vector) -> Vec<(u32, f32)> {
    let mut by_weight = v.clone();
    by_weight.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    by_weight.truncate(CANDIDATE_WORDS);
    by_weight
}

fn best_cluster(
    clusters: &[Cluster],
    index: &HashMap<u32, Vec<usize>>,
    v: &Vector,
    eligible: impl Fn(usize) -> bool,
) -> Option<(usize, f32)> {
    let mut best: Option<(usize, f32)> = None;
    for (w, _) in strongest(v) {
        for &c in index.get(&w).map(Vec::as_slice).unwrap_or_default() {
            if !eligible(c) || clusters[c].members.is_empty() {
                continue;
            }
            let s = clusters[c].similarity(v);
            if best.is_none_or(|(b, bs)| s > bs || (s == bs && c < b)) {
                best = Some((c, s));
            }
        }
    }
    best
}

/// Names a cluster after its most searched keyword among the most central ones (within
/// `NAME_SIMILARITY_SLACK` of the closest to the centroid), and describes it by its
/// strongest words.
fn draft(cluster: Cluster, keywords: &[KeywordInput], vectors: &[Vector], names: &[String]) -> ClusterDraft {
    let best = cluster.members.iter().map(|&m| cluster.similarity(&vectors[m])).fold(0.0f32, f32::max);
    let central = cluster
        .members
        .iter()
        .copied()
        .filter(|&m| cluster.similarity(&vectors[m]) >= best - NAME_SIMILARITY_SLACK)
        .max_by(|&a, &b| {
            keywords[a]
                .volume
                .cmp(&keywords[b].volume)
                .then(keywords[b].text.len().cmp(&keywords[a].text.len()))
                .then(keywords[b].text.cmp(&keywords[a].text))
        })
        .unwrap_or(cluster.members[0]);
    let mut top: Vec<(u32, f32)> = cluster.sum.iter().map(|(w, x)| (*w, *x)).collect();
    top.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let topics: Vec<&str> = top.iter().take(3).map(|(w, _)| names[*w as usize].as_str()).collect();
    let volume: u64 = cluster.members.iter().map(|&m| keywords[m].volume).sum();
    let mut members = cluster.members;
    members.sort_unstable();
    ClusterDraft {
        name: title_case(&keywords[central].text),
        description: format!(
            "{} keyword{} about {} (total volume {volume})",
            members.len(),
            if members.len() == 1 { "" } else { "s" },
            topics.join(", ")
        ),
        members,
    }
}

fn title_case(text: &str) -> String {
    text.split_whitespace()
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A synthetic list of 10 000 keywords for tests and benchmarks, with the topic of
/// each: 250 two-word topics, each searched with qualifiers
/// (intent, size, place, year) and actions ("how to clean a …") shared by all.
pub fn synthetic_keywords() -> (Vec<KeywordInput>, Vec<usize>) {
    let heads = ["garden", "pizza", "yoga", "desk", "rain", "coffee", "road", "trail", "baby", "dog"];
    let tails = [
        "hose", "oven", "mat", "lamp", "jacket", "grinder", "bike", "shoe", "stroller", "bed", "tent", "kettle",
        "chair", "blender", "drill", "helmet", "mixer", "speaker", "rack", "heater", "fan", "pan", "knife", "camera",
        "watch",
    ];
    let qualifiers = ["", "best", "cheap", "buy", "small", "large", "how to clean a", "review of"];
    let suffixes = ["", "uk", "2026", "online", "near me"];
    let mut keywords = Vec::new();
    let mut topic_of = Vec::new();
    for (t, (head, tail)) in heads.iter().flat_map(|h| tails.iter().map(move |t| (h, t))).enumerate() {
        for q in qualifiers {
            for s in suffixes {
                keywords.push(KeywordInput {
                    text: format!("{q} {head} {tail} {s}").trim().to_owned(),
                    volume: ((t * 37 + keywords.len() * 11) % 5000) as u64,
                });
                topic_of.push(t);
            }
        }
    }
    (keywords, topic_of)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(texts: &[(&str, u64)]) -> Vec<KeywordInput> {
        texts.iter().map(|(t, v)| KeywordInput { text: (*t).into(), volume: *v }).collect()
    }

    fn groups(keywords: &[KeywordInput]) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = cluster_keywords(keywords)
            .into_iter()
            .map(|c| {
                let mut g: Vec<String> = c.members.iter().map(|&m| keywords[m].text.clone()).collect();
                g.sort();
                g
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn keywords_of_one_topic_cluster_together() {
        let keywords = input(&[
            ("running shoes", 9000),
            ("best running shoes", 5000),
            ("running shoes for women", 3000),
            ("trail running shoes", 2000),
            ("sourdough bread recipe", 8000),
            ("easy sourdough bread", 1500),
            ("sourdough starter recipe", 1200),
            ("how to make sourdough bread", 900),
        ]);
        let groups = groups(&keywords);
        assert_eq!(groups.len(), 2, "{groups:?}");
        assert!(groups.iter().any(|g| g.len() == 4 && g.iter().all(|k| k.contains("running"))), "{groups:?}");
        assert!(groups.iter().any(|g| g.len() == 4 && g.iter().all(|k| k.contains("sourdough"))), "{groups:?}");
        // Named after their most searched central keyword.
        let mut names: Vec<String> = cluster_keywords(&keywords).into_iter().map(|c| c.name).collect();
        names.sort();
        assert_eq!(names, ["Running Shoes", "Sourdough Bread Recipe"]);
    }

    #[test]
    fn clusters_are_named_after_a_central_keyword_and_described() {
        let keywords = input(&[("running shoes", 9000), ("best running shoes", 5000), ("running shoe", 10)]);
        let clusters = cluster_keywords(&keywords);
        assert_eq!(clusters.len(), 1);
        assert_eq!(clusters[0].name, "Running Shoes");
        assert!(clusters[0].description.starts_with("3 keywords about "), "{}", clusters[0].description);
    }

    #[test]
    fn same_keywords_in_another_order_give_the_same_clusters() {
        let mut keywords = input(&[
            ("coffee grinder", 100),
            ("burr coffee grinder", 50),
            ("espresso machine", 100),
            ("espresso machine for home", 70),
            ("dog food", 500),
        ]);
        let first = groups(&keywords);
        keywords.reverse();
        assert_eq!(groups(&keywords), first);
    }

    #[test]
    fn every_keyword_lands_in_exactly_one_cluster() {
        let keywords: Vec<KeywordInput> = (0..2000)
            .map(|i| KeywordInput { text: format!("topic{} word{} extra{}", i % 40, i % 7, i), volume: i as u64 })
            .collect();
        let clusters = cluster_keywords(&keywords);
        let mut seen = vec![0; keywords.len()];
        for c in &clusters {
            assert!(!c.name.is_empty());
            for &m in &c.members {
                seen[m] += 1;
            }
        }
        assert!(seen.iter().all(|&n| n == 1));
        // Keywords sharing both their topic and their word are alike: at most one
        // cluster per (topic, word) pair.
        assert!(clusters.len() <= 280, "{} clusters", clusters.len());
    }
}

#[cfg(test)]
mod scale_tests {
    use super::*;

    #[test]
    fn ten_thousand_keywords_cluster_by_topic() {
        let (keywords, topic_of) = synthetic_keywords();
        assert_eq!(keywords.len(), 10_000);
        let clusters = cluster_keywords(&keywords);
        // Purity: the share of keywords whose cluster's majority topic is their own.
        let mut pure = 0;
        for c in &clusters {
            let mut counts: HashMap<usize, usize> = HashMap::new();
            for &m in &c.members {
                *counts.entry(topic_of[m]).or_default() += 1;
            }
            pure += counts.values().max().copied().unwrap_or(0);
        }
        let members: usize = clusters.iter().map(|c| c.members.len()).sum();
        assert_eq!(members, 10_000);
        assert!(pure * 100 >= 95 * members, "purity {pure}/{members}");
        assert!((240..=400).contains(&clusters.len()), "{} clusters for 250 topics", clusters.len());
    }
}
