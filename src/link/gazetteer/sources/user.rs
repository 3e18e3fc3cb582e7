//! User entries: a TSV with a header, or JSONL, with these fields (docs/linking.md):
//!
//! | field | required | meaning |
//! |---|---|---|
//! | `id` | yes | a QID (`Q649`) or a namespaced id (`acme:42`) |
//! | `name` | yes | canonical name |
//! | `type` | yes | country, region, city, place, person, organisation, party, company, news_agency, newspaper, misc |
//! | `aliases` | no | other names (TSV: `\|`-separated; JSONL: a list); acronyms are recognised |
//! | `demonyms` | no | adjectives or peoples (`Belarusian`), linked from MISC mentions |
//! | `prior` | no | prominence in [0, 1] (default 0.5) |
//! | `context` | no | ids of related entries (country, region) |
//! | `start`, `end` | no | ISO dates of a term of office |
//!
//! An entry with an id already in the gazetteer is merged into it (aliases added).

use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use super::{col, jsonl, table};
use crate::link::gazetteer::{parse_date, Entry, GazetteerBuilder, Kind, Term, Via};
use crate::link::normalize::is_acronym;

/// Whether a file is a user-entry file: a `.tsv` whose header has `id`, `name` and `type`, or a
/// `.jsonl` whose first record has them.
pub fn looks_like_user_file(path: &Path) -> bool {
    let Some(ext) = path.extension().and_then(|e| e.to_str()) else { return false };
    let Ok(file) = std::fs::File::open(path) else { return false };
    let Some(Ok(first)) = BufReader::new(file).lines().next() else { return false };
    match ext {
        "tsv" => ["id", "name", "type"].iter().all(|c| first.split('\t').any(|h| h.trim() == *c)),
        "jsonl" => serde_json::from_str::<Value>(&first).is_ok_and(|v| ["id", "name", "type"].iter().all(|k| v.get(k).is_some())),
        _ => false,
    }
}

/// One user entry from its fields; `aliases`, `demonyms` and `context` are lists.
struct UserFields<'a> {
    id: &'a str,
    name: &'a str,
    kind: &'a str,
    aliases: Vec<&'a str>,
    demonyms: Vec<&'a str>,
    prior: Option<f32>,
    context: Vec<&'a str>,
    start: &'a str,
    end: &'a str,
}

impl UserFields<'_> {
    fn entry(&self) -> Result<Entry> {
        if self.id.is_empty() || self.name.is_empty() {
            bail!("an entry needs an id and a name");
        }
        let kind = Kind::parse(self.kind).with_context(|| format!("{}: unknown type {:?}", self.id, self.kind))?;
        let prior = self.prior.unwrap_or(0.5);
        if !(0.0..=1.0).contains(&prior) {
            bail!("{}: prior {prior} is outside [0, 1]", self.id);
        }
        let mut e = Entry::new(self.id, self.name, kind, prior);
        for a in &self.aliases {
            e.add_alias(a, if is_acronym(a) { Via::Acronym } else { Via::Alias });
        }
        for d in &self.demonyms {
            e.add_alias(d, Via::Demonym);
        }
        for c in &self.context {
            e.add_context(c);
        }
        if !self.start.is_empty() || !self.end.is_empty() {
            e.terms.push(Term { start: parse_date(self.start, false).unwrap_or(0), end: parse_date(self.end, true).unwrap_or(0) });
        }
        Ok(e)
    }
}

pub fn read(path: &Path, gaz: &mut GazetteerBuilder) -> Result<()> {
    let split = |s: &str| -> Vec<String> { s.split('|').map(str::trim).filter(|a| !a.is_empty()).map(str::to_string).collect() };
    if path.extension().is_some_and(|e| e == "tsv") {
        for (n, r) in table(path)?.iter().enumerate() {
            let (aliases, demonyms, context) = (split(col(r, "aliases")), split(col(r, "demonyms")), split(col(r, "context")));
            let prior = Some(col(r, "prior")).filter(|p| !p.is_empty()).map(str::parse).transpose().with_context(|| format!("row {}: prior", n + 2))?;
            let fields = UserFields {
                id: col(r, "id"),
                name: col(r, "name"),
                kind: col(r, "type"),
                aliases: aliases.iter().map(String::as_str).collect(),
                demonyms: demonyms.iter().map(String::as_str).collect(),
                prior,
                context: context.iter().map(String::as_str).collect(),
                start: col(r, "start"),
                end: col(r, "end"),
            };
            gaz.add(fields.entry().with_context(|| format!("row {}", n + 2))?);
        }
    } else {
        for (n, v) in jsonl(path)?.iter().enumerate() {
            let list = |k: &str| -> Vec<&str> { v.get(k).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect() };
            let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("");
            let fields = UserFields {
                id: text("id"),
                name: text("name"),
                kind: text("type"),
                aliases: list("aliases"),
                demonyms: list("demonyms"),
                prior: v.get("prior").and_then(Value::as_f64).map(|p| p as f32),
                context: list("context"),
                start: text("start"),
                end: text("end"),
            };
            gaz.add(fields.entry().with_context(|| format!("line {}", n + 1))?);
        }
    }
    Ok(())
}
