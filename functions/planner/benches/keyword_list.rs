//! The in-memory half of a keyword list request over 10 000 keywords: filter, order,
//! take one page, serialise it. (The other half is reading the scope: ~3 MB in a few
//! Query pages; `infra/bench/run.sh` times the whole request against the emulator.)

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use igny8_http::PageParams;
use igny8_planner::keywords::KeywordFilter;
use igny8_store::{Intent, Keyword, KeywordStatus};
use igny8_tenancy::ScopedList;

fn keywords(n: usize) -> Vec<Keyword> {
    let intents = [Intent::Informational, Intent::Commercial, Intent::Transactional, Intent::Navigational];
    (0..n)
        .map(|i| Keyword {
            id: format!("kw_{i:026}").into(),
            account_id: "acc_bench".into(),
            site_id: "site_bench".into(),
            sector_id: format!("sec_{}", i % 5).into(),
            keyword: format!("best running shoes variant {i} for {} runners", ["trail", "road", "track"][i % 3]),
            volume: (i as u64 * 7919) % 50_000,
            difficulty: (i % 101) as u8,
            intent: intents[i % 4],
            status: KeywordStatus::Active,
            cluster_id: (i % 3 == 0).then(|| format!("cl_{}", i % 40).into()),
            revision: 0,
            created_at: format!("2026-11-23T05:{:02}:{:02}.000Z", (i / 60) % 60, i % 60),
            updated_at: String::new(),
        })
        .collect()
}

fn list_page(c: &mut Criterion) {
    let all = keywords(10_000);
    let filter = KeywordFilter {
        search: Some("trail".into()),
        intent: Some(Intent::Commercial),
        volume_min: Some(100),
        difficulty_max: Some(80),
        ordering: Some("-volume".into()),
        ..Default::default()
    };
    let page = PageParams::new(Some(2), Some(25));
    c.bench_function("keywords: filter + order + page of 10 000", |b| {
        b.iter(|| {
            let selected = filter.apply(black_box(all.clone())).expect("valid filter");
            let results: Vec<&Keyword> = selected.iter().skip(page.offset()).take(page.page_size() as usize).collect();
            black_box(serde_json::to_vec(&results).expect("serialises"))
        })
    });
    let unfiltered = KeywordFilter { ordering: Some("keyword".into()), ..Default::default() };
    c.bench_function("keywords: order by text, page of 10 000", |b| {
        b.iter(|| black_box(unfiltered.apply(black_box(all.clone())).expect("valid filter").len()))
    });
}

criterion_group!(benches, list_page);
criterion_main!(benches);
