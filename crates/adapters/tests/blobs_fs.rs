//! The local blob store: signed URLs, exact-length uploads, safe keys.

use bytes::Bytes;
use chrono::{Duration as Span, Utc};
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;
use wisaw_adapters::blobs_fs::{
    LocalBlobStore, PutTicket, Refusal, UploadError, CONTENT_LENGTH_PARAM, CONTENT_TYPE_PARAM,
    EXPIRES_PARAM, SIGNATURE_PARAM,
};
use wisaw_domain::ports::{BlobStore, PutTerms};
use wisaw_domain::PortError;
use wisaw_testkit::photos::signed_query;

/// A signed PUT's terms, written short.
fn terms<'a>(key: &'a str, content_type: &'a str, content_length: u64) -> PutTerms<'a> {
    PutTerms {
        key,
        content_type,
        content_length,
    }
}

const BASE: &str = "http://127.0.0.1:3000/blobs";
const KEY: &str = "uploads/0b6f5c2e-7a8d-4c1e-9f00-123456789abc";

fn store(root: &Path) -> LocalBlobStore {
    LocalBlobStore::new(root, &format!("{BASE}/"), "test secret").unwrap()
}

/// The key and the decoded query of a URL the store signed.
fn split_url(url: &str) -> (String, HashMap<String, String>) {
    let rest = url
        .strip_prefix(&format!("{BASE}/"))
        .expect("under the base URL");
    let (key, _) = rest.split_once('?').expect("a query");
    (key.to_string(), signed_query(url))
}

fn body(chunks: &[&'static [u8]]) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    futures::stream::iter(
        chunks
            .iter()
            .map(|c| Ok(Bytes::from_static(c)))
            .collect::<Vec<_>>(),
    )
}

/// Every file under the store's folder, temp files included.
fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path.display().to_string());
        }
    }
    found
}

#[tokio::test]
async fn a_put_url_binds_key_content_type_length_and_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let ticket = store
        .presign_put(terms(KEY, "image/jpeg", 1000), Duration::from_secs(600))
        .await
        .unwrap();
    assert_eq!(ticket.method, "PUT");
    assert_eq!(
        ticket.headers.get("Content-Type").map(String::as_str),
        Some("image/jpeg")
    );
    let (key, query) = split_url(&ticket.url);
    assert_eq!(key, KEY);
    let now = Utc::now();
    assert!(
        ticket.expires_at >= now + Span::seconds(599)
            && ticket.expires_at <= now + Span::seconds(601)
    );

    let granted = store
        .verify_put(&key, &query, Some("image/jpeg"), Some(1000), now)
        .unwrap();
    assert_eq!(
        granted,
        PutTicket {
            content_type: "image/jpeg".into(),
            content_length: 1000
        }
    );
    // A chunked body (no Content-Length) is checked while it is written instead.
    assert!(store
        .verify_put(&key, &query, Some("image/jpeg"), None, now)
        .is_ok());

    let tampered = |name: &str, value: &str| {
        let mut query = query.clone();
        query.insert(name.to_string(), value.to_string());
        query
    };
    let later = (ticket.expires_at + Span::hours(1)).timestamp().to_string();
    for (what, forged) in [
        ("expiry", tampered(EXPIRES_PARAM, &later)),
        ("content type", tampered(CONTENT_TYPE_PARAM, "image/png")),
        ("length", tampered(CONTENT_LENGTH_PARAM, "1000000")),
        ("signature", tampered(SIGNATURE_PARAM, &"0".repeat(64))),
        ("signature encoding", tampered(SIGNATURE_PARAM, "not hex")),
    ] {
        let refusal = store
            .verify_put(
                KEY,
                &forged,
                Some(forged[CONTENT_TYPE_PARAM].as_str()),
                None,
                now,
            )
            .unwrap_err();
        assert_eq!(refusal, Refusal::BadSignature, "tampered {what}");
        assert_eq!(refusal.status_code(), 403);
    }
    let other_key = "uploads/1b6f5c2e-7a8d-4c1e-9f00-123456789abc";
    assert_eq!(
        store.verify_put(other_key, &query, Some("image/jpeg"), Some(1000), now),
        Err(Refusal::BadSignature)
    );
    let other_secret = LocalBlobStore::new(dir.path(), BASE, "another secret").unwrap();
    assert_eq!(
        other_secret.verify_put(KEY, &query, Some("image/jpeg"), Some(1000), now),
        Err(Refusal::BadSignature)
    );
    let mut unsigned = query.clone();
    unsigned.remove(SIGNATURE_PARAM);
    assert_eq!(
        store.verify_put(KEY, &unsigned, Some("image/jpeg"), Some(1000), now),
        Err(Refusal::MissingSignature)
    );

    // The signature holds, but the request breaks the ticket.
    let expired = store.verify_put(
        KEY,
        &query,
        Some("image/jpeg"),
        Some(1000),
        ticket.expires_at,
    );
    assert!(
        matches!(expired, Err(Refusal::Expired { expired_at }) if expired_at == ticket.expires_at)
    );
    let wrong_type = store
        .verify_put(KEY, &query, Some("image/png"), Some(1000), now)
        .unwrap_err();
    assert!(matches!(wrong_type, Refusal::ContentTypeMismatch { .. }));
    assert_eq!(wrong_type.status_code(), 403);
    let no_type = store
        .verify_put(KEY, &query, None, Some(1000), now)
        .unwrap_err();
    assert!(matches!(
        no_type,
        Refusal::ContentTypeMismatch { got: None, .. }
    ));
    let longer = store
        .verify_put(KEY, &query, Some("image/jpeg"), Some(1001), now)
        .unwrap_err();
    assert_eq!(
        longer,
        Refusal::LengthMismatch {
            expected: 1000,
            got: 1001
        }
    );
    assert_eq!(longer.status_code(), 413);
    let shorter = store
        .verify_put(KEY, &query, Some("image/jpeg"), Some(999), now)
        .unwrap_err();
    assert_eq!(shorter.status_code(), 400);
}

