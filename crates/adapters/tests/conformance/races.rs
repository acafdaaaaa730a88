//! Requests racing a photo's DELETE: each ends as if one of the two came first,
//! never as a store error.

use super::backend::Backend;
use super::fixtures::{a_new_photo, created, new_photo, report};
use chrono::Utc;
use wisaw_domain::model::CreatePhoto;
use wisaw_domain::{DeviceId, PortError};

/// A ticket asked again (same photo id) while the owner deletes the photo.
pub async fn a_create_racing_a_delete_finds_the_photo_or_makes_it_anew(backend: Backend) {
    let store = backend.store();
    let photo = new_photo(DeviceId::new_random(), 1.0, 2.0, Utc::now());
    let row = created(store, &photo).await;

    if backend.delete_at_the_end_of_each_insert(photo.id).await {
        // The DELETE lands after the insert found the row, before anything else.
        let again = store.create_photo(&photo).await;
        assert!(
            matches!(&again, Ok(CreatePhoto::Existing(existing)) if *existing == row),
            "{again:?}"
        );
        assert_eq!(store.get_photo(photo.id).await.unwrap(), None);
        // With the row gone, the same request creates it anew (and the trigger
        // deletes it again at once).
        let anew = store.create_photo(&photo).await;
        assert!(matches!(anew, Ok(CreatePhoto::Created(_))), "{anew:?}");
        return;
    }

    // Where statements cannot be interleaved by hand, they are raced for real.
    for round in 0..300 {
        let photo = new_photo(DeviceId::new_random(), 1.0, 2.0, Utc::now());
        created(store, &photo).await;
        let (again, deleted) =
            tokio::join!(store.create_photo(&photo), store.delete_photo(photo.id));
        assert!(deleted.is_ok(), "round {round}: {deleted:?}");
        match again {
            Ok(CreatePhoto::Existing(row)) | Ok(CreatePhoto::Created(row)) => {
                assert_eq!((row.id, row.device_id), (photo.id, photo.device_id))
            }
            Err(error) => panic!("round {round}: {error}"),
        }
    }
}

/// A report filed after the photo's DELETE is "not found", whatever the store.
pub async fn a_report_on_a_photo_deleted_meanwhile_is_not_found(backend: Backend) {
    let store = backend.store();
    let photo = created(store, &a_new_photo()).await;
    assert!(store.delete_photo(photo.id).await.unwrap());
    let filed = store
        .add_abuse_report(&report(photo.id, DeviceId::new_random()))
        .await;
    assert!(matches!(filed, Err(PortError::NotFound(_))), "{filed:?}");
}
