//! The server's integration tests, in one test binary (one link of the server and Leptos instead of one per file):
//! a real server on 127.0.0.1:0 over a SQLite file, tokio-tungstenite clients, and the server binary itself where a
//! test kills it (crash). One module per area; the fixture is in `common` (`TestServer::with_session`).

mod common;

mod abuse;
mod bad_input;
mod closing_page;
mod cluster;
mod crash;
mod crash_loop;
mod feedback;
mod form_roles;
mod history;
mod history_workshops;
mod http_limits;
mod kudos;
mod limits;
mod live_session;
mod multi_relay;
mod notes;
mod page_notes;
mod pages;
mod private_notes;
mod retention;
mod roles;
mod skills_page;
mod slow_client;
mod storage_full;
mod workshop;
mod workshop_files;
mod workshop_skills;
