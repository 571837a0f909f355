//! Crash safety: kill -9 the relay right after an acknowledged submit; after a restart the row is there.

mod common;

use app::protocol::{ClientMsg, ServerMsg};
use app::session::{Answer, FeedbackDraft, FeedbackId, SessionId, SessionSettings};
use common::*;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Starts the real server binary on port 0 over `db` and returns it with its base URL.
fn spawn_relay(db: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--database-url",
            &format!("sqlite://{}", db.display()),
        ])
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
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    // Create the session with an in-process server, then hand the database to the real binary.
    let setup = start(&db).await;
    let links = create(&setup, SessionSettings::default()).await;
    setup.stop().await;
    let (id, _) = parts(&links.host_link);
    let rounds: usize = std::env::var("TANDEM_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);

    for round in 0..rounds {
        let (mut relay, url) = spawn_relay(&db);
        let ws = |link: &str| {
            let (id, token) = parts(link);
            format!("{}/ws/{id}?t={token}", url.replace("http://", "ws://"))
        };
        let (_ana, welcome) = Client::join(&ws(&links.host_link), "Ana", &key(1), None).await;
        let ServerMsg::Welcome { you: ana, .. } = welcome else {
            unreachable!()
        };
        let (mut ben, _) = Client::join(&ws(&links.participant_link), "Ben", &key(2), None).await;
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

        let store = server::store::Store::open(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        let rows = store.feedback(&SessionId(id.clone())).await.unwrap();
        store.close().await;
        assert!(
            rows.iter().any(|f| f.id == fid),
            "round {round}: acknowledged feedback lost"
        );
        assert_eq!(rows.len(), round + 1, "round {round}: one row per submission");
    }
}
