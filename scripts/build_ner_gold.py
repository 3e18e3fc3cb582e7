#!/usr/bin/env python3
"""Builds corpora/gum-ner/gold.jsonl: named-entity gold in CoNLL-2003 conventions (PER, ORG, LOC,
MISC) for the 24 GUM Wikinews news documents, in byline's JSONL gold format (`byline eval --gold`).

Two steps, both here so that the gold is reproducible:
1. Candidates from GUM's own annotation (../shared/data/gum-wikinews/conllu, CC BY 4.0): runs of
   proper-noun tokens (XPOS NNP/NNPS, joined over `of`, `&`, `de` inside one GUM mention) and
   capitalised adjectives (demonyms, which GUM does not mark as names), typed by the innermost GUM
   mention that holds them (person → PER, organization → ORG, place → LOC, other types → MISC;
   capitalised adjectives → MISC; runs in time mentions dropped: dates are not entities).
2. The hand decisions of corpora/gum-ner/annotations.txt, made by reading every document (see
   README.md there), applied on top: deletions, retypings, additions.

The texts are those of corpora/gum-quotes/gold.jsonl (same rebuild from the CoNLL-U `# text`
lines: sentences of a paragraph joined by a space, paragraphs by a blank line), so offsets agree;
the script checks that they are identical. Offsets are code points, end-exclusive.

Usage: scripts/build_ner_gold.py [--shared ../shared] [--candidates]   (Python 3, no packages)
--candidates prints each document with its candidates bracketed, for review, and writes nothing.
Exits 1 on any annotation that does not apply (text not found, no candidate where one is removed).
"""

import argparse
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FOLDER = os.path.join(ROOT, "corpora", "gum-ner")
LABELS = ("PER", "ORG", "LOC", "MISC")
ETYPE = {"person": "PER", "organization": "ORG", "place": "LOC"}
JOINERS = {"of", "&", "de"}
# Titles are not part of a person's name in CoNLL-2003: leading title words are cut off PER candidates.
TITLES = set("""President Vice Ambassador Prime Minister Secretary General Major Colonel Col. Captain Capt.
Lieutenant Lt. Sergeant Sgt. Dr. Dr Mr. Mr Mrs. Mrs Ms. Ms Professor Prof. Senator Sen. Governor Gov. Mayor King
Queen Prince Princess Pope Chancellor Judge Justice Representative Rep. Director Chairman Chief Commissioner
Sheriff Officer Detective Coach Speaker Pastor Reverend Rev. Bishop Archbishop Cardinal Lord Sir Minister
Spokesperson Spokesman Co-founder Founder CEO Deputy Attorney Admiral Administrator Marshal Premier Leader Head Commander Agent Inspector Constable Superintendent""".split())
ENTITY_PART = re.compile(r"\(([^()]+)\)|\(([^()]+)|([^()]+)\)")


