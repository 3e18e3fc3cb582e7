//! Sub-word encoding of a whole document with offsets carried through: each sub-token keeps
//! its char span in the article and the word it belongs to, so labels map back exactly.

use anyhow::{anyhow, Result};
use tokenizers::Tokenizer;

use super::case::case_class;
use crate::document::CharSpan;

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
pub fn encode(tokenizer: &Tokenizer, text: &str) -> Result<Encoded> {
    let enc = tokenizer.encode_char_offsets(text, false).map_err(|e| anyhow!("tokenizer failed: {e}"))?;
    let mut out = Encoded::default();
    let mut last_word: Option<u32> = None;
    let chars: Vec<char> = text.chars().collect();
    for ((&id, &(s, e)), word) in enc.get_ids().iter().zip(enc.get_offsets()).zip(enc.get_word_ids()) {
        // Tokens the tokenizer invents with an empty span (none for BERT; guard anyway) carry no
        // text and cannot be labelled.
        if e <= s {
            continue;
        }
        let new_word = match (word, last_word) {
            (Some(w), Some(l)) => *w != l,
            _ => true,
        };
        if new_word {
            out.words.push(CharSpan::new(s, e));
            out.word_first_token.push(out.ids.len());
        } else {
            let w = out.words.last_mut().unwrap();
            w.end = w.end.max(e);
        }
        last_word = *word;
        out.ids.push(id as i64);
        out.offsets.push(CharSpan::new(s, e));
        out.word_of.push(out.words.len() - 1);
    }
    let word_case: Vec<i64> = out
        .words
        .iter()
        .map(|w| case_class(&chars[w.start..w.end].iter().collect::<String>()))
        .collect();
    out.case = out.word_of.iter().map(|&w| word_case[w]).collect();
    Ok(out)
}
