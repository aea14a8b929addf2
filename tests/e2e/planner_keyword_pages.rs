//! Keyword list pages read from indexes: each list (a sector's or a site's, one status,
//! one intent, one cluster, by volume or difficulty) gives the same pages as reading the
//! whole scope, reads in proportion to the page, counts from the counters kept with the
//! keywords, and walks on and back through its cursors.

use igny8_e2e::common::{bytes_read, column, id_of, items_read, workspace};
use igny8_e2e::{Reply, TestApp};
use serde_json::{Value, json};

use crate::planner_keywords::KEYWORDS;

/// A filter every keyword passes that no index serves: the page is read the whole-scope
/// way, to compare with.
const WHOLE_SCOPE: &str = "&volume_min=0";

/// The default page of a sector's keywords (newest first, unfiltered) reads only the
/// keywords of the page and those before it, from the sector's index, with the count
/// kept on the sector — and gives the same page as the whole-scope path.
#[tokio::test]
async fn a_default_page_reads_only_its_keywords_from_the_index() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "index-pages").await;
    let t = ws.owner.access.as_str();
    let keywords: Vec<Value> = (0..60).map(|i| json!({"keyword": format!("index keyword {i:02}")})).collect();
    let bulk = json!({"site_id": ws.site, "sector_id": ws.sector, "keywords": keywords});
    app.post("/api/v1/planner/keywords/bulk_create/", t, bulk).await.expect(201);
    let single = json!({"site_id": ws.site, "sector_id": ws.sector, "keyword": "the newest"});
    app.post("/api/v1/planner/keywords/", t, single).await.expect(201);

    let scope = format!("/api/v1/planner/keywords/?site_id={}&sector_id={}&page_size=25", ws.site, ws.sector);
    for page in [1, 2, 3] {
        let indexed = app.get(&format!("{scope}&page={page}"), t).await.expect(200);
        let whole = app.get(&format!("{scope}&page={page}{WHOLE_SCOPE}"), t).await.expect(200);
        assert_eq!(column(&indexed, "id"), column(&whole, "id"), "page {page}");
        assert_eq!(indexed.body["count"], 61);
        assert_eq!(indexed.body["next"].is_null(), page == 3, "page {page}");
        // The caller (2 items), the site and the sector, and the keywords up to this page
        // and one more (is there a next page?).
        assert!(items_read(&indexed) <= 5 + 25 * page, "page {page} read {}", items_read(&indexed));
    }
    let first = app.get(&scope, t).await.expect(200);
    assert_eq!(first.body["results"][0]["keyword"], "the newest");
    assert!(column(&app.get(&format!("{scope}&page=4"), t).await.expect(200), "id").is_empty());
}

/// A page of one cluster's keywords (newest first, no other filter) reads only the
/// keywords of the page and those before it, from the cluster's index, with the count
/// kept on the cluster — the same page as the whole-scope path, site-wide or in the
/// cluster's sector, and nothing for a cluster of another scope.
#[tokio::test]
async fn a_clusters_page_reads_only_its_keywords_from_the_index() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "cluster-pages").await;
    let t = ws.owner.access.as_str();
    let keywords: Vec<Value> = (0..40).map(|i| json!({"keyword": format!("cluster keyword {i:02}")})).collect();
    let bulk = json!({"site_id": ws.site, "sector_id": ws.sector, "keywords": keywords});
    app.post("/api/v1/planner/keywords/bulk_create/", t, bulk).await.expect(201);
    let all = format!("/api/v1/planner/keywords/?site_id={}&page_size=100&ordering=keyword", ws.site);
    let ids = column(&app.get(&all, t).await.expect(200), "id");
    let cluster = |name: &str| json!({"site_id": ws.site, "sector_id": ws.sector, "name": name});
    let mine = id_of(app.post("/api/v1/planner/clusters/", t, cluster("Mine")).await.expect(201).data());
    let other = id_of(app.post("/api/v1/planner/clusters/", t, cluster("Other")).await.expect(201).data());
    let assign = |cluster: &str, ids: &[String]| {
        (format!("/api/v1/planner/clusters/{cluster}/keywords/"), json!({"keyword_ids": ids}))
    };
    let (path, body) = assign(&mine, &ids[..25]);
    app.post(&path, t, body).await.expect(200);
    let (path, body) = assign(&other, &ids[25..35]);
    app.post(&path, t, body).await.expect(200);
    // One leaves the cluster again: it is no longer on the cluster's pages.
    app.patch(&format!("{KEYWORDS}{}/", ids[0]), t, json!({"cluster_id": null})).await.expect(200);

    for scope in [format!("site_id={}", ws.site), format!("site_id={}&sector_id={}", ws.site, ws.sector)] {
        let base = format!("{KEYWORDS}?{scope}&cluster_id={mine}&page_size=10");
        for page in [1, 2, 3] {
            let indexed = app.get(&format!("{base}&page={page}"), t).await.expect(200);
            let whole = app.get(&format!("{base}&page={page}{WHOLE_SCOPE}"), t).await.expect(200);
            let page_ids = column(&indexed, "id");
            assert_eq!(page_ids, column(&whole, "id"), "{scope} page {page}");
            assert_eq!(indexed.body["count"], 24, "{scope}");
            assert_eq!(page_ids.len(), if page == 3 { 4 } else { 10 });
            assert!(!page_ids.contains(&ids[0]), "the keyword that left is not listed");
            // The caller (2 items), the site (and sector), the cluster, the keywords up to
            // this page and one more.
            assert!(items_read(&indexed) <= 6 + 10 * page, "{scope} page {page} read {}", items_read(&indexed));
        }
    }
    // A cluster of another sector holds none of this sector's keywords.
    let second = app.create_sector(t, &ws.site, "Second").await;
    let elsewhere = format!("{KEYWORDS}?site_id={}&sector_id={second}&cluster_id={mine}", ws.site);
    let none = app.get(&elsewhere, t).await.expect(200);
    assert_eq!((none.body["count"].clone(), column(&none, "id").len()), (json!(0), 0));
}

