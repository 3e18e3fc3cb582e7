//! Counts and precision / recall / F1, shared by every kind of evaluation.

use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Prf {
    /// Predictions that match a gold item.
    pub tp: usize,
    /// Predictions in all.
    pub predicted: usize,
    /// Gold items in all.
    pub gold: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl Prf {
    /// `matched_gold` may differ from `tp` where one side can match several of the other; by
    /// default they are the same.
    pub fn new(tp: usize, predicted: usize, gold: usize) -> Prf {
        Prf::with_matched_gold(tp, tp, predicted, gold)
    }

    pub fn with_matched_gold(tp: usize, matched_gold: usize, predicted: usize, gold: usize) -> Prf {
        let precision = ratio(tp, predicted);
        let recall = ratio(matched_gold, gold);
        // conlleval reports 0 when both are 0.
        let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
        Prf { tp, predicted, gold, precision, recall, f1 }
    }

    pub fn add(&mut self, tp: usize, predicted: usize, gold: usize) {
        *self = Prf::new(self.tp + tp, self.predicted + predicted, self.gold + gold);
    }
}

pub fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

impl std::fmt::Display for Prf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "P {:6.2}  R {:6.2}  F1 {:6.2}  (tp {}, pred {}, gold {})",
            100.0 * self.precision,
            100.0 * self.recall,
            100.0 * self.f1,
            self.tp,
            self.predicted,
            self.gold
        )
    }
}
