//! Tandem's server: the Leptos app (SSR and server functions), the live-session relay, and the store.

#![recursion_limit = "256"]

pub mod backend;
pub mod config;
pub mod error;
mod follow_up;
pub mod http;
mod kudos;
pub mod limits;
mod me;
mod me_parts;
mod me_timeline;
pub mod relay;
mod relay_pages;
mod retention;
pub mod store;
pub mod templates;
mod workshop_closing;
mod workshop_files;
mod workshop_record;
mod workshop_skills;

use app::api::BackendHandle;
use app::shell;
use axum::extract::{FromRef, State};
use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::Router;
use leptos::config::{Env, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_axum::LeptosRoutes;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::set_header::SetResponseHeaderLayer;

pub use config::Config;
use relay::{Limits, Relay};
pub(crate) use relay_pages::{relay_embed, relay_error_page, relay_page};
use store::Store;

/// Everything a request handler needs, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Leptos rendering options.
    pub leptos: LeptosOptions,
    /// The database.
    pub store: Store,
    /// Live sessions.
    pub relay: Relay,
    /// Origins a browser WebSocket may come from.
    pub allowed_origins: Arc<Vec<String>>,
    /// What the server functions call.
    pub backend: BackendHandle,
    /// HTTP timeouts.
    pub http: http::HttpLimits,
    /// Limits per client address.
    pub address_limits: Arc<limits::AddressLimits>,
    /// Whether the public URL is https (then answers carry Strict-Transport-Security).
    pub https: bool,
    /// The address people reach Tandem at (links shown to be opened elsewhere: "Use Tandem on another device").
    pub public_url: Arc<str>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

/// Start-up failures.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// A shipped template is broken.
    #[error(transparent)]
    Template(#[from] templates::TemplateError),
    /// The listener failed.
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
}

/// The Content-Security-Policy of every answer that is not one of the app's pages (see `app::content_security_policy`).
pub const DEFAULT_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The Content-Security-Policy header of the app's pages (every `text/html` answer that does not set its own): what
/// a `<meta http-equiv>` policy cannot say. The page's full policy, with its response's nonce, is in its `<head>`
/// (`app::shell`); a browser enforces both.
pub const HTML_CSP: &str = "frame-ancestors 'none'; object-src 'none'; base-uri 'none'; form-action 'self'";

/// Opens the store, loads the templates, and builds the shared state.
pub async fn build_state(config: &Config, addr: SocketAddr) -> Result<AppState, StartError> {
    let store = Store::open(&config.database_url).await?;
    // One relay on SQLite: what it left open when it stopped is closed now. With several relays on PostgreSQL, a
    // session's new owner closes that session's (`Relay::actor`).
    if store.engine() == store::Engine::Sqlite {
        store.close_open_attendance(relay::now_ms()).await?;
    }
    let templates = Arc::new(templates::load()?);
    let mut config = config.clone();
    config.addr = addr;
    let backend = backend::ServerBackend::new(store.clone(), templates, config.public_url());
    let env = match std::env::var("LEPTOS_ENV").as_deref() {
        Ok("PROD") | Ok("prod") | Ok("production") => Env::PROD,
        _ => Env::DEV,
    };
    let leptos = LeptosOptions::builder()
        .output_name("tandem")
        .site_root(config.site_root.clone())
        .site_addr(addr)
        .env(env)
        .build();
    Ok(AppState {
        leptos,
        relay: Relay::new(
            store.clone(),
            Limits::default(),
            std::time::Duration::from_secs(config.lease_secs.max(1)),
        ),
        store,
        allowed_origins: Arc::new(config.allowed_origins()),
        backend: BackendHandle(Arc::new(backend)),
        address_limits: limits::AddressLimits::new(config.address_quotas()),
        https: config.public_url().starts_with("https://"),
        public_url: config.public_url().into(),
        http: http::HttpLimits {
            header_read: std::time::Duration::from_secs(config.http_timeout_secs.max(1)),
            shutdown: std::time::Duration::from_secs(config.shutdown_secs),
            handshakes: config.handshakes,
        },
    })
}

/// The whole HTTP surface: pages, server functions, static files, the session socket.
pub fn router(state: AppState) -> Router {
    let backend = state.backend.clone();
    let context = move || provide_context(backend.clone());
    let options = state.leptos.clone();
    let document = move || shell(options.clone());
    // The pages (app.rs, `Route`). The session and summary pages render whole before they are sent (their HTTP
    // status depends on what they find); the create page streams. Any other address reaches the fallback, which
    // serves the site's files and renders the "Page not found" page for the rest.
    let streamed = leptos_axum::render_app_to_stream_with_context(context.clone(), document.clone());
    let whole = leptos_axum::render_app_async_with_context(context.clone(), document.clone());
    Router::new()
        .route("/", get(streamed))
        .route("/s/{session}", get(whole.clone()))
        .route("/s/{session}/summary", get(whole.clone()))
        .route("/s/{session}/ready", get(whole.clone()))
        .route("/w/{workshop}", get(whole))
        // With no page listed, this registers the server functions only (and starts the executor Leptos spawns
        // its tasks on).
        .leptos_routes_with_context(&state, Vec::new(), context.clone(), document)
        .route("/ws/{session}", get(relay::socket))
        .route("/yjs/{session}", get(relay::notes_socket))
        .route("/ws/w/{workshop}", get(relay::workshop_socket))
        .route("/healthz", get(healthz))
        .route("/me", get(me::me_page).post(me::me_history))
        .route(
            "/s/{session}/follow-up",
            get(follow_up::follow_up_page).post(follow_up::follow_up),
        )
        .route("/s/{session}/kudos", get(kudos::kudos_page).post(kudos::kudos))
        .route("/me/search", post(me::me_search))
        .route("/me/commitment", post(me_parts::me_tick))
        .route("/me/export", post(me_parts::me_export))
        .route("/me/forget", post(me_parts::me_forget))
        .route("/s/{session}/summary.md", get(summary_markdown))
        .route("/w/{workshop}/record.md", get(workshop_files::record_markdown_file))
        .route("/w/{workshop}/record", get(workshop_record::record_page))
        .route("/w/{workshop}/person", post(workshop_files::link_person))
        .route("/w/{workshop}/join", get(workshop_files::join_screen))
        .route(
            "/s/{session}/delete",
            get(retention::confirm_page).post(retention::delete),
        )
        .route("/w/{workshop}/qr.svg", get(workshop_files::qr))
        .route("/w/{workshop}/times.svg", get(workshop_files::times))
        .route("/w/{workshop}/skills.svg", get(workshop_files::skills))
        .route(
            "/w/{workshop}/closing",
            get(workshop_closing::closing_page).post(workshop_closing::closing_form),
        )
        .route(
            "/w/{workshop}/skills",
            get(workshop_skills::skills_page).post(workshop_skills::skills_form),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            context, shell,
        ))
        // After the fallback, so that it also sees `/s/{id}/`, which would reach the app through the fallback.
        .layer(axum::middleware::from_fn_with_state(state.clone(), open_session_link))
        .layer(axum::middleware::from_fn(unreadable_request))
        // A request body (a server function's arguments) must arrive within the HTTP timeout.
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            state.http.header_read,
        ))
        // Pages, server-function answers and the Markdown export are compressed as they are sent (brotli or gzip,
        // as the browser accepts); the site's files are stored compressed already, and socket upgrades have no
        // content type, so neither is touched.
        .layer(tower_http::compression::CompressionLayer::new().compress_when(SizeAbove::new(256).and(compressible)))
        // The site's files are sent as stored .br or .gz when the browser accepts it (.ci/precompress): caches must
        // key them by Accept-Encoding. tower-http's `ServeDir` does not say so itself.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::VARY,
            HeaderValue::from_static("accept-encoding"),
        ))
        // Links carry their token in the query string: never send it to other sites.
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        // No page of Tandem's may be framed by another site (clickjacking a host's controls), and no file is
        // read as another type than the one it is sent as. The app's pages carry their policy, with their
        // response's nonce, in their `<head>` and get `HTML_CSP` for what a meta tag cannot say; the relay's own
        // pages set `DEFAULT_CSP`; every other answer gets `DEFAULT_CSP`, which allows no inline script at all.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            |response: &axum::response::Response| {
                let html = response
                    .headers()
                    .get(header::CONTENT_TYPE)
                    .and_then(|t| t.to_str().ok())
                    .is_some_and(|t| t.starts_with("text/html"));
                Some(HeaderValue::from_static(if html { HTML_CSP } else { DEFAULT_CSP }))
            },
        ))
        // Browsers that reached Tandem over HTTPS keep using HTTPS for a year.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            {
                let hsts = state.https.then(|| HeaderValue::from_static("max-age=31536000"));
                move |_: &axum::response::Response| hsts.clone()
            },
        ))
        // Unless the answer says otherwise (a relay page's part that Tandem's own pages frame: `relay_embed`).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // First of all: a client over its address's limits is answered 429 before anything else runs.
        .layer(axum::middleware::from_fn_with_state(
            state.address_limits.clone(),
            limits::per_address,
        ))
        .with_state(state)
}

