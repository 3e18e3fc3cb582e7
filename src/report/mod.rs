//! `byline report`: corpus tables from annotated output (docs/report.md).
//!
//! Records stream through once. The quotes table is written row by row as records arrive; the
//! speaker, entity and co-mention tables are counts keyed by identity (src/identity.rs), so
//! memory grows with the distinct speakers, entities and (bounded, [`pairs`]) entity pairs of
//! the corpus, never with its records. Records with an `error` are counted and skipped; a line
//! that is no byline record is counted, named in the summary and skipped.

pub mod pairs;
pub mod table;

use std::borrow::Borrow;
use std::cmp::{Ordering, Reverse};
use std::hash::Hasher;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use serde::Serialize;

use crate::document::QuoteKind;
use crate::identity;
use crate::link::linker::article_date;
use crate::output::{open_lines, Record};
use hashbrown::HashTable;
use pairs::{most_mentioned, FastHasher, FastMap, PairCounter};
use table::{Cell, Kind, TableWriter};

pub struct ReportOptions {
    /// Annotated JSONL files (`.gz` too), `-` for standard input.
    pub inputs: Vec<PathBuf>,
    /// Folder the tables are written to.
    pub output: PathBuf,
    /// Co-mention pairs in fewer articles are left out of the table.
    pub min_comentions: u32,
    /// Most distinct co-mention pairs held in memory ([`pairs`]).
    pub max_pairs: usize,
}

/// What a report read and wrote.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReportSummary {
    /// Byline records read (annotated + errors).
    pub records: usize,
    pub annotated: usize,
    /// Records with an `error`, skipped.
    pub errors: usize,
    /// Lines that are not byline records (or could not be read), skipped.
    pub unreadable: usize,
    /// Where the first of them is, and why.
    pub first_unreadable: Option<String>,
    /// Annotated records whose ids were missing (output before schema 1.1) and were computed.
    pub computed_ids: usize,
    pub mentions: u64,
    pub quotes: u64,
    /// Quotes whose speaker has an id (is named).
    pub attributed: u64,
    /// Rows of each table.
    pub entities: usize,
    pub speakers: usize,
    pub comentions: usize,
    /// Co-mention pairs in this many articles or fewer may be missing, and counts may be short
    /// by up to this much; 0 when every pair was counted exactly.
    pub comention_floor: u32,
    pub min_comentions: u32,
    pub seconds: f64,
}

impl std::fmt::Display for ReportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} records ({} annotated, {} with errors skipped), {} mentions of {} entities, {} quotes ({} by {} named speakers), {} co-mention pairs in {}+ articles, in {:.1} s",
            self.records, self.annotated, self.errors, self.mentions, self.entities, self.quotes, self.attributed, self.speakers, self.comentions, self.min_comentions, self.seconds
        )?;
        if self.computed_ids > 0 {
            write!(f, "; ids computed for {} records written before schema 1.1", self.computed_ids)?;
        }
        if self.comention_floor > 0 {
            write!(f, "; co-mentions pruned to --max-pairs: pairs in {} articles or fewer may be missing, counts short by up to that (articles_max)", self.comention_floor)?;
        }
        if let Some(first) = &self.first_unreadable {
            write!(f, "; {} lines skipped that are not byline records (first: {first})", self.unreadable)?;
        }
        Ok(())
    }
}

/// Votes for one of a few values (an id's names, its labels): the first held inline, others
/// in a list that most ids never allocate.
#[derive(Debug)]
struct Votes<K> {
    first: Option<(K, u32)>,
    others: Vec<(K, u32)>,
}

impl<K> Default for Votes<K> {
    fn default() -> Self {
        Votes { first: None, others: Vec::new() }
    }
}

impl<K> Votes<K> {
    fn add<Q: PartialEq + ?Sized>(&mut self, value: &Q, own: impl FnOnce(&Q) -> K)
    where
        K: Borrow<Q>,
    {
        match &mut self.first {
            None => self.first = Some((own(value), 1)),
            Some((k, n)) if (*k).borrow() == value => *n += 1,
            Some(_) => match self.others.iter_mut().find(|(k, _)| (*k).borrow() == value) {
                Some((_, n)) => *n += 1,
                None => self.others.push((own(value), 1)),
            },
        }
    }

