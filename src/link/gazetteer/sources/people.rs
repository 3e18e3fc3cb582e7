//! Office holders and leaders: heads of state and government and ministers since 2000, world
//! leaders 2021, international posts, foreign ministers, the US Congress, Archigos leaders.
//!
//! A person's prior is the rank of their highest office; their context holds the
//! jurisdictions they served (a country QID), and their terms let the linker prefer whoever
//! held office at the article's date. Heads of state and government are also reachable by
//! family name alone (`Putin`), since news names them that way.

use std::path::Path;

use anyhow::Result;

use super::{col, field, is_latin, jsonl, table, BuildLog, Shared};
use crate::link::gazetteer::{parse_date, Entry, GazetteerBuilder, Kind, Term, Via};

/// The prior of heads of state and government, who are also reachable by family name.
const HEAD_PRIOR: f32 = 0.8;

/// The highest prior a position history gives an office that is not a national head of state
/// or government: the histories also hold presidents of councils, courts and assemblies.
const HISTORY_PRIOR_CAP: f32 = 0.6;

/// Rank of an office from its title, as a prior.
fn office_prior(position: &str) -> f32 {
    let p = position.to_lowercase();
    let head = ["president", "prime minister", "chancellor", "king", "queen", "emir", "sultan", "supreme leader", "head of state", "premier", "secretary-general", "secretary general"];
    if p.starts_with("vice") || p.starts_with("deputy") || p.contains("of the senate") || p.contains("of the supreme court") || p.contains("of the national") {
        0.55
    } else if head.iter().any(|h| p.starts_with(h) || p.contains(&format!(" {h}"))) {
        HEAD_PRIOR
    } else if p.starts_with("minister") || p.contains("secretary of state") || p.starts_with("foreign minister") {
        0.6
    } else {
        0.4
    }
}

/// A person entry for one term of one office.
fn office_holder(qid: &str, name: &str, position: &str, jurisdiction: &str, start: &str, end: &str) -> Option<Entry> {
    if qid.is_empty() || name.is_empty() || name == qid {
        return None;
    }
    let prior = office_prior(position);
    let mut e = Entry::new(qid, name, Kind::Person, prior);
    e.add_context(jurisdiction);
    e.terms.push(Term { start: parse_date(start, false).unwrap_or(0), end: parse_date(end, true).unwrap_or(0) });
    if prior >= HEAD_PRIOR {
        add_surname(&mut e, name);
    }
    Some(e)
}

/// The family name as an alias: the last word (`Vladimir Putin` → `Putin`), or a given
/// surname.
fn add_surname(e: &mut Entry, full_name: &str) {
    if let Some(last) = full_name.split_whitespace().last().filter(|_| full_name.split_whitespace().count() > 1) {
        e.add_alias(last, Via::Surname);
    }
}

/// every-politician holders of national posts whose term overlaps 2000–2022.
pub fn officeholders(path: &Path, shared: &mut Shared, gaz: &mut GazetteerBuilder) -> Result<()> {
    for r in table(path)? {
        if office_prior(col(&r, "position")) >= HEAD_PRIOR && !col(&r, "position_qid").is_empty() {
            shared.head_positions.insert(col(&r, "position_qid").to_string());
        }
        let entry = office_holder(col(&r, "personID"), col(&r, "person"), col(&r, "position"), col(&r, "jurisdiction_qid"), col(&r, "start"), col(&r, "end"));
        if let Some(mut e) = entry {
            if !col(&r, "enwiki").is_empty() && col(&r, "enwiki") != e.name {
                e.add_alias(strip_disambiguation(col(&r, "enwiki")), Via::Alias);
            }
            gaz.add(e);
        }
    }
    Ok(())
}

/// Office items (QID → label), which the position histories refer to.
pub fn positions(path: &Path, shared: &mut Shared) -> Result<()> {
    for r in table(path)? {
        if !col(&r, "id").is_empty() && !col(&r, "position").is_empty() {
            shared.position_labels.insert(col(&r, "id").to_string(), col(&r, "position").to_string());
        }
    }
    Ok(())
}

