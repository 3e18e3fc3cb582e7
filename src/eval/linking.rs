//! Linking metrics: exact (span, id) P/R/F1, accuracy on the gold mentions whose id the
//! gazetteer holds (what disambiguation could get right), and the gazetteer's coverage of the
//! gold ids (what it could not).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::Serialize;

use super::metrics::{ratio, Prf};
use crate::document::{CharSpan, Entity};
use crate::eval::gold::GoldEntity;

#[derive(Debug, Clone, Default, Serialize)]
pub struct LinkReport {
    /// Every predicted link: right when a gold mention with the same span has the same id.
    pub links: Prf,
    /// The same over the predicted links whose id is in one of the gold's id namespaces
    /// ([`namespace`]: `wikidata` for QIDs): an id of another namespace (`geonames:`, `isin:`)
    /// can never equal a gold id, even when it names the same thing. Recall is over all gold.
    pub gold_namespace_links: Prf,
    /// The namespaces of the gold ids (`["wikidata"]` for AIDA).
    pub gold_namespaces: Vec<String>,
    /// Predicted links by namespace outside the gold's: left out of `gold_namespace_links`,
    /// counted wrong in `links`.
    pub other_namespace_links: BTreeMap<String, usize>,
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
    /// The same by entity type: precision over the links of mentions predicted with the type,
    /// recall, coverage and covered accuracy over the gold mentions of the type.
    pub by_type: BTreeMap<String, TypeLinkReport>,
}

/// Link figures for one entity type (`links` counts every link, as [`LinkReport::links`]).
#[derive(Debug, Clone, Default, Serialize)]
pub struct TypeLinkReport {
    pub links: Prf,
    /// Precision over the type's links whose id is in the gold's namespaces.
    pub gold_namespace_precision: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub covered_accuracy: Option<f64>,
}

/// Counts for one entity type.
#[derive(Debug, Default)]
struct TypeCounts {
    /// Predicted links of the type: right, all, and (right, all) by id namespace.
    tp: usize,
    predicted: usize,
    by_namespace: BTreeMap<String, (usize, usize)>,
    /// Gold linked mentions of the type, those linked right, covered, covered and right.
    gold: usize,
    gold_matched: usize,
    covered: usize,
    covered_correct: usize,
}

#[derive(Debug, Default)]
pub struct LinkCounter {
    tp: usize,
    predicted: usize,
    /// Predicted links by id namespace: (right, all).
    by_namespace: BTreeMap<String, (usize, usize)>,
    gold_namespaces: BTreeSet<String>,
    gold: usize,
    covered: usize,
    covered_correct: usize,
    gold_ids: HashSet<String>,
    by_type: BTreeMap<String, TypeCounts>,
}

impl LinkCounter {
    /// `known` is the gazetteer's id set; without it coverage and accuracy are not counted.
    pub fn add(&mut self, gold: &[GoldEntity], pred: &[Entity], known: Option<&HashSet<&str>>) {
        let gold_pairs: HashSet<(CharSpan, &str)> = gold.iter().filter_map(|g| Some((g.span, g.kb_id.as_deref()?))).collect();
        let pred_pairs: HashSet<(CharSpan, &str)> = pred.iter().filter_map(|p| Some((p.span(), p.link.as_ref()?.kb_id.as_str()))).collect();
        self.tp += pred_pairs.intersection(&gold_pairs).count();
        self.predicted += pred_pairs.len();
        for pair in &pred_pairs {
            let slot = self.by_namespace.entry(namespace(pair.1).to_string()).or_default();
            slot.0 += gold_pairs.contains(pair) as usize;
            slot.1 += 1;
        }
        for g in gold.iter().filter(|g| g.kb_id.is_some()) {
            self.gold_namespaces.insert(namespace(g.kb_id.as_deref().unwrap_or_default()).to_string());
        }
        // Per type: a predicted link counts under its mention's predicted label, a gold
        // mention under its gold label.
        let mut seen_pred = HashSet::new();
        for p in pred {
            let Some(link) = &p.link else { continue };
            let pair = (p.span(), link.kb_id.as_str());
            if !seen_pred.insert(pair) {
                continue;
            }
            let right = gold_pairs.contains(&pair) as usize;
            let t = self.by_type.entry(p.label.clone()).or_default();
            t.tp += right;
            t.predicted += 1;
            let slot = t.by_namespace.entry(namespace(pair.1).to_string()).or_default();
            slot.0 += right;
            slot.1 += 1;
        }
        let mut seen_gold = HashSet::new();
        for g in gold {
            let Some(id) = g.kb_id.as_deref() else { continue };
            if !seen_gold.insert((g.span, id)) {
                continue;
            }
            let right = pred_pairs.contains(&(g.span, id));
            let is_known = known.is_some_and(|k| k.contains(id));
            let t = self.by_type.entry(g.label.clone()).or_default();
            t.gold += 1;
            t.gold_matched += right as usize;
            t.covered += is_known as usize;
            t.covered_correct += (is_known && right) as usize;
        }
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
        let in_gold = |ns: &String| self.gold_namespaces.contains(ns);
        let (ns_tp, ns_predicted) = self.by_namespace.iter().filter(|(ns, _)| in_gold(ns)).fold((0, 0), |(t, p), (_, &(a, b))| (t + a, p + b));
        LinkReport {
            links: Prf::new(self.tp, self.predicted, self.gold),
            gold_namespace_links: Prf::new(ns_tp, ns_predicted, self.gold),
            gold_namespaces: self.gold_namespaces.iter().cloned().collect(),
            other_namespace_links: self.by_namespace.iter().filter(|(ns, _)| !in_gold(ns)).map(|(ns, &(_, n))| (ns.clone(), n)).collect(),
            gold_linked: self.gold,
            covered: known.map(|_| self.covered),
            coverage: known.map(|_| ratio(self.covered, self.gold)),
            distinct_gold_ids: self.gold_ids.len(),
            distinct_coverage: known.map(|k| ratio(self.gold_ids.iter().filter(|id| k.contains(id.as_str())).count(), self.gold_ids.len())),
            covered_accuracy: known.map(|_| ratio(self.covered_correct, self.covered)),
            by_type: self
                .by_type
                .iter()
                .map(|(label, t)| {
                    let (ns_tp, ns_predicted) = t.by_namespace.iter().filter(|(ns, _)| in_gold(ns)).fold((0, 0), |(a, b), (_, &(x, y))| (a + x, b + y));
                    let report = TypeLinkReport {
                        links: Prf::with_matched_gold(t.tp, t.gold_matched, t.predicted, t.gold),
                        gold_namespace_precision: ratio(ns_tp, ns_predicted),
                        coverage: known.map(|_| ratio(t.covered, t.gold)),
                        covered_accuracy: known.map(|_| ratio(t.covered_correct, t.covered)),
                    };
                    (label.clone(), report)
                })
                .collect(),
        }
    }
}

