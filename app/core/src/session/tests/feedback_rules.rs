//! Feedback forms: who may give which form, answer rules, the summary export.

use super::super::summary::format_utc;
use super::super::*;
use std::collections::BTreeMap;

fn form() -> FormSpec {
    let text = |id: &str, required| FormField {
        id: id.into(),
        label: id.into(),
        help: String::new(),
        example: String::new(),
        required,
        kind: FieldKind::Text { max_chars: 10 },
    };
    FormSpec {
        id: "f".into(),
        title: "F".into(),
        givers: Vec::new(),
        about: Vec::new(),
        receiver_note: String::new(),
        fields: vec![
            text("situation", true),
            text("extra", false),
            FormField {
                kind: FieldKind::Rating,
                ..text("listening", true)
            },
        ],
    }
}

fn answers(pairs: &[(&str, Answer)]) -> BTreeMap<String, Answer> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

#[test]
fn valid_answers_pass_and_optional_fields_may_be_absent() {
    let ok = answers(&[
        ("situation", Answer::Text("standup".into())),
        ("listening", Answer::Rating(5)),
    ]);
    assert_eq!(validate_answers(&form(), &ok), Ok(()));
}

#[test]
fn every_problem_is_reported_at_its_field() {
    let bad = answers(&[
        ("situation", Answer::Text("   ".into())),
        ("extra", Answer::Text("x".repeat(11))),
        ("listening", Answer::Rating(0)),
        ("unknown", Answer::Rating(3)),
    ]);
    let errors = validate_answers(&form(), &bad).unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["unknown", "situation", "extra", "listening"]);
    assert_eq!(errors[2].message, "At most 10 characters (this has 11).");
    let wrong_kind = answers(&[
        ("situation", Answer::Rating(3)),
        ("listening", Answer::Text("5".into())),
    ]);
    assert_eq!(validate_answers(&form(), &wrong_kind).unwrap_err().len(), 2);
}

