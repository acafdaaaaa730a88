-- The audit log of dead-letter replays: one row per replay, written before it sends
-- anything and rewritten as it goes, so a replay cut short still shows what it did.
-- Photos are not referenced by key: the log outlives the photos it is about.
CREATE TABLE replays (
    id           uuid             PRIMARY KEY,
    operator     text             NOT NULL,
    started_at   timestamptz      NOT NULL,
    -- NULL while it runs, or when it was cut short.
    finished_at  timestamptz,
    -- The selection as the operator gave it (filters, or the photos picked).
    selection    text             NOT NULL,
    forced       boolean          NOT NULL,
    -- Messages per second.
    rate         double precision NOT NULL,
    -- Each photo's attempt, error and outcome, as a JSON array: only ever read and
    -- written whole, with the replay (text, as on SQLite: nothing queries inside it).
    photos       text             NOT NULL
);
-- The log, newest first.
CREATE INDEX replays_by_start ON replays (started_at);
