-- Read-model lag: every probe of the last day, a histogram per minute for the SLO window,
-- and the periods over the SLO.
CREATE TABLE lag_probes (
    read_model TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    lag_us INTEGER NOT NULL
);
CREATE INDEX lag_probes_at ON lag_probes (read_model, at_ms);

CREATE TABLE lag_minutes (
    read_model TEXT NOT NULL,
    minute_ms INTEGER NOT NULL,
    probes INTEGER NOT NULL,
    good INTEGER NOT NULL,
    unknown_ms INTEGER NOT NULL,
    histogram BLOB NOT NULL,
    PRIMARY KEY (read_model, minute_ms)
);

CREATE TABLE lag_breaches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    read_model TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    end_ms INTEGER,
    worst_us INTEGER NOT NULL
);
CREATE INDEX lag_breaches_start ON lag_breaches (read_model, start_ms);
