//! Leases (issue 20): which relay runs a live session or workshop when several share one PostgreSQL database, and
//! the fencing of that relay's writes. The design and its failure cases: docs/architecture.md, "Several relays".
//!
//! A relay takes a session's lease before it starts the session's actor; the lease's `epoch` grows by one at each
//! new owner. The actor's store is [`Store::fenced`] with it: each of its writes first reads the lease row in the
//! same transaction (`FOR KEY SHARE`; a takeover locks it `FOR UPDATE`, so it waits for the write to commit) and is
//! refused with
//! [`StoreError::Fenced`] if the epoch is no longer its own. A relay that was frozen and comes back can therefore
//! never write over a newer owner's state. On SQLite there is one relay and no lease.

use super::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A lease this relay holds: the fencing token of one actor's writes.
#[derive(Debug)]
pub struct Lease {
    /// A session's id, or `w:` and a workshop's.
    pub id: String,
    /// The epoch this relay's actor writes with.
    pub epoch: i64,
    /// Another relay took it (a fenced write or a renewal found out): the actor stops without writing.
    lost: AtomicBool,
    /// Another relay asked for it: the actor saves what it holds, then lets go.
    wanted: AtomicBool,
    changed: tokio::sync::Notify,
}

impl Lease {
    fn new(id: &str, epoch: i64) -> Lease {
        Lease {
            id: id.to_string(),
            epoch,
            lost: AtomicBool::new(false),
            wanted: AtomicBool::new(false),
            changed: tokio::sync::Notify::new(),
        }
    }

    /// A lease row of this relay's that no actor holds, to let go of it.
    pub fn stray(id: &str, epoch: i64) -> Lease {
        Lease::new(id, epoch)
    }

    /// Whether another relay owns it now.
    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::Acquire)
    }

    /// Whether another relay asked for it.
    pub fn is_wanted(&self) -> bool {
        self.wanted.load(Ordering::Acquire)
    }

    /// Marks it taken by another relay, and wakes the actor.
    pub fn lose(&self) {
        self.lost.store(true, Ordering::Release);
        self.changed.notify_one();
    }

    /// Marks it asked for by another relay, and wakes the actor.
    pub fn want(&self) {
        if !self.wanted.swap(true, Ordering::AcqRel) {
            self.changed.notify_one();
        }
    }

    /// Resolves when it was lost or asked for since the last call.
    pub async fn changed(&self) {
        self.changed.notified().await
    }
}

/// What an attempt to take a lease found.
#[derive(Debug)]
pub enum Taken {
    /// This relay holds it now.
    Mine(Arc<Lease>),
    /// Another relay holds it until `expires_at` (ms), unless it renews it.
    Held {
        /// The relay.
        owner: String,
        /// When it lapses.
        expires_at: Millis,
    },
}

impl Store {
    /// This store for the writes of the actor holding `lease`: each is refused once another relay owns the lease.
    pub fn fenced(&self, lease: Arc<Lease>) -> Store {
        Store {
            fence: Some(lease),
            ..self.clone()
        }
    }

    /// The lease this store's writes carry, if any.
    pub fn lease(&self) -> Option<&Arc<Lease>> {
        self.fence.as_ref()
    }