impl std::fmt::Display for LinkReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "links (exact span and id):")?;
        writeln!(f, "  all links     {}", self.links)?;
        let namespaces = if self.gold_namespaces.is_empty() { "none".to_string() } else { self.gold_namespaces.join(", ") };
        writeln!(f, "  gold's ids    {}  (links with {namespaces} ids only)", self.gold_namespace_links)?;
        if !self.other_namespace_links.is_empty() {
            let others: Vec<String> = self.other_namespace_links.iter().map(|(ns, n)| format!("{n} {ns}")).collect();
            writeln!(
                f,
                "  ({} links have ids no gold id can equal: {}; `all links` counts them wrong, `gold's ids` leaves them out)",
                self.other_namespace_links.values().sum::<usize>(),
                others.join(", ")
            )?;
        }
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
        if !self.by_type.is_empty() {
            writeln!(f, "  by type (precision by predicted type, the rest by gold type):")?;
            writeln!(f, "    {:<6} {:>6} {:>6} {:>6} {:>6} {:>9} {:>9} {:>6}", "type", "P", "P(ids)", "R", "F1", "coverage", "cov. acc", "gold")?;
            for (label, t) in &self.by_type {
                let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.2}%", 100.0 * v));
                writeln!(
                    f,
                    "    {:<6} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>9} {:>9} {:>6}",
                    label,
                    t.links.precision,
                    t.gold_namespace_precision,
                    t.links.recall,
                    t.links.f1,
                    pct(t.coverage),
                    pct(t.covered_accuracy),
                    t.links.gold
                )?;
            }
        }
        Ok(())
    }
}

/// The namespace of an id: `wikidata` for a QID (`Q` and digits), else the prefix before `:`
/// (`geonames`, `isin`), else `other`.
pub fn namespace(id: &str) -> &str {
    if id.strip_prefix('Q').is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) {
        "wikidata"
    } else {
        id.split_once(':').map_or("other", |(ns, _)| ns)
    }
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
            id: None,
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
        assert_eq!((r.gold_namespace_links.tp, r.gold_namespace_links.predicted, r.gold_namespace_links.gold), (1, 3, 3));
        assert!((r.gold_namespace_links.precision - 1.0 / 3.0).abs() < 1e-9);
        assert!((r.gold_namespace_links.recall - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(r.gold_namespaces, vec!["wikidata".to_string()]);
        assert_eq!(r.other_namespace_links.get("geonames"), Some(&1));
        assert_eq!(r.covered, Some(2)); // Q1 and Q2; Q9 is not in the gazetteer
        assert!((r.covered_accuracy.unwrap() - 0.5).abs() < 1e-9);
        assert!((r.distinct_coverage.unwrap() - 2.0 / 3.0).abs() < 1e-9);
        let without = c.report(None);
        assert_eq!(without.covered_accuracy, None);
        // One type here: its figures are the overall ones.
        let t = &r.by_type["LOC"];
        assert_eq!((t.links.tp, t.links.predicted, t.links.gold), (1, 4, 3));
        assert!((t.gold_namespace_precision - 1.0 / 3.0).abs() < 1e-9);
        assert!((t.coverage.unwrap() - 2.0 / 3.0).abs() < 1e-9);
        assert!((t.covered_accuracy.unwrap() - 0.5).abs() < 1e-9);
    }

    #[test]
    fn namespaces_of_ids() {
        assert_eq!(namespace("Q649"), "wikidata");
        assert_eq!(namespace("geonames:524901"), "geonames");
        assert_eq!(namespace("isin:US0378331005"), "isin");
        assert_eq!(namespace("Q"), "other");
        assert_eq!(namespace("Qx1"), "other");
    }

    #[test]
    fn a_gold_in_another_namespace_scores_its_own_ids() {
        // Gold keyed by GeoNames: a QID link is then the one no gold id can equal.
        let g = vec![gold(0, 5, Some("geonames:1")), gold(6, 9, Some("geonames:2"))];
        let p = vec![pred(0, 5, Some("geonames:1")), pred(6, 9, Some("Q2"))];
        let mut c = LinkCounter::default();
        c.add(&g, &p, None);
        let r = c.report(None);
        assert_eq!((r.links.tp, r.links.predicted), (1, 2));
        assert_eq!((r.gold_namespace_links.tp, r.gold_namespace_links.predicted), (1, 1));
        assert_eq!(r.other_namespace_links.get("wikidata"), Some(&1));
        assert!(r.to_string().contains("1 wikidata"));
    }
}
