-- The workshop's closing question (issue 17), anonymous: who answered and what was answered are kept apart, with
-- no column that joins them, no time, and the answers' row ids drawn at random (so that their order says nothing
-- of who answered first). `closing_answered` stops a second answer from the same person.
CREATE TABLE closing_answered (
    workshop_id TEXT NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    participant INTEGER NOT NULL,
    PRIMARY KEY (workshop_id, participant)
);

CREATE TABLE closing_answers (
    id          INTEGER PRIMARY KEY,
    workshop_id TEXT NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    rating      INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    next        TEXT NOT NULL
);
CREATE INDEX closing_answers_by_workshop ON closing_answers(workshop_id);

-- Closed by the facilitator: no more answers, and only then are the answers shown, together (before, each new answer
-- would show as the change in the figures).
CREATE TABLE closing_closed (
    workshop_id TEXT PRIMARY KEY NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    closed_at   INTEGER NOT NULL
);
