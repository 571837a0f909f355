//! "Your history" under load (issue 18): `/me` for a person with 500 sessions and 2,000 commitments, and a search
//! over 10,000 sessions' notes, against a real relay on a SQLite file. Prints p50/p99; `make bench` runs it
//! (`BENCH_PARTS=history`), docs/performance.md quotes the figures. Not a test: timings belong here.
//!
//! The database is seeded in one transaction with plain SQL (through the store's own migrations first): 10,000
//! ended sessions of two people each, with a goal, a notes section of 60 words drawn from a 3,000-word vocabulary
//! (a few words common, most rare) and, for the measured person's 500, four commitments and a rated feedback each.

use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};
use tandem_core::session::{
    FieldKind, FormField, FormSpec, NoteSection, ParticipantKey, PhaseSpec, SessionId, SessionSettings, SessionSpec,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SESSIONS: usize = 10_000;
const MINE_EVERY: usize = 20;
const KEY: &str = "bench-personal-key-0123456789";

fn spec(id: &str, at: i64) -> SessionSpec {
    SessionSpec {
        id: SessionId(id.into()),
        template_id: "grow".into(),
        template_name: "GROW peer coaching".into(),
        goal: String::new(),
        roles: vec![],
        phases: vec![PhaseSpec {
            title: "Goal".into(),
            minutes: 10,
            prompt: String::new(),
            questions: vec![],
            notes: vec![NoteSection {
                id: "goal-statement".into(),
                title: "Goal statement".into(),
                hint: String::new(),
                private: false,
            }],
            form: Some("fb".into()),
            lead_role: None,
        }],
        forms: vec![FormSpec {
            id: "fb".into(),
            title: "Feedback".into(),
            givers: vec![],
            about: vec![],
            receiver_note: String::new(),
            fields: ["Listening", "Powerful questions", "Clarity"]
                .iter()
                .map(|label| FormField {
                    id: label.to_lowercase().replace(' ', "-"),
                    label: label.to_string(),
                    help: String::new(),
                    example: String::new(),
                    required: false,
                    kind: FieldKind::Rating,
                })
                .collect(),
        }],
        settings: SessionSettings::default(),
        created_at: at,
        end_after_last_phase: false,
    }
}

/// A made-up word: the same number, the same word.
fn word(n: usize) -> String {
    const SYLLABLES: [&str; 16] = [
        "ka", "lo", "mer", "tin", "sa", "ve", "ro", "dun", "pe", "li", "gor", "an", "ste", "qui", "ba", "zel",
    ];
    let mut w = String::new();
    let mut n = n + 17;
    while n > 0 {
        w.push_str(SYLLABLES[n % 16]);
        n /= 16;
    }
    w
}

async fn seed(url: &str) -> (usize, usize) {
    // The relay's own migrations, then a plain pool for the bulk insert.
    server::store::Store::open(url).await.expect("store").close().await;
    let pool = sqlx::SqlitePool::connect(url).await.expect("pool");
    let mut tx = pool.begin().await.expect("begin");
    let mut rng = rand::rngs::StdRng::seed_from_u64(18);
    let person = server::store::person_hash(&ParticipantKey(KEY.into()));
    let base: i64 = 1_750_000_000_000;
    let (mut mine, mut commitments) = (0, 0);
    for i in 0..SESSIONS {
        let id = format!("bench{i:05}");
        let at = base + i as i64 * 3_600_000;
        let mut s = spec(&id, at);
        s.goal = format!(
            "Practise {} with {}",
            word(rng.gen_range(0..300)),
            word(rng.gen_range(0..3000))
        );
        sqlx::query(
            "INSERT INTO sessions (id, created_at, template_id, spec, participant_token, host_token, observer_token, \
             ended_at) VALUES (?, ?, 'grow', ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(at)
        .bind(serde_json::to_string(&s).unwrap())
        .bind(format!("{id}p"))
        .bind(format!("{id}h"))
        .bind(format!("{id}o"))
        .bind(at + 2_700_000)
        .execute(&mut *tx)
        .await
        .unwrap();
        for (pid, name) in [(1, "Ana"), (2, "Ben")] {
            sqlx::query(
                "INSERT INTO participants (session_id, id, key, name, role, capability, joined_at) \
                 VALUES (?, ?, ?, ?, NULL, 'participant', ?)",
            )
            .bind(&id)
            .bind(pid)
            .bind(format!("{id}-key-{pid}-0123456789"))
            .bind(name)
            .bind(at)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        // 60 words, a few of them common (the vocabulary's first 50 come up often).
        let notes: Vec<String> = (0..60)
            .map(|_| {
                let n = if rng.gen_bool(0.3) {
                    rng.gen_range(0..50)
                } else {
                    rng.gen_range(0..3000)
                };
                word(n)
            })
            .collect();
        sqlx::query("INSERT INTO search_texts (session_id, kind, ref, body) VALUES (?, 'note', 'goal-statement', ?)")
            .bind(&id)
            .bind(notes.join(" "))
            .execute(&mut *tx)
            .await
            .unwrap();
        if i % MINE_EVERY != 0 {
            continue;
        }
        mine += 1;
        sqlx::query(
            "INSERT INTO person_participants (person, session_id, participant_id, linked_at) VALUES (?, ?, 1, ?)",
        )
        .bind(&person)
        .bind(&id)
        .bind(at)
        .execute(&mut *tx)
        .await
        .unwrap();
        for c in 0..4 {
            commitments += 1;
            sqlx::query(
                "INSERT INTO commitments (session_id, id, text, owner, due, done, created_at, updated_at) \
                 VALUES (?, ?, ?, 1, ?, ?, ?, ?)",
            )
            .bind(&id)
            .bind(format!("c{c}-{id}"))
            .bind(format!("Follow up on {}", word(rng.gen_range(0..3000))))
            .bind(format!("2026-{:02}-{:02}", 1 + c * 3, 1 + i % 28))
            .bind(c % 2 == 0)
            .bind(at)
            .bind(at)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        let answers = format!(
            r#"{{"listening":{},"powerful-questions":{},"clarity":{}}}"#,
            rng.gen_range(1..=5),
            rng.gen_range(1..=5),
            rng.gen_range(1..=5)
        );
        sqlx::query(
            "INSERT INTO feedback (id, session_id, from_id, about_id, form_id, answers, shared_with_host, submitted_at) \
             VALUES (?, ?, 2, 1, 'fb', ?, 0, ?)",
        )
        .bind(format!("f-{id}"))
        .bind(&id)
        .bind(answers)
        .bind(at)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    pool.close().await;
    (mine, commitments)
}

/// One form POST over a fresh connection, as a browser sends it (accepting brotli): status and response bytes.
async fn post(addr: std::net::SocketAddr, path: &str, body: &str) -> (u16, usize) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Accept-Encoding: gzip, deflate, br\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let status = std::str::from_utf8(&response[9..12]).unwrap().parse().unwrap();
    (status, response.len())
}

fn report(what: &str, mut times: Vec<Duration>, bytes: usize) {
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1].as_secs_f64() * 1e3;
    println!(
        "{what}: p50 {:.1} ms, p99 {:.1} ms, slowest {:.1} ms ({} requests, {bytes} bytes sent each)",
        at(0.5),
        at(0.99),
        at(1.0),
        times.len()
    );
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/history.db", dir.path().display());
    let started = Instant::now();
    let (mine, commitments) = seed(&url).await;
    println!(
        "seeded {SESSIONS} sessions (the person's: {mine}, with {commitments} commitments) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let config = server::config::Config {
        database_url: url,
        ..<server::config::Config as clap::Parser>::parse_from(["tandem", "--addr", "127.0.0.1:0"])
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = server::launch_with_listener(config, listener, std::future::pending())
        .await
        .unwrap();
    let addr = running.addr;
    let me = format!("k={KEY}");
    // Warm up (SQLite's page cache, the first connections).
    for _ in 0..5 {
        assert_eq!(post(addr, "/me", &me).await.0, 200);
    }
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..100 {
        let start = Instant::now();
        let (status, size) = post(addr, "/me", &me).await;
        times.push(start.elapsed());
        assert_eq!(status, 200);
        bytes = size;
    }
    report(
        &format!("/me, {mine} sessions and {commitments} commitments"),
        times,
        bytes,
    );
    for (what, words) in [
        ("a common word", word(3)),
        ("a rare word", word(2999)),
        ("two words, prefix", format!("{} {}", word(7), &word(40)[..3])),
    ] {
        let body = format!("k={KEY}&q={}", words.replace(' ', "+"));
        let mut times = Vec::new();
        let mut bytes = 0;
        for _ in 0..200 {
            let start = Instant::now();
            let (status, size) = post(addr, "/me/search", &body).await;
            times.push(start.elapsed());
            assert_eq!(status, 200);
            bytes = size;
        }
        report(
            &format!("search over {SESSIONS} sessions' notes, {what} (\"{words}\")"),
            times,
            bytes,
        );
    }
    running.stop().await;
}