    /// The most frequent value, equals ordered by `prefer` (greater wins), so that the choice
    /// does not depend on the order of the input.
    fn best(&self, prefer: impl Fn(&K, &K) -> Ordering) -> Option<&K> {
        self.first.iter().chain(&self.others).max_by(|a, b| a.1.cmp(&b.1).then_with(|| prefer(&a.0, &b.0))).map(|(k, _)| k)
    }
}

/// Of equally frequent names, one not all in capitals (a headline's or a dateline's), then the
/// smallest.
fn prefer_name(a: &Box<str>, b: &Box<str>) -> Ordering {
    let lower = |s: &str| s.chars().any(char::is_lowercase);
    lower(a).cmp(&lower(b)).then_with(|| b.cmp(a))
}

/// Counts for one entity or speaker id.
#[derive(Debug, Default)]
struct Tally {
    names: Votes<Box<str>>,
    /// Labels as indices into [`Corpus::labels`].
    labels: Votes<u16>,
    /// Whether the id is a KB id (it came from a link).
    linked: bool,
    articles: u32,
    /// Mentions (entities) or quotes (speakers).
    count: u32,
    /// 1 + the number of the last record counted in `articles`.
    last_record: u32,
    /// `yyyymmdd`, 0 when unknown.
    first_date: u32,
    last_date: u32,
}

impl Tally {
    fn add(&mut self, record: u32, name: &str, label: u16, linked: bool, date: Option<u32>) {
        self.names.add(name, |n: &str| Box::from(n));
        self.labels.add(&label, |&l| l);
        self.linked |= linked;
        self.count = self.count.saturating_add(1);
        if self.last_record != record.wrapping_add(1) {
            self.last_record = record.wrapping_add(1);
            self.articles += 1;
        }
        if let Some(d) = date {
            self.first_date = if self.first_date == 0 { d } else { self.first_date.min(d) };
            self.last_date = self.last_date.max(d);
        }
    }

    fn name(&self) -> &str {
        self.names.best(prefer_name).map_or("", |n| n)
    }
}

/// Ids as small numbers, so that pairs and tallies do not hold strings; each id's text is kept
/// once, in one buffer.
#[derive(Default)]
struct Ids {
    text: String,
    /// (start, length) of each id in `text`.
    spans: Vec<(usize, u32)>,
    index: HashTable<u32>,
}

fn hash_str(s: &str) -> u64 {
    let mut h = FastHasher::default();
    h.write(s.as_bytes());
    h.finish()
}

fn id_text<'a>(text: &'a str, spans: &[(usize, u32)], i: u32) -> &'a str {
    let (start, len) = spans[i as usize];
    &text[start..start + len as usize]
}

impl Ids {
    fn name(&self, i: u32) -> &str {
        id_text(&self.text, &self.spans, i)
    }

    fn len(&self) -> usize {
        self.spans.len()
    }

    fn get(&mut self, id: &str) -> u32 {
        let hash = hash_str(id);
        let Ids { text, spans, index } = self;
        if let Some(&i) = index.find(hash, |&i| id_text(text, spans, i) == id) {
            return i;
        }
        let i = spans.len() as u32;
        spans.push((text.len(), id.len() as u32));
        text.push_str(id);
        index.insert_unique(hash, i, |&i| hash_str(id_text(text, spans, i)));
        i
    }
}

/// Everything counted over the corpus so far.
struct Corpus {
    ids: Ids,
    /// The NER labels seen (PER, ORG, …), which tallies refer to by index.
    labels: Vec<Box<str>>,
    /// Indexed by id (most ids are entities'); an id never mentioned as an entity has an empty
    /// tally.
    entities: Vec<Tally>,
    speakers: FastMap<u32, Tally>,
    pairs: PairCounter,
    records: u64,
}

