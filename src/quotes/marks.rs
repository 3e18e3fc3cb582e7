//! Quotation marks: which marks open and close quotes, and the quoted spans they enclose.
//!
//! Double marks (`“ ”`, straight `"`, guillemets `« »`) make the top level; single marks
//! (`‘ ’`, straight `'`) count only outside double quotes, where British-style text uses them;
//! inside a double quote they are a nested quote and belong to it. An apostrophe between letters
//! (`haven’t`, `Moscow’s`) never closes a quote. A paragraph that opens with a quote mark while
//! the previous paragraph's quote is still open continues that quote (the news convention for
//! long quotes). A quote left open at the end of its paragraph is cut there and marked unclosed,
//! so one stray mark costs at most that quote.

use crate::document::CharSpan;

/// A quoted span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quoted {
    /// The quote with its marks (for an unclosed quote: up to its paragraph's end).
    pub outer: CharSpan,
    /// What lies between the marks.
    pub content: CharSpan,
    /// False when the quote was cut at its paragraph's end.
    pub closed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Open,
    Close,
    /// A straight mark whose side the surroundings do not tell.
    Either,
}

fn is_space_or_edge(c: Option<char>) -> bool {
    c.map_or(true, |c| c.is_whitespace())
}

/// The role and length of a double quotation mark at `i`, or `None` when there is none there.
/// Two apostrophes (`''`) stand for a straight double mark in some newspapers' text.
fn double_mark(chars: &[char], i: usize, paragraph_start: bool) -> Option<(Role, usize)> {
    let len = if chars[i] == '\'' && chars.get(i + 1) == Some(&'\'') { 2 } else { 1 };
    let prev = i.checked_sub(1).map(|p| chars[p]);
    let next = chars.get(i + len).copied();
    let role = match chars[i] {
        '“' | '«' | '„' => Role::Open,
        // A right mark opening a paragraph is a common typo for a left one.
        '”' if paragraph_start && next.is_some_and(|n| !n.is_whitespace()) => Role::Open,
        '”' | '»' => Role::Close,
        '"' | '\'' if len == 2 || chars[i] == '"' => {
            let after_space = is_space_or_edge(prev) || prev.is_some_and(|p| matches!(p, '(' | '[' | '—' | '–' | '‘'));
            let before_space = is_space_or_edge(next) || next.is_some_and(|n| n.is_ascii_punctuation() || matches!(n, '—' | '–' | '’' | '…'));
            match (after_space, before_space) {
                (true, false) => Role::Open,
                (false, true) => Role::Close,
                _ => Role::Either,
            }
        }
        _ => return None,
    };
    Some((role, len))
}

/// The role of a single quotation mark at `i`; apostrophes inside or at the end of words are
/// not quote marks.
fn single_role(chars: &[char], i: usize) -> Option<Role> {
    let prev = i.checked_sub(1).map(|p| chars[p]);
    let next = chars.get(i + 1).copied();
    let letter = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
    match chars[i] {
        '‘' => Some(Role::Open),
        '’' | '\'' if letter(prev) && letter(next) => None,
        '’' | '\'' if !is_space_or_edge(prev) && !letter(next) => Some(Role::Close),
        '\'' if is_space_or_edge(prev) && letter(next) => Some(Role::Open),
        _ => None,
    }
}

/// Every quoted span of the text, sorted by start. `paragraphs` are the text's paragraphs in
/// order.
pub fn quoted_spans(chars: &[char], paragraphs: &[CharSpan]) -> Vec<Quoted> {
    let mut out = Vec::new();
    let doubles = pair_doubles(chars, paragraphs);
    let mut inside_double = vec![false; chars.len()];
    for d in &doubles {
        inside_double[d.outer.start..d.outer.end].fill(true);
    }
    out.extend(doubles);
    // Single marks outside double quotes.
    for para in paragraphs {
        let mut open: Option<usize> = None;
        for i in para.start..para.end {
            if inside_double[i] {
                continue;
            }
            match (single_role(chars, i), open) {
                (Some(Role::Open), _) => open = Some(i),
                (Some(Role::Close), Some(o)) if i > o + 1 => {
                    out.push(Quoted { outer: CharSpan::new(o, i + 1), content: CharSpan::new(o + 1, i), closed: true });
                    open = None;
                }
                _ => {}
            }
        }
    }
    out.sort_by_key(|q| q.outer.start);
    out
}

