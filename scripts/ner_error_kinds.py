#!/usr/bin/env python3
"""Counts the kinds of entity errors of byline predictions against a byline-format gold file
(`byline eval --errors` lists quote errors only). Each gold mention not predicted exactly is a
type error (same span, other label), a boundary error (overlapping predictions; "+type" when one
of them has another label) or a miss; each prediction overlapping no gold mention is spurious.

Usage: scripts/ner_error_kinds.py GOLD.jsonl PRED.jsonl [N]   (Python 3, no packages)
Prints the N (default 10) most frequent kinds with their most frequent texts.
"""

import collections
import json
import sys


def main(gold_path, pred_path, top=10):
    gold = [json.loads(l) for l in open(gold_path, encoding="utf-8")]
    pred = {r["id"]: r for r in map(json.loads, open(pred_path, encoding="utf-8"))}
    kinds, examples = collections.Counter(), collections.defaultdict(collections.Counter)

    def note(kind, what):
        kinds[kind] += 1
        examples[kind][what] += 1

    for g in gold:
        text = g["text"]
        gs = {(e["start"], e["end"]): e["label"] for e in g["entities"]}
        ps = {(e["start"], e["end"]): e["label"] for e in pred[g["id"]]["entities"]}
        for span, label in gs.items():
            if span in ps:
                if ps[span] != label:
                    note(f"type {label}->{ps[span]}", text[span[0]:span[1]])
                continue
            over = [p for p in ps if p[0] < span[1] and span[0] < p[1]]
            if not over:
                note(f"missed {label}", text[span[0]:span[1]])
            else:
                kind = f"boundary {label}" + ("" if all(ps[p] == label for p in over) else " (+type)")
                note(kind, text[span[0]:span[1]] + " ~ " + " / ".join(f"{text[a:b]}:{ps[(a, b)]}" for a, b in over))
        for span, label in ps.items():
            if span not in gs and not any(q[0] < span[1] and span[0] < q[1] for q in gs):
                note(f"spurious {label}", text[span[0]:span[1]])
    for kind, n in kinds.most_common(top):
        shown = "; ".join(w.replace("\n", "⏎") + (f" ×{c}" if c > 1 else "") for w, c in examples[kind].most_common(6))
        print(f"{n:4d}  {kind}: {shown}")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 10)