/// Whether a response is compressed on the way out (with more than 256 bytes): HTML, JSON and Markdown; the rest
/// is either stored compressed or not worth it.
fn compressible(
    _status: axum::http::StatusCode,
    _version: axum::http::Version,
    headers: &axum::http::HeaderMap,
    _extensions: &axum::http::Extensions,
) -> bool {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    ["text/html", "application/json", "text/markdown"]
        .iter()
        .any(|t| content_type.starts_with(t))
}

/// Before the session page (`GET /s/{id}?t=TOKEN`, or `HEAD`) or the ready page (`/s/{id}/ready?t=HOST_TOKEN`)
/// renders, looks its link up and leaves the answer ([`app::api::OpenedLink`]) in the request's extensions, where
/// the page reads it synchronously. `/s/{id}/`, `/s/{id}/summary/` and `/s/{id}/ready/` are redirected to the
/// address without the slash.
async fn open_session_link(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use app::api::{BackendError, OpenedLink};
    use app::Route;
    use axum::http::Method;
    use axum::response::IntoResponse;
    let is_page = matches!(*request.method(), Method::GET | Method::HEAD);
    let path = request.uri().path();
    if is_page && path.starts_with("/w/") {
        if let Route::Workshop { id, token } = Route::parse(path, request.uri().query().unwrap_or_default()) {
            let opened = match state.backend.0.open_workshop(id, token).await {
                Ok(link) => app::api::OpenedWorkshop::Open(Box::new(link)),
                Err(BackendError::Unavailable) => app::api::OpenedWorkshop::Unavailable,
                Err(_) => app::api::OpenedWorkshop::Invalid,
            };
            request.extensions_mut().insert(opened);
        }
        return next.run(request).await;
    }
    if !is_page || !path.starts_with("/s/") {
        return next.run(request).await;
    }
    let query = request.uri().query().unwrap_or_default();
    // `/s/{id}/` and `/s/{id}/summary/`: the page itself, query kept.
    if let Some(page) = path.strip_suffix('/') {
        if matches!(
            Route::parse(page, ""),
            Route::Session { .. } | Route::Summary { .. } | Route::Ready { .. }
        ) {
            let query = if query.is_empty() {
                String::new()
            } else {
                format!("?{query}")
            };
            return axum::response::Redirect::permanent(&format!("{page}{query}")).into_response();
        }
    }
    // The page reads its address with the same function (app.rs), so both see the same token.
    // The ready page opens with the host token only; any other link is as invalid as an unknown one.
    let (session, token, host_only) = match Route::parse(path, query) {
        Route::Session { id, token } => (id, token, false),
        Route::Ready { id, token } => (id, token, true),
        _ => return next.run(request).await,
    };
    let opened = match state.backend.0.open_link(session, token).await {
        Ok(info) if host_only && info.capability != tandem_core::session::Capability::Host => OpenedLink::Invalid,
        Ok(info) => OpenedLink::Open(Box::new(info)),
        Err(BackendError::Unavailable) => OpenedLink::Unavailable,
        Err(BackendError::NotFound | BackendError::Invalid(_)) => OpenedLink::Invalid,
    };
    request.extensions_mut().insert(opened);
    next.run(request).await
}

