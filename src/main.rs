//! The `byline` command line: a thin layer over the library.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use byline::eval;
use byline::ingest::Source;
use byline::link::{Gazetteer, Linker};
use byline::ner::Ner;
use byline::pipeline::{self, AnnotateOptions, Stages};

/// Exit status when the run finished but some records carry an error.
const EXIT_RECORD_ERRORS: u8 = 3;

#[derive(Parser)]
#[command(name = "byline", version, about = "Annotate news text: named entities, quotes with speakers, entity links.", args_override_self = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Annotate articles and write one JSON object per article (JSONL).
    ///
    /// Exit status: 0 when every record was annotated, 3 when the run finished but some records
    /// carry an "error" (they are still written and counted), 1 when the run could not go on,
    /// 2 for a usage error.
    Annotate(AnnotateArgs),
    /// Score predictions against gold annotations.
    Eval(EvalArgs),
    /// Fine-tune a BERT-family encoder for NER on gold annotations.
    Train(TrainArgs),
    /// Build the entity-linking gazetteer.
    #[command(subcommand)]
    Gazetteer(GazetteerCommand),
    /// Tables over a corpus of annotated output: speakers, entities, quotes and co-mentions,
    /// as CSV and Parquet (docs/report.md).
    ///
    /// Exit status: 0, or 3 when some lines were not byline records (they are skipped and
    /// counted), 1 when the report could not be written.
    Report(ReportArgs),
    /// Write one self-contained HTML page to look at annotated articles (docs/view.md).
    View(ViewArgs),
}

#[derive(Args)]
struct ReportArgs {
    /// Output of `byline annotate`: JSONL files, .jsonl.gz, or - for standard input.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Folder for speakers, entities, quotes and comentions (.csv and .parquet each); created
    /// if missing, its tables replaced.
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// Leave out co-mention pairs found in fewer articles than this.
    #[arg(long, default_value_t = 2, value_name = "N")]
    min_comentions: u32,
    /// Most distinct co-mention pairs held in memory (the default fits a 64 MiB table); past
    /// it the rarest are dropped and the summary says how far counts may be off.
    #[arg(long, default_value_t = 3_500_000, value_name = "N")]
    max_pairs: usize,
    /// Print the summary as JSON on stderr.
    #[arg(long)]
    summary_json: bool,
}

#[derive(Args)]
struct ViewArgs {
    /// byline output: JSONL files, .gz of them, or - for standard input.
    #[arg(required = true, value_name = "INPUT.jsonl")]
    inputs: Vec<String>,
    /// The page (default: standard output).
    #[arg(short, long, value_name = "PAGE.html")]
    output: Option<PathBuf>,
    /// Records to pass over before the first one shown, to page through a large corpus.
    #[arg(long, default_value_t = 0, value_name = "N")]
    skip: usize,
    /// Records a page shows at most (each adds its HTML to the page).
    #[arg(long, default_value_t = byline::view::DEFAULT_MAX_ARTICLES, value_name = "N")]
    max_articles: usize,
}