/// Follows `next` links from `first` to the end: every page's ids, and the replies.
async fn walk_on(app: &TestApp, token: &str, first: &str) -> Vec<Reply> {
    let mut pages = vec![app.get(first, token).await.expect(200)];
    while let Some(next) = pages.last().and_then(|p| p.body["next"].as_str().map(str::to_owned)) {
        pages.push(app.get(&next, token).await.expect(200));
        eprintln!(
            "{next} -> {} items, next {}",
            column(pages.last().unwrap(), "id").len(),
            pages.last().unwrap().body["next"]
        );
        assert!(pages.len() < 100, "no end to {first}");
    }
    pages
}

fn token_of(ws: &igny8_e2e::common::Workspace) -> &str {
    ws.owner.access.as_str()
}

/// Every list an index serves, in a sector and site-wide: the pages reached through
/// `next` links hold what the whole-scope path gives in the same order, each page reads
/// at most twice its size (the caller, site, sectors and merged lists included), the
/// count is the counters', and `previous` links walk the same pages back.
#[tokio::test]
async fn every_indexed_list_pages_like_the_whole_scope_and_reads_only_its_page() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "indexed-lists").await;
    let t = token_of(&ws);
    let second = app.create_sector(t, &ws.site, "Second").await;
    seed(&app, t, &ws.site, &[ws.sector.to_string(), second]).await;
    let (site, sector) = (ws.site.to_string(), ws.sector.to_string());
    let lists = [
        "",
        "&ordering=created_at",
        "&status=active",
        "&status=inactive",
        "&status=used",
        "&intent=commercial",
        "&intent=navigational",
        "&ordering=-volume",
        "&ordering=volume",
        "&ordering=difficulty",
        "&ordering=-difficulty",
    ];
    for scope in [format!("site_id={site}"), format!("site_id={site}&sector_id={sector}")] {
        for list in lists {
            let size = 20;
            let first = format!("{KEYWORDS}?{scope}{list}&page_size={size}");
            let whole = app.get(&format!("{KEYWORDS}?{scope}{list}&page_size=200{WHOLE_SCOPE}"), t).await;
            let whole = whole.expect(200);
            let expected = column(&whole, "id");
            let pages = walk_on(&app, t, &first).await;
            let walked: Vec<String> = pages.iter().flat_map(|p| column(p, "id")).collect();
            assert_eq!(walked, expected, "{scope}{list}");
            for (number, page) in pages.iter().enumerate() {
                assert_eq!(page.body["count"], whole.body["count"], "{scope}{list} page {}", number + 1);
                assert!(items_read(page) <= 2 * size, "{scope}{list} page {} read {}", number + 1, items_read(page));
            }
            // Back from the last page through `previous` links: the same pages, reversed.
            let mut back = vec![pages.last().map(|p| column(p, "id")).unwrap_or_default()];
            let mut previous = pages.last().and_then(|p| p.body["previous"].as_str().map(str::to_owned));
            while let Some(link) = previous {
                let reply = app.get(&link, t).await.expect(200);
                assert!(items_read(&reply) <= 2 * size, "{link} read {}", items_read(&reply));
                back.push(column(&reply, "id"));
                previous = reply.body["previous"].as_str().map(str::to_owned);
            }
            back.reverse();
            let forward: Vec<Vec<String>> = pages.iter().map(|p| column(p, "id")).collect();
            assert_eq!(back, forward, "{scope}{list} backwards");
        }
    }
}