/// Full histories of offices compared with Wikipedia's lists (often back to the 19th
/// century): ministers, governors, ambassadors, chiefs of staff. The 1990s office holders that
/// the 2000-on table lacks come from here (Viktor Chernomyrdin).
pub fn position_histories(path: &Path, shared: &Shared, gaz: &mut GazetteerBuilder) -> Result<()> {
    for r in table(path)? {
        let position = match col(&r, "position_label") {
            "" => shared.position_labels.get(col(&r, "position_qid")).map(String::as_str).unwrap_or(""),
            label => label,
        };
        let entry = office_holder(col(&r, "person_qid"), col(&r, "person_label"), position, col(&r, "jurisdiction_qid"), col(&r, "start"), col(&r, "end"));
        if let Some(mut e) = entry {
            e.add_context(col(&r, "area_qid"));
            // Only the offices that the national office-holder table ranks as heads of state
            // or government keep that rank and the family-name alias; a family name alone
            // means a past leader only in history pieces, so of those who left office before
            // 1950 only full names are kept.
            let head = shared.head_positions.contains(col(&r, "position_qid"));
            if !head {
                e.prior = e.prior.min(HISTORY_PRIOR_CAP);
            }
            if !head || e.terms.iter().all(|t| t.end != 0 && t.end < 1950_00_00) {
                e.aliases.retain(|(_, via)| *via != Via::Surname);
            }
            gaz.add(e);
        }
    }
    Ok(())
}

/// Prior of a member of a legislature: below ministers, since many share a name with someone
/// better known.
const LEGISLATOR_PRIOR: f32 = 0.1;

/// Members of national, sub-national and international legislatures (21st century): full
/// names only, no family-name alias, a low prior and their terms, so that they link where the
/// article's country and date support them.
pub fn legislators(path: &Path, gaz: &mut GazetteerBuilder) -> Result<()> {
    for r in table(path)? {
        let qid = col(&r, "personID");
        let name = col(&r, "person");
        if qid.is_empty() || name.is_empty() || name == qid {
            continue;
        }
        let title = strip_disambiguation(col(&r, "enwiki"));
        // A label in another script gives way to the English Wikipedia title as the name.
        let shown = if !is_latin(name) && !title.is_empty() { title } else { name };
        let mut e = Entry::new(qid, shown, Kind::Person, LEGISLATOR_PRIOR);
        e.add_context(col(&r, "jurisdiction_qid"));
        e.terms.push(Term { start: parse_date(col(&r, "start"), false).unwrap_or(0), end: parse_date(col(&r, "end"), true).unwrap_or(0) });
        for other in [name, title] {
            if !other.is_empty() && other != shown {
                e.add_alias(other, Via::Alias);
            }
        }
        gaz.add(e);
    }
    Ok(())
}

/// Heads of state and government in office 2021–22 (years only).
pub fn world_leaders(path: &Path, gaz: &mut GazetteerBuilder) -> Result<()> {
    for r in table(path)? {
        let entry = office_holder(col(&r, "officeholder"), col(&r, "officeholderLabel"), col(&r, "positionLabel"), col(&r, "countryid"), col(&r, "start_year"), col(&r, "end_year"));
        entry.into_iter().for_each(|e| gaz.add(e));
    }
    Ok(())
}

/// International posts since 2000 (UN Secretary-General, NATO Secretary General, ...).
pub fn international_posts(path: &Path, gaz: &mut GazetteerBuilder) -> Result<()> {
    for r in table(path)? {
        let entry = office_holder(col(&r, "personID"), col(&r, "person"), col(&r, "position"), "", col(&r, "start"), col(&r, "end"));
        entry.into_iter().for_each(|e| gaz.add(e));
    }
    Ok(())
}

