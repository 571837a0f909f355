//! `tandem migrate-to-postgres`: an installation's SQLite database copied into an empty PostgreSQL database, in one
//! PostgreSQL transaction, and verified by counting the rows of every table on both sides.

use super::*;
use sqlx::any::AnyTypeInfoKind;
use sqlx::{Column, ValueRef};

/// The tables in an order that their foreign keys allow, each with what is read from SQLite to fill it. The search
/// index's goal and feedback rows are not copied: PostgreSQL's triggers write them when sessions and feedback are
/// copied (their ids differ, nothing refers to them).
const TABLES: &[(&str, &str)] = &[
    ("workshops", "SELECT * FROM workshops"),
    ("sessions", "SELECT * FROM sessions"),
    ("participants", "SELECT * FROM participants"),
    ("rooms", "SELECT * FROM rooms"),
    ("attendance", "SELECT rowid AS id, * FROM attendance"),
    ("feedback", "SELECT * FROM feedback"),
    ("outcomes", "SELECT * FROM outcomes"),
    ("notes", "SELECT * FROM notes"),
    ("commitments", "SELECT * FROM commitments"),
    ("private_notes", "SELECT * FROM private_notes"),
    ("participant_keys", "SELECT * FROM participant_keys"),
    ("relay_heartbeat", "SELECT * FROM relay_heartbeat"),
    ("closing_answered", "SELECT * FROM closing_answered"),
    ("closing_answers", "SELECT * FROM closing_answers"),
    ("closing_closed", "SELECT * FROM closing_closed"),
    ("person_participants", "SELECT * FROM person_participants"),
    ("commitment_followups", "SELECT * FROM commitment_followups"),
    ("kudos", "SELECT * FROM kudos"),
    ("person_workshops", "SELECT * FROM person_workshops"),
    (
        "search_texts",
        "SELECT session_id, kind, ref, giver, about, body FROM search_texts WHERE kind IN ('note', 'commitment')",
    ),
];

/// Tables whose identity column's next value must follow the copied ids.
const IDENTITIES: &[&str] = &["attendance", "closing_answers", "kudos"];

/// Why a copy was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// Opening, reading or writing failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// From must be SQLite and to PostgreSQL.
    #[error("copies from a sqlite:// database to a postgres:// one")]
    Engines,
    /// The destination already holds sessions or workshops: nothing was written.
    #[error("the PostgreSQL database already holds {0} sessions and workshops; copy into an empty one")]
    NotEmpty(i64),
    /// The counts differ after the copy (it was rolled back).
    #[error("row counts differ after the copy, nothing kept: {0}")]
    Counts(String),
}

/// One table's rows on each side after a copy.
#[derive(Debug, PartialEq, Eq)]
pub struct Copied {
    /// The table.
    pub table: &'static str,
    /// Its rows in SQLite.
    pub from: i64,
    /// Its rows in PostgreSQL.
    pub to: i64,
}

/// Copies the SQLite database at `from` (migrated first, as at any start) into the empty PostgreSQL database at `to`
/// (migrated, then filled in one transaction) and returns each table's count on both sides, which are equal:
/// otherwise nothing is kept.
pub async fn copy_to_postgres(from: &str, to: &str) -> Result<Vec<Copied>, CopyError> {
    if Engine::of(from) != Some(Engine::Sqlite) || Engine::of(to) != Some(Engine::Postgres) {
        return Err(CopyError::Engines);
    }
    let source = Store::open(from).await?;
    let target = Store::open(to).await?;
    let existing: i64 = sqlx::query_scalar("SELECT (SELECT COUNT(*) FROM sessions) + (SELECT COUNT(*) FROM workshops)")
        .fetch_one(&target.pool)
        .await
        .map_err(StoreError::from)?;
    if existing > 0 {
        return Err(CopyError::NotEmpty(existing));
    }
    let mut tx = target.pool.begin().await.map_err(StoreError::from)?;
    for (table, select) in TABLES {
        // Each value is cast to its column's type, so that a NULL (sent as text) fills a column of any type.
        let types: std::collections::HashMap<String, String> = sqlx::query_as(
            "SELECT column_name::TEXT, data_type::TEXT FROM information_schema.columns WHERE table_name = $1",
        )
        .bind(*table)
        .fetch_all(&mut *tx)
        .await
        .map_err(StoreError::from)?
        .into_iter()
        .collect();
        let rows = sqlx::query(select)
            .fetch_all(&source.pool)
            .await
            .map_err(StoreError::from)?;
        for row in rows {
            let columns: Vec<&str> = row.columns().iter().map(|c| c.name()).collect();
            let marks: Vec<String> = columns
                .iter()
                .enumerate()
                .map(|(i, c)| format!("${}::{}", i + 1, types.get(*c).map_or("TEXT", String::as_str)))
                .collect();
            let sql = format!(
                "INSERT INTO {table} ({}) VALUES ({})",
                columns.join(", "),
                marks.join(", ")
            );
            let mut insert = sqlx::query(&sql);
            for i in 0..columns.len() {
                insert = bind_value(insert, &row, i)?;
            }
            insert.execute(&mut *tx).await.map_err(StoreError::from)?;
        }
    }
    for table in IDENTITIES {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, \
             false)"
        ))
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
    }
    let mut counts = Vec::new();
    for (table, _) in TABLES {
        let count = format!("SELECT COUNT(*) FROM {table}");
        let from: i64 = sqlx::query_scalar(&count)
            .fetch_one(&source.pool)
            .await
            .map_err(StoreError::from)?;
        let to: i64 = sqlx::query_scalar(&count)
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        counts.push(Copied { table, from, to });
    }
    let differ: Vec<String> = counts
        .iter()
        .filter(|c| c.from != c.to)
        .map(|c| format!("{} {} → {}", c.table, c.from, c.to))
        .collect();
    if !differ.is_empty() {
        return Err(CopyError::Counts(differ.join(", ")));
    }
    tx.commit().await.map_err(StoreError::from)?;
    source.close().await;
    target.close().await;
    Ok(counts)
}

type Insert<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds column `i` of a SQLite row with the type its value has (SQLite's columns hold integers, text or bytes).
fn bind_value<'q>(insert: Insert<'q>, row: &sqlx::any::AnyRow, i: usize) -> Result<Insert<'q>, StoreError> {
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(insert.bind(None::<String>));
    }
    let kind = raw.type_info().kind();
    Ok(match kind {
        AnyTypeInfoKind::SmallInt | AnyTypeInfoKind::Integer | AnyTypeInfoKind::BigInt => {
            insert.bind(row.try_get::<i64, _>(i)?)
        }
        AnyTypeInfoKind::Blob => insert.bind(row.try_get::<Vec<u8>, _>(i)?),
        _ => insert.bind(row.try_get::<String, _>(i)?),
    })
}
