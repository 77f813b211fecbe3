-- Captures become jobs that any hub on the store can run: the hub running one holds it
-- (owner) until its lease ends, renewing it while it works; a cancel from any hub is a
-- reason written on the row. Uploads have no instance (it was the word 'upload').
ALTER TABLE captures ALTER COLUMN instance DROP NOT NULL;
UPDATE captures SET instance = NULL WHERE kind IN ('pprof', 'jstack', 'goroutine');
ALTER TABLE captures ADD COLUMN owner TEXT;
ALTER TABLE captures ADD COLUMN lease_until_ms BIGINT;
ALTER TABLE captures ADD COLUMN cancel_reason TEXT;
CREATE INDEX captures_state ON captures (state, id);
