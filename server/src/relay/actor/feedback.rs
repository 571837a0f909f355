//! Feedback: submissions checked against the form and the roles it names, stored before they are confirmed, and
//! shared with the host on the receiver's word.

use super::*;
use tandem_core::session::{check_roles, validate_answers};

impl Actor {
    pub(super) async fn submit_feedback(&mut self, conn: ConnId, draft: FeedbackDraft) {
        let Some((from, capability)) = self.member(conn) else {
            return;
        };
        let refuse = |message: &str, errors| ServerMsg::FeedbackRefused {
            id: draft.id.clone(),
            message: message.to_string(),
            errors,
        };
        let problem = if self.ended_at.is_some() {
            Some(refuse(
                "This session has ended; feedback can no longer be given or changed.",
                vec![],
            ))
        } else if capability == Capability::Observer {
            Some(refuse("Observers don't give feedback in this session.", vec![]))
        } else if !draft.id.is_well_formed() {
            Some(refuse(
                "This submission has no valid id; please reload the page.",
                vec![],
            ))
        } else if draft.about == from {
            Some(refuse("Feedback is about someone else, not about yourself.", vec![]))
        } else if !self
            .participants
            .iter()
            .any(|p| p.view.id == draft.about && p.view.capability != Capability::Observer)
        {
            Some(refuse("That person is not taking part in this session.", vec![]))
        } else {
            let role_of = |id: ParticipantId| {
                self.participants
                    .iter()
                    .find(|p| p.view.id == id)
                    .and_then(|p| p.view.role.as_deref())
            };
            match self.spec.forms.iter().find(|f| f.id == draft.form) {
                None => Some(refuse("This session has no such feedback form.", vec![])),
                Some(form) => match check_roles(form, &self.spec.roles, role_of(from), role_of(draft.about)) {
                    Err(message) => Some(refuse(&message, vec![])),
                    Ok(()) => validate_answers(form, &draft.answers)
                        .err()
                        .map(|errors| refuse("Please check the highlighted answers.", errors)),
                },
            }
        };
        let problem = problem.or_else(|| {
            let mine = self.feedback.iter().filter(|f| f.from == from);
            let (count, again) = mine.fold((0, false), |(n, again), f| (n + 1, again || f.id == draft.id));
            (!again && count >= MAX_FEEDBACK_PER_GIVER).then(|| {
                refuse(
                    &format!("You have given {MAX_FEEDBACK_PER_GIVER} pieces of feedback in this session, the most it keeps."),
                    vec![],
                )
            })
        });
        if let Some(msg) = problem {
            self.send_to(conn, Outbound::text(&msg));
            return;
        }
        let feedback = Feedback {
            id: draft.id.clone(),
            form: draft.form.clone(),
            from,
            about: draft.about,
            answers: draft.answers.clone(),
            shared_with_host: false,
            submitted_at: now_ms(),
        };
        // Acknowledged only once the store has committed it.
        match self.store.save_feedback(&self.id, &feedback).await {
            Ok(Some(stored)) => {
                match self.feedback.iter_mut().find(|f| f.id == stored.id) {
                    Some(slot) => *slot = stored.clone(),
                    None => self.feedback.push(stored.clone()),
                }
                self.send_to_participant(
                    from,
                    &ServerMsg::FeedbackSaved {
                        feedback: stored.clone(),
                    },
                );
                self.send_to_participant(stored.about, &ServerMsg::FeedbackReceived { feedback: stored });
                self.report();
            }
            Ok(None) => {
                let msg = refuse(
                    "This submission id belongs to other feedback; please reload the page.",
                    vec![],
                );
                self.send_to(conn, Outbound::text(&msg));
            }
            Err(e) => {
                tracing::error!(session = %self.id, error = %e, "could not save feedback");
                let msg = refuse(
                    "Tandem could not save your feedback right now. It is kept here; try again.",
                    vec![],
                );
                self.send_to(conn, Outbound::text(&msg));
            }
        }
    }

    pub(super) async fn share_feedback(&mut self, conn: ConnId, id: FeedbackId, shared: bool) {
        let Some((me, _)) = self.member(conn) else {
            return;
        };
        if self.ended_at.is_some() {
            self.send_error(
                conn,
                ErrorCode::Ended,
                "This session has ended; sharing can no longer be changed.",
            );
            return;
        }
        match self.store.share_feedback(&self.id, &id, me, shared).await {
            Ok(true) => {
                if let Some(f) = self.feedback.iter_mut().find(|f| f.id == id) {
                    f.shared_with_host = shared;
                    let msg = ServerMsg::FeedbackReceived { feedback: f.clone() };
                    self.send_to_participant(me, &msg);
                }
            }
            Ok(false) => self.send_error(
                conn,
                ErrorCode::NotAllowed,
                "Only the receiver can share this feedback.",
            ),
            Err(e) => {
                tracing::error!(session = %self.id, error = %e, "could not share feedback");
                self.send_error(
                    conn,
                    ErrorCode::Unavailable,
                    "Tandem could not save that right now. Please try again.",
                );
            }
        }
    }
}
