//! Sub-word encoding of a whole document with offsets carried through: each sub-token keeps
//! its char span in the article and the word it belongs to, so labels map back exactly.

use anyhow::{anyhow, Result};
use rayon::prelude::*;
use tokenizers::Tokenizer;

use super::case::case_class;
use crate::document::CharSpan;
use crate::segment;

#[derive(Debug, Clone, Default, PartialEq)]
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

/// Longest stretch of text, in bytes, given to the tokenizer at once (where whitespace allows).
const PART_BYTES: usize = 16 * 1024;

/// Encodes `text` without special tokens and without truncation.
///
/// Words are the tokenizer's pre-tokens, with punctuation at their edges split off. BERT's
/// pre-tokenizer isolates punctuation already, but a SentencePiece tokenizer keeps
/// `Kyrgyzstan:`, `NATO,”` or `Russia’s` as one word, and an entity read from such a word would
/// carry the punctuation with it. Inside a word (`U.S.`, `Bergamo-based`) pieces stay together,
/// as in the tokenised text models are trained on. Training tags every sub-token, so this needs
/// no retraining; case classes stay those of the tokenizer's words, as in training.
///
/// A long text is encoded in parts of about [`PART_BYTES`] cut at line breaks (else at spaces),
/// in parallel: no sub-token crosses whitespace, so the result is the same as in one piece,
/// while the tokenizer's working memory stays that of one part and a book-length article does
/// not wait for one core.
pub fn encode(tokenizer: &Tokenizer, text: &str) -> Result<Encoded> {
    encode_in_parts(tokenizer, text, PART_BYTES)
}

fn encode_in_parts(tokenizer: &Tokenizer, text: &str, part_bytes: usize) -> Result<Encoded> {
    let parts = parts(text, part_bytes);
    if parts.len() == 1 {
        return encode_part(tokenizer, text);
    }
    let encoded = parts.par_iter().map(|(bytes, _)| encode_part(tokenizer, &text[bytes.clone()])).collect::<Result<Vec<_>>>()?;
    let mut out = Encoded::default();
    for (part, &(_, char_start)) in encoded.into_iter().zip(&parts) {
        let shift = |s: CharSpan| CharSpan::new(s.start + char_start, s.end + char_start);
        let (tokens, words) = (out.ids.len(), out.words.len());
        out.ids.extend(part.ids);
        out.case.extend(part.case);
        out.offsets.extend(part.offsets.into_iter().map(shift));
        out.word_of.extend(part.word_of.into_iter().map(|w| w + words));
        out.words.extend(part.words.into_iter().map(shift));
        out.word_first_token.extend(part.word_first_token.into_iter().map(|t| t + tokens));
    }
    Ok(out)
}

/// `text` cut into parts of about `max_bytes` at ASCII whitespace (never inside a UTF-8
/// sequence): each part ends after the last line break within the limit, else after the last
/// space or tab, else after the first whitespace past it. Byte ranges with the char offset
/// where each starts.
fn parts(text: &str, max_bytes: usize) -> Vec<(std::ops::Range<usize>, usize)> {
    let mut out = Vec::new();
    let (mut start, mut chars_before) = (0, 0);
    while text.len() - start > max_bytes {
        let window = &text.as_bytes()[start..start + max_bytes];
        let cut = window
            .iter()
            .rposition(|&b| b == b'\n')
            .or_else(|| window.iter().rposition(u8::is_ascii_whitespace))
            .map(|i| start + i + 1)
            .or_else(|| text.as_bytes()[start + max_bytes..].iter().position(u8::is_ascii_whitespace).map(|i| start + max_bytes + i + 1));
        let Some(cut) = cut.filter(|&c| c < text.len()) else { break };
        out.push((start..cut, chars_before));
        chars_before += text[start..cut].chars().count();
        start = cut;
    }
    out.push((start..text.len(), chars_before));
    out
}

/// [`encode`] of one part.
fn encode_part(tokenizer: &Tokenizer, text: &str) -> Result<Encoded> {
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
    fn a_text_encoded_in_parts_is_encoded_as_in_one_piece() {
        let sample = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/corpora/sample/csto-article.txt")).unwrap();
        // Odd whitespace and marks where parts may be cut: no-break space, a combining accent
        // after a space, tabs, CR LF, a paragraph separator, control and expanding chars.
        let text = format!("{sample}\n  \u{a0}e\u{301} \u{301}x\t\ty\r\nNATO,”\u{2029}½ \u{7}end\n\n{sample} {}", "word ".repeat(40));
        for model in ["ner-default", "ner-fast"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models").join(model).join("tokenizer.json");
            let tokenizer = crate::ner::model::load_tokenizer(&path).unwrap();
            let whole = encode_part(&tokenizer, &text).unwrap();
            assert!(whole.len() > 1000);
            for part_bytes in [7, 64, 500, 4096] {
                assert!(parts(&text, part_bytes).len() > 1);
                assert!(encode_in_parts(&tokenizer, &text, part_bytes).unwrap() == whole, "{model}, parts of {part_bytes} bytes");
            }
        }
    }

    #[test]
    fn parts_are_cut_after_whitespace_and_tile_the_text() {
        let text = "ab cd\nef gh ij\nklmnopqrstu v é\nw";
        for max in 1..text.len() + 2 {
            let parts = parts(text, max);
            assert_eq!(parts[0].0.start, 0);
            assert_eq!(parts.last().unwrap().0.end, text.len());
            for pair in parts.windows(2) {
                assert_eq!(pair[0].0.end, pair[1].0.start);
                assert!(text.as_bytes()[pair[0].0.end - 1].is_ascii_whitespace());
            }
            for (bytes, chars) in &parts {
                assert_eq!(*chars, text[..bytes.start].chars().count());
            }
        }
        // A line break within the limit is preferred to a later space.
        assert_eq!(parts(text, 12)[0].0, 0..6);
        assert_eq!(parts("no-whitespace-at-all", 4).len(), 1);
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
