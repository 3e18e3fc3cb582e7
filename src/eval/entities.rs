//! Entity metrics: exact-span micro P/R/F1 overall and per type (conlleval's definition: a
//! predicted entity is correct when its span and type both equal a gold entity's), plus
//! partial-overlap figures (same type, overlapping spans), and with `--errors` a table of the
//! kinds of errors with their most frequent texts.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::metrics::Prf;
use crate::document::{CharSpan, Entity};
use crate::eval::gold::GoldEntity;

#[derive(Debug, Clone, Default, Serialize)]
pub struct EntityReport {
    pub exact: Prf,
    pub per_type: BTreeMap<String, Prf>,
    /// A prediction counts when it overlaps a gold entity of the same type, and a gold entity is
    /// found when a prediction of its type overlaps it.
    pub partial: Prf,
    /// Exact span, type ignored.
    pub unlabelled: Prf,
    /// With `--errors`: the kinds of errors, most frequent first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<EntityErrorKind>,
}

/// One kind of entity error: what went wrong, the gold and predicted types, how often, and the
/// texts it happened to most often.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EntityErrorKind {
    pub kind: ErrorKind,
    /// The gold entity's type (none for a spurious prediction).
    pub gold: Option<String>,
    /// The predicted type (none for a missed entity; for a boundary error, the overlapping
    /// prediction's type).
    pub predicted: Option<String>,
    pub count: usize,
    /// The most frequent texts (the gold entity's; a spurious prediction's own), with counts.
    pub examples: Vec<(String, usize)>,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The gold span was predicted with another type.
    Type,
    /// Predictions overlap the gold entity, none with its exact span; one of them has its type.
    Boundary,
    /// Predictions overlap the gold entity, none with its span or its type.
    BoundaryAndType,
    /// Nothing predicted overlaps the gold entity.
    Missed,
    /// A prediction that overlaps no gold entity.
    Spurious,
}

/// Texts shown for each kind of error.
const ERROR_EXAMPLES: usize = 4;

#[derive(Debug, Default)]
pub struct EntityCounter {
    exact: (usize, usize, usize),
    unlabelled: usize,
    per_type: BTreeMap<String, (usize, usize, usize)>,
    partial_pred: usize,
    partial_gold: usize,
    /// Error kind → texts → count; kept only by [`EntityCounter::with_errors`].
    keep_errors: bool,
    errors: HashMap<(ErrorKind, Option<String>, Option<String>), HashMap<String, usize>>,
}

impl EntityCounter {
    /// A counter that also sorts the errors into kinds (`byline eval --errors`).
    pub fn with_errors() -> EntityCounter {
        EntityCounter { keep_errors: true, ..EntityCounter::default() }
    }

    /// [`EntityCounter::add`], with the document's text for the errors' texts.
    pub fn add_document(&mut self, text: &str, gold: &[GoldEntity], pred: &[Entity]) {
        self.add(gold, pred);
        if !self.keep_errors {
            return;
        }
        let chars: Vec<char> = text.chars().collect();
        let slice = |s: CharSpan| -> String { chars[s.start.min(chars.len())..s.end.min(chars.len())].iter().collect() };
        let mut note = |kind, gold: Option<&str>, predicted: Option<&str>, text: String| {
            *self.errors.entry((kind, gold.map(str::to_string), predicted.map(str::to_string))).or_default().entry(text).or_default() += 1;
        };
        for g in gold {
            if pred.iter().any(|p| p.span() == g.span && p.label == g.label) {
                continue;
            }
            let overlapping: Vec<&Entity> = pred.iter().filter(|p| p.span().overlaps(&g.span)).collect();
            let (kind, predicted) = if let Some(same_span) = overlapping.iter().find(|p| p.span() == g.span) {
                (ErrorKind::Type, Some(same_span.label.as_str()))
            } else if overlapping.iter().any(|p| p.label == g.label) {
                (ErrorKind::Boundary, Some(g.label.as_str()))
            } else if let Some(first) = overlapping.first() {
                (ErrorKind::BoundaryAndType, Some(first.label.as_str()))
            } else {
                (ErrorKind::Missed, None)
            };
            note(kind, Some(&g.label), predicted, slice(g.span));
        }
        for p in pred {
            if !gold.iter().any(|g| g.span.overlaps(&p.span())) {
                note(ErrorKind::Spurious, None, Some(&p.label), slice(p.span()));
            }
        }
    }

