//! A room's phase and timer: the pure, server-authoritative state machine.
//!
//! The relay owns a [`RoomState`] per room and changes it only through [`RoomState::apply`] and
//! [`RoomState::advance_due`]. Clients hold a copy and compute the remaining time locally from the deadline and their
//! estimate of the relay's clock, so nothing here ticks.

use super::ids::Millis;
use super::template::PhaseSpec;
use serde::{Deserialize, Serialize};

/// Most phase changes remembered for undo.
pub const UNDO_DEPTH: usize = 20;
/// Most time one "add time" command may add, in seconds.
pub const MAX_ADD_SECONDS: u32 = 30 * 60;
/// How long after a phase change it may be undone, in milliseconds of the relay's clock. Past it the page no longer
/// offers undo and the relay refuses it, so that a stale button cannot pull everyone back to an old phase.
pub const UNDO_WINDOW_MS: Millis = 30_000;

/// The clock of the current phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timer {
    /// Not started in this phase yet; `remaining_ms` is what the clock shows.
    Ready {
        /// Time left when started.
        remaining_ms: i64,
    },
    /// Counting down to `deadline` (relay clock). Past it, the phase is in overtime.
    Running {
        /// When the phase's time is up, in relay milliseconds.
        deadline: Millis,
    },
    /// Stopped with `remaining_ms` left (negative: stopped in overtime).
    Paused {
        /// Time left when resumed.
        remaining_ms: i64,
    },
}

impl Timer {
    /// Time left at `now`; negative in overtime.
    pub fn remaining_ms(&self, now: Millis) -> i64 {
        match *self {
            Timer::Ready { remaining_ms } | Timer::Paused { remaining_ms } => remaining_ms,
            Timer::Running { deadline } => deadline - now,
        }
    }

    /// Whether the clock is counting.
    pub fn is_running(&self) -> bool {
        matches!(self, Timer::Running { .. })
    }

    /// The same amount of time left, counting again if `running`, or held otherwise.
    fn with_remaining(remaining_ms: i64, kind: TimerKind, now: Millis) -> Timer {
        match kind {
            TimerKind::Ready => Timer::Ready { remaining_ms },
            TimerKind::Paused => Timer::Paused { remaining_ms },
            TimerKind::Running => Timer::Running {
                deadline: now + remaining_ms,
            },
        }
    }

    fn kind(&self) -> TimerKind {
        match self {
            Timer::Ready { .. } => TimerKind::Ready,
            Timer::Running { .. } => TimerKind::Running,
            Timer::Paused { .. } => TimerKind::Paused,
        }
    }
}

/// Which [`Timer`] variant, without its numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerKind {
    /// See [`Timer::Ready`].
    Ready,
    /// See [`Timer::Running`].
    Running,
    /// See [`Timer::Paused`].
    Paused,
}

/// Where a room was before a phase change, so that undo can put it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseMark {
    /// The phase left.
    pub phase: usize,
    /// Its time left at the moment of leaving.
    pub remaining_ms: i64,
    /// Whether its clock was counting, held or not started.
    pub kind: TimerKind,
}

/// A command to a room's phase and timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum TimerCommand {
    /// Start the clock of a phase that has not started.
    Start,
    /// Hold the clock.
    Pause,
    /// Count again after a pause.
    Resume,
    /// Add time to the current phase (1 min and 5 min buttons).
    AddTime {
        /// Seconds to add, 1..=[`MAX_ADD_SECONDS`].
        seconds: u32,
    },
    /// Go to the next phase. `from` is the phase the sender saw, so two people clicking at once move one phase.
    Next {
        /// The phase the sender was looking at.
        from: usize,
    },
    /// Go back one phase.
    Previous {
        /// The phase the sender was looking at.
        from: usize,
    },
    /// Jump to any phase (clicking it in the phase bar). Undoable like next and previous.
    Goto {
        /// The phase to go to.
        to: usize,
        /// The phase the sender was looking at (see [`TimerCommand::Next`]).
        from: usize,
    },
    /// Undo the last phase change, within [`UNDO_WINDOW_MS`] of it.
    Undo,
}

/// What happened to a room, for announcements and for the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomEvent {
    /// The clock started.
    Started,
    /// The clock was held.
    Paused,
    /// The clock counts again.
    Resumed,
    /// Time was added.
    TimeAdded {
        /// Seconds added.
        seconds: u32,
    },
    /// The phase changed (by next, previous, undo or auto-advance).
    PhaseChanged {
        /// Phase left.
        from: usize,
        /// Phase entered.
        to: usize,
        /// Whether this was an undo.
        undo: bool,
        /// Whether the relay advanced by itself at the deadline.
        auto: bool,
    },
}