#[derive(Args)]
struct TrainArgs {
    /// What to train: the NER model (a BERT-family encoder), or the speaker selector of direct
    /// quotes (docs/quotes.md; data: PolNeAR or byline JSONL gold with quotes).
    #[arg(long, value_enum, default_value_t = TrainTask::Ner)]
    task: TrainTask,
    /// Training data: a CoNLL column file or byline JSONL with entities (ner; several files are
    /// read as one set, e.g. train and dev for a final model); PolNeAR JSONL or byline JSONL with
    /// quotes (quotes, quotes-tagger: one file).
    #[arg(long, value_name = "FILE", required = true, num_args = 1..)]
    train: Vec<PathBuf>,
    /// Dev data, scored after each epoch; the best epoch's model is kept (ner). Scored once at
    /// the end (quotes).
    #[arg(long, value_name = "FILE")]
    dev: Option<PathBuf>,
    /// ner: a second gold set (CoNLL or byline JSONL), e.g. news of another style, scored beside
    /// dev after each epoch and average and written to the training log; it never chooses the
    /// model kept, so it shows what choosing on dev costs elsewhere.
    #[arg(long, value_name = "FILE")]
    also_score: Option<PathBuf>,
    /// Base encoder directory (config.json, tokenizer.json, model.safetensors) for ner; for
    /// quotes-tagger, the NER model whose encoder gives the features (default: models/ner-default).
    #[arg(long, value_name = "DIR")]
    base: Option<PathBuf>,
    /// Where the trained model goes.
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// quotes: entities of the training texts (byline JSONL from `annotate --stages ner`), as
    /// the model will see them; without, names come from capitalised words only.
    #[arg(long, value_name = "PRED.jsonl")]
    entities: Option<PathBuf>,
    /// quotes: entities of the dev texts.
    #[arg(long, value_name = "PRED.jsonl")]
    dev_entities: Option<PathBuf>,
    /// quotes-tagger: feature cache (safetensors): read if present, else written after the
    /// encoder's pass over the training texts.
    #[arg(long, value_name = "FILE")]
    feature_cache: Option<PathBuf>,
    /// quotes-tagger: encoder layers (1-based) the tagger reads; the cache holds 6 and 12.
    #[arg(long, value_delimiter = ',', default_value = "12")]
    layers: Vec<usize>,
    /// quotes-tagger: LSTM units per direction.
    #[arg(long, default_value_t = 128)]
    tagger_hidden: i64,
    /// quotes: optimisation steps (full batch).
    #[arg(long, default_value_t = 300)]
    iterations: usize,
    /// quotes: L2 penalty on the weights.
    #[arg(long, default_value_t = 1e-3)]
    l2: f64,
    /// quotes: folds of the cross-validation on the training data (1: none).
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// quotes: weight of each quote's copy without the rules' proposed speaker, so that the
    /// model also learns to find speakers where the rules find none (0: no copies).
    #[arg(long, default_value_t = 0.5)]
    rule_dropout: f64,
    #[arg(long, default_value_t = 3)]
    epochs: usize,
    /// ner: also try averaging the weights at the end of the last 2, 3, … K epochs (checkpoint
    /// averaging); each average is scored on dev and the best kept if it beats the best epoch.
    /// Without a dev set the average of the last K is kept. 1: no averaging.
    #[arg(long, default_value_t = 1, value_name = "K")]
    average_last: usize,
    /// Learning rate (default: 1e-4 for ner, 0.05 for quotes).
    #[arg(long)]
    learning_rate: Option<f64>,
    /// Windows per optimisation step.
    #[arg(long, default_value_t = 16)]
    batch_size: usize,
    /// Share of the steps spent warming the learning rate up.
    #[arg(long, default_value_t = 0.1)]
    warmup: f64,
    #[arg(long, default_value_t = 0.01)]
    weight_decay: f64,
    #[arg(long, default_value_t = 1.0)]
    clip_norm: f64,
    /// Feed each word's case class as token type (recovers casing for uncased encoders).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    case_feature: bool,
    /// Window length in sub-tokens, special tokens included.
    #[arg(long, default_value_t = 256)]
    window: usize,
    /// Sub-tokens of context on each side of the labelled part of a window.
    #[arg(long, default_value_t = 32)]
    context: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// How the weights are stored: fp32, fp16 (half the size) or int8 (about a fifth: matrices
    /// as int8 with a scale per row, the file compressed as model.safetensors.zst, as shipped).
    /// They are computed in fp32 either way.
    #[arg(long, value_enum, default_value_t = byline::ner::model::WeightStorage::Fp32)]
    weights: byline::ner::model::WeightStorage,
    /// Use only the first N training documents.
    #[arg(long, value_name = "N")]
    max_train_docs: Option<usize>,
    /// What an example sees, in training and in the dev evaluation: whole documents, or each
    /// line (CoNLL sentence) alone, the ablation without document context.
    #[arg(long, value_enum, default_value_t = byline::train::Scope::Document)]
    scope: byline::train::Scope,
    /// ner: build the model from these encoder layers of --base (1-based, comma-separated),
    /// e.g. 1,3,5,7,9,11 for a 6-layer student of a 12-layer model.
    #[arg(long, value_delimiter = ',', value_name = "LAYERS")]
    keep_layers: Vec<usize>,
    /// ner: a trained NER model (same labels) to distil from: the loss also matches its label
    /// distribution at every sub-token, or with another vocabulary at the first sub-token of
    /// each word.
    #[arg(long, value_name = "DIR")]
    teacher: Option<PathBuf>,
    /// ner, with --teacher: texts without gold (byline JSONL or plain-text JSONL) trained on the
    /// teacher's labels alone.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    unlabelled: Vec<PathBuf>,
    /// ner, with --teacher: share of the loss that is the teacher's (0 to 1).
    #[arg(long, default_value_t = 0.5)]
    distill_weight: f64,
    /// ner, with --teacher: temperature of both distributions.
    #[arg(long, default_value_t = 2.0)]
    distill_temperature: f64,
    /// Threads for libtorch (default: all cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TrainTask {
    Ner,
    Quotes,
    /// The attribution tagger over the NER encoder's states (docs/quotes.md).
    QuotesTagger,
}

