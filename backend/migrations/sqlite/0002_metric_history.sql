CREATE TABLE metric_series (
    series_key TEXT PRIMARY KEY,
    last_ms INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX metric_series_last ON metric_series (last_ms);