const QUOTE_COLUMNS: &[(&str, Kind)] = &[
    ("article_id", Kind::Text), ("date", Kind::Date), ("start", Kind::Int), ("end", Kind::Int), ("kind", Kind::Text),
    ("speaker_id", Kind::OptText), ("speaker_name", Kind::OptText), ("speaker_text", Kind::OptText), ("cue", Kind::OptText), ("text", Kind::Text),
];

const ENTITY_COLUMNS: &[(&str, Kind)] =
    &[("id", Kind::Text), ("name", Kind::Text), ("label", Kind::Text), ("kb_id", Kind::OptText), ("articles", Kind::Int), ("mentions", Kind::Int)];

const SPEAKER_COLUMNS: &[(&str, Kind)] = &[
    ("id", Kind::Text), ("name", Kind::Text), ("kb_id", Kind::OptText), ("type", Kind::Text),
    ("articles", Kind::Int), ("quotes", Kind::Int), ("first_date", Kind::Date), ("last_date", Kind::Date),
];

const COMENTION_COLUMNS: &[(&str, Kind)] =
    &[("id_a", Kind::Text), ("name_a", Kind::Text), ("id_b", Kind::Text), ("name_b", Kind::Text), ("articles", Kind::Int), ("articles_max", Kind::Int)];

fn kind_name(kind: QuoteKind) -> &'static str {
    match kind {
        QuoteKind::Direct => "direct",
        QuoteKind::Mixed => "mixed",
        QuoteKind::Indirect => "indirect",
    }
}

impl Corpus {
    fn label(&mut self, label: &str) -> u16 {
        match self.labels.iter().position(|l| &**l == label) {
            Some(i) => i as u16,
            None => {
                self.labels.push(label.into());
                (self.labels.len() - 1) as u16
            }
        }
    }

    /// Counts one annotated record.
    fn add(&mut self, article: &Annotated, summary: &mut ReportSummary) {
        let Annotated { record: rec, found, date } = article;
        let date = *date;
        let record = self.records as u32;
        self.records += 1;
        let ids_missing = rec.entities.iter().any(|e| e.id.is_none())
            || rec.quotes.iter().zip(&found.speakers).any(|(q, f)| f.is_some() && q.speaker.as_ref().is_some_and(|s| s.id.is_none()));
        summary.computed_ids += ids_missing as usize;
        let mut mentioned = Vec::with_capacity(rec.entities.len());
        for (e, found) in rec.entities.iter().zip(&found.entities) {
            let id = self.ids.get(e.id.as_deref().unwrap_or(&found.id));
            let label = self.label(&e.label);
            if self.entities.len() <= id as usize {
                self.entities.resize_with(id as usize + 1, Tally::default);
            }
            self.entities[id as usize].add(record, &found.name, label, e.link.is_some(), date);
            mentioned.push(id);
        }
        summary.mentions += rec.entities.len() as u64;
        self.pairs.add_article(&most_mentioned(&mentioned));
        for (i, (q, found)) in rec.quotes.iter().zip(&found.speakers).enumerate() {
            if let (Some(s), Some(id)) = (&q.speaker, article.speaker_id(i)) {
                let name = found.as_ref().map_or(s.name.as_deref().unwrap_or(&s.text), |f| &f.name);
                let label = self.label(found.as_ref().map_or("PER", |f| &f.label));
                let linked = s.kb_id.is_some() || found.as_ref().is_some_and(|f| f.kb_id.is_some());
                let id = self.ids.get(id);
                self.speakers.entry(id).or_default().add(record, name, label, linked, date);
                summary.attributed += 1;
            }
        }
        summary.quotes += rec.quotes.len() as u64;
    }

