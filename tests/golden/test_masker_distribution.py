"""The C++ span masker against the reference's Python masker (reference_jepa.span_mask, Python's `random`) on the
whole distribution of masks, not just the mean span (design.md §1.2).

The two draw from different generators, so individual masks differ; their distributions must not. For each setting
(mask ratio, mean span, sequence length) both sides mask N = 20,000 sequences [CLS] body [SEP] and we compare, with a
two-sample chi-square test per statistic:
  - the number of masked positions per sequence (the target, and how far the last span overshoots it),
  - the lengths of the maximal masked runs (span lengths after overlaps merge and specials cut them),
  - the number of runs per sequence,
  - where masking falls: the masked count per position (edge effects at [CLS]/[SEP] and the sequence end).
A statistic fails when its chi-square exceeds the critical value for p = 1e-6 (Wilson-Hilferty approximation), so a
correct masker fails by chance about once in 10^6 runs per statistic (and never here: the seeds are fixed).
To show the test can fail, the same comparison runs against two plausible mistakes in a Python masker - the mean span
off by one, and span starts drawn only where a whole span fits - and each must be rejected.
"""
import collections
import math
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import golden_util as gu  # noqa: E402
import reference_jepa as ref  # noqa: E402

N = 20000
SETTINGS = [(0.3, 5, 24), (0.3, 5, 128), (0.15, 3, 64), (0.5, 10, 48), (0.3, 5, 8)]
Z_1E6 = 4.753  # one-sided standard normal quantile for p = 1e-6


def chi2_critical(df):
    """Wilson-Hilferty: the (1 - 1e-6) quantile of chi-square with df degrees of freedom."""
    return df * (1 - 2 / (9 * df) + Z_1E6 * math.sqrt(2 / (9 * df))) ** 3


def two_sample_chi2(a, b):
    """Chi-square statistic and degrees of freedom for two histograms (Counter) of the same total weight class;
    bins with fewer than 10 expected counts are pooled into one so the approximation holds."""
    na, nb = sum(a.values()), sum(b.values())
    keys = sorted(set(a) | set(b))
    bins, pool = [], [0, 0]
    for k in keys:
        if (a[k] + b[k]) * min(na, nb) / (na + nb) < 10:
            pool[0] += a[k]
            pool[1] += b[k]
        else:
            bins.append((a[k], b[k]))
    if sum(pool):
        bins.append(tuple(pool))
    stat = 0.0
    for x, y in bins:
        # the standard statistic for two samples of different sizes
        stat += (math.sqrt(nb / na) * x - math.sqrt(na / nb) * y) ** 2 / (x + y)
    return stat, max(1, len(bins) - 1)


def stats(masks):
    count, runs, n_runs, where = (collections.Counter() for _ in range(4))
    for m in masks:
        count[sum(m)] += 1
        k, r = 0, 0
        for i, v in enumerate(m):
            if v:
                where[i] += 1
                k += 1
            elif k:
                runs[k] += 1
                r += 1
                k = 0
        if k:
            runs[k] += 1
            r += 1
        n_runs[r] += 1
    return {"masked count": count, "run lengths": runs, "runs per sequence": n_runs, "position": where}


def ours(ratio, mean, length, seed=1234):
    driver = os.environ.get("JEPA_GOLDEN_masker_dump", str(gu.BUILD / "tests/jepa_golden_masker_dump"))
    out = subprocess.run([driver, str(N), str(seed), str(ratio), str(mean), str(length)], check=True,
                         capture_output=True, text=True).stdout.split()
    assert len(out) == N and all(len(x) == length for x in out), "masker_dump printed the wrong shape"
    return [[c == "1" for c in line] for line in out]


def python_masks(ratio, mean, length, masker, seed=99):
    random.seed(seed)
    special = {0, length - 1}  # [CLS] and [SEP]
    return [masker(length, ratio, mean, special) for _ in range(N)]


def off_by_one_mean(n, ratio, mean, special):
    return ref.span_mask(n, ratio, mean + 1, special)


def starts_where_span_fits(n, ratio, mean, special):
    """A plausible bug: start drawn from [0, n - span] so spans never run past the end."""
    mask = [False] * n
    target = max(1, int(round(n * ratio)))
    masked = attempts = 0
    while masked < target and attempts < 4 * n:
        attempts += 1
        span = min(n, max(1, int(random.expovariate(1.0 / max(1, mean)))))
        start = random.randint(0, n - span)
        for i in range(start, start + span):
            if i not in special and not mask[i]:
                mask[i] = True
                masked += 1
    return mask


def compare(a, b):
    """[(statistic, chi2, critical)] for each statistic."""
    sa, sb = stats(a), stats(b)
    rows = []
    for name in sa:
        stat, df = two_sample_chi2(sa[name], sb[name])
        rows.append((name, stat, chi2_critical(df), df))
    return rows


def main():
    for ratio, mean, length in SETTINGS:
        cpp = ours(ratio, mean, length)
        py = python_masks(ratio, mean, length, ref.span_mask)
        for name, stat, crit, df in compare(cpp, py):
            gu.check(stat <= crit, f"ratio {ratio} mean span {mean} length {length}: {name}: chi2 {stat:.1f} "
                                   f"(df {df}, critical {crit:.1f})")
        mean_frac = [sum(sum(m) for m in x) / (N * length) for x in (cpp, py)]
        print(f"  masked fraction ours {mean_frac[0]:.4f} python {mean_frac[1]:.4f}")
    # The test must reject plausible mistakes (on the settings where they change anything).
    for bug in (off_by_one_mean, starts_where_span_fits):
        ratio, mean, length = 0.3, 5, 128
        rejected = [name for name, stat, crit, _ in compare(ours(ratio, mean, length),
                                                            python_masks(ratio, mean, length, bug)) if stat > crit]
        gu.check(bool(rejected), f"planted mistake {bug.__name__} is rejected (by {rejected})")
    gu.exit_if_failed("masker distribution")


if __name__ == "__main__":
    main()
