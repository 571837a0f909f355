//! "Your history" (issue 18): which participants a browser's personal key joined as, the timeline of its sessions,
//! and the search over what it may see. The key itself is never stored, only its SHA-256 ([`person_hash`]).

use super::*;
use sha2::{Digest, Sha256};

/// The hex SHA-256 of a personal key: what the store keeps. Keys are 128 random bits, so the hash needs no salt to
/// tell nothing of the key.
pub fn person_hash(key: &ParticipantKey) -> String {
    Sha256::digest(key.0.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One session in a person's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineEntry {
    /// The session.
    pub session: SessionId,
    /// When it was created.
    pub created_at: Millis,
    /// When the first person joined, if anyone did.
    pub started_at: Option<Millis>,
    /// When it ended, if it did.
    pub ended_at: Option<Millis>,
    /// The format (the template's name).
    pub format: String,
    /// The goal, as the creator wrote it (may be empty).
    pub goal: String,
    /// The workshop it was a breakout of: its id.
    pub workshop: Option<String>,
    /// The strongest link this person used in it.
    pub capability: Capability,
    /// That link's token: the timeline opens the session as this person may see it.
    pub token: String,
    /// The others who joined, by name, in joining order.
    pub partners: Vec<String>,
    /// Commitments recorded in it.
    pub commitments: u32,
    /// Of which done.
    pub done: u32,
}

/// One search result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchHit {
    /// The session it is in.
    pub session: SessionId,
    /// When that session was created.
    pub created_at: Millis,
    /// Its format.
    pub format: String,
    /// What matched: `goal`, `note` (`place` is the section id), `commitment` or `feedback`.
    pub kind: String,
    /// A note's section title (or its id, where the agenda has no such section).
    pub place: String,
    /// The matching part, its matched words between [`tandem_core::history::MARK_START`] and `MARK_END`.
    pub snippet: String,
    /// The searcher's link capability in that session, and its token.
    pub capability: Capability,
    /// That link's token.
    pub token: String,
}

/// Most search results shown.
pub const MAX_HITS: i64 = 50;

