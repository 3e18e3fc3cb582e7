#!/usr/bin/env python3
"""Builds corpora/gum-quotes/gold.jsonl: speaker gold for the direct quotes of GUM Wikinews and
the seed article, in byline's JSONL gold format (`byline eval --gold` reads it).

The hand decisions are in corpora/gum-quotes/annotations.txt (see README.md there). The texts are
rebuilt from GUM's CoNLL-U files in ../shared/data/gum-wikinews/conllu (CC BY 2.5 text): each
sentence's `# text` line (the original spacing), sentences of a paragraph (`# newpar`) joined by a
space, paragraphs by a blank line. The seed article is corpora/sample/csto-article.txt.

Usage: scripts/build_quote_gold.py [--shared ../shared]   (Python 3, no packages)
Checks every annotation (its quote and speaker found, once) and lists the quotation marks of the
texts that no annotation covers; exits 1 on any problem.
"""

import argparse
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FOLDER = os.path.join(ROOT, "corpora", "gum-quotes")
OPENING = "\"“”'‘`«"


def gum_text(path):
    paragraphs, current = [], []
    for line in open(path, encoding="utf-8"):
        if line.startswith("# newpar") and not line.startswith("# newpar_block"):
            if current:
                paragraphs.append(" ".join(current))
            current = []
        elif line.startswith("# text = "):
            current.append(line[len("# text = "):].rstrip("\n"))
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs) + "\n"


def read_annotations(path):
    rows = []
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.rstrip().rstrip("|").split(" | ")]
        if len(fields) < 5:
            sys.exit(f"{path}:{n}: expected 'doc | content | decision | speaker | name | why'")
        doc, content, decision, speaker, name = fields[:5]
        if decision not in ("direct", "none"):
            sys.exit(f"{path}:{n}: decision must be direct or none, not {decision!r}")
        rows.append({"line": n, "doc": doc, "content": content, "decision": decision, "speaker": speaker, "name": name, "why": fields[5] if len(fields) > 5 else ""})
    return rows


def find_content(text, spec, line, every=False):
    """(start, end) of the content between the marks: `FIRST … LAST` or a whole string; a `#N`
    after FIRST picks its N-th occurrence. With `every`, all occurrences (for spans judged not
    direct, which may recur: a scare quote in the headline and the body)."""
    first, _, last = spec.partition(" … ")
    occurrence = 1
    m = re.search(r"#(\d+)$", first)
    if m:
        occurrence, first = int(m.group(1)), first[: m.start()]
    # A span judged not direct may be a stray mark's neighbour rather than a quote's content.
    starts = [i for i in range(len(text)) if text.startswith(first, i) and (every or opened(text, i))]
    if len(starts) < occurrence:
        raise ValueError(f"line {line}: content {first!r} not found after a quotation mark")
    if every and not m:
        return [span_from(text, s, first, last, line) for s in starts]
    if len(starts) > 1 and not m:
        raise ValueError(f"line {line}: content {first!r} occurs {len(starts)} times; add #N")
    return [span_from(text, starts[occurrence - 1], first, last, line)]


def span_from(text, start, first, last, line):
    if last:
        end = text.find(last, start + len(first) - len(last) if len(last) < len(first) else start)
        if end < 0:
            raise ValueError(f"line {line}: end {last!r} not found after {first!r}")
        end += len(last)
    else:
        end = start + len(first)
    while end > start and text[end - 1] in ", ":
        end -= 1
    return start, end


def opened(text, i):
    j = i - 1
    while j >= 0 and text[j] == " ":
        j -= 1
    return j >= 0 and text[j] in OPENING


def find_speaker(text, spec, near, line):
    m = re.fullmatch(r"(.*?)\[(.+?)\](.*)", spec)
    if not m:
        raise ValueError(f"line {line}: speaker {spec!r} is not left[MENTION]right")
    left, mention, right = m.groups()
    whole = left + mention + right
    hits = [i for i in range(len(text)) if text.startswith(whole, i)]
    if not hits:
        raise ValueError(f"line {line}: speaker context {whole!r} not found")
    at = min(hits, key=lambda i: abs(i - near)) + len(left)
    return at, at + len(mention)


def build(shared):
    rows = read_annotations(os.path.join(FOLDER, "annotations.txt"))
    texts = {}
    conllu = os.path.join(shared, "data", "gum-wikinews", "conllu")
    if not os.path.isdir(conllu):
        sys.exit(f"{conllu} not found: pass --shared DIR (the folder holding data/gum-wikinews)")
    for name in sorted(os.listdir(conllu)):
        if name.endswith(".conllu"):
            texts[name[: -len(".conllu")]] = gum_text(os.path.join(conllu, name))
    texts["seed-csto"] = open(os.path.join(ROOT, "corpora", "sample", "csto-article.txt"), encoding="utf-8").read()
    problems = []
    quotes = {doc: [] for doc in texts}
    covered = {doc: [] for doc in texts}
    for r in rows:
        text = texts.get(r["doc"])
        if text is None:
            problems.append(f"line {r['line']}: unknown document {r['doc']}")
            continue
        try:
            spans = find_content(text, r["content"], r["line"], every=r["decision"] == "none")
            covered[r["doc"]].extend(spans)
            if r["decision"] == "none":
                continue
            [(start, end)] = spans
            speaker = None
            if r["speaker"] != "-":
                s, e = find_speaker(text, r["speaker"], start, r["line"])
                speaker = {"start": s, "end": e, "text": text[s:e], "name": None if r["name"] == "-" else r["name"], "entity": None, "kb_id": None}
            quotes[r["doc"]].append({"start": start, "end": end, "text": text[start:end], "kind": "direct", "cue": None, "speaker": speaker, "score": 1.0})
        except ValueError as err:
            problems.append(str(err))
    # Every quotation mark should open, close or sit inside an annotated span.
    for doc, text in texts.items():
        spans = covered[doc]
        for m in re.finditer(r"[\"“”«»]|(?<![A-Za-z])[‘`]", text):
            i = m.start()
            if any(s - 3 <= i < e + 3 for s, e in spans):
                continue
            context = text[max(0, i - 40): i + 40].replace("\n", "⏎")
            print(f"note: {doc}: unannotated mark at {i}: …{context}…", file=sys.stderr)
    if problems:
        for p in problems:
            print(f"error: {p}", file=sys.stderr)
        sys.exit(1)
    out = os.path.join(FOLDER, "gold.jsonl")
    with open(out, "w", encoding="utf-8") as f:
        for doc in sorted(texts):
            qs = sorted(quotes[doc], key=lambda q: q["start"])
            f.write(json.dumps({"schema_version": "1.0", "id": doc, "text": texts[doc], "quotes": qs}, ensure_ascii=False) + "\n")
    n = sum(len(q) for q in quotes.values())
    named = sum(1 for qs in quotes.values() for q in qs if q["speaker"])
    print(f"wrote {out}: {len(texts)} documents, {n} direct quotes ({named} with a speaker), {len(rows) - n} spans judged not direct", file=sys.stderr)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    build(ap.parse_args().shared)
