//! The workshop's closing question (issue 17): "How useful was your pairing?" (1 to 5) and "What will you try next?",
//! answered once by each participant after a round, **anonymously**: the facilitator sees aggregates only, only once
//! they have closed the question (so that no answer can be told from the one before it by watching the figures
//! change), and only from [`MIN_ANSWERS`] answers on. Fewer would let them guess who said what ("only Ana and Dev
//! answered").
//!
//! Every workshop's closing question is anonymous: no workshop setting makes it otherwise (docs/workshops.md,
//! "The closing question"). The relay's store keeps who answered and what was answered apart, with nothing that joins
//! them; [`summarize`] is the only way the answers come out, and it gives nothing but a count below [`MIN_ANSWERS`].

use crate::session::FieldError;
use serde::{Deserialize, Serialize};

/// Fewest answers the facilitator may see, aggregated.
pub const MIN_ANSWERS: usize = 3;
/// Longest answer to "What will you try next?", in characters.
pub const MAX_NEXT_CHARS: usize = 280;

/// One participant's answer, with nothing that says whose it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosingAnswer {
    /// How useful the pairing was, 1 (not at all) to 5 (very).
    pub rating: u8,
    /// What they will try next; may be empty.
    pub next: String,
}

impl ClosingAnswer {
    /// The answer as a form sends it: the rating as text (`None`: not picked) and the free text. Refused with a
    /// message at each field that is wrong.
    pub fn parse(rating: Option<&str>, next: &str) -> Result<ClosingAnswer, Vec<FieldError>> {
        let mut errors = Vec::new();
        let rating = match rating.map(str::trim).filter(|r| !r.is_empty()) {
            None => {
                errors.push(field_error("rating", "Pick how useful your pairing was, from 1 to 5."));
                0
            }
            Some(r) => match r.parse::<u8>() {
                Ok(r @ 1..=5) => r,
                _ => {
                    errors.push(field_error("rating", "Pick a number from 1 to 5."));
                    0
                }
            },
        };
        let next = next.trim();
        let chars = next.chars().count();
        if chars > MAX_NEXT_CHARS {
            errors.push(field_error(
                "next",
                &format!("Keep it to {MAX_NEXT_CHARS} characters (it has {chars})."),
            ));
        }
        match errors.is_empty() {
            true => Ok(ClosingAnswer {
                rating,
                next: next.to_string(),
            }),
            false => Err(errors),
        }
    }
}

fn field_error(field: &str, message: &str) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// What the facilitator may see of the answers.
#[derive(Clone, Debug, PartialEq)]
pub enum ClosingSummary {
    /// Still taking answers: how many, and nothing else. The answers show together once the facilitator closes the
    /// question; before, each new answer would show as the change in the figures.
    Open {
        /// Answers so far.
        answered: usize,
    },
    /// Fewer than [`MIN_ANSWERS`]: how many, and nothing else.
    TooFew {
        /// Answers so far.
        answered: usize,
    },
    /// The aggregate.
    Shown {
        /// Answers.
        answered: usize,
        /// The mean rating, 1.0 to 5.0.
        average: f64,
        /// How many answered 1, 2, 3, 4 and 5.
        by_rating: [usize; 5],
        /// The non-empty answers to "What will you try next?", in alphabetical order (never in the order given,
        /// which could tell who wrote which).
        next: Vec<String>,
    },
}

/// The answers as the facilitator may see them: nothing but their count below [`MIN_ANSWERS`].
pub fn summarize(answers: &[ClosingAnswer]) -> ClosingSummary {
    let answered = answers.len();
    if answered < MIN_ANSWERS {
        return ClosingSummary::TooFew { answered };
    }
    let mut by_rating = [0; 5];
    for a in answers {
        by_rating[usize::from(a.rating.clamp(1, 5)) - 1] += 1;
    }
    let total: usize = answers.iter().map(|a| usize::from(a.rating)).sum();
    let mut next: Vec<String> = answers
        .iter()
        .map(|a| a.next.clone())
        .filter(|n| !n.is_empty())
        .collect();
    next.sort_by_key(|n| n.to_lowercase());
    ClosingSummary::Shown {
        answered,
        average: total as f64 / answered as f64,
        by_rating,
        next,
    }
}

