//! Workshops (issue 16): one link for everyone, rounds of breakouts that are sessions of their own, the
//! facilitator's commands, the relay keeping each breakout's content to its members, and a restart mid-round.

use crate::common::*;
use futures::SinkExt;
use tandem_core::notes::NotesDoc;
use tandem_core::protocol::workshop::{BreakoutView, WorkshopClientMsg, WorkshopServerMsg, WorkshopView};
use tandem_core::protocol::{ErrorCode, ServerMsg, CLOSE_GONE};
use tandem_core::session::ParticipantId;
use tandem_core::workshop::{times_met, Groups, Stage, WorkshopSettings};

const SECTION: &str = "goal-statement";

/// The breakout `who` is in during the open round, as their own view shows it.
fn my_breakout(view: &WorkshopView) -> Option<&BreakoutView> {
    view.breakouts.iter().find(|b| b.link.is_some())
}

/// A workshop with `settings`, its facilitator and two participants, its first round open: the facilitator's
/// client, the first participant's, the second's, and the first participant's breakout link.
async fn one_pair_open(
    server: &TestServer,
    settings: WorkshopSettings,
) -> (Workshop, WorkshopClient, WorkshopClient, WorkshopClient, String) {
    let w = server.workshop(settings).await;
    let (mut host, _) = server.join_workshop(&w.host_link, "Fay", 0).await;
    let (mut p1, _) = server.join_workshop(&w.participant_link, "P1", 1).await;
    let (p2, _) = server.join_workshop(&w.participant_link, "P2", 2).await;
    host.view_until(|v| v.people.iter().filter(|p| p.online).count() == 3)
        .await;
    let (groups, _) = propose(&mut host).await;
    host.send(&WorkshopClientMsg::Open { groups }).await;
    let view = p1.view_until(|v| v.stage == Stage::Breakouts).await;
    let link = my_breakout(&view).unwrap().link.clone().unwrap();
    (w, host, p1, p2, link)
}

