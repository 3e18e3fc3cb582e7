//! Segmentation: paragraphs and sentences as char spans of the text.
//!
//! Rules tuned for news: paragraphs are separated by line breaks; a sentence ends at `.`, `!` or
//! `?` (plus any closing quote marks and brackets) when whitespace and a plausible sentence start
//! follow, unless the dot ends a known abbreviation or an initial (`Mr.`, `U.S.`, `J.`).

use crate::document::{CharSpan, Document};

/// Fills `doc.paragraphs` and `doc.sentences`.
pub fn segment(doc: &mut Document) {
    let chars: Vec<char> = doc.text.chars().collect();
    doc.paragraphs = paragraphs(&chars);
    doc.sentences = doc.paragraphs.iter().flat_map(|p| sentences(&chars, *p)).collect();
}

/// Lines with words; a line break ends a paragraph (news files put one paragraph per line).
/// A line of whitespace and punctuation alone (` .`, `*`, `--`), which scraped pages leave
/// between paragraphs, is a separator, not a paragraph; one with a quotation mark is kept, as
/// it may close a quote.
fn paragraphs(chars: &[char]) -> Vec<CharSpan> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..=chars.len() {
        if i == chars.len() || chars[i] == '\n' || chars[i] == '\u{2029}' {
            if let Some(span) = trim(chars, CharSpan::new(start, i)) {
                if chars[span.start..span.end].iter().any(|&c| c.is_alphanumeric() || is_quotation_mark(c)) {
                    out.push(span);
                }
            }
            start = i + 1;
        }
    }
    out
}

fn is_quotation_mark(c: char) -> bool {
    matches!(c, '"' | '“' | '”' | '«' | '»' | '„' | '‘' | '’' | '\'')
}

fn trim(chars: &[char], span: CharSpan) -> Option<CharSpan> {
    let mut s = span.start;
    let mut e = span.end;
    while s < e && chars[s].is_whitespace() {
        s += 1;
    }
    while e > s && chars[e - 1].is_whitespace() {
        e -= 1;
    }
    (s < e).then(|| CharSpan::new(s, e))
}

const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "maj", "capt", "sgt", "cmdr", "adm", "gov",
    "sen", "rep", "rev", "hon", "pres", "st", "jr", "sr", "co", "corp", "inc", "ltd", "bros", "no",
    "vs", "etc", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
    "dec", "mt", "ft", "approx", "dept", "est", "fig", "univ", "ave", "blvd",
];

pub(crate) fn is_closing(c: char) -> bool {
    matches!(c, '"' | '\'' | '”' | '’' | '»' | '›' | ')' | ']' | '}')
}

fn is_opening(c: char) -> bool {
    matches!(c, '"' | '\'' | '“' | '‘' | '«' | '‹' | '(' | '[' | '—' | '-')
}

fn sentences(chars: &[char], para: CharSpan) -> Vec<CharSpan> {
    let mut out = Vec::new();
    let mut start = para.start;
    let mut i = para.start;
    while i < para.end {
        let c = chars[i];
        if matches!(c, '.' | '!' | '?' | '…') {
            let mut j = i + 1;
            while j < para.end && (is_closing(chars[j]) || matches!(chars[j], '.' | '!' | '?')) {
                j += 1;
            }
            if j < para.end && chars[j].is_whitespace() {
                let mut k = j;
                while k < para.end && chars[k].is_whitespace() {
                    k += 1;
                }
                let next = chars.get(k).copied().unwrap_or(' ');
                let starts_sentence = next.is_uppercase() || next.is_numeric() || is_opening(next);
                if starts_sentence && !(c == '.' && is_abbreviation(chars, para.start, i)) {
                    if let Some(s) = trim(chars, CharSpan::new(start, j)) {
                        out.push(s);
                    }
                    start = k;
                    i = k;
                    continue;
                }
            }
            i = j;
            continue;
        }
        i += 1;
    }
    if let Some(s) = trim(chars, CharSpan::new(start, para.end)) {
        out.push(s);
    }
    out
}

/// Whether the dot at `dot` ends an abbreviation or an initial rather than a sentence.
pub(crate) fn is_abbreviation(chars: &[char], floor: usize, dot: usize) -> bool {
    let mut s = dot;
    while s > floor && (chars[s - 1].is_alphabetic() || chars[s - 1] == '.') {
        s -= 1;
    }
    let word: String = chars[s..dot].iter().collect();
    if word.is_empty() {
        return false;
    }
    // Initials and dotted acronyms: `J.`, `U.S.`, `a.m.`
    if word.contains('.') || (word.chars().count() == 1 && word.chars().all(char::is_uppercase)) {
        return true;
    }
    ABBREVIATIONS.contains(&word.to_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sents(text: &str) -> Vec<String> {
        let mut doc = Document::new("t", text);
        segment(&mut doc);
        doc.sentences.iter().map(|s| doc.slice(*s).to_string()).collect()
    }

    #[test]
    fn splits_paragraphs_on_line_breaks() {
        let mut doc = Document::new("t", "Title\n\nFirst para. Two.\n  \nSecond para.\n");
        segment(&mut doc);
        let paras: Vec<&str> = doc.paragraphs.iter().map(|p| doc.slice(*p)).collect();
        assert_eq!(paras, vec!["Title", "First para. Two.", "Second para."]);
        assert_eq!(doc.sentences.len(), 4);
    }

    #[test]
    fn lines_of_punctuation_alone_separate_paragraphs() {
        let mut doc = Document::new("t", "First para.\n .\nSecond para.\n \t\n*\n“\nThird para.\n");
        segment(&mut doc);
        let paras: Vec<&str> = doc.paragraphs.iter().map(|p| doc.slice(*p)).collect();
        assert_eq!(paras, vec!["First para.", "Second para.", "“", "Third para."]);
        assert_eq!(doc.sentences.len(), 4);
    }

    #[test]
    fn keeps_abbreviations_and_initials_inside_sentences() {
        assert_eq!(
            sents("Mr. Smith met U.S. officials on Jan. 5. They left. J. R. Ewing stayed."),
            vec!["Mr. Smith met U.S. officials on Jan. 5.", "They left.", "J. R. Ewing stayed."]
        );
    }

    #[test]
    fn ends_after_closing_quotes() {
        assert_eq!(
            sents("“We are ready,” he said. “The time has come.” He left."),
            vec!["“We are ready,” he said.", "“The time has come.”", "He left."]
        );
    }

    #[test]
    fn lowercase_continuation_is_not_a_new_sentence() {
        assert_eq!(sents("It cost 3.5 billion. and more"), vec!["It cost 3.5 billion. and more"]);
    }
}
