#!/usr/bin/env bash
# Time and peak memory of `byline report` at growing corpus sizes (docs/benchmarks.md).
#
# Builds a synthetic corpus of annotated articles from real output of corpora/sample: each
# record is one of the sample's annotated articles with its unlinked people and organisations
# renamed (a name's words mapped to other words, the same mapping within a record, so `Hakob
# Badalyan` and `Badalyan` stay one person), the text and every offset rewritten to match, and a
# date and id of its own. Which renaming a record gets is drawn with probability ∝ 1/rank, so a
# few names recur across thousands of articles and most are rare, as in news. The records carry
# no `id` fields (output before schema 1.1), so report computes every id: the slower path.
# Then times `byline report` with GNU time at each size, R rounds, and prints median wall time
# and peak RSS; at each size above the smallest also on the smallest corpus repeated to that size
# under new record ids (as many records, no more distinct names), which separates memory that
# grows with records (there should be none) from memory that grows with distinct names.
# Usage: scripts/bench_report.sh [SIZES="10000 100000"] [ROUNDS=3]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sizes="${1:-10000 100000}"; rounds="${2:-3}"
bin="$root/target/release/byline"
[ -x /usr/bin/time ] || { echo "bench_report.sh: needs GNU time (apt-get install time)" >&2; exit 1; }
[ -x "$bin" ] || "$root/scripts/setup.sh"
work="$root/.bench/report"; mkdir -p "$work"
sample="$work/sample.jsonl"
[ -s "$sample" ] || "$bin" annotate "$root/corpora/sample" -o "$sample" 2>/dev/null
largest=$(printf '%s\n' $sizes | sort -n | tail -1)
corpus="$work/corpus-$largest.jsonl"
[ -s "$corpus" ] || python3 - "$sample" "$largest" "$corpus" <<'PY'
import json, random, sys, zlib

sample, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
base = [json.loads(l) for l in open(sample, encoding="utf-8")]
rng = random.Random(15)
syllables = ["ka", "lo", "mi", "ra", "ven", "tor", "shi", "na", "bel", "dor", "an", "es", "ul", "gri", "pa", "zo", "ter", "mun", "li", "sa"]
# 8,000 name words of two or three syllables: `Kalo`, `Venshina`.
words = sorted({"".join(rng.choice(syllables) for _ in range(rng.choice((2, 3)))).capitalize() for _ in range(12000)})[:8000]
RENAMINGS = 50_000

def renamed(word, variant):
    if variant == 0 or not word[:1].isupper():
        return word
    stem, possessive = (word[:-2], word[-2:]) if word[-2:] in ("’s", "'s") else (word, "")
    return words[zlib.crc32(f"{stem}|{variant}".encode()) % len(words)] + possessive

def rename(name, variant):
    return " ".join(renamed(w, variant) for w in name.split(" "))

def synth(rec, i, variant):
    text = rec["text"]
    ents = rec["entities"]
    # Unlinked PER and ORG mentions are renamed; places, MISC and linked entities keep their names.
    edits = sorted((e["start"], e["end"], rename(e["text"], variant)) for e in ents if e["label"] in ("PER", "ORG") and not e.get("link"))
    pieces, shifts, pos = [], [], 0
    for s, e, new in edits:
        pieces.append(text[pos:s]); pieces.append(new); pos = e
        shifts.append((s, e, len(new) - (e - s)))
    pieces.append(text[pos:])
    new_text = "".join(pieces)

    def at(p, end):
        delta = 0
        for s, e, d in shifts:
            if e <= p:
                delta += d
            elif s < p < e:
                return s + delta + (e - s + d if end else 0)
        return p + delta

    def span(o):
        o["start"], o["end"] = at(o["start"], False), at(o["end"], True)
        o["text"] = new_text[o["start"]:o["end"]]
    for e in ents:
        span(e); e.pop("id", None)
    for q in rec["quotes"]:
        span(q)
        if q.get("cue"):
            span(q["cue"])
        s = q.get("speaker")
        if s:
            span(s); s.pop("id", None)
            if s.get("name") and not s.get("kb_id"):
                s["name"] = rename(s["name"], variant)
    rec.update(schema_version="1.0", id=f"synth-{i}", text=new_text)
    meta = rec.get("meta") or {}
    meta["date"] = f"{2000 + i % 25}-{1 + i % 12:02d}-{1 + i % 28:02d}"
    rec["meta"] = meta
    return rec

with open(out, "w", encoding="utf-8") as f:
    for i in range(n):
        variant = int(RENAMINGS ** rng.random()) - 1  # P(variant) ∝ 1/(variant+1)
        rec = json.loads(json.dumps(base[i % len(base)]))
        f.write(json.dumps(synth(rec, i, variant), ensure_ascii=False) + "\n")
PY
echo "$(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average $(cut -d' ' -f1-3 /proc/loadavg)"
smallest=$(printf '%s\n' $sizes | sort -n | head -1)
[ -s "$work/corpus-$smallest.jsonl" ] || head -n "$smallest" "$corpus" > "$work/corpus-$smallest.jsonl"

# time NAME FILE: median wall time and peak RSS over the rounds, and the last run's summary.
time_report() {
  local name="$1" input="$2" results=()
  for r in $(seq "$rounds"); do
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$bin" report "$input" -o "$work/tables" 2> "$work/summary.txt"
    read -r secs user sys rss_kb < "$work/time"
    results+=("$secs $user $sys $rss_kb")
  done
  # The median round by wall time; CPU time (user + sys) tells the work apart from waiting on a
  # busy machine.
  printf '%s\n' "${results[@]}" | sort -n | awk -v n="$name" -v r="$rounds" -v mb="$(du -m "$input" | cut -f1)" '
    {t[NR]=$1; c[NR]=$2+$3; m[NR]=$4} END {i=int((NR+1)/2); printf "%-32s %5d MB: median %5.1f s wall (%5.1f s CPU) over %d rounds, peak RSS %4.0f MB\n", n, mb, t[i], c[i], r, m[i]/1024}'
  grep -o '[0-9]* mentions of [0-9]* entities\|[0-9]* named speakers\|pruned.*fewer' "$work/summary.txt" | paste -sd ';' | sed 's/^/    /'
}

for n in $sizes; do
  input="$work/corpus-$n.jsonl"
  [ -s "$input" ] || head -n "$n" "$corpus" > "$input"
  time_report "$n records, names long-tailed" "$input"
  if [ "$n" -gt "$smallest" ]; then
    # The smallest corpus again and again under new record ids: as many records, as many
    # distinct names as the smallest, so that memory is seen against records alone.
    repeated="$work/repeated-$n.jsonl"
    [ -s "$repeated" ] || for k in $(seq $((n / smallest))); do sed "s/\"id\": \"synth-/\"id\": \"r$k-synth-/" "$work/corpus-$smallest.jsonl"; done > "$repeated"
    time_report "$n records, $smallest repeated" "$repeated"
  fi
done