#[tokio::test]
async fn six_people_meet_in_private_breakouts_across_rounds_and_a_restart() {
    let server = TestServer::start().await;
    let w = server.workshop(settings(3)).await;
    let (mut host, _) = server.join_workshop(&w.host_link, "Fay", 0).await;
    let mut people = Vec::new();
    for n in 1..=6u8 {
        let (c, welcome) = server.join_workshop(&w.participant_link, &format!("P{n}"), n).await;
        people.push((c, member(&welcome), n));
    }
    host.view_until(|v| v.people.len() == 7 && v.people.iter().all(|p| p.online))
        .await;

    // A participant may not run the workshop; nothing changes.
    people[0].0.send(&WorkshopClientMsg::Propose).await;
    assert_eq!(people[0].0.error().await.0, ErrorCode::NotAllowed);
    people[0].0.send(&WorkshopClientMsg::CallBack).await;
    assert_eq!(people[0].0.error().await.0, ErrorCode::NotAllowed);

    let (groups, repeats) = propose(&mut host).await;
    assert_eq!((groups.len(), repeats), (3, 0), "three pairs: {groups:?}");
    host.send(&WorkshopClientMsg::Open { groups: groups.clone() }).await;

    // Each participant's view names their own breakout only, with its link.
    let mut links = Vec::new();
    for (c, id, _) in &mut people {
        let view = c.view_until(|v| v.stage == Stage::Breakouts).await;
        assert_eq!(view.breakouts.len(), 1, "only their own breakout");
        let b = my_breakout(&view).expect("a link into the breakout");
        assert!(b.members.contains(id));
        links.push(b.link.clone().unwrap());
    }
    // The facilitator sees all three, without links (the workshop does not let them read notes).
    let view = host.view_until(|v| v.stage == Stage::Breakouts).await;
    assert_eq!(view.breakouts.len(), 3);
    assert!(view.breakouts.iter().all(|b| b.link.is_none() && b.summary.is_none()));

    // Two partners open their breakout; the first types notes.
    let partner_of = |i: usize| -> usize {
        let me = people[i].1;
        let g = groups.iter().find(|g| g.contains(&me)).unwrap();
        let other = *g.iter().find(|p| **p != me).unwrap();
        people.iter().position(|p| p.1 == other).unwrap()
    };
    let (a, b) = (0, partner_of(0));
    let c = (0..6).find(|&i| i != a && i != b).unwrap();
    let mut page_a = server.page(&links[a], "P-a", people[a].2, NotesDoc::new()).await;
    let mut page_b = server.page(&links[b], "P-b", people[b].2, NotesDoc::new()).await;
    let mut page_c = server.page(&links[c], "P-c", people[c].2, NotesDoc::new()).await;
    page_a.type_text(SECTION, "Lead the Monday stand-up").await;
    page_b
        .until(|p| p.notes.text(SECTION) == "Lead the Monday stand-up")
        .await;
    page_c.round_trip().await;
    assert_eq!(
        page_c.notes.text(SECTION),
        "",
        "another breakout never receives these notes"
    );
    let (session_a, _) = parts(&links[a]);
    let (session_c, _) = parts(&links[c]);
    assert_ne!(session_a, session_c);

    // The participant link of one breakout does not let someone from another one in.
    let mut intruder = Client::connect(&server.ws(&links[a])).await;
    intruder.hello("P-c", &key(people[c].2), None).await;
    let back = intruder.recv_until(|m| matches!(m, ServerMsg::Return { .. })).await;
    assert!(matches!(back, ServerMsg::Return { to } if to.starts_with(&format!("/w/{}?t=", w.id))));
    assert_eq!(intruder.closed().await, Some(CLOSE_GONE));
    // Nor over /yjs, which carries no key to check: refused for a breakout's participant link.
    let mut yjs = Client::connect(&server.yjs(&links[a])).await;
    assert_eq!(yjs.closed().await, Some(CLOSE_GONE));

    // The dashboard shows who is in each breakout.
    let dashboard = host
        .recv_until(|m| match m {
            WorkshopServerMsg::Dashboard { breakouts, .. } => {
                breakouts.iter().map(|b| b.present.len()).sum::<usize>() == 3
            }
            _ => false,
        })
        .await;
    let WorkshopServerMsg::Dashboard { breakouts, .. } = dashboard else {
        unreachable!()
    };
    assert_eq!(breakouts.len(), 3);

    // A broadcast reaches every open breakout page; a second one at once is refused.
    host.send(&WorkshopClientMsg::Broadcast {
        text: "Five minutes left".into(),
    })
    .await;
    for page in [&mut page_a, &mut page_c] {
        let notice = page.client.recv_until(|m| matches!(m, ServerMsg::Notice { .. })).await;
        assert_eq!(
            notice,
            ServerMsg::Notice {
                text: "Five minutes left".into()
            }
        );
    }
    host.send(&WorkshopClientMsg::Broadcast { text: "Again".into() }).await;
    assert_eq!(host.error().await.0, ErrorCode::Refused);
    host.send(&WorkshopClientMsg::Broadcast { text: "x".repeat(281) }).await;
    assert!(host.error().await.1.contains("280"));

    // Moving someone sends their breakout page back to the workshop, whose view places them anew.
    let to = groups.iter().position(|g| g.contains(&people[c].1)).unwrap();
    host.send(&WorkshopClientMsg::Move { who: people[b].1, to }).await;
    let back = page_b
        .client
        .recv_until(|m| matches!(m, ServerMsg::Return { .. }))
        .await;
    assert!(matches!(back, ServerMsg::Return { .. }));
    let view = people[b]
        .0
        .view_until(|v| my_breakout(v).is_some_and(|x| x.number == to + 1))
        .await;
    assert_eq!(my_breakout(&view).unwrap().link.as_ref().unwrap(), &links[c]);
    host.send(&WorkshopClientMsg::Move {
        who: people[b].1,
        to: 9,
    })
    .await;
    assert_eq!(
        host.error().await,
        (ErrorCode::UnknownRoom, "There is no breakout 10 in this round.".into())
    );
    host.send(&WorkshopClientMsg::Move {
        who: ParticipantId(99),
        to: 0,
    })
    .await;
    assert_eq!(host.error().await.1, "That person is not in this workshop.");
    drop((page_a, page_b, page_c));

    // The relay restarts mid-round: memberships, clocks and notes come back.
    let before = host.view_until(|_| true).await;
    drop(host);
    drop(people);
    let server = server.restart().await;
    let (mut host, welcome) = server.join_workshop(&w.host_link, "Fay", 0).await;
    let WorkshopServerMsg::Welcome { view, .. } = welcome else {
        unreachable!()
    };
    assert_eq!(view.stage, Stage::Breakouts);
    let members = |v: &WorkshopView| v.breakouts.iter().map(|b| b.members.clone()).collect::<Vec<_>>();
    assert_eq!(members(&view), members(&before));
    let mut page_a = server.page(&links[a], "P-a", 1 + a as u8, NotesDoc::new()).await;
    page_a.until(|p| !p.notes.text(SECTION).is_empty()).await;
    assert_eq!(page_a.notes.text(SECTION), "Lead the Monday stand-up");

    // Call back: the breakout pages return, the breakouts end, the workshop is in the plenary.
    host.send(&WorkshopClientMsg::CallBack).await;
    let back = page_a
        .client
        .recv_until(|m| matches!(m, ServerMsg::Return { .. }))
        .await;
    assert!(matches!(back, ServerMsg::Return { to } if to.contains(&w.id)));
    host.view_until(|v| v.stage == Stage::Plenary).await;
    page_a.client.recv_until(|m| matches!(m, ServerMsg::Ended { .. })).await;
    let ended = server.state.store.session(&session_a).await.unwrap().unwrap().ended_at;
    assert!(ended.is_some(), "the breakout ended with the round");
    // A page that opens the ended breakout afterwards is sent back to the workshop, not to the breakout's summary.
    let mut again = Client::connect(&server.ws(&links[a])).await;
    again.hello("P-a", &key(1 + a as u8), None).await;
    let back = again.recv().await;
    assert!(
        matches!(&back, ServerMsg::Return { to } if to.contains(&w.id)),
        "{back:?}"
    );

    // Round 2 pairs nobody with their round-1 partner (the same six are back).
    let mut people = Vec::new();
    for n in 1..=6u8 {
        people.push(server.join_workshop(&w.participant_link, &format!("P{n}"), n).await.0);
    }
    host.view_until(|v| v.people.iter().filter(|p| p.online).count() == 7)
        .await;
    let first: Groups = before.breakouts.iter().map(|b| b.members.clone()).collect();
    let (second, repeats) = propose(&mut host).await;
    assert_eq!(repeats, 0);
    let met = times_met(&[first.clone(), second.clone()]);
    assert!(met.values().all(|&n| n == 1), "{first:?} then {second:?}");

    // The end: a new person then gets no live page.
    host.send(&WorkshopClientMsg::End).await;
    host.view_until(|v| v.stage == Stage::Ended).await;
    let mut late = WorkshopClient::connect(&server.wws(&w.participant_link)).await;
    late.hello("Late", 40).await;
    assert_eq!(late.error().await.0, ErrorCode::Ended);
    assert_eq!(late.closed().await, Some(CLOSE_GONE));
    // Someone who took part still opens it, and sees their breakout's summary link.
    let (_, welcome) = server.join_workshop(&w.participant_link, "P1", 1).await;
    let WorkshopServerMsg::Welcome { view, .. } = welcome else {
        unreachable!()
    };
    assert_eq!(view.stage, Stage::Ended);
    assert!(view.breakouts.iter().all(|b| b.summary.is_some() && b.link.is_none()));
}

