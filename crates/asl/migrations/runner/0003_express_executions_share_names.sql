-- Express executions may share a name (each start is another execution, with an id of
-- its own), so a name is no longer unique to its machine: the Standard start checks it
-- instead. SQLite drops a table constraint only by copying the table, and the history
-- that refers to it is copied with it (children first out, parents first in).
CREATE TABLE executions_by_id (
    execution_id           TEXT PRIMARY KEY NOT NULL,
    state_machine          TEXT NOT NULL,
    name                   TEXT NOT NULL,
    input                  TEXT NOT NULL,
    status                 TEXT NOT NULL,
    output                 TEXT,
    error                  TEXT,
    cause                  TEXT,
    start_date             TEXT NOT NULL,
    stop_date              TEXT,
    current_state          TEXT,
    state_input            TEXT,
    state_entered_at       TEXT,
    retry_attempts         TEXT NOT NULL DEFAULT '[]',
    last_event_id          INTEGER NOT NULL DEFAULT 0,
    state_entered_event_id INTEGER NOT NULL DEFAULT 0,
    variables              TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE history_events_by_id (
    execution_id      TEXT NOT NULL REFERENCES executions_by_id (execution_id),
    event_id          INTEGER NOT NULL,
    previous_event_id INTEGER NOT NULL,
    timestamp         TEXT NOT NULL,
    event_type        TEXT NOT NULL,
    details           TEXT NOT NULL,
    PRIMARY KEY (execution_id, event_id)
);

INSERT INTO executions_by_id (execution_id, state_machine, name, input, status, output, error,
    cause, start_date, stop_date, current_state, state_input, state_entered_at, retry_attempts,
    last_event_id, state_entered_event_id, variables)
SELECT execution_id, state_machine, name, input, status, output, error, cause, start_date,
    stop_date, current_state, state_input, state_entered_at, retry_attempts, last_event_id,
    state_entered_event_id, variables
FROM executions ORDER BY rowid;

INSERT INTO history_events_by_id
SELECT execution_id, event_id, previous_event_id, timestamp, event_type, details
FROM history_events;

DROP TABLE history_events;
DROP TABLE executions;
ALTER TABLE executions_by_id RENAME TO executions;
ALTER TABLE history_events_by_id RENAME TO history_events;

CREATE INDEX executions_by_status ON executions (state_machine, status, start_date);
CREATE INDEX executions_by_start ON executions (state_machine, start_date);
CREATE INDEX executions_by_name ON executions (state_machine, name, start_date);
