//! The crash loop (issue #19, "Proof, in numbers"): kill -9 the relay during continuous typing, timer commands and
//! feedback submits, restart it, compare, again and again (`TANDEM_CRASH_ROUNDS` cycles, 20 by default, 100 in
//! `make soak`). No acknowledged feedback, timer or outcome write may be lost; notes may lose at most what was typed
//! in the last second before the kill, and the page's pending copy restores even that on the next connection.
//!
//! One GROW session: Ana, the host, is the coach and drives the timer; Ben, the coachee, types notes on his page
//! and gives Ana feedback from a second connection of his. Each cycle starts the real server binary, lets the three
//! run for a random 0.5–2 s and kills it; the last cycle ends the session instead and kills right after. The random
//! choices come from `TANDEM_CRASH_SEED` (printed; the clock's by default): the kill itself lands wherever the
//! relay happens to be, so a seed repeats the plan, not the interleaving.

use crate::common::*;
use crate::crash::spawn_relay;
use futures::SinkExt;
use proptest::prelude::RngExt;
use proptest::test_runner::{RngAlgorithm, TestRng};
use server::store::Store;
use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};
use tandem_core::notes::NotesDoc;
use tandem_core::protocol::{ClientMsg, ErrorCode, ServerMsg};
use tandem_core::session::{
    Answer, FeedbackId, Millis, ParticipantId, RoomId, RoomState, SessionId, Timer, TimerCommand,
};
use tokio::time::{interval, sleep_until, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;

/// The notes section Ben types into.
const SECTION: &str = "goal-statement";
/// Cycles unless `TANDEM_CRASH_ROUNDS` says otherwise.
const DEFAULT_CYCLES: usize = 20;
/// One keystroke (one token, one notes frame) every this long.
const KEYSTROKE: Duration = Duration::from_millis(10);
/// About three timer commands a second: under the relay's limit of `TIMER_CHANGES_PER_SECOND` (5) per session, so
/// a refusal (`RateLimited`, never counted as acknowledged) would be the relay's doing, not the test's pace.
const TIMER_PACE: Duration = Duration::from_millis(333);
/// Ben's pause between two feedback submits, in milliseconds.
const FEEDBACK_PAUSE_MS: std::ops::RangeInclusive<u64> = 100..=500;
/// Feedback ids Ben reuses in turn (a reuse is an edit): a giver keeps at most `MAX_FEEDBACK_PER_GIVER`.
const FEEDBACK_SLOTS: usize = 8;
const _: () = assert!(FEEDBACK_SLOTS <= server::relay::MAX_FEEDBACK_PER_GIVER);
/// Notes typed within this long before a kill may be missing from the store (the "last 1 s").
const NOTES_GRACE: Duration = Duration::from_secs(1);
/// How long each cycle runs before the kill, in milliseconds.
const RUN_MS: std::ops::RangeInclusive<u64> = 500..=2000;

#[tokio::test]
async fn kill_9_during_typing_timer_and_feedback_loses_no_acknowledged_write() {
    let cycles = env_number("TANDEM_CRASH_ROUNDS").map_or(DEFAULT_CYCLES, |n| n as usize);
    let seed = env_number("TANDEM_CRASH_SEED").unwrap_or_else(|| server::relay::now_ms() as u64);
    println!("crash loop: {cycles} cycles, TANDEM_CRASH_SEED={seed}");
    assert!(cycles > 0, "TANDEM_CRASH_ROUNDS must be at least 1");

    // Create the session with an in-process server, then hand the database to the real binary.
    let (setup, session) = TestServer::with_session("grow").await;
    let db = setup.stop_keeping_db().await;
    let mut plan = rng(seed, 0);
    let mut notes = NotesDoc::new();
    let mut typed = Vec::new();
    let mut timer = TimerLog::new(rng(seed, 1));
    let mut feedback = FeedbackLog::new(rng(seed, 2));
    let started = Instant::now();

    for cycle in 0..cycles {
        let last = cycle + 1 == cycles;
        let cycle_started = Instant::now();
        let (mut relay, url) = spawn_relay(&db);
        let (mut ana, welcome) = Client::join(&ws_url(&url, &session.host_link), "Ana", &key(1), Some("coach")).await;
        let ServerMsg::Welcome {
            you: ana_id,
            session: spec,
            rooms,
            ..
        } = welcome
        else {
            unreachable!()
        };
        let main = rooms.into_iter().find(|r| r.id == RoomId::MAIN).expect("a main room");
        assert!(
            main.state.version >= timer.room.version,
            "cycle {cycle}: an older room came back"
        );
        timer.room = main.state;
        // GROW's feedback is given by the coachee about the coach. This connection joins first, so that Ben is the
        // coachee before his page (which names no role) joins.
        let ben_url = ws_url(&url, &session.participant_link);
        let (mut ben, _) = Client::join(&ben_url, "Ben", &key(2), Some("coachee")).await;
        let mut page = Page::join(&ben_url, "Ben", &key(2), notes).await;
        // Whatever the last relay lost is restored from the page's pending copy; then all of it is confirmed stored.
        page.until(|p| p.notes.unsynced() == 0).await;
        let text = page.notes.text(SECTION);
        let on_page = tokens(&text);
        let missing = typed
            .iter()
            .find(|(token, _): &&Typed| !on_page.contains(token.as_str()));
        assert!(
            missing.is_none(),
            "cycle {cycle}: {missing:?} is not in the page's notes"
        );
        let synced = typed.len();

        let run = Duration::from_millis(plan.random_range(RUN_MS));
        let stop_at = tokio::time::Instant::now() + run;
        let mut killed = None;
        // The last cycle ends the session at `stop_at` (every connection then closes) and kills right after.
        let end_at = last.then_some(stop_at);
        let kill = async {
            if !last {
                sleep_until(stop_at).await;
                killed = Some(Instant::now());
                relay.kill().expect("SIGKILL"); // std's kill() is SIGKILL on Unix
            }
        };
        let closed = tokio::join!(
            type_until_gone(&mut page, cycle, &mut typed),
            timer.drive_until_gone(&mut ana, ana_id, spec.phases.len(), end_at),
            feedback.give_until_gone(&mut ben, ana_id, cycle, last),
            kill,
        );
        let killed = killed.unwrap_or_else(|| {
            relay.kill().expect("SIGKILL");
            Instant::now()
        });
        relay.wait().unwrap();
        let first_closed = closed.0.min(closed.1).min(closed.2);
        assert!(
            last || first_closed >= killed,
            "cycle {cycle}: a connection closed before the kill"
        );

        let store = Store::open(&db.url()).await.unwrap();
        let pending = check_notes(&store, &session.id, cycle, &typed, synced, killed).await;
        let version = check_room(&store, &session.id, cycle, &timer).await;
        let rows = check_feedback(&store, &session.id, cycle, &mut feedback).await;
        if last {
            let ended_at = timer.ended.expect("the session ended in the last cycle");
            let outcome = store.outcome(&session.id).await.unwrap();
            let outcome = outcome.expect("the acknowledged end's outcome is stored");
            assert_eq!(outcome.ended_at, ended_at, "the stored outcome is the acknowledged one");
            // The notes checked above are the outcome's: the end stores them first.
            let in_outcome = outcome.notes.get(SECTION).map_or("", String::as_str);
            let in_store = stored_text(&store, &session.id, SECTION).await;
            assert_eq!(in_outcome, in_store, "the outcome's notes");
        }
        store.close().await;
        notes = page.notes;
        println!(
            "cycle {cycle:3}: {run:>5?} to the {}; notes: {} keystrokes, {pending} not stored at the kill; timer: \
             {}, stored v{version}; feedback: {}, {rows} rows; {:.2?} in all",
            if last { "end" } else { "kill" },
            typed.len() - synced,
            timer.now,
            feedback.now,
            cycle_started.elapsed(),
        );
    }
    println!("crash loop: {cycles} cycles in {:.1?}", started.elapsed());
}

/// `name` from the environment as a number, if set.
fn env_number(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    Some(
        v.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
    )
}

/// The random stream `stream` of `seed` (ChaCha: the same choices on every machine).
fn rng(seed: u64, stream: u64) -> TestRng {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..16].copy_from_slice(&stream.to_le_bytes());
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

/// A notes token Ben typed, and when.
type Typed = (String, Instant);

/// Writes sent, acknowledged and refused (for the rate, or once the session has ended) in one cycle, printed.
#[derive(Default)]
struct Counts {
    sent: usize,
    acked: usize,
    refused: usize,
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let Counts { sent, acked, refused } = self;
        write!(f, "{sent} sent, {acked} acknowledged, {refused} refused")
    }
}