    /// Writes the entity, speaker and co-mention tables; returns their row counts.
    fn finish(self, dir: &Path, min_comentions: u32) -> Result<(usize, usize, usize)> {
        let Corpus { ids, labels, entities, speakers, pairs, .. } = self;
        // Ids are compared by their rank in string order, computed once.
        let mut by_text: Vec<u32> = (0..ids.len() as u32).collect();
        by_text.sort_unstable_by(|&a, &b| ids.name(a).cmp(ids.name(b)));
        let mut rank = vec![0u32; by_text.len()];
        for (r, &i) in by_text.iter().enumerate() {
            rank[i as usize] = r as u32;
        }
        drop(by_text);
        let label = |t: &Tally| t.labels.best(|a, b| labels[*b as usize].cmp(&labels[*a as usize])).map_or("", |&l| &*labels[l as usize]);
        let kb_id = |id: u32, t: &Tally| t.linked.then(|| ids.name(id));

        let mut rows: Vec<(u32, &Tally)> = entities.iter().enumerate().filter(|(_, t)| t.count > 0).map(|(i, t)| (i as u32, t)).collect();
        rows.sort_unstable_by_key(|&(i, t)| (Reverse(t.articles), Reverse(t.count), rank[i as usize]));
        let mut table = TableWriter::create(dir, "entities", ENTITY_COLUMNS)?;
        for (id, t) in rows {
            table.row(&[
                Cell::Text(ids.name(id)),
                Cell::Text(t.name()),
                Cell::Text(label(t)),
                Cell::OptText(kb_id(id, t)),
                Cell::Int(t.articles as u64),
                Cell::Int(t.count as u64),
            ])?;
        }
        let n_entities = table.finish()?;

        let mut rows: Vec<(u32, &Tally)> = speakers.iter().map(|(&i, t)| (i, t)).collect();
        rows.sort_unstable_by_key(|&(i, t)| (Reverse(t.count), Reverse(t.articles), rank[i as usize]));
        let mut table = TableWriter::create(dir, "speakers", SPEAKER_COLUMNS)?;
        for (id, t) in rows {
            table.row(&[
                Cell::Text(ids.name(id)),
                Cell::Text(t.name()),
                Cell::OptText(kb_id(id, t)),
                Cell::Text(label(t)),
                Cell::Int(t.articles as u64),
                Cell::Int(t.count as u64),
                Cell::Date((t.first_date > 0).then_some(t.first_date)),
                Cell::Date((t.last_date > 0).then_some(t.last_date)),
            ])?;
        }
        let n_speakers = table.finish()?;

        // Each pair once, its ids in string order, most frequent first.
        let mut rows: Vec<(u32, u32, u32, u32)> = pairs
            .pairs(min_comentions)
            .map(|p| if rank[p.a as usize] <= rank[p.b as usize] { (p.a, p.b, p.count, p.missed) } else { (p.b, p.a, p.count, p.missed) })
            .collect();
        rows.sort_unstable_by_key(|&(a, b, count, _)| (Reverse(count), rank[a as usize], rank[b as usize]));
        let entity_name = |i: u32| entities.get(i as usize).map_or("", Tally::name);
        let mut table = TableWriter::create(dir, "comentions", COMENTION_COLUMNS)?;
        for (a, b, count, missed) in rows {
            table.row(&[
                Cell::Text(ids.name(a)),
                Cell::Text(entity_name(a)),
                Cell::Text(ids.name(b)),
                Cell::Text(entity_name(b)),
                Cell::Int(count as u64),
                Cell::Int(count as u64 + missed as u64),
            ])?;
        }
        let n_pairs = table.finish()?;
        Ok((n_entities, n_speakers, n_pairs))
    }
}