def read_doc(path):
    """The text (as build_quote_gold.py rebuilds it), its words with offsets and GUM's mentions."""
    paragraphs, current = [], []
    words = []  # dicts: start, end, form, xpos
    mentions = []  # dicts: first, last (word indices), etype, wiki
    open_ = []
    offset = 0  # where the current paragraph starts in the text
    para_len = 0  # length of the current paragraph so far
    sent_start = 0
    text_line = None
    cursor = 0
    span_end = 0
    range_span = None
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("# newpar") and not line.startswith("# newpar_block"):
            if current:
                paragraphs.append(" ".join(current))
                offset += para_len + 2
            current, para_len = [], 0
        elif line.startswith("# text = "):
            text_line = line[len("# text = "):]
            if current:
                para_len += 1
            sent_start = offset + para_len
            current.append(text_line)
            para_len += len(text_line)
            cursor = 0
            range_span = None
        elif line and not line.startswith("#"):
            cols = line.split("\t")
            wid = cols[0]
            if "." in wid:
                continue
            if "-" in wid:
                a, b = map(int, wid.split("-"))
                at = text_line.find(cols[1], cursor)
                if at < 0:
                    sys.exit(f"{path}: {cols[1]!r} not in {text_line!r}")
                cursor = at + len(cols[1])
                range_span = (b, sent_start + at, sent_start + cursor, at)
                continue
            if range_span and int(wid) <= range_span[0]:
                # A word of a multi-word token: its own piece when the words spell the token.
                piece = text_line.find(cols[1], range_span[3])
                if range_span[3] <= piece and piece + len(cols[1]) <= range_span[2] - sent_start:
                    start, end = sent_start + piece, sent_start + piece + len(cols[1])
                    range_span = range_span[:3] + (piece + len(cols[1]),)
                else:
                    start, end = range_span[1], range_span[2]
            else:
                at = text_line.find(cols[1], cursor)
                if at < 0:
                    sys.exit(f"{path}: {cols[1]!r} not in {text_line!r}")
                cursor = at + len(cols[1])
                start, end = sent_start + at, sent_start + cursor
            i = len(words)
            words.append({"start": start, "end": end, "form": cols[1], "xpos": cols[4]})
            ent = [f[len("Entity="):] for f in cols[9].split("|") if f.startswith("Entity=")]
            for m in ENTITY_PART.finditer(ent[0] if ent else ""):
                single, opening, closing = m.groups()
                if single or opening:
                    fields = (single or opening).split("-", 7)
                    mention = {"eid": fields[0], "etype": fields[1], "wiki": fields[7] if len(fields) > 7 else None, "first": i, "last": i}
                    mentions.append(mention)
                    if opening:
                        open_.append(mention)
                else:
                    for k in range(len(open_) - 1, -1, -1):
                        if open_[k]["eid"] == closing:
                            open_.pop(k)["last"] = i
                            break
                    else:
                        sys.exit(f"{path}: closing {closing} with no opening")
    if current:
        paragraphs.append(" ".join(current))
    text = "\n\n".join(paragraphs) + "\n"
    for w in words:
        # A word of a multi-word token ("don't") spans the whole token.
        if w["form"] not in text[w["start"]:w["end"]]:
            sys.exit(f"{path}: word {w['form']!r} misplaced at {w['start']}")
    return text, words, mentions


def innermost(mentions, first, last):
    best = None
    for m in mentions:
        if m["first"] <= first and last <= m["last"]:
            if best is None or m["last"] - m["first"] < best["last"] - best["first"]:
                best = m
    return best


def candidates(text, words, mentions):
    out = []
    i, n = 0, len(words)

    def proper(k):
        return words[k]["xpos"] in ("NNP", "NNPS") and words[k]["form"][:1].isupper()

    while i < n:
        w = words[i]
        if proper(i):
            j = i
            while True:
                if j + 1 < n and "\n" in text[words[j]["end"]:words[j + 1]["start"]]:
                    break  # a name does not run across paragraphs (captions, headings)
                if j + 1 < n and proper(j + 1):
                    j += 1
                elif j + 2 < n and words[j + 1]["form"] in JOINERS and proper(j + 2):
                    m2 = innermost(mentions, i, j + 2)
                    if m2 is not None and m2["first"] <= i:
                        j += 2
                    else:
                        break
                else:
                    break
            m = innermost(mentions, i, j)
            etype = m["etype"] if m else None
            if etype != "time":
                out.extend(shaped(text, words, i, j, ETYPE.get(etype, "MISC")))
            i = j + 1
        elif w["xpos"] == "JJ" and w["form"][:1].isupper() and i > 0 and words[i - 1]["start"] < w["start"] and not sentence_initial(text, w["start"]):
            out.append({"start": w["start"], "end": w["end"], "label": "MISC"})
            i += 1
        else:
            i += 1
    return hyphenated(text, out)


def hyphenated(text, cands):
    """Names written with a hyphen are one name: `Khaled Al-Maeena` (two candidates joined by a
    hyphen), `Cheng Chung-tai` (a short lower-case syllable after a hyphen)."""
    out = []
    for c in cands:
        if out and out[-1]["end"] + 1 == c["start"] and text[out[-1]["end"]] == "-":
            out[-1]["end"] = c["end"]
        else:
            out.append(dict(c))
    for c in out:
        m = re.match(r"-(?:[a-z]{1,6}|\d+)\b(?!-)", text[c["end"]:])
        if m:
            c["end"] += m.end()
    return out