#[derive(Subcommand)]
enum GazetteerCommand {
    /// Compile source files and folders (see docs/linking.md) into one gazetteer folder.
    Build {
        /// Source files or folders; user entries are TSV or JSONL with id, name, type columns.
        #[arg(required = true, value_name = "SOURCE")]
        sources: Vec<PathBuf>,
        /// Output folder, e.g. models/gazetteer-default.
        #[arg(short, long, value_name = "DIR")]
        output: PathBuf,
        /// Prior added for every source beyond the first that lists an entity (0 turns it off).
        #[arg(long, value_name = "P", default_value_t = byline::link::gazetteer::sources::PRIOR_PER_SOURCE)]
        prior_per_source: f32,
    },
    /// Show the entries a name can link to, with their priors and context.
    Lookup {
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
        #[command(flatten)]
        link: LinkArgs,
    },
}

#[derive(Args)]
struct LinkArgs {
    /// Gazetteer folder for the link stage. Default: $BYLINE_GAZETTEER, else
    /// models/gazetteer-default found beside the current folder or the executable.
    #[arg(long, value_name = "DIR")]
    gazetteer: Option<PathBuf>,
    /// Score below which an entity stays unlinked.
    #[arg(long, default_value_t = byline::link::linker::DEFAULT_THRESHOLD, value_name = "SCORE")]
    link_threshold: f32,
    /// Add every candidate with its feature scores to each link.
    #[arg(long)]
    explain: bool,
}

#[derive(Args)]
struct ModelArgs {
    /// Model directory (config.json, tokenizer.json, model.safetensors or .safetensors.zst).
    /// Default: $BYLINE_MODEL, else models/ner-default found beside the current folder or the
    /// executable.
    #[arg(long, value_name = "DIR")]
    model: Option<PathBuf>,
    /// Windows per forward pass of the model.
    #[arg(long, default_value_t = 32, value_name = "N")]
    batch_size: usize,
    /// Threads for the model and the other stages (default: all cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Where the model runs: cpu, or cuda (needs libtorch with CUDA: scripts/setup.sh --gpu).
    #[arg(long, default_value = "cpu", value_name = "DEVICE")]
    device: String,
    /// Arithmetic of the model's Linear layers: int8 (8-bit weights, CPU only, about 1.6× as
    /// fast), fp32, or auto: int8 on CPUs with AVX2, else fp32. Accuracy of each in the model card.
    #[arg(long, value_enum, default_value_t = Precision::Auto)]
    precision: Precision,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Precision {
    Auto,
    Fp32,
    Int8,
}

/// The annotating stages that `--stages` can pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StageName {
    Ner,
    Quotes,
    Link,
}

#[derive(Args)]
struct StageArgs {
    /// Stages to run, comma-separated (segmentation always runs).
    #[arg(long, value_delimiter = ',', default_value = "ner,quotes,link", value_name = "LIST")]
    stages: Vec<StageName>,
    /// Speaker model of the quotes stage (a speaker.json from `byline train --task quotes`).
    /// Default: the one built in (models/quotes-default).
    #[arg(long, value_name = "FILE")]
    quote_model: Option<PathBuf>,
    /// Add the learned attribution tagger to the quotes stage (with the NER stage and the
    /// default NER model only): reported speech, beliefs and intentions the rules miss, at
    /// score 0.4. Off by default: it raises PolNeAR's recall but is right for only about a
    /// third of what it adds on other styles (docs/quotes.md, "Attribution tagger").
    #[arg(long)]
    quote_tagger: bool,
    /// Folder with another attribution tagger (tagger.json and tagger.safetensors from `byline
    /// train --task quotes-tagger`); implies --quote-tagger. Default: models/quotes-default.
    #[arg(long, value_name = "DIR")]
    quote_tagger_dir: Option<PathBuf>,
}

