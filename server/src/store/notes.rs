//! The shared notes document, the commitments copied out of it, and private note sections.

use super::*;

impl Store {
    /// The stored notes document of a session, if any was written.
    pub async fn notes(&self, session: &SessionId) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query("SELECT state FROM notes WHERE session_id = $1")
            .bind(&session.0)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.get::<Vec<u8>, _>("state")))
    }

    /// Replaces the stored notes document and the commitments copied out of it, in one transaction, and keeps the
    /// search's copy of the shared sections' `texts` (section id, text) and the commitments current.
    pub async fn save_notes(
        &self,
        session: &SessionId,
        state: &[u8],
        commitments: &[Commitment],
        texts: &[(String, String)],
        now: Millis,
    ) -> Result<(), StoreError> {
        let mut tx = self.owner_tx(true).await?;
        write_notes(&mut tx, session, state, commitments, texts, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores one participant's text of a private note section (replacing the previous one).
    pub async fn save_private_note(
        &self,
        session: &SessionId,
        participant: ParticipantId,
        section: &str,
        text: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        self.owner_execute(sqlx::query(
            "INSERT INTO private_notes (session_id, participant_id, section, text, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (session_id, participant_id, section) DO UPDATE SET text = excluded.text, \
             updated_at = excluded.updated_at",
        )
        .bind(&session.0)
        .bind(i64::from(participant.0))
        .bind(section)
        .bind(text)
        .bind(now))
        .await?;
        Ok(())
    }

    /// One participant's texts of private note sections, by section id (nobody else's).
    pub async fn private_notes(
        &self,
        session: &SessionId,
        participant: ParticipantId,
    ) -> Result<Vec<PrivateNote>, StoreError> {
        let rows = sqlx::query(
            "SELECT section, text FROM private_notes WHERE session_id = $1 AND participant_id = $2 ORDER BY section",
        )
        .bind(&session.0)
        .bind(i64::from(participant.0))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| PrivateNote {
                section: r.get("section"),
                text: r.get("text"),
            })
            .collect())
    }

    /// The stored commitments of a session, oldest first.
    pub async fn commitments(&self, session: &SessionId) -> Result<Vec<Commitment>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, text, owner, due, done, created_at FROM commitments WHERE session_id = $1 \
             ORDER BY created_at, id",
        )
        .bind(&session.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(super::people_data::commitment_row).collect())
    }
}

/// The writes of [`Store::save_notes`], inside the caller's transaction.
pub(super) async fn write_notes(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    session: &SessionId,
    state: &[u8],
    commitments: &[Commitment],
    texts: &[(String, String)],
    now: Millis,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO notes (session_id, state, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (session_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
    )
    .bind(&session.0)
    .bind(state)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM commitments WHERE session_id = $1")
        .bind(&session.0)
        .execute(&mut **tx)
        .await?;
    for c in commitments {
        sqlx::query(
            "INSERT INTO commitments (session_id, id, text, owner, due, done, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&session.0)
        .bind(&c.id)
        .bind(&c.text)
        .bind(c.owner.map(|o| i64::from(o.0)))
        .bind(&c.due)
        .bind(i64::from(c.done))
        .bind(c.at)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    super::people::index_notes(tx, session, texts).await
}
