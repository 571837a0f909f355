//! Server-rendered pages under concurrency: every response finishes, with the right status.
//!
//! A page whose data loads in a `<Suspense>` must always finish rendering: many at once, and while other servers
//! in the same process start (which once left a render waiting forever, when starting a server generated Leptos'
//! route list). Every address gives its page, with its status and `<title>` (app.rs, `Route`).

use crate::common::*;
use tandem_core::session::SessionSettings;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_session_pages_at_once_all_finish() {
    // A load test from one address: its request limit is off.
    let server = TestDb::new().start_with(|c| c.requests_per_second = 0).await;
    let session = server.session("grow").await;
    let (id, token) = parts(&session.participant_link);
    let cases: Vec<(String, u16)> = vec![
        (format!("/s/{id}?t={token}"), 200),
        (format!("/s/{id}?t=wrong"), 404),
        (format!("/s/unknown-session?t={token}"), 404),
        (format!("/s/{id}/summary?t={token}"), 200),
        (format!("/s/{id}/summary?t=wrong"), 404),
    ];
    let rounds: usize = std::env::var("TANDEM_PAGE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let mut tasks = tokio::task::JoinSet::new();
    for round in 0..rounds {
        for (path, status) in &cases {
            let (path, status, url) = (path.clone(), *status, server.url());
            tasks.spawn(async move {
                let got = http_get(&format!("{url}{path}")).await;
                (round, path, status, got)
            });
        }
        // At most ~25 requests in flight.
        while tasks.len() > 25 {
            check(tasks.join_next().await.unwrap().unwrap());
        }
    }
    while let Some(done) = tasks.join_next().await {
        check(done.unwrap());
    }
    server.stop().await;
}

fn check((round, path, status, (got_status, body)): (usize, String, u16, (u16, String))) {
    assert_eq!(got_status, status, "round {round}: {path}");
    assert!(body.contains("</html>"), "round {round}: {path}: body incomplete");
}

/// Starting a server once generated Leptos' route list, which suppresses resource loads process-wide while it runs
/// (leptos_server's `SuppressResourceLoad`). Servers started while another renders pages (tests in parallel, a
/// relay restarted in a test) must not leave that render waiting forever. (There is no route list since the app
/// has no router; the test stays as a guard.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_while_other_servers_start() {
    // As many requests as the servers take to start, from one address: its request limit is off.
    let server = TestDb::new().start_with(|c| c.requests_per_second = 0).await;
    let session = server.session("grow").await;
    let token = session.participant_token();
    let starting = tokio::spawn(async move {
        for _ in 0..30 {
            TestServer::start().await.stop().await;
        }
    });
    let mut round = 0;
    while !starting.is_finished() {
        let path = format!("/s/unknown-session?t={token}");
        let got = http_get(&format!("{}{path}", server.url())).await;
        check((round, path, 404, got));
        round += 1;
    }
    starting.await.unwrap();
    assert!(round > 0, "no page was asked for while servers started");
    server.stop().await;
}

