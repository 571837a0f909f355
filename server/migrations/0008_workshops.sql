-- Workshops (issue 16): a facilitator's group session. `spec` is tandem_core::workshop::WorkshopSpec (the format each
-- breakout runs and the settings); `state` is tandem_core::workshop::WorkshopState (members, rounds, breakouts,
-- broadcasts), rewritten after every change. Each breakout is a session of its own whose `workshop_id` names the
-- workshop.
CREATE TABLE workshops (
    id                TEXT PRIMARY KEY NOT NULL,
    created_at        INTEGER NOT NULL,
    spec              TEXT NOT NULL,
    state             TEXT NOT NULL,
    participant_token TEXT NOT NULL UNIQUE,
    host_token        TEXT NOT NULL UNIQUE,
    observer_token    TEXT NOT NULL UNIQUE,
    ended_at          INTEGER
);

ALTER TABLE sessions ADD COLUMN workshop_id TEXT REFERENCES workshops(id);
CREATE INDEX sessions_by_workshop ON sessions(workshop_id) WHERE workshop_id IS NOT NULL;
