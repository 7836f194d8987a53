"""Equivalence under real mpirun for train.objective=llm_jepa (design.md §9): 1 rank with batch 2B == 2 ranks with
batch B each, same seed — the same loss at every step (1e-5) and the same decoder weights after 20 steps (1e-5; 3e-5
for the token embedding, as test_equivalence.py explains) — for the packed cosine objective with 2 [PRED] tokens,
the 3-row layout, InfoNCE (its negatives are the codes of the whole global batch: gathered over ranks), loss dropout
(each step's draw is the same on every rank) and gradient accumulation. The data are generated NL -> regex pairs
(jepa_regex_gen) prepared by jepa_prep --paired.
"""
import os
import subprocess
import sys

from safetensors.torch import load_file

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "golden"))
import golden_util as gu  # noqa: E402

B, STEPS, TOL, PARAM_TOL = 4, 20, 1e-5, 3e-5
GEN = str(gu.BUILD / "src/tools/jepa_regex_gen")
MODEL = ["model=llama_tiny", "model.dim=32", "model.layers=2", "model.heads=4", "model.kv_heads=2", "model.ff_dim=64"]


def main():
    work = gu.scratch("dist_equivalence_llm_jepa")
    subprocess.run([GEN, "--out", str(work / "pairs"), "--train", "200", "--test", "10", "--seed", "3"], check=True,
                   capture_output=True)
    corpus = work / "pairs.h5"
    subprocess.run([gu.PREP, "--paired", "--input", str(work / "pairs" / "train.jsonl"), "--output", str(corpus),
                    "--max-length", "128", "--bpe-vocab-size", "300"], check=True, capture_output=True)
    common = ["--config", str(gu.SOURCE / "configs/smoke.yaml"), *MODEL, "train.objective=llm_jepa",
              f"data.path={corpus}", f"train.steps={STEPS}", "train.log_every=1", f"train.save_every={STEPS}",
              "optim.lr=1e-4", "optim.warmup_steps=5", "jepa.pred_tokens=2", "dist.bucket_mb=0.05"]
    variants = {
        "cosine_packed": [],
        "three_rows": ["jepa.packed=false", "data.padding_side=left"],
        "infonce": ["jepa.distance=infonce"],
        "loss_dropout": ["jepa.loss_dropout=0.5", "jepa.distance=l2"],
    }
    runs = {}
    for name, keys in variants.items():
        runs[f"1x2B {name}"] = (1, [f"train.batch_size={2 * B}", *keys], None)
        runs[f"2xB {name}"] = (2, [f"train.batch_size={B}", *keys], f"1x2B {name}")
    runs["2x(2x B/2) grad_accum=2"] = (2, [f"train.batch_size={B // 2}", "train.grad_accum=2"], "1x2B cosine_packed")
    results = {}
    for name, (np_, extra, _) in runs.items():
        run_dir = work / name.replace(" ", "_").replace("=", "-").replace("(", "").replace(")", "").replace("/", "")
        r = gu.run_dist(np_, [*common, *extra, f"run.dir={run_dir}"])
        gu.check("objective llm_jepa" in r.stdout, f"{name}: trains the llm_jepa objective")
        results[name] = (gu.metrics(run_dir), load_file(str(run_dir / "checkpoints" / f"step_{STEPS:07d}" / "model.safetensors")))
    for name, (np_, extra, base) in runs.items():
        if base is None:
            continue
        losses, params = results[name]
        base_losses, base_params = results[base]
        dl = max(abs(a["loss"] - b["loss"]) for a, b in zip(base_losses, losses))
        dp = max((base_params[k] - params[k]).abs().max().item() for k in base_params)
        dp_other = max((base_params[k] - params[k]).abs().max().item() for k in base_params if "embed" not in k)
        print(f"{name} vs {base}: max loss diff {dl:.2e}, max param diff {dp:.2e} ({dp_other:.2e} outside the embedding)")
        gu.check(len(losses) == STEPS and dl <= TOL and dp <= PARAM_TOL and dp_other <= TOL,
                 f"{name} equals {base} (losses within {TOL}, weights within {TOL} / embedding {PARAM_TOL})")
        gu.check(all(a["tokens"] == b["tokens"] for a, b in zip(base_losses, losses)), f"{name}: same tokens per step")
    # Loss dropout skipped the JEPA term on some steps and not others (the same ones on 1 and 2 ranks).
    jl = [r.get("loss/jepa") for r in results["2xB loss_dropout"][0]]
    gu.check(0 in jl and any(x and x > 0 for x in jl), f"loss dropout: some steps without the JEPA term ({jl.count(0)}/{STEPS})")
    gu.exit_if_failed("test_equivalence_llm_jepa")


if __name__ == "__main__":
    main()