#[tokio::test]
async fn workshop_commands_are_checked() {
    let server = TestServer::start().await;
    let w = server.workshop(settings(1)).await;
    let (mut host, _) = server.join_workshop(&w.host_link, "Fay", 0).await;
    let (mut observer, _) = server.join_workshop(&w.observer_link, "Obi", 9).await;
    let (mut p1, welcome) = server.join_workshop(&w.participant_link, "P1", 1).await;
    let p1_id = member(&welcome);

    // One person present: no round.
    host.send(&WorkshopClientMsg::Propose).await;
    assert_eq!(
        host.error().await.1,
        "A round needs at least 2 participants present (present now: 1)."
    );
    host.send(&WorkshopClientMsg::Open {
        groups: vec![vec![p1_id]],
    })
    .await;
    assert_eq!(host.error().await.0, ErrorCode::Refused);
    // Observers watch only.
    observer.send(&WorkshopClientMsg::Broadcast { text: "hi".into() }).await;
    assert_eq!(observer.error().await.0, ErrorCode::NotAllowed);
    // Nothing to call back, no time to add.
    host.send(&WorkshopClientMsg::CallBack).await;
    assert_eq!(host.error().await.1, "No round is open.");
    host.send(&WorkshopClientMsg::AddTime { minutes: 0 }).await;
    assert_eq!(host.error().await.1, "Add between 1 and 30 minutes.");
    host.send(&WorkshopClientMsg::Clock {
        op: tandem_core::protocol::workshop::ClockOp::Start,
    })
    .await;
    assert_eq!(
        host.error().await.1,
        "In this workshop each breakout runs its own clock."
    );
    // A malformed message and a binary frame get an answer, not a closed socket.
    host.ws
        .send(tokio_tungstenite::tungstenite::Message::text("{\"open\":{}}"))
        .await
        .unwrap();
    assert_eq!(host.error().await.0, ErrorCode::BadMessage);

    // Renamed and removed: the removed person's browser is refused from then on.
    host.send(&WorkshopClientMsg::Rename {
        who: p1_id,
        name: "Pat".into(),
    })
    .await;
    host.view_until(|v| v.people.iter().any(|p| p.name == "Pat")).await;
    host.send(&WorkshopClientMsg::Remove { who: p1_id }).await;
    assert_eq!(p1.error().await.0, ErrorCode::NotAllowed);
    assert_eq!(p1.closed().await, Some(CLOSE_GONE));
    let mut again = WorkshopClient::connect(&server.wws(&w.participant_link)).await;
    again.hello("Pat", 1).await;
    assert_eq!(again.error().await.1, "The facilitator removed you from this workshop.");
    host.view_until(|v| v.people.iter().all(|p| p.id != p1_id)).await;

    // A wrong token is not a workshop.
    let wrong = server.wws(&w.host_link).replace("?t=", "?t=x");
    assert!(tokio_tungstenite::connect_async(wrong).await.is_err());
}

