//! Text typed by people, made safe to put into a Markdown export: whatever it says, it stays text. A title with a
//! newline does not become a heading, `<img src=…>` is not raw HTML and `![x](http://…)` is not a remote image in
//! whatever renders the file.

/// Characters that are markup wherever they stand (emphasis, code, links and images, tables, strikethrough, raw HTML
/// and entities), escaped with a backslash, which CommonMark allows before any ASCII punctuation.
const INLINE: &str = "\\`*_[]<>!|~&";
/// Characters that are markup at the start of a line (headings, lists, quotes, setext underlines).
const LINE_START: &str = "#-+=>";

fn push_escaped(out: &mut String, line: &str) {
    // An ordered list starts with digits and `.` or `)`: escape that mark.
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    for (i, c) in line.chars().enumerate() {
        let starts = (i == 0 && LINE_START.contains(c)) || (i == digits && digits > 0 && ".)".contains(c));
        if starts || INLINE.contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
}

/// One line of plain text: whitespace (newlines included) collapsed to single spaces, markup escaped.
pub fn text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    push_escaped(&mut out, &raw.split_whitespace().collect::<Vec<_>>().join(" "));
    out
}

/// Several lines of plain text (notes): each line's markup escaped and its leading spaces dropped (four would make a
/// code block), kept as a line of its own (a hard line break); blank lines stay paragraph breaks, runs of them one.
pub fn block(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + raw.len() / 8);
    let mut blank = false;
    for line in raw.trim().lines().map(str::trim) {
        if line.is_empty() {
            blank = true;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank { "\n\n" } else { "  \n" });
        }
        blank = false;
        push_escaped(&mut out, line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_cannot_become_markup() {
        assert_eq!(text("# Big\n<img src=x>"), "\\# Big \\<img src=x\\>");
        assert_eq!(text("[a](http://x)"), "\\[a\\](http://x)");
        assert_eq!(text("  two   words. "), "two words.");
        assert_eq!(text("![t](http://e/x.png)"), "\\!\\[t\\](http://e/x.png)");
        assert_eq!(text("2. not a list"), "2\\. not a list");
        assert_eq!(
            text("a_b *c* `d` ~e~ &amp; |f|"),
            "a\\_b \\*c\\* \\`d\\` \\~e\\~ \\&amp; \\|f\\|"
        );
    }

    #[test]
    fn blocks_keep_their_lines_and_paragraphs_but_no_markup() {
        assert_eq!(block("one\n    two\n\n\n- three"), "one  \ntwo\n\n\\- three");
        assert_eq!(block("Title\n==="), "Title  \n\\===");
        assert_eq!(block("> quote\n1) item"), "\\> quote  \n1\\) item");
        assert_eq!(block("<script>x</script>"), "\\<script\\>x\\</script\\>");
        assert_eq!(block(" \n "), "");
    }
}
