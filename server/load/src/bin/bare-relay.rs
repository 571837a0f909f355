//! `bare-relay`: the naive reference for the relay benchmarks (issue 5, `make bench`).
//!
//! A broadcast relay on tokio-tungstenite with no logic at all: the room is the URL path, and every frame a client
//! sends goes to every other member of its room, in order. No protocol, no document, no limits; one reader and one
//! writer task per connection and an unbounded queue between them. It is the "no work but the fan-out" baseline
//! that Tandem's relay and y-websocket are compared with.

use clap::Parser;
use futures::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

/// Command-line flags.
#[derive(Parser, Debug)]
#[command(
    name = "bare-relay",
    about = "A bare WebSocket broadcast relay: room = URL path, no logic."
)]
struct Args {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:4000")]
    addr: SocketAddr,
    /// Socket read buffer per connection, in bytes (tungstenite's default is 128 KiB).
    #[arg(long, default_value_t = 4096)]
    read_buffer: usize,
}

/// Queues of the members of one room, by connection id.
type Members = Mutex<Vec<(u64, mpsc::UnboundedSender<Message>)>>;

/// Every room with at least one member.
#[derive(Default)]
struct Rooms {
    rooms: Mutex<HashMap<String, Arc<Members>>>,
    next_id: AtomicU64,
}

impl Rooms {
    fn join(&self, path: &str, tx: mpsc::UnboundedSender<Message>) -> (u64, Arc<Members>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        let room = rooms.entry(path.to_string()).or_default().clone();
        room.lock().unwrap_or_else(|e| e.into_inner()).push((id, tx));
        (id, room)
    }

    fn leave(&self, path: &str, id: u64, room: &Members) {
        let mut rooms = self.rooms.lock().unwrap_or_else(|e| e.into_inner());
        let mut members = room.lock().unwrap_or_else(|e| e.into_inner());
        members.retain(|(m, _)| *m != id);
        if members.is_empty() {
            rooms.remove(path);
        }
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let listener = match TcpListener::bind(args.addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bare-relay: cannot listen on {}: {e}", args.addr);
            std::process::exit(1);
        }
    };
    println!("bare-relay listening on {}", args.addr);
    let rooms = Arc::new(Rooms::default());
    let config = WebSocketConfig::default()
        .read_buffer_size(args.read_buffer)
        .write_buffer_size(0);
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        // Without it, small frames wait for delayed ACKs (tens of ms of fan-out latency).
        let _ = tcp.set_nodelay(true);
        tokio::spawn(serve(tcp, rooms.clone(), config));
    }
}

/// One connection: join the room named by the path, relay its frames, leave.
async fn serve(tcp: TcpStream, rooms: Arc<Rooms>, config: WebSocketConfig) {
    let mut path = String::new();
    // The signature is tungstenite's handshake callback (its error type is an HTTP response).
    #[allow(clippy::result_large_err)]
    let callback = |request: &Request, response: Response| {
        path = request.uri().path().to_string();
        Ok(response)
    };
    let Ok(ws) = tokio_tungstenite::accept_hdr_async_with_config(tcp, callback, Some(config)).await else {
        return;
    };
    let (mut sink, mut stream) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    let (id, room) = rooms.join(&path, tx);
    let writer = tokio::spawn(async move {
        while let Some(msg) = rx.recv().await {
            if sink.send(msg).await.is_err() {
                break;
            }
        }
    });
    while let Some(Ok(msg)) = stream.next().await {
        match msg {
            Message::Binary(_) | Message::Text(_) => {
                let members = room.lock().unwrap_or_else(|e| e.into_inner());
                for (other, tx) in members.iter() {
                    if *other != id {
                        let _ = tx.send(msg.clone());
                    }
                }
            }
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
        }
    }
    rooms.leave(&path, id, &room);
    writer.abort();
}
