-- Spans services export to the hub (OTLP), kept for `[tracing] retention`.
CREATE TABLE spans (
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    parent_id TEXT,
    service TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    start_us INTEGER NOT NULL,
    duration_us INTEGER NOT NULL,
    status TEXT NOT NULL,
    status_message TEXT,
    attributes TEXT NOT NULL,
    events TEXT NOT NULL,
    received_ms INTEGER NOT NULL,
    PRIMARY KEY (trace_id, span_id)
);
CREATE INDEX spans_by_service ON spans (service, start_us);
CREATE INDEX spans_by_start ON spans (start_us);
CREATE INDEX spans_by_received ON spans (received_ms);
