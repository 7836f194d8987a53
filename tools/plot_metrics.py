#!/usr/bin/env python3
"""Plots a jepa_dist run's metrics.jsonl: one PNG with up to six panels against step.

    python3 tools/plot_metrics.py runs/smoke/metrics.jsonl -o runs/smoke/metrics.png

Panels: loss, learning rate, tokens/s, effective rank of the target embeddings (with the monitor.min_effective_rank
threshold when --min-rank is given), and the held-out effective rank and mean cosine of runs with eval.every. A panel
whose key appears in no record is skipped. Needs matplotlib (Agg
backend: no display required). Exit status 1 with one line on stderr for an unreadable or empty file.
"""
import argparse
import json
import pathlib
import sys

PANELS = [  # (key, title, log-scale y)
    ("loss", "masked-position loss (1 - cos)", False),
    ("lr", "learning rate", False),
    ("tokens_per_s", "tokens / s", False),
    ("effective_rank", "effective rank (target embeddings)", False),
    ("eval_effective_rank", "held-out effective rank (eval.every)", False),
    ("eval_mean_cosine", "held-out mean cosine (eval.every)", False),
]


def read_records(path):
    records = []
    for n, line in enumerate(pathlib.Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}:{n}: not JSON ({e.msg})") from None
        if not isinstance(rec, dict) or "step" not in rec:
            raise ValueError(f"{path}:{n}: expected an object with a 'step' key")
        records.append(rec)
    return records


def plot(records, out, title=None, min_rank=None):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [p for p in PANELS if any(p[0] in r for r in records)]
    if not panels:
        raise ValueError("none of " + ", ".join(p[0] for p in PANELS) + " is in the metrics")
    cols = 2 if len(panels) > 1 else 1
    rows = (len(panels) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(6 * cols, 3.6 * rows), squeeze=False)
    for ax, (key, label, logy) in zip(axes.flat, panels):
        pts = [(r["step"], r[key]) for r in records if isinstance(r.get(key), (int, float))]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        ax.plot(xs, ys, marker="o" if len(xs) < 30 else None, markersize=3, linewidth=1.5)
        if key == "effective_rank" and min_rank is not None:
            ax.axhline(min_rank, color="tab:red", linestyle="--", linewidth=1, label=f"warn below {min_rank:g}")
            ax.legend(loc="best", fontsize=8)
        if key == "lr":
            ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
        if logy:
            ax.set_yscale("log")
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("step")
        ax.grid(True, alpha=0.3)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    pathlib.Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return [p[0] for p in panels]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("metrics", help="metrics.jsonl of a run")
    ap.add_argument("-o", "--output", help="PNG to write (default: metrics.png next to the input)")
    ap.add_argument("--title", help="figure title (default: the run directory name)")
    ap.add_argument("--min-rank", type=float, default=None,
                    help="draw the monitor.min_effective_rank threshold on the effective-rank panel")
    args = ap.parse_args(argv)
    src = pathlib.Path(args.metrics)
    out = pathlib.Path(args.output) if args.output else src.with_name("metrics.png")
    try:
        records = read_records(src)
        if not records:
            raise ValueError(f"{src}: no records")
        panels = plot(records, out, args.title or src.parent.name, args.min_rank)
    except (OSError, ValueError) as e:
        print(f"plot_metrics: error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {out} ({len(records)} records; panels: {', '.join(panels)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
