-- Sessions as created. `spec` is the JSON of app::session::SessionSpec (agenda, goal, settings).
CREATE TABLE sessions (
    id                TEXT PRIMARY KEY NOT NULL,
    created_at        INTEGER NOT NULL,
    template_id       TEXT NOT NULL,
    spec              TEXT NOT NULL,
    participant_token TEXT NOT NULL UNIQUE,
    host_token        TEXT NOT NULL UNIQUE,
    observer_token    TEXT NOT NULL UNIQUE,
    ended_at          INTEGER
);

-- Everyone who joined a session. `key` is the browser's participant key: the same key is the same person.
CREATE TABLE participants (
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    id          INTEGER NOT NULL,
    key         TEXT NOT NULL,
    name        TEXT NOT NULL,
    role        TEXT,
    capability  TEXT NOT NULL,
    joined_at   INTEGER NOT NULL,
    PRIMARY KEY (session_id, id),
    UNIQUE (session_id, key)
);

-- Phase and timer per room (room 0 is the pair's room or a workshop's plenary). `state` is app::session::RoomState.
CREATE TABLE rooms (
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    room_id     INTEGER NOT NULL,
    state       TEXT NOT NULL,
    version     INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (session_id, room_id)
);

-- Who was connected when: one row per connection, closed when it ends.
CREATE TABLE attendance (
    session_id      TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    participant_id  INTEGER NOT NULL,
    joined_at       INTEGER NOT NULL,
    left_at         INTEGER
);
CREATE INDEX attendance_by_session ON attendance (session_id, participant_id);
