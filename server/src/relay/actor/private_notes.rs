//! Private note sections: each person's own text, stored per author and sent to nobody else.

use super::*;
use tandem_core::protocol::MAX_PRIVATE_NOTE_CHARS;

impl Actor {
    /// Stores a participant's text of a private note section and confirms it to that connection only. Nobody else
    /// ever receives it: not the other participants, not Yjs clients, not the shared outcome.
    pub(super) async fn private_note(&mut self, conn: ConnId, section: String, text: String, rev: u64) {
        let Some((who, capability)) = self.member(conn) else {
            return;
        };
        let is_private = self
            .spec
            .phases
            .iter()
            .flat_map(|p| &p.notes)
            .any(|n| n.id == section && n.private);
        let problem = if self.ended_at.is_some() {
            Some((
                ErrorCode::Ended,
                "This session has ended; drafts can no longer be changed.",
            ))
        } else if capability == Capability::Observer {
            Some((ErrorCode::NotAllowed, "Observers can read along but not write drafts."))
        } else if !is_private {
            Some((ErrorCode::BadMessage, "This session has no such private note section."))
        } else if text.chars().count() > MAX_PRIVATE_NOTE_CHARS {
            Some((
                ErrorCode::TooLarge,
                "This draft is too long (at most 20,000 characters). Shorten it to save it.",
            ))
        } else {
            None
        };
        if let Some((code, message)) = problem {
            // Named by section and rev, so that the page stops sending that text.
            let refused = ServerMsg::PrivateNoteRefused {
                section,
                rev,
                code,
                message: message.into(),
            };
            self.send_to(conn, Outbound::text(&refused));
            return;
        }
        match self
            .store
            .save_private_note(&self.id, who, &section, &text, now_ms())
            .await
        {
            Ok(()) => {
                // The same person's other connections (another device or tab) show the stored text, so that two
                // copies do not overwrite each other; nobody else receives it.
                let others: Vec<ConnId> = self
                    .conns
                    .iter()
                    .filter(|(id, c)| **id != conn && c.is(who))
                    .map(|(id, _)| *id)
                    .collect();
                if !others.is_empty() {
                    let changed = Outbound::text(&ServerMsg::PrivateNoteChanged {
                        section: section.clone(),
                        text,
                    });
                    for other in others {
                        self.send_to(other, changed.clone());
                    }
                }
                let msg = Outbound::text(&ServerMsg::PrivateNoteSaved { section, rev });
                self.send_to(conn, msg);
            }
            Err(e) => {
                tracing::error!(session = %self.id, error = %e, "could not save a private note");
                self.send_error(
                    conn,
                    ErrorCode::Unavailable,
                    "Tandem could not save your draft right now. It is kept in this browser and sent again.",
                );
            }
        }
    }
}
