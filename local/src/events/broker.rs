//! Who is subscribed to which channel, and the hand-off of a published event to each of
//! them. Like AppSync Events, it keeps nothing: an event reaches the subscriptions open
//! when it is published, and no other.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How many events may wait for one connection's socket. A subscriber that falls this
/// far behind is disconnected (it reconnects, and reads the status endpoint), so a slow
/// phone can never make the server hold an unbounded backlog.
pub const CONNECTION_BACKLOG: usize = 256;

/// An event on its way to one subscription of one connection.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    pub subscription_id: String,
    /// The channel it was published on (a subscription id can be reused for another).
    pub channel: String,
    pub event: String,
}

/// One connection's inbox: what the broker pushes, what the connection's task sends,
/// and the signal that it overflowed.
#[derive(Clone)]
pub struct Inbox {
    deliveries: mpsc::Sender<Delivery>,
    overflow: CancellationToken,
}

impl Inbox {
    pub fn new() -> (Self, mpsc::Receiver<Delivery>) {
        let (deliveries, receiver) = mpsc::channel(CONNECTION_BACKLOG);
        let inbox = Self {
            deliveries,
            overflow: CancellationToken::new(),
        };
        (inbox, receiver)
    }

    /// Completes once the broker gave up on this connection for falling behind.
    pub async fn overflowed(&self) {
        self.overflow.cancelled().await
    }

    /// False when the connection cannot take it (then it is told, and dropped).
    fn push(&self, delivery: Delivery) -> bool {
        match self.deliveries.try_send(delivery) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.overflow.cancel();
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

/// One connection's subscriptions to one channel: its inbox, and the subscription ids.
type Subscriber = (Inbox, Vec<String>);

#[derive(Default)]
pub struct Broker {
    next_connection: AtomicU64,
    /// channel → connection → its subscriptions there.
    channels: Mutex<HashMap<String, HashMap<u64, Subscriber>>>,
}

impl Broker {
    /// A number naming a new connection in [`Broker::subscribe`].
    pub fn connection_id(&self) -> u64 {
        self.next_connection.fetch_add(1, Ordering::Relaxed)
    }

    pub fn subscribe(&self, connection: u64, inbox: &Inbox, channel: &str, subscription: &str) {
        let mut channels = self.channels.lock().expect("the broker's lock");
        channels
            .entry(channel.to_string())
            .or_default()
            .entry(connection)
            .or_insert_with(|| (inbox.clone(), Vec::new()))
            .1
            .push(subscription.to_string());
    }

    pub fn unsubscribe(&self, connection: u64, channel: &str, subscription: &str) {
        let mut channels = self.channels.lock().expect("the broker's lock");
        if let Some(connections) = channels.get_mut(channel) {
            if let Some((_, ids)) = connections.get_mut(&connection) {
                ids.retain(|id| id != subscription);
                if ids.is_empty() {
                    connections.remove(&connection);
                }
            }
            if connections.is_empty() {
                channels.remove(channel);
            }
        }
    }

    /// Forgets a closed connection's subscriptions.
    pub fn disconnect(&self, connection: u64, channels_of_connection: &[String]) {
        let mut channels = self.channels.lock().expect("the broker's lock");
        for channel in channels_of_connection {
            if let Some(connections) = channels.get_mut(channel) {
                connections.remove(&connection);
                if connections.is_empty() {
                    channels.remove(channel);
                }
            }
        }
    }

    /// Hands `events` to every subscription of `channel`; returns how many subscriptions
    /// there were. A connection whose backlog is full, or that is gone, is dropped.
    pub fn publish(&self, channel: &str, events: &[String]) -> usize {
        let mut channels = self.channels.lock().expect("the broker's lock");
        let Some(connections) = channels.get_mut(channel) else {
            return 0;
        };
        let mut reached = 0;
        connections.retain(|_, (inbox, ids)| {
            for id in ids.iter() {
                for event in events {
                    let delivery = Delivery {
                        subscription_id: id.clone(),
                        channel: channel.to_string(),
                        event: event.clone(),
                    };
                    if !inbox.push(delivery) {
                        return false;
                    }
                }
                reached += 1;
            }
            true
        });
        if connections.is_empty() {
            channels.remove(channel);
        }
        reached
    }

    /// How many connections hold a subscription (for tests and logs).
    pub fn subscribed_connections(&self) -> usize {
        let channels = self.channels.lock().expect("the broker's lock");
        channels.values().map(HashMap::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_reaches_the_subscriptions_of_its_channel_only() {
        let broker = Broker::default();
        let (a, mut a_rx) = Inbox::new();
        let (b, mut b_rx) = Inbox::new();
        let (ca, cb) = (broker.connection_id(), broker.connection_id());
        broker.subscribe(ca, &a, "/devices/one", "s1");
        broker.subscribe(ca, &a, "/devices/one", "s2");
        broker.subscribe(cb, &b, "/devices/two", "s1");
        assert_eq!(broker.publish("/devices/one", &["{}".into()]), 2);
        assert_eq!(a_rx.try_recv().unwrap().subscription_id, "s1");
        assert_eq!(a_rx.try_recv().unwrap().subscription_id, "s2");
        assert!(b_rx.try_recv().is_err());
        broker.unsubscribe(ca, "/devices/one", "s1");
        assert_eq!(broker.publish("/devices/one", &["{}".into()]), 1);
        broker.disconnect(ca, &["/devices/one".into()]);
        assert_eq!(broker.publish("/devices/one", &["{}".into()]), 0);
        assert_eq!(broker.subscribed_connections(), 1);
    }

    #[test]
    fn a_subscriber_that_falls_behind_is_dropped() {
        let broker = Broker::default();
        let (slow, _kept_unread) = Inbox::new();
        let connection = broker.connection_id();
        broker.subscribe(connection, &slow, "/devices/one", "s");
        for _ in 0..CONNECTION_BACKLOG {
            assert_eq!(broker.publish("/devices/one", &["1".into()]), 1);
        }
        assert!(!slow.overflow.is_cancelled());
        assert_eq!(broker.publish("/devices/one", &["2".into()]), 0);
        assert!(slow.overflow.is_cancelled(), "the connection is told");
        assert_eq!(broker.subscribed_connections(), 0);
    }
}