/// Types a token every [`KEYSTROKE`] at the end of [`SECTION`] while handling what the relay sends, until the
/// connection is gone: the edits not confirmed then stay pending in `page.notes`, as in a browser. Returns when it
/// noticed.
async fn type_until_gone(page: &mut Page, cycle: usize, typed: &mut Vec<Typed>) -> Instant {
    let mut keys = interval(KEYSTROKE);
    keys.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            alive = page.step() => if !alive {
                return Instant::now();
            },
            _ = keys.tick() => {
                let token = format!("<c{cycle}k{}>", typed.len());
                let text = format!("{}{token}", page.notes.text(SECTION));
                let frame = page.notes.edit_text(SECTION, &text, None).expect("under the cap");
                typed.push((token, Instant::now()));
                if let Some(frame) = frame {
                    if page.client.ws.send(Message::binary(frame)).await.is_err() {
                        return Instant::now();
                    }
                }
            }
        }
    }
}

/// Ana's timer commands and what the relay acknowledged of them.
struct TimerLog {
    rng: TestRng,
    /// The main room as last acknowledged (a welcome's state, then each broadcast).
    room: RoomState,
    /// A command sent and not answered yet (at most one at a time, as a person clicks).
    in_flight: Option<TimerCommand>,
    /// When the acknowledged end said the session ended.
    ended: Option<Millis>,
    /// This cycle's commands.
    now: Counts,
}