/// Longest server-function error answer [`unreadable_request`] reads back (they are one sentence).
const MAX_ERROR_BODY: usize = 64 * 1024;

/// A server function (`/api/…`) that could not read its arguments (a body that is not JSON, or not the request it
/// takes: `{}` to `create_session`) is the caller's mistake, not the server's: server_fn answers it with 500, this
/// turns it into 400 with a sentence saying so. Errors the functions raise themselves set their own status.
async fn unreadable_request(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let is_api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !is_api || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BODY).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "Tandem ran into an error.").into_response();
    };
    // server_fn writes its errors as "Kind|message" (server_fn::error::ServerFnErrorEncoding); on the server,
    // reading the arguments fails as `Deserialization` (the body's JSON), `Args` or `MissingArg` (a form).
    let text = String::from_utf8_lossy(&bytes);
    let detail = ["Deserialization|", "Args|", "MissingArg|"]
        .iter()
        .find_map(|kind| text.strip_prefix(kind))
        .map(str::to_string);
    match detail {
        Some(detail) => {
            let mut response = format!(
                "ServerError|This request could not be read, so nothing was created or changed ({detail}). \
                 Reload the page and try again."
            )
            .into_response();
            *response.status_mut() = StatusCode::BAD_REQUEST;
            response
        }
        None => axum::response::Response::from_parts(parts, axum::body::Body::from(bytes)),
    }
}

/// Query of the Markdown export: the link's token and, optionally, the browser key that identifies the viewer.
#[derive(serde::Deserialize)]
struct ExportQuery {
    #[serde(default)]
    t: String,
    #[serde(default)]
    k: Option<String>,
}

