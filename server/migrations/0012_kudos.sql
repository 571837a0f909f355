-- Kudos (issue 18): a short thanks from one participant to another for something they did, tied to the phase it was
-- given in and the relay's time. Private to the receiver until they share it with the host.
CREATE TABLE kudos (
    id                INTEGER PRIMARY KEY,
    session_id        TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    from_id           INTEGER NOT NULL,
    to_id             INTEGER NOT NULL,
    text              TEXT NOT NULL,
    phase             TEXT NOT NULL,
    at                INTEGER NOT NULL,
    shared_with_host  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX kudos_by_session ON kudos (session_id, to_id);
