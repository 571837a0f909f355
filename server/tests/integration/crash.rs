//! Crash safety: kill -9 the relay right after an acknowledged submit; after a restart the row is there.

use crate::common::*;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use tandem_core::protocol::{ClientMsg, ServerMsg};
use tandem_core::session::{Answer, FeedbackDraft, FeedbackId};

/// Starts the real server binary on port 0 over `db` and returns it with its base URL.
pub(crate) fn spawn_relay(db: &TestDb) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["--addr", "127.0.0.1:0", "--database-url", &db.url()])
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("server binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines.next().expect("server prints its address").unwrap();
        if let Some(at) = line.find("running at http://") {
            let rest = &line[at + "running at ".len()..];
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

#[tokio::test]
async fn an_acknowledged_submit_survives_kill_9_every_time() {
    // Create the session with an in-process server, then hand the database to the real binary.
    let (setup, session) = TestServer::with_session("grow").await;
    let db = setup.stop_keeping_db().await;
    let rounds: usize = std::env::var("TANDEM_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);

    for round in 0..rounds {
        let (mut relay, url) = spawn_relay(&db);
        let ws = |link: &str| ws_url(&url, link);
        let (_ana, welcome) = Client::join(&ws(&session.host_link), "Ana", &key(1), Some("coach")).await;
        let ServerMsg::Welcome { you: ana, .. } = welcome else {
            unreachable!()
        };
        // GROW's feedback is given by the coachee about the coach.
        let (mut ben, _) = Client::join(&ws(&session.participant_link), "Ben", &key(2), Some("coachee")).await;
        let mut answers = BTreeMap::new();
        answers.insert("situation".into(), Answer::Text(format!("Round {round}")));
        answers.insert("behaviour".into(), Answer::Text("Listened".into()));
        answers.insert("impact".into(), Answer::Text("Felt heard".into()));
        for field in ["listening", "questions", "clarity"] {
            answers.insert(field.into(), Answer::Rating(5));
        }
        let fid = FeedbackId(format!("crash-round-{round:04}-xyz"));
        ben.send(&ClientMsg::SubmitFeedback {
            feedback: FeedbackDraft {
                id: fid.clone(),
                form: "coaching-feedback".into(),
                about: ana,
                answers,
            },
        })
        .await;
        ben.recv_until(|m| matches!(m, ServerMsg::FeedbackSaved { .. })).await;
        relay.kill().expect("SIGKILL"); // std's kill() is SIGKILL on Unix
        relay.wait().unwrap();

        let store = server::store::Store::open(&db.url()).await.unwrap();
        let rows = store.feedback(&session.id).await.unwrap();
        store.close().await;
        assert!(
            rows.iter().any(|f| f.id == fid),
            "round {round}: acknowledged feedback lost"
        );
        assert_eq!(rows.len(), round + 1, "round {round}: one row per submission");
    }
}

#[tokio::test]
async fn notes_older_than_a_second_survive_kill_9_and_pages_restore_the_rest() {
    use std::time::{Duration, Instant};
    use tandem_core::notes::NotesDoc;
    const SECTION: &str = "goal-statement";

    let (setup, session) = TestServer::with_session("grow").await;
    let db = setup.stop_keeping_db().await;
    let stored = || async {
        let store = server::store::Store::open(&db.url()).await.unwrap();
        let text = stored_text(&store, &session.id, SECTION).await;
        store.close().await;
        text
    };
    let ws = |url: &str| ws_url(url, &session.participant_link);

    let mut notes = NotesDoc::new();
    let mut typed: Vec<(String, Instant)> = Vec::new();
    for round in 0..3 {
        let (mut relay, url) = spawn_relay(&db);
        let mut page = Page::join(&ws(&url), "Ben", &key(2), notes).await;
        // Whatever the last relay lost is restored from this page's copy.
        page.until(|p| p.notes.unsynced() == 0).await;
        let everything = page.notes.text(SECTION);
        for (token, _) in &typed {
            assert!(
                everything.contains(token.as_str()),
                "round {round}: {token} never reached the relay"
            );
        }

        // Type continuously for 1.5 s, then kill -9 mid-stream.
        let started = Instant::now();
        let mut n = 0;
        while started.elapsed() < Duration::from_millis(1500) {
            let token = format!("<r{round}w{n}>");
            n += 1;
            let text = format!("{}{token}", page.notes.text(SECTION));
            page.type_text(SECTION, &text).await;
            typed.push((token, Instant::now()));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let killed = Instant::now();
        relay.kill().expect("SIGKILL");
        relay.wait().unwrap();

        let on_disk = stored().await;
        for (token, at) in &typed {
            if killed.duration_since(*at) > Duration::from_secs(1) {
                assert!(
                    on_disk.contains(token.as_str()),
                    "round {round}: {token}, typed over 1 s before the kill, was not stored"
                );
            }
        }
        notes = page.notes;
    }
    // A last relay: the page's copy completes it.
    let (mut relay, url) = spawn_relay(&db);
    let mut page = Page::join(&ws(&url), "Ben", &key(2), notes).await;
    page.until(|p| p.notes.unsynced() == 0).await;
    relay.kill().unwrap();
    relay.wait().unwrap();
    let on_disk = stored().await;
    for (token, _) in &typed {
        assert!(on_disk.contains(token.as_str()), "{token} lost");
    }
}
