//! A connection's outgoing side: a bounded queue and the socket's sending half.
//!
//! Whoever has a frame for the client (the session actor fanning out an edit, the connection's reader answering a
//! ping) writes it straight to the socket when nothing is waiting and the socket takes it at once: the usual case,
//! with no task woken and no second copy queued. Otherwise the frame waits in the queue and the connection's writer
//! task (a `write_loop`) sends it, with whatever else waits, in one flush. A socket that does not take a frame at
//! once (its buffer is full, or the reader is using the socket) hands the rest to the writer from then on, so the
//! queue's bound still tells a client that stopped reading (docs/performance.md: the writer tasks' wake-ups were the
//! largest user-space cost of a delivery).
//!
//! The queue is used instead of `tokio::sync::mpsc` for memory: a tokio channel allocates its first block of 32
//! slots up front (~1.3 KB per connection, most of it never used by an idle connection), while this queue grows with
//! what is actually waiting and gives the space back once drained (docs/performance.md, idle RSS per connection).

use super::Outbound;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes};
use futures::{Sink, SinkExt};
use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;
use tandem_core::protocol::Close;
use tokio::sync::Notify;

/// Capacity kept by an empty queue; a larger one is given back once drained.
const KEEP: usize = 8;

/// Most bytes of frames waiting for one client, besides the frame count: a client that asks for the whole document
/// again and again and never reads would otherwise make the relay hold a copy per request. A full document (1 MB of
/// notes) and then some fits; a client this far behind is too slow, like one past the frame count.
pub const MAX_QUEUED_BYTES: usize = 4 * 1024 * 1024;

/// The socket's sending half, errors reduced to "the socket is gone" (the writer ends then).
pub type WireSink = Pin<Box<dyn Sink<Message, Error = ()> + Send>>;

struct Shared {
    state: Mutex<State>,
    /// Wakes the writer: a frame was queued, a direct write left data unflushed, or the last sender went away. Also
    /// the waker of direct writes, so that a socket that becomes writable again wakes the writer to finish.
    ready: Arc<Ready>,
    /// Wakes the writer even in the middle of a write: the client fell behind.
    kick: Notify,
    capacity: usize,
    /// The sending half, from when the writer starts until it ends; whoever holds the lock may write.
    sink: tokio::sync::Mutex<Option<WireSink>>,
}

struct State {
    queue: VecDeque<Outbound>,
    /// The bytes of the frames in `queue` (see [`MAX_QUEUED_BYTES`]).
    bytes: usize,
    senders: usize,
    /// A direct write did not finish (the socket would block, or failed): the writer flushes before anything else
    /// is written, and until then frames queue.
    unflushed: bool,
}

/// The writer's wake-up. A waker of its own (not the whole shared state) so that a waker kept by the socket does
/// not keep the socket alive in a cycle.
struct Ready(Notify);

impl Wake for Ready {
    fn wake(self: Arc<Self>) {
        self.0.notify_one();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.notify_one();
    }
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wake_writer(&self) {
        self.ready.0.notify_one();
    }
}

/// The sending side; clones count, and the writer sees the end once every clone is dropped.
pub struct Outbox {
    shared: Arc<Shared>,
}

/// The writer's side.
pub struct OutboxReader {
    shared: Arc<Shared>,
}

/// A queue holding at most `capacity` frames.
pub fn outbox(capacity: usize) -> (Outbox, OutboxReader) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            queue: VecDeque::new(),
            bytes: 0,
            senders: 1,
            unflushed: false,
        }),
        ready: Arc::new(Ready(Notify::new())),
        kick: Notify::new(),
        capacity,
        sink: tokio::sync::Mutex::new(None),
    });
    (Outbox { shared: shared.clone() }, OutboxReader { shared })
}

impl Outbox {
    /// Sends `msg` unless the queue is full (the client is too slow); gives it back then.
    pub fn try_send(&self, msg: Outbound) -> Result<(), Outbound> {
        let mut msgs = [Some(msg)];
        match self.send_frames(&mut msgs, true) {
            Ok(()) => Ok(()),
            Err(()) => Err(msgs[0].take().expect("a refused frame is given back")),
        }
    }

    /// Queues every frame of `msgs`, or none of them if they do not all fit (the client is too slow), usually
    /// without writing: they wait for [`Outbox::write_queued`], so that a caller with several messages for this client
    /// (the session actor working through a burst) sends them together. A queue too full to take them is written
    /// first, if the socket is free: only a socket that cannot take it makes the client too slow.
    pub fn queue_all<const N: usize>(&self, mut msgs: [Option<Outbound>; N]) -> Result<(), ()> {
        self.send_frames(&mut msgs, false)
    }