#[tokio::test]
async fn one_clock_for_all_and_late_joiners_placed_by_themselves() {
    let server = TestServer::start().await;
    let settings = WorkshopSettings {
        one_clock: true,
        place_late_joiners: true,
        ..settings(2)
    };
    let (w, mut host, _p1, _p2, link) = one_pair_open(&server, settings).await;
    let (mut member, _) = server.join(&link, "P1", 1, None).await;

    // The members do not drive the clock; the facilitator drives every breakout's.
    member
        .send(&tandem_core::protocol::ClientMsg::Timer {
            room: tandem_core::session::RoomId::MAIN,
            command: tandem_core::session::TimerCommand::Start,
        })
        .await;
    assert_eq!(member.error().await.0, ErrorCode::NotAllowed);
    host.send(&WorkshopClientMsg::Clock {
        op: tandem_core::protocol::workshop::ClockOp::Start,
    })
    .await;
    let started = member.recv_until(|m| matches!(m, ServerMsg::Room { .. })).await;
    assert!(matches!(
        started,
        ServerMsg::Room {
            event: tandem_core::session::RoomEvent::Started,
            ..
        }
    ));

    // Someone arriving now goes into the smallest breakout (the only one: a trio now).
    let (_late, welcome) = server.join_workshop(&w.participant_link, "Late", 3).await;
    let WorkshopServerMsg::Welcome { view, you, .. } = welcome else {
        unreachable!()
    };
    let b = my_breakout(&view).expect("placed at once");
    assert!(b.members.contains(&you));
    assert_eq!(b.members.len(), 3);
    // Their page, arriving in the breakout, is told why it is there.
    let (mut page, _) = server.join(b.link.as_deref().unwrap(), "Late", 3, None).await;
    let notice = page.recv_until(|m| matches!(m, ServerMsg::Notice { .. })).await;
    assert!(
        matches!(&notice, ServerMsg::Notice { text } if text == "You arrived during the round: you were placed in breakout 1."),
        "{notice:?}"
    );
}