/// Bulk-creates keywords in `sectors` with repeating statuses, intents, volumes and
/// difficulties (ties are ordered by id), then changes and deletes some so that the
/// counters have moved both ways.
async fn seed(app: &TestApp, token: &str, site: &str, sectors: &[String]) {
    let intents = ["informational", "commercial", "transactional", "navigational"];
    for (n, sector) in sectors.iter().enumerate() {
        let keywords: Vec<Value> = (0..(70 - 25 * n))
            .map(|i| {
                json!({"keyword": format!("seeded {n} {i}"), "volume": (i % 7) * 100, "difficulty": i % 5,
                       "intent": intents[i % 4]})
            })
            .collect();
        let body = json!({"site_id": site, "sector_id": sector, "keywords": keywords});
        app.post("/api/v1/planner/keywords/bulk_create/", token, body).await.expect(201);
    }
    let all = app.get(&format!("{KEYWORDS}?site_id={site}&page_size=200&ordering=keyword"), token).await;
    let ids = column(&all.expect(200), "id");
    let status = |ids: &[String], status: &str| json!({"ids": ids, "status": status});
    app.post("/api/v1/planner/keywords/bulk_update_status/", token, status(&ids[..30], "inactive")).await.expect(200);
    app.post("/api/v1/planner/keywords/bulk_update_status/", token, status(&ids[30..42], "used")).await.expect(200);
    app.post("/api/v1/planner/keywords/bulk_delete/", token, json!({"ids": ids[60..66]})).await.expect(200);
    let change = json!({"intent": "commercial", "volume": 250, "status": "used"});
    app.patch(&format!("{KEYWORDS}{}/", ids[50]), token, change).await.expect(200);
}

/// A page past the 40th is reached through links only; a cursor that is not this
/// list's, or on a list no index serves, is refused on `cursor`.
#[tokio::test]
async fn deep_pages_and_foreign_cursors_are_refused_clearly() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "cursors").await;
    let t = token_of(&ws);
    seed(&app, t, &ws.site, &[ws.sector.to_string()]).await;
    let base = format!("{KEYWORDS}?site_id={}&sector_id={}&page_size=5", ws.site, ws.sector);

    let deep = app.get(&format!("{base}&page=41"), t).await;
    assert_eq!(deep.status, 400, "{}", deep.body);
    assert!(igny8_e2e::common::error_fields(&deep).contains(&"page".to_owned()));
    // The whole-scope way still takes any page number.
    assert_eq!(app.get(&format!("{base}&page=41&search=seeded"), t).await.status, 200);

    let by_volume = app.get(&format!("{base}&ordering=volume"), t).await.expect(200);
    let next = by_volume.body["next"].as_str().expect("a next link").to_owned();
    let cursor = next.split("cursor=").nth(1).and_then(|c| c.split('&').next()).expect("a cursor").to_owned();
    for wrong in [
        format!("{base}&status=used&cursor={cursor}"),
        format!("{base}&ordering=volume&search=seeded&cursor={cursor}"),
        format!("{base}&cursor=not-a-cursor"),
        format!("{base}&ordering=volume&cursor=dm9sdW1lfG58Ig"),
    ] {
        let reply = app.get(&wrong, t).await;
        assert_eq!(reply.status, 400, "{wrong}: {}", reply.body);
        assert_eq!(igny8_e2e::common::error_fields(&reply), vec!["cursor".to_owned()], "{wrong}");
    }
    // Another account's cursor is only a position: it shows nothing of theirs.
    let other = workspace(&app, "cursors-other").await;
    let theirs =
        format!("{KEYWORDS}?site_id={}&sector_id={}&ordering=volume&cursor={cursor}", other.site, other.sector);
    let reply = app.get(&theirs, token_of(&other)).await.expect(200);
    assert_eq!(column(&reply, "id").len(), 0);
}

