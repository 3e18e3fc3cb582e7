#!/usr/bin/env python3
"""Turns GUM Wikinews (../shared/data/gum-wikinews) into byline JSONL gold for linking.

GUM links mentions to English Wikipedia titles, not QIDs. A title becomes a QID through the
title→QID tables of the gazetteer sources (the harvested table, every-politician's enwiki
index and persons' biographies). Gold mentions:
  * a mention whose title maps to a QID: linked to it;
  * a mention of a named-entity type that begins with a capital letter and has no title: NIL
    (GUM wikifies the named entities that have a Wikipedia article);
  * pronouns and lower-case noun phrases, which carry their coreference chain's title, are
    left out;
  * a mention whose title maps to no QID is left out: its right answer is unknown here.
The share of titled mentions that could be mapped is printed. The title tables were
harvested from the same sources as the gazetteer, so mapped titles lean towards entities
the gazetteer holds: coverage on this set overstates coverage of news at large.

    scripts/gum_linking_gold.py [-o /tmp/gum-gold.jsonl]
    byline eval --gold /tmp/gum-gold.jsonl --gold-entities --stages link
"""
import argparse
import csv
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SHARED = os.path.join(ROOT, "..", "shared", "data")
PRONOUNS = {"i", "me", "my", "mine", "we", "us", "our", "you", "your", "he", "him", "his", "she", "her", "it", "its", "they", "them", "their"}
LABELS = {"person": "PER", "organization": "ORG", "place": "LOC", "event": "MISC", "object": "MISC", "abstract": "MISC"}


def title_table():
    src = os.path.join(SHARED, "gazetteer-sources", "extra")
    titles = {}
    ambiguous = set()
    tables = [
        ("title_qid_map/enwiki_title_qid_from_gazetteer2.tsv", "enwiki_title", "qid"),
        ("everypolitician_scrapers/enwiki_title_qid.tsv", "title", "id"),
        ("everypolitician_scrapers/persons_bio.tsv", "enwiki", "id"),
    ]
    for path, title_col, qid_col in tables:
        with open(os.path.join(src, path), encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                title, qid = (row.get(title_col) or "").strip(), (row.get(qid_col) or "").strip()
                if not title or not qid.startswith("Q") or row.get("ambiguous") == "1":
                    continue
                if titles.setdefault(title, qid) != qid:
                    ambiguous.add(title)
    for t in ambiguous:
        del titles[t]
    return titles


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", default="/tmp/gum-linking-gold.jsonl")
    args = ap.parse_args()
    source = os.path.join(SHARED, "gum-wikinews", "gum_wikinews.jsonl")
    if not os.path.exists(source):
        sys.exit(f"gum_linking_gold: {source} is absent (it comes with ../shared); nothing to do")
    titles = title_table()
    titled = mapped = nil = 0
    with open(source, encoding="utf-8") as f, open(args.output, "w", encoding="utf-8") as out:
        for line in f:
            doc = json.loads(line)
            entities = []
            for m in doc["entities"]:
                label = LABELS.get(m["etype"])
                start, end = m["span"]
                text = doc["text"][start:end]
                # Pronouns and common nouns (`he`, `the company`) carry their chain's title in
                # GUM; only names are linking's business.
                if label is None or not text[:1].isupper() or text.lower() in PRONOUNS:
                    continue
                link = None
                if m["wikipedia"]:
                    titled += 1
                    qid = titles.get(m["wikipedia"].replace("_", " "))
                    if qid is None:
                        continue
                    mapped += 1
                    link = {"kb_id": qid, "name": m["wikipedia"], "type": m["etype"], "via": "gold", "score": 1.0}
                else:
                    nil += 1
                entities.append({"start": start, "end": end, "text": text, "label": label, "score": 1.0, "link": link})
            entities.sort(key=lambda e: (e["start"], e["end"]))
            rec = {"schema_version": "1.0", "id": doc["id"], "text": doc["text"], "meta": {"date": doc["date_created"]}, "entities": entities, "quotes": []}
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(f"gum_linking_gold: {mapped} of {titled} titled mentions mapped to a QID ({100 * mapped / max(titled, 1):.1f}%), "
          f"{nil} proper-name mentions without a title kept as NIL → {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
