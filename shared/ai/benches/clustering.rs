//! Built-in clustering of 10 000 keywords (`docs/architecture.md §7`: "clustering 10 000
//! keywords offline: well under the Lambda timeout"). `cargo bench -p igny8-ai`.

use criterion::{Criterion, criterion_group, criterion_main};
use igny8_ai::cluster::{cluster_keywords, synthetic_keywords};

fn clustering(c: &mut Criterion) {
    let (keywords, _) = synthetic_keywords();
    let mut group = c.benchmark_group("clustering");
    group.sample_size(10);
    group.bench_function("10k keywords", |b| b.iter(|| cluster_keywords(std::hint::black_box(&keywords))));
    group.finish();
}

criterion_group!(benches, clustering);
criterion_main!(benches);