/// The current foreign minister of each country.
pub fn foreign_ministers(path: &Path, gaz: &mut GazetteerBuilder) -> Result<()> {
    for r in table(path)? {
        let entry = office_holder(col(&r, "person"), col(&r, "name"), "Minister of Foreign Affairs", col(&r, "country"), col(&r, "start"), "");
        entry.into_iter().for_each(|e| gaz.add(e));
    }
    Ok(())
}

/// Members of the current US Congress, with nicknames.
pub fn us_legislators(path: &Path, shared: &Shared, gaz: &mut GazetteerBuilder) -> Result<()> {
    let us = shared.country_by_code.get("US").cloned().unwrap_or_default();
    for r in jsonl(path)? {
        let qid = field(&r, "qid");
        let name = field(&r, "official_full");
        if qid.is_empty() || name.is_empty() {
            continue;
        }
        let prior = if field(&r, "chamber") == "sen" { 0.55 } else { 0.45 };
        let mut e = Entry::new(qid, name, Kind::Person, prior);
        let (first, last) = (field(&r, "first"), field(&r, "last"));
        e.add_alias(&format!("{first} {last}"), Via::Alias);
        if !field(&r, "nickname").is_empty() {
            e.add_alias(&format!("{} {last}", field(&r, "nickname")), Via::Alias);
        }
        e.add_context(&us);
        if let Some(state) = shared.us_states.get(field(&r, "state")) {
            e.add_context(state);
        }
        e.terms.push(Term { start: parse_date(field(&r, "term_start"), false).unwrap_or(0), end: parse_date(field(&r, "term_end"), true).unwrap_or(0) });
        gaz.add(e);
    }
    Ok(())
}

/// Pairs of English Wikipedia title and QID, which give Archigos leaders their QIDs.
pub fn title_map(path: &Path, shared: &mut Shared) -> Result<()> {
    for r in table(path)? {
        let title = [col(&r, "enwiki_title"), col(&r, "title"), col(&r, "enwiki")].into_iter().find(|t| !t.is_empty());
        let qid = [col(&r, "qid"), col(&r, "id")].into_iter().find(|q| q.starts_with('Q'));
        // A title that names two items is left out rather than guessed.
        if let (Some(title), Some(qid)) = (title, qid) {
            if col(&r, "ambiguous") != "1" {
                shared.title_qid.entry(title.to_string()).or_insert_with(|| qid.to_string());
            }
        }
    }
    Ok(())
}

/// Archigos effective leaders 1875–2015, with the short name news uses (`Blair`). Only those
/// whose Wikipedia title has a known QID are kept.
pub fn archigos(path: &Path, shared: &Shared, gaz: &mut GazetteerBuilder, log: &mut BuildLog) -> Result<()> {
    for r in table(path)? {
        let title = col(&r, "enwiki_title");
        let Some(qid) = shared.title_qid.get(title) else {
            log.note("archigos: leaders without a QID, left out", 1);
            continue;
        };
        let mut e = Entry::new(qid, strip_disambiguation(title), Kind::Person, 0.8);
        let short = col(&r, "leader");
        e.add_alias(short, if short.split_whitespace().count() == 1 { Via::Surname } else { Via::Alias });
        // Archigos codes countries the Correlates of War way; many equal ISO alpha-3.
        if let Some(country) = shared.country_by_code.get(col(&r, "idacr")) {
            e.add_context(country);
        }
        e.terms.push(Term { start: parse_date(col(&r, "startdate"), false).unwrap_or(0), end: parse_date(col(&r, "enddate"), true).unwrap_or(0) });
        log.note("archigos: leaders with a QID", 1);
        gaz.add(e);
    }
    Ok(())
}

/// `Tony Blair (politician)` → `Tony Blair`.
pub fn strip_disambiguation(title: &str) -> &str {
    match title.find(" (") {
        Some(i) if title.ends_with(')') => &title[..i],
        _ => title,
    }
}