impl TimerLog {
    fn new(rng: TestRng) -> TimerLog {
        let (room, in_flight, ended, now) = (RoomState::new(&[]), None, None, Counts::default());
        TimerLog {
            rng,
            room,
            in_flight,
            ended,
            now,
        }
    }

    /// Sends a command about every [`TIMER_PACE`], and ends the session at `end_at`, until the connection is gone.
    /// Every command is one the acknowledged state accepts: any refusal but the rate's fails the test.
    async fn drive_until_gone(
        &mut self,
        ana: &mut Client,
        me: ParticipantId,
        phases: usize,
        end_at: Option<tokio::time::Instant>,
    ) -> Instant {
        (self.in_flight, self.now) = (None, Counts::default());
        let mut pace = interval(TIMER_PACE);
        pace.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut end_sent = false;
        loop {
            let msg = tokio::select! {
                read = read(ana) => match read {
                    Ok(Some(msg)) => msg,
                    Ok(None) => continue,
                    Err(gone) => return gone,
                },
                _ = pace.tick(), if self.in_flight.is_none() && !end_sent => {
                    let command = self.choose(phases);
                    self.in_flight = Some(command);
                    self.now.sent += 1;
                    if send(ana, &ClientMsg::Timer { room: RoomId::MAIN, command }).await.is_err() {
                        return Instant::now();
                    }
                    continue;
                },
                _ = sleep_until(end_at.unwrap_or_else(tokio::time::Instant::now)), if end_at.is_some() && !end_sent => {
                    end_sent = true;
                    if send(ana, &ClientMsg::EndSession).await.is_err() {
                        return Instant::now();
                    }
                    continue;
                },
            };
            match msg {
                ServerMsg::Room { room, event, by } if room.id == RoomId::MAIN => {
                    assert_eq!(by, Some(me), "only Ana changes the room ({event:?})");
                    assert_eq!(room.state.version, self.room.version + 1, "one version a change");
                    self.room = room.state;
                    self.in_flight = None;
                    self.now.acked += 1;
                }
                ServerMsg::Error { code, message } => {
                    let ended = end_sent && code == ErrorCode::Ended;
                    assert!(
                        ended || code == ErrorCode::RateLimited,
                        "timer command refused: {message}"
                    );
                    self.now.refused += 1;
                    self.in_flight = None;
                }
                ServerMsg::Ended { at } if end_sent => self.ended = Some(at),
                _ => {}
            }
        }
    }

