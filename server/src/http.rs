//! The HTTP server loop. `axum::serve` builds hyper without a timer, so it has no timeouts: a client that sends its
//! headers one byte a minute (slowloris) holds a socket forever, and a graceful shutdown waits for every connection
//! without a limit. This loop is the same hyper HTTP/1 server with a timer, a header read timeout (which also ends
//! idle keep-alive connections), and a bounded graceful shutdown; request bodies get their timeout from
//! `tower_http`'s `RequestBodyTimeoutLayer` in the router. WebSocket upgrades leave hyper's hands: the relay closes
//! them on shutdown.
//!
//! The loop also bounds how many connections are in their handshake at once (`HttpLimits::handshakes`). A burst of
//! thousands of new connections otherwise allocates all their request buffers and upgrades together; they are freed
//! a moment later, but between the long-lived allocations of the same connections, so the allocator keeps the memory
//! (docs/performance.md, "Connect storms"). A waiting connection costs only its socket: the kernel
//! holds its request. A connection takes a place once its first bytes arrive, and gives it up as soon as hyper is
//! done with it (answered and closed, or upgraded to a WebSocket) and after `HANDSHAKE_SLICE` in any case: a client
//! that sends slowly or keeps an HTTP connection alive holds a place for a quarter of a second at most, so slow
//! clients have to open more than 4 × `handshakes` connections a second to make the others queue. A connection whose
//! first bytes do not arrive within the header timeout is closed, as a client that sends its headers too slowly is;
//! the wait for a place that follows has its own, longer bound (`HANDSHAKE_WAIT`): it measures how busy the relay
//! is, not how slow the client.

use axum::extract::connect_info::IntoMakeServiceWithConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::Service;

/// How the loop treats connections.
#[derive(Clone, Copy, Debug)]
pub struct HttpLimits {
    /// Time a client has to send a request's headers, and that an idle keep-alive connection is kept.
    pub header_read: Duration,
    /// Time open requests get to finish once a shutdown starts; then their connections are closed.
    pub shutdown: Duration,
    /// Connections that may be in their handshake at once; 0 for no bound.
    pub handshakes: usize,
}

/// The longest a connection holds its place among the handshakes in flight.
const HANDSHAKE_SLICE: Duration = Duration::from_millis(250);

/// The longest a connection whose first bytes arrived waits for a place. Waiting is the relay's doing, not the
/// client's (places are served in order, and none is held longer than `HANDSHAKE_SLICE`), so the header timeout does
/// not apply to it: a storm of 5,000 page connections keeps the relay busy with their joins for about 13 s on two
/// cores, and the last ones must still get in. This bound only keeps sockets from piling up without end.
const HANDSHAKE_WAIT: Duration = Duration::from_secs(60);

/// Serves `app` on `listener` until `shutdown` resolves, then gives open requests at most `limits.shutdown` to
/// finish. Handlers see the peer address as `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut make: IntoMakeServiceWithConnectInfo<Router, SocketAddr> =
        app.into_make_service_with_connect_info::<SocketAddr>();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read);
    // Each connection's task holds a sender: once all are gone, every connection has ended.
    let (open, mut all_closed) = tokio::sync::mpsc::channel::<()>(1);
    let (stopping, stop) = tokio::sync::watch::channel(false);
    let places = (limits.handshakes > 0).then(|| Arc::new(Semaphore::new(limits.handshakes)));
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was accepted: wait a moment
                    // rather than spin, then go on serving the others.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        // Without it, small frames wait for delayed ACKs (tens of ms of fan-out latency).
        let _ = tcp.set_nodelay(true);
        let Ok(service) = make.call(peer).await;
        let (open, mut stop) = (open.clone(), stop.clone());
        let (http, places, header_read) = (http.clone(), places.clone(), limits.header_read);
        tokio::spawn(async move {
            // Wait for the request's first bytes, then for a place, before hyper reads (and allocates) anything. A
            // client that sends nothing takes no place, and is closed after the time it has to send its headers, as
            // hyper closes a slow one; the wait for a place has its own bound; a shutdown meanwhile closes the socket.
            let place = match places {
                Some(places) => {
                    let wait = async {
                        tokio::time::timeout(header_read, tcp.readable()).await.ok()?.ok()?;
                        // A load balancer's health check waits for no place: behind a connect storm it would
                        // time out, and the relay be taken out with every socket it holds (docs/deploy.md).
                        if is_health_check(&tcp).await {
                            return Some(None);
                        }
                        tokio::time::timeout(HANDSHAKE_WAIT, places.acquire_owned())
                            .await
                            .ok()?
                            .ok()
                            .map(Some)
                    };
                    tokio::select! {
                        place = wait => match place {
                            Some(place) => place,
                            None => return,
                        },
                        _ = stop.wait_for(|stop| *stop) => return,
                    }
                }
                None => None,
            };
            let conn = http
                .serve_connection(TokioIo::new(tcp), TowerToHyperService::new(service))
                .with_upgrades();
            let mut conn = std::pin::pin!(conn);
            let mut place = place;
            let slice = tokio::time::sleep(HANDSHAKE_SLICE);
            tokio::pin!(slice);
            loop {
                // A client that went away or sent garbage: nothing to do about it here.
                tokio::select! {
                    _ = conn.as_mut() => break,
                    _ = &mut slice, if place.is_some() => place = None,
                    _ = async { drop(stop.wait_for(|stop| *stop).await) } => {
                        // Finish the request in progress, then close (an idle connection closes at once).
                        conn.as_mut().graceful_shutdown();
                        let _ = conn.await;
                        break;
                    }
                }
            }
            drop((place, open));
        });
    }
    drop(listener);
    stopping.send_replace(true);
    drop(open);
    if tokio::time::timeout(limits.shutdown, all_closed.recv()).await.is_err() {
        tracing::warn!(
            "open requests did not finish within {:?}; closing them",
            limits.shutdown
        );
    }
    Ok(())
}

/// Whether the request that arrived on `tcp` (not read yet) is `GET /healthz`.
async fn is_health_check(tcp: &tokio::net::TcpStream) -> bool {
    const CHECK: &[u8] = b"GET /healthz ";
    let mut head = [0u8; CHECK.len()];
    matches!(tcp.peek(&mut head).await, Ok(n) if n == CHECK.len() && head == CHECK)
}
