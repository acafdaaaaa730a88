//! Photo rows, their lifecycle, reports, and the announcements deleted with them.

use super::backend::Backend;
use super::fixtures::{
    a_new_photo, created, filed, new_photo, photo_of, ready, ready_photo, recorded, rejected,
    report, to_micro_precision,
};
use chrono::Utc;
use wisaw_domain::contracts::Outcome;
use wisaw_domain::model::{CreatePhoto, FiledReport};
use wisaw_domain::{DeviceId, PhotoId, PhotoStatus, PortError};

pub async fn create_is_insert_if_absent(backend: Backend) {
    let store = backend.store();
    let photo = new_photo(DeviceId::new_random(), 37.77, -122.42, Utc::now());
    let row = created(store, &photo).await;
    assert_eq!(row.status, PhotoStatus::AwaitingUpload);
    assert_eq!(
        (row.id, row.device_id, row.lat, row.lon, row.content_length),
        (photo.id, photo.device_id, 37.77, -122.42, 1234)
    );
    assert_eq!(row.content_type, "image/jpeg");
    assert_eq!(row.created_at, to_micro_precision(photo.created_at));
    assert_eq!(row.updated_at, row.created_at);
    assert_eq!((row.width, row.thumb_key.as_deref()), (None, None));

    // Same id from another device, with other values: the first row stands.
    let mut again = new_photo(DeviceId::new_random(), 1.0, 2.0, Utc::now());
    again.id = photo.id;
    assert_eq!(
        store.create_photo(&again).await.unwrap(),
        CreatePhoto::Existing(row.clone())
    );
    assert_eq!(store.get_photo(photo.id).await.unwrap(), Some(row));
    assert_eq!(store.get_photo(PhotoId::new_random()).await.unwrap(), None);
}

