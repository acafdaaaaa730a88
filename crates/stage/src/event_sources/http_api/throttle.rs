//! Route throttling as an HTTP API's stage applies it: a token bucket per route, its rate
//! and burst from the route's settings, else the stage's `DefaultRouteSettings`; a request
//! over the limit is answered 429 without reaching the function. The account-level limit
//! (10,000 requests a second, bursts of 5,000, across every API of a region) is not kept:
//! one machine's stage is one API.

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;

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
    Bucket(DefaultDirectRateLimiter),
}

impl Throttle {
    pub fn new(settings: ThrottleSettings) -> Self {
        if settings == ThrottleSettings::default() {
            return Self::Unlimited;
        }
        let rate = settings.rate.unwrap_or(ACCOUNT_RATE);
        let burst = settings.burst.unwrap_or(ACCOUNT_BURST);
        let burst = NonZeroU32::new(u32::try_from(burst).unwrap_or(u32::MAX));
        let (Some(burst), true) = (burst, rate > 0.0) else {
            return Self::Closed;
        };
        match Quota::with_period(Duration::from_secs_f64(1.0 / rate)) {
            Some(quota) => Self::Bucket(RateLimiter::direct(quota.allow_burst(burst))),
            // A rate too high for a period to measure it.
            None => Self::Unlimited,
        }
    }

    /// Takes a token for one request; `false` when the request is throttled.
    pub fn admits(&self) -> bool {
        match self {
            Self::Unlimited => true,
            Self::Closed => false,
            Self::Bucket(bucket) => bucket.check().is_ok(),
        }
    }
}
