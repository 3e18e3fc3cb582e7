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

/// Whether tag `next` may follow tag `prev` in IOB2 (`None`: the sequence's start): an `I-X`
/// only continues a `B-X` or an `I-X`.
pub fn may_follow(prev: Option<&str>, next: &str) -> bool {
    match split(next) {
        ('I', ty) => prev.is_some_and(|p| {
            let (pp, pt) = split(p);
            pp != 'O' && pt == ty
        }),
        _ => true,
    }
}

/// Log-probabilities of each tag following each other, `[prev][next]`, counted over tag
/// sequences (tag ids below `n_labels`), add-half smoothed: a bigram model of tags, fitted on
/// the training set's gold and used by [`best_valid_path`].
pub fn fit_transitions(sequences: &[Vec<usize>], n_labels: usize) -> Vec<Vec<f32>> {
    let mut counts = vec![vec![0.5f64; n_labels]; n_labels];
    for seq in sequences {
        for pair in seq.windows(2) {
            counts[pair[0]][pair[1]] += 1.0;
        }
    }
    counts
        .iter()
        .map(|row| {
            let total: f64 = row.iter().sum();
            row.iter().map(|c| (c / total).ln() as f32).collect()
        })
        .collect()
}

/// The most probable tag sequence that is valid IOB2 (Viterbi over `may_follow`): row `i` of
/// `probs` (`n × labels.len()`, each row a distribution) scores item `i`'s tags, and a path
/// scores the sum of its log-probabilities, plus `transitions[prev][next]` (from
/// [`fit_transitions`]) for each step when given. Per-item argmax can open a span with `I-X` or
/// switch type inside one, which splits or truncates the name; here the model's own
/// probabilities, and how tags follow each other in the training set, decide between the valid
/// readings. Linear in `n`.
pub fn best_valid_path<S: AsRef<str>>(labels: &[S], probs: &[f32], transitions: Option<&[Vec<f32>]>) -> Vec<usize> {
    let n_labels = labels.len();
    let n = if n_labels == 0 { 0 } else { probs.len() / n_labels };
    let log = |i: usize, t: usize| probs[i * n_labels + t].max(f32::MIN_POSITIVE).ln();
    let allowed: Vec<Vec<bool>> = labels
        .iter()
        .map(|prev| labels.iter().map(|next| may_follow(Some(prev.as_ref()), next.as_ref())).collect())
        .collect();
    let mut back = vec![0usize; n * n_labels];
    let mut score: Vec<f32> = (0..n_labels)
        .map(|t| if n > 0 && may_follow(None, labels[t].as_ref()) { log(0, t) } else { f32::NEG_INFINITY })
        .collect();
    for i in 1..n {
        let mut next = vec![f32::NEG_INFINITY; n_labels];
        for t in 0..n_labels {
            // Ties go to the lowest index, so the path is deterministic.
            let (best, s) = (0..n_labels)
                .filter(|&p| allowed[p][t])
                .map(|p| (p, score[p] + transitions.map_or(0.0, |tr| tr[p][t])))
                .fold((0, f32::NEG_INFINITY), |acc, (p, v)| if v > acc.1 { (p, v) } else { acc });
            back[i * n_labels + t] = best;
            next[t] = s + log(i, t);
        }
        score = next;
    }
    if n == 0 {
        return Vec::new();
    }
    let mut t = (0..n_labels).fold(0, |b, t| if score[t] > score[b] { t } else { b });
    let mut path = vec![0; n];
    for i in (0..n).rev() {
        path[i] = t;
        t = back[i * n_labels + t];
    }
    path
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

    #[test]
    fn the_best_valid_path_never_opens_a_span_with_an_inside_tag() {
        let labels = ["O", "B-ORG", "I-ORG", "B-LOC", "I-LOC"];
        // Argmax reads "B-ORG I-LOC I-ORG": a type switch that conlleval splits in two.
        let probs = [
            0.1, 0.8, 0.05, 0.05, 0.0, //
            0.05, 0.0, 0.4, 0.05, 0.5, //
            0.1, 0.0, 0.9, 0.0, 0.0,
        ];
        let path: Vec<&str> = best_valid_path(&labels, &probs, None).iter().map(|&t| labels[t]).collect();
        assert_eq!(path, ["B-ORG", "I-ORG", "I-ORG"]);
        // A leading inside tag becomes the better of its valid readings.
        let probs = [0.3, 0.2, 0.5, 0.0, 0.0];
        assert_eq!(best_valid_path(&labels, &probs, None), vec![0]);
        // Valid argmax paths are kept as they are.
        let probs = [0.1, 0.9, 0.0, 0.0, 0.0, 0.9, 0.1, 0.0, 0.0, 0.0];
        assert_eq!(best_valid_path(&labels, &probs, None), vec![1, 0]);
        assert!(best_valid_path(&labels, &[], None).is_empty());
        assert!(!may_follow(Some("B-ORG"), "I-LOC") && may_follow(Some("I-LOC"), "I-LOC") && !may_follow(None, "I-PER"));
    }

    #[test]
    fn transitions_fitted_on_gold_steer_the_path_between_close_readings() {
        let labels = ["O", "B-ORG", "I-ORG"];
        // In the gold, B-ORG is always followed by I-ORG.
        let tr = fit_transitions(&[vec![0, 1, 2, 0], vec![1, 2, 2]], 3);
        assert!(tr.iter().all(|row| (row.iter().map(|l| l.exp()).sum::<f32>() - 1.0).abs() < 1e-5));
        assert!(tr[1][2] > tr[1][0]);
        // The second word leans to O by a little: alone it ends the name, with the transitions
        // the name goes on.
        let probs = [0.1, 0.9, 0.0, 0.55, 0.0, 0.45];
        assert_eq!(best_valid_path(&labels, &probs, None), vec![1, 0]);
        assert_eq!(best_valid_path(&labels, &probs, Some(&tr)), vec![1, 2]);
    }
}
