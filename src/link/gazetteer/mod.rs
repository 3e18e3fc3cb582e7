//! The gazetteer: Wikidata-keyed entries with normalised aliases, built from open sources by
//! `byline gazetteer build` into one compact file ([`format`]) that the linker loads.
//!
//! Ids are Wikidata QIDs where a trustworthy one exists, otherwise a namespaced id
//! (`geonames:524901`, `isin:US0378331005`); [`sources`] documents how each family chooses.

pub mod format;
pub mod sources;

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::normalize::normalize;

/// File name of the compiled gazetteer inside its folder.
pub const ARTEFACT: &str = "gazetteer.bin";

/// What an entry is; decides which NER labels it can link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Country,
    Region,
    City,
    Place,
    Person,
    Organisation,
    Party,
    Company,
    NewsAgency,
    Newspaper,
    Misc,
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::Country,
        Kind::Region,
        Kind::City,
        Kind::Place,
        Kind::Person,
        Kind::Organisation,
        Kind::Party,
        Kind::Company,
        Kind::NewsAgency,
        Kind::Newspaper,
        Kind::Misc,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Country => "country",
            Kind::Region => "region",
            Kind::City => "city",
            Kind::Place => "place",
            Kind::Person => "person",
            Kind::Organisation => "organisation",
            Kind::Party => "party",
            Kind::Company => "company",
            Kind::NewsAgency => "news_agency",
            Kind::Newspaper => "newspaper",
            Kind::Misc => "misc",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The CoNLL label a mention of this kind normally carries.
    pub fn ner_label(self) -> &'static str {
        match self {
            Kind::Country | Kind::Region | Kind::City | Kind::Place => "LOC",
            Kind::Person => "PER",
            Kind::Organisation | Kind::Party | Kind::Company | Kind::NewsAgency | Kind::Newspaper => "ORG",
            Kind::Misc => "MISC",
        }
    }
}

/// How an alias names its entry; the linker trusts some ways more than others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Via {
    /// The canonical name.
    Name = 0,
    /// An English alias from a curated source.
    Alias = 1,
    Acronym = 2,
    /// The adjective or people of a country (`Belarusian`).
    Demonym = 3,
    /// A person's family name alone (`Putin`), only for well-known office holders.
    Surname = 4,
    /// A variant from a broad multilingual list (GeoNames alternate names, name variants).
    Variant = 5,
}

impl Via {
    pub const ALL: [Via; 6] = [Via::Name, Via::Alias, Via::Acronym, Via::Demonym, Via::Surname, Via::Variant];

    pub fn name(self) -> &'static str {
        match self {
            Via::Name => "name",
            Via::Alias => "alias",
            Via::Acronym => "acronym",
            Via::Demonym => "demonym",
            Via::Surname => "surname",
            Via::Variant => "variant",
        }
    }

    fn from_u8(v: u8) -> Option<Via> {
        Via::ALL.get(v as usize).copied()
    }
}

/// A period in office, as `yyyymmdd` numbers; 0 for an unknown start or an open end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    pub start: u32,
    pub end: u32,
}

impl Term {
    pub fn covers(&self, date: u32) -> bool {
        (self.start == 0 || self.start <= date) && (self.end == 0 || date <= self.end)
    }
}

/// Parses the start of an ISO date (`2021`, `2021-03`, `2021-03-04T...`) as `yyyymmdd`,
/// filling a missing month or day with `fill` (1 for starts, 12/31 for ends).
pub fn parse_date(s: &str, end: bool) -> Option<u32> {
    let mut parts = s.trim().splitn(3, '-');
    let year: u32 = parts.next()?.get(..4)?.parse().ok()?;
    let month: u32 = parts.next().and_then(|m| m.get(..2)?.parse().ok()).unwrap_or(if end { 12 } else { 1 });
    let day: u32 = parts.next().and_then(|d| d.get(..2)?.parse().ok()).unwrap_or(if end { 31 } else { 1 });
    (1000..3000).contains(&year).then_some(year * 10_000 + month * 100 + day)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: String,
    pub name: String,
    pub kind: Kind,
    /// Prominence in [0, 1]: from population, office rank or the kind of source.
    pub prior: f32,
    /// Ids of related entries (country, region, jurisdiction); a mention of one in the same
    /// article supports this entry.
    pub context: Vec<String>,
    /// Terms of office, for people.
    pub terms: Vec<Term>,
    /// Normalised aliases (the name included) with how each names the entry.
    pub aliases: Vec<(String, Via)>,
}

/// Some tables give a QID as its entity URL (`https://www.wikidata.org/entity/Q61` → `Q61`).
pub fn without_entity_url(id: &str) -> &str {
    id.rsplit_once("wikidata.org/entity/").map_or(id, |(_, qid)| qid)
}

impl Entry {
    pub fn new(id: impl Into<String>, name: impl Into<String>, kind: Kind, prior: f32) -> Entry {
        let name = name.into();
        let id: String = id.into();
        let id = without_entity_url(&id).to_string();
        let mut e = Entry { id, name: String::new(), kind, prior, context: Vec::new(), terms: Vec::new(), aliases: Vec::new() };
        e.add_alias(&name, Via::Name);
        e.name = name;
        e
    }

