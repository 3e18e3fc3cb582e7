#!/usr/bin/env python3
"""Annotates a JSONL corpus with byline on Apache Spark (see docs/scaling.md).

Each partition of the input goes through one `byline annotate -` process (RDD.pipe). The output
folder holds one part file per partition; read in name order, the part files hold every input
record once, in input order. With --merged they are also joined into one file, which equals what
`byline annotate INPUT...` writes on one machine.

    spark-submit scripts/spark_annotate.py INPUT... -o OUT_DIR [--merged OUT.jsonl] [-- FLAGS]
    python3 scripts/spark_annotate.py INPUT... -o OUT_DIR --master 'local[4]'

Flags after `--` go to `byline annotate` as they are (e.g. -- --batch-size 16). Exit status as
byline's: 0 when every record was annotated, 3 when some records carry an error (they are in the
output and counted), 1 when the job failed.
"""
import argparse
import json
import os
import re
import shlex
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXIT_RECORD_ERRORS = 3

# Runs the command in its arguments and turns byline's exit status 3 (finished; some records carry
# an error, and they are in the output) into 0, so that RDD.pipe(checkCode=True) fails a task
# only when byline itself failed: 1 (could not run), 2 (usage), 127 (not found), 128+ (killed).
WRAPPER = '"$@"; s=$?; if [ "$s" -eq 3 ]; then exit 0; fi; exit "$s"'

# What byline counts as a blank line (skipped, but counted in line numbers): ASCII white space.
ASCII_SPACE = " \t\n\x0c\r"

# A record whose line gave no id (malformed JSON, no "id" field) is named after where it was read;
# in a pipe that is `<stdin>:LINE`, LINE counted from the partition's first line. (An input id that
# is literally `<stdin>:N` would be renamed too.)
STDIN_ID = re.compile(r'^\{"schema_version":"[^"]*","id":("<stdin>:([0-9]+)")')
# `error` is the last field of a record, and present only when the record failed.
ERROR_FIELD = re.compile(r',"error":"(?:[^"\\]|\\.)*"\}$')

# By default a partition holds at least this much input (1 MB of JSONL news is about 230 articles
# and 160,000 words, a minute or more of the default model on one thread), so that loading the
# model (about a second) is a small part of each task.
MIN_PARTITION_BYTES = 1 << 20

# Flags that would break the one-record-out-per-record-in stream.
NOT_IN_A_PIPE = ("-o", "--output", "--resume", "--shard")


