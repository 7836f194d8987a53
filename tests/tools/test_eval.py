"""Evaluation and monitoring as a user meets them (docs/evaluation.md).

- A short training run logs the collapse monitor: console/train.log lines carry `rank x.x std x.xxx cos x.xx`,
  metrics.jsonl rows carry emb_std_mean, emb_std_min, effective_rank, mean_cosine in their valid ranges, and
  thresholds set above any reachable value make the trainer warn, naming the metric, its value and the threshold.
- jepa_eval on a held-out split (the last 50 lines of the shipped corpus, not trained on) with the shipped labelled
  set prints one JSON object (also written to --out) with the masked loss, collapse stats and 1-NN retrieval next
  to its baselines; results are deterministic; a run directory works as --checkpoint; --batches limits the split.
- Errors: missing or corrupt checkpoint, missing held-out file -> exit 1 with one line naming the file; bad usage
  -> exit 2.
- tools/plot_metrics.py turns the run's metrics.jsonl into a non-empty PNG.
- datasets/build_topics.sh on a fortune directory made from the labelled sentences: labels are file names, the split
  is stratified, capped, deterministic (same bytes twice; another seed, another partition), disjoint from
  pretrain.txt, which holds everything else (small categories, entries of two categories, the rest past the cap).
- The topic probe (jepa_eval --probe-train/--probe-test) on that split: fields present and consistent; the TF-IDF row
  equals an independent Python implementation (TF-IDF, cosine k-NN exactly; logistic regression of the same objective
  fitted with PyTorch's L-BFGS); shuffled training labels fall to chance; results depend on the weights (trained vs
  --at-init differ; --at-init equals the weights a run with lr 0 saves, and equals --config CKPT/config.yaml);
  deterministic across invocations; bad inputs -> one line naming file:line, exit 1; usage errors exit 2.
"""
import json
import os
import pathlib
import random
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "golden"))
import golden_util as gu  # noqa: E402

EVAL = os.environ.get("JEPA_EVAL", str(gu.BUILD / "src/tools/jepa_eval"))
LABELLED = gu.SOURCE / "datasets/labelled/topics.tsv"
FAIL = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAIL.append(what)


def je(*args, timeout=600):
    return subprocess.run([EVAL, *map(str, args)], capture_output=True, text=True, timeout=timeout)


def one_line_error(r, code, needle):
    err = r.stderr.strip().splitlines()
    return r.returncode == code and len(err) >= 1 and needle in err[0] and (code == 2 or len(err) == 1)


def reference_stats(x):
    """Collapse statistics of embeddings x [N, D] (float64), from their definitions (docs/evaluation.md)."""
    import torch
    sd = x.std(0, unbiased=False)
    sv = torch.linalg.svdvals(x)
    p = sv / sv.sum() + 1e-7
    u = torch.nn.functional.normalize(x, dim=1)
    cos = u @ u.T
    n = x.shape[0]
    return {"emb_std_mean": sd.mean().item(), "emb_std_min": sd.min().item(),
            "effective_rank": torch.exp(-(p * p.log()).sum()).item(),
            "mean_cosine": ((cos.sum() - cos.diagonal().sum()) / (n * (n - 1))).item()}