impl Store {
    /// Links participant `id` of `session` to the person whose key hashes to `person` (nothing if it is already:
    /// read first, so that asking again writes nothing).
    pub async fn link_person(
        &self,
        session: &SessionId,
        id: ParticipantId,
        person: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        let linked = sqlx::query(
            "SELECT 1 FROM person_participants WHERE person = $1 AND session_id = $2 AND participant_id = $3",
        )
        .bind(person)
        .bind(&session.0)
        .bind(i64::from(id.0))
        .fetch_optional(&self.pool)
        .await?;
        if linked.is_some() {
            return Ok(());
        }
        // A participant "Forget me" renamed stays forgotten: opening their session again in a browser that kept
        // its participant key does not bring it back into a history.
        sqlx::query(
            "INSERT INTO person_participants (person, session_id, participant_id, linked_at) \
             SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM participants WHERE session_id = $2 AND id = $3 \
             AND name = $5) ON CONFLICT DO NOTHING",
        )
        .bind(person)
        .bind(&session.0)
        .bind(i64::from(id.0))
        .bind(now)
        .bind(super::FORMER)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Moves every session of person `from` to person `into` (a device that had its own key takes another's:
    /// "Use Tandem on another device"). Both keys were shown, so both histories are this person's.
    pub async fn merge_person(&self, from: &str, into: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO person_participants (person, session_id, participant_id, linked_at) \
             SELECT $1, session_id, participant_id, linked_at FROM person_participants WHERE person = $2 \
             ON CONFLICT DO NOTHING",
        )
        .bind(into)
        .bind(from)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM person_participants WHERE person = $1")
            .bind(from)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The participant the person joined session `session` as (the strongest link's, where two devices joined
    /// before they were linked), if they did.
    pub async fn person_participant(
        &self,
        session: &SessionId,
        person: &str,
    ) -> Result<Option<ParticipantId>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.id, p.capability FROM person_participants pp JOIN participants p \
             ON p.session_id = pp.session_id AND p.id = pp.participant_id WHERE pp.person = $1 AND pp.session_id = $2",
        )
        .bind(person)
        .bind(&session.0)
        .fetch_all(&self.pool)
        .await?;
        let mut best: Option<(u8, ParticipantId)> = None;
        for row in rows {
            let capability: Capability = serde_json::from_value(serde_json::Value::String(row.get("capability")))?;
            let id = ParticipantId(row.get::<i64, _>("id") as u32);
            if best.is_none_or(|(rank, _)| capability.rank() > rank) {
                best = Some((capability.rank(), id));
            }
        }
        Ok(best.map(|(_, id)| id))
    }

    /// Whether the person joined any session (a key nobody used has no history).
    pub async fn knows_person(&self, person: &str) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT 1 FROM person_participants WHERE person = $1 \
             UNION ALL SELECT 1 FROM person_workshops WHERE person = $1 LIMIT 1",
        )
        .bind(person)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// Every session the person joined, newest first.
    pub async fn timeline(&self, person: &str) -> Result<Vec<TimelineEntry>, StoreError> {
        let sql = format!(
            "SELECT s.id, s.created_at, s.ended_at, s.workshop_id, s.participant_token, s.host_token, \
             s.observer_token, {} AS format, coalesce({}, '') AS goal, p.id AS me, p.capability, \
             (SELECT MIN(a.joined_at) FROM attendance a WHERE a.session_id = s.id) AS started_at \
             FROM person_participants pp JOIN sessions s ON s.id = pp.session_id \
             JOIN participants p ON p.session_id = pp.session_id AND p.id = pp.participant_id \
             WHERE pp.person = $1 ORDER BY s.created_at DESC, s.id",
            self.json_text("s.spec", "template_name"),
            self.json_text("s.spec", "goal"),
        );
        let rows = sqlx::query(&sql).bind(person).fetch_all(&self.pool).await?;
        let mut entries: Vec<TimelineEntry> = Vec::new();
        let mut mine: std::collections::HashMap<String, Vec<i64>> = std::collections::HashMap::new();
        for row in rows {
            let id: String = row.get("id");
            let capability: Capability = serde_json::from_value(serde_json::Value::String(row.get("capability")))?;
            mine.entry(id.clone()).or_default().push(row.get("me"));
            // One person as two participants of one session (two devices before they were linked): one entry,
            // with the stronger link.
            if let Some(e) = entries.iter_mut().find(|e| e.session.0 == id) {
                if capability.rank() > e.capability.rank() {
                    e.capability = capability;
                    e.token = token_of(&row, capability);
                }
                continue;
            }
            entries.push(TimelineEntry {
                session: SessionId(id),
                created_at: row.get("created_at"),
                started_at: row.get("started_at"),
                ended_at: row.get("ended_at"),
                format: row.get::<Option<String>, _>("format").unwrap_or_default(),
                goal: row.get("goal"),
                workshop: row.get("workshop_id"),
                capability,
                token: token_of(&row, capability),
                partners: Vec::new(),
                commitments: 0,
                done: 0,
            });
        }
        let people = sqlx::query(
            "SELECT p.session_id, p.id, p.name FROM participants p WHERE p.session_id IN \
             (SELECT session_id FROM person_participants WHERE person = $1) ORDER BY p.session_id, p.id",
        )
        .bind(person)
        .fetch_all(&self.pool)
        .await?;
        let at: std::collections::HashMap<String, usize> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.session.0.clone(), i))
            .collect();
        for row in people {
            let session: String = row.get("session_id");
            let (Some(&i), Some(me)) = (at.get(&session), mine.get(&session)) else {
                continue;
            };
            if !me.contains(&row.get::<i64, _>("id")) {
                entries[i].partners.push(row.get("name"));
            }
        }
        let counts = sqlx::query(
            "SELECT c.session_id, COUNT(*) AS n, CAST(SUM(coalesce(f.done, c.done)) AS BIGINT) AS done FROM commitments c \
             LEFT JOIN commitment_followups f ON f.session_id = c.session_id AND f.commitment_id = c.id \
             WHERE c.session_id IN (SELECT session_id FROM person_participants WHERE person = $1) \
             GROUP BY c.session_id",
        )
        .bind(person)
        .fetch_all(&self.pool)
        .await?;
        for row in counts {
            if let Some(&i) = at.get(&row.get::<String, _>("session_id")) {
                entries[i].commitments = row.get::<i64, _>("n") as u32;
                entries[i].done = row.get::<i64, _>("done") as u32;
            }
        }
        Ok(entries)
    }

    /// What the person may see that matches the words `typed` in the search box (read by
    /// [`tandem_core::history::search_words`]: never a syntax error), best first: the goals, shared notes and
    /// commitments of their sessions, and the feedback they gave or received. Nothing when no word was typed.
    pub async fn search(&self, person: &str, typed: &str) -> Result<Vec<SearchHit>, StoreError> {
        // The engines differ in the matching, the snippet and the rank; the rest is the same text.
        let (query, from, matched, snippet, rank) = match self.engine {
            Engine::Sqlite => (
                tandem_core::history::fts_query(typed),
                "search_fts JOIN search_texts t ON t.id = search_fts.rowid",
                "search_fts MATCH $1",
                "snippet(search_fts, 0, char(2), char(3), '…', 16)",
                "search_fts.rank",
            ),
            Engine::Postgres => (
                tandem_core::history::tsquery(typed),
                "search_texts t",
                "t.tsv @@ to_tsquery('simple', $1)",
                "ts_headline('simple', t.body, to_tsquery('simple', $1), 'StartSel=' || chr(2) || ', StopSel=' || \
                 chr(3) || ', MaxWords=16, MinWords=6, ShortWord=0, MaxFragments=1, FragmentDelimiter=…')",
                "ts_rank(t.tsv, to_tsquery('simple', $1)) DESC",
            ),
        };
        let Some(query) = query else { return Ok(Vec::new()) };
        let sql = format!(
            "SELECT t.session_id, t.kind, t.ref, {snippet} AS snippet, s.created_at, \
             s.spec, s.participant_token, s.host_token, s.observer_token, \
             (SELECT p.capability FROM person_participants pp JOIN participants p \
              ON p.session_id = pp.session_id AND p.id = pp.participant_id \
              WHERE pp.person = $2 AND pp.session_id = t.session_id ORDER BY p.capability = 'host' DESC LIMIT 1) \
              AS capability \
             FROM {from} JOIN sessions s ON s.id = t.session_id WHERE {matched} AND EXISTS (SELECT 1 FROM person_participants pp \
              WHERE pp.person = $2 AND pp.session_id = t.session_id \
              AND (t.kind <> 'feedback' OR t.giver = pp.participant_id OR t.about = pp.participant_id)) \
             ORDER BY {rank}, s.created_at DESC LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(query)
            .bind(person)
            .bind(MAX_HITS)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|row| {
                let capability: Capability = serde_json::from_value(serde_json::Value::String(row.get("capability")))?;
                let spec: SessionSpec = serde_json::from_str(row.get("spec"))?;
                let place: String = row.get("ref");
                let title = spec
                    .phases
                    .iter()
                    .flat_map(|p| &p.notes)
                    .find(|n| n.id == place)
                    .map(|n| n.title.clone());
                Ok(SearchHit {
                    session: SessionId(row.get("session_id")),
                    created_at: row.get("created_at"),
                    format: spec.template_name,
                    kind: row.get("kind"),
                    place: title.unwrap_or(place),
                    snippet: row.get("snippet"),
                    token: token_of(&row, capability),
                    capability,
                })
            })
            .collect()
    }
}

