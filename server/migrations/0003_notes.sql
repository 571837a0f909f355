-- The merged notes document of a session (yrs update v1 encoding of the whole document).
CREATE TABLE notes (
    session_id  TEXT PRIMARY KEY NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    state       BLOB NOT NULL,
    updated_at  INTEGER NOT NULL
);