#[tokio::test]
async fn a_yjs_client_reads_a_breakout_through_the_facilitators_link() {
    let server = TestServer::start().await;
    let settings = WorkshopSettings {
        facilitator_reads_notes: true,
        ..settings(1)
    };
    let (_w, mut host, _p1, _p2, link) = one_pair_open(&server, settings).await;
    let view = host.view_until(|v| v.stage == Stage::Breakouts).await;
    let observer = view.breakouts[0]
        .link
        .clone()
        .expect("the facilitator may read notes here");
    assert_eq!(parts(&observer).0, parts(&link).0, "one breakout, two links");

    let mut page = server.page(&link, "P1", 1, NotesDoc::new()).await;
    page.type_text(SECTION, "Ask before advising").await;
    let mut yjs = crate::notes::Editor::new(server.yjs(&observer));
    yjs.connect().await;
    for _ in 0..50 {
        yjs.pull().await;
        if yjs.text() == "Ask before advising" {
            break;
        }
        page.round_trip().await;
    }
    assert_eq!(yjs.text(), "Ask before advising");
}

#[tokio::test]
async fn plenary_clocks_breakout_times_given_roles_and_a_word_for_the_moved() {
    let server = TestServer::start().await;
    let settings = WorkshopSettings {
        plenary_before: 10,
        plenary_after: 5,
        ..settings(1)
    };
    let w = server.workshop(settings).await;
    let (mut host, _) = server.join_workshop(&w.host_link, "Fay", 0).await;
    let (mut p1, _) = server.join_workshop(&w.participant_link, "P1", 1).await;
    let (_p2, _) = server.join_workshop(&w.participant_link, "P2", 2).await;

    // The opening plenary's clock: the facilitator's to start, seen by everyone.
    p1.send(&WorkshopClientMsg::StartPlenary).await;
    assert_eq!(p1.error().await.0, ErrorCode::NotAllowed);
    host.send(&WorkshopClientMsg::StartPlenary).await;
    p1.view_until(|v| v.plenary_started_at.is_some()).await;

    // The round opens: no plenary clock while it runs, and none to start.
    host.view_until(|v| v.people.iter().filter(|p| p.online).count() == 3)
        .await;
    let (groups, _) = propose(&mut host).await;
    host.send(&WorkshopClientMsg::Open { groups }).await;
    let view = p1.view_until(|v| v.stage == Stage::Breakouts).await;
    assert_eq!(view.plenary_started_at, None);
    host.send(&WorkshopClientMsg::StartPlenary).await;
    assert_eq!(host.error().await.0, ErrorCode::Refused);

    // The breakout says where it belongs, and the round gives the roles: nobody picks another.
    let link = my_breakout(&view).unwrap().link.clone().unwrap();
    let (mut page, welcome) = server.join(&link, "P1", 1, Some("coach")).await;
    let ServerMsg::Welcome { session, .. } = welcome else {
        unreachable!()
    };
    assert!(
        session.template_name.ends_with(", round 1 · breakout 1"),
        "{}",
        session.template_name
    );
    assert!(session.settings.breakout);
    page.send(&tandem_core::protocol::ClientMsg::SetRole { role: "coachee".into() })
        .await;
    assert_eq!(page.error().await.1, "In a workshop, each round gives the roles.");

    // Someone arriving late and placed by the facilitator is told so when their page reaches the breakout.
    let (mut late, welcome) = server.join_workshop(&w.participant_link, "Late", 3).await;
    let late_id = member(&welcome);
    host.send(&WorkshopClientMsg::Move { who: late_id, to: 0 }).await;
    let view = late.view_until(|v| my_breakout(v).is_some()).await;
    let link = my_breakout(&view).unwrap().link.clone().unwrap();
    let (mut late_page, _) = server.join(&link, "Late", 3, None).await;
    let notice = late_page.recv_until(|m| matches!(m, ServerMsg::Notice { .. })).await;
    assert!(matches!(notice, ServerMsg::Notice { text } if text == "You were placed in breakout 1."));

    // Called back from the last round: each breakout's clock time is in everyone's view, and the closing
    // plenary's clock runs by itself.
    host.send(&WorkshopClientMsg::CallBack).await;
    let back = p1
        .view_until(|v| v.stage == Stage::Plenary && v.breakouts.iter().all(|b| b.spent_ms.is_some()))
        .await;
    assert!(back.plenary_started_at.is_some());
    assert_eq!(back.breakouts.len(), 1);
}

