-- Issue 19: the relay notes that it is alive every 15 s (one row). After a crash, the attendance rows it left open
-- are closed at that time (plus the interval) instead of at the restart, which may be hours later.
CREATE TABLE relay_heartbeat (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at INTEGER NOT NULL
);
