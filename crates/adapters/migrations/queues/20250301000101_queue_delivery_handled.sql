-- Whether a handler has taken up the latest delivery: 0 from each receive until the
-- consumer starts handling it. When a consumer dies, its successor makes what it held
-- visible again and gives back the receives of deliveries no handler ever saw.
ALTER TABLE queue_messages ADD COLUMN delivery_handled INTEGER NOT NULL DEFAULT 0;
