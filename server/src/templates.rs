//! The session templates shipped in `server/templates/*.toml`, embedded at build time.

use tandem_core::session::{validate_agenda, Template};

const SOURCES: [(&str, &str); 5] = [
    ("grow.toml", include_str!("../templates/grow.toml")),
    ("sbi.toml", include_str!("../templates/sbi.toml")),
    ("mentoring.toml", include_str!("../templates/mentoring.toml")),
    ("teach-back.toml", include_str!("../templates/teach-back.toml")),
    ("troika.toml", include_str!("../templates/troika.toml")),
];

/// A template file that does not parse or breaks a rule.
#[derive(Debug, thiserror::Error)]
#[error("template {file}: {problem}")]
pub struct TemplateError {
    file: &'static str,
    problem: String,
}

/// Parses and checks every shipped template.
pub fn load() -> Result<Vec<Template>, TemplateError> {
    SOURCES
        .iter()
        .map(|(file, text)| {
            let bad = |problem: String| TemplateError { file, problem };
            let t: Template = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
            validate_agenda(&t.phases).map_err(|e| bad(e.to_string()))?;
            for p in &t.phases {
                if !(2..=4).contains(&p.questions.len()) {
                    return Err(bad(format!("phase {:?} needs 2 to 4 guiding questions", p.title)));
                }
                if let Some(lead) = p.lead_role.as_ref().filter(|r| !t.roles.iter().any(|x| &x.id == *r)) {
                    return Err(bad(format!("phase {:?} is led by unknown role {lead:?}", p.title)));
                }
                if let Some(form) = &p.form {
                    if !t.forms.iter().any(|f| &f.id == form) {
                        return Err(bad(format!("phase {:?} names unknown form {form:?}", p.title)));
                    }
                }
            }
            for f in &t.forms {
                if let Some(unknown) = f
                    .givers
                    .iter()
                    .chain(&f.about)
                    .find(|r| !t.roles.iter().any(|x| &x.id == *r))
                {
                    return Err(bad(format!("form {:?} names unknown role {unknown:?}", f.id)));
                }
            }
            // A section id names one section. A private section may be offered again in a later phase (SBI's draft
            // in the feedback rounds, where its author shares it): the same id with the same definition is the same
            // text. Anything else repeated is a mistake in the template.
            let mut seen: Vec<&tandem_core::session::NoteSection> = Vec::new();
            for n in t.phases.iter().flat_map(|p| &p.notes) {
                match seen.iter().find(|s| s.id == n.id) {
                    Some(first) if n.private && *first == n => {}
                    Some(_) => return Err(bad("note section ids must be unique".into())),
                    None => seen.push(n),
                }
            }
            Ok(t)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_core::session::total_minutes;

    #[test]
    fn shipped_templates_parse_and_have_the_promised_shape() {
        let all = load().unwrap();
        let ids: Vec<&str> = all.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["grow", "sbi", "mentoring", "teach-back", "troika"]);
        let grow = &all[0];
        let plan: Vec<(&str, u32)> = grow.phases.iter().map(|p| (p.title.as_str(), p.minutes)).collect();
        assert_eq!(
            plan,
            [
                ("Goal", 5),
                ("Reality", 10),
                ("Options", 10),
                ("Will", 5),
                ("Feedback", 5)
            ]
        );
        assert_eq!(grow.phases[0].notes[0].title, "Goal statement");
        assert!(grow.roles.iter().any(|r| r.id == "coachee"));
        assert_eq!(total_minutes(&all[1].phases), 20);
        assert_eq!(total_minutes(&all[2].phases), 30);
        assert_eq!(total_minutes(&all[3].phases), 25);
        let troika = &all[4];
        assert_eq!((troika.group.min, troika.group.max), (3, 3));
        assert_eq!(
            troika
                .phases
                .iter()
                .filter(|p| p.title.ends_with("client shares"))
                .count(),
            3
        );
        for t in &all {
            assert!(
                t.phases.iter().all(|p| (2..=4).contains(&p.questions.len())),
                "{}: 2–4 questions per phase",
                t.id
            );
        }
    }
}