    pub fn add(&mut self, gold: &[GoldEntity], pred: &[Entity]) {
        let gold_set: HashSet<(CharSpan, &str)> = gold.iter().map(|g| (g.span, g.label.as_str())).collect();
        let gold_spans: HashSet<CharSpan> = gold.iter().map(|g| g.span).collect();
        let mut pred_seen = HashSet::new();
        for p in pred {
            let key = (p.span(), p.label.as_str());
            if !pred_seen.insert(key) {
                continue; // a duplicate prediction counts once, as in conlleval's chunk counting
            }
            let hit = gold_set.contains(&key);
            self.exact.1 += 1;
            self.exact.0 += hit as usize;
            self.unlabelled += gold_spans.contains(&p.span()) as usize;
            let t = self.per_type.entry(p.label.clone()).or_default();
            t.1 += 1;
            t.0 += hit as usize;
            if gold.iter().any(|g| g.label == p.label && g.span.overlaps(&p.span())) {
                self.partial_pred += 1;
            }
        }
        for g in &gold_set {
            self.exact.2 += 1;
            self.per_type.entry(g.1.to_string()).or_default().2 += 1;
        }
        for g in gold {
            if pred.iter().any(|p| p.label == g.label && g.span.overlaps(&p.span())) {
                self.partial_gold += 1;
            }
        }
    }

    pub fn report(&self) -> EntityReport {
        let (tp, pred, gold) = self.exact;
        EntityReport {
            exact: Prf::new(tp, pred, gold),
            per_type: self.per_type.iter().map(|(k, &(tp, p, g))| (k.clone(), Prf::new(tp, p, g))).collect(),
            partial: Prf::with_matched_gold(self.partial_pred, self.partial_gold, pred, gold),
            unlabelled: Prf::new(self.unlabelled, pred, gold),
            errors: self.error_kinds(),
        }
    }

    fn error_kinds(&self) -> Vec<EntityErrorKind> {
        let mut kinds: Vec<EntityErrorKind> = self
            .errors
            .iter()
            .map(|((kind, gold, predicted), texts)| {
                let mut examples: Vec<(String, usize)> = texts.iter().map(|(t, &n)| (t.clone(), n)).collect();
                examples.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                examples.truncate(ERROR_EXAMPLES);
                EntityErrorKind { kind: *kind, gold: gold.clone(), predicted: predicted.clone(), count: texts.values().sum(), examples }
            })
            .collect();
        // Most frequent first; ties in a fixed order, so the listing is deterministic.
        kinds.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| (a.kind, &a.gold, &a.predicted).cmp(&(b.kind, &b.gold, &b.predicted))));
        kinds
    }
}

impl std::fmt::Display for EntityErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match (self.kind, self.gold.as_deref().unwrap_or("-"), self.predicted.as_deref().unwrap_or("-")) {
            (ErrorKind::Type, g, p) => format!("{g} typed {p}"),
            (ErrorKind::Boundary, g, _) => format!("{g}, wrong span"),
            (ErrorKind::BoundaryAndType, g, p) => format!("{g}, wrong span and typed {p}"),
            (ErrorKind::Missed, g, _) => format!("{g} missed"),
            (ErrorKind::Spurious, _, p) => format!("spurious {p}"),
        };
        let examples: Vec<String> = self.examples.iter().map(|(t, n)| if *n > 1 { format!("{t:?} ×{n}") } else { format!("{t:?}") }).collect();
        writeln!(f, "  {:>5}  {what:<32} {}", self.count, examples.join(", "))
    }
}

