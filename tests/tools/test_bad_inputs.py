"""The bad-input matrix (docs/reliability.md "Bad inputs") for vocab files, model directories, labelled files and the
launcher environment: each input missing, empty, truncated, of the wrong type (a directory, binary garbage), of the
wrong format, or mismatched with the model / corpus, given to the real binaries with real files.

Every case must end with a non-zero exit (2 for a configuration error, 1 for a bad input), ONE error line on stderr
that names the offending file / key / variable, no crash (abort, C++ exception text, backtrace, MPI error dump), and
nothing destroyed: an existing jepa_prep output, jepa_export output or jepa_eval --out file survives a failing run,
and a failing jepa_dist creates no run directory.
"""
import json
import os
import pty
import shutil
import subprocess
import tempfile
import sys
from concurrent.futures import ThreadPoolExecutor

from safetensors import safe_open
from safetensors.numpy import load_file, save_file

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "golden"))
import golden_util as gu  # noqa: E402

EVAL = os.environ.get("JEPA_EVAL", str(gu.BUILD / "src/tools/jepa_eval"))
EXPORT = os.environ.get("JEPA_EXPORT", str(gu.BUILD / "src/tools/jepa_export"))
SMOKE = str(gu.SOURCE / "configs/smoke.yaml")
LABELLED = gu.SOURCE / "datasets/labelled/topics.tsv"
# What a crash leaves on stdout/stderr: C++ runtime, LibTorch backtraces, libstdc++'s internal messages, MPI dumps.
CRASH = ("Traceback", "terminate called", "Aborted", "core dumped", "Segmentation fault", "Exception raised from",
         "frame #", "basic_filebuf", "what():", "MPI_ABORT", "MPI Error", "NBC_", "ORTE_ERROR", "PMIx")
# The launcher variables world.cpp and log.cpp read: removed so that the cases below set exactly what they test.
LAUNCHER = ("OMPI_", "PMI_", "PMIX_", "MV2_", "SLURM_", "NO_COLOR")
ENV = {k: v for k, v in os.environ.items() if not k.startswith(LAUNCHER)}
TINY = ["model.dim=32", "model.layers=1", "model.heads=2", "model.ff_dim=64", "model.max_positions=64"]

check = gu.check


def run(*cmd, env=None, timeout=300):
    # Each run gets its own TMPDIR: singleton MPI processes started together otherwise share Open MPI's session
    # directory (/tmp/ompi.HOST.UID) and one may remove it while another creates it ("A call to mkdir was unable to
    # create the desired directory", seen once in CI). Short paths under /tmp keep Open MPI's socket paths valid.
    tmp = tempfile.mkdtemp(prefix="jbi")
    try:
        return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, errors="replace", timeout=timeout,
                              env={**(ENV if env is None else env), "TMPDIR": tmp})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# Independent failing runs go 3 at a time (each is mostly LibTorch's start-up); settle() checks them in order.
POOL = ThreadPoolExecutor(max_workers=3)
PENDING = []


def spawn(*cmd, env=None):
    return POOL.submit(run, *cmd, env=env)


def crashed(r):
    return [m for m in CRASH if m in r.stdout + r.stderr]


def expect_error(what, r, code, *needles, no_dir=None):
    """Exit `code`, exactly one stderr line naming every needle, no crash; `no_dir` (a run.dir) not created. `r` is a
    result or a spawn()ed future: checked at the next settle()."""
    PENDING.append((what, r, code, needles, no_dir))


def settle():
    for what, r, code, needles, no_dir in PENDING:
        r = r.result() if hasattr(r, "result") else r
        err = r.stderr.strip().splitlines()
        bad = crashed(r)
        ok = r.returncode == code and len(err) == 1 and all(str(n) in err[0] for n in needles) and not bad
        check(ok, f"{what}: exit {r.returncode} (want {code}), stderr {err[:4]}"
                  + (f", crash markers {bad}" if bad else ""))
        if no_dir is not None:
            check(not no_dir.exists(), f"{what}: no run directory")
    PENDING.clear()


