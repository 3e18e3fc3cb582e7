//! The annotation pipeline: read → segment → NER → quotes → link → write.
//!
//! [`Stages`] runs the annotating stages over a chunk of documents; [`annotate`] streams a
//! corpus through them in chunks, one thread a step — read, segment and encode, model, quotes
//! and link, write — joined by small bounded queues, so the steps overlap, memory stays flat
//! and output order equals input order. Failures stay with their record: a record
//! that cannot be read or annotated is written with its `error`, counted, and the run goes on.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;
use tokenizers::Tokenizer;

use crate::document::Document;
use crate::identity;
use crate::ingest::{self, Source};
use crate::link::Linker;
use crate::ner::{self, Encoded, Ner};
use crate::output;
use crate::quotes;
use crate::segment;

/// The annotating stages, each optional.
pub struct Stages {
    pub ner: Option<Ner>,
    /// Quote extraction with this speaker model (after NER, whose entities resolve speakers).
    pub quotes: Option<quotes::select::SpeakerModel>,
    /// The attribution tagger of the quotes stage; it reads the NER encoder's states, so the
    /// NER stage must tap its layers (`Ner::set_taps`).
    pub tagger: Option<quotes::tagger::Tagger>,
    pub linker: Option<Linker>,
}

impl Stages {
    /// Annotates documents in place; documents that already carry an error are left alone.
    pub fn run(&self, docs: &mut [Document]) {
        let encoded = self.before_model().run(docs);
        self.model(docs, &encoded);
        self.after_model().run(docs);
    }

    fn before_model(&self) -> BeforeModel<'_> {
        BeforeModel { tokenizer: self.ner.as_ref().map(|n| &n.model.tokenizer) }
    }

    fn model(&self, docs: &mut [Document], encoded: &[Option<Encoded>]) {
        if let Some(ner) = &self.ner {
            ner.label(docs, encoded);
        }
    }

    fn after_model(&self) -> AfterModel<'_> {
        AfterModel { quotes: self.quotes.as_ref(), tagger: self.tagger.as_ref(), linker: self.linker.as_ref() }
    }
}

// The stages around the model borrow only what is `Sync` (the model's tensors are not), so
// [`annotate`] runs them on threads of their own, overlapped with the model's forward passes.

/// Segmentation and sub-word encoding.
struct BeforeModel<'a> {
    tokenizer: Option<&'a Tokenizer>,
}

impl BeforeModel<'_> {
    fn run(&self, docs: &mut [Document]) -> Vec<Option<Encoded>> {
        docs.par_iter_mut().filter(|d| d.error.is_none()).for_each(|d| guarded(d, "segmentation", segment::segment));
        self.tokenizer.map_or_else(Vec::new, |t| ner::encode_documents(t, docs))
    }
}

/// Quotes, then linking (it reads the entities and fills the quote speakers' ids), then the
/// identities of entities and speakers across articles.
struct AfterModel<'a> {
    quotes: Option<&'a quotes::select::SpeakerModel>,
    tagger: Option<&'a quotes::tagger::Tagger>,
    linker: Option<&'a Linker>,
}

impl AfterModel<'_> {
    fn run(&self, docs: &mut [Document]) {
        if let Some(model) = self.quotes {
            let profile = crate::ner::cpu_encoder::profiling();
            docs.par_iter_mut().filter(|d| d.error.is_none()).for_each(|d| {
                let t0 = if profile { crate::ner::cpu_encoder::thread_cpu_nanos() } else { 0 };
                guarded(d, "quotes", |d| quotes::extract_full(d, model, self.tagger));
                if profile {
                    QUOTES_NANOS.fetch_add(crate::ner::cpu_encoder::thread_cpu_nanos() - t0, Ordering::Relaxed);
                }
            });
        }
        if let Some(linker) = self.linker {
            docs.par_iter_mut().filter(|d| d.error.is_none()).for_each(|d| guarded(d, "linking", |d| linker.link(d)));
        }
        docs.par_iter_mut().filter(|d| d.error.is_none()).for_each(|d| guarded(d, "identity", identity::assign));
    }
}