pub async fn the_lifecycle_guards_every_move(backend: Backend) {
    let store = backend.store();
    let photo = a_new_photo();
    let id = photo.id;
    created(store, &photo).await;

    // Not uploaded yet: no outcome can be recorded.
    let (row, changed) = recorded(store, id, &ready(id)).await;
    assert!(!changed);
    assert_eq!(row.status, PhotoStatus::AwaitingUpload);

    let row = store.mark_processing(id, "exec-1").await.unwrap().unwrap();
    assert_eq!(row.status, PhotoStatus::Processing);
    assert_eq!(row.execution_name.as_deref(), Some("exec-1"));
    // The same execution again leaves the row untouched.
    let again = store.mark_processing(id, "exec-1").await.unwrap().unwrap();
    assert_eq!(again, row);

    let failed = Outcome::Failed {
        error: "Wisaw.Transient".into(),
        cause: "store down".into(),
    };
    let (row, changed) = recorded(store, id, &failed).await;
    assert!(changed);
    assert_eq!(row.status, PhotoStatus::Failed);
    assert_eq!(row.reason_code.as_deref(), Some("Wisaw.Transient"));
    assert_eq!(row.reason.as_deref(), Some("store down"));

    // A replay takes a failed photo back to processing, clearing the failure.
    let row = store
        .mark_processing(id, "exec-1-replay-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, PhotoStatus::Processing);
    assert_eq!(row.execution_name.as_deref(), Some("exec-1-replay-1"));
    assert_eq!((row.reason_code, row.reason), (None, None));

    let (row, changed) = recorded(store, id, &ready(id)).await;
    assert!(changed);
    assert_eq!(row.status, PhotoStatus::Ready);
    assert_eq!((row.width, row.height), (Some(4032), Some(3024)));
    assert_eq!(row.thumb_key, Some(id.thumb_key()));
    assert_eq!(row.display_key, Some(id.display_key()));
    assert_eq!(row.execution_name.as_deref(), Some("exec-1-replay-1"));

    // Ready is final: neither processing again nor another outcome.
    let after = store.mark_processing(id, "exec-2").await.unwrap().unwrap();
    assert_eq!(after, row);
    let (after, changed) = recorded(store, id, &rejected("corrupt")).await;
    assert!(!changed);
    assert_eq!(after, row);

    assert!(store
        .mark_processing(PhotoId::new_random(), "x")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .record_outcome(PhotoId::new_random(), &ready(id), 0)
        .await
        .unwrap()
        .is_none());
}

pub async fn another_execution_takes_over_a_processing_photo_but_not_a_rejected_one(
    backend: Backend,
) {
    let store = backend.store();
    let photo = a_new_photo();
    let id = photo.id;
    created(store, &photo).await;
    let first = store.mark_processing(id, "exec-a").await.unwrap().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let second = store.mark_processing(id, "exec-b").await.unwrap().unwrap();
    assert_eq!(second.status, PhotoStatus::Processing);
    assert_eq!(second.execution_name.as_deref(), Some("exec-b"));
    assert!(second.updated_at > first.updated_at);

    let (row, changed) = recorded(store, id, &rejected("empty")).await;
    assert!(changed);
    let after = store.mark_processing(id, "exec-c").await.unwrap().unwrap();
    assert_eq!(after, row, "rejected is final");
    assert_eq!(after.execution_name.as_deref(), Some("exec-b"));
}

pub async fn repeating_an_outcome_changes_nothing_not_even_updated_at(backend: Backend) {
    let store = backend.store();
    let photo = a_new_photo();
    let id = photo.id;
    created(store, &photo).await;
    store.mark_processing(id, "e").await.unwrap();
    let (first, changed) = recorded(store, id, &rejected("corrupt")).await;
    assert!(changed);
    assert_eq!(first.status, PhotoStatus::Rejected);
    assert_eq!(first.reason_code.as_deref(), Some("corrupt"));
    assert_eq!(first.reason.as_deref(), Some("Refused: corrupt."));
    assert_eq!(first.width, None);

    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let (second, changed) = recorded(store, id, &rejected("corrupt")).await;
    assert!(!changed);
    assert_eq!(second, first, "updated_at included");

    // The same status with other values is a change.
    let (third, changed) = recorded(store, id, &rejected("empty")).await;
    assert!(changed);
    assert_eq!(third.reason_code.as_deref(), Some("empty"));
    assert!(third.updated_at > first.updated_at);
}

/// Workers racing on one photo: exactly one of them moves it.
pub async fn concurrent_outcomes_change_a_photo_once(backend: Backend) {
    let store = backend.shared_store();
    let photo = a_new_photo();
    let id = photo.id;
    created(store.as_ref(), &photo).await;
    store.mark_processing(id, "e").await.unwrap();

    // Two outcomes no photo can go between: whichever lands first is final.
    let outcomes = [ready(id), rejected("corrupt")];
    let racing = outcomes.iter().cycle().take(12).map(|outcome| {
        let (store, outcome) = (store.clone(), outcome.clone());
        tokio::spawn(async move {
            let (row, changed) = recorded(store.as_ref(), id, &outcome).await;
            (outcome, row, changed)
        })
    });
    let results: Vec<_> = futures::future::join_all(racing)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let winners: Vec<_> = results.iter().filter(|(_, _, changed)| *changed).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    let (winning_outcome, winning_row, _) = winners[0];
    assert_eq!(winning_row.status, winning_outcome.status());
    // Final statuses admit nothing else, so every later answer shows the winner's row.
    let now = store.get_photo(id).await.unwrap().unwrap();
    assert_eq!(&now, winning_row);
    // And the winner alone recorded an announcement.
    let events = store.photo_events(id).await.unwrap();
    let announced = wisaw_domain::events::announced_as(winning_row.status).unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].event_type, announced);
}

pub async fn reporters_are_counted_once_per_device_across_an_owners_photos(backend: Backend) {
    let store = backend.store();
    let (owner, other_owner) = (DeviceId::new_random(), DeviceId::new_random());
    let p1 = photo_of(store, owner).await;
    let p2 = photo_of(store, owner).await;
    let p3 = photo_of(store, other_owner).await;
    let (r1, r2) = (DeviceId::new_random(), DeviceId::new_random());

    let file = |photo, reporter| async move { filed(store, &report(photo, reporter)).await };
    assert_ne!(file(p1, r1).await, FiledReport::AlreadyFiled);
    assert_eq!(
        file(p1, r1).await,
        FiledReport::AlreadyFiled,
        "one report per device and photo"
    );
    assert_ne!(file(p2, r1).await, FiledReport::AlreadyFiled);
    assert_ne!(file(p2, r2).await, FiledReport::AlreadyFiled);
    assert_ne!(file(p3, r2).await, FiledReport::AlreadyFiled);
    assert_eq!(store.distinct_reporters_against(owner).await.unwrap(), 2);
    assert_eq!(
        store.distinct_reporters_against(other_owner).await.unwrap(),
        1
    );
    assert_eq!(
        store
            .distinct_reporters_against(DeviceId::new_random())
            .await
            .unwrap(),
        0
    );

    let missing = store
        .add_abuse_report(&report(PhotoId::new_random(), r1))
        .await;
    assert!(
        matches!(missing, Err(PortError::NotFound(_))),
        "{missing:?}"
    );
}

