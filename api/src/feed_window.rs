//! The feed's day windows: which 24 hours a `daysAgo` names, and how far back the
//! feed looks. The feed's handler and its cursor both bound `daysAgo` by
//! [`MAX_DAYS_AGO`], so the bound lives here rather than in either of them.

use chrono::{DateTime, Duration, Utc};

/// Ten years back is as far as the feed looks.
pub const MAX_DAYS_AGO: u32 = 3650;

/// The window `days_ago` days before `anchor`; `None` when it falls outside the
/// times this server can represent.
pub fn window(anchor: DateTime<Utc>, days_ago: u32) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let back = Duration::try_hours(24_i64.checked_mul(i64::from(days_ago))?)?;
    let end = anchor.checked_sub_signed(back)?;
    let start = end.checked_sub_signed(Duration::try_hours(24)?)?;
    Some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_the_24_hours_days_ago_before_the_anchor() {
        let anchor: DateTime<Utc> = "2026-11-26T12:00:00Z".parse().unwrap();
        let (start, end) = window(anchor, 2).unwrap();
        assert_eq!(
            start,
            "2026-11-23T12:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            end,
            "2026-11-24T12:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }

    #[test]
    fn a_window_beyond_the_representable_times_is_none_never_a_panic() {
        assert_eq!(window(DateTime::<Utc>::MIN_UTC, 0), None);
        assert_eq!(window(DateTime::<Utc>::MIN_UTC, MAX_DAYS_AGO), None);
        let near_the_start = DateTime::<Utc>::MIN_UTC + Duration::days(100);
        assert_eq!(window(near_the_start, MAX_DAYS_AGO), None);
        assert!(window(Utc::now(), MAX_DAYS_AGO).is_some());
        assert!(window(DateTime::<Utc>::MAX_UTC, u32::MAX).is_none());
    }
}
