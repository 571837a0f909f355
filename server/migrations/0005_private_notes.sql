-- Private note sections (an SBI draft about the other person): each participant's own text, which the relay returns
-- to that participant only. Never part of the shared notes document.
CREATE TABLE private_notes (
    session_id      TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    participant_id  INTEGER NOT NULL,   -- participant id within the session
    section         TEXT NOT NULL,      -- a note section id the session's spec marks private
    text            TEXT NOT NULL,
    updated_at      INTEGER NOT NULL,   -- ms since the epoch
    PRIMARY KEY (session_id, participant_id, section)
);