/// Thread CPU time of the quotes stage, with `BYLINE_PROFILE` set (printed at the end of a run).
static QUOTES_NANOS: AtomicU64 = AtomicU64::new(0);

/// Runs one stage on one document; a panic becomes that document's error instead of ending the
/// run.
fn guarded(doc: &mut Document, stage: &str, f: impl FnOnce(&mut Document)) {
    if catch_unwind(AssertUnwindSafe(|| f(doc))).is_err() {
        doc.entities.clear();
        doc.quotes.clear();
        doc.error = Some(format!("internal error in {stage}; please report it with this article"));
    }
}

pub struct AnnotateOptions {
    pub inputs: Vec<Source>,
    /// None: standard output.
    pub output: Option<PathBuf>,
    pub resume: bool,
    /// Documents are processed in chunks of about this many words (windows of a chunk are
    /// batched together).
    pub chunk_words: usize,
    pub progress: bool,
    /// Only the records of this shard (see [`Shard`]).
    pub shard: Option<Shard>,
}

/// Shard `index` of `count` (0-based): the records whose id hashes to it. The hash is FNV-1a
/// over the id's bytes, so the split is the same on every machine and run, and N processes with
/// shards 0..N between them cover every record exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Parses `K/N` with 0 ≤ K < N.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (k, n) = s.split_once('/').ok_or_else(|| format!("--shard {s}: expected K/N, e.g. 0/4"))?;
        let index: u64 = k.trim().parse().map_err(|_| format!("--shard {s}: K must be a number"))?;
        let count: u64 = n.trim().parse().map_err(|_| format!("--shard {s}: N must be a number"))?;
        if count == 0 || index >= count {
            return Err(format!("--shard {s}: expected 0 <= K < N (shards are numbered from 0)"));
        }
        Ok(Shard { index, count })
    }

    pub fn contains(&self, id: &str) -> bool {
        id_hash(id) % self.count == self.index
    }
}

/// FNV-1a, 64-bit, over an id's bytes: the same on every machine and run.
pub(crate) fn id_hash(id: &str) -> u64 {
    fnv1a(id.as_bytes())
}

/// FNV-1a, 64-bit: a hash that is the same on every machine and run.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Records written in this run (annotated + errors).
    pub articles: usize,
    pub annotated: usize,
    pub errors: usize,
    /// Records already in the output that `--resume` skipped.
    pub skipped: usize,
    /// Records written in this run whose id an earlier record (of this run, or already in the
    /// output when resuming) has too. All are annotated; see [`Summary::warnings`].
    pub duplicate_ids: usize,
    pub entities: usize,
    pub quotes: usize,
    pub words: usize,
    pub seconds: f64,
}

impl Summary {
    pub fn words_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.words as f64 / self.seconds
        } else {
            0.0
        }
    }
}

impl Summary {
    /// What the user should know about the run besides the counts, one line each.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.duplicate_ids > 0 {
            out.push(format!(
                "{} record{} repeat an id of an earlier record; all were annotated, but a reader keyed on id sees only one of each (docs/output.md#duplicate-ids)",
                self.duplicate_ids,
                if self.duplicate_ids == 1 { "" } else { "s" }
            ));
        }
        out
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} articles ({} annotated, {} errors{}), {} entities, {} quotes, {} words in {:.1} s ({:.0} words/s)",
            self.articles,
            self.annotated,
            self.errors,
            if self.skipped > 0 { format!(", {} already done and skipped", self.skipped) } else { String::new() },
            self.entities,
            self.quotes,
            self.words,
            self.seconds,
            self.words_per_second()
        )
    }
}

