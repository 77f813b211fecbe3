-- Incidents: every firing alert opens one (its id is the alert's). Its status and its notes
-- (a status change is a note too, for the timeline).
CREATE TABLE incidents (
    alert_id INTEGER PRIMARY KEY,
    status TEXT NOT NULL,
    updated_ms INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE TABLE incident_notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id INTEGER NOT NULL,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT,
    created_ms INTEGER NOT NULL
);
CREATE INDEX incident_notes_by_alert ON incident_notes (alert_id, created_ms);
