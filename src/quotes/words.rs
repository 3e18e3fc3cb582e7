//! A light tokenizer for attribution rules: words (with internal apostrophes, hyphens and
//! initials) and single punctuation marks, each with its char span.

use crate::document::CharSpan;

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub span: CharSpan,
    /// Lowercased text; for punctuation the mark itself.
    pub lower: String,
    pub is_word: bool,
    /// A word that starts with an uppercase letter (`Moscow`, `CSTO`).
    pub capitalised: bool,
    /// A line break separates it from the token before: names do not run across it.
    pub after_line_break: bool,
}

impl Token {
    pub fn is(&self, s: &str) -> bool {
        self.lower == s
    }
    pub fn is_punct(&self) -> bool {
        !self.is_word
    }
}

/// Capitalised abbreviations that keep their dot (`Mr.`, `Sen.`): the dot ends no phrase.
const ABBREVIATIONS: &[&str] = &["mr", "mrs", "ms", "dr", "sen", "rep", "reps", "gov", "gen", "lt", "col", "capt", "sgt", "adm", "rev", "st", "jr", "sr", "prof", "ft", "mt", "atty", "messrs", "sens", "govs", "cmdr", "supt", "pres"];

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’')
}

/// Splits `chars` into tokens. A possessive `’s` becomes its own token so that names come out
/// without it (`Moscow’s` → `Moscow`, `’s`); other apostrophes stay inside the word (`haven’t`).
pub fn tokenize(chars: &[char]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut line_break = false;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            line_break |= c == '\n';
            i += 1;
            continue;
        }
        if !c.is_alphanumeric() {
            out.push(token(chars, i, i + 1, false, std::mem::take(&mut line_break)));
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        while i < chars.len() {
            let c = chars[i];
            let next_alnum = chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
            if c.is_alphanumeric() || ((is_apostrophe(c) || matches!(c, '-' | '.' | '&')) && next_alnum) {
                i += 1;
            } else {
                break;
            }
        }
        // Initials and dotted abbreviations keep their final dot: `G.`, `U.S.`
        let word_len = i - start;
        let abbreviation = || chars[start].is_uppercase() && ABBREVIATIONS.contains(&chars[start..i].iter().collect::<String>().to_lowercase().as_str());
        if chars.get(i) == Some(&'.') && (chars[start..i].contains(&'.') || (word_len == 1 && chars[start].is_uppercase()) || word_len <= 5 && abbreviation()) {
            i += 1;
        }
        let possessive = i - start > 2 && is_apostrophe(chars[i - 2]) && matches!(chars[i - 1], 's' | 'S');
        let after_line_break = std::mem::take(&mut line_break);
        if possessive {
            out.push(token(chars, start, i - 2, true, after_line_break));
            out.push(token(chars, i - 2, i, true, false));
        } else {
            out.push(token(chars, start, i, true, after_line_break));
        }
    }
    out
}

fn token(chars: &[char], start: usize, end: usize, is_word: bool, after_line_break: bool) -> Token {
    let text: String = chars[start..end].iter().collect();
    let capitalised = is_word && chars[start].is_uppercase();
    Token { span: CharSpan::new(start, end), lower: text.to_lowercase(), is_word, capitalised, after_line_break }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<String> {
        let chars: Vec<char> = s.chars().collect();
        tokenize(&chars).iter().map(|t| chars[t.span.start..t.span.end].iter().collect()).collect()
    }

    #[test]
    fn splits_possessives_but_keeps_contractions_and_initials() {
        assert_eq!(
            texts("Moscow’s U.S. ties haven’t, Edwin G. Monroy said."),
            vec!["Moscow", "’s", "U.S.", "ties", "haven’t", ",", "Edwin", "G.", "Monroy", "said", "."]
        );
    }

    #[test]
    fn title_abbreviations_keep_their_dot() {
        assert_eq!(texts("Mr. Lee met Sen. Park."), vec!["Mr.", "Lee", "met", "Sen.", "Park", "."]);
    }
}
