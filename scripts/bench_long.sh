#!/usr/bin/env bash
# One long article against a corpus of the same words (issue 14), not a timed test: the cost of
# annotating a document should grow linearly with its length.
#
#   scripts/bench_long.sh [N=550] [ROUNDS=3] [MODEL=models/ner-default]
#
# * Corpus: the N short wire stories of scripts/bench_peers.sh (scripts/bench_peers.py corpus;
#   N=550 is 100,391 words). Long article: the same N stories joined into one article, paragraphs
#   kept, so both inputs hold exactly the same words.
# * Each input is annotated by `byline annotate` (BENCH_STAGES, default ner,quotes,link; the
#   default --precision auto), ROUNDS rounds, interleaved (corpus, then long, then again), each
#   run timed by GNU time. Prints medians of words/s (whole process, model loading included),
#   steady words/s (byline's own processing time), peak RSS and CPU seconds, and long ÷ corpus.
# * A long article costs more model arithmetic than short ones (overlapping windows throughout,
#   every window full length; the corpus's stories mostly fit one window). Where the venv of
#   scripts/bench_peers.sh exists (it has Python's tokenizers), the script prints each input's
#   model FLOPs a word, so that cost is told apart from the pipeline's.
# BYLINE_BIN=path uses another byline binary; BYLINE_BASELINE_BIN=path adds a second one to the
# same rounds (before and after a change). Every run lands in .bench/long/rounds.jsonl.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-550}"; rounds="${2:-3}"; model="${3:-$root/models/ner-default}"
stages="${BENCH_STAGES:-ner,quotes,link}"
bin="${BYLINE_BIN:-$root/target/release/byline}"
[ -x /usr/bin/time ] || { echo "bench_long.sh: needs GNU time (apt-get install time)" >&2; exit 1; }
[ -x "$bin" ] || "$root/scripts/setup.sh"
work="$root/.bench/long"; mkdir -p "$work"
python3 "$root/scripts/bench_peers.py" corpus "$n" "$work/corpus-$n.jsonl"
python3 "$root/scripts/bench_peers.py" corpus "$n" "$work/long-$n.jsonl" --one-article
py=python3; [ -x "$root/.bench/venv/bin/python" ] && py="$root/.bench/venv/bin/python"
exec "$py" - "$root/scripts" "$model" "$stages" "$rounds" "$work" "$work/corpus-$n.jsonl" "$work/long-$n.jsonl" \
  "$bin" ${BYLINE_BASELINE_BIN:+"$BYLINE_BASELINE_BIN"} <<'PY'
import json, os, statistics, subprocess, sys
scripts, model, stages, rounds, work, corpus, long_, *bins = sys.argv[1:]
rounds = int(rounds)
inputs = [corpus, long_]
words = {p: sum(len(json.loads(l)["text"].split()) for l in open(p, encoding="utf-8")) for p in inputs}
names = {corpus: "corpus", long_: "one article"}
binaries = {bins[0]: "byline"} | ({bins[1]: "baseline"} if len(bins) > 1 else {})
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"{words[corpus]} words; corpus: {sum(1 for _ in open(corpus))} articles; "
      f"stages {stages}; {os.cpu_count()} cores ({cpu}); {rounds} interleaved rounds")
runs = {(b, p): [] for b in binaries for p in inputs}
log = open(os.path.join(work, "rounds.jsonl"), "w")
for r in range(1, rounds + 1):
    for b, p in runs:
        timing = os.path.join(work, "time")
        cmd = ["/usr/bin/time", "-f", "%e %M %U %S", "-o", timing, b, "annotate", p, "-o",
               os.path.join(work, "out.jsonl"), "--model", model, "--stages", stages, "--summary-json"]
        res = subprocess.run(cmd, stderr=subprocess.PIPE, text=True)
        if res.returncode != 0:
            sys.exit(f"bench_long: {' '.join(cmd)} failed (exit {res.returncode}):\n{res.stderr[-3000:]}")
        wall, rss_kb, user, sys_ = open(timing).read().split()[-4:]
        summary = json.loads([l for l in res.stderr.splitlines() if l.startswith("{")][-1])
        run = {"binary": binaries[b], "input": names[p], "round": r, "words": words[p], "wall": float(wall),
               "seconds": summary["seconds"], "rss_mb": int(rss_kb) / 1024, "cpu": float(user) + float(sys_),
               "entities": summary["entities"]}
        log.write(json.dumps(run) + "\n")
        log.flush()
        runs[(b, p)].append(run)
        print(f"  round {r} {binaries[b]:<8} {names[p]:<11} wall {run['wall']:6.1f} s  cpu {run['cpu']:6.1f} s  "
              f"peak RSS {run['rss_mb']:5.0f} MB  entities {run['entities']}", flush=True)
med = {}
for (b, p), rs in runs.items():
    w = words[p]
    med[(b, p)] = {"wps": statistics.median(w / x["wall"] for x in rs), "steady": statistics.median(w / x["seconds"] for x in rs),
                   "rss": statistics.median(x["rss_mb"] for x in rs), "cpu": statistics.median(x["cpu"] for x in rs)}
print()
print(f"{'binary':<8} | {'input':<11} | {'words/s':>8} | {'steady words/s':>14} | {'peak RSS':>8} | {'CPU s':>6}")
for (b, p), m in med.items():
    print(f"{binaries[b]:<8} | {names[p]:<11} | {m['wps']:8,.0f} | {m['steady']:14,.0f} | {m['rss']:5,.0f} MB | {m['cpu']:6.1f}")
for b in binaries:
    c, l = med[(b, corpus)], med[(b, long_)]
    print(f"{binaries[b]}: one article ÷ corpus: words/s {l['wps'] / c['wps']:.2f}, steady {l['steady'] / c['steady']:.2f}, "
          f"CPU time {l['cpu'] / c['cpu']:.2f}× (medians)")
try:
    sys.path.insert(0, scripts)
    from bench_peers import flops_report, read_corpus
    fl = {p: flops_report(model, read_corpus(p), words[p]) for p in inputs}
except ImportError:
    print("(model FLOPs need Python's tokenizers: run scripts/bench_peers.sh once to set up its venv)")
else:
    for p in inputs:
        print(f"{names[p]}: {fl[p]['windows']} windows, {fl[p]['positions']} positions, "
              f"{fl[p]['flops_per_word'] / 1e6:.1f} MFLOP a word")
    print(f"model arithmetic, one article ÷ corpus: {fl[long_]['flops_per_word'] / fl[corpus]['flops_per_word']:.2f}")
PY
