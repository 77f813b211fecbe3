-- Work only one hub of several on a store may do at a time (alert evaluation): who holds it
-- and until when; another hub takes it when the lease runs out.
CREATE TABLE hub_leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    until_ms BIGINT NOT NULL
);