    /// Adds an alias in normal form; an empty normal form is ignored.
    pub fn add_alias(&mut self, alias: &str, via: Via) {
        let key = normalize(alias);
        if !key.is_empty() {
            self.aliases.push((key, via));
        }
    }

    pub fn add_context(&mut self, id: &str) {
        if !id.is_empty() && id != self.id && !self.context.iter().any(|c| c == id) {
            self.context.push(id.to_string());
        }
    }

    /// Folds another record of the same id into this one (several sources describe one
    /// entity): the first name and kind stay, aliases, context and terms are united and the
    /// higher prior wins.
    fn merge(&mut self, other: Entry) {
        self.prior = self.prior.max(other.prior);
        self.aliases.extend(other.aliases);
        for c in &other.context {
            self.add_context(c);
        }
        self.terms.extend(other.terms);
    }

    /// Keeps one alias per key, the most trusted way of naming.
    fn dedup_aliases(&mut self) {
        self.aliases.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        self.aliases.dedup_by(|a, b| a.0 == b.0);
        self.terms.sort_by_key(|t| (t.start, t.end));
        self.terms.dedup();
    }
}

/// Collects entries from many sources, merging those that share an id.
#[derive(Debug, Default)]
pub struct GazetteerBuilder {
    entries: Vec<Entry>,
    by_id: HashMap<String, usize>,
}

impl GazetteerBuilder {
    pub fn add(&mut self, entry: Entry) {
        match self.by_id.get(&entry.id) {
            Some(&i) => self.entries[i].merge(entry),
            None => {
                self.by_id.insert(entry.id.clone(), self.entries.len());
                self.entries.push(entry);
            }
        }
    }

    /// Drops an entry (another source gave the same thing a better id).
    pub fn remove(&mut self, id: &str) {
        if let Some(i) = self.by_id.remove(id) {
            self.entries[i].id.clear();
        }
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.by_id.get(id).map(|&i| &self.entries[i])
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Entry> {
        self.by_id.get(id).map(|&i| &mut self.entries[i])
    }

    /// Entries added so far (removed ones have an empty id).
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| !e.id.is_empty())
    }

    pub fn finish(mut self) -> Gazetteer {
        self.entries.retain(|e| !e.id.is_empty());
        for e in &mut self.entries {
            e.dedup_aliases();
        }
        Gazetteer::new(self.entries)
    }
}

/// The loaded gazetteer: entries and an index from alias key to the entries it names.
#[derive(Debug)]
pub struct Gazetteer {
    entries: Vec<Entry>,
    /// (hash of an alias key, entry, position of the alias in the entry), sorted: a sorted
    /// array builds several times faster than a map of owned keys, which matters at load time.
    index: Vec<(u64, u32, u32)>,
}

fn key_hash(key: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

impl Gazetteer {
    pub fn new(entries: Vec<Entry>) -> Gazetteer {
        let mut index: Vec<(u64, u32, u32)> = Vec::with_capacity(entries.iter().map(|e| e.aliases.len()).sum());
        for (i, e) in entries.iter().enumerate() {
            for (a, (alias, _)) in e.aliases.iter().enumerate() {
                index.push((key_hash(alias), i as u32, a as u32));
            }
        }
        index.sort_unstable();
        Gazetteer { entries, index }
    }

    /// Loads `DIR/gazetteer.bin`, or a gazetteer file given directly.
    pub fn load(path: &Path) -> Result<Gazetteer> {
        let file = if path.is_dir() { path.join(ARTEFACT) } else { path.to_path_buf() };
        format::read(&file)
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir)?;
        format::write(&dir.join(ARTEFACT), &self.entries)
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn entry(&self, i: u32) -> &Entry {
        &self.entries[i as usize]
    }

    /// Entries named by a normalised key, with how each is named.
    pub fn lookup(&self, key: &str) -> Vec<(u32, Via)> {
        let h = key_hash(key);
        let from = self.index.partition_point(|&(x, _, _)| x < h);
        self.index[from..]
            .iter()
            .take_while(|&&(x, _, _)| x == h)
            .map(|&(_, e, a)| (e, &self.entries[e as usize].aliases[a as usize]))
            .filter(|(_, (alias, _))| alias == key)
            .map(|(e, (_, via))| (e, *via))
            .collect()
    }

    pub fn ids(&self) -> HashSet<&str> {
        self.entries.iter().map(|e| e.id.as_str()).collect()
    }

    /// Entry counts by kind, for the card and the build log.
    pub fn counts(&self) -> Vec<(Kind, usize)> {
        let mut counts: HashMap<Kind, usize> = HashMap::new();
        for e in &self.entries {
            *counts.entry(e.kind).or_default() += 1;
        }
        let mut v: Vec<_> = counts.into_iter().collect();
        v.sort();
        v
    }
}
