#!/usr/bin/env bash
# Throughput of `byline annotate` on this machine: builds a synthetic corpus of N articles from
# corpora/sample (articles repeated with fresh ids), then times each stage selection on the same
# texts, one after the other, R rounds, and prints words/s and peak RSS (median over rounds).
# Usage: scripts/bench_annotate.sh [N=500] [ROUNDS=3] [MODEL=models/ner-default]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-500}"; rounds="${2:-3}"; model="${3:-$root/models/ner-default}"
bin="$root/target/release/byline"
[ -x /usr/bin/time ] || { echo "bench_annotate.sh: needs GNU time (apt-get install time)" >&2; exit 1; }
[ -x "$bin" ] || "$root/scripts/setup.sh"
work="$root/.bench"; mkdir -p "$work"
corpus="$work/corpus-$n.jsonl"
python3 - "$root/corpora/sample" "$n" "$corpus" <<'PY'
import json, os, sys
src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
docs = [json.loads(l) for l in open(os.path.join(src, "gum-wikinews.jsonl"))]
docs.append({"id": "csto", "text": open(os.path.join(src, "csto-article.txt")).read()})
with open(out, "w") as f:
    for i in range(n):
        d = docs[i % len(docs)]
        f.write(json.dumps({"id": f"{d['id']}#{i}", "text": d["text"]}, ensure_ascii=False) + "\n")
PY
words=$(python3 -c "import json,sys; print(sum(len(json.loads(l)['text'].split()) for l in open(sys.argv[1])))" "$corpus")
echo "corpus: $n articles, $words words; $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for stages in ner "${BENCH_STAGES:-ner,quotes,link}"; do
  results=()
  for r in $(seq "$rounds"); do
    /usr/bin/time -f "%e %M" -o "$work/time" "$bin" annotate "$corpus" -o "$work/out.jsonl" --model "$model" --stages "$stages" 2>/dev/null || true
    read -r secs rss_kb < "$work/time"
    results+=("$secs $rss_kb")
  done
  printf '%s\n' "${results[@]}" | sort -n | awk -v w="$words" -v s="$stages" -v r="$rounds" '
    {t[NR]=$1; m[NR]=$2} END {med=t[int((NR+1)/2)]; mm=m[int((NR+1)/2)];
    printf "stages %-18s median %.1f s over %d rounds: %.0f words/s, peak RSS %.0f MB\n", s, med, r, w/med, mm/1024}'
done
