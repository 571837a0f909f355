//! This relay's leases, when several relays share one PostgreSQL database (issue 20; the store's side and the
//! fencing: `store/leases.rs`; the design: docs/architecture.md, "Several relays"). A lease is taken before a
//! session's or workshop's actor starts, renewed a third of the TTL apart while the actor runs, handed over when
//! another relay asks for it, and let go when the actor stops.

use super::{now_ms, RelayError};
use crate::store::{Lease, Store, Taken};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tandem_core::session::Millis;

/// How often a relay that waits for a lease looks again.
const POLL: Duration = Duration::from_millis(100);

/// The leases of this relay (one process).
pub struct Leases {
    store: Store,
    /// This relay's name in the lease rows: unique per process.
    owner: String,
    ttl: Duration,
    held: Mutex<HashMap<String, Arc<Lease>>>,
    /// Rows of this relay's that no actor held at the last renewal (id, epoch): let go if still so at the next.
    strays: Mutex<Vec<(String, i64)>>,
}

impl Leases {
    /// Leases over `store`, lapsing `ttl` after their last renewal.
    pub fn new(store: Store, ttl: Duration) -> Leases {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "relay".into());
        Leases {
            store,
            owner: format!("{host}-{}-{}", std::process::id(), crate::backend::random_token(6)),
            ttl,
            held: Mutex::default(),
            strays: Mutex::default(),
        }
    }

    /// This relay's name in the lease rows.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    fn ttl_ms(&self) -> Millis {
        self.ttl.as_millis() as Millis
    }

    /// Takes the lease of `id` (a session's id, or `w:` and a workshop's). Held by another relay: asks it to hand
    /// the lease over and waits, up to twice the TTL, for that or for the lease to lapse (a relay that died renews
    /// nothing); then [`RelayError::Moved`].
    pub async fn take(&self, id: &str) -> Result<Arc<Lease>, RelayError> {
        let deadline = tokio::time::Instant::now() + 2 * self.ttl;
        let mut asked = false;
        loop {
            match self.store.take_lease(id, &self.owner, self.ttl_ms(), now_ms()).await? {
                Taken::Mine(lease) => {
                    let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
                    held.insert(id.to_string(), lease.clone());
                    if lease.epoch > 1 {
                        tracing::info!(lease = id, epoch = lease.epoch, "took over a lease");
                    }
                    return Ok(lease);
                }
                Taken::Held { owner, expires_at } => {
                    if !asked {
                        tracing::info!(lease = id, %owner, "waiting for another relay's lease");
                        self.store.want_lease(id, now_ms()).await?;
                        asked = true;
                    }
                    let now = tokio::time::Instant::now();
                    if now >= deadline {
                        return Err(RelayError::Moved);
                    }
                    let lapses = Duration::from_millis((expires_at - now_ms()).max(0) as u64 + 1);
                    tokio::time::sleep(POLL.min(lapses).min(deadline - now)).await;
                }
            }
        }
    }

    /// Lets go of `lease` (its actor stopped): another relay may take it at once.
    pub async fn release(&self, lease: &Lease) {
        {
            let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
            if held.get(&lease.id).is_some_and(|l| l.epoch == lease.epoch) {
                held.remove(&lease.id);
            }
        }
        if lease.is_lost() {
            return;
        }
        if let Err(e) = self.store.release_lease(lease, &self.owner).await {
            tracing::warn!(lease = %lease.id, error = %e, "could not let go of a lease; it lapses by itself");
        }
    }

    /// Renews every lease this relay holds; tells the actor of each that another relay took (its epoch changed)
    /// or asked for.
    pub async fn renew(&self) -> Result<(), crate::store::StoreError> {
        // Only the leases held before the statement starts are judged by what it returns: one taken while it runs
        // may be missing from its rows, and is not lost for that (the race that closed fresh sessions with "moved").
        let before = self.held_now();
        let rows = self.store.renew_leases(&self.owner, self.ttl_ms(), now_ms()).await?;
        for lease in judge(&before, &rows) {
            tracing::warn!(lease = %lease.id, "another relay took this lease");
            lease.lose();
        }
        // Rows of this relay that no actor holds (a let-go that failed) are let go when a second renewal still
        // finds them so: one just taken is in the rows a moment before its actor holds it.
        let held = self.held_now();
        let strays: Vec<(String, i64)> = rows
            .into_iter()
            .filter(|(id, _, _)| !held.iter().any(|l| l.id == *id))
            .map(|(id, epoch, _)| (id, epoch))
            .collect();
        let before = std::mem::replace(
            &mut *self.strays.lock().unwrap_or_else(|e| e.into_inner()),
            strays.clone(),
        );
        for (id, epoch) in strays.iter().filter(|s| before.contains(s)) {
            let _ = self.store.release_lease(&Lease::stray(id, *epoch), &self.owner).await;
        }
        Ok(())
    }

    fn held_now(&self) -> Vec<Arc<Lease>> {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.values().cloned().collect()
    }

    /// Renews the leases a third of the TTL apart until the relay stops.
    pub async fn renew_until(self: Arc<Self>, mut stopping: tokio::sync::watch::Receiver<bool>) {
        let mut every = tokio::time::interval(self.ttl / 3);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = every.tick() => {}
                _ = stopping.wait_for(|stop| *stop) => break,
            }
            if let Err(e) = self.renew().await {
                tracing::warn!(error = %e, "could not renew the leases");
            }
        }
    }

    /// Lets go of every lease this relay holds, in one statement (the end of a graceful stop: the actors' own
    /// let-go may still be on its way when the process exits, and the other relays would then wait for the leases
    /// to lapse).
    pub async fn release_all(&self) {
        self.held.lock().unwrap_or_else(|e| e.into_inner()).clear();
        if let Err(e) = self.store.release_leases_of(&self.owner).await {
            tracing::warn!(error = %e, "could not let go of the leases; they lapse by themselves");
        }
    }
}