impl std::fmt::Display for EntityReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "entities (exact span and type, micro):")?;
        writeln!(f, "  overall    {}", self.exact)?;
        for (t, prf) in &self.per_type {
            writeln!(f, "  {t:<10} {prf}")?;
        }
        writeln!(f, "  partial    {}", self.partial)?;
        writeln!(f, "  untyped    {}", self.unlabelled)?;
        if !self.errors.is_empty() {
            writeln!(f, "entity errors by kind ({} in all; gold type, then what was predicted):", self.errors.iter().map(|e| e.count).sum::<usize>())?;
            for e in &self.errors {
                write!(f, "{e}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ner::tags;

    fn ent(s: usize, e: usize, l: &str) -> Entity {
        Entity { start: s, end: e, text: String::new(), label: l.into(), score: 1.0, link: None, id: None }
    }
    fn gold(s: usize, e: usize, l: &str) -> GoldEntity {
        GoldEntity { span: CharSpan::new(s, e), label: l.into(), kb_id: None }
    }

    #[test]
    fn hand_computed_micro_scores() {
        // gold: PER[0,5) LOC[10,16) ORG[20,23); pred: PER[0,5) ok, LOC[10,14) partial, ORG[20,23) typed MISC.
        let mut c = EntityCounter::default();
        c.add(&[gold(0, 5, "PER"), gold(10, 16, "LOC"), gold(20, 23, "ORG")], &[ent(0, 5, "PER"), ent(10, 14, "LOC"), ent(20, 23, "MISC")]);
        let r = c.report();
        assert_eq!((r.exact.tp, r.exact.predicted, r.exact.gold), (1, 3, 3));
        assert!((r.exact.f1 - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(r.per_type["PER"].f1, 1.0);
        assert_eq!(r.per_type["LOC"].f1, 0.0);
        assert_eq!((r.per_type["MISC"].predicted, r.per_type["MISC"].gold), (1, 0));
        assert_eq!((r.per_type["ORG"].predicted, r.per_type["ORG"].gold), (0, 1));
        assert!((r.partial.precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((r.partial.recall - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(r.unlabelled.tp, 2);
    }

    #[test]
    fn conlleval_edge_cases_on_tag_sequences() {
        // conlleval on: gold  B-PER I-PER O  I-LOC B-LOC O     B-ORG
        //               pred  B-PER B-PER O  B-LOC B-LOC I-ORG B-ORG
        // gold chunks: PER[0,2) LOC[3,4) LOC[4,5) ORG[6,7)          = 4
        // pred chunks: PER[0,1) PER[1,2) LOC[3,4) LOC[4,5) ORG[5,6) ORG[6,7) = 6
        // correct: LOC[3,4) LOC[4,5) ORG[6,7) = 3 → P 50.00, R 75.00, F1 60.00 (conlleval prints these)
        let g = tags::decode(&["B-PER", "I-PER", "O", "I-LOC", "B-LOC", "O", "B-ORG"]);
        let p = tags::decode(&["B-PER", "B-PER", "O", "B-LOC", "B-LOC", "I-ORG", "B-ORG"]);
        let g: Vec<GoldEntity> = g.into_iter().map(|(s, e, l)| gold(s, e, &l)).collect();
        let p: Vec<Entity> = p.into_iter().map(|(s, e, l)| ent(s, e, &l)).collect();
        let mut c = EntityCounter::default();
        c.add(&g, &p);
        let r = c.report();
        assert_eq!((r.exact.tp, r.exact.predicted, r.exact.gold), (3, 6, 4));
        assert!((r.exact.precision - 0.5).abs() < 1e-12);
        assert!((r.exact.recall - 0.75).abs() < 1e-12);
        assert!((r.exact.f1 - 0.6).abs() < 1e-12);
    }

    #[test]
    fn errors_are_sorted_into_kinds() {
        //          0         1         2         3         4
        //          0123456789012345678901234567890123456789012345
        let text = "Anna Smith met the Bank of Tokyo in Osaka and Paris.";
        let gold = [gold(0, 10, "PER"), gold(19, 32, "ORG"), gold(36, 41, "LOC"), gold(46, 51, "LOC")];
        // PER right; ORG cut short (still ORG); Osaka typed ORG; Paris missed; "met" spurious.
        let pred = [ent(0, 10, "PER"), ent(19, 23, "ORG"), ent(36, 41, "ORG"), ent(11, 14, "MISC")];
        let mut c = EntityCounter::with_errors();
        c.add_document(text, &gold, &pred);
        c.add_document(text, &gold, &pred);
        let r = c.report();
        let kinds: Vec<(ErrorKind, Option<&str>, Option<&str>, usize, &str)> =
            r.errors.iter().map(|e| (e.kind, e.gold.as_deref(), e.predicted.as_deref(), e.count, e.examples[0].0.as_str())).collect();
        assert_eq!(
            kinds,
            vec![
                (ErrorKind::Type, Some("LOC"), Some("ORG"), 2, "Osaka"),
                (ErrorKind::Boundary, Some("ORG"), Some("ORG"), 2, "Bank of Tokyo"),
                (ErrorKind::Missed, Some("LOC"), None, 2, "Paris"),
                (ErrorKind::Spurious, None, Some("MISC"), 2, "met"),
            ]
        );
        assert_eq!(r.errors[0].examples, vec![("Osaka".to_string(), 2)]);
        // Without --errors nothing is kept, and the JSON has no errors key.
        let mut plain = EntityCounter::default();
        plain.add_document(text, &gold, &pred);
        assert!(plain.report().errors.is_empty());
        assert!(!serde_json::to_string(&plain.report()).unwrap().contains("errors"));
    }

    #[test]
    fn empty_prediction_and_gold_give_zero_not_nan() {
        let mut c = EntityCounter::default();
        c.add(&[], &[]);
        let r = c.report();
        assert_eq!(r.exact.f1, 0.0);
        assert!(!r.exact.precision.is_nan());
    }
}