/// What the annotating stages need: the model, the stage list, the gazetteer.
#[derive(Args)]
struct PipelineArgs {
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    stages: StageArgs,
    #[command(flatten)]
    link: LinkArgs,
}

#[derive(Args)]
struct AnnotateArgs {
    /// Articles: .txt files (one article each; the first non-empty line is the title), folders
    /// of them (recursive), JSONL files ({"id", "text", "title"?}), .gz of any, or - for JSONL
    /// on standard input.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<String>,
    /// Output file (default: standard output).
    #[arg(short, long, value_name = "OUT.jsonl")]
    output: Option<PathBuf>,
    #[command(flatten)]
    pipeline: PipelineArgs,
    /// Skip articles whose id is already in the output file and append the rest; a partial
    /// last line left by a killed run is repaired first.
    #[arg(long)]
    resume: bool,
    /// Annotate only shard K of N (0-based, by a stable hash of the id), so N processes split
    /// one corpus between them: see docs/output.md.
    #[arg(long, value_name = "K/N", value_parser = pipeline::Shard::parse)]
    shard: Option<pipeline::Shard>,
    /// Words per processing chunk (windows of a chunk are batched together).
    #[arg(long, default_value_t = 20_000, value_name = "N", hide = true)]
    chunk_words: usize,
    /// Print the summary as JSON on stderr.
    #[arg(long)]
    summary_json: bool,
}

#[derive(Args)]
struct EvalArgs {
    /// Gold annotations: byline JSONL, PolNeAR JSONL (quotes), or a CoNLL-2003 column file.
    #[arg(long, value_name = "GOLD", required_unless_present = "conll")]
    gold: Option<PathBuf>,
    /// A CoNLL column file as gold (same as --gold).
    #[arg(long, value_name = "FILE", conflicts_with = "gold")]
    conll: Option<PathBuf>,
    /// Predictions (byline JSONL). Without it, --model runs on the gold texts first.
    #[arg(long, value_name = "PRED")]
    pred: Option<PathBuf>,
    #[command(flatten)]
    pipeline: PipelineArgs,
    /// Copy the gold entity spans and labels into the documents instead of running NER, so
    /// the link stage is scored on its own (disambiguation with oracle mentions).
    #[arg(long)]
    gold_entities: bool,
    /// Write the predictions made with --model to this file too.
    #[arg(long, value_name = "OUT.jsonl")]
    save_pred: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// List each error of a direct quote (wrong speaker, missed, spurious) with its context, and
    /// the kinds of entity errors (wrong type, wrong span, missed, spurious) with their most
    /// frequent texts.
    #[arg(long)]
    errors: bool,
    /// Take the entities from these predictions (byline JSONL, paired by id) instead of running
    /// NER, so that the later stages can be rerun without the model: annotate once with
    /// `--stages ner`, then `eval --entities-from THAT --stages quotes`.
    #[arg(long, value_name = "PRED.jsonl", conflicts_with_all = ["pred", "gold_entities"])]
    entities_from: Option<PathBuf>,
}

/// Keeps freed memory in the heap instead of returning it to the kernel. libtorch allocates and
/// frees tensors of tens of MB for every batch; with glibc's defaults each one is a fresh mmap
/// whose pages the kernel must zero, which cost about 40% of NER time (docs/benchmarks.md).
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 2_000_000_000);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 2_000_000_000);
    }
}