    /// A command the acknowledged state accepts, at random.
    fn choose(&mut self, phases: usize) -> TimerCommand {
        let room = &self.room;
        let from = room.phase;
        let mut options = vec![TimerCommand::AddTime { seconds: 60 }];
        options.push(match room.timer {
            Timer::Ready { .. } => TimerCommand::Start,
            Timer::Running { .. } => TimerCommand::Pause,
            Timer::Paused { .. } => TimerCommand::Resume,
        });
        if from + 1 < phases {
            options.push(TimerCommand::Next { from });
            options.push(TimerCommand::Goto { to: phases - 1, from });
        }
        if from > 0 {
            options.push(TimerCommand::Previous { from });
        }
        // Undo while the relay still offers it, with a margin for the time the command takes to arrive.
        let undo_left = room.undo_window_left(server::relay::now_ms());
        if !room.undo.is_empty() && undo_left.is_some_and(|left| left > 5_000) {
            options.push(TimerCommand::Undo);
        }
        options[self.rng.random_range(0..options.len())]
    }
}

/// Ben's feedback about Ana and what the relay acknowledged of it.
struct FeedbackLog {
    rng: TestRng,
    /// Each id's answers as last acknowledged (`FeedbackSaved`), over all cycles.
    acked: BTreeMap<FeedbackId, BTreeMap<String, Answer>>,
    /// A submission sent and not answered yet (one at a time, as the form sends it).
    in_flight: Option<(FeedbackId, BTreeMap<String, Answer>)>,
    /// Submissions ever sent: numbers them.
    submits: usize,
    /// This cycle's submissions.
    now: Counts,
}

impl FeedbackLog {
    fn new(rng: TestRng) -> FeedbackLog {
        let (acked, in_flight, submits, now) = (BTreeMap::new(), None, 0, Counts::default());
        FeedbackLog {
            rng,
            acked,
            in_flight,
            submits,
            now,
        }
    }

    /// When the next submit goes, a random pause from now.
    fn pause(&mut self) -> tokio::time::Instant {
        tokio::time::Instant::now() + Duration::from_millis(self.rng.random_range(FEEDBACK_PAUSE_MS))
    }

    /// Submits feedback about `about` now and then (a new id or an edit of an earlier one), until the connection is
    /// gone. Returns when it noticed. A refusal fails the test, but in the `last` cycle (the session ends).
    async fn give_until_gone(&mut self, ben: &mut Client, about: ParticipantId, cycle: usize, last: bool) -> Instant {
        (self.in_flight, self.now) = (None, Counts::default());
        let mut next = self.pause();
        loop {
            let msg = tokio::select! {
                read = read(ben) => match read {
                    Ok(Some(msg)) => msg,
                    Ok(None) => continue,
                    Err(gone) => return gone,
                },
                _ = sleep_until(next), if self.in_flight.is_none() => {
                    let n = self.submits;
                    self.submits += 1;
                    let id = format!("crash-loop-slot-{:02}", n % FEEDBACK_SLOTS);
                    let answers = answers(n, cycle);
                    self.in_flight = Some((FeedbackId(id.clone()), answers.clone()));
                    self.now.sent += 1;
                    if send(ben, &submit_feedback("coaching-feedback", &id, about, answers)).await.is_err() {
                        return Instant::now();
                    }
                    continue;
                },
            };
            match msg {
                ServerMsg::FeedbackSaved { feedback } => {
                    let (id, answers) = self.in_flight.take().expect("FeedbackSaved answers a submission");
                    assert_eq!((&feedback.id, &feedback.answers), (&id, &answers), "saved as sent");
                    self.acked.insert(id, answers);
                    self.now.acked += 1;
                    next = self.pause();
                }
                ServerMsg::FeedbackRefused { message, .. } => {
                    assert!(last, "cycle {cycle}: feedback refused: {message}");
                    self.now.refused += 1;
                    self.in_flight = None;
                    next = self.pause();
                }
                _ => {}
            }
        }
    }
}

/// The answers of GROW's "coaching-feedback" form for Ben's `n`-th submission, different each time.
fn answers(n: usize, cycle: usize) -> BTreeMap<String, Answer> {
    let mut answers = BTreeMap::from([
        (
            "situation".to_string(),
            Answer::Text(format!("Cycle {cycle}, submission {n}")),
        ),
        ("behaviour".to_string(), Answer::Text("Listened".into())),
        ("impact".to_string(), Answer::Text("Felt heard".into())),
    ]);
    for (i, field) in ["listening", "questions", "clarity"].into_iter().enumerate() {
        answers.insert(field.into(), Answer::Rating(1 + ((n + i) % 5) as i64));
    }
    answers
}