def shaped(text, words, i, j, label):
    """A run of words i..j as candidates: a possessive 's cut off; for a person, title words cut
    off, what stands before the title (`US` in `US President Barack Obama`) kept as a place."""
    while j >= i and words[j]["form"] in ("'s", "’s", "'", "’"):
        j -= 1
    if j < i:
        return []
    if label == "PER":
        last_title = None
        for k in range(i, j + 1):
            if words[k]["form"] in TITLES and k < j:
                last_title = k
        if all(words[k]["form"] in TITLES or words[k]["form"] in ("of", "State", "Foreign") for k in range(i, j + 1)):
            return []  # a title alone: `Secretary of State`, `Prime Minister`
        if last_title is not None:
            first_title = last_title
            while first_title - 1 >= i and words[first_title - 1]["form"] in TITLES:
                first_title -= 1
            out = []
            if first_title > i:
                out.append({"start": words[i]["start"], "end": words[first_title - 1]["end"], "label": "LOC"})
            out.append({"start": words[last_title + 1]["start"], "end": words[j]["end"], "label": "PER"})
            return out
        # `Michael Tien of NPP`: a person and the party GUM's mention holds with them.
        for k in range(i + 1, j):
            if words[k]["form"] == "of":
                return [{"start": words[i]["start"], "end": words[k - 1]["end"], "label": "PER"},
                        {"start": words[k + 1]["start"], "end": words[j]["end"], "label": "ORG"}]
    return [{"start": words[i]["start"], "end": words[j]["end"], "label": label}]


def sentence_initial(text, at):
    j = at - 1
    while j >= 0 and text[j] in " \"“‘'(":
        j -= 1
    return j < 0 or text[j] in ".!?\n:"


def occurrences(text, s):
    """Word-bounded occurrences of s in text."""
    hits, i = [], text.find(s)
    while i >= 0:
        before = text[i - 1] if i > 0 else " "
        after = text[i + len(s)] if i + len(s) < len(text) else " "
        if not (before.isalnum() and s[0].isalnum()) and not (after.isalnum() and s[-1].isalnum()):
            hits.append(i)
        i = text.find(s, i + 1)
    return hits


def read_annotations(path):
    rows = []
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.rstrip("\n").split(" | ")]
        if len(fields) < 4:
            sys.exit(f"{path}:{n}: expected 'doc | op | span[#N|*] | label-or-dash | why'")
        doc, op, spec, label = fields[:4]
        if op not in ("add", "set", "del", "type"):
            sys.exit(f"{path}:{n}: op must be add, set, del or type, not {op!r}")
        if op != "del" and label not in LABELS:
            sys.exit(f"{path}:{n}: label must be one of {LABELS}, not {label!r}")
        m = re.fullmatch(r"(.+?)(?:#(\d+)|#(\*))?", spec)
        rows.append({"line": n, "doc": doc, "op": op, "span": m.group(1), "nth": int(m.group(2)) if m.group(2) else None,
                     "every": bool(m.group(3)), "label": label, "why": fields[4] if len(fields) > 4 else ""})
    return rows


def apply(text, ents, rows, problems):
    """Applies one document's decisions in file order; ents is a dict (start, end) -> label.
    problems None: decisions for all documents, whose misses are no problem."""
    if problems is None:
        problems = []
    for r in rows:
        # `left [SPAN] right`: the span where its context occurs.
        m = re.fullmatch(r"(.*?)\[(.+?)\](.*)", r["span"])
        left, core = (m.group(1), m.group(2)) if m else ("", r["span"])
        whole = left + core + (m.group(3) if m else "")
        hits = [h + len(left) for h in occurrences(text, whole)]
        where = f"line {r['line']} ({r['doc']} {r['op']} {r['span']!r})"
        if not hits:
            problems.append(f"{where}: not found")
            continue
        if r["nth"] is not None:
            if r["nth"] > len(hits):
                problems.append(f"{where}: only {len(hits)} occurrences")
                continue
            hits = [hits[r["nth"] - 1]]
        elif not r["every"] and len(hits) > 1:
            problems.append(f"{where}: {len(hits)} occurrences; add #N or #*")
            continue
        spans = [(h, h + len(core)) for h in hits]
        if r["op"] == "del" or r["op"] == "type":
            found = [s for s in spans if s in ents]
            if not found:
                problems.append(f"{where}: no candidate there")
            for s in found:
                if r["op"] == "del":
                    del ents[s]
                else:
                    ents[s] = r["label"]
        elif r["op"] == "set":
            for s, e in spans:
                for k in [k for k in ents if k[0] < e and s < k[1]]:
                    del ents[k]
                ents[(s, e)] = r["label"]
        else:
            added = 0
            for s, e in spans:
                clash = [k for k in ents if k[0] < e and s < k[1]]
                if clash == [(s, e)] and ents[(s, e)] == r["label"] and not r["every"]:
                    problems.append(f"{where}: already a candidate")
                elif clash and not r["every"]:
                    problems.append(f"{where}: overlaps {[text[a:b] for a, b in clash]}")
                elif not clash:
                    ents[(s, e)] = r["label"]
                    added += 1
            if r["every"] and not added:
                problems.append(f"{where}: nothing added")