    /// Writes what is queued straight to the socket if nobody else is writing to it; otherwise the writer does.
    pub fn write_queued(&self) {
        // Called for every connection after every event of the actor: most have nothing queued.
        if self.shared.state().queue.is_empty() {
            return;
        }
        let mut slot = self.shared.sink.try_lock().ok();
        let mut state = self.shared.state();
        if !state.queue.is_empty() {
            self.write_or_wake(slot.as_mut().and_then(|slot| slot.as_mut()), &mut state);
        }
    }

    /// Queues `msgs` (all or none, taking them out of `msgs`) and, with `write`, writes the queue.
    fn send_frames(&self, msgs: &mut [Option<Outbound>], write: bool) -> Result<(), ()> {
        let count = msgs.iter().flatten().count();
        if count == 0 {
            return Ok(());
        }
        let bytes: usize = msgs.iter().flatten().map(Outbound::payload_len).sum();
        // While this lock is held nobody else writes to the socket; the writer holds it for a whole batch.
        let mut slot = write.then(|| self.shared.sink.try_lock().ok()).flatten();
        let mut state = self.shared.state();
        let fits = |state: &State| {
            state.queue.len() + count <= self.shared.capacity && state.bytes + bytes <= MAX_QUEUED_BYTES
        };
        if !write && !fits(&state) {
            // A burst filled the queue before it was written: write it now. Only a socket that cannot take it makes
            // the client too slow. (The socket's lock is taken first, as everywhere.)
            drop(state);
            slot = self.shared.sink.try_lock().ok();
            state = self.shared.state();
            self.write_or_wake(slot.as_mut().and_then(|slot| slot.as_mut()), &mut state);
        }
        if !fits(&state) {
            return Err(());
        }
        state.bytes += bytes;
        state.queue.extend(msgs.iter_mut().filter_map(Option::take));
        if write {
            self.write_or_wake(slot.as_mut().and_then(|slot| slot.as_mut()), &mut state);
        }
        Ok(())
    }

    /// Writes the queue to `sink` (the socket, if this caller holds it) when nothing is left unfinished; anything it
    /// cannot write at once is left to the writer, which is woken for it.
    fn write_or_wake(&self, sink: Option<&mut WireSink>, state: &mut State) {
        // A task out of tokio's cooperative budget would find every socket "not ready" and leave a flag and a
        // wake-up behind for each: hand the frames to the writers straight away instead.
        match sink {
            Some(sink) if !state.unflushed && tokio::task::coop::has_budget_remaining() => {
                if !write_queue(sink, state, &self.shared.ready) {
                    state.unflushed = true;
                    self.shared.wake_writer();
                } else if !state.queue.is_empty() {
                    // A close: the writer sends it and ends.
                    self.shared.wake_writer();
                }
            }
            _ => self.shared.wake_writer(),
        }
    }

    /// Tells the writer to close the connection now, even if it is stuck writing to a client that stopped reading.
    pub fn kick(&self) {
        self.shared.kick.notify_one();
    }
}

impl Clone for Outbox {
    fn clone(&self) -> Self {
        self.shared.state().senders += 1;
        Outbox {
            shared: self.shared.clone(),
        }
    }
}

impl Drop for Outbox {
    /// The last sender gone, the writer ends once all is written; a sender that goes with frames still queued (the
    /// actor dropping a connection after [`Outbox::queue_all`]) leaves them to the writer.
    fn drop(&mut self) {
        let wake = {
            let mut state = self.shared.state();
            state.senders -= 1;
            state.senders == 0 || !state.queue.is_empty()
        };
        if wake {
            self.shared.wake_writer();
        }
    }
}

/// What the writer is woken for.
enum Work {
    /// Frames wait, or a direct write left data to flush.
    Write,
    /// Every sender is gone and everything is written.
    End,
}

impl OutboxReader {
    /// Waits until there is something to write, or nothing ever will be.
    async fn work(&self) -> Work {
        loop {
            {
                let state = self.shared.state();
                if !state.queue.is_empty() || state.unflushed {
                    return Work::Write;
                }
                if state.senders == 0 {
                    return Work::End;
                }
            }
            // `notify_one` keeps a permit when nobody waits, so a frame queued since the check is not missed.
            self.shared.ready.0.notified().await;
        }
    }

    /// The next frame if one is waiting.
    fn try_recv(&self) -> Option<Outbound> {
        pop(&mut self.shared.state())
    }

