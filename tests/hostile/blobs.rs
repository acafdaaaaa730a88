//! Hostile input: the blob routes and the HTTP server under them. A deleted photo leaves
//! nothing behind and its signed URLs answer 404; every answer of `/blobs/...` is
//! problem+json; refusals read as sentences; clients that stall in their headers or
//! their body, or hold every connection, do not keep the server's connections for good.

use crate::support::{assert_problem, put_as_ticket_says, Store, TestStack, PROBLEM_JSON};
use bytes::Bytes;
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use wisaw_api::photos::PhotoStatusResponse;
use wisaw_domain::ports::BlobStore;
use wisaw_domain::PhotoStatus;
use wisaw_local::http_server::{
    BODY_IDLE_TIMEOUT, CONNECTION_DRAIN_GRACE, HEADER_READ_TIMEOUT, MAX_CONNECTIONS,
};

on_every_store!(a_deleted_photo_leaves_no_object_behind_and_its_urls_answer_404);

/// How much later than its own timeout the server may be seen to act.
const SLACK: Duration = Duration::from_secs(5);

/// Every file and folder under `dir` whose path names `id`.
fn paths_naming(dir: &Path, id: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.display().to_string().contains(id) {
            found.push(path.display().to_string());
        }
        if path.is_dir() {
            found.extend(paths_naming(&path, id));
        }
    }
    found
}

/// Uploads a small photo as its device and waits for it to be ready; returns its id.
async fn ready_photo(stack: &TestStack, device: uuid::Uuid) -> (String, PhotoStatusResponse) {
    let (photo, ticket) = stack.photo_ticket(device, (320, 240), (1.0, 2.0)).await;
    put_as_ticket_says(&stack.client, &ticket, photo).await;
    let id = ticket.photo_id.to_string();
    let status = stack.wait_final(&id).await;
    assert_eq!(status.status, PhotoStatus::Ready, "{status:?}");
    (id, status)
}