/// Why a command was refused. The message is meant for the person who sent it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandError {
    /// Start on a running or paused clock.
    #[error("The timer has already started.")]
    AlreadyStarted,
    /// Pause on a clock that is not counting.
    #[error("The timer is not running.")]
    NotRunning,
    /// Resume on a clock that is not paused.
    #[error("The timer is not paused.")]
    NotPaused,
    /// Add time out of range.
    #[error("You can add between 1 second and 30 minutes at a time.")]
    BadAmount,
    /// Next on the last phase.
    #[error("This is the last phase.")]
    NoNextPhase,
    /// Previous on the first phase.
    #[error("This is the first phase.")]
    NoPreviousPhase,
    /// Next/previous from a phase that is no longer current: someone else moved first.
    #[error("Someone else just changed the phase.")]
    StalePhase,
    /// Undo with nothing to undo.
    #[error("There is no phase change to undo.")]
    NothingToUndo,
    /// Undo longer than [`UNDO_WINDOW_MS`] after the change.
    #[error("It is too late to undo that phase change; use Previous or the phase bar instead.")]
    UndoExpired,
    /// Go to a phase that is not in the agenda.
    #[error("There is no such phase in this agenda.")]
    NoSuchPhase,
    /// Go to the phase the room is in already.
    #[error("The session is already in this phase.")]
    SamePhase,
}

/// A room's phase and timer, with what undo and the outcome need.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomState {
    /// Index of the current phase in the agenda.
    pub phase: usize,
    /// The current phase's clock.
    pub timer: Timer,
    /// Bumped by every change; clients ignore older states.
    pub version: u64,
    /// Phase changes that undo can revert, oldest first.
    #[serde(default)]
    pub undo: Vec<PhaseMark>,
    /// Milliseconds each phase's clock has run so far (planned vs actual in the outcome).
    #[serde(default)]
    pub spent_ms: Vec<i64>,
    /// When the running clock was last accounted into `spent_ms`.
    #[serde(default)]
    pub counted_at: Option<Millis>,
    /// When the phase last changed (relay clock): undo is offered and accepted until [`UNDO_WINDOW_MS`] after it.
    /// `None` (states stored before this field existed) offers no undo.
    #[serde(default)]
    pub changed_at: Option<Millis>,
}

impl RoomState {
    /// A room at the first phase of `agenda`, clock not started.
    pub fn new(agenda: &[PhaseSpec]) -> Self {
        RoomState {
            phase: 0,
            timer: Timer::Ready {
                remaining_ms: planned_ms(agenda, 0),
            },
            version: 1,
            undo: Vec::new(),
            spent_ms: vec![0; agenda.len()],
            counted_at: None,
            changed_at: None,
        }
    }

    /// Whether this state fits `agenda` (used on load from the store and in property tests).
    pub fn is_valid_for(&self, agenda: &[PhaseSpec]) -> bool {
        self.phase < agenda.len()
            && self.spent_ms.len() == agenda.len()
            && self.undo.iter().all(|m| m.phase < agenda.len())
            && self.undo.len() <= UNDO_DEPTH
            && self.timer.is_running() == self.counted_at.is_some()
    }

    /// The phase that undo would return to at relay time `now`, while the last change is recent enough to undo.
    pub fn undo_offer(&self, now: Millis) -> Option<usize> {
        let mark = self.undo.last()?;
        let left = self.undo_window_left(now)?;
        (left > 0).then_some(mark.phase)
    }

    /// Milliseconds until the undo offer lapses at relay time `now` (≤ 0: lapsed); `None` without a timed change.
    pub fn undo_window_left(&self, now: Millis) -> Option<Millis> {
        self.changed_at.map(|at| at + UNDO_WINDOW_MS - now)
    }

