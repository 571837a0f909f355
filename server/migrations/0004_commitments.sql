-- Commitments (action items) agreed in a session. The notes document is their source of truth; this table is a
-- queryable copy, rewritten with each notes flush, for history and follow-up ("what did I commit to, due when?").
CREATE TABLE commitments (
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    text        TEXT NOT NULL,
    owner       INTEGER,            -- participant id within the session, if any
    due         TEXT,               -- YYYY-MM-DD, if any
    done        INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,   -- ms since the epoch (relay clock of the adding browser)
    updated_at  INTEGER NOT NULL,   -- when this copy was written
    PRIMARY KEY (session_id, id)
);
CREATE INDEX commitments_by_owner ON commitments (session_id, owner);
CREATE INDEX commitments_open_by_due ON commitments (due) WHERE done = 0;
