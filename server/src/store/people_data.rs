//! A person's data across their sessions (issue 18): what the export, the growth chart and the open commitments are
//! made of; ticking a commitment from `/me` (its follow-up); and "Forget me".

use super::*;
use std::collections::{BTreeMap, HashMap};

/// One of a person's sessions, with what they may see of it.
#[derive(Clone, Debug)]
pub struct PersonSession {
    /// The session as created.
    pub spec: SessionSpec,
    /// When it ended.
    pub ended_at: Option<Millis>,
    /// The participants this person was in it (usually one).
    pub me: Vec<ParticipantId>,
    /// Only through an observer's link: they read along, and tick none of its commitments.
    pub observed: bool,
    /// Everyone's names.
    pub names: BTreeMap<ParticipantId, String>,
    /// The feedback this person gave or received.
    pub feedback: Vec<Feedback>,
    /// The commitments, with their follow-up applied (ticked from `/me` after the session).
    pub commitments: Vec<Commitment>,
    /// The shared notes: section id, text.
    pub notes: Vec<(String, String)>,
    /// The kudos this person received.
    pub kudos: Vec<super::Kudos>,
}

impl PersonSession {
    /// This person's name in it.
    pub fn my_name(&self) -> String {
        self.me
            .first()
            .and_then(|id| self.names.get(id))
            .cloned()
            .unwrap_or_default()
    }
}

/// What "Forget me" changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Forgotten {
    /// Participants renamed "A former participant".
    pub participants: u64,
    /// Feedback given, deleted.
    pub feedback: u64,
    /// Kudos given, deleted.
    pub kudos: u64,
    /// Private drafts deleted.
    pub private_notes: u64,
}

/// The last session two people had together ([`Store::last_together`]).
#[derive(Clone, Debug)]
pub struct Together {
    /// That session.
    pub session: SessionId,
    /// When it ended.
    pub ended_at: Millis,
    /// Its commitments, with their follow-up.
    pub commitments: Vec<Commitment>,
    /// The participants this person was in it.
    pub me: Vec<ParticipantId>,
}

/// The name a forgotten person has in others' summaries.
pub const FORMER: &str = "A former participant";