fn pair_doubles(chars: &[char], paragraphs: &[CharSpan]) -> Vec<Quoted> {
    let mut out = Vec::new();
    // The open quote: its opening mark's span and the paragraph it has reached.
    let mut open: Option<(CharSpan, usize)> = None;
    // Quotes of the other style (curly inside straight or the reverse) open inside it.
    let mut nested = 0usize;
    let straight = |mark: CharSpan| matches!(chars[mark.start], '"' | '\'');
    for (p, para) in paragraphs.iter().enumerate() {
        let mut i = para.start;
        while i < para.end {
            let Some((role, len)) = double_mark(chars, i, i == para.start) else {
                i += 1;
                continue;
            };
            let mark = CharSpan::new(i, i + len);
            i += len;
            if let Some((o, _)) = open.filter(|&(_, reached)| reached == p) {
                if straight(o) != straight(mark) {
                    match role {
                        Role::Open => {
                            nested += 1;
                            continue;
                        }
                        Role::Close | Role::Either if nested > 0 => {
                            nested -= 1;
                            continue;
                        }
                        Role::Either => {
                            nested += 1;
                            continue;
                        }
                        // A quote opened with one style and closed with the other.
                        Role::Close => {}
                    }
                }
            }
            nested = 0;
            if let Some((o, reached)) = open {
                if reached < p {
                    // The quote was still open when its paragraph ended: it goes on only if this
                    // paragraph (the next one) reopens with a quote mark.
                    if reached + 1 == p && mark.start == para.start && role != Role::Close {
                        open = Some((o, p));
                        continue;
                    }
                    out.push(unclosed(chars, o, paragraphs[reached]));
                    open = None;
                }
            }
            match (role, open) {
                (Role::Close | Role::Either, Some((o, _))) => {
                    out.push(Quoted { outer: CharSpan::new(o.start, mark.end), content: CharSpan::new(o.end, mark.start), closed: true });
                    open = None;
                }
                // A second opener in the same paragraph: the first one was stray.
                (Role::Open | Role::Either, _) => open = Some((mark, p)),
                (Role::Close, None) => {}
            }
        }
    }
    if let Some((o, reached)) = open {
        out.push(unclosed(chars, o, paragraphs[reached]));
    }
    out
}

fn unclosed(chars: &[char], open: CharSpan, para: CharSpan) -> Quoted {
    let mut end = para.end;
    while end > open.end && chars[end - 1].is_whitespace() {
        end -= 1;
    }
    Quoted { outer: CharSpan::new(open.start, end), content: CharSpan::new(open.end, end), closed: false }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Document;
    use crate::segment::segment;

    fn contents(text: &str) -> Vec<(String, bool)> {
        let mut doc = Document::new("t", text);
        segment(&mut doc);
        let chars: Vec<char> = text.chars().collect();
        quoted_spans(&chars, &doc.paragraphs).iter().map(|q| (doc.slice(q.content).to_string(), q.closed)).collect()
    }

    #[test]
    fn apostrophes_are_not_quote_marks() {
        assert_eq!(contents("Moscow’s allies haven’t said it’s the ’90s, Jones’ book too."), vec![]);
        assert_eq!(contents("“We haven’t seen Moscow’s plan,” he said."), vec![("We haven’t seen Moscow’s plan,".into(), true)]);
    }

    #[test]
    fn single_quotes_inside_double_belong_to_them() {
        assert_eq!(contents("“He said ‘never again’ twice,” Jo said."), vec![("He said ‘never again’ twice,".into(), true)]);
        assert_eq!(contents("‘Russian NATO’ loses ground"), vec![("Russian NATO".into(), true)]);
    }

    #[test]
    fn straight_guillemet_and_doubled_apostrophe_marks() {
        assert_eq!(contents("\"Yes,\" she said. «Non», he said."), vec![("Yes,".into(), true), ("Non".into(), true)]);
        assert_eq!(contents("''It is late,'' he said."), vec![("It is late,".into(), true)]);
    }

    #[test]
    fn curly_quotes_nest_inside_straight_ones() {
        let text = "He read: \"The question was: “Are you well?” and they said no.\" Then he left.";
        assert_eq!(contents(text), vec![("The question was: “Are you well?” and they said no.".into(), true)]);
        // Opened straight, closed curly: one quote.
        assert_eq!(contents("\"The bridge stays open,” said Ann."), vec![("The bridge stays open,".into(), true)]);
    }

    #[test]
    fn a_reopened_paragraph_continues_the_quote() {
        let text = "“The first part.\n\n“The second part,” she said.";
        assert_eq!(contents(text), vec![("The first part.\n\n“The second part,".into(), true)]);
    }

    #[test]
    fn an_unclosed_quote_stops_at_its_paragraph() {
        let text = "“We will win, she said.\n\nThe vote is today.\n\n“Fine,” Bo said.";
        assert_eq!(contents(text), vec![("We will win, she said.".into(), false), ("Fine,".into(), true)]);
        // A stray opener before a real quote costs only itself.
        assert_eq!(contents("A stray “ mark. Then “We win,” Al said."), vec![("We win,".into(), true)]);
    }
}
