//! A full disk (issue 19): with the database on a small tmpfs filled to the brim, writes are refused with a message
//! and nothing acknowledged is lost, the pages keep what they wrote, people already in the session can come back,
//! the relay keeps serving; once there is room again, everything kept on the pages is saved. A database locked by
//! another program is the same from the pages' side.
//!
//! Mounting a tmpfs needs root, as `make test` runs (README); the test says so if the mount is refused.

use crate::common::*;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use tandem_core::notes::NotesDoc;
use tandem_core::protocol::{ClientMsg, ErrorCode, ServerMsg, CLOSE_TRY_AGAIN_LATER};
use tandem_core::session::{Answer, RoomId, TimerCommand};

/// A tmpfs of `mib` MiB mounted on a fresh folder, unmounted when dropped.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(mib: u32) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("mount runs");
        assert!(status.success(), "mounting a tmpfs needs root (make test runs as root)");
        Tmpfs(dir)
    }

    fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0.path()).status();
    }
}

/// Fills the file system at `dir` until a write fails for lack of space; the file is the filler.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 16 * 1024];
    while file.write_all(&chunk).and_then(|_| file.sync_all()).is_ok() {}
    // Down to the last bytes.
    while file.write_all(&[0u8; 512]).and_then(|_| file.sync_all()).is_ok() {}
    path
}

fn answers(situation: &str) -> BTreeMap<String, Answer> {
    let mut a = BTreeMap::new();
    for (k, v) in [
        ("situation", situation),
        ("behaviour", "Listened"),
        ("impact", "Felt heard"),
    ] {
        a.insert(k.to_string(), Answer::Text(v.into()));
    }
    for field in ["listening", "questions", "clarity"] {
        a.insert(field.into(), Answer::Rating(5));
    }
    a
}

fn start() -> ClientMsg {
    ClientMsg::Timer {
        room: RoomId::MAIN,
        command: TimerCommand::Start,
    }
}

#[tokio::test]
async fn a_full_disk_refuses_writes_clearly_loses_nothing_and_recovers() {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let disk = Tmpfs::mount(16);
    let server = TestDb::new_in(disk.path()).start().await;
    let session = server.session("grow").await;
    let (mut ana, w) = server.join(&session.host_link, "Ana", 1, Some("coach")).await;
    let ana_id = you(&w);
    // Ben's feedback on Ana, sent while the disk is full and again once there is room.
    let feedback = submit_feedback("coaching-feedback", "feedback-full-00001", ana_id, answers("Full"));
    let mut ben = server.page(&session.participant_link, "Ben", 2, NotesDoc::new()).await;
    ben.client.send(&ClientMsg::SetRole { role: "coachee".into() }).await;
    ben.type_text("goal-statement", "Saved before the disk filled. ").await;
    ben.until(|p| p.notes.unsynced() == 0).await;

    let filler = fill(disk.path());

    // Notes: refused with a word, kept on the page (never confirmed while they are not stored).
    let long = format!(
        "Saved before the disk filled. {}",
        "Written while it was full. ".repeat(4000)
    );
    ben.type_text("goal-statement", &long).await;
    ben.until(|p| p.texts.iter().any(|t| t.contains("could not save the notes")))
        .await;
    assert!(ben.notes.unsynced() > 0, "nothing confirmed that was not stored");
    // A timer change and a feedback submission are refused, and say so.
    ana.send(&start()).await;
    let (code, message) = ana.error().await;
    assert_eq!(code, ErrorCode::Unavailable);
    assert!(message.contains("could not save"), "{message}");
    ben.client.send(&feedback).await;
    let refused = ben
        .client
        .recv_until(|m| matches!(m, ServerMsg::FeedbackRefused { .. }))
        .await;
    assert!(matches!(&refused, ServerMsg::FeedbackRefused { message, .. } if message.contains("It is kept here")));
    // Someone already in the session comes back (another tab): in; someone new is asked to retry.
    let (_again, welcome) = server.join(&session.host_link, "Ana", 1, Some("coach")).await;
    assert!(matches!(welcome, ServerMsg::Welcome { .. }));
    let mut cy = Client::connect(&server.ws(&session.participant_link)).await;
    cy.hello("Cy", &key(3), None).await;
    assert_eq!(cy.error().await.0, ErrorCode::Unavailable);
    assert_eq!(cy.closed().await, Some(CLOSE_TRY_AGAIN_LATER));
    // The relay itself is fine.
    assert_eq!(http_get(&format!("{}/healthz", server.url())).await.0, 200);

    // Room again: the page's text is saved, and the refused writes go through when tried again.
    std::fs::remove_file(filler).unwrap();
    ben.until(|p| p.notes.unsynced() == 0).await;
    assert_eq!(
        stored_text(&server.state.store, &session.id, "goal-statement").await,
        long
    );
    ana.send(&start()).await;
    ana.recv_until(|m| matches!(m, ServerMsg::Room { .. })).await;
    ben.client.send(&feedback).await;
    let answer = ben
        .client
        .recv_until(|m| matches!(m, ServerMsg::FeedbackSaved { .. } | ServerMsg::FeedbackRefused { .. }))
        .await;
    assert!(matches!(answer, ServerMsg::FeedbackSaved { .. }), "{answer:?}");
    assert_eq!(server.state.store.feedback(&session.id).await.unwrap().len(), 1);
}

