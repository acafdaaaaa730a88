-- Messages of every local queue. Times are unix microseconds (UTC).
CREATE TABLE queue_messages (
    -- Delivery order among messages sent in the same microsecond.
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT    NOT NULL UNIQUE,
    queue           TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    sent_at         INTEGER NOT NULL,
    -- Hidden until then while a receiver works on it.
    visible_at      INTEGER NOT NULL,
    receive_count   INTEGER NOT NULL DEFAULT 0,
    -- The latest delivery's handle; NULL until first received.
    receipt_handle  TEXT    UNIQUE
);

CREATE INDEX queue_messages_by_visibility ON queue_messages (queue, visible_at, sent_at, seq);