    /// Resolves when a sender called [`Outbox::kick`].
    async fn kicked(&self) {
        self.shared.kick.notified().await;
    }
}

/// The first frame of the queue; an emptied queue gives back its space beyond [`KEEP`].
fn pop(state: &mut State) -> Option<Outbound> {
    let msg = state.queue.pop_front()?;
    state.bytes -= msg.payload_len();
    if state.queue.is_empty() && state.queue.capacity() > KEEP {
        state.queue.shrink_to(KEEP);
    }
    Some(msg)
}

/// The connection's writer: takes the socket's sending half, sends what was queued and finishes direct writes that
/// did not complete, batching whatever is ready into one flush. Ends when every sender is gone (closing the socket),
/// when the socket fails, after a close frame, or on a kick (the actor found this client's queue full), which
/// interrupts even a write that is stuck on a client that stopped reading.
pub async fn write_loop(sink: WireSink, rx: OutboxReader) {
    *rx.shared.sink.lock().await = Some(sink);
    loop {
        let outcome = tokio::select! {
            biased;
            _ = rx.kicked() => None,
            more = write_batch(&rx) => Some(more),
        };
        match outcome {
            Some(true) => continue,
            Some(false) => break,
            None => {
                // The interrupted batch let go of the socket when it was dropped.
                let mut slot = rx.shared.sink.lock().await;
                if let Some(sink) = slot.as_mut() {
                    let close = close_frame(Close::TooSlow);
                    let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(close)).await;
                }
                slot.take();
                break;
            }
        }
    }
}

/// Flushes what a direct write left, then writes the next frames (up to 64) and flushes. `false` when done: then the
/// socket is out of the slot (under the same lock), so nobody writes to it any more and later frames only queue.
async fn write_batch(rx: &OutboxReader) -> bool {
    let work = rx.work().await;
    let mut slot = rx.shared.sink.lock().await;
    let more = match slot.as_mut() {
        Some(sink) => write_some(sink, rx, work).await,
        None => false,
    };
    if !more {
        slot.take();
    }
    more
}

async fn write_some(sink: &mut WireSink, rx: &OutboxReader, work: Work) -> bool {
    if let Work::End = work {
        let _ = sink.close().await;
        return false;
    }
    for _ in 0..64 {
        let Some(msg) = rx.try_recv() else {
            break;
        };
        let (frame, last) = to_message(msg);
        if sink.feed(frame).await.is_err() {
            // The socket takes no more frames, but may still owe one: the protocol's own answer to a client's
            // close (tungstenite queues it, say for a close with a code no client may send). Send that.
            let _ = sink.close().await;
            return false;
        }
        if last {
            let _ = sink.flush().await;
            return false;
        }
    }
    if sink.flush().await.is_err() {
        return false;
    }
    // Under the socket's lock, so no direct write saw the flag set and queued behind a flush that is over.
    rx.shared.state().unflushed = false;
    true
}

/// Writes the queue's leading data frames to `sink` and flushes, without waiting; `false` if the socket did not take
/// them at once (the writer, which `ready` wakes when the socket can take more, finishes then). A close stays queued
/// for the writer.
fn write_queue(sink: &mut WireSink, state: &mut State, ready: &Arc<Ready>) -> bool {
    let waker = Waker::from(ready.clone());
    let mut cx = Context::from_waker(&waker);
    let mut wrote = false;
    while state
        .queue
        .front()
        .is_some_and(|msg| !matches!(msg, Outbound::Close(..)))
    {
        if !matches!(sink.as_mut().poll_ready(&mut cx), Poll::Ready(Ok(()))) {
            return false;
        }
        let Some(msg) = pop(state) else { break };
        wrote = true;
        if sink.as_mut().start_send(to_message(msg).0).is_err() {
            return false;
        }
    }
    !wrote || matches!(sink.as_mut().poll_flush(&mut cx), Poll::Ready(Ok(())))
}

/// The WebSocket message for `msg`, and whether it is the last one (a close).
fn to_message(msg: Outbound) -> (Message, bool) {
    match msg {
        Outbound::Text(text) => (Message::Text(text), false),
        Outbound::Binary(bytes) => (Message::Binary(bytes), false),
        Outbound::Close(close) => (close_frame(close), true),
        Outbound::Ping => (Message::Ping(Default::default()), false),
    }
}

/// The close frame for `close`: its code and reason.
pub fn close_frame(close: Close) -> Message {
    Message::Close(Some(CloseFrame {
        code: close.code(),
        reason: Utf8Bytes::from_static(close.reason()),
    }))
}

#[cfg(test)]
mod tests;