/// Each address renders its page (no router: app.rs reads the address), with its HTTP status and its title in the
/// `<head>`, which only the server writes.
#[tokio::test]
async fn every_address_gives_its_page_status_and_title() {
    let server = TestServer::start().await;
    let goal = "Practise saying no";
    let session = server.session_with("grow", goal, SessionSettings::default()).await;
    let (id, token) = parts(&session.host_link);
    let cases = [
        (
            "/".to_string(),
            200,
            "New session · Tandem",
            "Start a peer-coaching session",
        ),
        (format!("/s/{id}?t={token}"), 200, "GROW peer coaching · Tandem", goal),
        // A percent-encoded token is the same token.
        (
            format!("/s/{id}?x=1&t=%{:02X}{}", token.as_bytes()[0], &token[1..]),
            200,
            "GROW peer coaching · Tandem",
            goal,
        ),
        (
            format!("/s/{id}?t=wrong"),
            404,
            "Link not valid · Tandem",
            "This session link is not valid",
        ),
        (
            format!("/s/{id}/summary?t={token}"),
            200,
            "Summary: Practise saying no · Tandem",
            "still running",
        ),
        (
            format!("/s/{id}/summary?t=wrong"),
            404,
            "Link not valid · Tandem",
            "This session link is not valid",
        ),
        (
            "/nowhere".to_string(),
            404,
            "Page not found · Tandem",
            "There is nothing at this address",
        ),
        (
            format!("/s/{id}/summary/extra"),
            404,
            "Page not found · Tandem",
            "There is nothing at this address",
        ),
    ];
    for (path, status, title, text) in cases {
        let (got, body) = http_get(&format!("{}{path}", server.url())).await;
        assert_eq!(got, status, "{path}");
        assert!(
            body.contains(&format!("<title>{title}</title>")),
            "{path}: no <title>{title}</title> in {body}"
        );
        assert!(body.contains(text), "{path}: {text:?} missing");
        // Every page, a problem page too, has the top bar with the way home.
        assert!(body.contains(r#"<header class="topbar""#), "{path}: no top bar");
    }
    server.stop().await;
}

/// The session page carries what its link opens as JSON for the browser to read back (no request of its own);
/// text typed by users cannot end that script element early.
#[tokio::test]
async fn the_session_page_carries_its_link_and_user_text_cannot_break_out() {
    let server = TestServer::start().await;
    let goal = "Say </script><script>alert(1)</script> out loud <!-- & mean it";
    let session = server.session_with("grow", goal, SessionSettings::default()).await;
    let (id, token) = parts(&session.host_link);
    let (status, body) = http_get(&format!("{}/s/{id}?t={token}", server.url())).await;
    assert_eq!(status, 200);
    assert!(!body.contains("<script>alert(1)"), "user text escaped the page's JSON");
    let start = body.find(r#"id="tandem-link">"#).expect("the link's script") + r#"id="tandem-link">"#.len();
    let json = &body[start..start + body[start..].find("</script>").unwrap()];
    match serde_json::from_str::<app::api::OpenedLink>(json).expect("valid JSON") {
        app::api::OpenedLink::Open(info) => {
            assert_eq!(info.session.goal, goal);
            assert_eq!(info.capability, tandem_core::session::Capability::Host);
            assert!(info.share.is_some(), "the host's page carries the links to share");
        }
        other => panic!("expected an open link, got {other:?}"),
    }
    // With a trailing slash: redirected to the page itself, query kept (the session and the summary page).
    for page in [format!("/s/{id}"), format!("/s/{id}/summary")] {
        let (status, response) = http_get(&format!("{}{page}/?t={token}", server.url())).await;
        assert_eq!(status, 308, "{page}/");
        let location = format!("location: {page}?t={token}").to_ascii_lowercase();
        assert!(response.to_ascii_lowercase().contains(&location), "{response}");
    }
    // The relay and the page read the same token from the address: the first `t`, decoded as a form.
    let (status, body) = http_get(&format!("{}/s/{id}?t={token}&t=other", server.url())).await;
    assert_eq!(status, 200);
    assert!(body.contains(goal.split(' ').next().unwrap()));
    // HEAD answers like GET (link checkers use it).
    assert_eq!(http_head(&format!("{}/s/{id}?t={token}", server.url())).await, 200);
    assert_eq!(http_head(&format!("{}/s/{id}?t=wrong", server.url())).await, 404);
    // A wrong token: the same page structure, the answer "invalid" and no session data.
    let (status, body) = http_get(&format!("{}/s/{id}?t=wrong", server.url())).await;
    assert_eq!(status, 404);
    assert!(body.contains(r#"id="tandem-link">"Invalid"</script>"#));
    assert!(
        !body.contains("alert(1)"),
        "an invalid link shows nothing of the session"
    );
    server.stop().await;
}

/// Storage failing while a session page opens: HTTP 503 and a page that says to try again (not "invalid link").
#[tokio::test]
async fn a_session_page_whose_storage_fails_answers_503_and_says_try_again() {
    let (server, session) = TestServer::with_session("grow").await;
    let (id, token) = parts(&session.participant_link);
    server.state.store.close().await;
    let (status, body) = http_get(&format!("{}/s/{id}?t={token}", server.url())).await;
    assert_eq!(status, 503);
    assert!(body.contains("This session cannot be opened right now"), "{body}");
    assert!(body.contains(r#"id="tandem-link">"Unavailable"</script>"#));
    server.stop().await;
}

/// The ready page (`/s/{id}/ready?t=HOST_TOKEN`) gives the new session's three links at an address of its own;
/// only the host token opens it, and any other link gets the same 404 page as every invalid link.
#[tokio::test]
async fn the_ready_page_opens_with_the_host_link_only() {
    let server = TestServer::start().await;
    let session = server
        .session_with("grow", "Practise saying no", SessionSettings::default())
        .await;
    let id = &session.id.0;
    let (host, participant, observer) = (
        session.host_token(),
        session.participant_token(),
        session.observer_token(),
    );

    let (status, body) = http_get(&format!("{}/s/{id}/ready?t={host}", server.url())).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<title>Your session is ready · Tandem</title>"), "{body}");
    assert!(body.contains("Practise saying no"));
    for link in [&session.participant_link, &session.host_link, &session.observer_link] {
        assert!(body.contains(&format!("value=\"{link}\"")), "{link} missing in {body}");
    }
    for token in [participant.as_str(), observer.as_str(), "wrong", ""] {
        let (status, body) = http_get(&format!("{}/s/{id}/ready?t={token}", server.url())).await;
        assert_eq!(status, 404, "token {token:?}");
        assert!(body.contains("This session link is not valid"), "token {token:?}");
        assert!(!body.contains(&host), "token {token:?}: the host token leaked");
    }
    let (status, _) = http_get(&format!("{}/s/unknown-session/ready?t={host}", server.url())).await;
    assert_eq!(status, 404);
    let (status, body) = http_get(&format!("{}/s/{id}/ready/?t={host}", server.url())).await;
    assert_eq!(status, 308, "{body}");
    assert!(body.contains(&format!("/s/{id}/ready?t={host}")), "{body}");
    server.stop().await;
}

/// Every answer (a page, a file, an error, a server function) has a strict Content-Security-Policy, forbids framing by
/// other sites and type sniffing, and keeps the link's token out of referrers. An app page's policy is in its
/// `<head>` with the response's nonce, before any script, and every inline script carries that nonce; the header
/// says what a meta tag cannot (framing). The relay's own pages and every other answer allow no inline script.
#[tokio::test]
async fn every_answer_forbids_framing_and_sniffing() {
    let server = TestServer::start().await;
    let session = server.session_with("grow", "", SessionSettings::default()).await;
    let (id, token) = parts(&session.host_link);
    let workshop = server.workshop(settings(1)).await;
    let w_token = workshop.host_link.split("?t=").nth(1).unwrap();
    let w_id = &workshop.id;
    let base = server.url();
    let mut answers = Vec::new();
    for path in [
        "/".to_string(),
        format!("/s/{id}?t={token}"),
        format!("/s/{id}/summary?t={token}"),
        format!("/s/{id}/delete?t={token}"),
        format!("/w/{w_id}/join?t={w_token}"),
        format!("/w/{w_id}/record?t={w_token}"),
        "/nowhere".into(),
        "/healthz".into(),
    ] {
        answers.push((path.clone(), http_get(&format!("{base}{path}")).await.1));
    }
    answers.push((
        "POST {}".into(),
        http_post_json(&format!("{base}/api/create_session"), "{}").await.1,
    ));
    let mut app_pages = 0;
    for (what, response) in answers {
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        // From the answer as sent (the nonce is case-sensitive).
        let header = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-security-policy: "))
            .map(|l| &l["content-security-policy: ".len()..])
            .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy in {head}"));
        for directive in ["frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"] {
            assert!(header.contains(directive), "{what}: {directive} missing in {header}");
        }
        let inline = body.matches("<script").count() - body.matches("<script type=\"application/json\"").count();
        let policy = if body.contains("<!DOCTYPE html>") && body.contains("http-equiv") {
            app_pages += 1;
            let meta = body
                .split("<meta http-equiv=\"Content-Security-Policy\" content=\"")
                .nth(1)
                .and_then(|m| m.split('"').next())
                .unwrap_or_else(|| panic!("{what}: no policy in the page's head"));
            let before_meta = body.split("http-equiv").next().unwrap_or_default();
            assert!(!before_meta.contains("<script"), "{what}: a script before the policy");
            let scripts = meta.split(';').find(|d| d.trim().starts_with("script-src")).unwrap();
            let nonce = scripts.split("'nonce-").nth(1).and_then(|n| n.split('\'').next());
            let nonce = nonce.unwrap_or_else(|| panic!("{what}: no nonce in {scripts}"));
            assert_eq!(
                body.matches(&format!("<script nonce=\"{nonce}\"")).count()
                    + body
                        .matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
                        .count(),
                inline,
                "{what}"
            );
            assert!(!header.contains("script-src"), "{what}: {header}");
            meta.to_string()
        } else {
            assert_eq!(inline, body.matches("<script src=").count(), "{what}: an inline script");
            assert!(!header.contains("nonce"), "{what}: {header}");
            header.to_string()
        };
        assert!(policy.contains("default-src 'self'"), "{what}: {policy}");
        let scripts = policy.split(';').find(|d| d.trim().starts_with("script-src")).unwrap();
        assert!(
            !scripts.contains("unsafe-inline") && !scripts.contains("'unsafe-eval'"),
            "{what}: {scripts}"
        );
        let head = head.to_ascii_lowercase();
        for header in [
            "x-frame-options: deny",
            "x-content-type-options: nosniff",
            "referrer-policy: no-referrer",
        ] {
            assert!(head.contains(header), "{what}: no {header:?} in {head}");
        }
    }
    assert_eq!(app_pages, 4, "the create, session, summary and not-found pages");
    server.stop().await;
}

/// Strict-Transport-Security only when people reach Tandem over HTTPS (over plain HTTP it would be ignored, and a
/// test server must not pin a browser to HTTPS).
#[tokio::test]
async fn answers_pin_https_only_when_the_public_url_is_https() {
    let plain = TestServer::start().await;
    let (_, head) = http_get(&format!("{}/healthz", plain.url())).await;
    assert!(
        !head.to_ascii_lowercase().contains("strict-transport-security"),
        "{head}"
    );
    let https = TestDb::new()
        .start_with(|c| c.public_url = Some("https://tandem.example".into()))
        .await;
    let (_, head) = http_get(&format!("{}/healthz", https.url())).await;
    assert!(
        head.to_ascii_lowercase()
            .contains("strict-transport-security: max-age=31536000"),
        "{head}"
    );
}
