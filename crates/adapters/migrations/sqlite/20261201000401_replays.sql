-- The audit log of dead-letter replays: one row per replay, written before it sends
-- anything and rewritten as it goes, so a replay cut short still shows what it did.
-- Photos are not referenced by key: the log outlives the photos it is about.
CREATE TABLE replays (
    id           TEXT    PRIMARY KEY NOT NULL,
    operator     TEXT    NOT NULL,
    started_at   INTEGER NOT NULL,
    -- NULL while it runs, or when it was cut short.
    finished_at  INTEGER,
    -- The selection as the operator gave it (filters, or the photos picked).
    selection    TEXT    NOT NULL,
    forced       INTEGER NOT NULL,
    -- Messages per second.
    rate         REAL    NOT NULL,
    -- Each photo's attempt, error and outcome, as a JSON array: only ever read and
    -- written whole, with the replay.
    photos       TEXT    NOT NULL
);
-- The log, newest first.
CREATE INDEX replays_by_start ON replays (started_at);
