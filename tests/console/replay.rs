//! Replays the console and the CLI share, on odd dead letters: two of one photo in one
//! replay (each gets its own outcome), and a message nobody can read (shown, never sent).

use crate::support::{replay_photos, Store, TestStack};
use wisaw_domain::contracts::DeadLetter;
use wisaw_domain::replay::ReplayOutcome;
use wisaw_domain::PhotoId;

fn dead_letter(photo: PhotoId, attempt: u32) -> String {
    serde_json::to_string(&DeadLetter {
        photo_id: photo,
        attempt,
        execution_name: Some(photo.execution_name(attempt)),
        error: Some(serde_json::json!({"Error": "Wisaw.Transient", "Cause": "down"})),
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_dead_letters_of_one_photo_the_one_over_the_limit_is_held_back_and_garbage_stays_shown(
) {
    let stack = TestStack::start(Store::Sqlite).await;
    let ports = stack.stack().operator_ports();
    let photo = PhotoId::new_random();
    for attempt in [0, 3] {
        ports
            .dead_letter
            .send(&dead_letter(photo, attempt))
            .await
            .unwrap();
    }
    ports.dead_letter.send("<not a dead letter>").await.unwrap();

    let page = stack.page(&format!("{}/console/dlq", stack.base_url)).await;
    assert!(
        page.contains("class=\"unreadable\"") && page.contains("&lt;not a dead letter&gt;"),
        "{page}"
    );

    let record = replay_photos(&ports, [photo]).await;
    let outcomes: Vec<(u32, ReplayOutcome)> = record
        .photos
        .iter()
        .map(|p| (p.attempt, p.outcome.clone()))
        .collect();
    assert!(
        outcomes.contains(&(0, ReplayOutcome::Replayed)),
        "{outcomes:?}"
    );
    assert!(
        outcomes.contains(&(3, ReplayOutcome::HeldBack)),
        "{outcomes:?}"
    );
    assert_eq!(outcomes.len(), 2);
    // The one held back and the unreadable one stay in the dead-letter queue.
    assert_eq!(ports.dead_letter.stats().await.unwrap().visible, 2);
    stack.finish().await;
}