#[tokio::test]
async fn a_get_url_binds_key_and_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let url = store
        .presign_get("photos/x/thumb.webp", Duration::from_secs(60))
        .await
        .unwrap();
    let (key, query) = split_url(&url);
    assert_eq!(key, "photos/x/thumb.webp");
    let now = Utc::now();
    assert_eq!(store.verify_get(&key, &query, now), Ok(()));
    assert_eq!(
        store.verify_get("photos/x/display.webp", &query, now),
        Err(Refusal::BadSignature)
    );
    let mut stretched = query.clone();
    stretched.insert(
        EXPIRES_PARAM.into(),
        (now + Span::days(365)).timestamp().to_string(),
    );
    assert_eq!(
        store.verify_get(&key, &stretched, now),
        Err(Refusal::BadSignature)
    );
    assert!(matches!(
        store.verify_get(&key, &query, now + Span::seconds(61)),
        Err(Refusal::Expired { .. })
    ));
}

#[tokio::test]
async fn an_upload_is_stored_only_with_exactly_the_tickets_length() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let ticket = PutTicket {
        content_type: "image/png".into(),
        content_length: 6,
    };

    let wrong_lengths: [(&[&'static [u8]], Refusal, u16); 2] = [
        (
            &[b"abc", b"defg"],
            Refusal::BodyTooLong { expected: 6 },
            413,
        ),
        (
            &[b"abc", b"de"],
            Refusal::BodyTooShort {
                expected: 6,
                got: 5,
            },
            400,
        ),
    ];
    for (chunks, refusal, status) in wrong_lengths {
        let refused = store
            .write_upload(KEY, &ticket, body(chunks))
            .await
            .unwrap_err();
        assert!(matches!(&refused, UploadError::Refused(r) if *r == refusal));
        assert_eq!(refused.status_code(), status);
    }
    let broken = futures::stream::iter(vec![
        Ok(Bytes::from_static(b"abc")),
        Err(std::io::Error::other("connection reset")),
    ]);
    let broken = store.write_upload(KEY, &ticket, broken).await.unwrap_err();
    assert!(matches!(broken, UploadError::Body(_)));
    assert!(
        files_under(dir.path()).is_empty(),
        "{:?}",
        files_under(dir.path())
    );
    assert!(matches!(store.get(KEY).await, Err(PortError::NotFound(_))));

    let written = store
        .write_upload(KEY, &ticket, body(&[b"abc", b"def"]))
        .await
        .unwrap();
    assert_eq!(written, 6);
    let (bytes, meta) = store.read(KEY).await.unwrap();
    assert_eq!(&bytes[..], b"abcdef");
    assert_eq!(
        (meta.content_type.as_str(), meta.content_length),
        ("image/png", 6)
    );

    // A refused overwrite leaves the stored object as it was.
    let refused = store
        .write_upload(KEY, &ticket, body(&[b"0123456789"]))
        .await;
    assert!(refused.is_err());
    assert_eq!(&store.get(KEY).await.unwrap()[..], b"abcdef");
}

#[tokio::test]
async fn keys_that_could_leave_the_store_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir.path().join("store"));
    let ticket = PutTicket {
        content_type: "image/png".into(),
        content_length: 1,
    };
    for key in [
        "../escape",
        "uploads/../../escape",
        "/etc/passwd",
        "uploads//x",
        "uploads/",
        "",
    ] {
        let put = store.put(key, "text/plain", Bytes::from_static(b"x")).await;
        assert!(
            matches!(put, Err(PortError::Invalid(_))),
            "put {key:?}: {put:?}"
        );
        assert!(
            matches!(store.get(key).await, Err(PortError::Invalid(_))),
            "get {key:?}"
        );
        assert!(
            matches!(store.delete(key).await, Err(PortError::Invalid(_))),
            "delete {key:?}"
        );
        assert!(store
            .presign_put(terms(key, "image/png", 1), Duration::from_secs(1))
            .await
            .is_err());
        assert!(store
            .presign_get(key, Duration::from_secs(1))
            .await
            .is_err());
        let upload = store.write_upload(key, &ticket, body(&[b"x"])).await;
        assert!(
            matches!(upload, Err(UploadError::Refused(Refusal::InvalidKey(_)))),
            "{key:?}"
        );
        let refusal = store
            .verify_get(key, &HashMap::new(), Utc::now())
            .unwrap_err();
        assert!(matches!(refusal, Refusal::InvalidKey(_)));
        assert_eq!(refusal.status_code(), 400);
    }
    assert!(!dir.path().join("escape").exists());
    assert!(files_under(dir.path()).is_empty());
}

