//! The local queues: SQS semantics on a real SQLite file.

use std::collections::HashSet;
use std::time::{Duration, Instant};
use wisaw_adapters::queues_sqlite::{
    LocalQueue, LocalQueues, Redrive, Released, DEAD_LETTER_QUEUE, INGEST_QUEUE,
};
use wisaw_domain::ports::{Queue, QueueStats};
use wisaw_domain::PortError;

const NO_WAIT: Duration = Duration::ZERO;
const LONG: Duration = Duration::from_secs(60);

async fn queues() -> (tempfile::TempDir, LocalQueues) {
    let dir = tempfile::tempdir().unwrap();
    let queues = LocalQueues::open(dir.path().join("queues.db"))
        .await
        .unwrap();
    (dir, queues)
}

#[tokio::test]
async fn a_message_stays_until_deleted_and_comes_back_after_its_visibility() {
    let (_dir, queues) = queues().await;
    let queue = queues.queue(INGEST_QUEUE);
    let id = queue.send("hello").await.unwrap();
    queue.send("second").await.unwrap();

    let first = queue
        .receive(1, Duration::from_millis(300), NO_WAIT)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(
        (first[0].message_id.as_str(), first[0].body.as_str()),
        (id.as_str(), "hello")
    );
    assert_eq!(first[0].receive_count, 1);

    // Hidden while in flight: only the other one is visible.
    let other = queue.receive(10, LONG, NO_WAIT).await.unwrap();
    assert_eq!(
        other.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
        ["second"]
    );
    let counts = queue.count().await.unwrap();
    assert_eq!((counts.visible, counts.in_flight), (0, 2));

    tokio::time::sleep(Duration::from_millis(350)).await;
    let again = queue.receive(10, LONG, NO_WAIT).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].message_id, id);
    assert_eq!(again[0].receive_count, 2);
    assert_ne!(again[0].receipt_handle, first[0].receipt_handle);

    // The first delivery's receipt is stale: deleting with it succeeds but deletes nothing,
    // and it can no longer change the visibility.
    queue.delete(&first[0].receipt_handle).await.unwrap();
    assert_eq!(queue.count().await.unwrap().total(), 2);
    let stale = queue
        .change_visibility(&first[0].receipt_handle, NO_WAIT)
        .await;
    assert!(matches!(stale, Err(PortError::NotFound(_))), "{stale:?}");

    queue.delete(&again[0].receipt_handle).await.unwrap();
    queue.delete(&other[0].receipt_handle).await.unwrap();
    assert_eq!(queue.count().await.unwrap().total(), 0);
    assert!(queue.receive(10, LONG, NO_WAIT).await.unwrap().is_empty());
}

/// Slack between the wall clock the queue stamps messages with and this test's clock.
const CLOCKS: Duration = Duration::from_millis(50);