#[tokio::test]
async fn a_proposal_and_its_changes_are_kept_for_every_facilitator_page() {
    let server = TestServer::start().await;
    let w = server.workshop(settings(2)).await;
    let (mut host, _) = server.join_workshop(&w.host_link, "Fay", 0).await;
    let mut people = Vec::new();
    for n in 1..=4u8 {
        people.push(server.join_workshop(&w.participant_link, &format!("P{n}"), n).await.0);
    }
    host.view_until(|v| v.people.iter().filter(|p| p.online).count() == 5)
        .await;
    // Nothing to change before a proposal.
    host.send(&WorkshopClientMsg::Draft { groups: vec![] }).await;
    assert_eq!(
        host.error().await.1,
        "There is no proposal to change: propose groups first."
    );
    let (groups, _) = propose(&mut host).await;

    // The facilitator moves someone: the relay keeps the change, and a page that joins (a reload, or a second
    // facilitator) gets it.
    let mut moved = groups.clone();
    let who = moved[0].pop().unwrap();
    moved[1].push(who);
    host.send(&WorkshopClientMsg::Draft { groups: moved.clone() }).await;
    let echo = host
        .recv_until(|m| matches!(m, WorkshopServerMsg::Proposal { .. }))
        .await;
    assert!(matches!(&echo, WorkshopServerMsg::Proposal { groups, .. } if groups == &moved));
    let (mut again, _) = server.join_workshop(&w.host_link, "Fay", 0).await;
    let kept = again
        .recv_until(|m| matches!(m, WorkshopServerMsg::Proposal { .. }))
        .await;
    assert!(matches!(&kept, WorkshopServerMsg::Proposal { groups, .. } if groups == &moved));
    // A participant does not get it; a change naming someone unknown is refused.
    host.send(&WorkshopClientMsg::Draft {
        groups: vec![vec![ParticipantId(77)]],
    })
    .await;
    assert_eq!(host.error().await.0, ErrorCode::Refused);
    // Nor a draft longer than the workshop could hold (it would be echoed to every facilitator's page).
    host.send(&WorkshopClientMsg::Draft {
        groups: vec![vec![moved[0][0]; 151]],
    })
    .await;
    assert_eq!(host.error().await.0, ErrorCode::Refused);
    let (mut p5, _) = server.join_workshop(&w.participant_link, "P5", 5).await;
    p5.send(&WorkshopClientMsg::Draft { groups: moved.clone() }).await;
    assert_eq!(p5.error().await.0, ErrorCode::NotAllowed);

    // Once the round opens, the proposal is gone: a facilitator joining then gets none.
    drop(p5);
    host.view_until(|v| v.people.iter().any(|p| p.name == "P5" && !p.online))
        .await;
    host.send(&WorkshopClientMsg::Open { groups: moved }).await;
    host.view_until(|v| v.stage == Stage::Breakouts).await;
    host.send(&WorkshopClientMsg::Draft { groups: vec![] }).await;
    assert_eq!(host.error().await.0, ErrorCode::Refused);
}
