//! Persistence through sqlx on SQLite (WAL, synchronous=FULL; the default) or PostgreSQL, migrated at start.
//!
//! One `Store` over sqlx's `Any` pool: the statements are the same text on both engines (`$N` parameters, integers
//! as 64 bits, flags as integers); the few that differ (search, JSON reads, a row's id) ask [`Store::engine`].

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Row};
use std::time::Duration;
use tandem_core::notes::Commitment;
use tandem_core::protocol::PrivateNote;
use tandem_core::session::{
    Attendance, Capability, Feedback, FeedbackId, Millis, Outcome, ParticipantId, ParticipantKey, ParticipantView,
    RoomId, RoomState, SessionId, SessionSpec,
};

/// Storage failures. Callers show a generic message; the detail goes to the log.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// A stored JSON column did not parse.
    #[error("stored data: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// A stored notes document did not decode.
    #[error("stored notes: {0}")]
    Notes(String),
    /// The transaction holding this write with other sessions' failed (`notes_batch.rs`).
    #[error("database: {0}")]
    Batch(String),
    /// Migrations failed at start.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Another relay owns the session or workshop this write was for (`leases.rs`): nothing was written.
    #[error("another relay runs this session now")]
    Fenced,
    /// The database URL names no engine Tandem runs on.
    #[error("database URL: `{0}:` is neither sqlite: nor postgres:")]
    Url(String),
}

/// A session row.
#[derive(Clone, Debug)]
pub struct SessionRecord {
    /// The session as created.
    pub spec: SessionSpec,
    /// Secret of the participant link.
    pub participant_token: String,
    /// Secret of the host link.
    pub host_token: String,
    /// Secret of the observer link.
    pub observer_token: String,
    /// When the session ended, if it did.
    pub ended_at: Option<Millis>,
    /// The workshop this session is a breakout of, if any.
    pub workshop_id: Option<String>,
}

impl SessionRecord {
    /// What `token` allows in this session, if anything. Compared in constant time.
    pub fn capability_of(&self, token: &str) -> Option<Capability> {
        capability_of([&self.host_token, &self.participant_token, &self.observer_token], token)
    }
}

/// What `token` allows given a link's three secrets (host, participant, observer), compared in constant time.
fn capability_of(secrets: [&String; 3], token: &str) -> Option<Capability> {
    secrets
        .into_iter()
        .zip([Capability::Host, Capability::Participant, Capability::Observer])
        .find(|(secret, _)| constant_time_eq(secret.as_bytes(), token.as_bytes()))
        .map(|(_, cap)| cap)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A participant row.
#[derive(Clone, Debug, PartialEq)]
pub struct ParticipantRecord {
    /// How others see them (presence is filled in by the relay).
    pub view: ParticipantView,
    /// The browser key that identifies them.
    pub key: ParticipantKey,
}

/// How often the relay notes it is alive ([`Store::heartbeat`]): the error of attendance after a crash.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

/// The database.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    engine: Engine,
    /// The lease the writes of a live session's or workshop's owner carry (`leases.rs`): none on SQLite, and none
    /// for what pages and history write.
    fence: Option<std::sync::Arc<leases::Lease>>,
    /// The notes writes committed together (`notes_batch.rs`).
    notes_batch: notes_batch::NotesBatcher,
}

