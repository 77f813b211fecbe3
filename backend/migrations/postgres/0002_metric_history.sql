CREATE TABLE metric_series (
    series_key TEXT PRIMARY KEY,
    last_ms BIGINT NOT NULL,
    data BYTEA NOT NULL
);
CREATE INDEX metric_series_last ON metric_series (last_ms);
