//! The workshop scenario (`--workshop`, issue 16): one workshop of `--participants` people created over HTTP; each
//! participant joins its lobby (`/ws/w/{id}`), the facilitator has the relay propose one round of pairs and opens it,
//! and each participant leaves the lobby for its breakout, whose page socket (`/ws/{session}`) it joins with the same
//! participant key, as the browser does. In the breakouts the clients are the pair scenario's (notes edits and
//! awareness at the same rates, timed the same way); the facilitator's socket stays open for the dashboard. One
//! member per breakout sends the breakout's phase changes (`--phase-changes` over the run, spread evenly across time
//! and breakouts), each timed from its send until a dashboard message shows the breakout's room at a newer version.

mod lobby;

use crate::args::{Args, Phase, Plan};
use crate::client::client;
use crate::page::{new_key, Join, Page, PhaseDuty};
use crate::report::round;
use crate::rooms::{create, create_request, socket_url};
use crate::shared::Shared;
use lobby::Lobby;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tandem_core::protocol::workshop::{WorkshopClientMsg, WorkshopServerMsg};
use tandem_core::workshop::WorkshopSettings;
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinHandle;

/// What every participant's task is given.
#[derive(Clone)]
pub struct Crew {
    /// The run's shared counters.
    pub shared: Arc<Shared>,
    /// What each client does.
    pub plan: Plan,
    /// The server's address.
    pub addr: String,
    /// Connections being opened at the same time.
    pub gate: Arc<Semaphore>,
    /// One message per participant: connected to its breakout and synced, or why not.
    pub ready: mpsc::Sender<Result<(), String>>,
    /// The run's phases.
    pub phase: watch::Receiver<Phase>,
}

/// Creates the workshop, brings everyone into its lobby, has the facilitator open one round of pair breakouts, and
/// starts every participant on its way to its breakout: the tasks (the participants', then the facilitator's).
pub async fn start(args: &Args, crew: Crew) -> Result<Vec<JoinHandle<()>>, String> {
    let settings = WorkshopSettings {
        rounds: 1,
        ..WorkshopSettings::default()
    };
    let created = create(&args.addr, &create_request(&args.addr, Some(&settings)).await?).await?;
    let host_url = socket_url(&args.addr, &created.host_link, "/w/", "ws/w")?;
    let lobby_url = Arc::new(socket_url(&args.addr, &created.participant_link, "/w/", "ws/w")?);
    let (mut facilitator, _) = Lobby::join(&host_url, &new_key(), "Facilitator").await?;

    let schedule = Arc::new(schedule(args));
    let (welcomed_tx, mut welcomed_rx) = mpsc::channel(args.participants);
    let mut tasks = Vec::with_capacity(args.participants + 1);
    for n in 0..args.participants {
        let (crew, lobby_url, schedule, welcomed) =
            (crew.clone(), lobby_url.clone(), schedule.clone(), welcomed_tx.clone());
        tasks.push(tokio::spawn(participant(crew, n, lobby_url, schedule, welcomed)));
    }
    drop(welcomed_tx);
    let mut welcomed = 0;
    while let Some(ok) = welcomed_rx.recv().await {
        welcomed += usize::from(ok);
    }
    eprintln!(
        "tandem-load: {welcomed} of {} participants in the workshop's lobby",
        args.participants
    );

    facilitator.send(&WorkshopClientMsg::Propose).await?;
    let groups = facilitator
        .wait(|m| match m {
            WorkshopServerMsg::Proposal { groups, .. } => Some(groups),
            _ => None,
        })
        .await?;
    if groups.iter().any(|g| g.len() != 2) {
        return Err(format!("the proposal is not all pairs: {groups:?}"));
    }
    facilitator.send(&WorkshopClientMsg::Open { groups }).await?;
    facilitator
        .wait(|m| match m {
            WorkshopServerMsg::View { view } => (view.rounds_done >= 1).then_some(()),
            _ => None,
        })
        .await?;

    let (shared, mut phase) = (crew.shared.clone(), crew.phase.clone());
    tasks.push(tokio::spawn(async move {
        let done = async move {
            while phase.changed().await.is_ok() {
                if *phase.borrow() == Phase::Done {
                    break;
                }
            }
        };
        facilitator.watch_dashboard(&shared, done).await;
    }));
    Ok(tasks)
}

