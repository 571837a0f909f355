//! Workshops: the spec as created and the live state, one JSON each (tandem_core::workshop), and their breakout
//! sessions.

use super::{SessionRecord, Store, StoreError};
use sqlx::Row;
use tandem_core::session::{Capability, Millis, RoomId, RoomState};
use tandem_core::workshop::{WorkshopSpec, WorkshopState};

/// A workshop row.
#[derive(Clone, Debug)]
pub struct WorkshopRecord {
    /// As created.
    pub spec: WorkshopSpec,
    /// As it is now.
    pub state: WorkshopState,
    /// The participants' link's secret (one link for everyone).
    pub participant_token: String,
    /// The facilitator's link's secret.
    pub host_token: String,
    /// The observers' link's secret.
    pub observer_token: String,
}

impl WorkshopRecord {
    /// What `token` allows in this workshop, if anything. Compared in constant time.
    pub fn capability_of(&self, token: &str) -> Option<Capability> {
        super::capability_of([&self.host_token, &self.participant_token, &self.observer_token], token)
    }
}

impl Store {
    /// Stores a new workshop.
    pub async fn create_workshop(&self, record: &WorkshopRecord, now: Millis) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO workshops (id, created_at, spec, state, participant_token, host_token, observer_token) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&record.spec.id)
        .bind(now)
        .bind(serde_json::to_string(&record.spec)?)
        .bind(serde_json::to_string(&record.state)?)
        .bind(&record.participant_token)
        .bind(&record.host_token)
        .bind(&record.observer_token)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The workshop with `id`, if it exists.
    pub async fn workshop(&self, id: &str) -> Result<Option<WorkshopRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT spec, state, participant_token, host_token, observer_token FROM workshops WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(WorkshopRecord {
                spec: serde_json::from_str(row.get::<&str, _>("spec"))?,
                state: serde_json::from_str(row.get::<&str, _>("state"))?,
                participant_token: row.get("participant_token"),
                host_token: row.get("host_token"),
                observer_token: row.get("observer_token"),
            })
        })
        .transpose()
    }

    /// Replaces a workshop's live state.
    pub async fn save_workshop_state(&self, id: &str, state: &WorkshopState) -> Result<(), StoreError> {
        self.owner_execute(
            sqlx::query("UPDATE workshops SET state = $1, ended_at = $2 WHERE id = $3")
                .bind(serde_json::to_string(state)?)
                .bind(state.ended_at)
                .bind(id),
        )
        .await?;
        Ok(())
    }

    /// Stores a round's breakout sessions (each with its main room) and the workshop's state that refers to them,
    /// in one transaction: a round is either all there or not at all.
    pub async fn open_round(
        &self,
        id: &str,
        breakouts: &[SessionRecord],
        state: &WorkshopState,
    ) -> Result<(), StoreError> {
        let mut tx = self.owner_tx(true).await?;
        for record in breakouts {
            sqlx::query(
                "INSERT INTO sessions (id, created_at, template_id, spec, participant_token, host_token, \
                 observer_token, workshop_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&record.spec.id.0)
            .bind(record.spec.created_at)
            .bind(&record.spec.template_id)
            .bind(serde_json::to_string(&record.spec)?)
            .bind(&record.participant_token)
            .bind(&record.host_token)
            .bind(&record.observer_token)
            .bind(&record.workshop_id)
            .execute(&mut *tx)
            .await?;
            let room = RoomState::new(&record.spec.phases);
            super::save_room_in(&mut *tx, &record.spec.id, RoomId::MAIN, &room, record.spec.created_at).await?;
        }
        sqlx::query("UPDATE workshops SET state = $1 WHERE id = $2")
            .bind(serde_json::to_string(state)?)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
