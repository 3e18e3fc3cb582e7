//! Entity metrics: exact-span micro P/R/F1 overall and per type (conlleval's definition: a
//! predicted entity is correct when its span and type both equal a gold entity's), plus
//! partial-overlap figures (same type, overlapping spans).

use std::collections::{BTreeMap, HashSet};

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
}

#[derive(Debug, Default)]
pub struct EntityCounter {
    exact: (usize, usize, usize),
    unlabelled: usize,
    per_type: BTreeMap<String, (usize, usize, usize)>,
    partial_pred: usize,
    partial_gold: usize,
}

impl EntityCounter {
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
        }
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
        writeln!(f, "  untyped    {}", self.unlabelled)
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
    fn empty_prediction_and_gold_give_zero_not_nan() {
        let mut c = EntityCounter::default();
        c.add(&[], &[]);
        let r = c.report();
        assert_eq!(r.exact.f1, 0.0);
        assert!(!r.exact.precision.is_nan());
    }
}
