//! International organisations, political parties, news agencies, US newspapers and the
//! companies of major stock indices.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Result;
use serde_json::Value;

use super::people::strip_disambiguation;
use super::{col, field, jsonl, table, Shared};
use crate::link::gazetteer::{Entry, GazetteerBuilder, Kind, Via};
use crate::link::normalize::{is_acronym, normalize};

/// Supraverden international organisations with QIDs, English names and acronyms.
pub fn international(path: &Path, gaz: &mut GazetteerBuilder) -> Result<()> {
    for o in jsonl(path)? {
        let qid = field(&o, "qid");
        if qid.is_empty() {
            continue;
        }
        let mut e = Entry::new(qid, field(&o, "name_en"), Kind::Organisation, 0.7);
        e.add_alias(field(&o, "abbreviation_en"), Via::Acronym);
        for other in o.get("other_names_en").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            e.add_alias(other, if is_acronym(other) { Via::Acronym } else { Via::Alias });
        }
        gaz.add(e);
    }
    Ok(())
}

/// Party Facts parties with QIDs: English name, short name, native name.
pub fn parties(path: &Path, shared: &mut Shared, gaz: &mut GazetteerBuilder) -> Result<()> {
    for r in table(path)? {
        let qid = col(&r, "wikidata_id");
        if qid.is_empty() {
            continue;
        }
        let mut e = Entry::new(qid, col(&r, "name"), Kind::Party, 0.4);
        e.add_alias(col(&r, "name_short"), Via::Acronym);
        e.add_alias(col(&r, "name_native"), Via::Alias);
        if let Some(country) = shared.country_by_code.get(col(&r, "country")) {
            e.add_context(country);
        }
        shared.party_qid.insert(col(&r, "partyfacts_id").to_string(), qid.to_string());
        gaz.add(e);
    }
    Ok(())
}

/// Party Facts core parties: more English names (`A / B`), acronyms and vote shares for the
/// parties that have a QID; a party that won a larger share is more likely meant, though party
/// acronyms are short and shared (`UN`), so a party's prior stays below an international
/// organisation's.
pub fn party_names(path: &Path, shared: &Shared, gaz: &mut GazetteerBuilder) -> Result<()> {
    for r in table(path)? {
        let Some(e) = shared.party_qid.get(col(&r, "partyfacts_id")).and_then(|q| gaz.get_mut(q)) else { continue };
        e.add_alias(col(&r, "name_short"), Via::Acronym);
        for name in col(&r, "name_english").split(" / ").chain(col(&r, "name").split(" / ")) {
            e.add_alias(name, Via::Alias);
        }
        let share: f32 = col(&r, "share").parse().unwrap_or(0.0);
        e.prior = e.prior.max(0.4 + share.min(50.0) / 200.0);
    }
    Ok(())
}

/// News agencies: short names (AFP, Reuters) with QIDs.
pub fn news_agencies(path: &Path, gaz: &mut GazetteerBuilder) -> Result<()> {
    for r in table(path)? {
        let qid = col(&r, "qid");
        if !qid.is_empty() {
            gaz.add(Entry::new(qid, col(&r, "short_name"), Kind::NewsAgency, 0.8));
        }
    }
    Ok(())
}

/// US newspapers from Wikipedia's lists. Small local papers share generic names (`The
/// Herald`), so the prior is low and the state is context.
pub fn newspapers(path: &Path, shared: &Shared, gaz: &mut GazetteerBuilder) -> Result<()> {
    let us = shared.country_by_code.get("US").cloned().unwrap_or_default();
    let states_by_name: HashMap<String, String> = gaz
        .entries()
        .filter(|e| e.kind == Kind::Region && e.context.first() == Some(&us))
        .map(|e| (normalize(&e.name), e.id.clone()))
        .collect();
    for r in table(path)? {
        let qid = col(&r, "qid");
        if qid.is_empty() {
            continue;
        }
        let mut e = Entry::new(qid, strip_disambiguation(col(&r, "WP-title")), Kind::Newspaper, 0.3);
        e.add_context(&us);
        if let Some(state) = states_by_name.get(&normalize(col(&r, "state"))) {
            e.add_context(state);
        }
        gaz.add(e);
    }
    Ok(())
}

/// Legal-form suffixes that news drops (`Siemens AG` → `Siemens`).
const LEGAL_FORMS: [&str; 16] = [
    " Inc.", " Inc", " Corp.", " Corporation", " Co.", " plc", " PLC", " AG", " SE", " S.A.", " SA", " N.V.", " NV", " Ltd", " Group", " Holdings",
];

/// Index constituents. They have no QIDs: where the Wikipedia title is in the title→QID map
/// the QID is used, otherwise the id is `isin:` and the first ISIN, which stays apart from
/// Wikidata ids.
pub fn companies(path: &Path, shared: &Shared, gaz: &mut GazetteerBuilder) -> Result<()> {
    for r in table(path)? {
        let Some(isin) = col(&r, "isins").split('|').next().filter(|i| !i.is_empty()) else { continue };
        let name = col(&r, "name");
        let title = col(&r, "wikipedia_url").rsplit("/wiki/").next().unwrap_or("").replace('_', " ");
        let id = shared.title_qid.get(&percent_decode(&title)).cloned().unwrap_or_else(|| format!("isin:{isin}"));
        let mut e = Entry::new(id, name, Kind::Company, 0.5);
        let mut short = name.trim_end_matches([',', ' ']);
        while let Some(s) = LEGAL_FORMS.iter().find_map(|f| short.strip_suffix(f)) {
            short = s.trim_end_matches([',', ' ']);
        }
        e.add_alias(short, Via::Alias);
        if let Some(country) = shared.country_by_name.get(&normalize(col(&r, "country"))) {
            e.add_context(country);
        }
        gaz.add(e);
    }
    Ok(())
}

/// Decodes `%26`-style escapes of a Wikipedia URL path.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