fn main() -> ExitCode {
    keep_freed_memory();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Annotate(args) => annotate(args),
        Command::Eval(args) => run_eval(args).map(|_| ExitCode::SUCCESS),
        Command::Train(args) => run_train(args).map(|_| ExitCode::SUCCESS),
        Command::Gazetteer(GazetteerCommand::Build { sources, output, prior_per_source }) => {
            build_gazetteer(&sources, &output, prior_per_source).map(|_| ExitCode::SUCCESS)
        }
        Command::Gazetteer(GazetteerCommand::Lookup { names, link }) => lookup(&names, &link).map(|_| ExitCode::SUCCESS),
        Command::Report(args) => report(args),
        Command::View(args) => view(args).map(|_| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("byline: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Where a default artefact is looked for, in order: the environment variable `env`, then
/// `models/NAME` in the current folder and up to three folders above the executable
/// (target/release/byline → the repository root); a folder counts when it holds `marker`.
fn default_artefact(env: &str, name: &str, marker: &str, flag: &str) -> Result<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Ok(PathBuf::from(p));
    }
    let name = Path::new("models").join(name);
    let mut tried = vec![name.clone()];
    if let Ok(exe) = std::env::current_exe() {
        for up in exe.ancestors().skip(1).take(3) {
            tried.push(up.join(&name));
        }
    }
    for p in &tried {
        if p.join(marker).is_file() {
            return Ok(p.clone());
        }
    }
    bail!("nothing found in {}; pass {flag} DIR or set {env}", tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))
}

fn default_model() -> Result<PathBuf> {
    default_artefact("BYLINE_MODEL", "ner-default", "config.json", "--model")
}

fn default_gazetteer() -> Result<PathBuf> {
    default_artefact("BYLINE_GAZETTEER", "gazetteer-default", byline::link::gazetteer::ARTEFACT, "--gazetteer")
}

fn load_gazetteer(args: &LinkArgs) -> Result<Gazetteer> {
    let dir = match &args.gazetteer {
        Some(d) => d.clone(),
        None => default_gazetteer()?,
    };
    Gazetteer::load(&dir).with_context(|| format!("cannot load the gazetteer in {}", dir.display()))
}

/// `--threads`: libtorch's intra-op threads and rayon's pool (the other stages).
fn set_threads(threads: Option<usize>) {
    if let Some(n) = threads {
        tch::set_num_threads(n as i32);
        // Only the first call configures rayon's pool; later calls in one process are ignored.
        let _ = rayon::ThreadPoolBuilder::new().num_threads(n).build_global();
    }
}

fn load_ner(args: &ModelArgs) -> Result<Ner> {
    let device = match args.device.as_str() {
        "cpu" => tch::Device::Cpu,
        "cuda" => {
            if !tch::Cuda::is_available() {
                bail!("--device cuda: no CUDA device is visible to libtorch (set up the GPU build with scripts/setup.sh --gpu)");
            }
            tch::Device::Cuda(0)
        }
        other => bail!("--device {other}: expected cpu or cuda"),
    };
    let dir = match &args.model {
        Some(d) => d.clone(),
        None => default_model()?,
    };
    let precision = match args.precision {
        Precision::Fp32 => byline::ner::Precision::Fp32,
        Precision::Int8 => byline::ner::Precision::Int8,
        Precision::Auto if device == tch::Device::Cpu && byline::ner::cpu_encoder::int8_supported() => byline::ner::Precision::Int8,
        Precision::Auto => byline::ner::Precision::Fp32,
    };
    Ner::load(&dir, device, args.batch_size, precision).with_context(|| format!("cannot load the model in {}", dir.display()))
}