    /// Takes the lease on `id` for `owner` until `now + ttl` if nobody else holds it (or theirs has lapsed).
    pub async fn take_lease(&self, id: &str, owner: &str, ttl: Millis, now: Millis) -> Result<Taken, StoreError> {
        // The row is locked FOR UPDATE first: that waits for every write of the current owner in progress (each
        // holds the row FOR KEY SHARE, `check_lease`), so that the new owner loads a state that includes them.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT 1 FROM leases WHERE id = $1 FOR UPDATE")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let epoch: Option<i64> = sqlx::query_scalar(
            "INSERT INTO leases (id, owner, epoch, expires_at) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, epoch = leases.epoch + 1, \
             expires_at = excluded.expires_at, wanted = 0 \
             WHERE leases.expires_at < $4 OR leases.owner = excluded.owner RETURNING epoch",
        )
        .bind(id)
        .bind(owner)
        .bind(now + ttl)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        if let Some(epoch) = epoch {
            return Ok(Taken::Mine(Arc::new(Lease::new(id, epoch))));
        }
        let row = sqlx::query("SELECT owner, expires_at FROM leases WHERE id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok(Taken::Held {
            owner: row.get("owner"),
            expires_at: row.get("expires_at"),
        })
    }

    /// Asks the owner of `id` to hand it over (it sees this at its next renewal).
    pub async fn want_lease(&self, id: &str, now: Millis) -> Result<(), StoreError> {
        sqlx::query("UPDATE leases SET wanted = $2 WHERE id = $1 AND wanted = 0")
            .bind(id)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Renews every lease `owner` still holds until `now + ttl`; returns them, each with its epoch and whether
    /// another relay asked for it.
    pub async fn renew_leases(
        &self,
        owner: &str,
        ttl: Millis,
        now: Millis,
    ) -> Result<Vec<(String, i64, bool)>, StoreError> {
        let rows = sqlx::query(
            "UPDATE leases SET expires_at = $2 WHERE owner = $1 AND expires_at > 0 RETURNING id, epoch, wanted",
        )
        .bind(owner)
        .bind(now + ttl)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get("id"), r.get("epoch"), r.get::<i64, _>("wanted") != 0))
            .collect())
    }

    /// Lets go of `lease` at once (another relay may take it without waiting for it to lapse).
    pub async fn release_lease(&self, lease: &Lease, owner: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE leases SET expires_at = 0 WHERE id = $1 AND owner = $2 AND epoch = $3")
            .bind(&lease.id)
            .bind(owner)
            .bind(lease.epoch)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Lets go of every lease `owner` holds.
    pub async fn release_leases_of(&self, owner: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE leases SET expires_at = 0 WHERE owner = $1")
            .bind(owner)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A transaction for a write of a live session's or workshop's owner: on a fenced store, it holds the lease row
    /// (`FOR KEY SHARE`) and goes on only if its epoch is still this store's (else [`StoreError::Fenced`], and the lease
    /// is marked lost). `writes` takes the write lock of [`Store::write_tx`] first.
    pub(super) async fn owner_tx(&self, writes: bool) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        let mut tx = if writes {
            self.write_tx().await?
        } else {
            self.pool.begin().await?
        };
        self.check_fence(&mut tx).await?;
        Ok(tx)
    }

    /// See [`Store::owner_tx`]: the check, inside the caller's transaction.
    pub(super) async fn check_fence(&self, tx: &mut sqlx::AnyConnection) -> Result<(), StoreError> {
        match &self.fence {
            Some(lease) => check_lease(lease, tx).await,
            None => Ok(()),
        }
    }
}

/// Goes on only if `lease` is still this relay's, holding its row until the caller's transaction ends; else marks it
/// lost ([`StoreError::Fenced`]).
pub(super) async fn check_lease(lease: &Lease, tx: &mut sqlx::AnyConnection) -> Result<(), StoreError> {
    // FOR KEY SHARE, not FOR SHARE: the owner's renewal (an UPDATE of the expiry, many rows at once) does not wait
    // for it, so a notes batch holding several sessions' rows cannot deadlock with it (measured: it did, with 50
    // sessions on a relay); a takeover locks the row FOR UPDATE, which does wait.
    let epoch: Option<i64> = sqlx::query_scalar("SELECT epoch FROM leases WHERE id = $1 FOR KEY SHARE")
        .bind(&lease.id)
        .fetch_optional(&mut *tx)
        .await?;
    if epoch == Some(lease.epoch) {
        Ok(())
    } else {
        lease.lose();
        Err(StoreError::Fenced)
    }
}