#[tokio::test]
async fn stats_count_waiting_and_in_flight_messages_and_the_oldest_ones_age() {
    let (_dir, queues) = queues().await;
    let queue = queues.queue(INGEST_QUEUE);
    assert_eq!(queue.stats().await.unwrap(), QueueStats::default());

    let before_first = Instant::now();
    let sent_from = chrono::Utc::now() - chrono::Duration::milliseconds(50);
    queue.send("first").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before_second = Instant::now();
    queue.send("second").await.unwrap();
    // Another queue's messages are its own.
    queues.queue(DEAD_LETTER_QUEUE).send("other").await.unwrap();
    let stats = queue.stats().await.unwrap();
    assert_eq!((stats.visible, stats.in_flight), (2, 0));
    let age = stats.oldest_age.unwrap();
    assert!(
        age >= Duration::from_millis(300) && age <= before_first.elapsed() + CLOCKS,
        "{age:?}"
    );

    let first = queue.receive(1, LONG, NO_WAIT).await.unwrap().remove(0);
    assert_eq!(first.body, "first");
    let sent_at = first.sent_at.unwrap();
    assert!(
        sent_at >= sent_from && sent_at <= chrono::Utc::now(),
        "{sent_at}"
    );
    let stats = queue.stats().await.unwrap();
    assert_eq!((stats.visible, stats.in_flight), (1, 1));
    assert!(stats.oldest_age.unwrap() >= Duration::from_millis(300));
    // Taken up by a handler, it is still in flight until deleted.
    queue.begin_handling(&first.receipt_handle).await.unwrap();
    assert_eq!(queue.stats().await.unwrap().in_flight, 1);

    queue.delete(&first.receipt_handle).await.unwrap();
    let stats = queue.stats().await.unwrap();
    assert_eq!((stats.visible, stats.in_flight), (1, 0));
    let age = stats.oldest_age.unwrap();
    assert!(
        age <= before_second.elapsed() + CLOCKS,
        "the second's age: {age:?}"
    );

    // A delivery nobody deletes is waiting again once its visibility ends.
    let second = queue
        .receive(1, Duration::from_millis(200), NO_WAIT)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(queue.stats().await.unwrap().in_flight, 1);
    tokio::time::sleep(Duration::from_millis(250)).await;
    let stats = queue.stats().await.unwrap();
    assert_eq!((stats.visible, stats.in_flight), (1, 0));

    let again = queue.receive(1, LONG, NO_WAIT).await.unwrap().remove(0);
    assert_eq!(again.message_id, second.message_id);
    assert_eq!(again.sent_at, second.sent_at);
    queue.delete(&again.receipt_handle).await.unwrap();
    assert_eq!(queue.stats().await.unwrap(), QueueStats::default());
    assert_eq!(
        queues
            .queue(DEAD_LETTER_QUEUE)
            .stats()
            .await
            .unwrap()
            .visible,
        1
    );
}

#[tokio::test]
async fn receive_delivers_oldest_first_at_most_max() {
    let (_dir, queues) = queues().await;
    let queue = queues.queue("q");
    for i in 0..15 {
        queue.send(&format!("m{i}")).await.unwrap();
    }
    let three = queue.receive(3, LONG, NO_WAIT).await.unwrap();
    assert_eq!(
        three.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
        ["m0", "m1", "m2"]
    );
    // SQS's cap of 10 per receive.
    let rest = queue.receive(100, LONG, NO_WAIT).await.unwrap();
    assert_eq!(rest.len(), 10);
    assert_eq!(rest[0].body, "m3");
    assert_eq!(rest[9].body, "m12");
}

#[tokio::test]
async fn changing_the_visibility_to_zero_makes_it_visible_again() {
    let (_dir, queues) = queues().await;
    let queue = queues.queue("q");
    queue.send("x").await.unwrap();
    let first = queue.receive(1, LONG, NO_WAIT).await.unwrap();
    assert!(queue.receive(1, LONG, NO_WAIT).await.unwrap().is_empty());
    queue
        .change_visibility(&first[0].receipt_handle, NO_WAIT)
        .await
        .unwrap();
    let again = queue.receive(1, LONG, NO_WAIT).await.unwrap();
    assert_eq!(again[0].receive_count, 2);
}

/// The ingest queue's redrive: to the dead-letter queue after a second receive.
fn redrive_after_two_receives() -> Redrive {
    Redrive {
        dead_letter_queue: DEAD_LETTER_QUEUE.into(),
        max_receive_count: 2,
    }
}

#[tokio::test]
async fn a_message_received_max_receive_count_times_moves_to_the_dead_letter_queue() {
    let (_dir, queues) = queues().await;
    let redrive = redrive_after_two_receives();
    let ingest = queues.queue_with_redrive(INGEST_QUEUE, redrive);
    let dlq = queues.queue(DEAD_LETTER_QUEUE);
    let id = ingest.send("poison").await.unwrap();

    for expected in 1..=2 {
        let got = ingest.receive(1, LONG, NO_WAIT).await.unwrap();
        assert_eq!(got[0].receive_count, expected);
        ingest
            .change_visibility(&got[0].receipt_handle, NO_WAIT)
            .await
            .unwrap();
    }
    // A third receive would exceed the count: the message moves instead.
    assert!(ingest.receive(1, LONG, NO_WAIT).await.unwrap().is_empty());
    assert_eq!(ingest.count().await.unwrap().total(), 0);

    let listed = dlq.peek(10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].message_id.as_str(), listed[0].body.as_str()),
        (id.as_str(), "poison")
    );
    assert!(listed[0].visible);
    // Peeking consumed nothing.
    let dead = dlq.receive(10, LONG, NO_WAIT).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (dead[0].message_id.as_str(), dead[0].receive_count),
        (id.as_str(), 1)
    );

    let counts = queues.counts().await.unwrap();
    assert_eq!(counts.len(), 1);
    assert_eq!(
        (counts[0].queue.as_str(), counts[0].in_flight),
        (DEAD_LETTER_QUEUE, 1)
    );
}

