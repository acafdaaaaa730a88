-- Executions of the local Step Functions runner, with the checkpoint that lets
-- an interrupted execution continue from the state it was in.
CREATE TABLE executions (
    execution_id     TEXT PRIMARY KEY NOT NULL,
    state_machine    TEXT NOT NULL,
    name             TEXT NOT NULL,
    input            TEXT NOT NULL,
    status           TEXT NOT NULL,
    output           TEXT,
    error            TEXT,
    cause            TEXT,
    -- Millisecond UTC timestamps (RFC 3339), so text order is time order.
    start_date       TEXT NOT NULL,
    stop_date        TEXT,
    -- The checkpoint: the state in progress, its raw input, when it was entered,
    -- and one retry counter per Retrier (a JSON array).
    current_state    TEXT,
    state_input      TEXT,
    state_entered_at TEXT,
    retry_attempts   TEXT NOT NULL DEFAULT '[]',
    -- The id of the newest history event; writers check it to never interleave.
    last_event_id    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (state_machine, name)
);

CREATE INDEX executions_by_status ON executions (state_machine, status, start_date);
CREATE INDEX executions_by_start ON executions (state_machine, start_date);

CREATE TABLE history_events (
    execution_id      TEXT NOT NULL REFERENCES executions (execution_id),
    event_id          INTEGER NOT NULL,
    previous_event_id INTEGER NOT NULL,
    timestamp         TEXT NOT NULL,
    event_type        TEXT NOT NULL,
    details           TEXT NOT NULL,
    PRIMARY KEY (execution_id, event_id)
);
