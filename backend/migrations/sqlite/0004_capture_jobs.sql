-- Captures become jobs that any hub on the store can run: the hub running one holds it
-- (owner) until its lease ends, renewing it while it works; a cancel from any hub is a
-- reason written on the row. Uploads have no instance (it was the word 'upload').
CREATE TABLE captures_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service TEXT NOT NULL,
    instance TEXT,
    kind TEXT NOT NULL,
    seconds INTEGER NOT NULL,
    state TEXT NOT NULL,
    error TEXT,
    bytes INTEGER,
    requested_by TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    started_ms INTEGER,
    finished_ms INTEGER,
    artifact TEXT,
    owner TEXT,
    lease_until_ms INTEGER,
    cancel_reason TEXT
);
INSERT INTO captures_new (id, service, instance, kind, seconds, state, error, bytes, requested_by,
    created_ms, started_ms, finished_ms, artifact)
SELECT id, service, CASE WHEN kind IN ('pprof', 'jstack', 'goroutine') THEN NULL ELSE instance END,
    kind, seconds, state, error, bytes, requested_by, created_ms, started_ms, finished_ms, artifact
FROM captures;
DROP TABLE captures;
ALTER TABLE captures_new RENAME TO captures;
CREATE INDEX captures_instance ON captures (service, instance, state);
CREATE INDEX captures_state ON captures (state, id);
