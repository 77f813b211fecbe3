-- Alerts: each episode of a rule on a service (pending, firing, resolved), the notifications
-- due to receivers (an outbox: nothing due is lost to a restart or a dead receiver), every
-- delivery attempt, and silences.
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule TEXT NOT NULL,
    service TEXT NOT NULL,
    state TEXT NOT NULL,
    severity TEXT NOT NULL,
    signal TEXT NOT NULL,
    comparison TEXT NOT NULL,
    value REAL,
    threshold REAL,
    worst_instance TEXT,
    onset_ms INTEGER NOT NULL,
    fired_ms INTEGER,
    resolved_ms INTEGER,
    updated_ms INTEGER NOT NULL,
    context TEXT NOT NULL,
    traces TEXT NOT NULL,
    labels TEXT NOT NULL,
    capture_id INTEGER,
    acked_by TEXT,
    acked_ms INTEGER
);
CREATE INDEX alerts_state ON alerts (state, rule, service);
CREATE INDEX alerts_onset ON alerts (onset_ms);

CREATE TABLE alert_notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id INTEGER NOT NULL,
    receiver TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    due_ms INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    sent_ms INTEGER,
    owner TEXT,
    lease_ms INTEGER
);
CREATE INDEX alert_notifications_due ON alert_notifications (state, due_ms);
CREATE INDEX alert_notifications_alert ON alert_notifications (alert_id);

CREATE TABLE alert_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    notification_id INTEGER NOT NULL,
    alert_id INTEGER NOT NULL,
    receiver TEXT NOT NULL,
    kind TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    status INTEGER,
    latency_ms INTEGER NOT NULL,
    error TEXT
);
CREATE INDEX alert_deliveries_alert ON alert_deliveries (alert_id, at_ms);

CREATE TABLE alert_silences (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    matchers TEXT NOT NULL,
    starts_ms INTEGER NOT NULL,
    ends_ms INTEGER NOT NULL,
    comment TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
