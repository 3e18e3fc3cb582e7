#!/usr/bin/env bash
# GPU check, for a machine with an NVIDIA GPU (not a test: CI has none). Builds byline against
# the CUDA libtorch (scripts/setup.sh --gpu), annotates the same corpus with --device cpu and
# --device cuda, prints words/s for each, and checks that the entities agree: the same spans
# and labels in every record, scores within 1e-3.
#
#   scripts/gpu_check.sh [ARTICLES=500] [BATCH=64]
#
# Exit status 0 when CPU and GPU agree, 1 when they differ, 2 when no GPU is usable.
# GPU_CHECK_SECOND=cpu runs the second pass on the CPU too (checks this script on any machine);
# GPU_CHECK_NO_SETUP=1 skips the set-up when .libtorch already holds the CUDA libtorch.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-500}"; batch="${2:-64}"
second="${GPU_CHECK_SECOND:-cuda}"
bin="$root/target/release/byline"
work="$root/.bench/gpu"; mkdir -p "$work"

if [ "${GPU_CHECK_NO_SETUP:-0}" != 1 ]; then
  if [ "$second" = cuda ]; then "$root/scripts/setup.sh" --gpu; else "$root/scripts/setup.sh"; fi
fi
if [ "$second" = cuda ] && ! command -v nvidia-smi >/dev/null; then
  echo "gpu_check: no nvidia-smi here: this check needs a machine with an NVIDIA GPU" >&2
  exit 2
fi

corpus="$work/corpus-$n.jsonl"
python3 "$root/scripts/bench_peers.py" corpus "$n" "$corpus"

run() { # device output -> prints the summary's words/s
  "$bin" annotate "$corpus" -o "$2" --stages ner --device "$1" --precision fp32 --batch-size "$batch" --summary-json 2> "$2.err" \
    || { echo "gpu_check: byline failed on $1:" >&2; cat "$2.err" >&2; exit 2; }
  python3 -c 'import json,sys; s=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]); print(round(s["words"] / s["seconds"]))' "$2.err"
}
echo "gpu_check: $n articles, batch $batch; $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 || echo 'no GPU')"
cpu_wps=$(run cpu "$work/cpu.jsonl")
printf '  %-10s %s words/s (%s cores)\n' "cpu:" "$cpu_wps" "$(nproc)"
gpu_wps=$(run "$second" "$work/second.jsonl")
printf '  %-10s %s words/s\n' "$second:" "$gpu_wps"

python3 - "$work/cpu.jsonl" "$work/second.jsonl" "$second" <<'PY'
import json, sys
second = sys.argv[3]
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
if [r["id"] for r in a] != [r["id"] for r in b]:
    sys.exit("gpu_check: the two runs wrote different records")
spans = lambda r: [(e["start"], e["end"], e["label"]) for e in r.get("entities", [])]
differ, worst, n_ents = [], 0.0, 0
for ra, rb in zip(a, b):
    if spans(ra) != spans(rb):
        differ.append((ra["id"], sorted(set(spans(ra)) ^ set(spans(rb)))))
        continue
    for ea, eb in zip(ra.get("entities", []), rb.get("entities", [])):
        worst = max(worst, abs(ea["score"] - eb["score"]))
        n_ents += 1
print(f"  entities: {n_ents} agree in span and label, largest score difference {worst:.5f}")
for rid, diff in differ[:10]:
    print(f"  DIFFERENT spans/labels in {rid}: {diff}")
ok = not differ and worst <= 1e-3
print("gpu_check: " + (f"PASS: cpu and {second} agree" if ok else f"FAIL: {len(differ)} records differ, score gap {worst:.5f}"))
sys.exit(0 if ok else 1)
PY
