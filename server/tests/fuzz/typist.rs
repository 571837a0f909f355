//! Two honest people in the attacked session, each typing into a section of their own the whole time (a token
//! appended, the oldest dropped once there are enough, so the text stays small however long the run). At the end
//! each page must show the other's section exactly as its author has it, and all of their own edits confirmed as
//! stored. Each of an author's updates builds on the one before (yrs integrates nothing past a missing one), so the
//! last text arriving whole means every edit before it arrived too.

use crate::common::{Page, Session, TestServer};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tandem_core::notes::NotesDoc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Tokens kept in a section; older ones are deleted as new ones are typed.
const WINDOW: usize = 40;
/// One edit (and one ping, to read everything the relay sent meanwhile) this often: under the relay's 50 JSON
/// messages a second.
const EVERY: Duration = Duration::from_millis(30);

/// A page that types until told to stop.
struct Typist {
    page: Page,
    section: &'static str,
    text: String,
    edits: usize,
    /// The longest wait for the relay's answer to a ping (everything sent before it read).
    slowest: Duration,
}

/// The two typists, running.
pub struct Typists {
    stop: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<Typist>>,
}

impl Typists {
    /// Ana (host link) types into the goal, Ben (participant link) into the reality check, from now on.
    pub async fn start(server: &TestServer, session: &Session) -> Typists {
        let stop = Arc::new(AtomicBool::new(false));
        let ana = server.page(&session.host_link, "Ana", 1, NotesDoc::new()).await;
        let ben = server.page(&session.participant_link, "Ben", 2, NotesDoc::new()).await;
        let tasks = [(ana, "goal-statement", "a"), (ben, "reality-facts", "b")]
            .into_iter()
            .map(|(page, section, who)| {
                let typist = Typist {
                    page,
                    section,
                    text: String::new(),
                    edits: 0,
                    slowest: Duration::ZERO,
                };
                tokio::spawn(typist.run(who, stop.clone()))
            })
            .collect();
        Typists { stop, tasks }
    }

    /// Stops typing, then waits (bounded) until each page has the other's last text and its own edits are stored.
    /// Returns each typist's number of edits and longest round trip, or what went wrong.
    pub async fn finish(self) -> Result<Vec<(usize, Duration)>, String> {
        self.stop.store(true, Ordering::SeqCst);
        let mut typists = Vec::new();
        for task in self.tasks {
            // A page whose connection the relay closed, or that waited more than 5 s for it, panicked (the harness's
            // `Page` does): the panic was printed, and counted.
            typists.push(task.await.map_err(|e| format!("a typist stopped: {e}"))?);
        }
        let wanted: Vec<(&str, String)> = typists.iter().map(|t| (t.section, t.text.clone())).collect();
        for t in &mut typists {
            let converged =
                |p: &Page| p.notes.unsynced() == 0 && wanted.iter().all(|(s, text)| p.notes.text(s) == *text);
            if tokio::time::timeout(Duration::from_secs(10), t.page.until(converged))
                .await
                .is_err()
            {
                let texts: Vec<String> = wanted.iter().map(|(s, _)| t.page.notes.text(s)).collect();
                let unsynced = t.page.notes.unsynced();
                return Err(format!(
                    "{}: {unsynced} edits unconfirmed; sections {texts:?}, wanted {wanted:?}",
                    t.section
                ));
            }
        }
        Ok(typists.iter().map(|t| (t.edits, t.slowest)).collect())
    }
}

impl Typist {
    /// Types a token, then reads everything up to the answer to a ping, until `stop`.
    async fn run(mut self, who: &'static str, stop: Arc<AtomicBool>) -> Typist {
        let mut tick = tokio::time::interval(EVERY);
        while !stop.load(Ordering::SeqCst) {
            tick.tick().await;
            let mut tokens: Vec<String> = self.text.split_whitespace().map(String::from).collect();
            tokens.push(format!("{who}{}", self.edits));
            let skip = tokens.len().saturating_sub(WINDOW);
            self.text = tokens[skip..].join(" ");
            self.page.type_text(self.section, &self.text).await;
            self.edits += 1;
            let asked = Instant::now();
            self.page.round_trip().await;
            self.slowest = self.slowest.max(asked.elapsed());
        }
        self
    }
}
