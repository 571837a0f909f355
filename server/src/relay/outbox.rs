//! A connection's bounded outgoing queue: the session actor (and the connection's reader) push frames without
//! waiting, the connection's writer drains them.
//!
//! Used instead of `tokio::sync::mpsc` for memory: a tokio channel allocates its first block of 32 slots up front
//! (~1.3 KB per connection, most of it never used by an idle connection), while this queue grows with what is
//! actually waiting and gives the space back once drained (docs/performance.md, idle RSS per connection).

use super::Outbound;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;

/// Capacity kept by an empty queue; a larger one is given back once drained.
const KEEP: usize = 8;

struct Shared {
    state: Mutex<State>,
    /// Wakes the writer: a frame was queued, or the last sender went away.
    ready: Notify,
    /// Wakes the writer even in the middle of a write: the client fell behind.
    kick: Notify,
    capacity: usize,
}

struct State {
    queue: VecDeque<Outbound>,
    senders: usize,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
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
            senders: 1,
        }),
        ready: Notify::new(),
        kick: Notify::new(),
        capacity,
    });
    (Outbox { shared: shared.clone() }, OutboxReader { shared })
}

impl Outbox {
    /// Queues `msg` unless the queue is full (the client is too slow); gives it back then.
    pub fn try_send(&self, msg: Outbound) -> Result<(), Outbound> {
        {
            let mut state = self.shared.state();
            if state.queue.len() >= self.shared.capacity {
                return Err(msg);
            }
            state.queue.push_back(msg);
        }
        self.shared.ready.notify_one();
        Ok(())
    }

    /// Queues every frame of `msgs`, or none of them if they do not all fit; one wake-up for all, so that the
    /// writer finds them together and sends them in one write.
    pub fn try_send_all<const N: usize>(&self, msgs: [Option<Outbound>; N]) -> Result<(), ()> {
        let count = msgs.iter().flatten().count();
        if count == 0 {
            return Ok(());
        }
        {
            let mut state = self.shared.state();
            if state.queue.len() + count > self.shared.capacity {
                return Err(());
            }
            state.queue.extend(msgs.into_iter().flatten());
        }
        self.shared.ready.notify_one();
        Ok(())
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
    fn drop(&mut self) {
        let last = {
            let mut state = self.shared.state();
            state.senders -= 1;
            state.senders == 0
        };
        if last {
            self.shared.ready.notify_one();
        }
    }
}

impl OutboxReader {
    /// The next frame; `None` once the queue is empty and every sender is gone.
    pub async fn recv(&self) -> Option<Outbound> {
        loop {
            {
                let mut state = self.shared.state();
                if let Some(msg) = pop(&mut state) {
                    return Some(msg);
                }
                if state.senders == 0 {
                    return None;
                }
            }
            // `notify_one` keeps a permit when nobody waits, so a frame queued since the check is not missed.
            self.shared.ready.notified().await;
        }
    }

    /// The next frame if one is waiting.
    pub fn try_recv(&self) -> Option<Outbound> {
        pop(&mut self.shared.state())
    }

    /// Resolves when a sender called [`Outbox::kick`].
    pub async fn kicked(&self) {
        self.shared.kick.notified().await;
    }
}

fn pop(state: &mut State) -> Option<Outbound> {
    let msg = state.queue.pop_front();
    if state.queue.is_empty() && state.queue.capacity() > KEEP {
        state.queue.shrink_to(KEEP);
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &'static str) -> Outbound {
        Outbound::Text(axum::extract::ws::Utf8Bytes::from_static(s))
    }

    #[tokio::test]
    async fn frames_come_out_in_order_and_the_end_comes_after_the_last_sender() {
        let (tx, rx) = outbox(4);
        let other = tx.clone();
        tx.try_send(text("a")).unwrap();
        other.try_send(text("b")).unwrap();
        drop(tx);
        assert!(matches!(rx.recv().await, Some(Outbound::Text(t)) if t.as_str() == "a"));
        assert!(matches!(rx.try_recv(), Some(Outbound::Text(t)) if t.as_str() == "b"));
        assert!(rx.try_recv().is_none());
        // One sender is left: the writer waits for it.
        let waiting = tokio::spawn(async move { rx.recv().await.is_none() });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(other);
        assert!(waiting.await.unwrap(), "the end once the last sender is gone");
    }

    #[tokio::test]
    async fn a_full_queue_refuses_and_gives_the_frame_back_and_a_kick_wakes_the_writer() {
        let (tx, rx) = outbox(2);
        tx.try_send(text("1")).unwrap();
        tx.try_send(text("2")).unwrap();
        assert!(matches!(tx.try_send(text("3")), Err(Outbound::Text(t)) if t.as_str() == "3"));
        tx.kick();
        rx.kicked().await;
    }

    #[tokio::test]
    async fn frames_queued_together_are_all_or_nothing_and_come_out_together() {
        let (tx, rx) = outbox(3);
        tx.try_send(text("a")).unwrap();
        assert_eq!(tx.try_send_all([Some(text("b")), None, Some(text("c"))]), Ok(()));
        assert_eq!(tx.try_send_all([Some(text("d"))]), Err(()), "the queue is full");
        assert_eq!(tx.try_send_all([None, None]), Ok(()), "nothing to queue always fits");
        let mut seen = Vec::new();
        seen.push(rx.recv().await);
        while let Some(msg) = rx.try_recv() {
            seen.push(Some(msg));
        }
        let texts: Vec<&str> = seen
            .iter()
            .map(|m| match m {
                Some(Outbound::Text(t)) => t.as_str(),
                _ => "?",
            })
            .collect();
        assert_eq!(texts, ["a", "b", "c"]);
    }

    #[test]
    fn a_drained_queue_gives_back_its_space() {
        let (tx, rx) = outbox(1000);
        for _ in 0..500 {
            tx.try_send(Outbound::Ping).unwrap();
        }
        while rx.try_recv().is_some() {}
        assert!(rx.shared.state().queue.capacity() <= KEEP);
    }
}
