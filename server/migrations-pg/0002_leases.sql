-- Who runs each live session and workshop when several relays share this database (issue 20, docs/architecture.md
-- "Several relays"). PostgreSQL only: one relay on SQLite owns everything it serves.
CREATE TABLE leases (
    id          TEXT PRIMARY KEY NOT NULL,  -- a session's id, or 'w:' and a workshop's
    owner       TEXT NOT NULL,              -- the relay that runs it (a name per process)
    epoch       BIGINT NOT NULL,            -- one more at each new owner: every write of the owner carries it
    expires_at  BIGINT NOT NULL,            -- ms since the epoch; the owner renews it, a third of the TTL apart
    wanted      BIGINT NOT NULL DEFAULT 0   -- when another relay asked for it (0: nobody): the owner hands it over
);