/// Reads every input once and writes `speakers`, `entities`, `quotes` and `comentions`, each as
/// `.csv` and `.parquet`, to the output folder.
pub fn report(opts: &ReportOptions) -> Result<ReportSummary> {
    let start = Instant::now();
    if let Some(missing) = opts.inputs.iter().find(|p| p.as_os_str() != "-" && !p.is_file()) {
        bail!("{}: no such file (inputs are byline annotate output: .jsonl, .jsonl.gz or -)", missing.display());
    }
    std::fs::create_dir_all(&opts.output).with_context(|| format!("cannot create folder {}", opts.output.display()))?;
    let mut corpus = Corpus {
        ids: Ids::default(),
        labels: Vec::new(),
        entities: Vec::new(),
        speakers: FastMap::default(),
        pairs: PairCounter::new(opts.max_pairs),
        records: 0,
    };
    let mut quotes = TableWriter::create(&opts.output, "quotes", QUOTE_COLUMNS)?;
    // Lines are parsed and their identities resolved in parallel, a batch at a time, while one
    // thread counts the batch before and another writes its quotes, both in input order; queues
    // of one batch bound what is held.
    let (to_counter, counter_batches) = crossbeam_channel::bounded::<Arc<Vec<Parsed>>>(1);
    let (to_quotes, quote_batches) = crossbeam_channel::bounded::<Arc<Vec<Parsed>>>(1);
    let counter = std::thread::scope(|scope| -> Result<ReportSummary> {
        let writer = scope.spawn(move || -> Result<usize> {
            for batch in quote_batches {
                for parsed in batch.iter() {
                    if let Parsed::Annotated(article) = parsed {
                        article.write_quotes(&mut quotes)?;
                    }
                }
                free_elsewhere(batch);
            }
            quotes.finish()
        });
        let counter = scope.spawn(move || -> Result<ReportSummary> {
            let mut summary = ReportSummary { min_comentions: opts.min_comentions, ..Default::default() };
            for batch in counter_batches {
                for parsed in batch.iter() {
                    match parsed {
                        Parsed::Blank => {}
                        Parsed::Unreadable(at) => {
                            summary.unreadable += 1;
                            summary.first_unreadable.get_or_insert_with(|| at.clone());
                        }
                        Parsed::Failed => {
                            summary.records += 1;
                            summary.errors += 1;
                        }
                        Parsed::Annotated(article) => {
                            summary.records += 1;
                            summary.annotated += 1;
                            corpus.add(article, &mut summary);
                        }
                    }
                }
                free_elsewhere(batch);
            }
            summary.comention_floor = corpus.pairs.floor;
            (summary.entities, summary.speakers, summary.comentions) = corpus.finish(&opts.output, opts.min_comentions)?;
            Ok(summary)
        });
        let read = read_batches(&opts.inputs, |lines| {
            let batch = Arc::new(lines.par_iter().map(|line| line.parse(&opts.inputs)).collect::<Vec<_>>());
            to_quotes.send(batch.clone()).is_ok() && to_counter.send(batch).is_ok()
        });
        drop((to_counter, to_quotes));
        let written = writer.join().expect("the quote-writing thread");
        let summary = counter.join().expect("the counting thread")?;
        written?;
        read?;
        Ok(summary)
    });
    let mut summary = counter?;
    summary.seconds = start.elapsed().as_secs_f64();
    Ok(summary)
}

/// Frees a batch on the parallel pool once both consumers are done with it: thousands of small
/// allocations would otherwise be freed on a thread that the others wait for.
fn free_elsewhere(batch: Arc<Vec<Parsed>>) {
    if let Ok(batch) = Arc::try_unwrap(batch) {
        rayon::spawn(move || drop(batch));
    }
}

/// Lines read per parallel batch, at most.
const BATCH_BYTES: usize = 2 << 20;
const BATCH_LINES: usize = 2000;

/// One input line, or the read error that ended its file.
struct Line {
    bytes: std::io::Result<Vec<u8>>,
    input: usize,
    number: usize,
}

/// What one line holds.
enum Parsed {
    Blank,
    /// `FILE:LINE: why`.
    Unreadable(String),
    /// A record with an `error`.
    Failed,
    Annotated(Box<Annotated>),
}

/// An annotated record with the identities of its entities and speakers and its date.
struct Annotated {
    record: Record,
    found: identity::Identities,
    date: Option<u32>,
}

impl Annotated {
    /// The id of quote `i`'s speaker: the record's, else the one computed.
    fn speaker_id(&self, i: usize) -> Option<&str> {
        let speaker = self.record.quotes[i].speaker.as_ref()?;
        speaker.id.as_deref().or(self.found.speakers[i].as_ref().map(|f| f.id.as_str()))
    }