#[tokio::test]
async fn put_get_delete_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).with_bucket("photos-bucket");
    assert_eq!(store.bucket(), "photos-bucket");
    let key = "photos/0b6f5c2e-7a8d-4c1e-9f00-123456789abc/thumb.webp";

    store
        .put(key, "image/webp", Bytes::from_static(b"first"))
        .await
        .unwrap();
    store
        .put(key, "image/webp", Bytes::from_static(b"second"))
        .await
        .unwrap();
    assert_eq!(&store.get(key).await.unwrap()[..], b"second");
    let (mut file, meta) = store.open(key).await.unwrap();
    assert_eq!(
        (meta.content_type.as_str(), meta.content_length),
        ("image/webp", 6)
    );
    let mut streamed = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut file, &mut streamed)
        .await
        .unwrap();
    assert_eq!(streamed, b"second");

    store.delete(key).await.unwrap();
    assert!(matches!(store.get(key).await, Err(PortError::NotFound(_))));
    assert!(matches!(store.open(key).await, Err(PortError::NotFound(_))));
    // Deleting what is not there succeeds, and nothing is left behind.
    store.delete(key).await.unwrap();
    assert!(files_under(dir.path()).is_empty());
}

/// Deleting an object prunes the folders it leaves empty, while another object may be
/// going into the same folder: a store is a flat key space, so the put must not fail for
/// a folder pruned between its making and the put's rename (seen as an upload answered 404
/// while the original of a photo just announced was deleted).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn puts_into_a_folder_that_deletes_empty_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    for round in 0..200 {
        // Each round: the folder holds one object, deleted (the folder pruned with it)
        // while the next object is put there.
        let old = format!("uploads/r{round}/old");
        let new = format!("uploads/r{round}/new");
        stored(&store, &old).await;
        let (deleted, put) = tokio::join!(
            store.delete(&old),
            store.put(&new, "image/jpeg", Bytes::from_static(b"jpeg"))
        );
        deleted.unwrap();
        put.unwrap_or_else(|error| panic!("round {round}: {error}"));
        assert_eq!(
            &store.get(&new).await.unwrap()[..],
            b"jpeg",
            "round {round}"
        );
    }
}

