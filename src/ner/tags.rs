//! IOB2 tags: decoding per-word tags to labelled spans, and encoding spans back to tags.
//!
//! Decoding follows conlleval: a `B-X` always starts a span; an `I-X` continues a span of type X
//! and otherwise starts one (so IOB1 and stray `I-` tags still make spans); `O` ends a span.

/// A tag split into its prefix and type: `B-PER` → (`B`, `PER`), `O` → (`O`, ``).
pub fn split(tag: &str) -> (char, &str) {
    match tag.split_once('-') {
        Some((p, t)) if p.len() == 1 => (p.chars().next().unwrap(), t),
        _ if tag == "O" => ('O', ""),
        _ => ('B', tag),
    }
}

/// Labelled spans over item indices, end-exclusive: `(start, end, type)`.
pub fn decode<S: AsRef<str>>(tags: &[S]) -> Vec<(usize, usize, String)> {
    let mut out: Vec<(usize, usize, String)> = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (i, tag) in tags.iter().enumerate() {
        let (prefix, ty) = split(tag.as_ref());
        let continues = prefix == 'I' && open.as_ref().is_some_and(|(_, t)| t == ty);
        if !continues {
            if let Some((s, t)) = open.take() {
                out.push((s, i, t));
            }
            if prefix != 'O' {
                open = Some((i, ty.to_string()));
            }
        }
    }
    if let Some((s, t)) = open {
        out.push((s, tags.len(), t));
    }
    out
}

/// IOB2 tags for `n` items from non-overlapping spans `(start, end, type)`.
pub fn encode(n: usize, spans: &[(usize, usize, String)]) -> Vec<String> {
    let mut tags = vec!["O".to_string(); n];
    for (s, e, t) in spans {
        for (k, tag) in tags.iter_mut().enumerate().take(*e).skip(*s) {
            *tag = format!("{}-{t}", if k == *s { 'B' } else { 'I' });
        }
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(tags: &str) -> Vec<(usize, usize, String)> {
        decode(&tags.split_whitespace().collect::<Vec<_>>())
    }

    #[test]
    fn decodes_iob2() {
        assert_eq!(
            spans("B-PER I-PER O B-LOC B-LOC I-LOC"),
            vec![(0, 2, "PER".into()), (3, 4, "LOC".into()), (4, 6, "LOC".into())]
        );
    }

    #[test]
    fn stray_inside_tags_start_spans_like_conlleval() {
        assert_eq!(spans("I-ORG I-ORG O I-PER"), vec![(0, 2, "ORG".into()), (3, 4, "PER".into())]);
        // A type change inside a span splits it.
        assert_eq!(spans("B-ORG I-LOC I-LOC"), vec![(0, 1, "ORG".into()), (1, 3, "LOC".into())]);
    }

    #[test]
    fn encode_inverts_decode() {
        let s = vec![(1, 3, "MISC".to_string()), (3, 4, "MISC".to_string())];
        let tags = encode(5, &s);
        assert_eq!(tags, vec!["O", "B-MISC", "I-MISC", "B-MISC", "O"]);
        assert_eq!(decode(&tags), s);
    }
}
