//! S3: the upload ticket and the image URL, as a phone would use them.

use aws_config::SdkConfig;
use bytes::Bytes;
use futures::StreamExt;
use std::collections::BTreeSet;
use std::time::Duration;
use wisaw_adapters::aws::S3BlobStore;
use wisaw_domain::ports::{BlobStore, PutTerms};
use wisaw_domain::{PhotoId, PortError};
use wisaw_testkit::aws_emulator::{create_bucket, emulator};
use wisaw_testkit::photos::signed_query;

/// A bucket of a test's own, and the blob store over it.
struct Bucket {
    config: SdkConfig,
    client: aws_sdk_s3::Client,
    name: String,
    store: S3BlobStore,
}

/// `None` (after saying so) without an emulator.
async fn own_bucket(test: &str) -> Option<Bucket> {
    let config = emulator(test).await?;
    let (client, name) = create_bucket(&config).await;
    let store = S3BlobStore::from_config(&config, &name);
    Some(Bucket {
        config,
        client,
        name,
        store,
    })
}

fn query_value(url: &str, name: &str) -> Option<String> {
    signed_query(url).remove(name)
}

#[tokio::test]
async fn a_presigned_put_then_a_presigned_get_round_trips_the_bytes() {
    let test = "a_presigned_put_then_a_presigned_get_round_trips_the_bytes";
    let Some(bucket) = own_bucket(test).await else {
        return;
    };
    let store = &bucket.store;
    let key = PhotoId::new_random().upload_key();
    let bytes: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();

    let ticket = store
        .presign_put(
            PutTerms {
                key: &key,
                content_type: "image/jpeg",
                content_length: bytes.len() as u64,
            },
            Duration::from_secs(300),
        )
        .await
        .unwrap();
    assert_eq!(ticket.method, "PUT");
    assert!(
        ticket.url.contains(&bucket.name) && ticket.url.contains(&key),
        "{}",
        ticket.url
    );
    let signed: BTreeSet<String> = query_value(&ticket.url, "X-Amz-SignedHeaders")
        .unwrap()
        .split(';')
        .map(str::to_string)
        .collect();
    for header in ["content-length", "content-type", "host"] {
        assert!(
            signed.contains(header),
            "{header} is not signed: {signed:?}"
        );
    }
    assert_eq!(
        query_value(&ticket.url, "X-Amz-Expires").as_deref(),
        Some("300")
    );
    assert_eq!(
        ticket.headers.get("Content-Type").map(String::as_str),
        Some("image/jpeg")
    );
    assert_eq!(
        ticket.headers.get("Content-Length"),
        Some(&bytes.len().to_string())
    );
    let in_five_minutes = chrono::Utc::now() + chrono::Duration::seconds(300);
    assert!((ticket.expires_at - in_five_minutes).num_seconds().abs() <= 5);

    // The phone sends exactly the headers it was given.
    let http = reqwest::Client::new();
    let mut put = http.put(&ticket.url).body(bytes.clone());
    for (name, value) in &ticket.headers {
        put = put.header(name, value);
    }
    let response = put.send().await.unwrap();
    assert!(
        response.status().is_success(),
        "{:?}",
        response.text().await
    );

    let url = store
        .presign_get(&key, Duration::from_secs(600))
        .await
        .unwrap();
    assert_eq!(query_value(&url, "X-Amz-Expires").as_deref(), Some("600"));
    let response = http.get(&url).send().await.unwrap();
    assert!(response.status().is_success());
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "image/jpeg"
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), bytes.as_slice());
    assert_eq!(store.get(&key).await.unwrap().as_ref(), bytes.as_slice());
}

#[tokio::test]
async fn get_put_and_delete_follow_the_port() {
    let Some(bucket) = own_bucket("get_put_and_delete_follow_the_port").await else {
        return;
    };
    let store = &bucket.store;
    assert_eq!(store.bucket(), bucket.name);
    let key = "photos/x/thumb.webp";

    let missing = store.get(key).await.unwrap_err();
    assert!(matches!(missing, PortError::NotFound(_)), "{missing:?}");

    store
        .put(key, "image/webp", Bytes::from_static(b"RIFF....WEBP"))
        .await
        .unwrap();
    assert_eq!(
        store.get(key).await.unwrap(),
        Bytes::from_static(b"RIFF....WEBP")
    );
    store.delete(key).await.unwrap();
    assert!(matches!(store.get(key).await, Err(PortError::NotFound(_))));
    store
        .delete(key)
        .await
        .expect("deleting a missing object succeeds");

    let elsewhere = S3BlobStore::from_config(&bucket.config, "wisaw-no-such-bucket-anywhere");
    assert!(matches!(
        elsewhere.get(key).await,
        Err(PortError::NotFound(_))
    ));
}

#[tokio::test]
async fn deleting_a_prefix_removes_every_page_of_objects_under_it_and_nothing_else() {
    let test = "deleting_a_prefix_removes_every_page_of_objects_under_it";
    let Some(bucket) = own_bucket(test).await else {
        return;
    };
    let store = &bucket.store;
    let id = PhotoId::new_random();
    let neighbour = PhotoId::new_random();
    // More than one page of ListObjectsV2 and one batch of DeleteObjects (1,000 each).
    let mine: Vec<String> = (0..1_005)
        .map(|i| format!("photos/{id}/rendition-{i:04}.webp"))
        .collect();
    let theirs = [
        neighbour.thumb_key(),
        neighbour.upload_key(),
        format!("photos/{id}x/not-mine.webp"),
    ];
    let writes = mine.iter().chain(&theirs).map(|key| {
        let store = store.clone();
        let key = key.clone();
        async move {
            store
                .put(&key, "image/webp", Bytes::from_static(b"RIFF"))
                .await
                .unwrap()
        }
    });
    futures::stream::iter(writes)
        .buffer_unordered(32)
        .collect::<Vec<()>>()
        .await;
    store
        .put(
            &id.upload_key(),
            "image/jpeg",
            Bytes::from_static(b"\xff\xd8"),
        )
        .await
        .unwrap();

    let prefix = format!("photos/{id}/");
    assert_eq!(store.delete_prefix(&prefix).await.unwrap(), 1_005);
    assert_eq!(store.delete_prefix(&id.upload_key()).await.unwrap(), 1);
    let left = bucket
        .client
        .list_objects_v2()
        .bucket(&bucket.name)
        .send()
        .await
        .unwrap();
    let mut left: Vec<&str> = left.contents().iter().filter_map(|o| o.key()).collect();
    left.sort();
    let mut expected: Vec<&str> = theirs.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(left, expected);
    assert_eq!(store.delete_prefix(&prefix).await.unwrap(), 0);
    let refused = store.delete_prefix("").await.unwrap_err();
    assert!(matches!(refused, PortError::Invalid(_)), "{refused:?}");
}
