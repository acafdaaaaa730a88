//! The audit log of dead-letter replays, in the metadata database: a record is written
//! whole and rewritten in place as the replay goes, and the log reads newest first.

use super::backend::Backend;
use super::fixtures::{a_new_photo, created, to_micro_precision};
use chrono::{DateTime, Duration, Utc};
use wisaw_domain::replay::{ReplayOutcome, ReplayRecord, ReplayedPhoto};
use wisaw_domain::{PhotoId, PortError};

fn photo(attempt: u32, outcome: ReplayOutcome) -> ReplayedPhoto {
    ReplayedPhoto {
        photo_id: PhotoId::new_random(),
        attempt,
        error: "Wisaw.Transient".into(),
        outcome,
    }
}

/// A replay just started (every photo pending), at `started_at` to the microsecond.
fn started(started_at: DateTime<Utc>) -> ReplayRecord {
    ReplayRecord {
        id: uuid::Uuid::new_v4(),
        operator: "ops-anna".into(),
        started_at: to_micro_precision(started_at),
        finished_at: None,
        selection: r#"--error "Wisaw.Transient" --since 2026-11-30 (café)"#.into(),
        forced: false,
        rate: 2.5,
        photos: vec![
            photo(0, ReplayOutcome::Pending),
            photo(1, ReplayOutcome::Pending),
            photo(3, ReplayOutcome::Pending),
            photo(0, ReplayOutcome::Pending),
        ],
    }
}

pub async fn a_replay_is_saved_whole_and_rewritten_in_place(backend: Backend) {
    let audit = backend.audit();
    assert_eq!(audit.replays(10).await.unwrap(), []);
    let record = started(Utc::now());
    assert_eq!(audit.replay(record.id).await.unwrap(), None);

    audit.save_replay(&record).await.unwrap();
    assert_eq!(audit.replay(record.id).await.unwrap(), Some(record.clone()));

    // As it goes, and when it ends: every outcome, and every field may change.
    let mut finished = record.clone();
    finished.photos[0].outcome = ReplayOutcome::Replayed;
    finished.photos[1].outcome = ReplayOutcome::Failed("SQS said: 'throttled' \"again\"".into());
    finished.photos[2].outcome = ReplayOutcome::HeldBack;
    finished.finished_at = Some(to_micro_precision(Utc::now() + Duration::seconds(3)));
    finished.forced = true;
    finished.rate = 0.125;
    finished.operator = "ops-ben".into();
    finished.selection = "photo 1".into();
    audit.save_replay(&finished).await.unwrap();
    assert_eq!(
        audit.replay(record.id).await.unwrap(),
        Some(finished.clone())
    );
    assert_eq!(audit.replays(10).await.unwrap(), [finished.clone()]);

    // Another replay is a record of its own; one without photos is one too.
    let mut empty = started(Utc::now());
    empty.photos.clear();
    audit.save_replay(&empty).await.unwrap();
    assert_eq!(audit.replay(empty.id).await.unwrap(), Some(empty));
    assert_eq!(audit.replay(record.id).await.unwrap(), Some(finished));
    assert_eq!(audit.replays(10).await.unwrap().len(), 2);
}

pub async fn replays_are_listed_newest_first_up_to_the_limit(backend: Backend) {
    let audit = backend.audit();
    let base = Utc::now() - Duration::days(1);
    // Saved in an order of their own: the list follows when they started.
    let records: Vec<ReplayRecord> = [3, 0, 4, 1, 2]
        .into_iter()
        .map(|minutes| started(base + Duration::minutes(minutes)))
        .collect();
    for record in &records {
        audit.save_replay(record).await.unwrap();
    }
    let newest_first = |records: &[ReplayRecord]| {
        let mut sorted = records.to_vec();
        sorted.sort_by_key(|r| std::cmp::Reverse(r.started_at));
        sorted
    };
    let all = newest_first(&records);
    assert_eq!(audit.replays(3).await.unwrap(), all[..3]);
    assert_eq!(audit.replays(100).await.unwrap(), all);
    assert_eq!(audit.replays(0).await.unwrap(), []);

    // Rewriting an old record does not move it up.
    let mut oldest = all[4].clone();
    oldest.finished_at = Some(to_micro_precision(Utc::now()));
    audit.save_replay(&oldest).await.unwrap();
    let listed = audit.replays(100).await.unwrap();
    assert_eq!(listed.len(), 5);
    assert_eq!(listed[..4], all[..4]);
    assert_eq!(listed[4], oldest);
}

pub async fn the_replay_log_outlives_its_photos_and_a_restart(backend: Backend) {
    let store = backend.store();
    let failed = created(store, &a_new_photo()).await;
    let mut record = started(Utc::now());
    record.photos[0].photo_id = failed.id;
    backend.audit().save_replay(&record).await.unwrap();
    assert!(store.delete_photo(failed.id).await.unwrap());
    assert_eq!(
        backend.audit().replay(record.id).await.unwrap(),
        Some(record.clone())
    );

    // A rate that is not a number is refused, and leaves the record as it was.
    let mut broken = record.clone();
    broken.rate = f64::NAN;
    let refused = backend.audit().save_replay(&broken).await;
    assert!(matches!(refused, Err(PortError::Invalid(_))), "{refused:?}");
    backend.close().await;

    let (_, audit) = backend.reopened_audit().await;
    assert_eq!(audit.replay(record.id).await.unwrap(), Some(record.clone()));
    assert_eq!(audit.replays(1).await.unwrap(), [record]);
}