/// Loads what the chosen stages need.
fn build_stages(args: &PipelineArgs) -> Result<Stages> {
    set_threads(args.model.threads);
    let PipelineArgs { model, stages, link } = args;
    let mut out = Stages { ner: None, quotes: None, tagger: None, linker: None };
    let with_ner = stages.stages.contains(&StageName::Ner);
    let wants_tagger = stages.quote_tagger || stages.quote_tagger_dir.is_some();
    if wants_tagger && !(with_ner && stages.stages.contains(&StageName::Quotes)) {
        bail!("--quote-tagger reads the NER encoder's states: run it with both the ner and quotes stages");
    }
    if wants_tagger {
        let dir = match &stages.quote_tagger_dir {
            Some(d) if !d.join("tagger.json").is_file() => bail!("--quote-tagger-dir {}: no tagger.json there", d.display()),
            Some(d) => d.clone(),
            None => default_artefact("BYLINE_QUOTE_TAGGER", "quotes-default", "tagger.json", "--quote-tagger-dir")?,
        };
        out.tagger = byline::quotes::tagger::Tagger::load(&dir).with_context(|| format!("cannot load the quote tagger in {}", dir.display()))?;
    }
    for stage in &stages.stages {
        match stage {
            StageName::Ner => {
                let mut ner = load_ner(model)?;
                if let Some(t) = &out.tagger {
                    // The tagger reads the states of the encoder it was trained on; with another
                    // NER model (`ner-fast`) the quotes stage keeps to its rules.
                    let dir = model.model.clone().map_or_else(default_model, Ok)?;
                    let fingerprint = byline::quotes::tagger::encoder_fingerprint(&dir)?;
                    if fingerprint == t.config.encoder {
                        ner.set_taps(&t.config.layers).context("the quote tagger cannot read this NER model (leave out --quote-tagger)")?;
                    } else {
                        eprintln!("note: the quote tagger was trained on another NER model's encoder than {}; quotes come from the rules alone", dir.display());
                        out.tagger = None;
                    }
                }
                out.ner = Some(ner);
            }
            StageName::Quotes => {
                out.quotes = Some(match &stages.quote_model {
                    Some(path) => byline::quotes::select::SpeakerModel::load(path)?,
                    None => byline::quotes::select::SpeakerModel::builtin().clone(),
                })
            }
            StageName::Link => out.linker = Some(Linker::new(load_gazetteer(link)?, link.link_threshold, link.explain)),
        }
    }
    Ok(out)
}

fn build_gazetteer(sources: &[PathBuf], output: &Path, prior_per_source: f32) -> Result<()> {
    if !(0.0..=1.0).contains(&prior_per_source) {
        anyhow::bail!("--prior-per-source must be between 0 and 1, not {prior_per_source}");
    }
    let (gazetteer, log) = byline::link::gazetteer::sources::build_with(sources, prior_per_source)?;
    gazetteer.save(output)?;
    for (path, family) in &log.files {
        eprintln!("read {} ({family:?})", path.display());
    }
    for path in &log.skipped {
        eprintln!("not used: {}", path.display());
    }
    for (what, n) in &log.notes {
        eprintln!("{what}: {n}");
    }
    let counts: Vec<String> = gazetteer.counts().iter().map(|(k, n)| format!("{} {n}", k.name())).collect();
    let aliases: usize = gazetteer.entries().map(|e| e.aliases.len()).sum();
    let mut namespaces: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for i in 0..gazetteer.len() as u32 {
        *namespaces.entry(gazetteer.id(i).split_once(':').map_or("wikidata", |(ns, _)| ns)).or_default() += 1;
    }
    eprintln!("byline: {} entries ({}), {aliases} aliases, ids {namespaces:?} → {}", gazetteer.len(), counts.join(", "), output.display());
    Ok(())
}

fn lookup(names: &[String], link: &LinkArgs) -> Result<()> {
    let gazetteer = load_gazetteer(link)?;
    for name in names {
        let key = byline::link::normalize::normalize(name);
        println!("{name:?} (key {key:?}):");
        for (i, via) in gazetteer.lookup(&key) {
            let e = gazetteer.entry(i);
            println!("  {} {:?} {} via {} prior {:.2} context {:?} terms {}", e.id, e.name, e.kind.name(), via.name(), e.prior, e.context, e.terms.len());
        }
    }
    Ok(())
}

fn annotate(args: AnnotateArgs) -> Result<ExitCode> {
    let stages = build_stages(&args.pipeline)?;
    let opts = AnnotateOptions {
        inputs: args.inputs.iter().map(|s| Source::parse(s)).collect(),
        output: args.output.clone(),
        resume: args.resume,
        chunk_words: args.chunk_words,
        progress: std::io::stderr().is_terminal(),
        shard: args.shard,
    };
    let summary = pipeline::annotate(&stages, &opts)?;
    if args.summary_json {
        eprintln!("{}", serde_json::to_string(&summary)?);
    } else {
        eprintln!("byline: {summary}");
    }
    for warning in summary.warnings() {
        eprintln!("byline: warning: {warning}");
    }
    Ok(if summary.errors > 0 { ExitCode::from(EXIT_RECORD_ERRORS) } else { ExitCode::SUCCESS })
}

