-- More browser keys for one participant: "this is me on another device" binds a second browser's key to an
-- existing participant (the participants row keeps the first key). Either key is that same person from then on.
CREATE TABLE participant_keys (
    session_id      TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    key             TEXT NOT NULL,
    participant_id  INTEGER NOT NULL,
    added_at        INTEGER NOT NULL,   -- ms since the epoch (relay clock)
    PRIMARY KEY (session_id, key)
);