/// `GET /s/{id}/summary.md?t=TOKEN&k=KEY`: the summary as a Markdown download.
async fn summary_markdown(
    axum::extract::State(state): axum::extract::State<AppState>,
    axum::extract::Path(session): axum::extract::Path<String>,
    axum::extract::Query(query): axum::extract::Query<ExportQuery>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match state.backend.0.summary(session.clone(), query.t, query.k).await {
        Ok(summary) => {
            let kudos = kudos::summary_markdown(&state, &summary).await;
            let date = summary
                .ended_at
                .map(|at| tandem_core::session::summary::format_utc(at)[..10].to_string());
            let file = format!(
                "tandem-{}-{}.md",
                summary.session.template_id,
                date.unwrap_or_else(|| session.clone())
            );
            (
                [
                    (header::CONTENT_TYPE, "text/markdown; charset=utf-8".to_string()),
                    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")),
                ],
                summary.to_markdown() + &kudos,
            )
                .into_response()
        }
        Err(app::api::BackendError::NotFound) => error::AppError::InvalidLink.into_response(),
        Err(e) => (axum::http::StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}

/// The load balancer's health check: 503 while the relay drains (`--drain-seconds`), so it sends new connections to
/// another relay.
async fn healthz(State(state): State<AppState>) -> (axum::http::StatusCode, &'static str) {
    if state.relay.is_draining() {
        (axum::http::StatusCode::SERVICE_UNAVAILABLE, "draining")
    } else {
        (axum::http::StatusCode::OK, "ok")
    }
}

/// A server running in this process (tests and `main`).
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The shared state (tests peek at the store and relay).
    pub state: AppState,
    stop: tokio::sync::oneshot::Sender<()>,
    task: JoinHandle<Result<(), std::io::Error>>,
}

impl Running {
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops gracefully: live sockets are told the relay restarts, then the store is closed.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
        // Session actors flush their notes as they stop (the write in flight, then one more, each bounded by
        // SQLite's 5 s busy timeout and the store's 50 ms of gathering); wait for them, bounded, before closing the
        // store.
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(12);
        while self.state.relay.live_sessions() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        // With several relays: the others may take this one's sessions at once.
        if let Some(leases) = self.state.relay.leases() {
            leases.release_all().await;
        }
        self.state.store.close().await;
    }
}

/// Serves on `listener` until `shutdown` resolves; the caller owns the listener, so tests bind port 0.
pub async fn launch_with_listener(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Running, StartError> {
    let addr = listener.local_addr()?;
    let state = build_state(&config, addr).await?;
    let app = router(state.clone());
    let relay = state.relay.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let limits = state.http;
    // The leases of the sessions this relay runs, with several relays (PostgreSQL), are renewed until it stops.
    if let Some(leases) = state.relay.leases() {
        tokio::spawn(leases.clone().renew_until(state.relay.stopping_signal()));
    }
    // The relay notes it is alive: after a crash, attendance ends when it was last known alive (SQLite: one relay).
    let store = state.store.clone();
    let mut stopping = state.relay.stopping_signal();
    let one_relay = store.engine() == store::Engine::Sqlite;
    tokio::spawn(async move {
        if !one_relay {
            return;
        }
        let mut every = tokio::time::interval(store::HEARTBEAT);
        loop {
            tokio::select! {
                _ = every.tick() => {}
                _ = stopping.wait_for(|stop| *stop) => break,
            }
            if let Err(e) = store.heartbeat(relay::now_ms()).await {
                tracing::warn!(error = %e, "could not note the heartbeat");
            }
        }
    });
    tokio::spawn(retention::sweep_daily(state.relay.clone(), config.retention_days));
    // The rate limiters keep an entry per address: forget those that are back to a full quota, now and then.
    let address_limits = Arc::downgrade(&state.address_limits);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            every.tick().await;
            match address_limits.upgrade() {
                Some(limits) => limits.forget_idle(),
                None => break,
            }
        }
    });
    let drain = std::time::Duration::from_secs(config.drain_secs);
    let task = tokio::spawn(http::serve(listener, app, limits, async move {
        tokio::select! {
            _ = shutdown => {
                // SIGTERM: the load balancer is told first, and given time to send new connections elsewhere.
                if !drain.is_zero() {
                    tracing::info!(seconds = drain.as_secs(), "draining");
                    relay.drain();
                    tokio::time::sleep(drain).await;
                }
            }
            _ = stopped => {}
        }
        relay.shut_down();
    }));
    Ok(Running {
        addr,
        state,
        stop,
        task,
    })
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
