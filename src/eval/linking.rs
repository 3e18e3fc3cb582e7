//! Linking metrics: exact (span, id) P/R/F1, accuracy on the gold mentions whose id the
//! gazetteer holds (what disambiguation could get right), and the gazetteer's coverage of the
//! gold ids (what it could not).

use std::collections::HashSet;

use serde::Serialize;

use super::metrics::{ratio, Prf};
use crate::document::{CharSpan, Entity};
use crate::eval::gold::GoldEntity;

#[derive(Debug, Clone, Default, Serialize)]
pub struct LinkReport {
    /// A predicted link is right when a gold mention with the same span has the same id.
    pub links: Prf,
    /// The same over predicted links with Wikidata ids only: a namespaced id (`geonames:`,
    /// `isin:`) can never equal a Wikidata-keyed gold id, even when it names the same thing.
    pub wikidata_links: Prf,
    /// Gold mentions with an id (not NIL).
    pub gold_linked: usize,
    /// Gold linked mentions whose id is in the gazetteer, and the share they make.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub covered: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<f64>,
    /// Distinct gold ids, and the share of them in the gazetteer.
    pub distinct_gold_ids: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distinct_coverage: Option<f64>,
    /// Of the covered gold mentions, the share linked to the right id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub covered_accuracy: Option<f64>,
}

#[derive(Debug, Default)]
pub struct LinkCounter {
    tp: usize,
    predicted: usize,
    wikidata_tp: usize,
    wikidata_predicted: usize,
    gold: usize,
    covered: usize,
    covered_correct: usize,
    gold_ids: HashSet<String>,
}

impl LinkCounter {
    /// `known` is the gazetteer's id set; without it coverage and accuracy are not counted.
    pub fn add(&mut self, gold: &[GoldEntity], pred: &[Entity], known: Option<&HashSet<&str>>) {
        let gold_pairs: HashSet<(CharSpan, &str)> = gold.iter().filter_map(|g| Some((g.span, g.kb_id.as_deref()?))).collect();
        let pred_pairs: HashSet<(CharSpan, &str)> = pred.iter().filter_map(|p| Some((p.span(), p.link.as_ref()?.kb_id.as_str()))).collect();
        self.tp += pred_pairs.intersection(&gold_pairs).count();
        self.predicted += pred_pairs.len();
        let wikidata: HashSet<_> = pred_pairs.iter().filter(|(_, id)| is_wikidata_id(id)).collect();
        self.wikidata_tp += wikidata.iter().filter(|p| gold_pairs.contains(p)).count();
        self.wikidata_predicted += wikidata.len();
        self.gold += gold_pairs.len();
        for (span, id) in &gold_pairs {
            self.gold_ids.insert(id.to_string());
            if known.is_some_and(|k| k.contains(id)) {
                self.covered += 1;
                self.covered_correct += pred_pairs.contains(&(*span, *id)) as usize;
            }
        }
    }

    pub fn report(&self, known: Option<&HashSet<&str>>) -> LinkReport {
        LinkReport {
            links: Prf::new(self.tp, self.predicted, self.gold),
            wikidata_links: Prf::new(self.wikidata_tp, self.wikidata_predicted, self.gold),
            gold_linked: self.gold,
            covered: known.map(|_| self.covered),
            coverage: known.map(|_| ratio(self.covered, self.gold)),
            distinct_gold_ids: self.gold_ids.len(),
            distinct_coverage: known.map(|k| ratio(self.gold_ids.iter().filter(|id| k.contains(id.as_str())).count(), self.gold_ids.len())),
            covered_accuracy: known.map(|_| ratio(self.covered_correct, self.covered)),
        }
    }
}

impl std::fmt::Display for LinkReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "links (exact span and id):")?;
        writeln!(f, "  overall    {}", self.links)?;
        writeln!(f, "  QIDs only  {}", self.wikidata_links)?;
        if let (Some(covered), Some(coverage), Some(acc), Some(distinct)) = (self.covered, self.coverage, self.covered_accuracy, self.distinct_coverage) {
            writeln!(
                f,
                "  gazetteer coverage: {covered} of {} gold linked mentions ({:.2}%), {:.2}% of {} distinct ids",
                self.gold_linked,
                100.0 * coverage,
                100.0 * distinct,
                self.distinct_gold_ids
            )?;
            writeln!(f, "  accuracy on covered gold mentions: {:.2}%", 100.0 * acc)?;
        }
        Ok(())
    }
}

/// `Q` followed by digits.
fn is_wikidata_id(id: &str) -> bool {
    id.strip_prefix('Q').is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Link;

    fn gold(s: usize, e: usize, id: Option<&str>) -> GoldEntity {
        GoldEntity { span: CharSpan::new(s, e), label: "LOC".into(), kb_id: id.map(str::to_string) }
    }

    fn pred(s: usize, e: usize, id: Option<&str>) -> Entity {
        Entity {
            start: s,
            end: e,
            text: String::new(),
            label: "LOC".into(),
            score: 1.0,
            link: id.map(|id| Link { kb_id: id.into(), name: String::new(), kind: "city".into(), via: "name".into(), score: 1.0, candidates: None }),
        }
    }

    #[test]
    fn counts_pairs_coverage_and_accuracy_by_hand() {
        // Gold: three linked mentions (Q1, Q2, Q9) and one NIL. Predicted: Q1 right, Q3 wrong
        // on the Q2 mention, a link on the NIL mention, a GeoNames id on Q9's.
        let g = vec![gold(0, 5, Some("Q1")), gold(6, 9, Some("Q2")), gold(10, 12, None), gold(13, 15, Some("Q9"))];
        let p = vec![pred(0, 5, Some("Q1")), pred(6, 9, Some("Q3")), pred(10, 12, Some("Q4")), pred(13, 15, Some("geonames:9"))];
        let known: HashSet<&str> = ["Q1", "Q2", "Q3", "Q4"].into_iter().collect();
        let mut c = LinkCounter::default();
        c.add(&g, &p, Some(&known));
        let r = c.report(Some(&known));
        assert_eq!((r.links.tp, r.links.predicted, r.links.gold), (1, 4, 3));
        assert!((r.links.precision - 0.25).abs() < 1e-9);
        assert_eq!((r.wikidata_links.tp, r.wikidata_links.predicted), (1, 3));
        assert_eq!(r.covered, Some(2)); // Q1 and Q2; Q9 is not in the gazetteer
        assert!((r.covered_accuracy.unwrap() - 0.5).abs() < 1e-9);
        assert!((r.distinct_coverage.unwrap() - 2.0 / 3.0).abs() < 1e-9);
        let without = c.report(None);
        assert_eq!(without.covered_accuracy, None);
    }
}