/// Streams every input through the stages into the output.
pub fn annotate(stages: &Stages, opts: &AnnotateOptions) -> Result<Summary> {
    let start = Instant::now();
    let done = match (&opts.output, opts.resume) {
        (Some(path), true) => prepare_resume(path)?,
        (None, true) => bail!("--resume needs an output file (-o FILE): it reads what that file already holds"),
        _ => HashMap::new(),
    };
    // Ids already written, as hashes (8 bytes an id, so millions fit), to count repeated ids.
    let mut seen_ids: HashSet<u64> = done.keys().map(|id| id_hash(id)).collect();
    let sink: Box<dyn Write + Send> = match &opts.output {
        None => Box::new(io::stdout()),
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).with_context(|| format!("cannot create folder {}", dir.display()))?;
            }
            let file = if opts.resume {
                OpenOptions::new().append(true).create(true).open(path)
            } else {
                File::create(path)
            };
            Box::new(file.with_context(|| format!("cannot write to {}", path.display()))?)
        }
    };
    let bar = progress_bar(opts);
    let mut summary = Summary { skipped: done.values().sum(), ..Default::default() };

    // One slot a queue: enough to keep every step busy, while bounding what is in memory.
    let (chunk_tx, chunk_rx) = crossbeam_channel::bounded::<Vec<Document>>(1);
    let (encoded_tx, encoded_rx) = crossbeam_channel::bounded::<(Vec<Document>, Vec<Option<Encoded>>)>(1);
    let (labelled_tx, labelled_rx) = crossbeam_channel::bounded::<Vec<Document>>(1);
    let (out_tx, out_rx) = crossbeam_channel::bounded::<Vec<Document>>(1);
    std::thread::scope(|scope| -> Result<()> {
        let inputs = &opts.inputs;
        let chunk_words = opts.chunk_words.max(1);
        let mut done = done;
        let shard = opts.shard;
        scope.spawn(move || {
            let mut chunk = Vec::new();
            let mut words = 0;
            // An id's first `done[id]` records in the input are the ones already written (output
            // order is input order), so a resumed run skips exactly those, repeated ids included.
            let wanted = |d: &Document| {
                if !shard.map_or(true, |s| s.contains(&d.id)) {
                    return false;
                }
                match done.get_mut(&d.id) {
                    Some(n) if *n > 0 => {
                        *n -= 1;
                        false
                    }
                    _ => true,
                }
            };
            for doc in ingest::read_all(inputs).filter(wanted) {
                words += doc.word_count().max(1);
                chunk.push(doc);
                if words >= chunk_words {
                    if chunk_tx.send(std::mem::take(&mut chunk)).is_err() {
                        return;
                    }
                    words = 0;
                }
            }
            if !chunk.is_empty() {
                let _ = chunk_tx.send(chunk);
            }
        });
        let before = stages.before_model();
        scope.spawn(move || {
            for mut chunk in chunk_rx {
                let encoded = before.run(&mut chunk);
                if encoded_tx.send((chunk, encoded)).is_err() {
                    return;
                }
            }
        });
        let after = stages.after_model();
        scope.spawn(move || {
            for mut chunk in labelled_rx {
                after.run(&mut chunk);
                if out_tx.send(chunk).is_err() {
                    return;
                }
            }
        });
        let writer = scope.spawn(move || -> io::Result<Summary> {
            let mut out = BufWriter::with_capacity(1 << 20, sink);
            let mut s = Summary::default();
            for chunk in out_rx {
                for doc in chunk {
                    s.articles += 1;
                    if !seen_ids.insert(id_hash(&doc.id)) {
                        s.duplicate_ids += 1;
                    }
                    if doc.error.is_some() {
                        s.errors += 1;
                    } else {
                        s.annotated += 1;
                    }
                    s.entities += doc.entities.len();
                    s.quotes += doc.quotes.len();
                    s.words += doc.word_count();
                    output::write_record(&mut out, doc)?;
                }
                out.flush()?;
            }
            out.flush()?;
            Ok(s)
        });
        for (mut chunk, encoded) in encoded_rx {
            stages.model(&mut chunk, &encoded);
            drop(encoded);
            let (n, words) = (chunk.len() as u64, chunk.iter().map(Document::word_count).sum::<usize>());
            if labelled_tx.send(chunk).is_err() {
                break; // the writer failed; its error is reported below
            }
            bar.inc(n);
            let secs = start.elapsed().as_secs_f64().max(1e-9);
            summary.words += words;
            bar.set_message(format!("{:.0} words/s", summary.words as f64 / secs));
        }
        drop(labelled_tx);
        let written = writer.join().expect("writer thread").context("cannot write the output")?;
        summary = Summary { skipped: summary.skipped, ..written };
        Ok(())
    })?;
    bar.finish_and_clear();
    summary.seconds = start.elapsed().as_secs_f64();
    if crate::ner::cpu_encoder::profiling() {
        let secs = |n: &AtomicU64| n.load(Ordering::Relaxed) as f64 / 1e9;
        eprintln!(
            "byline quotes profile: {:.2} s of thread CPU time in the quotes stage, {:.2} s (wall, one at a time) in the attribution tagger's head",
            secs(&QUOTES_NANOS),
            secs(&quotes::tagger::HEAD_NANOS)
        );
    }
    Ok(summary)
}

