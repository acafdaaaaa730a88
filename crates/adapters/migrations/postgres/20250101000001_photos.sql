-- The photos' metadata on Postgres.
--
-- Extensions live in `public` so that every schema using this store finds them.
-- cube + earthdistance turn (lat, lon) into a point on a sphere whose Euclidean
-- distances GiST can order by; btree_gist lets the same index also hold created_at.
CREATE EXTENSION IF NOT EXISTS cube WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS earthdistance WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;

CREATE TABLE photos (
    id              uuid             PRIMARY KEY,
    device_id       uuid             NOT NULL,
    lat             double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon             double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    status          text             NOT NULL CHECK (status IN ('awaiting_upload', 'processing', 'ready', 'rejected', 'failed')),
    content_type    text             NOT NULL,
    content_length  bigint           NOT NULL CHECK (content_length >= 0),
    -- rejected: the rejection code and sentence; failed: the error name and its cause.
    reason_code     text,
    reason          text,
    -- bigint: the domain allows any u32.
    width           bigint           CHECK (width >= 0),
    height          bigint           CHECK (height >= 0),
    thumb_key       text,
    display_key     text,
    execution_name  text,
    created_at      timestamptz      NOT NULL,
    updated_at      timestamptz      NOT NULL
);

-- The feed: nearest-first (KNN) over ready photos, with the time window checked
-- inside the same index.
CREATE INDEX photos_ready_nearby ON photos
    USING gist (ll_to_earth(lat, lon), created_at)
    WHERE status = 'ready';
-- Abuse checks: every photo of one device.
CREATE INDEX photos_by_device ON photos (device_id);

CREATE TABLE abuse_reports (
    photo_id            uuid        NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
    reporter_device_id  uuid        NOT NULL,
    created_at          timestamptz NOT NULL,
    PRIMARY KEY (photo_id, reporter_device_id)
);

-- Which events were published for which photo, so a rerun does not publish twice.
CREATE TABLE notifications_sent (
    photo_id    uuid        NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
    event_type  text        NOT NULL,
    claimed_at  timestamptz NOT NULL,
    PRIMARY KEY (photo_id, event_type)
);