def independent_check(ckpt, heldout, vocab, res):
    """jepa_eval's numbers recomputed outside jepa_dist: the checkpoint's target encoder loaded into the independent
    PyTorch encoder of the parity tests (tests/golden/reference_jepa.py), each held-out document embedded on its own
    (read from the HDF5 file with h5py, [CLS] body [SEP] cut to max_length 48), the labelled texts tokenized by HF
    tokenizers, and the statistics and leave-one-out 1-NN accuracy computed from their definitions."""
    import h5py
    import torch
    from safetensors.torch import load_file
    from transformers import BertTokenizerFast
    import reference_jepa as ref
    state = load_file(str(ckpt / "model.safetensors"))
    target = {k[len("target_encoder."):]: v for k, v in state.items() if k.startswith("target_encoder.")}
    enc = ref.TinyEncoder(target["emb.weight"].shape[0], 64, 2, 4, 128, dropout=0.0)
    enc.load_state_dict(target)
    enc.eval()

    def embed(ids):
        with torch.no_grad():
            h = enc(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.long))
        return h[0].double().mean(0)

    with h5py.File(heldout, "r") as f:
        t, o = f["tokens"][...].astype("int64"), f["offsets"][...].astype("int64")
    docs = [[101] + list(t[o[i]:o[i + 1]])[:46] + [102] for i in range(len(o) - 1)]
    x = torch.stack([embed(d) for d in docs])
    ours, want = res["collapse"], reference_stats(x)
    worst = max(abs(ours[k] - want[k]) / max(1e-3, abs(want[k])) for k in want)
    check(len(docs) == ours["n"] and worst < 1e-4,
          f"held-out collapse stats equal an independent recomputation (worst relative diff {worst:.1e}): {want}")

    tok = BertTokenizerFast.from_pretrained(str(vocab.parent))
    rows = [l.split("\t", 1) for l in LABELLED.read_text(encoding="utf-8").splitlines() if l and not l.startswith("#")]
    y = [label for label, _ in rows]
    z = torch.stack([embed(tok(text, truncation=True, max_length=48)["input_ids"]) for _, text in rows])
    u = torch.nn.functional.normalize(z, dim=1)
    sim = u @ u.T
    sim.fill_diagonal_(-float("inf"))
    nn = sim.argmax(1).tolist()
    acc = sum(y[j] == y[i] for i, j in enumerate(nn)) / len(y)
    check(abs(acc - res["retrieval"]["knn1_accuracy"]) < 1e-12,
          f"1-NN accuracy equals an independent recomputation ({acc:.4f} vs {res['retrieval']['knn1_accuracy']:.4f})")