fn progress_bar(opts: &AnnotateOptions) -> ProgressBar {
    if !opts.progress {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos}/{len} articles  {msg}  {elapsed} elapsed, ETA {eta}")
            .expect("valid template"),
    );
    bar.enable_steady_tick(Duration::from_millis(250));
    // The total is counted on the side so a large corpus starts at once (unknown for a shard).
    if opts.shard.is_some() {
        return bar;
    }
    let inputs = opts.inputs.clone();
    let b = bar.clone();
    std::thread::spawn(move || {
        if let Some(n) = ingest::count_records(&inputs) {
            b.set_length(n as u64);
        }
    });
    bar
}

/// Reads the ids already written to `path`, with how many records each has, and cuts off a
/// partial last line left by a killed run, so appending continues from a clean record boundary.
pub fn prepare_resume(path: &Path) -> Result<HashMap<String, usize>> {
    let mut ids = HashMap::new();
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(ids),
        Err(e) => return Err(e).with_context(|| format!("cannot read {} to resume", path.display())),
    };
    let mut reader = BufReader::new(file);
    let mut good_len: u64 = 0;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        let complete = line.last() == Some(&b'\n');
        let id = complete
            .then(|| serde_json::from_slice::<serde_json::Value>(&line).ok())
            .flatten()
            .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_string));
        match id {
            Some(id) => {
                *ids.entry(id).or_insert(0) += 1;
                good_len += n as u64;
            }
            None => break, // a partial or damaged line: everything from here is redone
        }
    }
    let mut file = OpenOptions::new().write(true).open(path)?;
    if file.seek(SeekFrom::End(0))? != good_len {
        file.set_len(good_len).with_context(|| format!("cannot repair {}", path.display()))?;
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::Shard;

    #[test]
    fn shards_split_ids_disjointly_and_completely() {
        let shards: Vec<Shard> = (0..4).map(|k| Shard::parse(&format!("{k}/4")).unwrap()).collect();
        for i in 0..1000 {
            let id = format!("article-{i}");
            assert_eq!(shards.iter().filter(|s| s.contains(&id)).count(), 1, "{id}");
        }
        let sizes: Vec<usize> = shards.iter().map(|s| (0..1000).filter(|i| s.contains(&format!("article-{i}"))).count()).collect();
        assert!(sizes.iter().all(|&n| n > 200 && n < 300), "{sizes:?}");
    }

    #[test]
    fn shard_syntax_is_checked() {
        assert_eq!(Shard::parse("1/3"), Ok(Shard { index: 1, count: 3 }));
        assert!(Shard::parse("3/3").is_err());
        assert!(Shard::parse("0/0").is_err());
        assert!(Shard::parse("a/2").is_err());
        assert!(Shard::parse("2").is_err());
    }
}
