//! The workshop's closing question (issue 17), kept anonymous by the store itself: who answered
//! (`closing_answered`, to refuse a second answer) and what was answered (`closing_answers`) share no column and
//! carry no time, and the answers' row ids are drawn at random. The answers come out only through
//! [`Store::closing_summary`]: nothing but their count until the facilitator closes the question, and below
//! [`MIN_ANSWERS`] nothing but their count at all.
//!
//! What this protects against: the facilitator and the observers telling who gave which answer from what Tandem
//! shows them. Not against someone who reads the database file itself (SQLite keeps rows in the order they were
//! written, and its journal keeps earlier pages): that is the operator, who can read everything anyway.

use super::{Store, StoreError};
use sqlx::Row;
use tandem_core::session::{Millis, ParticipantId};
use tandem_core::workshop::{summarize, ClosingAnswer, ClosingSummary, MIN_ANSWERS};

/// What became of an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answered {
    /// Stored.
    Stored,
    /// This participant had answered already: nothing stored.
    Already,
    /// The facilitator has closed the question: nothing stored.
    Closed,
}

impl Store {
    /// Stores `participant`'s answer to workshop `workshop`'s closing question, in one transaction with the note
    /// that they answered, unless they had or the question is closed.
    pub async fn answer_closing(
        &self,
        workshop: &str,
        participant: ParticipantId,
        answer: &ClosingAnswer,
    ) -> Result<Answered, StoreError> {
        let mut tx = self.write_tx().await?;
        let closed = sqlx::query("SELECT 1 FROM closing_closed WHERE workshop_id = $1")
            .bind(workshop)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if closed {
            return Ok(Answered::Closed);
        }
        let first = sqlx::query(
            "INSERT INTO closing_answered (workshop_id, participant) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(workshop)
        .bind(i64::from(participant.0))
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !first {
            return Ok(Answered::Already);
        }
        sqlx::query("INSERT INTO closing_answers (id, workshop_id, rating, next) VALUES ($1, $2, $3, $4)")
            .bind(rand::random::<i64>())
            .bind(workshop)
            .bind(i64::from(answer.rating))
            .bind(&answer.next)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Answered::Stored)
    }

    /// Whether `participant` has answered workshop `workshop`'s closing question.
    pub async fn closing_answered(&self, workshop: &str, participant: ParticipantId) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 FROM closing_answered WHERE workshop_id = $1 AND participant = $2")
            .bind(workshop)
            .bind(i64::from(participant.0))
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Whether the facilitator has closed workshop `workshop`'s closing question.
    pub async fn closing_closed(&self, workshop: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 FROM closing_closed WHERE workshop_id = $1")
            .bind(workshop)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Closes workshop `workshop`'s closing question at `now`: no more answers, and the answers may be shown. Closing
    /// a closed question changes nothing.
    pub async fn close_closing(&self, workshop: &str, now: Millis) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO closing_closed (workshop_id, closed_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(workshop)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The answers as the facilitator may see them. Until the question is closed, and below [`MIN_ANSWERS`], the
    /// answers themselves are not even read.
    pub async fn closing_summary(&self, workshop: &str) -> Result<ClosingSummary, StoreError> {
        let answered: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM closing_answers WHERE workshop_id = $1")
            .bind(workshop)
            .fetch_one(&self.pool)
            .await?;
        let answered = usize::try_from(answered).unwrap_or(0);
        if !self.closing_closed(workshop).await? {
            return Ok(ClosingSummary::Open { answered });
        }
        if answered < MIN_ANSWERS {
            return Ok(ClosingSummary::TooFew { answered });
        }
        let rows = sqlx::query("SELECT rating, next FROM closing_answers WHERE workshop_id = $1")
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
