//! Skills in a workshop (issue 17): the skills a workshop is about, what each person can help with and wants to
//! learn, and the group's knowledge-gap picture computed from them.
//!
//! The facilitator lists the skills when creating the workshop (free text). Each person then picks up to
//! [`MAX_PICKS`] they can help with (optionally with a [`Level`]) and up to [`MAX_PICKS`] they want to learn, from
//! that list only. The picture counts, per skill, how many want it and how many offer it; the same function feeds
//! the relay's chart, the record page and the Markdown (and the lobby and dashboard once the page shows skills).

use crate::session::FieldError;
use serde::{Deserialize, Serialize};

/// Most skills a workshop may list.
pub const MAX_WORKSHOP_SKILLS: usize = 40;
/// Longest skill name, in characters.
pub const MAX_SKILL_CHARS: usize = 40;
/// Most skills one person may offer, and most they may want.
pub const MAX_PICKS: usize = 5;

/// How much experience someone has with a skill they offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Some experience.
    Some,
    /// Solid.
    Solid,
    /// Expert.
    Expert,
}

impl Level {
    /// All levels, least first.
    pub const ALL: [Level; 3] = [Level::Some, Level::Solid, Level::Expert];

    /// 1 to 3, for the pairing's experience difference.
    pub fn rank(self) -> u8 {
        match self {
            Level::Some => 1,
            Level::Solid => 2,
            Level::Expert => 3,
        }
    }
}

/// A skill someone can help with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// The skill, as the workshop spells it.
    pub skill: String,
    /// How much experience they have (not given: counted as some).
    #[serde(default)]
    pub level: Option<Level>,
}

/// One person's skills: what they can help with and what they want to learn.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillAnswers {
    /// Skills they can help with, at most [`MAX_PICKS`].
    #[serde(default)]
    pub offers: Vec<Offer>,
    /// Skills they want to learn, at most [`MAX_PICKS`].
    #[serde(default)]
    pub wants: Vec<String>,
}

impl SkillAnswers {
    /// Answers from names: offers with their levels, then wants (for tests and tools; unchecked).
    pub fn from_names(offers: &[(&str, Option<Level>)], wants: &[&str]) -> SkillAnswers {
        SkillAnswers {
            offers: offers
                .iter()
                .map(|&(skill, level)| Offer {
                    skill: skill.to_string(),
                    level,
                })
                .collect(),
            wants: wants.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Whether they offer `skill`.
    pub fn offers(&self, skill: &str) -> bool {
        self.offers.iter().any(|o| o.skill == skill)
    }

    /// The level they offer `skill` at (an offer without a level counts as some), if they offer it.
    pub fn level(&self, skill: &str) -> Option<Level> {
        self.offers
            .iter()
            .find(|o| o.skill == skill)
            .map(|o| o.level.unwrap_or(Level::Some))
    }

    /// Their experience for the pairing: the highest level they offer anything at (an offer without a level counts
    /// as some), 0 when they offer nothing.
    pub fn experience(&self) -> u8 {
        self.offers
            .iter()
            .map(|o| o.level.unwrap_or(Level::Some).rank())
            .max()
            .unwrap_or(0)
    }

    /// Whether they gave nothing.
    pub fn is_empty(&self) -> bool {
        self.offers.is_empty() && self.wants.is_empty()
    }
}

/// The skills `from` offers that `to` wants, in `to`'s order. Where `to` offers the skill too (someone solid who
/// wants to become expert), only an offer at a higher level meets the want.
pub fn met_wants<'a>(from: &SkillAnswers, to: &'a SkillAnswers) -> Vec<&'a str> {
    to.wants
        .iter()
        .filter(|w| match (from.level(w), to.level(w)) {
            (Some(offered), Some(own)) => offered > own,
            (offered, _) => offered.is_some(),
        })
        .map(String::as_str)
        .collect()
}

/// Checks and tidies a workshop's skill list: names trimmed, none empty or longer than [`MAX_SKILL_CHARS`], no
/// two the same (ignoring case), at most [`MAX_WORKSHOP_SKILLS`]. An empty list means a workshop without skills.
pub fn clean_skill_list(list: &[String]) -> Result<Vec<String>, String> {
    if list.len() > MAX_WORKSHOP_SKILLS {
        return Err(format!(
            "A workshop can list at most {MAX_WORKSHOP_SKILLS} skills; this one has {}.",
            list.len()
        ));
    }
    let mut clean: Vec<String> = Vec::with_capacity(list.len());
    for name in list {
        let name = name.trim();
        if name.is_empty() {
            return Err("A skill needs a name.".into());
        }
        if name.chars().any(char::is_control) {
            return Err(format!(
                "“{}” holds a character that cannot be shown.",
                name.escape_debug()
            ));
        }
        if name.chars().count() > MAX_SKILL_CHARS {
            return Err(format!("“{name}” is longer than {MAX_SKILL_CHARS} characters."));
        }
        if clean.iter().any(|c| c.to_lowercase() == name.to_lowercase()) {
            return Err(format!("“{name}” is listed twice."));
        }
        clean.push(name.to_string());
    }
    Ok(clean)
}