/// What a renewal's `rows` (id, epoch, wanted) say of the leases `held` before it started: each one asked for is
/// marked wanted; those it did not renew (gone, or at another epoch) are returned, lost.
fn judge(held: &[Arc<Lease>], rows: &[(String, i64, bool)]) -> Vec<Arc<Lease>> {
    let mut lost = Vec::new();
    for lease in held {
        match rows.iter().find(|(id, _, _)| *id == lease.id) {
            Some((_, epoch, wanted)) if *epoch == lease.epoch => {
                if *wanted {
                    lease.want();
                }
            }
            _ => lost.push(lease.clone()),
        }
    }
    lost
}

/// Resolves when another relay took or asked for `lease` (never without one): what wakes an actor to stop.
pub async fn changed(lease: Option<&Arc<Lease>>) {
    match lease {
        Some(lease) if lease.is_lost() || lease.is_wanted() => {}
        Some(lease) => lease.changed().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_renewal_judges_only_the_leases_held_before_it() {
        let kept = Arc::new(Lease::stray("kept", 3));
        let asked = Arc::new(Lease::stray("asked", 1));
        let taken = Arc::new(Lease::stray("taken", 2));
        let gone = Arc::new(Lease::stray("gone", 1));
        let rows = vec![
            ("kept".to_string(), 3, false),
            ("asked".to_string(), 1, true),
            ("taken".to_string(), 3, false),
            // Taken by this relay while the renewal ran: not among the leases judged.
            ("new".to_string(), 1, false),
        ];
        let lost = judge(&[kept.clone(), asked.clone(), taken.clone(), gone.clone()], &rows);
        let lost: Vec<&str> = lost.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(lost, ["taken", "gone"]);
        assert!(asked.is_wanted());
        assert!(!kept.is_wanted() && !kept.is_lost());
    }

    /// A row of this relay's that no actor holds (a let-go that failed) is let go by the second renewal that finds
    /// it so, never by the first (a lease just taken is in the rows before its actor holds it); a held lease stays.
    #[tokio::test]
    async fn renewals_let_go_of_a_stray_row_the_second_time_only() {
        let Some(db) = crate::store::test_db::TestDb::new(crate::store::Engine::Postgres).await else {
            return;
        };
        let store = db.open().await;
        let leases = Leases::new(store.clone(), Duration::from_secs(3));
        let held = leases.take("held").await.unwrap();
        let Taken::Mine(_) = store.take_lease("stray", leases.owner(), 3000, now_ms()).await.unwrap() else {
            panic!("a free lease is taken");
        };
        let still_ours = |id: &'static str| {
            let store = store.clone();
            async move {
                let held = store.take_lease(id, "another relay", 3000, now_ms()).await.unwrap();
                matches!(held, Taken::Held { .. })
            }
        };
        leases.renew().await.unwrap();
        assert!(still_ours("stray").await, "the first renewal keeps the row");
        leases.renew().await.unwrap();
        assert!(
            !still_ours("stray").await,
            "the second lets it go: another relay takes it at once"
        );
        assert!(still_ours("held").await, "the held lease stays this relay's");
        assert!(!held.is_lost());
    }
}
