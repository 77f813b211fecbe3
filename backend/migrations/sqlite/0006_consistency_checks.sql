-- Consistency checks: runs are jobs (state, owner, lease), their chunks are the unit of
-- progress and resumption, a difference is one per check and key (its review state and
-- history across runs), and what each run found of it.
CREATE TABLE check_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    check_name TEXT NOT NULL,
    mode TEXT NOT NULL,
    state TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    started_ms INTEGER,
    finished_ms INTEGER,
    owner TEXT,
    lease_until_ms INTEGER,
    cancel_reason TEXT,
    plan TEXT,
    chunks_total INTEGER NOT NULL DEFAULT 0,
    chunks_done INTEGER NOT NULL DEFAULT 0,
    rows_compared INTEGER NOT NULL DEFAULT 0,
    missing INTEGER NOT NULL DEFAULT 0,
    extra INTEGER NOT NULL DEFAULT 0,
    changed INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    signed_off_by TEXT,
    signed_off_ms INTEGER,
    signed_off_open INTEGER
);
CREATE INDEX check_runs_check ON check_runs (check_name, id);
CREATE INDEX check_runs_state ON check_runs (state, id);

CREATE TABLE check_chunks (
    run_id INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    rows_source INTEGER NOT NULL,
    rows_target INTEGER NOT NULL,
    differences INTEGER NOT NULL,
    done_ms INTEGER NOT NULL,
    PRIMARY KEY (run_id, idx)
);

CREATE TABLE check_differences (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    check_name TEXT NOT NULL,
    key_json TEXT NOT NULL,
    first_seen_ms INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    last_run_id INTEGER,
    state TEXT NOT NULL,
    assignee TEXT,
    resolution TEXT,
    UNIQUE (check_name, key_json)
);

CREATE TABLE check_run_differences (
    run_id INTEGER NOT NULL,
    difference_id INTEGER NOT NULL,
    chunk INTEGER NOT NULL,
    kind TEXT NOT NULL,
    columns TEXT NOT NULL,
    source_json TEXT,
    target_json TEXT,
    during_lag INTEGER NOT NULL,
    PRIMARY KEY (run_id, difference_id)
);

CREATE TABLE check_difference_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    difference_id INTEGER NOT NULL,
    ts_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX check_difference_events_of ON check_difference_events (difference_id, id);

-- The real-time verifier of a check: where it is in the source's changes, and which hub
-- runs it (one hub at a time, under a lease).
CREATE TABLE check_verifiers (
    check_name TEXT PRIMARY KEY,
    position TEXT,
    run_id INTEGER,
    owner TEXT,
    lease_until_ms INTEGER
);

-- Checks a lead defined in the UI (the config's are in the config file): the check as TOML,
-- validated like the config's.
CREATE TABLE check_definitions (
    name TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
