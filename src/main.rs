//! The `byline` command line: a thin layer over the library.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use byline::eval;
use byline::ingest::Source;
use byline::ner::Ner;
use byline::pipeline::{self, AnnotateOptions, Stages};

/// Exit status when the run finished but some records carry an error.
const EXIT_RECORD_ERRORS: u8 = 3;

#[derive(Parser)]
#[command(name = "byline", version, about = "Annotate news text: named entities, quotes with speakers, entity links.")]
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
}

#[derive(Args)]
struct ModelArgs {
    /// Model directory (config.json, tokenizer.json, model.safetensors). Default: $BYLINE_MODEL,
    /// else models/ner-default found beside the current folder or the executable.
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
    model: ModelArgs,
    #[command(flatten)]
    stages: StageArgs,
    /// Skip articles whose id is already in the output file and append the rest; a partial
    /// last line left by a killed run is repaired first.
    #[arg(long)]
    resume: bool,
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
    model: ModelArgs,
    #[command(flatten)]
    stages: StageArgs,
    /// Write the predictions made with --model to this file too.
    #[arg(long, value_name = "OUT.jsonl")]
    save_pred: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Annotate(args) => annotate(args),
        Command::Eval(args) => run_eval(args).map(|_| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("byline: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Where the default model is looked for, in order.
fn default_model() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("BYLINE_MODEL") {
        return Ok(PathBuf::from(p));
    }
    let name = Path::new("models").join("ner-default");
    let mut tried = vec![name.clone()];
    if let Ok(exe) = std::env::current_exe() {
        // target/release/byline → the repository root two folders up.
        for up in exe.ancestors().skip(1).take(3) {
            tried.push(up.join(&name));
        }
    }
    for p in &tried {
        if p.join("config.json").is_file() {
            return Ok(p.clone());
        }
    }
    bail!("no model found (looked in {}); pass --model DIR or set BYLINE_MODEL", tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))
}

fn load_ner(args: &ModelArgs) -> Result<Ner> {
    if let Some(n) = args.threads {
        tch::set_num_threads(n as i32);
        // Only the first call configures rayon's pool; later calls in one process are ignored.
        let _ = rayon::ThreadPoolBuilder::new().num_threads(n).build_global();
    }
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
    Ner::load(&dir, device, args.batch_size).with_context(|| format!("cannot load the model in {}", dir.display()))
}

/// Loads what the chosen stages need.
fn build_stages(model: &ModelArgs, stages: &StageArgs) -> Result<Stages> {
    let mut out = Stages { ner: None, quotes: false };
    for stage in &stages.stages {
        match stage {
            StageName::Ner => out.ner = Some(load_ner(model)?),
            StageName::Quotes => out.quotes = true,
            StageName::Link => {}
        }
    }
    Ok(out)
}

fn annotate(args: AnnotateArgs) -> Result<ExitCode> {
    let stages = build_stages(&args.model, &args.stages)?;
    let opts = AnnotateOptions {
        inputs: args.inputs.iter().map(|s| Source::parse(s)).collect(),
        output: args.output.clone(),
        resume: args.resume,
        chunk_words: args.chunk_words,
        progress: std::io::stderr().is_terminal(),
    };
    let summary = pipeline::annotate(&stages, &opts)?;
    if args.summary_json {
        eprintln!("{}", serde_json::to_string(&summary)?);
    } else {
        eprintln!("byline: {summary}");
    }
    Ok(if summary.errors > 0 { ExitCode::from(EXIT_RECORD_ERRORS) } else { ExitCode::SUCCESS })
}

fn run_eval(args: EvalArgs) -> Result<()> {
    let gold_path = args.gold.or(args.conll).expect("clap requires one");
    let gold = eval::gold::read(&gold_path)?;
    let pred = match &args.pred {
        Some(p) => byline::output::read_records(p)?,
        None => {
            let stages = build_stages(&args.model, &args.stages)?;
            let mut docs: Vec<byline::document::Document> =
                gold.iter().map(|g| byline::document::Document::new(g.id.clone(), g.text.clone())).collect();
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
    let report = eval::evaluate(&gold, &pred)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    Ok(())
}
