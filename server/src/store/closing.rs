//! The workshop's closing question (issue 17), kept anonymous by the store itself: who answered
//! (`closing_answered`, to refuse a second answer) and what was answered (`closing_answers`) share no column, carry no
//! time, and the answers' row ids are drawn at random. The answers come out only through [`Store::closing_summary`],
//! which reads nothing but their count below [`MIN_ANSWERS`].

use super::{Store, StoreError};
use sqlx::Row;
use tandem_core::session::ParticipantId;
use tandem_core::workshop::{summarize, ClosingAnswer, ClosingSummary, MIN_ANSWERS};

impl Store {
    /// Stores `participant`'s answer to workshop `workshop`'s closing question, in one transaction with the note
    /// that they answered. `false`: they had answered already, and nothing was stored.
    pub async fn answer_closing(
        &self,
        workshop: &str,
        participant: ParticipantId,
        answer: &ClosingAnswer,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let first = sqlx::query("INSERT OR IGNORE INTO closing_answered (workshop_id, participant) VALUES (?, ?)")
            .bind(workshop)
            .bind(i64::from(participant.0))
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if !first {
            return Ok(false);
        }
        sqlx::query("INSERT INTO closing_answers (id, workshop_id, rating, next) VALUES (?, ?, ?, ?)")
            .bind(rand::random::<i64>())
            .bind(workshop)
            .bind(i64::from(answer.rating))
            .bind(&answer.next)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Whether `participant` has answered workshop `workshop`'s closing question.
    pub async fn closing_answered(&self, workshop: &str, participant: ParticipantId) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 FROM closing_answered WHERE workshop_id = ? AND participant = ?")
            .bind(workshop)
            .bind(i64::from(participant.0))
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// The answers as the facilitator may see them. Below [`MIN_ANSWERS`] the answers themselves are not even read.
    pub async fn closing_summary(&self, workshop: &str) -> Result<ClosingSummary, StoreError> {
        let answered: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM closing_answers WHERE workshop_id = ?")
            .bind(workshop)
            .fetch_one(&self.pool)
            .await?;
        let answered = usize::try_from(answered).unwrap_or(0);
        if answered < MIN_ANSWERS {
            return Ok(ClosingSummary::TooFew { answered });
        }
        let rows = sqlx::query("SELECT rating, next FROM closing_answers WHERE workshop_id = ?")
            .bind(workshop)
            .fetch_all(&self.pool)
            .await?;
        let answers: Vec<ClosingAnswer> = rows
            .iter()
            .map(|row| ClosingAnswer {
                rating: u8::try_from(row.get::<i64, _>("rating")).unwrap_or(1),
                next: row.get("next"),
            })
            .collect();
        Ok(summarize(&answers))
    }
}
