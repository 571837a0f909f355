//! The relay's implementation of the app's server-function backend.

use crate::relay::now_ms;
use crate::store::{SessionRecord, Store, WorkshopRecord};
use app::api::{Backend, BackendError, CreatedSession, LinkInfo, NewSession, ShareLinks, WorkshopLink};
use futures::future::BoxFuture;
use futures::FutureExt;
use rand::RngCore;
use std::sync::Arc;
use tandem_core::session::{
    base64url, limits, may_see, validate_agenda, Capability, RoomState, SessionId, SessionSettings, SessionSpec,
    Summary, Template,
};
use tandem_core::workshop::{clean_skill_list, GroupSize, WorkshopSettings, WorkshopSpec, WorkshopState};

/// Most note sections one phase may carry.
const MAX_NOTE_SECTIONS: usize = 8;

/// Creates sessions and resolves links against the store.
pub struct ServerBackend {
    store: Store,
    templates: Arc<Vec<Template>>,
    public_url: String,
}

impl ServerBackend {
    /// A backend over `store`, building links from `public_url`.
    pub fn new(store: Store, templates: Arc<Vec<Template>>, public_url: String) -> Self {
        ServerBackend {
            store,
            templates,
            public_url,
        }
    }
}

/// `bytes` random bytes from the OS, base64url.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    base64url(&buf)
}

/// Logs a storage failure and answers with the generic message.
fn unavailable(e: crate::store::StoreError) -> BackendError {
    tracing::error!(error = %e, "storage failed");
    BackendError::Unavailable
}

/// The session `id` and what `token` allows in it; unknown ids and wrong tokens get the same answer.
async fn resolve(store: &Store, id: &str, token: &str) -> Result<(SessionRecord, Capability), BackendError> {
    let record = store
        .session(id)
        .await
        .map_err(unavailable)?
        .ok_or(BackendError::NotFound)?;
    let capability = record.capability_of(token).ok_or(BackendError::NotFound)?;
    Ok((record, capability))
}

fn link(public_url: &str, id: &str, token: &str) -> String {
    format!("{public_url}/s/{id}?t={token}")
}

/// Stores a new workshop whose breakouts run `format`, and answers with its three links.
async fn create_workshop(
    store: &Store,
    public_url: &str,
    format: SessionSpec,
    settings: WorkshopSettings,
    skills: Vec<String>,
) -> Result<CreatedSession, BackendError> {
    let id = format.id.0.clone();
    let record = WorkshopRecord {
        spec: WorkshopSpec {
            id: id.clone(),
            format,
            settings,
            seed: rand::rngs::OsRng.next_u64(),
            skills,
        },
        state: WorkshopState::default(),
        participant_token: random_token(16),
        host_token: random_token(16),
        observer_token: random_token(16),
    };
    store.create_workshop(&record, now_ms()).await.map_err(|e| {
        tracing::error!(error = %e, "could not create a workshop");
        BackendError::Unavailable
    })?;
    tracing::info!(workshop = %id, "workshop created");
    let link = |token: &str| format!("{public_url}/w/{id}?t={token}");
    Ok(CreatedSession {
        participant_link: link(&record.participant_token),
        host_link: link(&record.host_token),
        observer_link: link(&record.observer_token),
        id,
    })
}

impl Backend for ServerBackend {
    fn templates(&self) -> Vec<Template> {
        self.templates.as_ref().clone()
    }

