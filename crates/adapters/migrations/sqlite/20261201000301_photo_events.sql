-- The outbox of announcements to the phones: written with the outcome it announces, in
-- the same transaction, and marked sent once published. Replaces notifications_sent,
-- which recorded a publication only after it happened.
CREATE TABLE photo_events (
    -- {photoId}:{type}:{attempt}: what a subscriber deduplicates on.
    event_id     TEXT    PRIMARY KEY NOT NULL,
    photo_id     TEXT    NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
    event_type   TEXT    NOT NULL CHECK (event_type IN ('photo.ready', 'photo.rejected')),
    recorded_at  INTEGER NOT NULL,
    sent_at      INTEGER,
    -- Publications that failed: the sweep takes the fewest first, so an event that cannot
    -- be published never holds up the others.
    attempts     INTEGER NOT NULL DEFAULT 0
);
-- The sweep: unsent events, fewest failures first, then oldest.
CREATE INDEX photo_events_unsent ON photo_events (attempts, recorded_at) WHERE sent_at IS NULL;
CREATE INDEX photo_events_by_photo ON photo_events (photo_id);

-- Every outcome recorded before the outbox gets its event: sent when it was published,
-- waiting otherwise (a photo in flight at the upgrade is announced by the sweep).
INSERT INTO photo_events (event_id, photo_id, event_type, recorded_at, sent_at)
SELECT p.id || ':' || e.event_type || ':' ||
       CASE WHEN instr(p.execution_name, '-replay-') > 0
            THEN substr(p.execution_name, instr(p.execution_name, '-replay-') + 8)
            ELSE '0' END,
       p.id, e.event_type, p.updated_at, n.claimed_at
FROM photos p
JOIN (SELECT 'ready' AS status, 'photo.ready' AS event_type
      UNION ALL SELECT 'rejected', 'photo.rejected') e ON e.status = p.status
LEFT JOIN notifications_sent n ON n.photo_id = p.id AND n.event_type = e.event_type;

DROP TABLE notifications_sent;