pub async fn deleting_a_photo_takes_its_reports_and_announcements_along(backend: Backend) {
    let store = backend.store();
    let owner = DeviceId::new_random();
    let p1 = ready_photo(store, &new_photo(owner, 0.0, 0.0, Utc::now()))
        .await
        .id;
    let p2 = photo_of(store, owner).await;
    filed(store, &report(p1, DeviceId::new_random())).await;
    filed(store, &report(p2, DeviceId::new_random())).await;
    // p1's outcome was recorded with its announcement; p2's now.
    store.mark_processing(p2, "e").await.unwrap();
    recorded(store, p2, &ready(p2)).await;
    assert_eq!(store.distinct_reporters_against(owner).await.unwrap(), 2);
    assert_eq!(backend.rows_referencing(p1).await, (1, 1));

    assert!(store.delete_photo(p1).await.unwrap());
    assert!(!store.delete_photo(p1).await.unwrap());
    assert_eq!(store.get_photo(p1).await.unwrap(), None);
    assert_eq!(store.distinct_reporters_against(owner).await.unwrap(), 1);
    assert_eq!(backend.rows_referencing(p1).await, (0, 0));
    assert_eq!(backend.rows_referencing(p2).await, (1, 1));
    assert!(store.get_photo(p2).await.unwrap().is_some());
}

pub async fn rows_survive_reopening_the_store(backend: Backend) {
    let photo = new_photo(DeviceId::new_random(), 1.5, 2.5, Utc::now());
    let row = ready_photo(backend.store(), &photo).await;
    let event = &backend.store().photo_events(photo.id).await.unwrap()[0];
    assert!(backend
        .store()
        .mark_event_sent(&event.event_id)
        .await
        .unwrap());
    let sent = backend.store().photo_events(photo.id).await.unwrap();
    backend.close().await;

    let reopened = backend.reopened().await;
    assert_eq!(reopened.get_photo(photo.id).await.unwrap(), Some(row));
    assert_eq!(reopened.photo_events(photo.id).await.unwrap(), sent);
}

pub async fn photos_are_counted_by_status_in_the_lifecycles_order(backend: Backend) {
    let store = backend.store();
    assert_eq!(store.count_by_status().await.unwrap(), []);

    let photo = || a_new_photo();
    for _ in 0..2 {
        created(store, &photo()).await;
    }
    let processing = created(store, &photo()).await.id;
    store.mark_processing(processing, "e").await.unwrap();
    let mut ready = Vec::new();
    for _ in 0..3 {
        ready.push(ready_photo(store, &photo()).await.id);
    }
    let failed = created(store, &photo()).await.id;
    store.mark_processing(failed, "e").await.unwrap();
    let failure = Outcome::Failed {
        error: "Wisaw.Transient".into(),
        cause: "store down".into(),
    };
    store.record_outcome(failed, &failure, 0).await.unwrap();

    // Not the statuses' alphabetical order (failed would come second), and no rejected.
    assert_eq!(
        store.count_by_status().await.unwrap(),
        [
            (PhotoStatus::AwaitingUpload, 2),
            (PhotoStatus::Processing, 1),
            (PhotoStatus::Ready, 3),
            (PhotoStatus::Failed, 1),
        ]
    );

    assert!(store.delete_photo(processing).await.unwrap());
    store.mark_processing(failed, "e-replay-1").await.unwrap();
    assert_eq!(
        store.count_by_status().await.unwrap(),
        [
            (PhotoStatus::AwaitingUpload, 2),
            (PhotoStatus::Processing, 1),
            (PhotoStatus::Ready, 3),
        ]
    );
}