/// The token of the `capability` link, from a row that has the session's three.
fn token_of(row: &sqlx::any::AnyRow, capability: Capability) -> String {
    row.get(match capability {
        Capability::Host => "host_token",
        Capability::Participant => "participant_token",
        Capability::Observer => "observer_token",
    })
}

/// The search's copy of a session's shared notes (`texts`: section id, text) and commitments, inside the notes
/// write's transaction. Rows are written again only where the text changed, so the index does not churn with each
/// write while people type in one section.
pub(super) async fn index_notes(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    session: &SessionId,
    texts: &[(String, String)],
) -> Result<(), sqlx::Error> {
    for (section, text) in texts {
        sqlx::query(
            "INSERT INTO search_texts (session_id, kind, ref, body) VALUES ($1, 'note', $2, $3) \
             ON CONFLICT (session_id, kind, ref) DO UPDATE SET body = excluded.body \
             WHERE search_texts.body IS DISTINCT FROM excluded.body",
        )
        .bind(&session.0)
        .bind(section)
        .bind(text)
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query(
        "INSERT INTO search_texts (session_id, kind, ref, body) \
         SELECT session_id, 'commitment', id, text FROM commitments WHERE session_id = $1 AND true \
         ON CONFLICT (session_id, kind, ref) DO UPDATE SET body = excluded.body \
         WHERE search_texts.body IS DISTINCT FROM excluded.body",
    )
    .bind(&session.0)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "DELETE FROM search_texts WHERE session_id = $1 AND kind = 'commitment' \
         AND ref NOT IN (SELECT id FROM commitments WHERE session_id = $1)",
    )
    .bind(&session.0)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
