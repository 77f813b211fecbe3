-- Changes to services (deploys, config, flags, migrations): pushed by services and people,
-- and recorded by the hub itself (config reloads, the demo's chaos).
CREATE TABLE changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service TEXT NOT NULL,
    kind TEXT NOT NULL,
    version TEXT,
    summary TEXT NOT NULL,
    url TEXT,
    ts_ms INTEGER NOT NULL,
    author TEXT,
    recorded_by TEXT NOT NULL,
    recorded_ms INTEGER NOT NULL
);
CREATE INDEX changes_by_service ON changes (service, ts_ms);
CREATE INDEX changes_by_time ON changes (ts_ms);
