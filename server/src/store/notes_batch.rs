//! The sessions' notes writes, committed together: one transaction (and one disk sync) for every session that
//! writes at the same moment, instead of one each.
//!
//! A session's actor writes its notes 500 ms after the first unsaved edit (`relay/actor/notes.rs`); with 100 sessions
//! being typed in, one commit each was 200 commits a second, each a disk sync and four round trips to SQLite's
//! thread: 13 % of the relay's CPU time (docs/performance.md, "CPU per delivery"). Here the writes that arrive within
//! [`GATHER`] of each other (and while a commit runs) share one transaction. The actors keep their own timing, so
//! their work of encoding the document stays spread over time; only the commits are grouped. A write is
//! acknowledged only once the transaction holding it has committed, as before. A write that fails is reported to its
//! own session and the rest of the batch committed without it.

use super::notes::write_notes;
use super::*;
use tokio::sync::{mpsc, oneshot};

/// Most sessions' notes in one transaction.
const MAX_BATCH: usize = 256;

/// How long the first write of a batch waits for others (counted from when it was asked for): a notes write is
/// confirmed this much later, plus the commit and any commit still running, and 200 writes a second become about
/// 20 commits.
const GATHER: std::time::Duration = std::time::Duration::from_millis(50);

/// One session's notes write and who waits for its result.
struct NotesWrite {
    session: SessionId,
    state: Vec<u8>,
    commitments: Vec<Commitment>,
    texts: Vec<(String, String)>,
    now: Millis,
    /// The lease of the session's owner, if its store is fenced (`leases.rs`).
    fence: Option<std::sync::Arc<super::leases::Lease>>,
    /// When it was asked for (the batch it starts waits [`GATHER`] from then).
    asked: tokio::time::Instant,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// Where [`Store::save_notes_together`] sends its writes: the task of [`NotesBatcher::start`].
#[derive(Clone, Debug)]
pub(super) struct NotesBatcher(mpsc::UnboundedSender<NotesWrite>);

impl NotesBatcher {
    /// Starts the task that commits the writes; it ends once every [`Store`] holding this is gone.
    pub(super) fn start(pool: AnyPool, engine: Engine) -> NotesBatcher {
        let (writes, queue) = mpsc::unbounded_channel();
        tokio::spawn(run(pool, engine, queue));
        NotesBatcher(writes)
    }
}

impl Store {
    /// [`Store::save_notes`], in one transaction with the notes other sessions write at the same moment; returns
    /// once that transaction has committed (or failed for this session).
    pub async fn save_notes_together(
        &self,
        session: SessionId,
        state: Vec<u8>,
        commitments: Vec<Commitment>,
        texts: Vec<(String, String)>,
        now: Millis,
    ) -> Result<(), StoreError> {
        let (done, result) = oneshot::channel();
        let write = NotesWrite {
            session,
            state,
            commitments,
            texts,
            now,
            fence: self.fence.clone(),
            asked: tokio::time::Instant::now(),
            done,
        };
        match self.notes_batch.0.send(write) {
            Ok(()) => result.await.unwrap_or(Err(StoreError::Db(sqlx::Error::WorkerCrashed))),
            // The task is gone (its runtime ended): write directly.
            Err(mpsc::error::SendError(w)) => {
                self.save_notes(&w.session, &w.state, &w.commitments, &w.texts, w.now)
                    .await
            }
        }
    }
}

async fn run(pool: AnyPool, engine: Engine, mut queue: mpsc::UnboundedReceiver<NotesWrite>) {
    while let Some(first) = queue.recv().await {
        // Give the others GATHER from when the first was asked for (less if it waited during the last commit).
        tokio::time::sleep_until(first.asked + GATHER).await;
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            let Ok(write) = queue.try_recv() else { break };
            batch.push(write);
        }
        // A write that fails is answered and left out, and the rest tried again (a deleted session's last write
        // fails on its foreign key, and must not cost the others their write). A failure of the transaction itself
        // (the write lock busy past the busy timeout, the disk full at commit) fails them all at once: their
        // actors try again later, instead of this task retrying them one by one.
        loop {
            match commit(&pool, engine, &batch).await {
                Ok(()) => {
                    for write in batch {
                        let _ = write.done.send(Ok(()));
                    }
                    break;
                }
                Err(Failure::Write(i, e)) => {
                    let write = batch.remove(i);
                    let _ = write.done.send(Err(e));
                    if batch.is_empty() {
                        break;
                    }
                }
                Err(Failure::Transaction(e)) => {
                    tracing::warn!(error = %e, writes = batch.len(), "a batch of notes writes failed");
                    let message = e.to_string();
                    for write in batch {
                        let _ = write.done.send(Err(StoreError::Batch(message.clone())));
                    }
                    break;
                }
            }
        }
    }
}

/// Why [`commit`] failed.
enum Failure {
    /// The write at this index in the batch failed (or its session's lease is another relay's now).
    Write(usize, StoreError),
    /// Beginning or committing the transaction failed.
    Transaction(sqlx::Error),
}

/// Writes `batch` in one transaction (taking the write lock at its start, as `Store::write_tx` does).
async fn commit(pool: &AnyPool, engine: Engine, batch: &[NotesWrite]) -> Result<(), Failure> {
    let mut tx = begin_write(pool, engine).await.map_err(Failure::Transaction)?;
    for (i, w) in batch.iter().enumerate() {
        if let Some(lease) = &w.fence {
            super::leases::check_lease(lease, &mut tx)
                .await
                .map_err(|e| Failure::Write(i, e))?;
        }
        write_notes(&mut tx, &w.session, &w.state, &w.commitments, &w.texts, w.now)
            .await
            .map_err(|e| Failure::Write(i, e.into()))?;
    }
    tx.commit().await.map_err(Failure::Transaction)
}