/// A database another program holds locked (issue 19, "a locked database"): someone already in the session comes
/// back in and is told that nothing can be saved for now; someone new is asked to try again later; once the lock is
/// gone, both work. The relay waits the store's busy timeout (5 s) for each write, so the frames are slow to come.
#[tokio::test]
async fn a_locked_database_lets_known_people_back_in_and_says_so() {
    use sqlx::Connection;
    let server = TestServer::start().await;
    if server.db().is_postgres() {
        eprintln!("SQLite's busy timeout and file lock: not on PostgreSQL (whose locks wait without one)");
        return;
    }
    let session = server.session("grow").await;
    let (_ana, _) = server.join(&session.host_link, "Ana", 1, Some("coach")).await;
    let mut lock = sqlx::SqliteConnection::connect(&server.db_url()).await.unwrap();
    sqlx::query("BEGIN EXCLUSIVE").execute(&mut lock).await.unwrap();

    let patience = std::time::Duration::from_secs(20);
    let mut again = Client::connect(&server.ws(&session.host_link)).await;
    again.hello("Ana", &key(1), Some("coach")).await;
    let welcome = again
        .recv_until_within(patience, |m| matches!(m, ServerMsg::Welcome { .. }))
        .await;
    assert!(matches!(welcome, ServerMsg::Welcome { .. }));
    let notice = again
        .recv_until_within(patience, |m| matches!(m, ServerMsg::Error { .. }))
        .await;
    let ServerMsg::Error { code, message } = notice else {
        unreachable!()
    };
    assert_eq!(code, ErrorCode::Unavailable);
    assert!(message.contains("Tandem cannot save right now"), "{message}");
    let mut cy = Client::connect(&server.ws(&session.participant_link)).await;
    cy.hello("Cy", &key(3), None).await;
    let refusal = cy
        .recv_until_within(patience, |m| matches!(m, ServerMsg::Error { .. }))
        .await;
    assert!(
        matches!(
            refusal,
            ServerMsg::Error {
                code: ErrorCode::Unavailable,
                ..
            }
        ),
        "{refusal:?}"
    );
    assert_eq!(cy.closed().await, Some(CLOSE_TRY_AGAIN_LATER));

    sqlx::query("ROLLBACK").execute(&mut lock).await.unwrap();
    lock.close().await.unwrap();
    let (_cy, welcome) = server.join(&session.participant_link, "Cy", 3, None).await;
    assert!(matches!(welcome, ServerMsg::Welcome { .. }));
    assert_eq!(server.state.store.participants(&session.id).await.unwrap().len(), 2);
}
