//! Fan-out: frames queued for one connection, a participant's connections or all of them, written once per event
//! or burst; a connection whose queue cannot take its frames is dropped (it resyncs when it reconnects).

use super::*;

impl Actor {
    /// Queues `msg` for one connection; drops it if its queue is full.
    pub(super) fn send_to(&mut self, conn: ConnId, msg: Outbound) {
        let full = match self.conns.get(&conn) {
            Some(c) => c.handle.outbox.queue_all([Some(msg)]).is_err(),
            None => false,
        };
        if full {
            self.drop_slow(&[conn]);
        }
    }

    /// Queues `msg` for every connection of participant `who` (their tabs and devices).
    pub(super) fn send_to_participant(&mut self, who: ParticipantId, msg: &ServerMsg) {
        let out = Outbound::text(msg);
        let targets: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.is(who))
            .map(|(id, _)| *id)
            .collect();
        for id in targets {
            self.send_to(id, out.clone());
        }
    }

    /// Tells `conn` why its message was refused; a Yjs client, which reads no JSON, is only logged.
    pub(super) fn send_error(&mut self, conn: ConnId, code: ErrorCode, message: &str) {
        if self.conns.get(&conn).is_some_and(|c| !c.reads_json()) {
            tracing::debug!(session = %self.id, conn, reason = message, "refused a message from a Yjs client");
            return;
        }
        self.send_to(
            conn,
            Outbound::text(&ServerMsg::Error {
                code,
                message: message.into(),
            }),
        );
    }

    /// Queues `msg` for every connection; one that cannot take it is dropped (it resyncs when it reconnects).
    pub(super) fn broadcast(&mut self, msg: Outbound) {
        self.broadcast_to(msg, |_, _| true);
    }

    /// [`Actor::broadcast`] to the connections `to` accepts. Yjs clients speak binary y-sync only: JSON control
    /// messages are never for them.
    pub(super) fn broadcast_to(&mut self, msg: Outbound, to: impl Fn(ConnId, &Conn) -> bool) {
        let json = matches!(msg, Outbound::Text(_));
        self.fan_out(|id, c| [((c.reads_json() || !json) && to(id, c)).then(|| msg.clone())]);
    }

    /// Writes what each connection has queued (see [`Actor::fan_out`]), once per event or burst of messages.
    pub(super) fn write_queued(&self) {
        for c in self.conns.values() {
            c.handle.outbox.write_queued();
        }
    }

    /// The one fan-out: queues what `frames` gives each connection (all of it or, for a connection whose queue
    /// cannot take it all, nothing: that one is dropped and resyncs when it reconnects).
    pub(super) fn fan_out<const N: usize>(&mut self, frames: impl Fn(ConnId, &Conn) -> [Option<Outbound>; N]) {
        let slow: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(id, c)| c.handle.outbox.queue_all(frames(**id, c)).is_err())
            .map(|(id, _)| *id)
            .collect();
        self.drop_slow(&slow);
    }

    /// Drops connections that fell behind: each is kicked (closed at once, even mid-write), its awareness states
    /// and attendance end, and the others are told.
    fn drop_slow(&mut self, ids: &[ConnId]) {
        if ids.is_empty() {
            return;
        }
        let mut gone_awareness = Vec::new();
        for id in ids {
            if let Some(c) = self.conns.remove(id) {
                tracing::info!(session = %self.id, conn = id, "dropping a client that fell behind");
                if let Some(frame) = self.notes.remove_awareness(&c.notes.awareness) {
                    gone_awareness.push(frame);
                }
                c.handle.outbox.kick();
                if let Some(row) = c.attendance() {
                    let store = self.store.clone();
                    tokio::spawn(async move {
                        if let Err(e) = store.attendance_end(row, now_ms()).await {
                            tracing::warn!(error = %e, "could not close attendance");
                        }
                    });
                }
            }
        }
        self.broadcast_presence();
        for frame in gone_awareness {
            self.broadcast(Outbound::Binary(frame.into()));
        }
    }
}

impl Outbound {
    /// Serializes a message once; clones share the bytes.
    pub fn text(msg: &ServerMsg) -> Outbound {
        match serde_json::to_string(msg) {
            Ok(text) => Outbound::Text(axum::extract::ws::Utf8Bytes::from(text)),
            Err(_) => Outbound::Text(axum::extract::ws::Utf8Bytes::from_static(
                r#"{"error":{"code":"unavailable","message":"internal error"}}"#,
            )),
        }
    }
}
