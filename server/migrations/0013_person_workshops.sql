-- "Your history" (issue 18): the workshops a person joined as a member, linked where the relay's own workshop pages
-- (the skills picture, the closing question, the record) run in their browser. A participant's workshops are also
-- known through their breakouts (person_participants); this table is what knows a facilitator's or an observer's.
-- `member_key` is that browser's key in the workshop (as in its state's members); `person` the personal key's hash.
CREATE TABLE person_workshops (
    person       TEXT NOT NULL,
    workshop_id  TEXT NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    member_key   TEXT NOT NULL,
    linked_at    INTEGER NOT NULL,
    PRIMARY KEY (person, workshop_id, member_key)
);