    fn write_quotes(&self, table: &mut TableWriter) -> Result<()> {
        for (i, q) in self.record.quotes.iter().enumerate() {
            let speaker = q.speaker.as_ref();
            table.row(&[
                Cell::Text(&self.record.id),
                Cell::Date(self.date),
                Cell::Int(q.start as u64),
                Cell::Int(q.end as u64),
                Cell::Text(kind_name(q.kind)),
                Cell::OptText(self.speaker_id(i)),
                Cell::OptText(speaker.and_then(|s| s.name.as_deref())),
                Cell::OptText(speaker.map(|s| s.text.as_str())),
                Cell::OptText(q.cue.as_ref().map(|c| c.text.as_str())),
                Cell::Text(&q.text),
            ])?;
        }
        Ok(())
    }
}

impl Line {
    fn parse(&self, inputs: &[PathBuf]) -> Parsed {
        let at = || format!("{}:{}", inputs[self.input].display(), self.number);
        let bytes = match &self.bytes {
            Ok(bytes) => bytes,
            Err(e) => return Parsed::Unreadable(format!("{}: cannot read: {e}", at())),
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Parsed::Blank;
        }
        match serde_json::from_slice::<Record>(bytes) {
            Err(e) => Parsed::Unreadable(format!("{}: {e}", at())),
            Ok(record) if record.error.is_some() => Parsed::Failed,
            Ok(record) => {
                let found = identity::resolve(&record.entities, &record.quotes);
                let date = article_date(record.meta.as_ref(), &record.text).filter(|&d| table::epoch_days(d).is_some());
                Parsed::Annotated(Box::new(Annotated { record, found, date }))
            }
        }
    }
}

/// Reads the inputs' lines in batches and hands each batch to `take`, until it returns false.
/// A read error ends its file with a line that carries it.
fn read_batches(inputs: &[PathBuf], mut take: impl FnMut(&[Line]) -> bool) -> Result<()> {
    let mut batch: Vec<Line> = Vec::new();
    let mut bytes = 0;
    for (input, path) in inputs.iter().enumerate() {
        let mut reader = open_lines(path)?;
        for number in 1.. {
            let mut line = Vec::new();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) => break,
                Ok(n) => bytes += n,
                Err(e) => {
                    batch.push(Line { bytes: Err(e), input, number });
                    break;
                }
            }
            if number == 1 && line.starts_with(b"\xef\xbb\xbf") {
                line.drain(..3); // a byte-order mark
            }
            batch.push(Line { bytes: Ok(line), input, number });
            if bytes >= BATCH_BYTES || batch.len() >= BATCH_LINES {
                if !take(&batch) {
                    return Ok(());
                }
                batch.clear();
                bytes = 0;
            }
        }
    }
    if !batch.is_empty() {
        take(&batch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_intern_each_text_once() {
        let mut ids = Ids::default();
        let names: Vec<String> = (0..5000).map(|i| format!("byline:per:name-{i}")).collect();
        let first: Vec<u32> = names.iter().map(|n| ids.get(n)).collect();
        let again: Vec<u32> = names.iter().rev().map(|n| ids.get(n)).rev().collect();
        assert_eq!(first, again);
        assert_eq!(first, (0..5000).collect::<Vec<u32>>());
        assert_eq!(ids.name(4321), "byline:per:name-4321");
        assert_eq!(ids.len(), 5000);
    }

    #[test]
    fn votes_pick_the_most_frequent_then_mixed_case_then_the_smallest() {
        let mut votes: Votes<Box<str>> = Votes::default();
        for name in ["HAKOB BADALYAN", "Hakob Badalyan", "Badalyan"] {
            votes.add(name, |n: &str| Box::from(n));
        }
        assert_eq!(votes.best(prefer_name).map(|n| &**n), Some("Badalyan"), "of equals, the smallest in mixed case");
        votes.add("HAKOB BADALYAN", |n: &str| Box::from(n));
        assert_eq!(votes.best(prefer_name).map(|n| &**n), Some("HAKOB BADALYAN"), "the most frequent");
        assert!(Votes::<Box<str>>::default().best(prefer_name).is_none());
    }
}