/// The next message: `None` for a frame that is not one, `Err` with the time it noticed when the connection is gone.
async fn read(client: &mut Client) -> Result<Option<ServerMsg>, Instant> {
    match client.next_frame().await {
        None | Some(Message::Close(_)) => Err(Instant::now()),
        Some(Message::Text(t)) => Ok(Some(serde_json::from_str(&t).expect("valid server message"))),
        Some(_) => Ok(None),
    }
}

/// Sends `msg` without panicking: after a kill the socket may be gone.
async fn send(client: &mut Client, msg: &ClientMsg) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    client.ws.send(Message::text(serde_json::to_string(msg).unwrap())).await
}

/// The tokens in a notes text (each ends with `>`).
fn tokens(text: &str) -> HashSet<&str> {
    text.split_inclusive('>').collect()
}

/// Every token confirmed stored before this cycle (the first `synced`) is stored, and so is every token of this
/// cycle typed over [`NOTES_GRACE`] before the kill. Returns how many of this cycle's are not stored (yet: the page
/// keeps them pending and sends them to the next relay).
async fn check_notes(
    store: &Store,
    id: &SessionId,
    cycle: usize,
    typed: &[Typed],
    synced: usize,
    killed: Instant,
) -> usize {
    let text = stored_text(store, id, SECTION).await;
    let stored = tokens(&text);
    let mut pending = 0;
    for (i, (token, at)) in typed.iter().enumerate() {
        if stored.contains(token.as_str()) {
            continue;
        }
        assert!(
            i >= synced,
            "cycle {cycle}: {token}, confirmed stored before this cycle, is gone"
        );
        let before_kill = killed.saturating_duration_since(*at);
        assert!(
            before_kill <= NOTES_GRACE,
            "cycle {cycle}: {token}, typed {before_kill:?} before the kill, was not stored"
        );
        pending += 1;
    }
    pending
}

/// The stored main room is the last acknowledged state, or the one after it when a command was unanswered at the
/// kill (committed, then killed before the broadcast). Returns the stored version.
async fn check_room(store: &Store, id: &SessionId, cycle: usize, timer: &TimerLog) -> u64 {
    let rooms = store.rooms(id).await.unwrap();
    let (_, stored) = rooms
        .into_iter()
        .find(|(room, _)| *room == RoomId::MAIN)
        .expect("the main room is stored");
    let acked = &timer.room;
    assert!(
        stored.version >= acked.version,
        "cycle {cycle}: an acknowledged timer write was lost: acknowledged {acked:?}, stored {stored:?}"
    );
    let unanswered = u64::from(timer.in_flight.is_some());
    assert!(
        stored.version <= acked.version + unanswered,
        "cycle {cycle}: stored v{} but only v{} was sent ({:?} in flight)",
        stored.version,
        acked.version + unanswered,
        timer.in_flight
    );
    if stored.version == acked.version {
        assert_eq!(
            &stored, acked,
            "cycle {cycle}: the stored room differs from the acknowledged one"
        );
    }
    stored.version
}

/// Every acknowledged feedback id is stored with its last acknowledged answers (or the ones sent after them, when
/// that submit was unanswered at the kill; those, if stored, are what later cycles expect). Returns the number of
/// rows.
async fn check_feedback(store: &Store, id: &SessionId, cycle: usize, log: &mut FeedbackLog) -> usize {
    let rows = store.feedback(id).await.unwrap();
    for (fid, answers) in &log.acked {
        let row = rows.iter().find(|f| &f.id == fid);
        let row = row.unwrap_or_else(|| panic!("cycle {cycle}: acknowledged feedback {fid:?} was lost"));
        let newer = log
            .in_flight
            .as_ref()
            .is_some_and(|(i, a)| i == fid && *a == row.answers);
        assert!(
            row.answers == *answers || newer,
            "cycle {cycle}: feedback {fid:?} stored with {:?}, acknowledged with {answers:?}",
            row.answers
        );
    }
    assert!(
        rows.len() <= FEEDBACK_SLOTS,
        "cycle {cycle}: {} feedback rows",
        rows.len()
    );
    // A submit that was stored but not yet answered at the kill is what the store now holds for its id.
    if let Some((fid, answers)) = log.in_flight.take() {
        if rows.iter().any(|f| f.id == fid && f.answers == answers) {
            log.acked.insert(fid, answers);
        }
    }
    rows.len()
}
