//! Kudos (issue 18): given in a session, at most [`MAX_KUDOS`] by each person; read by their receiver, and by the
//! host once the receiver shares one.

use super::*;

/// Most kudos one person gives in one session.
pub const MAX_KUDOS: i64 = 5;

/// Most characters of a kudos.
pub const MAX_KUDOS_CHARS: usize = 140;

/// A kudos as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kudos {
    /// Its row id.
    pub id: i64,
    /// The session.
    pub session: SessionId,
    /// Who gave it.
    pub from: ParticipantId,
    /// To whom.
    pub to: ParticipantId,
    /// What for.
    pub text: String,
    /// The phase it was given in (its title).
    pub phase: String,
    /// When (relay clock).
    pub at: Millis,
    /// Shared with the host by its receiver.
    pub shared: bool,
}

impl Store {
    /// Stores a kudos unless its giver has given [`MAX_KUDOS`] in this session already (`false`).
    pub async fn give_kudos(
        &self,
        session: &SessionId,
        from: ParticipantId,
        to: ParticipantId,
        text: &str,
        phase: &str,
        at: Millis,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let given: i64 = sqlx::query("SELECT COUNT(*) FROM kudos WHERE session_id = $1 AND from_id = $2")
            .bind(&session.0)
            .bind(i64::from(from.0))
            .fetch_one(&mut *tx)
            .await?
            .get(0);
        if given >= MAX_KUDOS {
            return Ok(false);
        }
        sqlx::query("INSERT INTO kudos (session_id, from_id, to_id, text, phase, at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&session.0)
            .bind(i64::from(from.0))
            .bind(i64::from(to.0))
            .bind(text)
            .bind(phase)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Every kudos of a session, oldest first (the caller shows each only to whom it may).
    pub async fn kudos(&self, session: &SessionId) -> Result<Vec<Kudos>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, session_id, from_id, to_id, text, phase, at, shared_with_host FROM kudos \
             WHERE session_id = $1 ORDER BY at, id",
        )
        .bind(&session.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(kudos_row).collect())
    }

    /// The kudos a person received, in all their sessions, newest first.
    pub async fn kudos_received(&self, person: &str) -> Result<Vec<Kudos>, StoreError> {
        let rows = sqlx::query(
            "SELECT k.id, k.session_id, k.from_id, k.to_id, k.text, k.phase, k.at, k.shared_with_host FROM kudos k \
             JOIN person_participants pp ON pp.session_id = k.session_id AND pp.participant_id = k.to_id \
             WHERE pp.person = $1 ORDER BY k.at DESC, k.id",
        )
        .bind(person)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(kudos_row).collect())
    }

    /// The receiver shares a kudos with the host (or stops): `false` if it is not theirs.
    pub async fn share_kudos(
        &self,
        session: &SessionId,
        id: i64,
        receiver: ParticipantId,
        shared: bool,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE kudos SET shared_with_host = $1 WHERE id = $2 AND session_id = $3 AND to_id = $4")
                .bind(i64::from(shared))
                .bind(id)
                .bind(&session.0)
                .bind(i64::from(receiver.0))
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }
}

fn kudos_row(r: &sqlx::any::AnyRow) -> Kudos {
    Kudos {
        id: r.get("id"),
        session: SessionId(r.get("session_id")),
        from: ParticipantId(r.get::<i64, _>("from_id") as u32),
        to: ParticipantId(r.get::<i64, _>("to_id") as u32),
        text: r.get("text"),
        phase: r.get("phase"),
        at: r.get("at"),
        shared: r.get::<i64, _>("shared_with_host") != 0,
    }
}