/// An object at `key`, with its meta file.
async fn stored(store: &LocalBlobStore, key: &str) {
    store
        .put(key, "image/webp", Bytes::from_static(b"RIFF"))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_missing_object_is_not_found_wherever_its_path_runs() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let photo = "photos/0b6f5c2e-7a8d-4c1e-9f00-123456789abc";
    stored(&store, &format!("{photo}/thumb.webp")).await;
    stored(&store, KEY).await;
    // No such file; a folder of other objects; a path through an object (a file).
    for key in [
        format!("{photo}/display.webp"),
        photo.to_string(),
        "photos".to_string(),
        format!("{KEY}/thumb.webp"),
    ] {
        let get = store.get(&key).await.unwrap_err();
        assert!(matches!(get, PortError::NotFound(_)), "get {key}: {get:?}");
        let open = store.open(&key).await.unwrap_err();
        assert!(
            matches!(open, PortError::NotFound(_)),
            "open {key}: {open:?}"
        );
        let meta = store.meta(&key).await.unwrap_err();
        assert!(
            matches!(meta, PortError::NotFound(_)),
            "meta {key}: {meta:?}"
        );
        let read = store.read(&key).await.unwrap_err();
        assert!(
            matches!(read, PortError::NotFound(_)),
            "read {key}: {read:?}"
        );
    }
}

#[tokio::test]
async fn deleting_a_prefix_removes_every_object_under_it_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let id = "0b6f5c2e-7a8d-4c1e-9f00-123456789abc";
    let other = "9d1c3f00-0000-4000-8000-000000000001";
    let mine = [
        format!("photos/{id}/thumb.webp"),
        format!("photos/{id}/display.webp"),
        format!("photos/{id}/older/rendition.jpg"),
    ];
    let theirs = [
        format!("photos/{other}/thumb.webp"),
        format!("uploads/{other}"),
        format!("photos/{id}x/not-mine.webp"),
    ];
    for key in mine.iter().chain(&theirs) {
        stored(&store, key).await;
    }
    stored(&store, &format!("uploads/{id}")).await;

    assert_eq!(
        store.delete_prefix(&format!("photos/{id}/")).await.unwrap(),
        3
    );
    assert_eq!(
        store.delete_prefix(&format!("uploads/{id}")).await.unwrap(),
        1
    );
    for key in &mine {
        assert!(
            matches!(store.get(key).await, Err(PortError::NotFound(_))),
            "{key}"
        );
    }
    for key in &theirs {
        assert!(store.get(key).await.is_ok(), "{key} went too");
    }
    let left = files_under(dir.path());
    assert!(
        left.iter().all(|path| !path.contains(&format!("{id}/"))),
        "{left:?}"
    );
    assert!(
        !left
            .iter()
            .any(|path| path.ends_with(&format!("uploads/{id}"))),
        "{left:?}"
    );
    // Objects and meta, three keys each; the photo's emptied folders are gone too.
    assert_eq!(left.len(), 6, "{left:?}");
    for tree in ["objects", "meta"] {
        assert!(!dir.path().join(tree).join("photos").join(id).exists());
    }
    // Again, and under a prefix that never held anything: nothing to do, no error.
    assert_eq!(
        store.delete_prefix(&format!("photos/{id}/")).await.unwrap(),
        0
    );
    assert_eq!(store.delete_prefix("nothing/here/").await.unwrap(), 0);
}

#[tokio::test]
async fn a_prefix_that_could_reach_outside_the_store_or_everything_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("keep"), b"x").unwrap();
    let store = store(&dir.path().join("store"));
    stored(&store, KEY).await;
    for prefix in ["", "../", "a/../../", "/", "//", "uploads//", "a b/"] {
        let refused = store.delete_prefix(prefix).await.unwrap_err();
        assert!(
            matches!(refused, PortError::Invalid(_)),
            "{prefix:?}: {refused:?}"
        );
    }
    assert!(store.get(KEY).await.is_ok());
    assert!(outside.path().join("keep").exists());
}
