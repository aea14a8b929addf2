//! Peak memory of the built-in clustering of 10 000 keywords, the heaviest part of a
//! clustering job (`docs/benchmarks.md`). Prints the process's peak resident memory
//! before and after, so the difference is what clustering needs on top of the
//! keywords. `cargo run --release -p igny8-ai --example cluster_memory`
use igny8_ai::cluster::{cluster_keywords, synthetic_keywords};

fn main() {
    let at_start = peak_rss_mb();
    let (keywords, _) = synthetic_keywords();
    let with_keywords = peak_rss_mb();
    let clusters = cluster_keywords(&keywords);
    let after = peak_rss_mb();
    println!("built-in clustering of {} keywords into {} clusters:", keywords.len(), clusters.len());
    println!(
        "  peak RSS at start {at_start:.1} MB, with the keywords {with_keywords:.1} MB, after clustering {after:.1} MB"
    );
}

/// VmHWM of this process, in MB.
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}