fn report(args: ReportArgs) -> Result<ExitCode> {
    let opts = byline::report::ReportOptions { inputs: args.inputs, output: args.output, min_comentions: args.min_comentions, max_pairs: args.max_pairs };
    let summary = byline::report::report(&opts)?;
    if args.summary_json {
        eprintln!("{}", serde_json::to_string(&summary)?);
    } else {
        eprintln!("byline: {summary}");
        eprintln!("wrote {}/{{speakers,entities,quotes,comentions}}.{{csv,parquet}}", opts.output.display());
    }
    Ok(if summary.unreadable > 0 { ExitCode::from(EXIT_RECORD_ERRORS) } else { ExitCode::SUCCESS })
}

fn run_eval(mut args: EvalArgs) -> Result<()> {
    if args.gold_entities || args.entities_from.is_some() {
        // The gold or earlier predicted mentions stand in for the NER stage, so no model is
        // needed.
        args.pipeline.stages.stages.retain(|s| *s != StageName::Ner);
    }
    let gold_path = args.gold.or(args.conll).expect("clap requires one");
    let gold = eval::gold::read(&gold_path)?;
    let mut stages = None;
    let pred = match &args.pred {
        Some(p) => byline::output::read_records(p)?,
        None => {
            let stages = &*stages.insert(build_stages(&args.pipeline)?);
            let mut docs: Vec<byline::document::Document> =
                gold.iter().map(|g| byline::document::Document::new(g.id.clone(), g.text.clone())).collect();
            if args.gold_entities {
                for (doc, g) in docs.iter_mut().zip(&gold) {
                    eval::gold::copy_entities(g, doc);
                }
            }
            if let Some(path) = &args.entities_from {
                copy_predicted_entities(path, &mut docs)?;
            }
            for chunk in docs.chunks_mut(64) {
                stages.run(chunk);
            }
            if let Some(path) = &args.save_pred {
                let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
                for d in docs.clone() {
                    byline::output::write_record(&mut out, d)?;
                }
            }
            docs.into_iter().map(byline::output::Record::from_document).collect()
        }
    };
    // Gazetteer coverage of the gold ids needs a gazetteer: the link stage's, or --gazetteer.
    let loaded = match (&stages, &args.pipeline.link.gazetteer) {
        (Some(Stages { linker: Some(_), .. }), _) => None,
        (_, Some(_)) => Some(load_gazetteer(&args.pipeline.link)?),
        _ => None,
    };
    let gazetteer = stages.as_ref().and_then(|s| s.linker.as_ref()).map(Linker::gazetteer).or(loaded.as_ref());
    let known_ids = gazetteer.map(Gazetteer::ids);
    let report = eval::evaluate_listing_errors(&gold, &pred, known_ids.as_ref(), args.errors)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    Ok(())
}

/// `eval --entities-from`: the entities of earlier predictions, paired with the documents by id
/// and text (a document with no such prediction keeps none).
fn copy_predicted_entities(path: &Path, docs: &mut [byline::document::Document]) -> Result<()> {
    let records = byline::output::read_records(path)?;
    let by_id: std::collections::HashMap<&str, &byline::output::Record> = records.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut found = 0;
    for doc in docs.iter_mut() {
        if let Some(r) = by_id.get(doc.id.as_str()) {
            if r.text != doc.text {
                bail!("--entities-from {}: document {:?} has another text than the gold's", path.display(), doc.id);
            }
            doc.entities = r.entities.iter().map(|e| byline::document::Entity { link: None, ..e.clone() }).collect();
            found += 1;
        }
    }
    if found == 0 && !docs.is_empty() {
        bail!("--entities-from {}: no record matches a gold document by id (gold ids look like {:?})", path.display(), docs[0].id);
    }
    Ok(())
}