    /// Applies `command` at relay time `now`, returning the new state and what happened.
    pub fn apply(
        &self,
        agenda: &[PhaseSpec],
        command: TimerCommand,
        now: Millis,
    ) -> Result<(RoomState, RoomEvent), CommandError> {
        let mut next = self.clone();
        next.account(now);
        let event = match command {
            TimerCommand::Start => match self.timer {
                Timer::Ready { remaining_ms } => {
                    next.set_timer(Timer::with_remaining(remaining_ms, TimerKind::Running, now), now);
                    RoomEvent::Started
                }
                _ => return Err(CommandError::AlreadyStarted),
            },
            TimerCommand::Pause => match self.timer {
                Timer::Running { deadline } => {
                    next.set_timer(
                        Timer::Paused {
                            remaining_ms: deadline - now,
                        },
                        now,
                    );
                    RoomEvent::Paused
                }
                _ => return Err(CommandError::NotRunning),
            },
            TimerCommand::Resume => match self.timer {
                Timer::Paused { remaining_ms } => {
                    next.set_timer(Timer::with_remaining(remaining_ms, TimerKind::Running, now), now);
                    RoomEvent::Resumed
                }
                _ => return Err(CommandError::NotPaused),
            },
            TimerCommand::AddTime { seconds } => {
                if seconds == 0 || seconds > MAX_ADD_SECONDS {
                    return Err(CommandError::BadAmount);
                }
                let add = i64::from(seconds) * 1000;
                next.timer = match self.timer {
                    Timer::Ready { remaining_ms } => Timer::Ready {
                        remaining_ms: remaining_ms + add,
                    },
                    Timer::Paused { remaining_ms } => Timer::Paused {
                        remaining_ms: remaining_ms + add,
                    },
                    Timer::Running { deadline } => Timer::Running {
                        deadline: deadline + add,
                    },
                };
                RoomEvent::TimeAdded { seconds }
            }
            TimerCommand::Next { from } => {
                if from != self.phase {
                    return Err(CommandError::StalePhase);
                }
                if self.phase + 1 >= agenda.len() {
                    return Err(CommandError::NoNextPhase);
                }
                next.change_phase(agenda, self.phase + 1, now, false)
            }
            TimerCommand::Previous { from } => {
                if from != self.phase {
                    return Err(CommandError::StalePhase);
                }
                if self.phase == 0 {
                    return Err(CommandError::NoPreviousPhase);
                }
                next.change_phase(agenda, self.phase - 1, now, false)
            }
            TimerCommand::Goto { to, from } => {
                if from != self.phase {
                    return Err(CommandError::StalePhase);
                }
                if to >= agenda.len() {
                    return Err(CommandError::NoSuchPhase);
                }
                if to == self.phase {
                    return Err(CommandError::SamePhase);
                }
                next.change_phase(agenda, to, now, false)
            }
            TimerCommand::Undo => {
                if self.undo.is_empty() {
                    return Err(CommandError::NothingToUndo);
                }
                if self.undo_offer(now).is_none() {
                    return Err(CommandError::UndoExpired);
                }
                let mark = next.undo.pop().ok_or(CommandError::NothingToUndo)?;
                let from = next.phase;
                // An undo is not itself offered for undo: the offer lasts until the next change, and a double click
                // must not move everyone back two phases.
                next.changed_at = None;
                next.phase = mark.phase;
                next.set_timer(Timer::with_remaining(mark.remaining_ms, mark.kind, now), now);
                RoomEvent::PhaseChanged {
                    from,
                    to: mark.phase,
                    undo: true,
                    auto: false,
                }
            }
        };
        next.version = self.version + 1;
        Ok((next, event))
    }

    /// With auto-advance on: if the current phase's time is up and a next phase exists, moves to it (counting).
    /// Applied repeatedly, this catches up a room whose relay was down across several deadlines.
    pub fn advance_due(&self, agenda: &[PhaseSpec], now: Millis) -> Option<(RoomState, RoomEvent)> {
        let Timer::Running { deadline } = self.timer else {
            return None;
        };
        if deadline > now || self.phase + 1 >= agenda.len() {
            return None;
        }
        let mut next = self.clone();
        // The phase ended at its deadline: account up to then and start the next one from there.
        next.account(deadline);
        let event = next.change_phase(agenda, self.phase + 1, deadline, true);
        next.version = self.version + 1;
        Some((next, event))
    }

    /// When the relay should next call [`RoomState::advance_due`], if ever.
    pub fn next_deadline(&self, agenda: &[PhaseSpec]) -> Option<Millis> {
        match self.timer {
            Timer::Running { deadline } if self.phase + 1 < agenda.len() => Some(deadline),
            _ => None,
        }
    }

    /// Time each phase has run, counting the running clock up to `now`.
    pub fn spent_at(&self, now: Millis) -> Vec<i64> {
        let mut copy = self.clone();
        copy.account(now);
        copy.spent_ms
    }

    fn account(&mut self, now: Millis) {
        if let Some(since) = self.counted_at {
            if let Some(slot) = self.spent_ms.get_mut(self.phase) {
                *slot += (now - since).max(0);
            }
            self.counted_at = Some(now.max(since));
        }
    }

    fn set_timer(&mut self, timer: Timer, now: Millis) {
        self.counted_at = timer.is_running().then_some(now);
        self.timer = timer;
    }

    fn change_phase(&mut self, agenda: &[PhaseSpec], to: usize, now: Millis, auto: bool) -> RoomEvent {
        let from = self.phase;
        let kind = self.timer.kind();
        self.undo.push(PhaseMark {
            phase: from,
            remaining_ms: self.timer.remaining_ms(now),
            kind,
        });
        if self.undo.len() > UNDO_DEPTH {
            self.undo.remove(0);
        }
        self.phase = to;
        self.changed_at = Some(now);
        // A counting clock keeps counting into the next phase; a held or unstarted one starts held.
        let next_kind = if kind == TimerKind::Running {
            TimerKind::Running
        } else {
            TimerKind::Ready
        };
        self.set_timer(Timer::with_remaining(planned_ms(agenda, to), next_kind, now), now);
        RoomEvent::PhaseChanged {
            from,
            to,
            undo: false,
            auto,
        }
    }
}

/// Planned length of phase `index` in milliseconds (0 when out of range).
pub fn planned_ms(agenda: &[PhaseSpec], index: usize) -> i64 {
    agenda.get(index).map_or(0, |p| i64::from(p.minutes) * 60_000)
}
