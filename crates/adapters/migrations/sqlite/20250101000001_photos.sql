-- The photos' metadata. Times are unix microseconds (UTC), which sort and index as integers.
CREATE TABLE photos (
    id              TEXT    PRIMARY KEY NOT NULL,
    device_id       TEXT    NOT NULL,
    lat             REAL    NOT NULL,
    lon             REAL    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('awaiting_upload', 'processing', 'ready', 'rejected', 'failed')),
    content_type    TEXT    NOT NULL,
    content_length  INTEGER NOT NULL,
    -- rejected: the rejection code and sentence; failed: the error name and its cause.
    reason_code     TEXT,
    reason          TEXT,
    width           INTEGER,
    height          INTEGER,
    thumb_key       TEXT,
    display_key     TEXT,
    execution_name  TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- The feed: ready photos in a time window.
CREATE INDEX photos_by_status_created ON photos (status, created_at);
-- Abuse checks: every photo of one device.
CREATE INDEX photos_by_device ON photos (device_id);

CREATE TABLE abuse_reports (
    photo_id            TEXT    NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
    reporter_device_id  TEXT    NOT NULL,
    created_at          INTEGER NOT NULL,
    PRIMARY KEY (photo_id, reporter_device_id)
);

-- Which events were published for which photo, so a rerun does not publish twice.
CREATE TABLE notifications_sent (
    photo_id    TEXT    NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
    event_type  TEXT    NOT NULL,
    claimed_at  INTEGER NOT NULL,
    PRIMARY KEY (photo_id, event_type)
);
