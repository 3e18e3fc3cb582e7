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
    /// Position of the opening mark.
    pub open: usize,
    /// Position of the closing mark; `None` when the quote was cut at its paragraph's end.
    pub close: Option<usize>,
    /// What lies between the marks (for an unclosed quote: up to its paragraph's end).
    pub content: CharSpan,
}

impl Quoted {
    /// The quote with its marks.
    pub fn outer(&self) -> CharSpan {
        CharSpan::new(self.open, self.close.map_or(self.content.end, |c| c + 1))
    }
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

/// The role of a double quotation mark at `i`, or `None` when `chars[i]` is not one.
fn double_role(chars: &[char], i: usize, paragraph_start: bool) -> Option<Role> {
    let prev = i.checked_sub(1).map(|p| chars[p]);
    let next = chars.get(i + 1).copied();
    match chars[i] {
        '“' | '«' | '„' => Some(Role::Open),
        // A right mark opening a paragraph is a common typo for a left one.
        '”' if paragraph_start && next.is_some_and(|n| !n.is_whitespace()) => Some(Role::Open),
        '”' | '»' => Some(Role::Close),
        '"' => {
            let after_space = is_space_or_edge(prev) || prev.is_some_and(|p| matches!(p, '(' | '[' | '—' | '–' | '‘' | '\''));
            let before_space = is_space_or_edge(next) || next.is_some_and(|n| n.is_ascii_punctuation() || matches!(n, '—' | '–' | '’' | '…'));
            Some(match (after_space, before_space) {
                (true, false) => Role::Open,
                (false, true) => Role::Close,
                _ => Role::Either,
            })
        }
        _ => None,
    }
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
        inside_double[d.outer().start..d.outer().end].fill(true);
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
                    out.push(Quoted { open: o, close: Some(i), content: CharSpan::new(o + 1, i) });
                    open = None;
                }
                _ => {}
            }
        }
    }
    out.sort_by_key(|q| q.open);
    out
}

fn pair_doubles(chars: &[char], paragraphs: &[CharSpan]) -> Vec<Quoted> {
    let mut out = Vec::new();
    // The open quote: its opening mark and the paragraph it has reached.
    let mut open: Option<(usize, usize)> = None;
    for (p, para) in paragraphs.iter().enumerate() {
        for i in para.start..para.end {
            let Some(role) = double_role(chars, i, i == para.start) else { continue };
            if let Some((o, reached)) = open {
                if reached < p {
                    // The quote was still open when its paragraph ended: it goes on only if this
                    // paragraph (the next one) reopens with a quote mark.
                    if reached + 1 == p && i == para.start && role != Role::Close {
                        open = Some((o, p));
                        continue;
                    }
                    out.push(unclosed(chars, o, paragraphs[reached]));
                    open = None;
                }
            }
            match (role, open) {
                (Role::Close | Role::Either, Some((o, _))) => {
                    out.push(Quoted { open: o, close: Some(i), content: CharSpan::new(o + 1, i) });
                    open = None;
                }
                // A second opener in the same paragraph: the first one was stray.
                (Role::Open | Role::Either, _) => open = Some((i, p)),
                (Role::Close, None) => {}
            }
        }
    }
    if let Some((o, reached)) = open {
        out.push(unclosed(chars, o, paragraphs[reached]));
    }
    out
}

fn unclosed(chars: &[char], open: usize, para: CharSpan) -> Quoted {
    let mut end = para.end;
    while end > open + 1 && chars[end - 1].is_whitespace() {
        end -= 1;
    }
    Quoted { open, close: None, content: CharSpan::new(open + 1, end) }
}
