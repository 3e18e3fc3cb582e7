//! Wikidata English labels of entities the other sources already hold, from a table of
//! (QID, label) pairs: the name a QID's item goes by on Wikidata where the curated sources
//! gave it another (`Chechnya` for Q5187, which the subdivision table calls `Chechen`).
//!
//! The table is the `enums.py` of the PyPI package `wikidata-bulk-people` 0.1.0 (MIT): enums
//! of QIDs generated from Wikidata, one `NAME = "Q5187"  # Chechnya (172)` a line, where the
//! comment is the item's English label and a count. Its enums' classes (occupations,
//! countries, religions, awards, ideologies) are loose, so nothing here makes an entry: a
//! label only joins an entry whose QID another source gave, as one more alias.

use std::path::Path;

use anyhow::Result;

use super::{is_latin, BuildLog};
use crate::link::gazetteer::{GazetteerBuilder, Via};

/// The (QID, English label) pairs of the enums file.
fn pairs(text: &str) -> Vec<(&str, &str)> {
    text.lines()
        .filter_map(|line| {
            let (_, rest) = line.split_once("= \"")?;
            let (qid, rest) = rest.split_once('"')?;
            let comment = rest.trim_start().strip_prefix('#')?.trim();
            // The label is the comment less its trailing count: `Chechnya (172)`.
            let label = comment.rsplit_once(" (").filter(|(_, n)| n.trim_end_matches(')').bytes().all(|b| b.is_ascii_digit())).map_or(comment, |(l, _)| l);
            (qid.starts_with('Q') && qid[1..].bytes().all(|b| b.is_ascii_digit()) && !label.is_empty()).then_some((qid, label.trim()))
        })
        .collect()
}

pub fn wikidata_labels(path: &Path, gaz: &mut GazetteerBuilder, log: &mut BuildLog) -> Result<()> {
    let text = std::fs::read_to_string(path)?;
    for (qid, label) in pairs(&text) {
        let Some(e) = gaz.get_mut(qid) else { continue };
        let key = crate::link::normalize::normalize(label);
        if !is_latin(label) || key == crate::link::normalize::normalize(&e.name) || e.aliases.iter().any(|(a, _)| *a == key) {
            continue;
        }
        e.add_alias(label, Via::Alias);
        log.note("wikidata labels: aliases added to entries of other sources", 1);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_qids_and_labels_from_enum_lines() {
        let text = "class Country(_QidEnum):\n    \"\"\"Doc.\"\"\"\n    CHECHNYA = \"Q5187\"  # Chechnya (172)\n    X = \"Q1\"  # Some (Thing) (3)\n    BAD = \"P31\"  # property (2)\n";
        assert_eq!(pairs(text), vec![("Q5187", "Chechnya"), ("Q1", "Some (Thing)")]);
    }
}
