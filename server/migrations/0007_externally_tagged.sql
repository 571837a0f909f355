-- Tagged values are stored externally tagged, like the wire messages (issue 15): a timer
-- {"state":"running","deadline":1} becomes {"running":{"deadline":1}}, a form field's kind
-- {"type":"text","max_chars":500} becomes {"text":{"max_chars":500}} and {"type":"rating"} becomes "rating".
-- Rows already in the new form are left as they are (their paths below do not exist). Tested on a database file
-- written by the build before this change (server/src/store/testdata/schema-6.db).

UPDATE rooms SET state = json_set(state, '$.timer', json_object(
    json_extract(state, '$.timer.state'),
    CASE json_extract(state, '$.timer.state')
        WHEN 'running' THEN json_object('deadline', json_extract(state, '$.timer.deadline'))
        ELSE json_object('remaining_ms', json_extract(state, '$.timer.remaining_ms'))
    END))
WHERE json_extract(state, '$.timer.state') IS NOT NULL;

-- Each form's fields rebuilt in their order (aggregates with ORDER BY: SQLite 3.44 or later, bundled by sqlx).
UPDATE sessions SET spec = json_set(spec, '$.forms', json((
    SELECT json_group_array(json_set(form.value, '$.fields', json((
        SELECT json_group_array(
            CASE json_extract(field.value, '$.kind.type')
                WHEN 'rating' THEN json_set(field.value, '$.kind', 'rating')
                WHEN 'text' THEN json_set(field.value, '$.kind', json_object('text',
                    json_object('max_chars', json_extract(field.value, '$.kind.max_chars'))))
                ELSE json(field.value)
            END ORDER BY field.key)
        FROM json_each(form.value, '$.fields') AS field))) ORDER BY form.key)
    FROM json_each(sessions.spec, '$.forms') AS form)))
WHERE EXISTS (SELECT 1 FROM json_tree(sessions.spec, '$.forms') WHERE key = 'type' AND path LIKE '%.kind');