def parse_args(argv):
    extra = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    default_byline = os.path.join(REPO, "target", "release", "byline")
    p = argparse.ArgumentParser(
        description="Annotate a JSONL corpus with byline on Apache Spark.",
        epilog="Flags after -- go to `byline annotate` as they are, e.g. -- --batch-size 16.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help='JSONL files ({"id", "text", "title"?} a line, .gz too) or folders of them '
                        '(every file not starting with _ or ., sorted), as paths or Hadoop URIs')
    p.add_argument("-o", "--output", required=True, metavar="DIR",
                   help="folder for the part files; must not exist")
    p.add_argument("--merged", metavar="FILE", help="also join the part files into FILE (input order)")
    p.add_argument("--byline", default=default_byline, metavar="PATH",
                   help="the byline binary, as the executors see it (default: %(default)s)")
    p.add_argument("--model", metavar="DIR", help="byline --model (default: byline's)")
    p.add_argument("--gazetteer", metavar="DIR", help="byline --gazetteer (default: byline's)")
    p.add_argument("--stages", metavar="LIST", help="byline --stages (default: byline's, ner,quotes,link)")
    p.add_argument("--threads", type=int, metavar="N",
                   help="byline threads per task; sets spark.task.cpus unless that is set "
                        "(default: spark.task.cpus, else 1)")
    p.add_argument("--partitions", type=int, metavar="N",
                   help="split the input into about N partitions, one byline process each "
                        "(default: 4 per task slot, each at least 1 MB of input)")
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                   help="environment variable for byline, which RDD.pipe starts with these only "
                        "(e.g. LD_LIBRARY_PATH=byline/lib); repeatable")
    p.add_argument("--master", help="Spark master URL (default: spark-submit's, else local[*])")
    args = p.parse_args(argv)
    bad = [f for f in extra if f.split("=")[0] in NOT_IN_A_PIPE]
    if bad:
        p.error(f"{' '.join(bad)}: not in a pipe, which must carry one record out per record in")
    if any("=" not in e for e in args.env):
        p.error("--env takes NAME=VALUE")
    for name in ("threads", "partitions"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            p.error(f"--{name} must be at least 1")
    args.extra = extra
    return args


def byline_command(args, threads):
    cmd = [args.byline, "annotate", "-", "--threads", str(threads)]
    for flag in ("model", "gazetteer", "stages"):
        if getattr(args, flag):
            cmd += [f"--{flag}", getattr(args, flag)]
    return ["/bin/sh", "-c", WRAPPER, "byline-task"] + cmd + args.extra


def list_inputs(sc, inputs):
    """(path, name, size) of each input file in byline's order: as given, a folder's files sorted
    by path. `name` is what byline would call the file in `FILE:LINE` ids."""
    jvm, conf = sc._jvm, sc._jsc.hadoopConfiguration()
    files = []
    for arg in inputs:
        path = jvm.org.apache.hadoop.fs.Path(arg)
        fs = path.getFileSystem(conf)
        if not fs.exists(path):
            sys.exit(f"spark_annotate: {arg}: no such file or folder")
        status = fs.getFileStatus(path)
        if status.isFile():
            files.append((arg, arg, status.getLen()))
            continue
        root = status.getPath().toString().rstrip("/") + "/"
        found = []
        listing = fs.listFiles(path, True)
        while listing.hasNext():
            f = listing.next()
            full = f.getPath().toString()
            name = full[len(root):]
            if not any(part.startswith(("_", ".")) for part in name.split("/")):
                found.append((full, name, f.getLen()))
        files += sorted(found, key=lambda f: f[1].split("/"))
    return files


def read_input(sc, files, partitions):
    """The input as one RDD of lines, partitions in input order (no shuffle anywhere, so order
    holds), and for each partition (file name, number of its first line in the file, records)."""
    total = sum(size for _, _, size in files) or 1
    rdds = [sc.textFile(path, max(1, round(partitions * size / total))) for path, _, size in files]
    lines = sc.union(rdds)

    def count(index, part):
        n = records = 0
        for line in part:
            n += 1
            records += bool(line.strip(ASCII_SPACE))
        yield index, n, records

    counts = sorted(lines.mapPartitionsWithIndex(count).collect())
    info, index = [], 0
    for (_, name, _), rdd in zip(files, rdds):
        first = 1
        for _ in range(rdd.getNumPartitions()):
            _, n, records = counts[index]
            info.append((name, first, records))
            first += n
            index += 1
    return lines, info


def check_and_name(info):
    """Per partition: renames `<stdin>:LINE` ids to `FILE:LINE` as one byline run over the files
    would name them, and fails the task unless byline wrote one record per input record."""
    def run(index, records):
        name, first, expected = info[index]
        n = 0
        for line in records:
            n += 1
            m = STDIN_ID.match(line)
            if m:
                where = json.dumps(f"{name}:{first + int(m.group(2)) - 1}", ensure_ascii=False)
                line = line[:m.start(1)] + where + line[m.end(1):]
            yield line
        if n != expected:
            raise RuntimeError(f"spark_annotate: partition {index} ({name} from line {first}): "
                               f"{expected} records in, {n} out")
    return run


def task_failure(error):
    """The line of a failed job's report that says why its task failed."""
    text = str(error)
    found = re.search(r"spark_annotate: .*|Pipe function .* exited with error code -?[0-9]+", text)
    return found.group(0) if found else text.strip().splitlines()[0]


def merge(sc, folder, target):
    """Joins the part files of `folder` in partition order into `target` (any Hadoop file system)."""
    jvm, conf = sc._jvm, sc._jsc.hadoopConfiguration()
    src = jvm.org.apache.hadoop.fs.Path(folder)
    src_fs = src.getFileSystem(conf)
    parts = [s.getPath() for s in src_fs.listStatus(src) if s.getPath().getName().startswith("part-")]
    parts.sort(key=lambda p: int(p.getName().split("-")[1]))
    dst = jvm.org.apache.hadoop.fs.Path(target)
    dst_fs = dst.getFileSystem(conf)
    tmp = jvm.org.apache.hadoop.fs.Path(target + ".tmp")
    out = dst_fs.create(tmp, True)
    for part in parts:
        stream = src_fs.open(part)
        jvm.org.apache.hadoop.io.IOUtils.copyBytes(stream, out, conf, False)
        stream.close()
    out.close()
    dst_fs.delete(dst, False)
    if not dst_fs.rename(tmp, dst):
        sys.exit(f"spark_annotate: cannot move {target}.tmp to {target}")


def main(argv):
    args = parse_args(argv)
    from pyspark import SparkConf, SparkContext

    # Starts (or, under spark-submit, joins) the JVM first, so that the configuration holds what
    # spark-submit and spark-defaults.conf set and setIfMissing means what it says.
    SparkContext._ensure_initialized()
    conf = SparkConf().setAppName("byline annotate")
    if args.master:
        conf.setMaster(args.master)
    conf.setIfMissing("spark.master", "local[*]")
    task_cpus = conf.get("spark.task.cpus", None)
    threads = args.threads or int(task_cpus or 1)
    conf.setIfMissing("spark.task.cpus", str(threads))
    if conf.get("spark.master").startswith("local"):
        # Local Python workers run with this interpreter, the one that has pyspark.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    sc = SparkContext(conf=conf)
    sc.setLogLevel("WARN")
    try:
        out_path = sc._jvm.org.apache.hadoop.fs.Path(args.output)
        if out_path.getFileSystem(sc._jsc.hadoopConfiguration()).exists(out_path):
            sys.exit(f"spark_annotate: {args.output} already exists; remove it or choose another folder")
        files = list_inputs(sc, args.inputs)
        if not files:
            sys.exit(f"spark_annotate: no input files in {' '.join(args.inputs)}")
        slots = max(1, sc.defaultParallelism // int(conf.get("spark.task.cpus")))
        size = sum(size for _, _, size in files)
        lines, info = read_input(sc, files, args.partitions or min(4 * slots, 1 + size // MIN_PARTITION_BYTES))
        records_in = sum(records for _, _, records in info)

        command = shlex.join(byline_command(args, threads))
        env = dict(e.split("=", 1) for e in args.env)
        print(f"spark_annotate: {records_in} records in {len(info)} partitions from {len(files)} "
              f"file(s), {threads} byline thread(s) per task: {command}", file=sys.stderr)
        annotated = lines.pipe(command, env=env, checkCode=True).mapPartitionsWithIndex(check_and_name(info))
        try:
            annotated.saveAsTextFile(args.output)
        except Exception as e:  # the job failed; the folder was not there before, so it goes
            out_path.getFileSystem(sc._jsc.hadoopConfiguration()).delete(out_path, True)
            print(f"spark_annotate: the job failed: {task_failure(e)}", file=sys.stderr)
            return 1

        # What is on disk, counted again.
        written, errors = sc.textFile(args.output).map(
            lambda line: (1, int(bool(ERROR_FIELD.search(line))))
        ).fold((0, 0), lambda a, b: (a[0] + b[0], a[1] + b[1]))
        if written != records_in:
            sys.exit(f"spark_annotate: {records_in} records in but {written} in {args.output}; "
                     "the output is incomplete")
        if args.merged:
            merge(sc, args.output, args.merged)
        print(f"spark_annotate: {written} records ({written - errors} annotated, {errors} errors) "
              f"in {args.output}" + (f" and {args.merged}" if args.merged else ""), file=sys.stderr)
        return EXIT_RECORD_ERRORS if errors else 0
    finally:
        sc.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
