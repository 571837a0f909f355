//! Feedback and the outcome of an ended session.

use super::*;

impl Store {
    /// Stores feedback, or updates it when the same id comes again from the same giver. Returns `None` when the id
    /// belongs to someone else's submission (nothing written).
    pub async fn save_feedback(&self, session: &SessionId, f: &Feedback) -> Result<Option<Feedback>, StoreError> {
        let mut tx = self.owner_tx(true).await?;
        let existing =
            sqlx::query("SELECT session_id, from_id, about_id, shared_with_host FROM feedback WHERE id = $1")
                .bind(&f.id.0)
                .fetch_optional(&mut *tx)
                .await?;
        let mut stored = f.clone();
        match existing {
            Some(row) => {
                let same_giver = row.get::<&str, _>("session_id") == session.0
                    && row.get::<i64, _>("from_id") == i64::from(f.from.0)
                    && row.get::<i64, _>("about_id") == i64::from(f.about.0);
                if !same_giver {
                    return Ok(None);
                }
                stored.shared_with_host = row.get::<i64, _>("shared_with_host") != 0;
                sqlx::query("UPDATE feedback SET answers = $1, form_id = $2, submitted_at = $3 WHERE id = $4")
                    .bind(serde_json::to_string(&f.answers)?)
                    .bind(&f.form)
                    .bind(f.submitted_at)
                    .bind(&f.id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            None => {
                sqlx::query(
                    "INSERT INTO feedback (id, session_id, from_id, about_id, form_id, answers, shared_with_host, \
                     submitted_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7)",
                )
                .bind(&f.id.0)
                .bind(&session.0)
                .bind(i64::from(f.from.0))
                .bind(i64::from(f.about.0))
                .bind(&f.form)
                .bind(serde_json::to_string(&f.answers)?)
                .bind(f.submitted_at)
                .execute(&mut *tx)
                .await?;
                stored.shared_with_host = false;
            }
        }
        tx.commit().await?;
        Ok(Some(stored))
    }

    /// Sets whether the receiver shares a feedback with the host. `false` when no such feedback is about `receiver`.
    pub async fn share_feedback(
        &self,
        session: &SessionId,
        id: &FeedbackId,
        receiver: ParticipantId,
        shared: bool,
    ) -> Result<bool, StoreError> {
        let done = self
            .owner_execute(
                sqlx::query(
                    "UPDATE feedback SET shared_with_host = $1 WHERE id = $2 AND session_id = $3 AND about_id = $4",
                )
                .bind(i64::from(shared))
                .bind(&id.0)
                .bind(&session.0)
                .bind(i64::from(receiver.0)),
            )
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// All feedback of a session, oldest first.
    pub async fn feedback(&self, session: &SessionId) -> Result<Vec<Feedback>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, from_id, about_id, form_id, answers, shared_with_host, submitted_at FROM feedback \
             WHERE session_id = $1 ORDER BY submitted_at, id",
        )
        .bind(&session.0)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(Feedback {
                    id: FeedbackId(row.get("id")),
                    form: row.get("form_id"),
                    from: ParticipantId(row.get::<i64, _>("from_id") as u32),
                    about: ParticipantId(row.get::<i64, _>("about_id") as u32),
                    answers: serde_json::from_str(row.get::<&str, _>("answers"))?,
                    shared_with_host: row.get::<i64, _>("shared_with_host") != 0,
                    submitted_at: row.get("submitted_at"),
                })
            })
            .collect()
    }

    /// Ends a session: stores its outcome and marks it ended, in one transaction. `false` if it had already ended.
    pub async fn end_session(&self, session: &SessionId, outcome: &Outcome) -> Result<bool, StoreError> {
        let mut tx = self.owner_tx(true).await?;
        let done = sqlx::query("UPDATE sessions SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL")
            .bind(outcome.ended_at)
            .bind(&session.0)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("INSERT INTO outcomes (session_id, ended_at, outcome) VALUES ($1, $2, $3)")
            .bind(&session.0)
            .bind(outcome.ended_at)
            .bind(serde_json::to_string(outcome)?)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE attendance SET left_at = $1 WHERE session_id = $2 AND left_at IS NULL")
            .bind(outcome.ended_at)
            .bind(&session.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The stored outcome of an ended session, its commitments as ticked since from `/me` (their follow-up).
    pub async fn outcome(&self, session: &SessionId) -> Result<Option<Outcome>, StoreError> {
        let row = sqlx::query("SELECT outcome FROM outcomes WHERE session_id = $1")
            .bind(&session.0)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let mut outcome: Outcome = serde_json::from_str(row.get::<&str, _>("outcome"))?;
        let ticks = sqlx::query("SELECT commitment_id, done FROM commitment_followups WHERE session_id = $1")
            .bind(&session.0)
            .fetch_all(&self.pool)
            .await?;
        for tick in ticks {
            let id: &str = tick.get("commitment_id");
            if let Some(c) = outcome.commitments.iter_mut().find(|c| c.id == id) {
                c.done = tick.get::<i64, _>("done") != 0;
            }
        }
        Ok(Some(outcome))
    }
}
