//! What the store did for one request: items and bytes read, calls made, and the time
//! spent waiting for DynamoDB (so a request's own time can be told from the store's).
//! A request runs inside [`metered`]; every read adds to the meter of the task it runs
//! in, so handlers need no plumbing (`docs/benchmarks.md`, read costs).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::table::{AttributeValue, Item};

tokio::task_local! {
    static METER: Arc<Meter>;
}

#[derive(Debug, Default)]
struct Meter {
    items: AtomicU64,
    bytes: AtomicU64,
    calls: AtomicU64,
    micros: AtomicU64,
}

/// The store's share of one request.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StoreCost {
    /// Items DynamoDB returned.
    pub items: u64,
    /// Their size, as DynamoDB counts it (names and values).
    pub bytes: u64,
    /// Calls to DynamoDB, reads and writes.
    pub calls: u64,
    /// Time spent waiting for those calls.
    pub millis: f64,
}

/// Runs `work`, counting what the store does for it.
pub async fn metered<F: Future>(work: F) -> (F::Output, StoreCost) {
    let meter = Arc::new(Meter::default());
    let output = METER.scope(meter.clone(), work).await;
    let cost = StoreCost {
        items: meter.items.load(Ordering::Relaxed),
        bytes: meter.bytes.load(Ordering::Relaxed),
        calls: meter.calls.load(Ordering::Relaxed),
        millis: meter.micros.load(Ordering::Relaxed) as f64 / 1000.0,
    };
    (output, cost)
}

/// A call that took since `started` and returned `items`.
pub(crate) fn note(started: Instant, items: &[Item]) {
    let elapsed = started.elapsed().as_micros() as u64;
    let _ = METER.try_with(|meter| {
        meter.calls.fetch_add(1, Ordering::Relaxed);
        meter.micros.fetch_add(elapsed, Ordering::Relaxed);
        meter.items.fetch_add(items.len() as u64, Ordering::Relaxed);
        meter.bytes.fetch_add(items.iter().map(item_bytes).sum(), Ordering::Relaxed);
    });
}

/// An item's size as DynamoDB counts it: attribute names plus values.
fn item_bytes(item: &Item) -> u64 {
    item.iter().map(|(name, value)| name.len() as u64 + value_bytes(value)).sum()
}

fn value_bytes(value: &AttributeValue) -> u64 {
    match value {
        AttributeValue::S(s) | AttributeValue::N(s) => s.len() as u64,
        AttributeValue::B(b) => b.as_ref().len() as u64,
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::L(list) => 3 + list.iter().map(|v| 1 + value_bytes(v)).sum::<u64>(),
        AttributeValue::M(map) => 3 + map.iter().map(|(k, v)| 1 + k.len() as u64 + value_bytes(v)).sum::<u64>(),
        AttributeValue::Ss(set) | AttributeValue::Ns(set) => set.iter().map(|s| s.len() as u64).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_in_a_metered_task_are_counted_and_others_are_not() {
        let item = Item::from([("PK".to_owned(), AttributeValue::S("ACCOUNT#a".into()))]);
        note(Instant::now(), std::slice::from_ref(&item));
        let ((), cost) = metered(async {
            note(Instant::now(), &[item.clone(), item.clone()]);
            note(Instant::now(), &[]);
        })
        .await;
        assert_eq!((cost.items, cost.bytes, cost.calls), (2, 2 * (2 + 9), 2));
    }
}