impl Store {
    /// Opens and migrates the database at `url`: `sqlite://…` (the file is created if missing) or `postgres://…`.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let engine = Engine::of(url).ok_or_else(|| StoreError::Url(url.split(':').next().unwrap_or("").into()))?;
        let pool = match engine {
            Engine::Sqlite => open_sqlite(url).await?,
            Engine::Postgres => {
                let pool = AnyPoolOptions::new().max_connections(16).connect(url).await?;
                sqlx::migrate!("./migrations-pg").run(&pool).await?;
                pool
            }
        };
        let notes_batch = notes_batch::NotesBatcher::start(pool.clone(), engine);
        Ok(Store {
            pool,
            engine,
            fence: None,
            notes_batch,
        })
    }

    /// The engine this store runs on.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// A transaction that writes, one at a time as on SQLite (see [`begin_write`]).
    async fn write_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        begin_write(&self.pool, self.engine).await
    }

    /// Stores a new session and its main room.
    pub async fn create_session(&self, record: &SessionRecord, room: &RoomState) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO sessions (id, created_at, template_id, spec, participant_token, host_token, observer_token, \
             workshop_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
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
        save_room_in(&mut *tx, &record.spec.id, RoomId::MAIN, room, record.spec.created_at).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The session with `id`, if it exists.
    pub async fn session(&self, id: &str) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT spec, participant_token, host_token, observer_token, ended_at, workshop_id FROM sessions \
             WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(SessionRecord {
                spec: serde_json::from_str(row.get::<&str, _>("spec"))?,
                participant_token: row.get("participant_token"),
                host_token: row.get("host_token"),
                observer_token: row.get("observer_token"),
                ended_at: row.get("ended_at"),
                workshop_id: row.get("workshop_id"),
            })
        })
        .transpose()
    }

    /// Everyone who joined `session`, in joining order (all shown offline).
    pub async fn participants(&self, session: &SessionId) -> Result<Vec<ParticipantRecord>, StoreError> {
        let rows =
            sqlx::query("SELECT id, key, name, role, capability FROM participants WHERE session_id = $1 ORDER BY id")
                .bind(&session.0)
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|row| {
                Ok(ParticipantRecord {
                    view: ParticipantView {
                        id: ParticipantId(row.get::<i64, _>("id") as u32),
                        name: row.get("name"),
                        role: row.get("role"),
                        capability: serde_json::from_value(serde_json::Value::String(row.get("capability")))?,
                        online: false,
                    },
                    key: ParticipantKey(row.get("key")),
                })
            })
            .collect()
    }

    /// Inserts or updates a participant (same key: same row).
    pub async fn save_participant(
        &self,
        session: &SessionId,
        p: &ParticipantRecord,
        now: Millis,
    ) -> Result<(), StoreError> {
        self.owner_execute(
            sqlx::query(
                "INSERT INTO participants (session_id, id, key, name, role, capability, joined_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (session_id, id) DO UPDATE SET name = excluded.name, role = excluded.role, \
             capability = excluded.capability",
            )
            .bind(&session.0)
            .bind(i64::from(p.view.id.0))
            .bind(&p.key.0)
            .bind(&p.view.name)
            .bind(&p.view.role)
            .bind(p.view.capability.label())
            .bind(now),
        )
        .await?;
        Ok(())
    }

    /// Binds another browser's `key` to participant `id` ("this is me on another device").
    pub async fn add_participant_key(
        &self,
        session: &SessionId,
        id: ParticipantId,
        key: &ParticipantKey,
        now: Millis,
    ) -> Result<(), StoreError> {
        self.owner_execute(
            sqlx::query(
                "INSERT INTO participant_keys (session_id, key, participant_id, added_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (session_id, key) DO NOTHING",
            )
            .bind(&session.0)
            .bind(&key.0)
            .bind(i64::from(id.0))
            .bind(now),
        )
        .await?;
        Ok(())
    }

    /// The keys bound to participants besides their first ([`Store::add_participant_key`]).
    pub async fn participant_keys(
        &self,
        session: &SessionId,
    ) -> Result<Vec<(ParticipantKey, ParticipantId)>, StoreError> {
        let rows = sqlx::query("SELECT key, participant_id FROM participant_keys WHERE session_id = $1")
            .bind(&session.0)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                (
                    ParticipantKey(row.get("key")),
                    ParticipantId(row.get::<i64, _>("participant_id") as u32),
                )
            })
            .collect())
    }

    /// The participant a browser key stands for in `session`: its first key or one bound later.
    pub async fn participant_by_key(
        &self,
        session: &SessionId,
        key: &str,
    ) -> Result<Option<ParticipantId>, StoreError> {
        let row = sqlx::query(
            "SELECT id FROM participants WHERE session_id = $1 AND key = $2 \
             UNION ALL SELECT participant_id FROM participant_keys WHERE session_id = $3 AND key = $4 LIMIT 1",
        )
        .bind(&session.0)
        .bind(key)
        .bind(&session.0)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|row| ParticipantId(row.get::<i64, _>(0) as u32)))
    }

    /// Every room's state in `session`.
    pub async fn rooms(&self, session: &SessionId) -> Result<Vec<(RoomId, RoomState)>, StoreError> {
        let rows = sqlx::query("SELECT room_id, state FROM rooms WHERE session_id = $1 ORDER BY room_id")
            .bind(&session.0)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|row| {
                Ok((
                    RoomId(row.get::<i64, _>("room_id") as u32),
                    serde_json::from_str(row.get::<&str, _>("state"))?,
                ))
            })
            .collect()
    }

    /// Writes a room's state; committed (fsynced) before this returns.
    pub async fn save_room(
        &self,
        session: &SessionId,
        room: RoomId,
        state: &RoomState,
        now: Millis,
    ) -> Result<(), StoreError> {
        let mut tx = self.owner_tx(false).await?;
        save_room_in(&mut *tx, session, room, state, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Opens an attendance interval and returns its row id.
    pub async fn attendance_start(
        &self,
        session: &SessionId,
        participant: ParticipantId,
        now: Millis,
    ) -> Result<i64, StoreError> {
        let sql = format!(
            "INSERT INTO attendance (session_id, participant_id, joined_at) VALUES ($1, $2, $3) RETURNING {}",
            self.attendance_id()
        );
        let mut tx = self.owner_tx(false).await?;
        let id = sqlx::query_scalar(&sql)
            .bind(&session.0)
            .bind(i64::from(participant.0))
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Closes an attendance interval.
    pub async fn attendance_end(&self, row: i64, now: Millis) -> Result<(), StoreError> {
        let sql = format!("UPDATE attendance SET left_at = $1 WHERE {} = $2", self.attendance_id());
        self.owner_execute(sqlx::query(&sql).bind(now).bind(row)).await?;
        Ok(())
    }

    /// Runs one write of a live session's or workshop's owner: on a fenced store, in a transaction that checks the
    /// lease first ([`Store::owner_tx`]).
    async fn owner_execute<'q>(
        &self,
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> Result<sqlx::any::AnyQueryResult, StoreError> {
        if self.fence.is_none() {
            return Ok(query.execute(&self.pool).await?);
        }
        let mut tx = self.owner_tx(false).await?;
        let done = query.execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// SQL for the text of top-level `field` of the JSON text in `column` (NULL if it has none).
    fn json_text(&self, column: &str, field: &str) -> String {
        match self.engine {
            Engine::Sqlite => format!("json_extract({column}, '$.{field}')"),
            Engine::Postgres => format!("({column}::jsonb ->> '{field}')"),
        }
    }

    /// The id of an attendance row: SQLite's own row id; on PostgreSQL, a column.
    fn attendance_id(&self) -> &'static str {
        match self.engine {
            Engine::Sqlite => "rowid",
            Engine::Postgres => "id",
        }
    }

    /// Deletes a session and everything of it (participants, notes, feedback, attendance, commitments, private
    /// notes: the schema cascades). `false` if there was no such session.
    pub async fn delete_session(&self, session: &SessionId) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(&session.0)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Sessions (outside workshops) and workshops with nothing new since `before`: created, ended and (sessions)
    /// last written notes all earlier. What retention deletes.
    pub async fn stale(&self, before: Millis) -> Result<(Vec<SessionId>, Vec<String>), StoreError> {
        let sessions = sqlx::query_scalar::<_, String>(
            "SELECT s.id FROM sessions s LEFT JOIN notes n ON n.session_id = s.id \
             WHERE s.workshop_id IS NULL AND s.created_at < $1 AND COALESCE(s.ended_at, 0) < $1 \
             AND COALESCE(n.updated_at, 0) < $1",
        )
        .bind(before)
        .fetch_all(&self.pool)
        .await?;
        let workshops = sqlx::query_scalar::<_, String>(
            "SELECT id FROM workshops WHERE created_at < $1 AND COALESCE(ended_at, 0) < $1",
        )
        .bind(before)
        .fetch_all(&self.pool)
        .await?;
        Ok((sessions.into_iter().map(SessionId).collect(), workshops))
    }

    /// The breakouts (sessions) of a workshop.
    pub async fn breakouts_of(&self, workshop: &str) -> Result<Vec<SessionId>, StoreError> {
        let ids = sqlx::query_scalar::<_, String>("SELECT id FROM sessions WHERE workshop_id = $1")
            .bind(workshop)
            .fetch_all(&self.pool)
            .await?;
        Ok(ids.into_iter().map(SessionId).collect())
    }

    /// Deletes a workshop with its breakouts.
    pub async fn delete_workshop(&self, workshop: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM sessions WHERE workshop_id = $1")
            .bind(workshop)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM workshops WHERE id = $1")
            .bind(workshop)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Notes that the relay is alive at `now` (every [`HEARTBEAT`]).
    pub async fn heartbeat(&self, now: Millis) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO relay_heartbeat (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at",
        )
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Closes every interval left open by a crash (called at start): at the relay's last heartbeat plus one
    /// interval (when it was last known alive), not at `now`, which may be long after; never before the join.
    pub async fn close_open_attendance(&self, now: Millis) -> Result<(), StoreError> {
        // SQLite's MAX and MIN of several values are PostgreSQL's GREATEST and LEAST.
        let (max, min) = match self.engine {
            Engine::Sqlite => ("MAX", "MIN"),
            Engine::Postgres => ("GREATEST", "LEAST"),
        };
        let sql = format!(
            "UPDATE attendance SET left_at = {max}(joined_at, {min}($1, \
             COALESCE((SELECT at FROM relay_heartbeat WHERE id = 1) + $2, $1))) WHERE left_at IS NULL"
        );
        sqlx::query(&sql)
            .bind(now)
            .bind(HEARTBEAT.as_millis() as i64)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends the stays of `session` left open by its former owner (another relay, issue 20) at `now`.
    pub async fn close_session_attendance(&self, session: &SessionId, now: Millis) -> Result<(), StoreError> {
        self.owner_execute(
            sqlx::query(
                "UPDATE attendance SET left_at = $2 WHERE session_id = $1 AND left_at IS NULL AND joined_at <= $2",
            )
            .bind(&session.0)
            .bind(now),
        )
        .await?;
        Ok(())
    }

    /// Connection intervals of a session; open ones end at `until`.
    pub async fn attendance(&self, session: &SessionId, until: Millis) -> Result<Vec<Attendance>, StoreError> {
        let rows = sqlx::query(
            "SELECT participant_id, joined_at, left_at FROM attendance WHERE session_id = $1 ORDER BY joined_at",
        )
        .bind(&session.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| Attendance {
                participant: ParticipantId(row.get::<i64, _>("participant_id") as u32),
                joined_at: row.get("joined_at"),
                left_at: row.get::<Option<i64>, _>("left_at").unwrap_or(until),
            })
            .collect())
    }

    /// Closes the pool, waiting for writes in flight.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

async fn save_room_in<'e, E>(
    exec: E,
    session: &SessionId,
    room: RoomId,
    state: &RoomState,
    now: Millis,
) -> Result<(), StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO rooms (session_id, room_id, state, version, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (session_id, room_id) DO UPDATE SET state = excluded.state, version = excluded.version, \
         updated_at = excluded.updated_at",
    )
    .bind(&session.0)
    .bind(i64::from(room.0))
    .bind(serde_json::to_string(state)?)
    .bind(state.version as i64)
    .bind(now)
    .execute(exec)
    .await?;
    Ok(())
}

mod closing;
mod copy;
mod engine;
mod feedback;
mod kudos;
mod leases;
mod notes;
mod notes_batch;
mod people;
mod people_data;
mod people_workshops;
mod workshop;

pub use closing::Answered;
pub use copy::{copy_to_postgres, Copied, CopyError};
#[cfg(test)]
use engine::sqlite_file_path;
use engine::{begin_write, open_sqlite};
pub use engine::{Engine, WRITE_LOCK};
pub use kudos::{Kudos, MAX_KUDOS, MAX_KUDOS_CHARS};
pub use leases::{Lease, Taken};
pub use people::{person_hash, SearchHit, TimelineEntry, MAX_HITS};
pub use people_data::{Forgotten, PersonSession, TickError, Together, FORMER};
pub use people_workshops::WorkshopEntry;
pub use workshop::WorkshopRecord;

#[cfg(test)]
mod fixture;
#[cfg(test)]
mod people_tests;
#[cfg(test)]
mod pg_tests;
#[cfg(test)]
pub(crate) mod test_db;
#[cfg(test)]
mod tests;
