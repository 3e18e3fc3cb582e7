//! The gazetteer: Wikidata-keyed entries with normalised aliases, built from open sources by
//! `byline gazetteer build` into one flat file ([`format`]) that the linker maps and reads in
//! place.
//!
//! Ids are Wikidata QIDs where a trustworthy one exists, otherwise a namespaced id
//! (`geonames:524901`, `isin:US0378331005`); [`sources`] documents how each family chooses.

pub mod format;
pub mod sources;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::normalize::normalize;

/// File name of the compiled gazetteer inside its folder.
pub const ARTEFACT: &str = "gazetteer.bin.xz";

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
        // A name English news can print wins over one in another script (sources label
        // some people in their own language).
        if !sources::is_latin(&self.name) && sources::is_latin(&other.name) {
            self.name = other.name.clone();
        }
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
    /// The source family now being read (a bit number), and for each entry the set of
    /// families that listed it: how many independent sources name an entity is a prior.
    source: u32,
    sources_of: Vec<u64>,
}

impl GazetteerBuilder {
    pub fn add(&mut self, entry: Entry) {
        let bit = 1u64 << self.source.min(63);
        match self.by_id.get(&entry.id) {
            Some(&i) => {
                self.entries[i].merge(entry);
                self.sources_of[i] |= bit;
            }
            None => {
                self.by_id.insert(entry.id.clone(), self.entries.len());
                self.entries.push(entry);
                self.sources_of.push(bit);
            }
        }
    }

    /// Marks the entries added from now on as coming from source family `n` (below 64).
    pub fn set_source(&mut self, n: u32) {
        self.source = n;
    }

    /// Moves each entry's prior towards 1 by `per_source` of the distance for every source
    /// family beyond the first that lists it (a person in the office-holder table, the position
    /// histories and the world leaders list; a city in GeoNames and the US-cities table). A
    /// share of the distance, not a fixed step, keeps the order among entries near the top (a
    /// large country does not tie with a territory that more lists name).
    pub fn add_source_count_prior(&mut self, per_source: f32) {
        for (e, sources) in self.entries.iter_mut().zip(&self.sources_of) {
            let extra = sources.count_ones().saturating_sub(1) as f32;
            e.prior += (1.0 - e.prior) * (1.0 - (1.0 - per_source).powf(extra));
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

/// The loaded gazetteer: the compiled file ([`format`]), memory-mapped, read in place.
pub struct Gazetteer {
    bytes: format::Bytes,
    layout: format::Layout,
}

impl std::fmt::Debug for Gazetteer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Gazetteer({} entries, {} aliases)", self.layout.n_entries, self.layout.n_aliases)
    }
}

impl Gazetteer {
    /// A gazetteer in memory from entries (a build, or a test's few entries).
    pub fn new(entries: Vec<Entry>) -> Gazetteer {
        let bytes = format::encode(&entries);
        let layout = format::Layout::check(&bytes).expect("a freshly encoded gazetteer is well formed");
        Gazetteer { bytes: format::Bytes::Owned(bytes), layout }
    }

    /// Loads `DIR/gazetteer.bin.xz` (mapped from its unpacked copy), or a gazetteer file given
    /// directly (`.bin.xz`, `.bin.gz`, or an unpacked `.bin`).
    pub fn load(path: &Path) -> Result<Gazetteer> {
        let file = if path.is_dir() { path.join(ARTEFACT) } else { path.to_path_buf() };
        let bytes = format::open(&file)?;
        let layout = format::Layout::check(&bytes).with_context(|| format!("cannot read the gazetteer {}", file.display()))?;
        Ok(Gazetteer { bytes, layout })
    }

    /// Writes `DIR/gazetteer.bin.xz` (what git holds) and its unpacked copy beside it.
    pub fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir)?;
        let xz = dir.join(ARTEFACT);
        format::write_compressed(&xz, &self.bytes)?;
        format::open(&xz).map(|_| ())
    }

    pub fn len(&self) -> usize {
        self.layout.n_entries
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every entry, decoded.
    pub fn entries(&self) -> impl Iterator<Item = Entry> + '_ {
        (0..self.len() as u32).map(|i| self.entry(i))
    }

    /// Entry `i`, decoded from the file.
    pub fn entry(&self, i: u32) -> Entry {
        self.layout.entry(&self.bytes, i)
    }

    /// Entry `i`'s id, read in place.
    pub fn id(&self, i: u32) -> &str {
        self.layout.id(&self.bytes, i)
    }

    /// Entries named by a normalised key, with how each is named.
    pub fn lookup(&self, key: &str) -> Vec<(u32, Via)> {
        self.layout.lookup(&self.bytes, key)
    }

    pub fn ids(&self) -> HashSet<&str> {
        (0..self.len() as u32).map(|i| self.id(i)).collect()
    }

    /// Entry counts by kind, for the card and the build log.
    pub fn counts(&self) -> Vec<(Kind, usize)> {
        let mut counts: HashMap<Kind, usize> = HashMap::new();
        for i in 0..self.len() as u32 {
            *counts.entry(self.layout.kind(&self.bytes, i)).or_default() += 1;
        }
        let mut v: Vec<_> = counts.into_iter().collect();
        v.sort();
        v
    }
}