/// How `/me` refused a tick.
#[derive(Debug, thiserror::Error)]
pub enum TickError {
    /// Not a commitment of an ended session this person was in.
    #[error("not yours to tick")]
    NotYours,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Every session of the person, newest first, with the notes when `notes` is set.
    pub async fn person_sessions(&self, person: &str, notes: bool) -> Result<Vec<PersonSession>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.id, s.spec, s.ended_at, pp.participant_id, p.capability FROM person_participants pp \
             JOIN sessions s ON s.id = pp.session_id \
             JOIN participants p ON p.session_id = pp.session_id AND p.id = pp.participant_id \
             WHERE pp.person = $1 ORDER BY s.created_at DESC, s.id",
        )
        .bind(person)
        .fetch_all(&self.pool)
        .await?;
        let mut sessions: Vec<PersonSession> = Vec::new();
        let mut at: HashMap<String, usize> = HashMap::new();
        for row in rows {
            let id: String = row.get("id");
            let me = ParticipantId(row.get::<i64, _>("participant_id") as u32);
            let observer = row.get::<&str, _>("capability") == "observer";
            if let Some(&i) = at.get(&id) {
                sessions[i].me.push(me);
                sessions[i].observed &= observer;
                continue;
            }
            at.insert(id, sessions.len());
            sessions.push(PersonSession {
                spec: serde_json::from_str(row.get("spec"))?,
                ended_at: row.get("ended_at"),
                me: vec![me],
                observed: observer,
                names: BTreeMap::new(),
                feedback: Vec::new(),
                commitments: Vec::new(),
                notes: Vec::new(),
                kudos: Vec::new(),
            });
        }
        const MINE: &str = "(SELECT session_id FROM person_participants WHERE person = $1)";
        for row in sqlx::query(&format!(
            "SELECT session_id, id, name FROM participants WHERE session_id IN {MINE}"
        ))
        .bind(person)
        .fetch_all(&self.pool)
        .await?
        {
            if let Some(&i) = at.get(row.get::<&str, _>("session_id")) {
                sessions[i]
                    .names
                    .insert(ParticipantId(row.get::<i64, _>("id") as u32), row.get("name"));
            }
        }
        for row in sqlx::query(&format!(
            "SELECT id, session_id, from_id, about_id, form_id, answers, shared_with_host, submitted_at FROM feedback \
             WHERE session_id IN {MINE} ORDER BY submitted_at"
        ))
        .bind(person)
        .fetch_all(&self.pool)
        .await?
        {
            let Some(&i) = at.get(row.get::<&str, _>("session_id")) else {
                continue;
            };
            let f = Feedback {
                id: FeedbackId(row.get("id")),
                form: row.get("form_id"),
                from: ParticipantId(row.get::<i64, _>("from_id") as u32),
                about: ParticipantId(row.get::<i64, _>("about_id") as u32),
                answers: serde_json::from_str(row.get("answers"))?,
                shared_with_host: row.get::<i64, _>("shared_with_host") != 0,
                submitted_at: row.get("submitted_at"),
            };
            // Only feedback this person gave or received (session::may_see for a giver and a receiver).
            if sessions[i].me.contains(&f.from) || sessions[i].me.contains(&f.about) {
                sessions[i].feedback.push(f);
            }
        }
        for row in sqlx::query(&format!(
            "SELECT c.session_id, c.id, c.text, c.owner, c.due, coalesce(f.done, c.done) AS done, c.created_at \
             FROM commitments c LEFT JOIN commitment_followups f ON f.session_id = c.session_id \
             AND f.commitment_id = c.id WHERE c.session_id IN {MINE} ORDER BY c.created_at, c.id"
        ))
        .bind(person)
        .fetch_all(&self.pool)
        .await?
        {
            if let Some(&i) = at.get(row.get::<&str, _>("session_id")) {
                sessions[i].commitments.push(commitment_row(&row));
            }
        }
        for k in self.kudos_received(person).await? {
            if let Some(&i) = at.get(&k.session.0) {
                if sessions[i].me.contains(&k.to) {
                    sessions[i].kudos.insert(0, k);
                }
            }
        }
        if notes {
            for row in sqlx::query(&format!(
                "SELECT session_id, ref, body FROM search_texts WHERE kind = 'note' AND body <> '' \
                 AND session_id IN {MINE}"
            ))
            .bind(person)
            .fetch_all(&self.pool)
            .await?
            {
                if let Some(&i) = at.get(row.get::<&str, _>("session_id")) {
                    sessions[i].notes.push((row.get("ref"), row.get("body")));
                }
            }
        }
        Ok(sessions)
    }

    /// The latest ended session with commitments, before `session`, in which this person and someone else in
    /// `session` were both (by their personal keys). (A later session together without commitments does not hide
    /// an earlier one's open commitments.)
    pub async fn last_together(&self, person: &str, session: &SessionId) -> Result<Option<Together>, StoreError> {
        let row = sqlx::query(
            "SELECT s.id, s.ended_at FROM sessions s, sessions cur WHERE cur.id = $2 AND s.id <> cur.id \
             AND s.ended_at IS NOT NULL AND s.created_at <= cur.created_at \
             AND EXISTS (SELECT 1 FROM commitments c WHERE c.session_id = s.id) \
             AND EXISTS (SELECT 1 FROM person_participants me WHERE me.person = $1 AND me.session_id = cur.id) \
             AND EXISTS (SELECT 1 FROM person_participants me WHERE me.person = $1 AND me.session_id = s.id) \
             AND EXISTS (SELECT 1 FROM person_participants other JOIN person_participants here \
                 ON here.person = other.person AND here.session_id = cur.id \
                 WHERE other.session_id = s.id AND other.person <> $1) \
             ORDER BY s.created_at DESC, s.id LIMIT 1",
        )
        .bind(person)
        .bind(&session.0)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let before = SessionId(row.get("id"));
        let commitments = sqlx::query(
            "SELECT c.id, c.text, c.owner, c.due, coalesce(f.done, c.done) AS done, c.created_at FROM commitments c \
             LEFT JOIN commitment_followups f ON f.session_id = c.session_id AND f.commitment_id = c.id \
             WHERE c.session_id = $1 ORDER BY c.created_at, c.id",
        )
        .bind(&before.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(commitment_row)
        .collect();
        let me = sqlx::query("SELECT participant_id FROM person_participants WHERE person = $1 AND session_id = $2")
            .bind(person)
            .bind(&before.0)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| ParticipantId(r.get::<i64, _>(0) as u32))
            .collect();
        Ok(Some(Together {
            session: before,
            ended_at: row.get("ended_at"),
            commitments,
            me,
        }))
    }

    /// Ticks (or unticks) commitment `id` of an ended `session` from `/me`: stored as its follow-up, beside the
    /// notes, which an ended session keeps as they were. Only for a person who was in that session.
    pub async fn tick_commitment(
        &self,
        person: &str,
        session: &SessionId,
        id: &str,
        done: bool,
        now: Millis,
    ) -> Result<(), TickError> {
        let mut tx = self.write_tx().await.map_err(StoreError::from)?;
        let allowed = sqlx::query(
            "SELECT 1 FROM commitments c JOIN sessions s ON s.id = c.session_id \
             WHERE c.session_id = $1 AND c.id = $2 AND s.ended_at IS NOT NULL \
             AND EXISTS (SELECT 1 FROM person_participants pp JOIN participants p \
             ON p.session_id = pp.session_id AND p.id = pp.participant_id \
             WHERE pp.person = $3 AND pp.session_id = $1 AND p.capability <> 'observer')",
        )
        .bind(&session.0)
        .bind(id)
        .bind(person)
        .fetch_optional(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        if allowed.is_none() {
            return Err(TickError::NotYours);
        }
        sqlx::query(
            "INSERT INTO commitment_followups (session_id, commitment_id, done, at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (session_id, commitment_id) DO UPDATE SET done = excluded.done, at = excluded.at",
        )
        .bind(&session.0)
        .bind(id)
        .bind(i64::from(done))
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// "Forget me": the person's name becomes [`FORMER`] in every session they were in, the feedback and kudos they
    /// gave and their private drafts are deleted, and the link from their key to those sessions goes. Shared notes stay as
    /// they are (others wrote them too), and so do commitments.
    /// In a workshop, the person was the same browser key in each of its breakouts: those they were in but whose
    /// page never linked them are theirs too. Their member in the workshop's own state is the relay's to forget,
    /// through the workshop's actor (`Relay::forget_member`), before this.
    pub async fn forget_person(&self, person: &str) -> Result<Forgotten, StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO person_participants (person, session_id, participant_id, linked_at) \
             SELECT $1, p.session_id, p.id, 0 FROM participants p JOIN sessions s ON s.id = p.session_id \
             WHERE s.workshop_id IS NOT NULL AND (s.workshop_id, p.key) IN ( \
             SELECT s2.workshop_id, p2.key FROM person_participants pp \
             JOIN participants p2 ON p2.session_id = pp.session_id AND p2.id = pp.participant_id \
             JOIN sessions s2 ON s2.id = pp.session_id WHERE pp.person = $1 AND s2.workshop_id IS NOT NULL \
             UNION SELECT workshop_id, member_key FROM person_workshops WHERE person = $1) \
             ON CONFLICT DO NOTHING",
        )
        .bind(person)
        .execute(&mut *tx)
        .await?;
        const MINE: &str = "(session_id, {col}) IN (SELECT session_id, participant_id FROM person_participants \
                            WHERE person = $1)";
        let participants = sqlx::query(&format!(
            "UPDATE participants SET name = '{FORMER}' WHERE {}",
            MINE.replace("{col}", "id")
        ))
        .bind(person)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let feedback = sqlx::query(&format!(
            "DELETE FROM feedback WHERE {}",
            MINE.replace("{col}", "from_id")
        ))
        .bind(person)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let kudos = sqlx::query(&format!("DELETE FROM kudos WHERE {}", MINE.replace("{col}", "from_id")))
            .bind(person)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let private_notes = sqlx::query(&format!(
            "DELETE FROM private_notes WHERE {}",
            MINE.replace("{col}", "participant_id")
        ))
        .bind(person)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query("DELETE FROM person_participants WHERE person = $1")
            .bind(person)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM person_workshops WHERE person = $1")
            .bind(person)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Forgotten {
            participants,
            feedback,
            kudos,
            private_notes,
        })
    }
}

/// A commitment from a row with its columns (`done` with its follow-up applied).
pub(super) fn commitment_row(r: &sqlx::any::AnyRow) -> Commitment {
    Commitment {
        id: r.get("id"),
        text: r.get("text"),
        owner: r.get::<Option<i64>, _>("owner").map(|o| ParticipantId(o as u32)),
        due: r.get("due"),
        done: r.get::<i64, _>("done") != 0,
        at: r.get("created_at"),
    }
}