/// The closing question's part of the facilitator's Markdown record: what [`summarize`] gave, as the record page shows
/// it (`joined`: how many participants joined).
pub fn closing_markdown(summary: &ClosingSummary, joined: usize) -> String {
    let mut md = String::from("\n## Closing question\n\n");
    match summary {
        ClosingSummary::Open { answered } => md.push_str(&format!(
            "{answered} of {joined} participants have answered so far. The answers are shown together once the \
             facilitator closes the question.\n"
        )),
        ClosingSummary::TooFew { answered } => md.push_str(&format!(
            "{answered} of {joined} participants have answered. The question is closed. Not enough answers to show \
             without revealing who: at least {MIN_ANSWERS} were needed.\n"
        )),
        ClosingSummary::Shown {
            answered,
            average,
            by_rating,
            next,
        } => {
            md.push_str(&format!(
                "{answered} of {joined} participants answered \"How useful was your pairing?\": {average:.1} of 5 on \
                 average.\n\n| Rating | Answers |\n| --- | --- |\n"
            ));
            for (n, count) in (1..=5).zip(by_rating) {
                md.push_str(&format!("| {n} | {count} |\n"));
            }
            md.push_str("\nWhat people will try next (in alphabetical order, without names):\n\n");
            if next.is_empty() {
                md.push_str("- Nobody wrote what they will try next.\n");
            }
            for text in next {
                md.push_str(&format!("- {}\n", crate::markdown::text(text)));
            }
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_rating_from_one_to_five_and_a_short_text_are_taken_trimmed() {
        let answer = ClosingAnswer::parse(Some("4"), "  Ask more open questions \n").unwrap();
        assert_eq!(
            answer,
            ClosingAnswer {
                rating: 4,
                next: "Ask more open questions".into()
            }
        );
        assert_eq!(ClosingAnswer::parse(Some("1"), "").unwrap().rating, 1);
    }

    #[test]
    fn a_missing_or_wrong_rating_and_a_long_text_are_refused_at_their_fields() {
        let missing = ClosingAnswer::parse(None, "").unwrap_err();
        assert_eq!(
            missing,
            vec![field_error("rating", "Pick how useful your pairing was, from 1 to 5.")]
        );
        for wrong in ["0", "6", "four", "-1", "3.5"] {
            let errors = ClosingAnswer::parse(Some(wrong), "").unwrap_err();
            assert_eq!(
                errors,
                vec![field_error("rating", "Pick a number from 1 to 5.")],
                "{wrong}"
            );
        }
        let long = "é".repeat(MAX_NEXT_CHARS + 1);
        let errors = ClosingAnswer::parse(Some(""), &long).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[1].field, "next");
        assert_eq!(errors[1].message, "Keep it to 280 characters (it has 281).");
        assert!(ClosingAnswer::parse(Some("5"), &"é".repeat(MAX_NEXT_CHARS)).is_ok());
    }

    #[test]
    fn three_answers_show_the_average_the_counts_and_the_texts_in_alphabetical_order() {
        let answers = [
            ClosingAnswer {
                rating: 5,
                next: "pair again".into(),
            },
            ClosingAnswer {
                rating: 2,
                next: String::new(),
            },
            ClosingAnswer {
                rating: 4,
                next: "Ask why twice".into(),
            },
        ];
        let ClosingSummary::Shown {
            answered,
            average,
            by_rating,
            next,
        } = summarize(&answers)
        else {
            panic!("three answers are shown");
        };
        assert_eq!(answered, 3);
        assert!((average - 11.0 / 3.0).abs() < 1e-9);
        assert_eq!(by_rating, [0, 1, 0, 1, 1]);
        assert_eq!(next, vec!["Ask why twice".to_string(), "pair again".to_string()]);
    }

    #[test]
    fn the_markdown_has_a_count_below_three_answers_and_the_aggregate_from_three() {
        let open = closing_markdown(&ClosingSummary::Open { answered: 4 }, 5);
        assert!(open.contains("4 of 5 participants have answered so far."), "{open}");
        let few = closing_markdown(&ClosingSummary::TooFew { answered: 2 }, 5);
        assert!(
            few.contains("2 of 5 participants have answered. The question is closed. Not enough answers"),
            "{few}"
        );
        let answers = [
            ClosingAnswer {
                rating: 5,
                next: "*Ask* more".into(),
            },
            ClosingAnswer {
                rating: 4,
                next: String::new(),
            },
            ClosingAnswer {
                rating: 3,
                next: String::new(),
            },
        ];
        let md = closing_markdown(&summarize(&answers), 5);
        assert!(
            md.contains("3 of 5 participants answered \"How useful was your pairing?\": 4.0 of 5"),
            "{md}"
        );
        assert!(md.contains("| 5 | 1 |\n") && md.contains("| 1 | 0 |\n"), "{md}");
        assert!(md.contains("- \\*Ask\\* more\n"), "{md}");
    }

    proptest! {
        /// Below three answers nothing but the count comes out; from three on, every answer is counted once and
        /// the texts are the non-empty ones, whatever order they were given in.
        #[test]
        fn nothing_but_a_count_below_three_answers(
            given in proptest::collection::vec((1u8..=5, "[a-z ]{0,8}"), 0..12)
        ) {
            let answers: Vec<ClosingAnswer> =
                given.iter().map(|(rating, next)| ClosingAnswer { rating: *rating, next: next.trim().into() }).collect();
            match summarize(&answers) {
                ClosingSummary::TooFew { answered } => {
                    prop_assert!(answers.len() < MIN_ANSWERS);
                    prop_assert_eq!(answered, answers.len());
                }
                ClosingSummary::Shown { answered, by_rating, next, .. } => {
                    prop_assert!(answers.len() >= MIN_ANSWERS);
                    prop_assert_eq!(answered, answers.len());
                    prop_assert_eq!(by_rating.iter().sum::<usize>(), answers.len());
                    let mut reversed = answers.clone();
                    reversed.reverse();
                    prop_assert_eq!(summarize(&reversed), summarize(&answers));
                    prop_assert_eq!(next.len(), answers.iter().filter(|a| !a.next.is_empty()).count());
                }
                ClosingSummary::Open { .. } => prop_assert!(false, "summarize is for a closed question"),
            }
        }
    }
}