/// Checks one person's skills against the workshop's list: at most [`MAX_PICKS`] of each kind, each on the list
/// (matched ignoring case and spelled as the list spells it), none twice. Offering and wanting the same skill is
/// allowed (someone solid who wants to become expert). On error, one message per field (`offers`, `wants`); nothing
/// is kept of a refused answer.
pub fn check_answers(answers: &SkillAnswers, skills: &[String]) -> Result<SkillAnswers, Vec<FieldError>> {
    let mut errors = Vec::new();
    let canonical = |name: &str| {
        let name = name.trim();
        skills.iter().find(|s| s.to_lowercase() == name.to_lowercase()).cloned()
    };
    let mut check = |field: &str, names: Vec<&str>| -> Vec<String> {
        let mut kept: Vec<String> = Vec::new();
        let problem = if names.len() > MAX_PICKS {
            Some(format!(
                "Pick at most {MAX_PICKS} skills here; you picked {}.",
                names.len()
            ))
        } else {
            names.iter().find_map(|name| match canonical(name) {
                _ if name.trim().is_empty() => Some("A skill needs a name.".to_string()),
                _ if name.chars().count() > MAX_SKILL_CHARS => {
                    Some(format!("A skill has at most {MAX_SKILL_CHARS} characters."))
                }
                None => Some(format!("“{}” is not one of this workshop's skills.", name.trim())),
                Some(skill) if kept.contains(&skill) => Some(format!("“{skill}” is picked twice.")),
                Some(skill) => {
                    kept.push(skill);
                    None
                }
            })
        };
        if let Some(message) = problem {
            errors.push(FieldError {
                field: field.into(),
                message,
            });
        }
        kept
    };
    let offered = check("offers", answers.offers.iter().map(|o| o.skill.as_str()).collect());
    let wants = check("wants", answers.wants.iter().map(String::as_str).collect());
    if !errors.is_empty() {
        return Err(errors);
    }
    let offers = offered
        .into_iter()
        .zip(&answers.offers)
        .map(|(skill, o)| Offer { skill, level: o.level })
        .collect();
    Ok(SkillAnswers { offers, wants })
}

/// One skill's line of the knowledge-gap picture.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillGap {
    /// The skill.
    pub skill: String,
    /// How many want to learn it.
    pub want: u32,
    /// How many can help with it.
    pub offer: u32,
}

impl SkillGap {
    /// Wanted by someone, offered by nobody: the facilitator's cue for a plenary topic or a follow-up.
    pub fn uncovered(&self) -> bool {
        self.want > 0 && self.offer == 0
    }

    /// "3 people want Kubernetes; nobody here offers it."
    pub fn callout(&self) -> String {
        let who = if self.want == 1 {
            "1 person wants".to_string()
        } else {
            format!("{} people want", self.want)
        };
        format!("{who} {}; nobody here offers it.", self.skill)
    }
}

/// The knowledge-gap picture: every listed skill with how many want it and offer it, the largest gap (wanted minus
/// offered) first, then the most wanted, then the list's order.
pub fn picture<'a>(skills: &[String], answers: impl IntoIterator<Item = &'a SkillAnswers>) -> Vec<SkillGap> {
    let mut lines: Vec<SkillGap> = skills
        .iter()
        .map(|s| SkillGap {
            skill: s.clone(),
            want: 0,
            offer: 0,
        })
        .collect();
    for a in answers {
        for line in &mut lines {
            line.want += u32::from(a.wants.contains(&line.skill));
            line.offer += u32::from(a.offers(&line.skill));
        }
    }
    // A stable sort keeps the list's order among equals.
    lines.sort_by_key(|l| {
        (
            std::cmp::Reverse(i64::from(l.want) - i64::from(l.offer)),
            std::cmp::Reverse(l.want),
        )
    });
    lines
}

/// The picture as a Markdown table, with the uncovered skills called out below it; names escaped (they stay text).
pub fn picture_markdown(picture: &[SkillGap]) -> String {
    let mut md = String::from("| Skill | Want to learn | Can help | Gap |\n| --- | ---: | ---: | ---: |\n");
    for l in picture {
        let skill = crate::markdown::text(&l.skill);
        md.push_str(&format!(
            "| {skill} | {} | {} | {} |\n",
            l.want,
            l.offer,
            i64::from(l.want) - i64::from(l.offer)
        ));
    }
    let uncovered: Vec<String> = picture
        .iter()
        .filter(|l| l.uncovered())
        .map(|l| crate::markdown::text(&l.callout()))
        .collect();
    if !uncovered.is_empty() {
        md.push('\n');
        for c in uncovered {
            md.push_str(&format!("- {c}\n"));
        }
    }
    md
}