    fn create_session(&self, request: NewSession) -> BoxFuture<'static, Result<CreatedSession, BackendError>> {
        let store = self.store.clone();
        let template = self.templates.iter().find(|t| t.id == request.template_id).cloned();
        let public_url = self.public_url.clone();
        async move {
            let template = template.ok_or_else(|| {
                BackendError::Invalid(format!(
                    "There is no session format “{}”: pick one of the formats on the start page.",
                    request.template_id.chars().take(40).collect::<String>()
                ))
            })?;
            let mut phases = request.phases;
            for p in &mut phases {
                p.title = p.title.trim().to_string();
                p.prompt = p.prompt.trim().to_string();
                // Forms and note sections come from the template; anything else is dropped.
                if p.form
                    .as_ref()
                    .is_some_and(|f| !template.forms.iter().any(|x| &x.id == f))
                {
                    p.form = None;
                }
                p.notes.truncate(MAX_NOTE_SECTIONS);
                // A section the template keeps private (an SBI draft) stays private whatever the request says.
                for n in &mut p.notes {
                    n.private |= template
                        .phases
                        .iter()
                        .flat_map(|t| &t.notes)
                        .any(|t| t.id == n.id && t.private);
                }
            }
            validate_agenda(&phases).map_err(|e| BackendError::Invalid(e.to_string()))?;
            let goal = request.goal.trim().to_string();
            if goal.chars().count() > limits::MAX_GOAL_CHARS {
                return Err(BackendError::Invalid(
                    tandem_core::session::AgendaError::GoalTooLong.to_string(),
                ));
            }
            let id = random_token(10);
            // A pair session's spec, or a workshop's format: what each of its breakouts runs.
            let spec = SessionSpec {
                id: SessionId(id.clone()),
                template_id: template.id.clone(),
                template_name: template.name.clone(),
                goal,
                roles: template.roles.clone(),
                phases,
                forms: template.forms.clone(),
                // Only the relay makes breakouts.
                settings: SessionSettings {
                    breakout: false,
                    ..request.settings
                },
                created_at: now_ms(),
                end_after_last_phase: template.end_after_last_phase,
            };
            if let Some(settings) = request.workshop {
                settings.check().map_err(BackendError::Invalid)?;
                let skills = clean_skill_list(&request.skills).map_err(BackendError::Invalid)?;
                if !skills.is_empty() && settings.group_size != GroupSize::Pairs {
                    return Err(BackendError::Invalid(
                        "A workshop with skills runs in pairs (pairing by skill makes pairs): choose pairs, or list no skills.".into(),
                    ));
                }
                return create_workshop(&store, &public_url, spec, settings, skills).await;
            }
            let record = SessionRecord {
                spec,
                participant_token: random_token(16),
                host_token: random_token(16),
                observer_token: random_token(16),
                ended_at: None,
                workshop_id: None,
            };
            let room = RoomState::new(&record.spec.phases);
            store.create_session(&record, &room).await.map_err(|e| {
                tracing::error!(error = %e, "could not create a session");
                BackendError::Unavailable
            })?;
            tracing::info!(session = %id, template = %template.id, "session created");
            Ok(CreatedSession {
                participant_link: link(&public_url, &id, &record.participant_token),
                host_link: link(&public_url, &id, &record.host_token),
                observer_link: link(&public_url, &id, &record.observer_token),
                id,
            })
        }
        .boxed()
    }

    fn open_workshop(&self, id: String, token: String) -> BoxFuture<'static, Result<WorkshopLink, BackendError>> {
        let store = self.store.clone();
        let public_url = self.public_url.clone();
        async move {
            let record = store
                .workshop(&id)
                .await
                .map_err(unavailable)?
                .ok_or(BackendError::NotFound)?;
            let capability = record.capability_of(&token).ok_or(BackendError::NotFound)?;
            let link = |token: &str| format!("{public_url}/w/{id}?t={token}");
            let host = capability == Capability::Host;
            let share = host.then(|| ShareLinks {
                participant_link: link(&record.participant_token),
                observer_link: link(&record.observer_token),
            });
            Ok(WorkshopLink {
                capability,
                format: record.spec.format.template_name.clone(),
                goal: record.spec.format.goal.clone(),
                share,
                host_link: host.then(|| link(&record.host_token)),
                ended: record.state.ended_at.is_some(),
                skills: !record.spec.skills.is_empty(),
            })
        }
        .boxed()
    }

    fn open_link(&self, id: String, token: String) -> BoxFuture<'static, Result<LinkInfo, BackendError>> {
        let store = self.store.clone();
        let public_url = self.public_url.clone();
        async move {
            let (record, capability) = resolve(&store, &id, &token).await?;
            let people: Vec<_> = store
                .participants(&record.spec.id)
                .await
                .map_err(unavailable)?
                .into_iter()
                .map(|p| p.view)
                .collect();
            let joined = people.len() as u32;
            let share = (capability == Capability::Host).then(|| ShareLinks {
                participant_link: link(&public_url, &id, &record.participant_token),
                observer_link: link(&public_url, &id, &record.observer_token),
            });
            Ok(LinkInfo {
                session: record.spec,
                capability,
                joined,
                people,
                share,
                ended_at: record.ended_at,
            })
        }
        .boxed()
    }

    fn summary(
        &self,
        id: String,
        token: String,
        key: Option<String>,
    ) -> BoxFuture<'static, Result<Summary, BackendError>> {
        let store = self.store.clone();
        async move {
            let (record, capability) = resolve(&store, &id, &token).await?;
            let session = SessionId(id);
            let participants: Vec<_> = store.participants(&session).await.map_err(unavailable)?;
            let viewer = match key {
                Some(k) => store.participant_by_key(&session, &k).await.map_err(unavailable)?,
                None => None,
            };
            let feedback = store
                .feedback(&session)
                .await
                .map_err(unavailable)?
                .into_iter()
                .filter(|f| may_see(f, viewer, capability))
                .collect();
            let outcome = store.outcome(&session).await.map_err(unavailable)?;
            Ok(Summary {
                session: record.spec,
                capability,
                ended_at: record.ended_at,
                outcome,
                participants: participants.into_iter().map(|p| p.view).collect(),
                viewer,
                feedback,
            })
        }
        .boxed()
    }
}
