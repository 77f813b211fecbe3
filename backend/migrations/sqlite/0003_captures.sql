CREATE TABLE captures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service TEXT NOT NULL,
    instance TEXT NOT NULL,
    kind TEXT NOT NULL,
    seconds INTEGER NOT NULL,
    state TEXT NOT NULL,
    error TEXT,
    bytes INTEGER,
    requested_by TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    started_ms INTEGER,
    finished_ms INTEGER,
    artifact TEXT
);
CREATE INDEX captures_instance ON captures (service, instance, state);