def files_of(d):
    """Every file under d with its bytes (to prove a failing run left d as it was)."""
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def main():
    work = gu.scratch("bad_inputs")
    inputs = work / "inputs"
    inputs.mkdir()

    # ---- shared inputs: a 2000-token vocabulary (fast), a corpus made with it, a BERT checkpoint, its HF export ----
    full = gu.vocab_path().read_text(encoding="utf-8").splitlines(keepends=True)
    vocab = inputs / "vocab.txt"
    vocab.write_text("".join(full[:2000]), encoding="utf-8")
    other_vocab = inputs / "other_vocab.txt"  # same size, one token differs: another SHA-256
    other_vocab.write_text("".join(full[:1999]) + "zzqqxx\n", encoding="utf-8")
    big_vocab = inputs / "big_vocab.txt"  # another size
    big_vocab.write_text("".join(full[:3000]), encoding="utf-8")
    empty = inputs / "empty.txt"
    empty.write_bytes(b"")
    garbage = inputs / "garbage.bin"
    garbage.write_bytes(bytes((i * 7919 + 13) % 256 for i in range(6000)))  # deterministic binary garbage
    truncated_vocab = inputs / "truncated_vocab.txt"  # cut before [UNK] (line 101)
    truncated_vocab.write_text("".join(full[:100]), encoding="utf-8")
    a_dir = inputs / "a_directory"
    a_dir.mkdir()
    text = inputs / "docs.txt"
    text.write_text("".join((gu.SOURCE / "datasets/shipped.txt").read_text(encoding="utf-8").splitlines(True)[:200]),
                    encoding="utf-8")

    def prep(out, *vocab_args):
        return run(gu.PREP, "--input", text, "--output", out, "--max-length", 48, *vocab_args)

    corpus = work / "corpus.h5"
    r = prep(corpus, "--vocab", vocab)
    if r.returncode != 0:
        sys.exit(f"jepa_prep failed: {r.stderr}")

    common = ["--config", SMOKE, f"data.path={corpus}", "data.max_length=48", "train.batch_size=4", "train.threads=1",
              "train.device=cpu", "train.steps=1", "train.save_every=1", "train.log_every=1"]

    def jd(run_dir, *args, env=None):
        return run(gu.DIST, *common, *args, f"run.dir={run_dir}", env=env)

    def jd_spawn(run_dir, *args, env=None):
        return spawn(gu.DIST, *common, *args, f"run.dir={run_dir}", env=env)

    bert_run = work / "bert_run"
    r = jd(bert_run, "model.name=bert", *TINY, f"+data.vocab={vocab}")
    if r.returncode != 0:
        sys.exit(f"jepa_dist (bert) failed: {r.stderr}")
    hf = work / "hf"  # a valid Hugging Face dir (config.json, model.safetensors, vocab.txt, tokenizer files)
    r = run(EXPORT, "--checkpoint", bert_run, "--out", hf)
    if r.returncode != 0:
        sys.exit(f"jepa_export failed: {r.stderr}")
    src_model = work / "src_model"  # a model dir trained from, changed or removed afterwards
    shutil.copytree(hf, src_model)
    hf_run = work / "hf_run"
    r = jd(hf_run, f"model.name={src_model}")
    if r.returncode != 0:
        sys.exit(f"jepa_dist (model dir) failed: {r.stderr}")

    # =========================================== (a) vocab files ======================================================
    existing = work / "existing.h5"  # a good earlier output: no failing jepa_prep may replace or remove it
    shutil.copy(corpus, existing)
    before = existing.read_bytes()
    for what, path, needles in [
        ("missing", inputs / "nope.txt", ["nope.txt"]),
        ("empty", empty, ["empty.txt", "empty"]),
        ("a directory", a_dir, ["a_directory"]),
        ("binary garbage", garbage, ["garbage.bin", "[PAD]"]),
        ("truncated (no [UNK])", truncated_vocab, ["truncated_vocab.txt", "[UNK]"]),
    ]:
        expect_error(f"jepa_prep --vocab {what}", prep(existing, "--vocab", path), 1, *needles)

    # --model-dir: the vocabulary of a Hugging Face dir
    def model_variant(name, mutate=None, base=hf):
        d = work / "models" / name
        shutil.copytree(base, d)
        if mutate:
            mutate(d)
        return d

    cased = model_variant("cased", lambda d: (d / "tokenizer_config.json").write_text('{"do_lower_case": false}'))
    bad_tc = model_variant("bad_tokenizer_config", lambda d: (d / "tokenizer_config.json").write_text('{"do_lower'))
    no_vocab = model_variant("no_vocab", lambda d: (d / "vocab.txt").unlink())
    empty_vocab = model_variant("empty_vocab", lambda d: (d / "vocab.txt").write_bytes(b""))
    for what, d, needles in [
        ("missing", work / "no_such_model", ["no_such_model", "not a directory"]),
        ("a file", hf / "config.json", ["config.json", "not a directory"]),
        ("without vocab.txt", no_vocab, ["no_vocab", "vocab.txt"]),
        ("with an empty vocab.txt", empty_vocab, ["empty_vocab/vocab.txt", "empty"]),
        ("tokenizer_config.json not JSON", bad_tc, ["tokenizer_config.json"]),
        ("cased tokenizer", cased, ["cased", "do_lower_case"]),
    ]:
        expect_error(f"jepa_prep --model-dir {what}", prep(existing, "--model-dir", d), 1, *needles)
    settle()
    check(existing.read_bytes() == before and not (work / "existing.h5.tmp").exists(),
          "failing jepa_prep runs leave the existing output as it was, and no .tmp")

    # data.vocab (jepa_dist): checked against the corpus's recorded vocabulary
    for what, path, needles in [
        ("missing", inputs / "nope.txt", ["nope.txt"]),
        ("a directory", a_dir, ["a_directory"]),
        ("another vocabulary than the corpus's", other_vocab, ["other_vocab.txt", "corpus.h5"]),
        ("empty", empty, ["empty.txt", "corpus.h5"]),
    ]:
        rd = work / "runs" / f"vocab_{what.split()[0]}"
        expect_error(f"jepa_dist data.vocab {what}", jd_spawn(rd, *TINY, f"+data.vocab={path}"), 1, *needles, no_dir=rd)
    # A model dir whose vocab.txt is not the corpus's (same size, so only the SHA-256 tells)
    swapped = model_variant("other_vocab", lambda d: shutil.copy(other_vocab, d / "vocab.txt"))
    rd = work / "runs" / "model_vocab"
    expect_error("jepa_dist model dir whose vocab.txt is not the corpus's", jd_spawn(rd, f"model.name={swapped}"), 1,
                 "other_vocab/vocab.txt", "corpus.h5", no_dir=rd)

    # jepa_eval --vocab
    train_tsv, test_tsv = inputs / "train.tsv", inputs / "test.tsv"
    rows = [l for l in LABELLED.read_text(encoding="utf-8").splitlines(True) if l.strip() and not l.startswith("#")]
    train_tsv.write_text("".join(l for i, l in enumerate(rows) if i % 3), encoding="utf-8")
    test_tsv.write_text("".join(l for i, l in enumerate(rows) if i % 3 == 0), encoding="utf-8")
    probe = ["--probe-train", train_tsv, "--probe-test", test_tsv]
    for what, args, needles in [
        ("missing (with --data)", ["--data", corpus, "--vocab", inputs / "nope.txt"], ["nope.txt"]),
        ("another vocabulary than --data's", ["--data", corpus, "--vocab", other_vocab],
         ["other_vocab.txt", "corpus.h5"]),
        ("a directory (probe)", [*probe, "--vocab", a_dir], ["a_directory"]),
        ("binary garbage (probe)", [*probe, "--vocab", garbage], ["garbage.bin"]),
        ("of another size than the checkpoint (probe)", [*probe, "--vocab", big_vocab],
         ["big_vocab.txt", "3000", "2000"]),
    ]:
        expect_error(f"jepa_eval --vocab {what}", spawn(EVAL, "--checkpoint", bert_run, *args), 1, *needles)

    # jepa_export --vocab; an earlier export replaced with --force survives a failing run
    old_export = work / "old_export"
    shutil.copytree(hf, old_export)
    old = files_of(old_export)
    for what, path, needles in [
        ("missing", inputs / "nope.txt", ["nope.txt"]),
        ("a directory", a_dir, ["a_directory"]),
        ("empty", empty, ["empty.txt", "empty"]),
        ("binary garbage", garbage, ["garbage.bin"]),
        ("of another size than the encoder", big_vocab, ["big_vocab.txt", "3000", "2000"]),
        ("another vocabulary than the corpus's", other_vocab, ["other_vocab.txt", "corpus.h5"]),
    ]:
        r = spawn(EXPORT, "--checkpoint", bert_run, "--out", old_export, "--force", "--vocab", path)
        expect_error(f"jepa_export --vocab {what}", r, 1, *needles)
    settle()
    check(files_of(old_export) == old, "failing jepa_export --force runs leave the earlier export as it was")
    check(not [p for p in work.iterdir() if ".tmp." in p.name or ".old." in p.name], "no jepa_export temporaries left")

    # ======================================== (b) model directories ===================================================
    def set_config(**kv):
        def mutate(d):
            c = json.loads((d / "config.json").read_text())
            for k, v in kv.items():
                if v is None:
                    c.pop(k, None)
                else:
                    c[k] = v
            (d / "config.json").write_text(json.dumps(c))
        return mutate

    def set_weights(edit):
        def mutate(d):
            path = str(d / "model.safetensors")
            with safe_open(path, "np") as f:
                meta = f.metadata()
            t = load_file(path)
            edit(t)
            save_file(t, path, metadata=meta)
        return mutate

    def write(name, data):
        return lambda d: (d / name).write_bytes(data)

    def make_dir(name):
        def mutate(d):
            (d / name).unlink()
            (d / name).mkdir()
        return mutate

    st_bytes = (hf / "model.safetensors").read_bytes()
    cfg_bytes = (hf / "config.json").read_bytes()
    q = "encoder.layer.0.attention.self.query.weight"
    cases = [
        # (name, mutation, exit code, needles)
        ("no_config", lambda d: (d / "config.json").unlink(), 1, ["no_config", "config.json"]),
        ("config_dir", make_dir("config.json"), 1, ["config_dir", "config.json"]),
        ("config_empty", write("config.json", b""), 1, ["config_empty/config.json", "JSON"]),
        ("config_truncated", write("config.json", cfg_bytes[: len(cfg_bytes) // 2]), 1,
         ["config_truncated/config.json", "JSON"]),
        ("config_garbage", write("config.json", garbage.read_bytes()), 1, ["config_garbage/config.json", "JSON"]),
        ("config_list", write("config.json", b"[1, 2]"), 1, ["config_list/config.json", "object"]),
        ("roberta", set_config(model_type="roberta"), 1, ["roberta/config.json", "roberta"]),
        ("no_model_type", set_config(model_type=None), 1, ["no_model_type/config.json", "model_type"]),
        ("hidden_string", set_config(hidden_size="32"), 1, ["hidden_string/config.json", "hidden_size"]),
        ("heads_3", set_config(num_attention_heads=3), 1, ["heads_3/config.json", "divisible"]),
        ("bad_activation", set_config(hidden_act="swiglu"), 1, ["bad_activation/config.json", "swiglu"]),
        ("vocab_30522", set_config(vocab_size=30522), 1, ["vocab_30522", "30522", "2000"]),
        ("weights_empty", write("model.safetensors", b""), 1, ["weights_empty/model.safetensors"]),
        ("weights_truncated", write("model.safetensors", st_bytes[: len(st_bytes) // 2]), 1,
         ["weights_truncated/model.safetensors"]),
        ("weights_garbage", write("model.safetensors", garbage.read_bytes()), 1, ["weights_garbage/model.safetensors"]),
        ("weights_dir", make_dir("model.safetensors"), 1, ["weights_dir/model.safetensors"]),
        ("weights_bin_only",
         lambda d: ((d / "model.safetensors").unlink(), (d / "pytorch_model.bin").write_bytes(b"x")),
         1, ["weights_bin_only", "pytorch_model.bin"]),
        ("weights_missing_tensor", set_weights(lambda t: t.pop(q)), 1, ["weights_missing_tensor/model.safetensors", q]),
        ("weights_extra_tensor", set_weights(lambda t: t.update({"encoder.layer.7.output.dense.weight": t[q]})), 1,
         ["weights_extra_tensor/model.safetensors", "encoder.layer.7.output.dense.weight"]),
        ("weights_misshapen", set_weights(lambda t: t.update({q: t[q].reshape(16, 64)})), 1,
         ["weights_misshapen/model.safetensors", q, "[16, 64]"]),
        ("weights_int", set_weights(lambda t: t.update({q: t[q].view("int32")})), 1,
         ["weights_int/model.safetensors", q, "dtype"]),
        ("weights_other_hidden", set_config(hidden_size=64, num_attention_heads=4), 1,
         ["weights_other_hidden/model.safetensors", "shape"]),
    ]
    for name, mutate, code, needles in cases:
        d = model_variant(name, mutate)
        rd = work / "runs" / f"model_{name}"
        expect_error(f"jepa_dist model.name=DIR: {name}", jd_spawn(rd, f"model.name={d}"), code, *needles, no_dir=rd)
    for what, d, code, needles in [("missing", work / "no_such_model", 2, ["model.name", "no_such_model"]),
                                   ("a file", hf / "config.json", 2, ["model.name", "config.json"])]:
        rd = work / "runs" / f"model_{what.replace(' ', '_')}"
        expect_error(f"jepa_dist model.name=DIR {what}", jd_spawn(rd, f"model.name={d}"), code, *needles, no_dir=rd)
    rd = work / "runs" / "model_positions"
    expect_error("jepa_dist data.max_length above the model dir's max_position_embeddings",
                 jd_spawn(rd, f"model.name={hf}", "data.max_length=80"), 1, "data.max_length",
                 "max_position_embeddings", no_dir=rd)
    # jepa_eval --config builds the same model
    expect_error("jepa_eval --config model.name=DIR with an unsupported model_type",
                 spawn(EVAL, "--config", SMOKE, f"model.name={work / 'models/roberta'}", *probe, "--vocab", vocab), 1,
                 "roberta/config.json", "roberta")
    expect_error("jepa_eval --config model.name=DIR missing",
                 spawn(EVAL, "--config", SMOKE, f"model.name={work / 'no_such_model'}", *probe, "--vocab", vocab), 2,
                 "model.name", "no_such_model")

    # The model dir a checkpoint was trained from, since removed or changed: jepa_export and jepa_eval rebuild from it
    settle()
    moved = work / "src_model_moved"
    src_model.rename(moved)
    expect_error("jepa_export: the checkpoint's model dir was removed",
                 spawn(EXPORT, "--checkpoint", hf_run, "--out", work / "export_gone"), 1, "src_model")
    expect_error("jepa_eval: the checkpoint's model dir was removed",
                 spawn(EVAL, "--checkpoint", hf_run, "--data", corpus), 1, "src_model")
    settle()
    moved.rename(src_model)
    (src_model / "config.json").write_text(json.dumps({**json.loads(cfg_bytes), "num_hidden_layers": 2}))
    expect_error("jepa_export: the checkpoint's model dir changed (2 layers)",
                 spawn(EXPORT, "--checkpoint", hf_run, "--out", work / "export_changed"), 1, "src_model")
    expect_error("jepa_eval: the checkpoint's model dir changed (2 layers)",
                 spawn(EVAL, "--checkpoint", hf_run, "--data", corpus), 1, "src_model")
    check(not (work / "export_gone").exists() and not (work / "export_changed").exists(),
          "failing exports write nothing")

    # jepa_export --out: an existing directory or file that is not an export, an export without --force, the run dir
    not_export = work / "not_an_export"
    not_export.mkdir()
    (not_export / "notes.txt").write_text("keep me")
    a_file = work / "a_file.txt"
    a_file.write_text("keep me")
    for what, out, extra, needles in [
        ("an existing directory that is not an export", not_export, ["--force"],
         ["not_an_export", "not an earlier export"]),
        ("an existing file", a_file, ["--force"], ["a_file.txt"]),
        ("an earlier export without --force", old_export, [], ["old_export", "--force"]),
        ("inside the run directory", bert_run / "exported", [], ["bert_run"]),
    ]:
        expect_error(f"jepa_export --out {what}", spawn(EXPORT, "--checkpoint", bert_run, "--out", out, *extra), 1,
                     *needles)
    settle()
    check((not_export / "notes.txt").read_text() == "keep me" and a_file.read_text() == "keep me"
          and files_of(old_export) == old and not (bert_run / "exported").exists(),
          "jepa_export --out: nothing replaced")

    # ========================================= (c) labelled files =====================================================
    one_class = inputs / "one_class.tsv"
    one_class.write_text("cooking\tFold the egg whites.\ncooking\tStir the soup.\n", encoding="utf-8")
    unknown = inputs / "unknown_label.tsv"
    unknown.write_text("cooking\tStir the soup.\nknitting\tCast on forty stitches.\n", encoding="utf-8")
    no_tab = inputs / "no_tab.tsv"
    no_tab.write_text("cooking\tStir the soup.\ncooking Stir the soup again.\n", encoding="utf-8")
    trunc = inputs / "truncated.tsv"  # cut inside the label of line 5
    lines = train_tsv.read_text(encoding="utf-8").splitlines(True)
    trunc.write_text("".join(lines[:4]) + lines[4][:3], encoding="utf-8")
    one_row = inputs / "one_row.tsv"
    one_row.write_text(lines[0], encoding="utf-8")
    tfidf = ["--probe-features", "tfidf"]
    for what, train, test, needles in [
        ("train missing", inputs / "nope.tsv", test_tsv, ["nope.tsv"]),
        ("test missing", train_tsv, inputs / "nope.tsv", ["nope.tsv"]),
        ("train empty", empty, test_tsv, ["empty.txt"]),
        ("test empty", train_tsv, empty, ["empty.txt"]),
        ("train a directory", a_dir, test_tsv, ["a_directory"]),
        ("train binary garbage", garbage, test_tsv, ["garbage.bin:"]),
        ("train truncated inside a label", trunc, test_tsv, ["truncated.tsv:5", "label<TAB>"]),
        ("test line without a tab", train_tsv, no_tab, ["no_tab.tsv:2", "label<TAB>"]),
        ("train with one class", one_class, test_tsv, ["one_class.tsv", "1 class"]),
        ("test label not in train", train_tsv, unknown, ["unknown_label.tsv:2", "knitting"]),
    ]:
        expect_error(f"jepa_eval --probe-* (tfidf) {what}",
                     spawn(EVAL, *tfidf, "--probe-train", train, "--probe-test", test), 1, *needles)
    # With a model: a bad file fails before the model is built, and an existing --out is kept
    out_json = work / "eval_out.json"
    out_json.write_text('{"kept": true}\n')
    expect_error("jepa_eval --probe-train binary garbage (encoder features)",
                 spawn(EVAL, "--checkpoint", bert_run, "--probe-train", garbage, "--probe-test", test_tsv,
                       "--vocab", vocab, "--out", out_json), 1, "garbage.bin:")
    for what, path, needles in [("missing", inputs / "nope.tsv", ["nope.tsv"]),
                                ("a directory", a_dir, ["a_directory"]),
                                ("empty", empty, ["empty.txt", "fewer than 2"]),
                                ("one example", one_row, ["one_row.tsv", "fewer than 2"]),
                                ("binary garbage", garbage, ["garbage.bin:"])]:
        expect_error(f"jepa_eval --labelled {what}",
                     spawn(EVAL, "--checkpoint", bert_run, "--data", corpus, "--labelled", path, "--vocab", vocab,
                           "--out", out_json), 1, *needles)
    # --out where no file can be written: a directory, or a path through a file
    out_dir = work / "out_is_a_directory"
    out_dir.mkdir()
    for what, out, needles in [("a directory", out_dir, ["out_is_a_directory"]),
                               ("below a file", a_file / "eval.json", ["a_file.txt"])]:
        expect_error(f"jepa_eval --out {what}",
                     spawn(EVAL, *tfidf, "--probe-train", train_tsv, "--probe-test", test_tsv, "--out", out), 1,
                     *needles)
    settle()
    check(out_json.read_text() == '{"kept": true}\n' and a_file.read_text() == "keep me" and not any(out_dir.iterdir()),
          "failing jepa_eval runs keep an existing --out file and write nothing")

    # ======================================= (d) launcher environment =================================================
    # A launcher that started more processes than MPI sees (srun without --mpi=pmix; mpirun of another MPI library):
    # each process would train alone into the same run.dir. A stray variable of one launcher is the same situation.
    for what, extra, needles in [
        ("OMPI_COMM_WORLD_SIZE=2 but MPI sees 1 process", {"OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "1"},
         ["OMPI_COMM_WORLD_SIZE"]),
        ("PMI_SIZE=4 but MPI sees 1 process", {"PMI_RANK": "3", "PMI_SIZE": "4"}, ["PMI_SIZE"]),
        ("SLURM_PROCID=1 of 2 tasks without MPI (srun without --mpi=pmix)",
         {"SLURM_PROCID": "1", "SLURM_NTASKS": "2", "SLURM_STEP_NUM_TASKS": "2"}, ["SLURM_PROCID"]),
    ]:
        rd = work / "runs" / f"env_{list(extra)[0]}"
        expect_error(f"launcher: {what}", jd_spawn(rd, *TINY, env={**ENV, **extra}), 1, *needles, no_dir=rd)
    settle()
    # Not errors: task 0 of a Slurm allocation's batch script (mpirun goes inside it), garbage in MPI-unrelated and
    # Slurm variables, NO_COLOR empty (ignored, no-color.org) or "0" (any non-empty value turns colour off).
    rd = work / "runs" / "env_batch"
    r = jd(rd, *TINY, env={**ENV, "SLURM_PROCID": "0", "SLURM_NTASKS": "4", "SLURM_LOCALID": "x", "SLURM_JOB_ID": "?"})
    check(r.returncode == 0 and (rd / "checkpoints/latest").exists() and not crashed(r),
          f"launcher: SLURM_PROCID=0 with SLURM_NTASKS=4 (a batch script) trains: exit {r.returncode} "
          f"{r.stderr[-300:]}")
    for value, coloured in [("", True), ("0", False)]:
        master, slave = pty.openpty()
        rd = work / "runs" / f"env_no_color_{value or 'empty'}"
        p = subprocess.Popen([gu.DIST, *common, *TINY, f"run.dir={rd}"], stdout=slave, stderr=slave,
                             env={**ENV, "TERM": "xterm", "NO_COLOR": value})
        os.close(slave)
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        os.close(master)
        rc = p.wait(timeout=300)
        has_colour = b"\x1b[" in out
        check(rc == 0 and has_colour == coloured,
              f"launcher: NO_COLOR={value!r} on a terminal: exit {rc}, colour {has_colour} (want {coloured})")

    # Ranks that disagree: an MPMD launch whose ranks get different model.dim. Rank 0 names the first differing key in
    # one line; no MPI error dump (the initial weight broadcast would otherwise read past its buffer).
    rd = work / "runs" / "mpmd"
    base = [gu.DIST, *common, *TINY[1:], "dist.timeout_s=30", f"run.dir={rd}"]
    r = run(gu.MPIEXEC, *gu.MPI_FLAGS, "-np", 1, *base, "model.dim=32", ":", "-np", 1, *base, "model.dim=64",
            timeout=180)
    ours = [l for l in r.stderr.splitlines() if l.startswith("jepa_dist")]
    bad = crashed(r)
    check(r.returncode != 0 and len(ours) == 1 and "model.dim" in ours[0] and not bad
          and not (rd / "checkpoints").exists(),
          f"mpirun ranks with different model.dim: exit {r.returncode}, our lines {ours}, crash markers {bad}, "
          f"stderr {r.stderr.strip().splitlines()[:4]}")

    settle()
    POOL.shutdown()
    gu.exit_if_failed("bad inputs")


if __name__ == "__main__":
    main()