/// When each breakout's phase changes go out, from the start of the run: change `i` of `n` at `(i + ½) / n` of the
/// duration, in breakout `i mod breakouts`.
fn schedule(args: &Args) -> Vec<Vec<Duration>> {
    let mut at = vec![Vec::new(); args.rooms];
    let n = args.phase_changes;
    for i in 0..n {
        at[i % args.rooms].push(Duration::from_secs_f64(args.duration * (i as f64 + 0.5) / n as f64));
    }
    at
}

/// A participant: into the lobby, then, once the round opened, to its breakout's page socket with the same key.
async fn participant(
    crew: Crew,
    n: usize,
    lobby_url: Arc<String>,
    schedule: Arc<Vec<Vec<Duration>>>,
    welcomed: mpsc::Sender<bool>,
) {
    let (key, name) = (new_key(), format!("bench {n}"));
    let permit = crew.gate.acquire().await;
    let joined = Lobby::join(&lobby_url, &key, &name).await;
    drop(permit);
    let (mut lobby, you) = match joined {
        Ok(joined) => joined,
        Err(e) => {
            let _ = welcomed.send(false).await;
            let _ = crew.ready.send(Err(e)).await;
            return;
        }
    };
    let _ = welcomed.send(true).await;
    drop(welcomed);
    // The participant's view lists its own breakouts: the open one names its place and its link.
    let place = lobby
        .wait(|m| {
            let view = match m {
                WorkshopServerMsg::View { view } | WorkshopServerMsg::Welcome { view, .. } => view,
                _ => return None,
            };
            view.breakouts
                .into_iter()
                .filter(|b| b.closed_at.is_none())
                .find_map(|b| {
                    let at = b.members.iter().position(|m| *m == you)?;
                    Some((b.number, at, b.link?))
                })
        })
        .await;
    lobby.leave().await;
    let joined = place.and_then(|(number, at, link)| {
        let room = number.checked_sub(1).filter(|r| r * 2 + at < crew.shared.total_clients);
        let room = room.ok_or_else(|| format!("breakout {number} is not in the plan"))?;
        Ok((room, at, socket_url(&crew.addr, &link, "/s/", "ws")?))
    });
    let (room, at, url) = match joined {
        Ok(joined) => joined,
        Err(e) => {
            let _ = crew.ready.send(Err(e)).await;
            return;
        }
    };
    let duty = (at == 0).then(|| PhaseDuty::new(room, schedule[room].clone()));
    let join = Join {
        url,
        page: Some(Page::new(&key, &name, duty)),
    };
    let Crew {
        shared,
        plan,
        gate,
        ready,
        phase,
        ..
    } = crew;
    client(shared, plan, room * 2 + at, join, gate, ready, phase).await;
}

/// The phase changes' figures: printed, and added to the JSON line.
pub fn report(shared: &Shared, report: &mut serde_json::Value) {
    let p = &shared.phases;
    let (sent, seen) = (p.sent.load(Ordering::Relaxed), p.seen.load(Ordering::Relaxed));
    let (skipped, dashboards) = (p.skipped.load(Ordering::Relaxed), p.dashboards.load(Ordering::Relaxed));
    let (q, max) = p.hist.quantiles(&[0.5, 0.99]);
    println!(
        "phase changes:      {sent} sent, {seen} shown on the dashboard, {skipped} skipped; {dashboards} dashboards"
    );
    println!("dashboard delay ms: p50 {:.1}  p99 {:.1}  max {:.1}", q[0], q[1], max);
    let fields = serde_json::json!({
        "workshop": true,
        "phase_changes_sent": sent,
        "phase_changes_seen": seen,
        "phase_changes_skipped": skipped,
        "dashboards": dashboards,
        "dashboard_p50_ms": round(q[0], 1),
        "dashboard_p99_ms": round(q[1], 1),
        "dashboard_max_ms": round(max, 1),
    });
    if let (Some(obj), serde_json::Value::Object(more)) = (report.as_object_mut(), fields) {
        obj.extend(more);
    }
}
