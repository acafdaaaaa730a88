//! Route throttling as an HTTP API's stage applies it: a token bucket per route, its rate
//! and burst from the route's settings, else the stage's `DefaultRouteSettings`; a request
//! over the limit is answered 429 without reaching the function. The account-level limit
//! (10,000 requests a second, bursts of 5,000, across every API of a region) is not kept:
//! one machine's stage is one API.
//!
//! The bucket is counted in floating point, so that any rate API Gateway takes (a
//! non-negative Double, however small or large) with any burst it takes (up to 2^31 - 1)
//! is kept as given: one token's period in nanoseconds, times the burst, overflows 64 bits
//! for the slowest rates.

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// `ThrottlingRateLimit` and `ThrottlingBurstLimit`, where the template gives them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ThrottleSettings {
    pub rate: Option<f64>,
    pub burst: Option<u64>,
}

/// What API Gateway takes for a limit left out: the account's.
const ACCOUNT_RATE: f64 = 10_000.0;
const ACCOUNT_BURST: u64 = 5_000;

impl ThrottleSettings {
    /// These settings, each one left out taken from `default`.
    pub fn over(self, default: Self) -> Self {
        Self {
            rate: self.rate.or(default.rate),
            burst: self.burst.or(default.burst),
        }
    }
}

pub enum Throttle {
    Unlimited,
    /// A rate or burst of 0: every request is throttled.
    Closed,
    Bucket(Bucket),
}

/// Tokens a request takes one of: `burst` at most, `rate` more each second.
pub struct Bucket {
    rate: f64,
    burst: f64,
    /// The tokens left, as of when.
    state: Mutex<(f64, Instant)>,
}

impl Throttle {
    pub fn new(settings: ThrottleSettings) -> Self {
        if settings == ThrottleSettings::default() {
            return Self::Unlimited;
        }
        let rate = settings.rate.unwrap_or(ACCOUNT_RATE);
        let burst = settings.burst.unwrap_or(ACCOUNT_BURST);
        if burst == 0 || rate.is_nan() || rate <= 0.0 {
            return Self::Closed;
        }
        let burst = burst as f64;
        Self::Bucket(Bucket {
            rate,
            burst,
            state: Mutex::new((burst, Instant::now())),
        })
    }

    /// Takes a token for one request; `false` when the request is throttled.
    pub fn admits(&self) -> bool {
        match self {
            Self::Unlimited => true,
            Self::Closed => false,
            Self::Bucket(bucket) => bucket.take(),
        }
    }
}

impl Bucket {
    fn take(&self) -> bool {
        // A panic elsewhere with the lock held leaves the count as good as any.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let (tokens, then) = *state;
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(then).as_secs_f64();
        // An infinite product (a huge rate) is capped like any other.
        let tokens = (tokens + elapsed * self.rate).min(self.burst);
        let admitted = tokens >= 1.0;
        *state = (if admitted { tokens - 1.0 } else { tokens }, now);
        admitted
    }
}
