//! What the benchmarks share: percentiles, milliseconds and their flags.

use std::time::Duration;

/// The nearest-rank percentile of sorted durations.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// `--flag value` pairs, each handed to `apply`, which says whether it knew the flag.
pub fn parse_flags(mut apply: impl FnMut(&str, String) -> bool) {
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        assert!(apply(&flag, value), "unknown flag {flag}");
    }
}
