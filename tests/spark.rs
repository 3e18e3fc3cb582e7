//! byline on Apache Spark: `scripts/spark_annotate.py` in local mode writes, record for record and
//! byte for byte, what one `byline annotate` run writes, bad records included; a byline that
//! cannot run fails the job. Needs Java and pyspark (`scripts/setup_spark.sh` puts pyspark in
//! `.venv/`; `$BYLINE_PYTHON` names another Python); without them the tests say so and pass.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;

/// One Spark at a time: two JVMs at once would only slow each other down.
static SPARK: Mutex<()> = Mutex::new(());

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Python with pyspark, or why there is none.
fn spark_python() -> Result<PathBuf, String> {
    let python = std::env::var_os("BYLINE_PYTHON").map_or_else(|| root().join(".venv/bin/python"), PathBuf::from);
    let runs = |cmd: &mut Command| cmd.stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
    if !runs(Command::new(&python).args(["-c", "import pyspark"])) {
        return Err(format!("no pyspark in {}", python.display()));
    }
    let java = std::env::var_os("JAVA_HOME").map_or_else(|| PathBuf::from("java"), |h| Path::new(&h).join("bin/java"));
    if !runs(Command::new(&java).arg("-version")) {
        return Err(format!("cannot run {}", java.display()));
    }
    Ok(python)
}

/// The Python with pyspark; `None`, with a note, where Spark cannot run. The note goes straight to
/// standard error, past the test harness's capture, so that a skip shows in every log.
fn spark_or_skip() -> Option<PathBuf> {
    use std::io::Write;
    match spark_python() {
        Ok(python) => Some(python),
        Err(why) => {
            let _ = writeln!(std::io::stderr(), "tests/spark.rs skipped: {why}; run scripts/setup_spark.sh");
            None
        }
    }
}

/// Runs the Spark job in local mode with two task slots.
fn spark_annotate(python: &Path, args: &[&str]) -> Output {
    let _one_at_a_time = SPARK.lock().unwrap_or_else(|e| e.into_inner());
    let started = std::time::Instant::now();
    let out = Command::new(python)
        .arg(root().join("scripts/spark_annotate.py"))
        .args(["--master", "local[2]", "--threads", "1", "--byline", env!("CARGO_BIN_EXE_byline")])
        .args(args)
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        // A JVM that starts quicker (a third less CPU for a job this small).
        .env("JAVA_TOOL_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
        .output()
        .unwrap();
    eprintln!("spark job: {:.1} s", started.elapsed().as_secs_f64());
    out
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn spark_job_writes_what_one_run_writes() {
    let Some(python) = spark_or_skip() else { return };
    let model = tiny_model();
    let dir = tempfile::tempdir().unwrap();
    // The sample articles with bad lines among them, so that some fall in later partitions: their
    // `FILE:LINE` ids must count lines from the top of the file, not of the partition.
    let sample = std::fs::read_to_string(root().join("corpora/sample/gum-wikinews.jsonl")).unwrap();
    let mut lines: Vec<&str> = sample.lines().take(16).collect();
    lines.insert(13, "{broken json");
    lines.insert(9, "");
    lines.insert(4, r#"{"id":"empty","text":"  "}"#);
    let news = write(dir.path(), "news.jsonl", (lines.join("\n") + "\n").as_bytes());
    let mut more = jsonl_corpus(12, |i| (format!("m{i:02}"), format!("Report {i}: Putin met Tokayev in Astana, officials said.")));
    more.push_str("{\"id\":\"num\",\"text\":5}\n{\"text\":\"No id: Lukashenko spoke in Minsk.\"}\n");
    let more = write(dir.path(), "more.jsonl", more.as_bytes());

    let m = path(model.path());
    let one = dir.path().join("one.jsonl");
    let res = byline(&["annotate", path(&news), path(&more), "-o", path(&one), "--model", m, "--threads", "1", "--batch-size", "4"], None);
    assert_eq!(res.status.code(), Some(3), "{}", String::from_utf8_lossy(&res.stderr));

    let (parts, merged) = (dir.path().join("parts"), dir.path().join("merged.jsonl"));
    let res = spark_annotate(&python, &[
        path(&news), path(&more), "-o", path(&parts), "--merged", path(&merged),
        "--partitions", "4", "--model", m, "--", "--batch-size", "4",
    ]);
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(3), "exit 3: finished, some records carry an error\n{stderr}");
    assert!(stderr.contains("32 records (29 annotated, 3 errors)"), "{stderr}");

    let want = std::fs::read(&one).unwrap();
    assert_eq!(String::from_utf8(std::fs::read(&merged).unwrap()).unwrap(), String::from_utf8(want).unwrap());
    // The part files, in name order, are the merged file.
    let mut names: Vec<PathBuf> = std::fs::read_dir(&parts).unwrap().map(|e| e.unwrap().path()).collect();
    names.retain(|p| p.file_name().unwrap().to_str().unwrap().starts_with("part-"));
    names.sort();
    assert!(names.len() >= 4, "the input was split: {names:?}");
    let joined: Vec<u8> = names.iter().flat_map(|p| std::fs::read(p).unwrap()).collect();
    assert_eq!(joined, std::fs::read(&merged).unwrap());
    let broken_id = serde_json::to_string(&format!("{}:16", path(&news))).unwrap();
    let holder = names.iter().position(|p| std::fs::read_to_string(p).unwrap().contains(&broken_id)).unwrap();
    assert!(holder > 0, "the malformed line lies past the first partition, so its line number counts earlier ones");

    let recs = records(&merged);
    assert_offsets(&recs);
    let failed: Vec<&str> = recs.iter().filter(|r| r.error.is_some()).map(|r| r.id.as_str()).collect();
    assert_eq!(failed, ["empty", &format!("{}:16", path(&news)), "num"]);
    assert_eq!(recs.last().unwrap().id, format!("{}:14", path(&more)), "a record without an id is named by its line");
}

#[test]
fn a_byline_that_cannot_run_fails_the_job() {
    let Some(python) = spark_or_skip() else { return };
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "in.jsonl", jsonl_corpus(3, |i| (format!("x{i}"), "Moscow.".into())).as_bytes());
    let parts = dir.path().join("parts");
    let missing = dir.path().join("no-model");
    let res = spark_annotate(&python, &[path(&input), "-o", path(&parts), "--model", path(&missing)]);
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot load the model"), "byline's own message reaches the log: {stderr}");
    assert!(stderr.contains("spark_annotate: the job failed: Pipe function"), "{stderr}");
    assert!(!parts.exists(), "a failed job leaves no output folder behind");
}
