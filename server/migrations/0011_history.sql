-- "Your history" (issue 18). A browser's personal key (the same in every session it joins) is never stored: only
-- its SHA-256, in hex, linked to the participant it joined as in each session.
CREATE TABLE person_participants (
    person          TEXT NOT NULL,
    session_id      TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    participant_id  INTEGER NOT NULL,
    linked_at       INTEGER NOT NULL,
    PRIMARY KEY (person, session_id, participant_id)
);
CREATE INDEX person_participants_by_session ON person_participants (session_id, participant_id);

-- What a person can search: a session's goal, the shared notes' sections, the commitments and the feedback's text
-- answers, one row each (`ref`: the section, commitment or feedback id). Feedback rows name its giver and receiver:
-- only they find it. Kept current where each is written (store/people.rs); an FTS5 index over `body` follows the
-- rows through the triggers below.
CREATE TABLE search_texts (
    id          INTEGER PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('goal', 'note', 'commitment', 'feedback')),
    ref         TEXT NOT NULL,
    giver       INTEGER,
    about       INTEGER,
    body        TEXT NOT NULL,
    UNIQUE (session_id, kind, ref)
);

CREATE VIRTUAL TABLE search_fts USING fts5(
    body, content = 'search_texts', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER search_texts_added AFTER INSERT ON search_texts BEGIN
    INSERT INTO search_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER search_texts_removed AFTER DELETE ON search_texts BEGIN
    INSERT INTO search_fts (search_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER search_texts_changed AFTER UPDATE OF body ON search_texts BEGIN
    INSERT INTO search_fts (search_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO search_fts (rowid, body) VALUES (new.id, new.body);
END;

-- What was there before this migration: goals, commitments, the notes of ended sessions (their outcome) and
-- feedback. A live session's notes join at their next write.
INSERT INTO search_texts (session_id, kind, ref, body)
    SELECT id, 'goal', '', json_extract(spec, '$.goal') FROM sessions
    WHERE coalesce(json_extract(spec, '$.goal'), '') <> '';
INSERT INTO search_texts (session_id, kind, ref, body)
    SELECT session_id, 'commitment', id, text FROM commitments;
INSERT INTO search_texts (session_id, kind, ref, body)
    SELECT o.session_id, 'note', n.key, n.value FROM outcomes o, json_each(o.outcome, '$.notes') n
    WHERE n.type = 'text';
INSERT INTO search_texts (session_id, kind, ref, giver, about, body)
    SELECT f.session_id, 'feedback', f.id, f.from_id, f.about_id,
        coalesce((SELECT group_concat(t.value, ' ') FROM json_tree(f.answers) t WHERE t.type = 'text'), '')
    FROM feedback f;

-- Goals and feedback are written rarely: triggers keep their rows. (Notes and commitments are rewritten with each
-- notes write, and only what changed is written again: store/notes.rs.)
CREATE TRIGGER search_goal AFTER INSERT ON sessions
    WHEN coalesce(json_extract(new.spec, '$.goal'), '') <> '' BEGIN
    INSERT INTO search_texts (session_id, kind, ref, body) VALUES (new.id, 'goal', '', json_extract(new.spec, '$.goal'));
END;
CREATE TRIGGER search_feedback_added AFTER INSERT ON feedback BEGIN
    INSERT INTO search_texts (session_id, kind, ref, giver, about, body) VALUES (
        new.session_id, 'feedback', new.id, new.from_id, new.about_id,
        coalesce((SELECT group_concat(t.value, ' ') FROM json_tree(new.answers) t WHERE t.type = 'text'), ''));
END;
CREATE TRIGGER search_feedback_changed AFTER UPDATE OF answers ON feedback BEGIN
    UPDATE search_texts
        SET body = coalesce((SELECT group_concat(t.value, ' ') FROM json_tree(new.answers) t WHERE t.type = 'text'), '')
        WHERE session_id = new.session_id AND kind = 'feedback' AND ref = new.id;
END;
CREATE TRIGGER search_feedback_removed AFTER DELETE ON feedback BEGIN
    DELETE FROM search_texts WHERE session_id = old.session_id AND kind = 'feedback' AND ref = old.id;
END;

-- A commitment ticked (or unticked) from `/me` after its session ended: the ended session's notes stay as they were,
-- and this is the commitment's state from then on, wherever it is shown.
CREATE TABLE commitment_followups (
    session_id      TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    commitment_id   TEXT NOT NULL,
    done            INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    PRIMARY KEY (session_id, commitment_id)
);
