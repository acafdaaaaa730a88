//! The outbox: an announced outcome is recorded with its event, in one transaction; the
//! event waits until it is marked sent; a sweep finds what still waits.

use super::backend::Backend;
use super::fixtures::{a_new_photo, created, ready, ready_photo, recorded, rejected};
use chrono::{Duration, Utc};
use wisaw_domain::contracts::Outcome;
use wisaw_domain::events::{event_id, PHOTO_READY, PHOTO_REJECTED};
use wisaw_domain::ports::MetadataStore;
use wisaw_domain::PhotoId;

async fn processing(store: &dyn MetadataStore) -> PhotoId {
    let photo = created(store, &a_new_photo()).await;
    store.mark_processing(photo.id, "e").await.unwrap();
    photo.id
}

/// `n` photos through ready (each with its announcement, waiting), oldest first.
async fn ready_photos(store: &dyn MetadataStore, n: usize) -> Vec<PhotoId> {
    let mut ids = Vec::new();
    for _ in 0..n {
        let photo = a_new_photo();
        ids.push(ready_photo(store, &photo).await.id);
    }
    ids
}

pub async fn an_announced_outcome_records_its_event_once(backend: Backend) {
    let store = backend.store();
    let id = processing(store).await;
    let (row, changed) = recorded(store, id, &ready(id)).await;
    assert!(changed);
    let events = store.photo_events(id).await.unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(event.event_id, event_id(id, PHOTO_READY, 0));
    assert_eq!(
        (event.photo_id, event.event_type.as_str()),
        (id, PHOTO_READY)
    );
    assert_eq!(
        event.recorded_at, row.updated_at,
        "recorded with the outcome"
    );
    assert_eq!(event.sent_at, None);

    // A rerun of persist (any attempt) records nothing more.
    for attempt in [0, 3] {
        let (_, changed) = store
            .record_outcome(id, &ready(id), attempt)
            .await
            .unwrap()
            .unwrap();
        assert!(!changed);
    }
    assert_eq!(store.photo_events(id).await.unwrap(), events);

    assert!(store.mark_event_sent(&event.event_id).await.unwrap());
    assert!(
        !store.mark_event_sent(&event.event_id).await.unwrap(),
        "once"
    );
    let sent = store.photo_events(id).await.unwrap();
    assert!(sent[0].sent_at.is_some());
    assert!(!store.mark_event_sent("no such event").await.unwrap());

    // A replay's attempt is in the id of the outcome it records.
    let other = processing(store).await;
    store
        .record_outcome(other, &rejected("corrupt"), 2)
        .await
        .unwrap()
        .unwrap();
    let events = store.photo_events(other).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_id, event_id(other, PHOTO_REJECTED, 2));
}

pub async fn a_failure_or_a_refused_outcome_announces_nothing(backend: Backend) {
    let store = backend.store();
    let id = processing(store).await;
    let failed = Outcome::Failed {
        error: "Wisaw.Transient".into(),
        cause: "store down".into(),
    };
    let (_, changed) = recorded(store, id, &failed).await;
    assert!(changed);
    assert_eq!(store.photo_events(id).await.unwrap(), vec![]);

    // Not uploaded yet: the outcome is refused, and nothing is announced.
    let waiting = created(store, &a_new_photo()).await;
    let (_, changed) = recorded(store, waiting.id, &ready(waiting.id)).await;
    assert!(!changed);
    assert_eq!(store.photo_events(waiting.id).await.unwrap(), vec![]);

    // A photo deleted in flight: no row, no event.
    let gone = PhotoId::new_random();
    assert!(store
        .record_outcome(gone, &ready(gone), 0)
        .await
        .unwrap()
        .is_none());
    assert_eq!(store.photo_events(gone).await.unwrap(), vec![]);
}

pub async fn the_sweep_reads_unsent_events_oldest_first(backend: Backend) {
    let store = backend.store();
    let ids = ready_photos(store, 4).await;
    let later = Utc::now() + Duration::seconds(1);
    let unsent = store.unsent_events(later, 10).await.unwrap();
    assert_eq!(unsent.iter().map(|e| e.photo_id).collect::<Vec<_>>(), ids);
    assert_eq!(
        store.unsent_events(later, 2).await.unwrap(),
        unsent[..2].to_vec()
    );
    let before_all = unsent[0].recorded_at;
    assert_eq!(
        store.unsent_events(before_all, 10).await.unwrap(),
        vec![],
        "strictly before"
    );

    store.mark_event_sent(&unsent[1].event_id).await.unwrap();
    let left: Vec<_> = store.unsent_events(later, 10).await.unwrap();
    assert_eq!(
        left.iter().map(|e| e.photo_id).collect::<Vec<_>>(),
        vec![ids[0], ids[2], ids[3]]
    );
    // Deleted photos take their waiting events along.
    assert!(store.delete_photo(ids[0]).await.unwrap());
    assert_eq!(
        store.unsent_events(later, 10).await.unwrap(),
        left[1..].to_vec()
    );
}

/// Two publishers racing on one event (the step's retry and a sweep): one marks it.
pub async fn concurrent_marks_send_an_event_once(backend: Backend) {
    let store = backend.shared_store();
    let id = processing(store.as_ref()).await;
    recorded(store.as_ref(), id, &ready(id)).await;
    let event_id = event_id(id, PHOTO_READY, 0);
    let racing = (0..8).map(|_| {
        let (store, event_id) = (store.clone(), event_id.clone());
        tokio::spawn(async move { store.mark_event_sent(&event_id).await.unwrap() })
    });
    let firsts = futures::future::join_all(racing)
        .await
        .into_iter()
        .filter(|first| *first.as_ref().unwrap())
        .count();
    assert_eq!(firsts, 1);
}

/// An event that keeps failing goes behind the others: it never holds up the sweep.
pub async fn a_failing_event_goes_behind_the_others(backend: Backend) {
    let store = backend.store();
    let ids = ready_photos(store, 3).await;
    let later = Utc::now() + Duration::seconds(1);
    let oldest = event_id(ids[0], PHOTO_READY, 0);
    store.mark_event_failed(&oldest).await.unwrap();
    store.mark_event_failed(&oldest).await.unwrap();
    store
        .mark_event_failed(&event_id(ids[1], PHOTO_READY, 0))
        .await
        .unwrap();
    let order: Vec<PhotoId> = store
        .unsent_events(later, 10)
        .await
        .unwrap()
        .iter()
        .map(|e| e.photo_id)
        .collect();
    assert_eq!(order, vec![ids[2], ids[1], ids[0]]);
    // A batch of one is the one that failed least, not the oldest.
    assert_eq!(
        store.unsent_events(later, 1).await.unwrap()[0].photo_id,
        ids[2]
    );
    // Failures do not make it sent.
    assert!(store.mark_event_sent(&oldest).await.unwrap());
}

/// An outcome recorded without its announcement (by a release from before the outbox)
/// gets it late, once.
pub async fn a_late_announcement_is_recorded_once(backend: Backend) {
    let store = backend.store();
    let id = processing(store).await;
    let at = Utc::now();
    for _ in 0..2 {
        store.record_event(id, PHOTO_READY, 1, at).await.unwrap();
    }
    let events = store.photo_events(id).await.unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].event_id, event_id(id, PHOTO_READY, 1));
    assert_eq!(
        events[0].recorded_at.timestamp_micros(),
        at.timestamp_micros()
    );
    let gone = store
        .record_event(PhotoId::new_random(), PHOTO_READY, 0, at)
        .await;
    assert!(
        matches!(gone, Err(wisaw_domain::PortError::NotFound(_))),
        "{gone:?}"
    );
}
