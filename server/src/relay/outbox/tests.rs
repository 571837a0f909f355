//! The outbox's tests: direct writes and the writer, a socket that blocks, a full queue, a kick, bursts, and a
//! property test that every frame arrives once and in order.

use super::*;
use proptest::prelude::*;

fn text(s: &str) -> Outbound {
    Outbound::Text(Utf8Bytes::from(s.to_string()))
}

/// A socket whose flushes complete only while its gate is open, like a client that reads or stopped reading.
#[derive(Default)]
struct Gate {
    open: bool,
    waker: Option<Waker>,
    buffered: Vec<String>,
    written: Vec<String>,
    closed: bool,
}

#[derive(Clone, Default)]
struct TestSink(Arc<Mutex<Gate>>);

impl TestSink {
    fn gate(&self) -> MutexGuard<'_, Gate> {
        self.0.lock().unwrap()
    }

    fn set_open(&self, open: bool) {
        let waker = {
            let mut gate = self.gate();
            gate.open = open;
            gate.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn written(&self) -> Vec<String> {
        self.gate().written.clone()
    }
}

impl Sink<Message> for TestSink {
    type Error = ();
    fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), ()>> {
        Poll::Ready(Ok(()))
    }
    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), ()> {
        let label = match item {
            Message::Text(t) => t.to_string(),
            Message::Close(Some(frame)) => format!("close {}", frame.code),
            other => format!("{other:?}"),
        };
        self.gate().buffered.push(label);
        Ok(())
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), ()>> {
        let mut gate = self.gate();
        if gate.open {
            let buffered = std::mem::take(&mut gate.buffered);
            gate.written.extend(buffered);
            Poll::Ready(Ok(()))
        } else {
            gate.waker = Some(cx.waker().clone());
            Poll::Pending
        }
    }
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), ()>> {
        let flushed = self.as_mut().poll_flush(cx);
        if flushed.is_ready() {
            self.gate().closed = true;
        }
        flushed
    }
}

/// An outbox whose writer runs on `sink`; returns once the writer holds the socket.
async fn started(capacity: usize, sink: &TestSink) -> (Outbox, tokio::task::JoinHandle<()>) {
    let (tx, rx) = outbox(capacity);
    let writer = tokio::spawn(write_loop(Box::pin(sink.clone()), rx));
    until(|| tx.shared.sink.try_lock().is_ok_and(|slot| slot.is_some())).await;
    (tx, writer)
}

fn queued(tx: &Outbox) -> usize {
    tx.shared.state().queue.len()
}