fn run_train(args: TrainArgs) -> Result<()> {
    if args.task == TrainTask::QuotesTagger {
        if let Some(n) = args.threads {
            tch::set_num_threads(n as i32);
        }
        let opts = byline::train::tagger::TaggerTrainOptions {
            train: single_file(&args.train)?,
            ner_model: match args.base {
                Some(d) => d,
                None => default_model()?,
            },
            cache: args.feature_cache,
            layers: args.layers,
            output: args.output,
            epochs: args.epochs,
            learning_rate: args.learning_rate.unwrap_or(1e-3),
            hidden: args.tagger_hidden,
            seed: args.seed,
        };
        return byline::train::tagger::train(&opts);
    }
    if args.task == TrainTask::Quotes {
        let opts = byline::train::quotes::QuoteTrainOptions {
            train: single_file(&args.train)?,
            entities: args.entities,
            dev: args.dev,
            dev_entities: args.dev_entities,
            output: args.output,
            iterations: args.iterations,
            learning_rate: args.learning_rate.unwrap_or(0.05),
            l2: args.l2,
            folds: args.folds,
            rule_dropout: args.rule_dropout,
        };
        byline::train::quotes::train(&opts)?;
        return Ok(());
    }
    let Some(base) = args.base else { bail!("--task ner needs --base DIR: the encoder to fine-tune (see scripts/train_ner.sh)") };
    if let Some(n) = args.threads {
        tch::set_num_threads(n as i32);
    }
    let opts = byline::train::TrainOptions {
        train: args.train,
        dev: args.dev,
        also_score: args.also_score,
        average_last: args.average_last,
        base,
        output: args.output,
        epochs: args.epochs,
        learning_rate: args.learning_rate.unwrap_or(1e-4),
        batch_size: args.batch_size,
        warmup: args.warmup,
        weight_decay: args.weight_decay,
        clip_norm: args.clip_norm,
        model: byline::train::ModelOptionsSer { case_feature: args.case_feature, window: args.window, context: args.context },
        seed: args.seed,
        weights: args.weights,
        max_train_docs: args.max_train_docs,
        scope: args.scope,
        distill: match args.teacher {
            Some(teacher) => Some(byline::train::DistillOptions {
                teacher,
                unlabelled: args.unlabelled,
                weight: args.distill_weight,
                temperature: args.distill_temperature,
            }),
            None if !args.unlabelled.is_empty() => bail!("--unlabelled needs --teacher: texts without gold learn from a teacher's labels"),
            None => None,
        },
        keep_layers: args.keep_layers,
    };
    let log = byline::train::train(&opts, tch::Device::Cpu)?;
    let (kept, dev) = match log.averages.iter().find(|avg| avg.kept) {
        Some(avg) => (format!("the average of epochs {:?}", avg.epochs), avg.dev.as_ref()),
        None => (format!("best epoch {}", log.best_epoch), log.epochs[log.best_epoch - 1].dev.as_ref()),
    };
    eprintln!(
        "train: kept {kept} of {}{}; model in {} ({:.0} s)",
        log.epochs.len(),
        dev.map_or(String::new(), |d| format!(", dev {}", d.exact)),
        opts.output.display(),
        log.seconds
    );
    Ok(())
}

/// The one training file of the tasks that take one.
fn single_file(files: &[PathBuf]) -> Result<PathBuf> {
    match files {
        [one] => Ok(one.clone()),
        _ => bail!("this task reads one --train file; only --task ner takes several"),
    }
}

fn view(args: ViewArgs) -> Result<()> {
    let opts = byline::view::ViewOptions { skip: args.skip, max_articles: args.max_articles };
    let (summary, to) = match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path).with_context(|| format!("cannot write to {}", path.display()))?;
            let mut out = std::io::BufWriter::new(file);
            (byline::view::write_page(&args.inputs, &opts, &mut out)?, path.display().to_string())
        }
        None => (byline::view::write_page(&args.inputs, &opts, &mut std::io::BufWriter::new(std::io::stdout().lock()))?, "standard output".into()),
    };
    eprintln!("byline: view of {} of {} records ({} with errors) → {to}", summary.shown, summary.records, summary.errors);
    if summary.shown < summary.records {
        eprintln!("byline: the page holds records {}–{}; --skip and --max-articles choose others", args.skip + 1, args.skip + summary.shown);
    }
    if summary.bad_spans > 0 {
        eprintln!("byline: warning: {} spans do not fit their article's text and are not drawn (the page says where)", summary.bad_spans);
    }
    Ok(())
}