def build(shared, show):
    conllu = os.path.join(shared, "data", "gum-wikinews", "conllu")
    if not os.path.isdir(conllu):
        sys.exit(f"{conllu} not found: pass --shared DIR (the folder holding data/gum-wikinews)")
    quote_texts = {}
    for line in open(os.path.join(ROOT, "corpora", "gum-quotes", "gold.jsonl"), encoding="utf-8"):
        r = json.loads(line)
        quote_texts[r["id"]] = r["text"]
    path = os.path.join(FOLDER, "annotations.txt")
    rows = read_annotations(path) if os.path.exists(path) else []
    docs = sorted(n[: -len(".conllu")] for n in os.listdir(conllu) if n.startswith("GUM_news_") and n.endswith(".conllu"))
    unknown = {r["doc"] for r in rows} - set(docs) - {"*"}
    problems = [f"unknown document {d}" for d in sorted(unknown)]
    records = []
    for doc in docs:
        text, words, mentions = read_doc(os.path.join(conllu, doc + ".conllu"))
        if quote_texts.get(doc) != text:
            sys.exit(f"{doc}: the rebuilt text differs from corpora/gum-quotes/gold.jsonl's")
        ents = {(c["start"], c["end"]): c["label"] for c in candidates(text, words, mentions)}
        if show:
            print(f"=== {doc}")
            print(bracketed(text, ents))
            continue
        # Decisions for every document (doc `*`) first; they may find nothing in a document.
        apply(text, ents, [r for r in rows if r["doc"] == "*"], None)
        apply(text, ents, [r for r in rows if r["doc"] == doc], problems)
        keys = sorted(ents)
        for a, b in zip(keys, keys[1:]):
            if a[1] > b[0]:
                problems.append(f"{doc}: overlapping {text[a[0]:a[1]]!r} and {text[b[0]:b[1]]!r}")
        entities = [{"start": s, "end": e, "text": text[s:e], "label": ents[(s, e)], "score": 1.0, "link": None} for s, e in keys]
        records.append({"schema_version": "1.0", "id": doc, "text": text, "entities": entities, "quotes": []})
    if show:
        return
    if problems:
        for p in problems:
            print(f"error: {p}", file=sys.stderr)
        sys.exit(1)
    with open(os.path.join(FOLDER, "gold.jsonl"), "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    counts = {}
    for r in records:
        for e in r["entities"]:
            counts[e["label"]] = counts.get(e["label"], 0) + 1
    words = sum(len(r["text"].split()) for r in records)
    print(f"{len(records)} documents, {words} whitespace words, {sum(counts.values())} entities: "
          + ", ".join(f"{k} {counts.get(k, 0)}" for k in LABELS), file=sys.stderr)


def bracketed(text, ents):
    out, at = [], 0
    for (s, e) in sorted(ents):
        out.append(text[at:s])
        out.append(f"[{text[s:e]}|{ents[(s, e)]}]")
        at = e
    out.append(text[at:])
    return "".join(out)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(ROOT), "shared"))
    ap.add_argument("--candidates", action="store_true", help="print the documents with their candidates bracketed")
    a = ap.parse_args()
    build(a.shared, a.candidates)