/// A receiver long-polling `queue` gets `body`, sent by `sender` a moment later, within
/// two seconds.
async fn wakes_a_waiting_receiver(queue: &LocalQueue, sender: &LocalQueue, body: &str) {
    let waiting = tokio::spawn({
        let queue = queue.clone();
        async move {
            let started = Instant::now();
            (
                queue
                    .receive(1, LONG, Duration::from_secs(10))
                    .await
                    .unwrap(),
                started.elapsed(),
            )
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    sender.send(body).await.unwrap();
    let (got, waited) = waiting.await.unwrap();
    assert_eq!(got[0].body, body);
    assert!(waited < Duration::from_secs(2), "waited {waited:?}");
}

#[tokio::test]
async fn a_long_poll_returns_as_soon_as_a_message_arrives() {
    let (dir, queues) = queues().await;
    let queue = queues.queue("q");
    // Nothing arrives: it waits the whole time, then returns empty.
    let started = Instant::now();
    assert!(queue
        .receive(1, LONG, Duration::from_millis(300))
        .await
        .unwrap()
        .is_empty());
    assert!(started.elapsed() >= Duration::from_millis(300));

    // A send from this process wakes it.
    wakes_a_waiting_receiver(&queue, &queue, "now").await;

    // A send from another process (another pool on the same file) is found by polling.
    let elsewhere = LocalQueues::open(dir.path().join("queues.db"))
        .await
        .unwrap()
        .queue("q");
    wakes_a_waiting_receiver(&queue, &elsewhere, "there").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_receivers_never_get_the_same_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("queues.db");
    let sender = LocalQueues::open(&path).await.unwrap().queue("q");
    let mut sent = HashSet::new();
    for i in 0..120 {
        sent.insert(sender.send(&format!("m{i}")).await.unwrap());
    }
    // Four receivers, each with its own pool like separate processes, starting together.
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(4));
    let mut receivers = Vec::new();
    for _ in 0..4 {
        let queue = LocalQueues::open(&path).await.unwrap().queue("q");
        let start = start.clone();
        receivers.push(tokio::spawn(async move {
            start.wait().await;
            let mut got = Vec::new();
            loop {
                let batch = queue.receive(3, LONG, NO_WAIT).await.unwrap();
                if batch.is_empty() {
                    return got;
                }
                got.extend(batch.into_iter().map(|m| m.message_id));
            }
        }));
    }
    let mut received = Vec::new();
    let mut busy_receivers = 0;
    for receiver in receivers {
        let got = receiver.await.unwrap();
        busy_receivers += usize::from(!got.is_empty());
        received.extend(got);
    }
    let distinct: HashSet<String> = received.iter().cloned().collect();
    assert_eq!(
        received.len(),
        120,
        "every message delivered exactly once while hidden"
    );
    assert_eq!(distinct, sent);
    assert!(busy_receivers >= 2, "the receivers should have competed");
}

#[tokio::test]
async fn the_queues_and_the_metadata_store_can_share_one_file() {
    use wisaw_adapters::sqlite::SqliteMetadataStore;
    use wisaw_domain::ports::MetadataStore;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wisaw.db");
    let store = SqliteMetadataStore::open(&path).await.unwrap();
    let queue = LocalQueues::open(&path).await.unwrap().queue("q");
    queue.send("x").await.unwrap();
    // Reopening runs each side's migrations again, next to the other's.
    let store_again = SqliteMetadataStore::open(&path).await.unwrap();
    let queue_again = LocalQueues::open(&path).await.unwrap().queue("q");
    assert_eq!(queue_again.count().await.unwrap().visible, 1);
    assert!(store_again
        .get_photo(wisaw_domain::PhotoId::new_random())
        .await
        .unwrap()
        .is_none());
    drop(store);
}

#[tokio::test]
async fn a_restarted_consumer_gets_back_at_once_what_its_predecessor_held() {
    let (dir, queues) = queues().await;
    let redrive = redrive_after_two_receives();
    let ingest = queues.queue_with_redrive(INGEST_QUEUE, redrive.clone());
    for body in ["being handled", "waiting in the batch", "also waiting"] {
        ingest.send(body).await.unwrap();
    }
    // The consumer takes a batch, starts on its first message, and dies.
    let held = ingest.receive(10, LONG, NO_WAIT).await.unwrap();
    assert_eq!(held.len(), 3);
    ingest
        .begin_handling(&held[0].receipt_handle)
        .await
        .unwrap();
    drop(queues);

    // Its successor, on the same file.
    let queues = LocalQueues::open(dir.path().join("queues.db"))
        .await
        .unwrap();
    let ingest = queues.queue_with_redrive(INGEST_QUEUE, redrive);
    assert!(ingest.receive(10, LONG, NO_WAIT).await.unwrap().is_empty());
    let released = ingest.release_held().await.unwrap();
    assert_eq!(
        released,
        Released {
            handled: 1,
            unhandled: 2
        }
    );

    // Visible at once; only the delivery a handler saw still counts.
    let again = ingest.receive(10, LONG, NO_WAIT).await.unwrap();
    let counts: Vec<(&str, u32)> = again
        .iter()
        .map(|m| (m.body.as_str(), m.receive_count))
        .collect();
    assert_eq!(
        counts,
        [
            ("being handled", 2),
            ("waiting in the batch", 1),
            ("also waiting", 1)
        ]
    );
    // The dead consumer's handles are stale: they delete nothing.
    for message in &held {
        ingest.delete(&message.receipt_handle).await.unwrap();
        let stale = ingest.begin_handling(&message.receipt_handle).await;
        assert!(matches!(stale, Err(PortError::NotFound(_))), "{stale:?}");
    }
    assert_eq!(ingest.count().await.unwrap().total(), 3);
}

/// How many messages the dead-letter queue holds, waiting or in flight.
async fn dead_letters(queues: &LocalQueues) -> u64 {
    queues
        .queue(DEAD_LETTER_QUEUE)
        .count()
        .await
        .unwrap()
        .total()
}

#[tokio::test]
async fn crashes_before_handling_never_send_a_message_to_the_dead_letter_queue() {
    let (_dir, queues) = queues().await;
    let ingest = queues.queue_with_redrive(INGEST_QUEUE, redrive_after_two_receives());
    ingest.send("a valid upload").await.unwrap();
    // More crashes than the redrive allows receives, each before the message was handled.
    for _ in 0..5 {
        let held = ingest.receive(10, LONG, NO_WAIT).await.unwrap();
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].receive_count, 1);
        ingest.release_held().await.unwrap();
    }
    assert_eq!(dead_letters(&queues).await, 0);

    // Crashes while it is handled do count: a message that kills its consumer is parked.
    for _ in 0..2 {
        let held = ingest.receive(10, LONG, NO_WAIT).await.unwrap();
        ingest
            .begin_handling(&held[0].receipt_handle)
            .await
            .unwrap();
        ingest.release_held().await.unwrap();
    }
    assert!(ingest.receive(10, LONG, NO_WAIT).await.unwrap().is_empty());
    assert_eq!(dead_letters(&queues).await, 1);
}

#[tokio::test]
async fn releasing_leaves_visible_messages_and_other_queues_alone() {
    let (_dir, queues) = queues().await;
    let ingest = queues.queue(INGEST_QUEUE);
    let other = queues.queue("other");
    ingest.send("visible").await.unwrap();
    other.send("held elsewhere").await.unwrap();
    let held_elsewhere = other.receive(1, LONG, NO_WAIT).await.unwrap();
    assert_eq!(ingest.release_held().await.unwrap(), Released::default());
    assert_eq!(
        ingest.peek(10).await.unwrap()[0].receive_count,
        0,
        "a message never received is untouched"
    );
    assert_eq!(other.count().await.unwrap().in_flight, 1);
    other
        .delete(&held_elsewhere[0].receipt_handle)
        .await
        .unwrap();
    assert_eq!(other.count().await.unwrap().total(), 0);
}