/// A page no index orders (search, a range, text order, two filters) is chosen from
/// the keywords' summaries: it reads the scope's summaries, far smaller than whole
/// keywords, and only its own keywords whole — in the order and with the count of the
/// whole scope (read whole through one cluster's list, to compare).
#[tokio::test]
async fn pages_no_index_orders_read_summaries_and_only_their_keywords_whole() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "summaries").await;
    let t = token_of(&ws);
    seed(&app, t, &ws.site, &[ws.sector.to_string()]).await;
    let scope = format!("{KEYWORDS}?site_id={}&sector_id={}", ws.site, ws.sector);
    let default = app.get(&format!("{scope}&page_size=50"), t).await.expect(200);
    let bytes_per_keyword = bytes_read(&default) / items_read(&default);
    let everything = column(&app.get(&format!("{scope}&page_size=200"), t).await.expect(200), "id");
    // Every keyword in one cluster: its list is read whole, and filtered in memory.
    let cluster = json!({"site_id": ws.site, "sector_id": ws.sector, "name": "All of them"});
    let cluster = id_of(app.post("/api/v1/planner/clusters/", t, cluster).await.expect(201).data());
    let assign = json!({"keyword_ids": everything});
    app.post(&format!("/api/v1/planner/clusters/{cluster}/keywords/"), t, assign).await.expect(200);

    for query in [
        "&search=seeded%200%201",
        "&volume_min=200&volume_max=400&ordering=-difficulty",
        "&ordering=-keyword",
        "&status=active&intent=commercial&ordering=volume",
    ] {
        let page = app.get(&format!("{scope}{query}&page_size=10&page=2"), t).await.expect(200);
        let whole = app.get(&format!("{scope}{query}&page_size=10&page=2&cluster_id={cluster}"), t).await.expect(200);
        assert_eq!(column(&page, "id"), column(&whole, "id"), "{query}");
        assert_eq!(page.body["count"], whole.body["count"], "{query}");
        let listed = everything.len() as u64;
        // The caller (2 items), site and sector, a summary of each keyword, the page's keywords.
        assert!(items_read(&page) <= 4 + listed + 10, "{query}: read {}", items_read(&page));
        assert!(
            bytes_read(&page) < (listed + 10) * bytes_per_keyword / 2,
            "{query}: {} bytes read, a whole keyword is {bytes_per_keyword}",
            bytes_read(&page)
        );
    }
}

/// Adds `count` keywords to the sector through the store's own keyword transactions
/// (the import's write path, without parsing a file): every tenth `used`, intents in
/// turn, volumes spread out. The numbers used and commercial among them.
async fn grow_sector(app: &TestApp, ws: &igny8_e2e::common::Workspace, from: usize, count: usize) -> (usize, usize) {
    use igny8_store::{Intent, Keyword, KeywordChange, KeywordId, KeywordStatus};
    let intents = [Intent::Informational, Intent::Commercial, Intent::Transactional, Intent::Navigational];
    let stamp = igny8_store::now();
    let changes: Vec<KeywordChange> = (from..from + count)
        .map(|i| {
            let keyword = Keyword {
                id: KeywordId::generate(),
                account_id: ws.owner.account_id.clone(),
                site_id: ws.site.clone(),
                sector_id: ws.sector.clone(),
                keyword: format!("scale keyword {i}"),
                volume: (i as u64 * 7_919) % 100_000,
                difficulty: (i % 101) as u8,
                intent: intents[i % 4],
                status: if i % 10 == 0 { KeywordStatus::Used } else { KeywordStatus::Active },
                cluster_id: None,
                revision: 0,
                created_at: stamp.clone(),
                updated_at: stamp.clone(),
            };
            KeywordChange { before: None, after: Some(keyword) }
        })
        .collect();
    let outcome = app.store.apply_keyword_changes(&changes, u32::MAX).await.expect("keywords written");
    assert_eq!(outcome.applied.len(), count);
    let used = (from..from + count).filter(|i| i % 10 == 0).count();
    let commercial = (from..from + count).filter(|i| i % 4 == 1).count();
    (used, commercial)
}

/// At 10 000 and at 100 000 keywords in a sector, the default page, a page filtered by
/// status or intent and a page by volume (the first and the next) each read at most
/// twice their size, and count from the counters.
#[tokio::test]
async fn pages_read_the_same_at_ten_thousand_and_a_hundred_thousand_keywords() {
    // 200 000 items (keywords and their guards) on an emulator of its own: the suite's
    // answers one request at a time, and every other test would wait behind these.
    let emulator = igny8_e2e::PrivateEmulator::start();
    let app = TestApp::spawn_on(&emulator).await;
    let ws = workspace(&app, "scale").await;
    let t = token_of(&ws);
    let base = format!("{KEYWORDS}?site_id={}&sector_id={}&page_size=25", ws.site, ws.sector);
    let (mut total, mut used, mut commercial) = (0, 0, 0);
    for size in [10_000, 100_000] {
        let (more_used, more_commercial) = grow_sector(&app, &ws, total, size - total).await;
        (total, used, commercial) = (size, used + more_used, commercial + more_commercial);
        for (list, count) in
            [("", total), ("&status=used", used), ("&intent=commercial", commercial), ("&ordering=-volume", total)]
        {
            let first = app.get(&format!("{base}{list}"), t).await.expect(200);
            assert_eq!(first.body["count"], count, "{size} {list}");
            let next = first.body["next"].as_str().expect("a next page").to_owned();
            let second = app.get(&next, t).await.expect(200);
            for (page, reply) in [(1, &first), (2, &second)] {
                assert_eq!(column(reply, "id").len(), 25);
                assert!(items_read(reply) <= 50, "{size} keywords, {list} page {page}: read {}", items_read(reply));
            }
        }
    }
}