/// Lets the writer run until `done` holds; fails if it never does (a lost wake-up leaves the writer asleep).
async fn until(mut done: impl FnMut() -> bool) {
    for _ in 0..10_000 {
        if done() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("the writer never got there");
}

#[tokio::test]
async fn an_open_socket_is_written_at_once_and_a_blocked_one_is_finished_by_the_writer_in_order() {
    let sink = TestSink::default();
    sink.set_open(true);
    let (tx, writer) = started(8, &sink).await;
    // The current-thread runtime has not run the writer since: only a direct write can have put it there.
    tx.try_send(text("a")).unwrap();
    assert_eq!(sink.written(), ["a"]);
    assert_eq!(queued(&tx), 0);

    sink.set_open(false);
    tx.try_send(text("b")).unwrap();
    assert_eq!(queued(&tx), 0, "b went to the socket, which could not flush it");
    assert_eq!(tx.queue_all([Some(text("c")), None, Some(text("d"))]), Ok(()));
    tx.write_queued();
    assert_eq!(queued(&tx), 2, "behind an unfinished write, frames queue");
    assert_eq!(sink.written(), ["a"]);

    sink.set_open(true);
    until(|| sink.written().len() == 4).await;
    assert_eq!(sink.written(), ["a", "b", "c", "d"]);
    until(|| !tx.shared.state().unflushed).await;
    tx.try_send(text("e")).unwrap();
    assert_eq!(
        sink.written().last().map(String::as_str),
        Some("e"),
        "written directly again"
    );

    drop(tx);
    writer.await.unwrap();
    assert!(sink.gate().closed, "the last sender gone, the writer closes the socket");
}

#[tokio::test]
async fn a_write_the_socket_could_not_finish_is_finished_once_it_drains_with_nothing_else_sent() {
    let sink = TestSink::default();
    let (tx, writer) = started(8, &sink).await;
    tx.try_send(text("only")).unwrap();
    until(|| sink.gate().waker.is_some()).await;
    sink.set_open(true);
    until(|| sink.written() == ["only"]).await;
    drop(tx);
    writer.await.unwrap();
}

#[tokio::test]
async fn a_close_goes_through_the_writer_after_the_frames_before_it() {
    let sink = TestSink::default();
    sink.set_open(true);
    let (tx, writer) = started(8, &sink).await;
    let frames = [Some(text("bye")), Some(Outbound::Close(Close::Ended))];
    assert_eq!(tx.queue_all(frames), Ok(()));
    assert_eq!(
        sink.written(),
        Vec::<String>::new(),
        "queued frames wait to be written together"
    );
    tx.write_queued();
    assert_eq!(sink.written(), ["bye"]);
    writer.await.unwrap();
    assert_eq!(sink.written(), ["bye", &format!("close {}", Close::Ended.code())]);
}

#[tokio::test]
async fn a_full_queue_refuses_and_gives_the_frame_back_and_a_kick_closes_even_a_stuck_socket() {
    let sink = TestSink::default();
    let (tx, writer) = started(2, &sink).await;
    tx.try_send(text("1")).unwrap();
    tx.try_send(text("2")).unwrap();
    tx.try_send(text("3")).unwrap();
    assert!(matches!(tx.try_send(text("4")), Err(Outbound::Text(t)) if t.as_str() == "4"));
    tx.kick();
    // The writer gave up on its stuck batch and sends the close; it goes out once the socket takes it.
    until(|| sink.gate().buffered.last().is_some_and(|f| f.starts_with("close"))).await;
    sink.set_open(true);
    writer.await.unwrap();
    assert_eq!(sink.written(), ["1", &format!("close {}", Close::TooSlow.code())]);
    assert!(
        tx.shared.sink.try_lock().is_ok_and(|slot| slot.is_none()),
        "nobody writes after the writer"
    );
    tx.try_send(text("5")).unwrap_err();
}

#[tokio::test]
async fn a_burst_longer_than_the_queue_reaches_a_client_that_reads() {
    let sink = TestSink::default();
    sink.set_open(true);
    let (tx, writer) = started(2, &sink).await;
    let names: Vec<String> = (0..7).map(|i| i.to_string()).collect();
    for name in &names {
        assert_eq!(
            tx.queue_all([Some(text(name))]),
            Ok(()),
            "{name} fits: the queue was written"
        );
    }
    tx.write_queued();
    assert_eq!(sink.written(), names);
    drop(tx);
    writer.await.unwrap();
}

#[test]
fn without_a_writer_frames_queue_all_or_nothing() {
    let (tx, rx) = outbox(3);
    tx.try_send(text("a")).unwrap();
    assert_eq!(tx.queue_all([Some(text("b")), None, Some(text("c"))]), Ok(()));
    assert_eq!(tx.queue_all([Some(text("d"))]), Err(()), "the queue is full");
    assert_eq!(tx.queue_all([None, None]), Ok(()), "nothing to send always fits");
    tx.write_queued();
    let mut texts = Vec::new();
    while let Some(Outbound::Text(t)) = rx.try_recv() {
        texts.push(t.to_string());
    }
    assert_eq!(texts, ["a", "b", "c"]);
}

#[test]
fn the_queue_is_bounded_in_bytes_too() {
    // A client that asks for the whole document again and again and never reads: 256 frames would be 256 copies.
    let (tx, rx) = outbox(256);
    let document = Outbound::Binary(vec![7u8; 1000 * 1024].into());
    let mut taken = 0;
    while tx.try_send(document.clone()).is_ok() {
        taken += 1;
    }
    assert_eq!(taken, MAX_QUEUED_BYTES / (1000 * 1024), "then the client is too slow");
    assert!(tx.shared.state().bytes <= MAX_QUEUED_BYTES);
    assert_eq!(
        tx.queue_all([Some(text("small"))]),
        Ok(()),
        "small frames still fit until the bound"
    );
    while rx.try_recv().is_some() {}
    assert_eq!(tx.shared.state().bytes, 0, "every byte is counted out again");
    tx.try_send(document).unwrap();
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

#[derive(Clone, Debug)]
enum Step {
    Send,
    QueueTwo,
    WriteQueued,
    Block,
    Unblock,
    Yield,
}

proptest! {
    /// Whatever the socket does between frames, every frame arrives once and in order.
    #[test]
    fn frames_arrive_in_order_whether_written_directly_or_by_the_writer(
        steps in prop::collection::vec(
            prop_oneof![
                Just(Step::Send),
                Just(Step::QueueTwo),
                Just(Step::WriteQueued),
                Just(Step::Block),
                Just(Step::Unblock),
                Just(Step::Yield),
            ],
            1..60,
        )
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let (sent, written) = runtime.block_on(async {
            let sink = TestSink::default();
            sink.set_open(true);
            let (tx, writer) = started(1000, &sink).await;
            let mut sent = Vec::new();
            for step in steps {
                match step {
                    Step::Send => {
                        sent.push(sent.len().to_string());
                        tx.try_send(text(sent.last().unwrap())).unwrap();
                    }
                    Step::QueueTwo => {
                        let (a, b) = (sent.len().to_string(), (sent.len() + 1).to_string());
                        tx.queue_all([Some(text(&a)), Some(text(&b))]).unwrap();
                        sent.extend([a, b]);
                    }
                    Step::WriteQueued => tx.write_queued(),
                    Step::Block => sink.set_open(false),
                    Step::Unblock => sink.set_open(true),
                    Step::Yield => tokio::task::yield_now().await,
                }
            }
            sink.set_open(true);
            drop(tx);
            writer.await.unwrap();
            (sent, sink.written())
        });
        prop_assert_eq!(written, sent);
    }
}
