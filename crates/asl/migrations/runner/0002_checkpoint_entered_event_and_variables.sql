-- The checkpoint also keeps the id of the state's `...StateEntered` event (runtime
-- errors name it, as Step Functions' do) and the workflow variables in scope.
ALTER TABLE executions ADD COLUMN state_entered_event_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN variables TEXT NOT NULL DEFAULT '{}';
