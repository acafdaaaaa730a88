//! Taking a message off a queue through the port, as the queue tests do.

use std::time::Duration;
use wisaw_domain::ports::{Queue, ReceivedMessage};

/// How long a receive waits for a message a test has just sent.
const BRIEFLY: Duration = Duration::from_secs(1);

/// The one message `queue` holds, hidden for `visibility`; fails the test unless exactly
/// one arrives within a second.
pub async fn receive_one(queue: &dyn Queue, visibility: Duration) -> ReceivedMessage {
    let mut messages = queue.receive(1, visibility, BRIEFLY).await.unwrap();
    assert_eq!(
        messages.len(),
        1,
        "one message expected on {}",
        queue.name()
    );
    messages.remove(0)
}
