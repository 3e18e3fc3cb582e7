//! Sub-word encoding of a whole document with offsets carried through: each sub-token keeps
//! its char span in the article and the word it belongs to, so labels map back exactly.

use anyhow::{anyhow, Result};
use tokenizers::Tokenizer;

use super::case::case_class;
use crate::document::CharSpan;
use crate::segment;

#[derive(Debug, Clone, Default)]
pub struct Encoded {
    pub ids: Vec<i64>,
    /// Case class per sub-token (of its word), used as token type when the model asks for it.
    pub case: Vec<i64>,
    /// Char span of each sub-token in the text.
    pub offsets: Vec<CharSpan>,
    /// Word index of each sub-token.
    pub word_of: Vec<usize>,
    /// Char span of each word, and its first sub-token.
    pub words: Vec<CharSpan>,
    pub word_first_token: Vec<usize>,
}

impl Encoded {
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Encodes `text` without special tokens and without truncation.
///
/// Words are the tokenizer's pre-tokens, with punctuation at their edges split off. BERT's
/// pre-tokenizer isolates punctuation already, but a SentencePiece tokenizer keeps
/// `Kyrgyzstan:`, `NATO,”` or `Russia’s` as one word, and an entity read from such a word would
/// carry the punctuation with it. Inside a word (`U.S.`, `Bergamo-based`) pieces stay together,
/// as in the tokenised text models are trained on. Training tags every sub-token, so this needs
/// no retraining; case classes stay those of the tokenizer's words, as in training.
pub fn encode(tokenizer: &Tokenizer, text: &str) -> Result<Encoded> {
    let enc = tokenizer.encode_char_offsets(text, false).map_err(|e| anyhow!("tokenizer failed: {e}"))?;
    let chars: Vec<char> = text.chars().collect();
    // Sub-tokens grouped by tokenizer word. Tokens the tokenizer invents with an empty span
    // (none for BERT; guard anyway) carry no text and cannot be labelled.
    let mut pieces: Vec<(i64, CharSpan)> = Vec::with_capacity(enc.len());
    let mut group_starts: Vec<usize> = Vec::new();
    let mut last_word: Option<u32> = None;
    for ((&id, &(s, e)), word) in enc.get_ids().iter().zip(enc.get_offsets()).zip(enc.get_word_ids()) {
        if e <= s {
            continue;
        }
        let same_word = matches!((word, last_word), (Some(w), Some(l)) if *w == l);
        if !same_word || pieces.is_empty() {
            group_starts.push(pieces.len());
        }
        pieces.push((id as i64, CharSpan::new(s, e)));
        last_word = *word;
    }
    let mut out = Encoded::default();
    let group_ends = group_starts.iter().skip(1).copied().chain(std::iter::once(pieces.len()));
    for (start, end) in group_starts.iter().copied().zip(group_ends) {
        let group = &pieces[start..end];
        let span = CharSpan::new(group[0].1.start, group.iter().map(|p| p.1.end).max().unwrap());
        let case = case_class(&chars[span.start..span.end].iter().collect::<String>());
        let starts = word_starts(&chars, group);
        for (k, &(id, piece)) in group.iter().enumerate() {
            if starts[k] {
                out.words.push(piece);
                out.word_first_token.push(out.ids.len());
            } else {
                let w = out.words.last_mut().unwrap();
                w.end = w.end.max(piece.end);
            }
            out.ids.push(id);
            out.case.push(case);
            out.offsets.push(piece);
            out.word_of.push(out.words.len() - 1);
        }
    }
    Ok(out)
}

/// Which sub-tokens of one tokenizer word start a word: the first, each punctuation piece at
/// either edge and the piece after a leading one, and a possessive `’s`/`'s` at the end. A dot
/// that ends an abbreviation or an initial (`U.S.`, `Corp.`) stays with its word.
fn word_starts(chars: &[char], group: &[(i64, CharSpan)]) -> Vec<bool> {
    let text = |k: usize| -> String { chars[group[k].1.start..group[k].1.end].iter().collect() };
    let punct = |k: usize| chars[group[k].1.start..group[k].1.end].iter().all(|&c| is_punctuation(c));
    let n = group.len();
    let mut starts = vec![false; n];
    starts[0] = true;
    let mut lead = 0;
    while lead < n && punct(lead) {
        starts[lead] = true;
        lead += 1;
    }
    if lead < n {
        starts[lead] = true;
    }
    let mut end = n;
    while end > lead && punct(end - 1) {
        let k = end - 1;
        if text(k) == "." && segment::is_abbreviation(chars, group[0].1.start, group[k].1.start) {
            break;
        }
        starts[k] = true;
        end -= 1;
    }
    // The possessive, as one piece or as an apostrophe and an `s`.
    let is_apostrophe = |t: &str| t == "'" || t == "’";
    if end >= lead + 2 && matches!(text(end - 1).as_str(), "'s" | "’s") {
        starts[end - 1] = true;
    } else if end >= lead + 3 && is_apostrophe(&text(end - 2)) && text(end - 1) == "s" {
        starts[end - 2] = true;
        starts[end - 1] = true;
    }
    // Sub-tokens sharing chars (one char expanded by normalisation, `½` → `1⁄2`) stay together.
    for k in 1..n {
        if group[k].1.start < group[k - 1].1.end {
            starts[k] = false;
        }
    }
    starts
}

/// Punctuation and symbols: what BERT's pre-tokenizer isolates, and a little more (`$`, `™`).
fn is_punctuation(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_whitespace()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A SentencePiece-style tokenizer (Unigram over whitespace words with `▁`), the kind that
    /// keeps punctuation inside words.
    fn sentencepiece_tokenizer() -> Tokenizer {
        let pieces = ["<unk>", "▁Russia", "’", "s", "▁NATO", ",", "”", "▁U", ".", "S", "▁said", "▁1", "⁄", "2", "▁(", "C", "STO", "),", "▁Al", "-", "A", "hram"];
        let vocab: Vec<serde_json::Value> = pieces.iter().map(|p| serde_json::json!([p, -1.0])).collect();
        let json = serde_json::json!({
            "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
            "normalizer": {"type": "NFKC"},
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "WhitespaceSplit"},
                {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}]},
            "post_processor": null, "decoder": null,
            "model": {"type": "Unigram", "unk_id": 0, "vocab": vocab, "byte_fallback": false},
        });
        json.to_string().parse().unwrap()
    }

    fn word_texts(text: &str, enc: &Encoded) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        enc.words.iter().map(|w| chars[w.start..w.end].iter().collect()).collect()
    }

    #[test]
    fn punctuation_at_the_edges_of_a_sentencepiece_word_is_split_off() {
        let text = "Russia’s NATO,” (CSTO), U.S. Al-Ahram said NATO.";
        let enc = encode(&sentencepiece_tokenizer(), text).unwrap();
        assert_eq!(
            word_texts(text, &enc),
            ["Russia", "’", "s", "NATO", ",", "”", "(", "CSTO", "),", "U.S.", "Al-Ahram", "said", "NATO", "."]
        );
        // Case classes are the tokenizer word's, as in training: `NATO,”` is UPPER throughout.
        assert_eq!(&enc.case[3..6], &[3, 3, 3]);
        assert_eq!(enc.case[enc.word_first_token[0]], 2);
    }

    #[test]
    fn sub_tokens_sharing_a_char_stay_one_word() {
        // NFKC expands `½` to `1⁄2`: three sub-tokens over one char, one of them a symbol.
        let text = "½ said";
        let enc = encode(&sentencepiece_tokenizer(), text).unwrap();
        assert_eq!(word_texts(text, &enc), ["½", "said"]);
        assert_eq!(enc.len(), 4);
    }
}
