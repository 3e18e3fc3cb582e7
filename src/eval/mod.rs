//! `byline eval`: scores predictions against gold annotations.
//!
//! Gold and predicted documents are paired by id; their texts must be equal, since every metric
//! compares char offsets. Each kind of annotation has its own module and report section, and a
//! section appears only where the gold annotates that kind.

pub mod entities;
pub mod gold;
pub mod linking;
pub mod metrics;
pub mod quotes;

use std::collections::{HashMap, HashSet};

use anyhow::{bail, Result};
use serde::Serialize;

use crate::output::Record;
use entities::{EntityCounter, EntityReport};
use gold::GoldDoc;
use linking::{LinkCounter, LinkReport};
use quotes::{QuoteCounter, QuoteReport};

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Gold documents scored (paired with a prediction).
    pub documents: usize,
    /// Gold documents with no prediction: scored as if nothing was predicted.
    pub missing_predictions: usize,
    /// Predictions that carry an `error`.
    pub prediction_errors: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entities: Option<EntityReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linking: Option<LinkReport>,
    pub quotes: Option<QuoteReport>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "documents: {} scored, {} without a prediction, {} predictions with errors",
            self.documents, self.missing_predictions, self.prediction_errors
        )?;
        if let Some(e) = &self.entities {
            write!(f, "{e}")?;
        }
        if let Some(q) = &self.quotes {
            write!(f, "{q}")?;
        }
        if let Some(l) = &self.linking {
            write!(f, "{l}")?;
        }
        Ok(())
    }
}

/// Scores `pred` against `gold`. Documents are paired by id.
pub fn evaluate(gold: &[GoldDoc], pred: &[Record]) -> Result<Report> {
    evaluate_with_ids(gold, pred, None)
}

/// [`evaluate`], with the gazetteer's ids so that linking figures include coverage.
pub fn evaluate_with_ids(gold: &[GoldDoc], pred: &[Record], known_ids: Option<&HashSet<&str>>) -> Result<Report> {
    evaluate_listing_errors(gold, pred, known_ids, false)
}

/// [`evaluate_with_ids`]; with `errors`, the quote report lists each error of a direct quote
/// (wrong speaker, missed, spurious) with its context, and the entity report the kinds of
/// entity errors with their most frequent texts.
pub fn evaluate_listing_errors(gold: &[GoldDoc], pred: &[Record], known_ids: Option<&HashSet<&str>>, errors: bool) -> Result<Report> {
    let by_id: HashMap<&str, &Record> = pred.iter().map(|r| (r.id.as_str(), r)).collect();
    let empty = Vec::new();
    let mut report = Report { documents: 0, missing_predictions: 0, prediction_errors: 0, entities: None, linking: None, quotes: None };
    let mut links = LinkCounter::default();
    let mut any_links = false;
    let mut ents = if errors { EntityCounter::with_errors() } else { EntityCounter::default() };
    let mut any_entities = false;
    let mut quotes = if errors { QuoteCounter::with_errors() } else { QuoteCounter::default() };
    let mut any_quotes = false;
    let empty_quotes = Vec::new();
    for g in gold {
        let p = by_id.get(g.id.as_str()).copied();
        match p {
            None => report.missing_predictions += 1,
            Some(p) if p.error.is_some() => report.prediction_errors += 1,
            Some(p) if p.text != g.text => {
                bail!("document {:?}: the predicted text differs from the gold text, so offsets cannot be compared", g.id)
            }
            Some(_) => {}
        }
        report.documents += 1;
        let pred_entities = p.map(|p| &p.entities).unwrap_or(&empty);
        if let Some(gold_entities) = &g.entities {
            any_entities = true;
            ents.add_document(&g.text, gold_entities, pred_entities);
            if g.has_links {
                any_links = true;
                links.add(gold_entities, pred_entities, known_ids);
            }
        }
        if let Some(gold_quotes) = &g.quotes {
            any_quotes = true;
            quotes.add(&g.id, &g.text, gold_quotes, p.map(|p| &p.quotes).unwrap_or(&empty_quotes));
        }
    }
    if report.documents == report.missing_predictions && !gold.is_empty() {
        bail!("no prediction matches a gold document by id (gold ids look like {:?})", gold[0].id);
    }
    if any_entities {
        report.entities = Some(ents.report());
    }
    if any_links {
        report.linking = Some(links.report(known_ids));
    }
    if any_quotes {
        report.quotes = Some(quotes.report());
    }
    Ok(report)
}