def main():
    work = gu.scratch("eval")
    lines = [l for l in (gu.SOURCE / "datasets/shipped.txt").read_text(encoding="utf-8").splitlines() if l.strip()]
    (work / "train").mkdir()
    (work / "heldout").mkdir()
    train = gu.prepare_corpus(work / "train", text="\n".join(lines[:-50]) + "\n", max_length=48)
    heldout = gu.prepare_corpus(work / "heldout", text="\n".join(lines[-50:]) + "\n", max_length=48)
    vocab = gu.vocab_path()

    run = work / "run"
    gu.run_dist(1, ["--config", str(gu.SOURCE / "configs/smoke.yaml"), f"data.path={train}", *gu.small_model_overrides(),
                    "train.steps=6", "train.log_every=2", "train.save_every=3", "train.batch_size=8",
                    "optim.warmup_steps=2", "monitor.min_effective_rank=100", "monitor.min_std=1000",
                    f"run.dir={run}"])

    # --- collapse monitor in the trainer's log and metrics
    rows = gu.metrics(run)
    keys = {"emb_std_mean", "emb_std_min", "effective_rank", "mean_cosine"}
    check([m["step"] for m in rows] == [2, 4, 6] and all(keys <= m.keys() for m in rows), "metrics.jsonl: collapse keys")
    check(all(0 <= m["emb_std_min"] <= m["emb_std_mean"] and 1 <= m["effective_rank"] <= 8 + 1e-6
              and -1 <= m["mean_cosine"] <= 1 for m in rows), f"metrics.jsonl: ranges {rows[-1]}")
    log = (run / "train.log").read_text()
    progress = [l for l in log.splitlines() if "step 6/6" in l]
    check(len(progress) == 1 and " rank " in progress[0] and " std " in progress[0] and " cos " in progress[0],
          f"progress line shows rank/std/cos: {progress}")
    check("effective_rank" in log and "monitor.min_effective_rank 100" in log, "warning names effective_rank and threshold")
    check("emb_std_mean" in log and "monitor.min_std 1000" in log, "warning names emb_std_mean and threshold")

    # --- jepa_eval on the held-out split
    ckpt = run / "checkpoints/step_0000006"
    out = work / "out/metrics.json"
    r = je("--checkpoint", ckpt, "--data", heldout, "--labelled", LABELLED, "--vocab", vocab, "--batch-size", 8,
           "--threads", 1, "--out", out)
    check(r.returncode == 0, f"jepa_eval runs: {r.stderr.strip()[-500:]}")
    res = json.loads(r.stdout)
    check(json.loads(out.read_text()) == res, "--out holds the printed JSON")
    check(res["step"] == 6 and res["docs"] == 50 and res["batches"] == 7 and res["which"] == "target",
          f"split covered: docs {res['docs']} batches {res['batches']} step {res['step']}")
    check(res["masked_positions"] > 0 and 0 < res["masked_loss"] < 2 and 0 < res["masked_loss_batch_mean"] < 2,
          f"masked loss in (0, 2): {res['masked_loss']:.4f}")
    c = res["collapse"]
    check(c["n"] == 50 and 1 <= c["effective_rank"] <= 50 and 0 <= c["emb_std_min"] <= c["emb_std_mean"]
          and -1 <= c["mean_cosine"] <= 1, f"collapse stats of the split: {c}")
    rt = res["retrieval"]
    check(rt["n"] == 120 and rt["classes"] == 10 and 0 <= rt["knn1_accuracy"] <= 1, f"retrieval: {rt}")
    check(abs(rt["random_neighbour_baseline"] - 11 / 119) < 1e-12 and abs(rt["majority_baseline"] - 0.1) < 1e-12,
          "retrieval baselines")
    check(rt["collapse"]["n"] == 120, "collapse stats of the labelled set")
    independent_check(ckpt, heldout, vocab, res)

    r2 = je("--checkpoint", run, "--data", heldout, "--batch-size", 8, "--threads", 1)
    res2 = json.loads(r2.stdout) if r2.returncode == 0 else {}
    check(res2.get("checkpoint", "").endswith("step_0000006") and res2.get("masked_loss") == res["masked_loss"]
          and res2.get("collapse") == res["collapse"], "run dir as --checkpoint; deterministic")
    r3 = je("--checkpoint", ckpt, "--data", heldout, "--batches", 2, "--batch-size", 8, "--which", "context",
            "--threads", 1)
    res3 = json.loads(r3.stdout) if r3.returncode == 0 else {}
    check(res3.get("docs") == 16 and res3.get("which") == "context" and "retrieval" not in res3, "--batches, --which context")

    # --- errors
    r = je("--checkpoint", work / "no_such_ckpt", "--data", heldout)
    check(one_line_error(r, 1, "no_such_ckpt"), f"missing checkpoint: {r.stderr.strip()}")
    bad = work / "corrupt_ckpt"
    shutil.copytree(ckpt, bad)
    data = (bad / "model.safetensors").read_bytes()
    (bad / "model.safetensors").write_bytes(data[: len(data) // 2])
    r = je("--checkpoint", bad, "--data", heldout)
    check(one_line_error(r, 1, "model.safetensors"), f"truncated weights: {r.stderr.strip()}")
    r = je("--checkpoint", ckpt, "--data", work / "nope.h5")
    check(one_line_error(r, 1, "nope.h5"), f"missing held-out corpus: {r.stderr.strip()}")
    r = je("--checkpoint", ckpt, "--data", heldout, "--labelled", LABELLED)
    check(one_line_error(r, 2, "--vocab"), "--labelled without --vocab is a usage error")
    r = je("--data", heldout)
    check(one_line_error(r, 2, "--checkpoint"), "--checkpoint is required")

    # --- plot
    png = work / "plots/metrics.png"
    r = subprocess.run([sys.executable, str(gu.SOURCE / "tools/plot_metrics.py"), str(run / "metrics.jsonl"), "-o",
                        str(png)], capture_output=True, text=True, timeout=300)
    ok = r.returncode == 0 and png.exists() and png.stat().st_size > 1000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    check(ok and "effective_rank" in r.stdout, f"plot_metrics.py writes a PNG: {r.stdout.strip()} {r.stderr.strip()[-300:]}")

    split = topics_checks(work)
    probe_checks(work, run, ckpt, heldout, vocab, split, res)

    if FAIL:
        sys.exit(f"{len(FAIL)} checks failed")
    print("eval OK")


def read_tsv(path):
    return [tuple(l.split("\t", 1)) for l in path.read_text(encoding="utf-8").splitlines()]


def build_topics(fortunes, out, *args):
    return subprocess.run(["bash", str(gu.SOURCE / "datasets/build_topics.sh"), "--no-install", "--out", str(out), *map(str, args)],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "FORTUNES_DIR": str(fortunes)})


def topics_checks(work):
    """A fortune directory from the 10 x 12 labelled sentences, plus the awkward cases; returns the split folder."""
    fortunes = work / "fortunes"
    fortunes.mkdir()
    topics = {}
    for line in LABELLED.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            label, text = line.split("\t", 1)
            topics.setdefault(label, []).append(text)
    shared = "A sentence that two fortune files both hold, so it has no single label."
    for label, texts in topics.items():
        entries = list(texts)
        first = entries[0].split(" ")
        entries[0] = " ".join(first[:4]) + "\n\t" + " ".join(first[4:])  # wrapped, tab-indented: flattened
        entries.append(texts[1])                                           # a duplicate within the file
        if label in ("music", "travel"):
            entries.append(shared)
        (fortunes / label).write_text("\n%\n".join(entries) + "\n%\n", encoding="utf-8")
        (fortunes / (label + ".dat")).write_bytes(b"\0\1binary index")
        os.symlink(label, fortunes / (label + ".u8"))
    (fortunes / "tiny").write_text("Small category one.\n%\nSmall category two.\n%\nSmall category three.\n")
    (fortunes / "ascii-art").write_text("  /\\_/\\\n ( o.o )\n%\n")

    out = work / "topics"
    r = build_topics(fortunes, out, "--min-entries", 10, "--per-class", 12)
    check(r.returncode == 0 and "10 classes" in r.stdout and "train 60, test 60" in r.stdout,
          f"build_topics.sh runs and prints counts: {r.stdout.strip()} {r.stderr.strip()}")
    train, test = read_tsv(out / "train.tsv"), read_tsv(out / "test.tsv")
    pretrain = (out / "pretrain.txt").read_text(encoding="utf-8").splitlines()
    per = lambda rows, c: sum(l == c for l, _ in rows)
    check(all(per(train, c) == 6 and per(test, c) == 6 for c in topics), "stratified: 6 + 6 of each category")
    flat = {t for _, t in train + test}
    check(len(flat) == 120 and flat == {t for ts in topics.values() for t in ts}, "split = the distinct labelled entries")
    check(all(l in topics and "\t" not in t and "  " not in t for l, t in train + test), "label = file name; text flattened")
    check(set(pretrain) == {shared, "Small category one.", "Small category two.", "Small category three."},
          f"pretrain.txt = the complement (two-category entry, small category): {pretrain}")
    check(not any("o.o" in l for l in pretrain) and not flat & set(pretrain), "disjoint; ascii-art skipped")
    before = {f: (out / f).read_bytes() for f in ("train.tsv", "test.tsv", "pretrain.txt", "categories.tsv")}
    build_topics(fortunes, out, "--min-entries", 10, "--per-class", 12)
    check(all((out / f).read_bytes() == b for f, b in before.items()), "idempotent: same bytes on a second run")
    other = work / "topics_seed1"
    build_topics(fortunes, other, "--min-entries", 10, "--per-class", 12, "--seed", 1)
    check(set(read_tsv(other / "train.tsv")) != set(train) and
          set(read_tsv(other / "train.tsv")) | set(read_tsv(other / "test.tsv")) == set(train) | set(test),
          "another seed: another partition of the same entries")
    capped = work / "topics_capped"
    build_topics(fortunes, capped, "--min-entries", 10, "--per-class", 7)
    ct, cs = read_tsv(capped / "train.tsv"), read_tsv(capped / "test.tsv")
    cp = (capped / "pretrain.txt").read_text(encoding="utf-8").splitlines()
    check(len(ct) == 40 and len(cs) == 30 and len(cp) == 4 + 50 and not {t for _, t in ct + cs} & set(cp),
          f"--per-class 7: 4 + 3 of each, the other 5 to pretrain.txt ({len(ct)}, {len(cs)}, {len(cp)})")
    r = build_topics(fortunes, work / "topics_none", "--min-entries", 100)
    check(r.returncode == 1 and "fewer than 2 categories" in r.stderr, f"too few categories: {r.stderr.strip()}")
    r = build_topics(fortunes, work / "topics_none", "--seed", "x")
    check(r.returncode == 1 and "--seed" in r.stderr, "bad option value")
    return out


def tfidf_reference(train_texts, test_texts, min_df=2):
    """Independent TF-IDF (sklearn's TfidfVectorizer(ngram_range=(1, 2), min_df=2) definition) for ASCII text."""
    import math
    import torch

    def terms(t):
        w = re.findall(r"[a-z0-9_]{2,}", t.lower())
        return w + [a + " " + b for a, b in zip(w, w[1:])]
    df = {}
    for t in train_texts:
        for term in set(terms(t)):
            df[term] = df.get(term, 0) + 1
    vocab = sorted(k for k, v in df.items() if v >= min_df)
    col = {k: i for i, k in enumerate(vocab)}
    idf = torch.tensor([math.log((1 + len(train_texts)) / (1 + df[k])) + 1 for k in vocab], dtype=torch.float64)

    def vec(texts):
        x = torch.zeros(len(texts), len(vocab), dtype=torch.float64)
        for i, t in enumerate(texts):
            for term in terms(t):
                if term in col:
                    x[i, col[term]] += 1
        x = x * idf
        return x / x.norm(dim=1, keepdim=True).clamp_min(1e-300)
    return vec(train_texts), vec(test_texts)


def probe_reference(xtr, ytr, xte, yte, classes, standardize, l2=1.0, iters=300, k=10):
    """The probe recipe of docs/evaluation.md, written independently: (linear accuracy, final loss, k-NN accuracy)."""
    import torch
    ytr_t, yte_t = torch.tensor(ytr), torch.tensor(yte)
    mean, std = xtr.mean(0), xtr.std(0, unbiased=False)
    std = torch.where(std > 1e-12, std, torch.ones_like(std))
    if not standardize:
        mean, std = torch.zeros_like(mean), torch.ones_like(std)
    z = (xtr - mean) / std
    w = torch.zeros(classes, xtr.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(classes, dtype=torch.float64, requires_grad=True)
    loss_fn = lambda: (torch.nn.functional.cross_entropy(z @ w.T + b, ytr_t, reduction="sum")
                       + l2 / 2 * (w * w).sum()) / len(ytr)
    opt = torch.optim.LBFGS([w, b], lr=1, max_iter=iters, history_size=20, tolerance_grad=1e-10,
                            tolerance_change=1e-14, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss
    opt.step(closure)
    with torch.no_grad():
        pred = (((xte - mean) / std) @ w.T + b).argmax(1)
        lin = (pred == yte_t).double().mean().item()
        final = loss_fn().item()
        un = lambda x: x / x.norm(dim=1, keepdim=True).clamp_min(1e-12)
        sim = un(xte) @ un(xtr).T
        hits = 0
        for i in range(len(yte)):
            order = sorted(range(len(ytr)), key=lambda j: -sim[i, j].item())[:k]  # stable: ties keep train order
            votes = {}
            for j in order:
                votes[ytr[j]] = votes.get(ytr[j], 0) + 1
            best = max(votes.values())
            hits += next(ytr[j] for j in order if votes[ytr[j]] == best) == yte[i]
    return lin, final, hits / len(yte)


def probe_checks(work, run, ckpt, heldout, vocab, split, res_heldout):
    tr, te = split / "train.tsv", split / "test.tsv"
    P = ["--probe-train", tr, "--probe-test", te]
    keys = {"linear_accuracy", "knn_accuracy", "macro_f1", "knn_macro_f1", "classes", "train_size", "test_size", "dim",
            "knn_k", "train_accuracy", "chance", "majority_baseline", "standardize", "l2", "iterations", "final_loss", "labels"}

    # --- a checkpoint's embeddings; with and without --data
    r = je("--checkpoint", ckpt, *P, "--vocab", vocab, "--threads", 1, "--batch-size", 16)
    check(r.returncode == 0, f"probe runs without --data: {r.stderr.strip()[-300:]}")
    a = json.loads(r.stdout) if r.returncode == 0 else {"probe": {}}
    p = a["probe"]
    check(keys <= p.keys() and p["classes"] == 10 and p["train_size"] == 60 and p["test_size"] == 60 and p["dim"] == 64
          and p["chance"] == 0.1 and p["knn_k"] == 10 and p["standardize"] is True and p["labels"] == sorted(p["labels"]) and p["features"] == "target",
          f"probe fields: { {k: p.get(k) for k in ('classes', 'train_size', 'test_size', 'dim', 'chance')} }")
    check(all(0 <= p[k] <= 1 for k in ("linear_accuracy", "knn_accuracy", "macro_f1", "train_accuracy")) and
          p["train_accuracy"] >= p["linear_accuracy"] - 0.2 and "masked_loss" not in a and a["step"] == 6,
          f"probe values in range: lin {p['linear_accuracy']:.3f} knn {p['knn_accuracy']:.3f} f1 {p['macro_f1']:.3f}")
    r = je("--checkpoint", ckpt, "--data", heldout, *P, "--vocab", vocab, "--threads", 1, "--batch-size", 8)
    b = json.loads(r.stdout) if r.returncode == 0 else {"probe": {}}
    drop = lambda d: {k: v for k, v in d.items() if not k.startswith("seconds")}
    check(b.get("masked_loss") == res_heldout["masked_loss"] and b.get("collapse") == res_heldout["collapse"]
          and drop(b["probe"]) == drop(p), "with --data: held-out fields unchanged; probe deterministic across runs")

    # --- not hard-coded: the weights matter, and --at-init is the model a run starts from
    r = je("--checkpoint", ckpt, "--at-init", *P, "--vocab", vocab, "--threads", 1, "--which", "context")
    init = json.loads(r.stdout)["probe"] if r.returncode == 0 else {}
    r = je("--checkpoint", ckpt, *P, "--vocab", vocab, "--threads", 1, "--which", "context")
    trained = json.loads(r.stdout)["probe"] if r.returncode == 0 else {}
    check(init and trained and init["final_loss"] != trained["final_loss"], "trained and --at-init probes differ")
    lr0 = work / "run_lr0"
    gu.run_dist(1, ["--config", str(gu.SOURCE / "configs/smoke.yaml"), f"data.path={heldout}", *gu.small_model_overrides(),
                    "train.steps=1", "train.save_every=1", "optim.lr=0", f"run.dir={lr0}"])
    r = je("--checkpoint", lr0, *P, "--vocab", vocab, "--threads", 1, "--which", "context")
    zero = json.loads(r.stdout)["probe"] if r.returncode == 0 else {}
    check(drop(zero) == drop(init), "--at-init equals the saved weights of a run with lr 0 (its step-0 model)")
    r = je("--config", ckpt / "config.yaml", *P, "--vocab", vocab, "--threads", 1, "--which", "context")
    cfg_init = json.loads(r.stdout) if r.returncode == 0 else {"probe": {}}
    check(drop(cfg_init["probe"]) == drop(init) and cfg_init.get("weights") == "init" and cfg_init.get("step") == 0
          and cfg_init.get("checkpoint") is None, "--config CKPT/config.yaml equals --checkpoint CKPT --at-init")
    r = je("--config", ckpt / "config.yaml", "train.seed=7", *P, "--vocab", vocab, "--threads", 1, "--which", "context")
    seed7 = json.loads(r.stdout)["probe"] if r.returncode == 0 else {}
    check(seed7 and seed7["final_loss"] != init["final_loss"], "another train.seed, another init")

    # --- TF-IDF against an independent implementation; shuffled labels
    rows_tr, rows_te = read_tsv(tr), read_tsv(te)
    names = sorted({l for l, _ in rows_tr})
    ytr, yte = [names.index(l) for l, _ in rows_tr], [names.index(l) for l, _ in rows_te]
    xtr, xte = tfidf_reference([t for _, t in rows_tr], [t for _, t in rows_te])
    for std in ("auto", "yes"):  # auto: TF-IDF is not standardised
        r = je("--probe-features", "tfidf", *P, "--threads", 1, "--probe-standardize", std)
        tf = json.loads(r.stdout)["probe"] if r.returncode == 0 else {}
        lin, final, knn = probe_reference(xtr, ytr, xte, yte, len(names), standardize=std == "yes")
        check(tf and tf["standardize"] == (std == "yes") and tf["dim"] == xtr.shape[1] and tf["knn_accuracy"] == knn
              and abs(tf["linear_accuracy"] - lin) <= 1 / 60 and abs(tf["final_loss"] - final) <= 1e-6 * max(1, final),
              f"tfidf probe (--probe-standardize {std}) = Python reference: dim {tf.get('dim')}/{xtr.shape[1]} "
              f"knn {tf.get('knn_accuracy')}/{knn} linear {tf.get('linear_accuracy')}/{lin} loss {tf.get('final_loss')}/{final}")

    # --- a split the features can separate (each text carries one class word): high accuracy, for the encoder too
    # (its rows are batched by length and must come back in file order); shuffled training labels: chance
    lines = [l for l in (gu.SOURCE / "datasets/shipped.txt").read_text(encoding="utf-8").splitlines() if l.strip()]
    words = ["harbour", "violin", "glacier", "lantern"]
    rows = [(f"class{i % 4}", f"{words[i % 4]} {' '.join(line.split()[:8])} {words[i % 4]}") for i, line in enumerate(lines[:400])]
    kw_tr, kw_te, kw_sh = work / "kw_train.tsv", work / "kw_test.tsv", work / "kw_train_shuffled.tsv"
    kw_tr.write_text("".join(f"{l}\t{t}\n" for l, t in rows[:200]), encoding="utf-8")
    kw_te.write_text("".join(f"{l}\t{t}\n" for l, t in rows[200:]), encoding="utf-8")
    labels = [l for l, _ in rows[:200]]
    random.Random(0).shuffle(labels)
    kw_sh.write_text("".join(f"{l}\t{t}\n" for l, (_, t) in zip(labels, rows[:200])), encoding="utf-8")
    KW = lambda train: ["--probe-train", train, "--probe-test", kw_te, "--threads", 1]
    got = {}
    for name, args in [("tfidf", ["--probe-features", "tfidf", *KW(kw_tr)]),
                       ("tfidf shuffled", ["--probe-features", "tfidf", *KW(kw_sh)]),
                       ("encoder", ["--checkpoint", ckpt, "--vocab", vocab, *KW(kw_tr)]),
                       ("encoder shuffled", ["--checkpoint", ckpt, "--vocab", vocab, *KW(kw_sh)])]:
        r = je(*args)
        got[name] = json.loads(r.stdout)["probe"] if r.returncode == 0 else {"linear_accuracy": -1, "knn_accuracy": -1}
    acc = {n: (round(g["linear_accuracy"], 3), round(g["knn_accuracy"], 3)) for n, g in got.items()}
    # chance 0.25; 200 test rows: std 0.031
    check(min(acc["tfidf"]) >= 0.95 and min(acc["encoder"]) >= 0.8, f"separable split learnt (linear, knn): {acc}")
    check(max(acc["tfidf shuffled"]) <= 0.4 and max(acc["encoder shuffled"]) <= 0.4, "shuffled labels: chance")

    # --- errors
    bad = work / "bad.tsv"
    bad.write_text("music\tfine\n# comment\nno tab on this line\n")
    unknown = work / "unknown.tsv"
    unknown.write_text("music\tfine\nknitting\tpurl one\n")
    one = work / "one.tsv"
    one.write_text("music\ta b\nmusic\tc d\n")
    for args, code, needle, what in [
            (["--probe-train", work / "none.tsv", "--probe-test", te], 1, "none.tsv", "missing probe file"),
            (["--probe-train", bad, "--probe-test", te], 1, f"{bad}:3:", "malformed line"),
            (["--probe-train", tr, "--probe-test", unknown], 1, f"{unknown}:2: label 'knitting'", "label only in test"),
            (["--probe-train", one, "--probe-test", te], 1, "1 class", "one class"),
            (["--probe-train", tr], 2, "--probe-test", "--probe-train alone")]:
        r = je("--probe-features", "tfidf", *args)
        check(one_line_error(r, code, needle), f"{what}: exit {r.returncode}: {r.stderr.strip().splitlines()[:1]}")
    r = je("--checkpoint", ckpt, *P)
    check(one_line_error(r, 2, "--vocab"), "--probe-train without --vocab is a usage error")
    r = je("--probe-features", "tfidf", "--checkpoint", ckpt, *P)
    check(one_line_error(r, 2, "--checkpoint"), "tfidf takes no model")
    r = je("--config", ckpt / "config.yaml", "model.nope=1", *P, "--vocab", vocab)
    check(one_line_error(r, 2, "model.nope"), "a bad --config override exits 2 naming it")


if __name__ == "__main__":
    main()
