//! "Your history" (issue 18): what the relay's `/me` page needs that is pure — the personal key's shape and the
//! search box's words turned into a full-text query that can never be a syntax error.

/// Most characters of a search that are read; the rest is ignored (never an error).
pub const MAX_QUERY_CHARS: usize = 200;

/// Most words of a search that are used.
pub const MAX_QUERY_WORDS: usize = 12;

/// Where a search result's matched words start and end in the snippet SQLite returns (`snippet()`'s markers):
/// characters that [`search_words`] never lets through, so that text people typed cannot be taken for them
/// ([`marked`] drops any that the text itself holds).
pub const MARK_START: char = '\u{2}';
/// See [`MARK_START`].
pub const MARK_END: char = '\u{3}';

/// The words of a search as typed: letters and digits (any script), split on everything else, at most
/// [`MAX_QUERY_WORDS`] of the first [`MAX_QUERY_CHARS`] characters. Quotes, `*`, `NEAR`, parentheses and the like
/// are plain text here: `NEAR` is a word, the rest separates words.
pub fn search_words(query: &str) -> Vec<String> {
    let head: String = query.chars().take(MAX_QUERY_CHARS).collect();
    head.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MAX_QUERY_WORDS)
        .map(str::to_string)
        .collect()
}

/// The full-text query (SQLite FTS5) for a search: every word must appear; each word of two characters or more
/// also matches as the start of a longer one ("commit" finds "commitment"). Each word is a quoted string, so no
/// word is read as an operator. `None` when the search has no word.
pub fn fts_query(query: &str) -> Option<String> {
    quoted_terms(query, '"', "*", " ")
}

/// The same search as [`fts_query`] for PostgreSQL (`to_tsquery('simple', …)`): every word, each of two characters
/// or more also as a prefix (`word:*`). Each word is quoted, so none is read as an operator. `None` when the search
/// has no word.
pub fn tsquery(query: &str) -> Option<String> {
    quoted_terms(query, '\'', ":*", " & ")
}

/// The words of `query` ([`search_words`]), each between `quote`s, followed by `prefix` when it has two characters
/// or more, joined by `between`; `None` without a word.
fn quoted_terms(query: &str, quote: char, prefix: &str, between: &str) -> Option<String> {
    let words = search_words(query);
    if words.is_empty() {
        return None;
    }
    let terms: Vec<String> = words
        .iter()
        .map(|w| {
            let star = if w.chars().count() >= 2 { prefix } else { "" };
            format!("{quote}{w}{quote}{star}")
        })
        .collect();
    Some(terms.join(between))
}

/// A snippet with its matched words marked by [`MARK_START`] and [`MARK_END`], as parts: `(matched, text)`.
pub fn marked(snippet: &str) -> Vec<(bool, String)> {
    let mut parts: Vec<(bool, String)> = Vec::new();
    let mut inside = false;
    let mut current = String::new();
    for c in snippet.chars() {
        let flip = match c {
            MARK_START => Some(true),
            MARK_END => Some(false),
            _ => None,
        };
        match flip {
            Some(next) => {
                if !current.is_empty() {
                    parts.push((inside, std::mem::take(&mut current)));
                }
                inside = next;
            }
            None => current.push(c),
        }
    }
    if !current.is_empty() {
        parts.push((inside, current));
    }
    parts
}

/// A duration as people say it: "45 min", "1 h 5 min", "under a minute".
pub fn duration_label(ms: i64) -> String {
    let minutes = (ms.max(0) + 30_000) / 60_000;
    match minutes {
        0 => "under a minute".to_string(),
        m if m < 60 => format!("{m} min"),
        m if m % 60 == 0 => format!("{} h", m / 60),
        m => format!("{} h {} min", m / 60, m % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn search_syntax_is_plain_words() {
        assert_eq!(fts_query("  "), None);
        assert_eq!(fts_query("\"*()"), None);
        assert_eq!(fts_query("listening"), Some("\"listening\"*".into()));
        assert_eq!(
            fts_query("\"unbalanced NEAR(a b)* OR x"),
            Some("\"unbalanced\"* \"NEAR\"* \"a\" \"b\" \"OR\"* \"x\"".into())
        );
        assert_eq!(fts_query("Café déjà-vu"), Some("\"Café\"* \"déjà\"* \"vu\"*".into()));
        assert_eq!(tsquery("  "), None);
        assert_eq!(tsquery("listening a"), Some("'listening':* & 'a'".into()));
        assert_eq!(tsquery("it's (x|y) !z"), Some("'it':* & 's' & 'x' & 'y' & 'z'".into()));
        let long = "word ".repeat(100);
        assert_eq!(search_words(&long).len(), MAX_QUERY_WORDS);
        let one_long = "a".repeat(500);
        assert_eq!(search_words(&one_long), vec!["a".repeat(MAX_QUERY_CHARS)]);
    }

    #[test]
    fn snippets_split_at_their_marks() {
        assert_eq!(
            marked("we \u{2}listen\u{3}ed well"),
            vec![
                (false, "we ".into()),
                (true, "listen".into()),
                (false, "ed well".into())
            ]
        );
        assert_eq!(marked(""), vec![]);
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration_label(10_000), "under a minute");
        assert_eq!(duration_label(45 * 60_000), "45 min");
        assert_eq!(duration_label(60 * 60_000), "1 h");
        assert_eq!(duration_label(65 * 60_000 + 1), "1 h 5 min");
    }

    proptest! {
        /// Whatever is typed, the query is only quoted words of letters and digits (so FTS5 reads no operator and
        /// cannot fail on syntax), and no more of them than the limit.
        #[test]
        fn any_input_gives_only_quoted_words(input in any::<String>()) {
            if let Some(q) = fts_query(&input) {
                let terms: Vec<&str> = q.split(' ').collect();
                prop_assert!(terms.len() <= MAX_QUERY_WORDS);
                for t in terms {
                    let inner = t.trim_end_matches('*');
                    prop_assert!(inner.len() >= 3 && inner.starts_with('"') && inner.ends_with('"'));
                    prop_assert!(inner[1..inner.len() - 1].chars().all(char::is_alphanumeric));
                }
            }
        }

        /// The same for PostgreSQL's query: quoted words of letters and digits joined by `&`, nothing else.
        #[test]
        fn any_input_gives_a_plain_tsquery(input in any::<String>()) {
            if let Some(q) = tsquery(&input) {
                let terms: Vec<&str> = q.split(" & ").collect();
                prop_assert!(terms.len() <= MAX_QUERY_WORDS);
                for t in terms {
                    let inner = t.trim_end_matches(":*");
                    prop_assert!(inner.len() >= 3 && inner.starts_with('\'') && inner.ends_with('\''));
                    prop_assert!(inner[1..inner.len() - 1].chars().all(char::is_alphanumeric));
                }
            }
        }
    }
}