async fn a_deleted_photo_leaves_no_object_behind_and_its_urls_answer_404(store: Store) {
    let stack = TestStack::start(store).await;
    let device = uuid::Uuid::new_v4();
    let (id, status) = ready_photo(&stack, device).await;
    let blobs = &stack.stack().blobs;
    // An object this version's workers do not write (another version's rendition) is the
    // photo's as much as the ones they do.
    let stray = format!("photos/{id}/legacy.jpg");
    blobs
        .put(&stray, "image/jpeg", Bytes::from_static(b"\xff\xd8old"))
        .await
        .unwrap();
    let urls = [&status.thumb_url, &status.image_url].map(|u| u.clone().unwrap());
    for url in &urls {
        stack.get_bytes(url).await;
    }
    let before = paths_naming(blobs.root(), &id);
    for part in ["objects", "meta"] {
        assert!(
            before
                .iter()
                .any(|p| p.contains(part) && p.contains("legacy.jpg")),
            "{before:?}"
        );
    }

    assert_eq!(stack.delete_photo(&id, device).await.status(), 204);

    assert_eq!(paths_naming(blobs.root(), &id), Vec::<String>::new());
    // The image URLs are still signed and unexpired: S3 would answer NoSuchKey.
    for url in &urls {
        let answer = stack.client.get(url).send().await.unwrap();
        assert_problem(answer, 404).await;
    }
    stack.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_url_to_no_object_is_404_even_where_a_folder_is() {
    let stack = TestStack::start(Store::Sqlite).await;
    let blobs = &stack.stack().blobs;
    let id = uuid::Uuid::new_v4();
    blobs
        .put(
            &format!("photos/{id}/thumb.webp"),
            "image/webp",
            Bytes::from_static(b"RIFF"),
        )
        .await
        .unwrap();
    let ttl = Duration::from_secs(60);
    for key in [format!("photos/{id}/none.webp"), format!("photos/{id}")] {
        let url = blobs.presign_get(&key, ttl).await.unwrap();
        let answer = stack.client.get(&url).send().await.unwrap();
        let body = assert_problem(answer, 404).await;
        assert!(body["detail"].as_str().unwrap().contains(&key), "{body}");
    }
    stack.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_of_the_blob_routes_is_problem_json() {
    let stack = TestStack::start(Store::Sqlite).await;
    let url = |path: &str| format!("{}{path}", stack.base_url);
    let key = format!("/blobs/uploads/{}", uuid::Uuid::new_v4());
    for method in [
        reqwest::Method::DELETE,
        reqwest::Method::POST,
        reqwest::Method::PATCH,
    ] {
        let answer = stack
            .client
            .request(method.clone(), url(&key))
            .send()
            .await
            .unwrap();
        let allow = answer.headers().get(reqwest::header::ALLOW).cloned();
        assert_problem(answer, 405).await;
        let allow = allow.map(|v| v.to_str().unwrap().to_string());
        assert!(
            allow
                .as_deref()
                .is_some_and(|a| a.contains("GET") && a.contains("PUT")),
            "{method}: Allow {allow:?}"
        );
    }
    // Not UTF-8 once decoded, in the key or in the query.
    for path in ["/blobs/%FF%FE", "/blobs/uploads/%C3%28"] {
        assert_problem(stack.client.get(url(path)).send().await.unwrap(), 400).await;
        let put = stack.client.put(url(path)).body("x").send().await.unwrap();
        assert_problem(put, 400).await;
    }
    let bad_query = format!("{key}?X-Wisaw-Expires=%FF&X-Wisaw-Signature=%FE");
    assert_problem(stack.client.get(url(&bad_query)).send().await.unwrap(), 403).await;
    // Unsigned, and a key the store would never accept.
    assert_problem(stack.client.get(url(&key)).send().await.unwrap(), 403).await;
    assert_problem(
        stack
            .client
            .get(url("/blobs/a/..%2Fb"))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    stack.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_upload_says_why_in_words_a_person_reads() {
    let stack = TestStack::start(Store::Sqlite).await;
    let (bytes, ticket) = stack
        .photo_ticket(uuid::Uuid::new_v4(), (64, 48), (1.0, 2.0))
        .await;
    let upload_url = ticket.upload.as_ref().unwrap().url.as_str();

    // PUTs to the ticket's URL, with this content type (none when `None`) and body.
    let put = |content_type: Option<&str>, body: Vec<u8>| {
        let mut request = stack.client.put(upload_url).body(body);
        if let Some(content_type) = content_type {
            request = request.header("Content-Type", content_type);
        }
        request.send()
    };
    let wrong_type = put(Some("image/png"), bytes.clone()).await.unwrap();
    let no_type = put(None, bytes.clone()).await.unwrap();
    let too_long = put(Some("image/jpeg"), [bytes.as_slice(), b"more"].concat())
        .await
        .unwrap();
    let answers = [
        assert_problem(wrong_type, 403).await,
        assert_problem(no_type, 403).await,
        assert_problem(too_long, 413).await,
    ];
    let details: Vec<&str> = answers
        .iter()
        .map(|a| a["detail"].as_str().unwrap())
        .collect();
    assert!(
        details[0].contains("image/jpeg") && details[0].contains("image/png"),
        "{details:?}"
    );
    for detail in &details {
        assert!(
            detail.starts_with(char::is_uppercase) && detail.ends_with('.'),
            "not a sentence: {detail:?}"
        );
        for debug_text in ["Some(", "None", "\\\"", "{", "}"] {
            assert!(!detail.contains(debug_text), "debug text in {detail:?}");
        }
    }
    stack.finish().await;
}

/// Reads until the server closes the connection; `None` if it is still open after `patience`.
/// Returns what the server sent, and when it closed.
async fn read_until_closed(
    stream: &mut TcpStream,
    patience: Duration,
) -> Option<(Vec<u8>, Duration)> {
    let start = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let left = patience.checked_sub(start.elapsed())?;
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some((received, start.elapsed())),
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_stalled_in_its_headers_is_disconnected() {
    let stack = TestStack::start(Store::Sqlite).await;
    let addr = stack.running.addr;
    let stalls: [&[u8]; 3] = [
        b"",
        b"GET /v1/fe",
        b"GET /v1/feed HTTP/1.1\r\nHost: wisaw\r\nX-Half",
    ];
    let mut waiting = Vec::new();
    for sent in stalls {
        waiting.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.write_all(sent).await.unwrap();
            let closed = read_until_closed(&mut stream, HEADER_READ_TIMEOUT + SLACK).await;
            (String::from_utf8_lossy(sent).into_owned(), closed)
        }));
    }
    for task in waiting {
        let (sent, closed) = task.await.unwrap();
        let (received, after) = closed.unwrap_or_else(|| {
            panic!(
                "a client that sent {sent:?} is still connected after {:?}",
                HEADER_READ_TIMEOUT + SLACK
            )
        });
        let answer = String::from_utf8_lossy(&received);
        assert!(!answer.starts_with("HTTP/1.1 2"), "{sent:?} got {answer}");
        assert!(
            after >= HEADER_READ_TIMEOUT / 2,
            "{sent:?} closed after {after:?}"
        );
    }
    stack.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_whose_body_stalls_ends_without_storing_anything() {
    let stack = TestStack::start(Store::Sqlite).await;
    let (bytes, ticket) = stack
        .photo_ticket(uuid::Uuid::new_v4(), (64, 48), (1.0, 2.0))
        .await;
    let id = ticket.photo_id.to_string();
    let url = reqwest::Url::parse(ticket.upload.as_ref().unwrap().url.as_str()).unwrap();
    let target = format!("{}?{}", url.path(), url.query().unwrap());

    let mut stream = TcpStream::connect(stack.running.addr).await.unwrap();
    let head = format!(
        "PUT {target} HTTP/1.1\r\nHost: wisaw\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n",
        bytes.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&bytes[..bytes.len() / 2]).await.unwrap();

    let (received, after) = read_until_closed(&mut stream, BODY_IDLE_TIMEOUT + SLACK)
        .await
        .unwrap_or_else(|| {
            panic!(
                "a stalled upload is still open after {:?}",
                BODY_IDLE_TIMEOUT + SLACK
            )
        });
    assert!(after >= BODY_IDLE_TIMEOUT / 2, "closed after {after:?}");
    // Either a 4xx problem answer before the close, or just the close.
    let answer = String::from_utf8_lossy(&received).to_ascii_lowercase();
    if !answer.is_empty() {
        assert!(answer.starts_with("http/1.1 4"), "{answer}");
        assert!(answer.contains(PROBLEM_JSON), "{answer}");
    }
    let blobs = &stack.stack().blobs;
    assert!(paths_naming(blobs.root(), &id).is_empty());
    assert!(std::fs::read_dir(blobs.root().join("tmp"))
        .unwrap()
        .next()
        .is_none());
    stack.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_bound_wait_for_a_free_one() {
    let stack = TestStack::start(Store::Sqlite).await;
    let addr = stack.running.addr;
    let mut held = Vec::new();
    for _ in 0..MAX_CONNECTIONS {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"GET /v1/fe").await.unwrap();
        held.push(stream);
    }
    // The kernel completes the handshake; the server does not serve it yet.
    let mut extra = TcpStream::connect(addr).await.unwrap();
    extra
        .write_all(b"GET /nowhere HTTP/1.1\r\nHost: wisaw\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 12];
    let early = tokio::time::timeout(Duration::from_secs(2), extra.read(&mut first)).await;
    assert!(early.is_err(), "served beyond the bound: {early:?}");

    drop(held.pop());
    let (received, _) = read_until_closed(&mut extra, Duration::from_secs(5))
        .await
        .expect("served once a connection is free");
    let answer = String::from_utf8_lossy(&received);
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    drop(held);
    stack.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutting_down_does_not_wait_on_a_stalled_client() {
    let stack = TestStack::start(Store::Sqlite).await;
    let mut stalled = TcpStream::connect(stack.running.addr).await.unwrap();
    stalled
        .write_all(b"GET /v1/feed HTTP/1.1\r\nHost: w")
        .await
        .unwrap();
    // Let the server take the connection in before it is told to stop.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    tokio::time::timeout(CONNECTION_DRAIN_GRACE + SLACK, stack.finish())
        .await
        .unwrap_or_else(|_| panic!("shutdown still waiting after {:?}", started.elapsed()));
}
