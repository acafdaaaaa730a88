//! Arbitrary bytes through validate, then thumbnail for what validate accepts: either
//! a verdict or two renditions, and never a panic, an abort, a hang or runaway memory
//! (the run's `-rss_limit_mb` and `-timeout` turn those into findings).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let verdict = wisaw_imaging::validate::inspect(bytes);
    match (verdict.accepted, verdict.image, verdict.rejection) {
        (true, Some(image), None) => {
            // Validate vouched for it, so the state machine has no way left to reject:
            // rendering must succeed.
            let renditions = wisaw_imaging::thumbnail::render(bytes, &image)
                .unwrap_or_else(|error| panic!("accepted but not rendered: {error:?}"));
            assert!(renditions.thumb.height <= 300 && renditions.display.width <= 2048);
        }
        (false, None, Some(rejection)) => assert!(!rejection.code.is_empty()),
        other => panic!("an inconsistent verdict: {other:?}"),
    }
});