#[test]
fn forms_follow_the_roles_they_name() {
    let grow = FormSpec {
        givers: vec!["coachee".into(), "observer".into()],
        about: vec!["coach".into()],
        ..form()
    };
    let role = |id: &str, name: &str| RoleSpec {
        id: id.into(),
        name: name.into(),
        description: String::new(),
        shared: false,
    };
    let roles = [
        role("coach", "Coach"),
        role("coachee", "Coachee"),
        role("observer", "Observer"),
    ];
    assert_eq!(check_roles(&grow, &roles, Some("coachee"), Some("coach")), Ok(()));
    assert_eq!(check_roles(&grow, &roles, Some("observer"), Some("coach")), Ok(()));
    assert_eq!(
        check_roles(&grow, &roles, Some("coach"), Some("coachee")),
        Err("“F” is given by the Coachee or Observer, not by the Coach.".into())
    );
    assert_eq!(
        check_roles(&grow, &roles, Some("observer"), Some("coachee")),
        Err("“F” is feedback about the Coach, not about the Coachee.".into())
    );
    // No role does not slip past a form that names roles: the giver is asked to pick one first, and feedback
    // is not about someone who has none.
    assert!(!grow.may_give(None) && !grow.may_be_about(None));
    assert_eq!(
        check_roles(&grow, &roles, None, Some("coach")),
        Err("Pick your role first (Your role, in the session page), then send your feedback.".into())
    );
    assert_eq!(
        check_roles(&grow, &roles, Some("coachee"), None),
        Err("“F” is feedback about the Coach, and this person has not picked a role yet.".into())
    );
    // An empty list is everyone, with or without a role (a session without roles).
    assert_eq!(check_roles(&form(), &roles, Some("coach"), Some("coachee")), Ok(()));
    assert_eq!(check_roles(&form(), &[], None, None), Ok(()));
    assert!(form().may_give(None) && form().may_be_about(None));
    // Forms stored before the role lists existed read as open to everyone.
    let old: FormSpec = serde_json::from_str(r#"{"id":"f","title":"F","fields":[]}"#).unwrap();
    assert!(old.givers.is_empty() && old.about.is_empty() && old.receiver_note.is_empty());
}

#[test]
fn the_markdown_export_lists_answers_in_the_form_order_and_roles_by_name() {
    use super::super::summary::Summary;
    let session = SessionSpec {
        id: SessionId("s".into()),
        template_id: "t".into(),
        template_name: "T".into(),
        goal: String::new(),
        roles: vec![RoleSpec {
            id: "coachee".into(),
            name: "Coachee".into(),
            description: String::new(),
            shared: false,
        }],
        phases: vec![super::phase("Goal", 5)],
        forms: vec![form()],
        settings: SessionSettings::default(),
        created_at: 0,
        end_after_last_phase: false,
    };
    let person = |id: u32, name: &str, role: Option<&str>, capability| ParticipantView {
        id: ParticipantId(id),
        name: name.into(),
        role: role.map(String::from),
        capability,
        online: false,
    };
    let summary = Summary {
        session,
        capability: Capability::Host,
        ended_at: Some(0),
        outcome: None,
        participants: vec![
            person(1, "Ana", None, Capability::Host),
            person(2, "Ben", Some("coachee"), Capability::Participant),
        ],
        viewer: Some(ParticipantId(1)),
        feedback: vec![Feedback {
            id: FeedbackId("fb".into()),
            form: "f".into(),
            from: ParticipantId(2),
            about: ParticipantId(1),
            // Alphabetically: extra, listening, old_field, situation. The form says situation, extra, listening.
            answers: answers(&[
                ("listening", Answer::Rating(4)),
                ("situation", Answer::Text("standup".into())),
                ("extra", Answer::Text("more".into())),
                ("old_field", Answer::Text("kept".into())),
            ]),
            shared_with_host: false,
            submitted_at: 0,
        }],
    };
    let md = summary.to_markdown();
    let at = |needle: &str| md.find(needle).unwrap_or_else(|| panic!("{needle} missing in {md}"));
    assert!(at("- **situation**: standup") < at("- **extra**: more"));
    assert!(at("- **extra**: more") < at("- **listening**: 4/5"));
    assert!(
        at("- **listening**: 4/5") < at("- **old\\_field**: kept"),
        "unknown fields come last"
    );
    // Attendance names the role as the template does, or what the link allowed, capitalised.
    // Time present in m:ss, as the summary page shows it.
    assert!(md.contains("- Ben (Coachee) — 0:00 present"), "{md}");
    assert!(md.contains("- Ana (Host) — 0:00 present"), "{md}");
    assert_eq!(summary.role_label(&summary.participants[1]), "Coachee");
    // The export keeps UTC.
    assert!(md.contains("ended 1970-01-01 00:00 UTC"), "{md}");

    // What people type stays text: no heading from a newline in the goal, no raw HTML, no remote image.
    let mut hostile = summary.clone();
    hostile.session.goal = "Grow\n# Owned <img src=x onerror=alert(1)> ![p](http://e/p.png)".into();
    hostile.participants[1].name = "<b>Ben</b>".into();
    let md = hostile.to_markdown();
    assert!(
        md.starts_with("# Grow # Owned \\<img src=x onerror=alert(1)\\> \\!\\[p\\](http://e/p.png)\n"),
        "{md}"
    );
    assert!(md.contains("- \\<b\\>Ben\\</b\\> (Coachee)"), "{md}");
    assert!(
        !md.replace("\\<", "").contains('<') && !md.replace("\\!", "").contains("!["),
        "{md}"
    );
}

#[test]
fn answers_travel_as_plain_json_values() {
    let json = r#"{"listening":4,"situation":"standup"}"#;
    let parsed: BTreeMap<String, Answer> = serde_json::from_str(json).unwrap();
    assert_eq!(parsed["listening"], Answer::Rating(4));
    assert_eq!(parsed["situation"], Answer::Text("standup".into()));
    // Written back the same way; negative ratings and escaped text are read as such (validation, not parsing,
    // refuses out-of-range ratings).
    assert_eq!(serde_json::to_string(&parsed).unwrap(), json);
    let odd: BTreeMap<String, Answer> = serde_json::from_str(r#"{"a":-2,"b":"say \"hi\"\n"}"#).unwrap();
    assert_eq!(odd["a"], Answer::Rating(-2));
    assert_eq!(odd["b"], Answer::Text("say \"hi\"\n".into()));
    // Anything else is refused, as before (the message is new): fractions, numbers past i64, lists, objects,
    // null, booleans.
    for bad in ["1.5", "9223372036854775808", "[1]", r#"{"x":1}"#, "null", "true"] {
        let err = serde_json::from_str::<Answer>(bad).unwrap_err().to_string();
        assert!(err.contains("a rating (a whole number) or a text"), "{bad}: {err}");
    }
}

#[test]
fn feedback_is_private_unless_shared_with_the_host() {
    let f = Feedback {
        id: FeedbackId("x".repeat(16)),
        form: "f".into(),
        from: ParticipantId(2),
        about: ParticipantId(3),
        answers: BTreeMap::new(),
        shared_with_host: false,
        submitted_at: 0,
    };
    assert!(may_see(&f, Some(ParticipantId(2)), Capability::Participant));
    assert!(may_see(&f, Some(ParticipantId(3)), Capability::Participant));
    assert!(!may_see(&f, Some(ParticipantId(1)), Capability::Host));
    assert!(!may_see(&f, None, Capability::Host));
    let shared = Feedback {
        shared_with_host: true,
        ..f
    };
    assert!(may_see(&shared, Some(ParticipantId(1)), Capability::Host));
    assert!(!may_see(&shared, Some(ParticipantId(4)), Capability::Participant));
}

#[test]
fn utc_dates_are_civil() {
    assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
    assert_eq!(format_utc(1795947000000), "2026-11-29 10:10 UTC");
    assert_eq!(format_utc(951_782_400_000), "2000-02-29 00:00 UTC");
}
