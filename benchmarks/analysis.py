"""Benchmark the analysis on banking_tutorial.csv and on 100,000 rows.

Runs `labeltui analyze` as a whole process (import, load, analyse, write),
scores its output against banking_tutorial_truth.csv and prints:

- wall time of the whole process (median of RUNS runs) and its peak memory;
- suggestion accuracy on unlabeled rows, and on the 10%, 30% and 50% most
  confident of them;
- average precision of label quality at finding the flipped given labels, and
  the recall and precision of is_label_issue on them;
- expected calibration error of the confidence on unlabeled rows;
- the same wall time and memory for a 100,000-row file made from the same texts
  with about 10% of rows labeled;
- with --million, the same for 1,000,000 such rows (minutes; not by default).

Usage: python benchmarks/analysis.py [--data-dir DIR] [--runs N] [--million]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared/data/banking77"

# Runs per timing; the median is reported (the machine is shared).
RUNS = 2

# Equal-width confidence bins of the expected calibration error, the usual 10.
CALIBRATION_BINS = 10

# The large data set: rows, and the share of them that keep a label.
LARGE_ROWS = 100_000
MILLION_ROWS = 1_000_000
LARGE_LABELED_SHARE = 0.10

# Shares of the most confident unlabeled suggestions whose accuracy is shown.
CONFIDENT_SHARES = (0.1, 0.3, 0.5)

# Runs the command in a child and prints its wall time and peak memory, so that
# the memory of one run is not mixed with another's.
_MEASURE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
status = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
seconds = time.perf_counter() - started
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"status": status, "seconds": seconds, "peak_mb": peak_kb / 1024}))
"""


def measure(command: list[str], runs: int) -> tuple[float, float]:
    """Median wall seconds and largest peak memory (MB) of `runs` runs."""
    seconds, peaks = [], []
    for _ in range(runs):
        report = subprocess.run(
            [sys.executable, "-c", _MEASURE, *command],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(report.stdout)
        if figures["status"] != 0:
            raise SystemExit(f"{' '.join(command)} exited {figures['status']}")
        seconds.append(figures["seconds"])
        peaks.append(figures["peak_mb"])
    return statistics.median(seconds), max(peaks)


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray) -> float:
    """Mean |accuracy - confidence| over equal-width bins, weighted by size."""
    bins = np.minimum((confidence * CALIBRATION_BINS).astype(int), CALIBRATION_BINS - 1)
    error = 0.0
    for b in range(CALIBRATION_BINS):
        members = bins == b
        if members.any():
            gap = abs(correct[members].mean() - confidence[members].mean())
            error += gap * members.mean()
    return float(error)


def average_precision(scores: np.ndarray, positive: np.ndarray) -> float:
    """Average precision of ranking by score, highest first."""
    order = np.argsort(-scores, kind="stable")
    hits = positive[order]
    precision_at = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float(precision_at[hits].sum() / max(hits.sum(), 1))


def score(analysis: pl.DataFrame, truth: pl.DataFrame) -> dict[str, float]:
    """Every quality figure of the issue, from an analyze output file."""
    true_label = truth["true_label"].to_numpy()
    labeled = analysis["given_label"].is_not_null().to_numpy()
    flipped = truth["flipped"].to_numpy().astype(bool)
    suggested = analysis["suggested_label"].to_numpy()
    confidence = analysis["suggested_confidence"].fill_null(0.0).to_numpy()

    unlabeled = ~labeled
    correct = suggested[unlabeled] == true_label[unlabeled]
    figures = {"unlabeled_accuracy": float(correct.mean())}
    order = np.argsort(-confidence[unlabeled], kind="stable")
    for share in CONFIDENT_SHARES:
        top = order[: max(1, int(share * len(order)))]
        figures[f"accuracy_top_{int(share * 100)}pct"] = float(correct[top].mean())
    figures["ece_unlabeled"] = expected_calibration_error(
        confidence[unlabeled], correct
    )

    # Rows whose label could not be checked rank as the least suspicious.
    quality = analysis["label_quality"].fill_null(1.0).to_numpy()[labeled]
    is_flipped = flipped[labeled]
    figures["flipped_average_precision"] = average_precision(-quality, is_flipped)
    flagged = analysis["is_label_issue"].to_numpy()[labeled]
    hits = int((flagged & is_flipped).sum())
    figures["issue_recall"] = hits / max(int(is_flipped.sum()), 1)
    figures["issue_precision"] = hits / max(int(flagged.sum()), 1)
    figures["issues_flagged"] = float(flagged.sum())
    figures["flipped_rows"] = float(is_flipped.sum())
    figures["outliers"] = float(analysis["is_outlier"].sum())
    figures["near_duplicate_sets"] = float(
        analysis["near_duplicate_cluster"].drop_nulls().n_unique()
    )
    figures["ambiguous"] = float(analysis["is_ambiguous"].sum())
    return figures


def make_large(
    truth: pl.DataFrame, path: Path, *, rows: int = LARGE_ROWS, seed: int = 0
) -> None:
    """`rows` rows drawn from the banking texts, about 10% labeled.

    Each text gets a random number from 1 to 999 appended, so that most rows
    are not exact copies of one another (as most rows of real data are not).
    """
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, truth.height, rows)
    texts = truth["text"].to_numpy()[picks]
    suffixes = rng.integers(1, 1000, rows).astype(str)
    texts = np.char.add(np.char.add(texts.astype(str), " #"), suffixes)
    labels = truth["true_label"].to_numpy()[picks].astype(object)
    labels[rng.random(rows) >= LARGE_LABELED_SHARE] = None
    pl.DataFrame(
        {"text": texts, "label": pl.Series(labels.tolist(), dtype=pl.String)}
    ).write_csv(path)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument(
        "--million", action="store_true", help="also time 1,000,000 rows"
    )
    parser.add_argument(
        "--only-million", action="store_true", help="time 1,000,000 rows only"
    )
    args = parser.parse_args()

    data = args.data_dir / "banking_tutorial.csv"
    truth = pl.read_csv(args.data_dir / "banking_tutorial_truth.csv")
    labeltui = [sys.executable, "-m", "labeltui", "analyze"]
    with tempfile.TemporaryDirectory() as folder:
        if args.only_million:
            run_large(truth, Path(folder), MILLION_ROWS, labeltui, args.runs)
            return
        out = Path(folder) / "analysis.parquet"
        seconds, peak = measure([*labeltui, str(data), "-o", str(out)], args.runs)
        print(f"banking_tutorial.csv ({truth.height} rows)")
        print(
            f"  labeltui analyze, whole process: {seconds:.2f} s (median of "
            f"{args.runs}), peak memory {peak:.0f} MB"
        )
        for name, value in score(pl.read_parquet(out), truth).items():
            print(f"  {name}: {value:.4g}")

        if args.skip_large:
            return
        run_large(truth, Path(folder), LARGE_ROWS, labeltui, args.runs)
        if args.million:
            run_large(truth, Path(folder), MILLION_ROWS, labeltui, args.runs)


def run_large(
    truth: pl.DataFrame, folder: Path, rows: int, labeltui: list[str], runs: int
) -> None:
    """Make a `rows`-row file and print the analyze run's time and memory."""
    large = folder / f"large-{rows}.csv"
    started = time.perf_counter()
    make_large(truth, large, rows=rows)
    print(
        f"\n{rows} rows, {LARGE_LABELED_SHARE:.0%} labeled "
        f"(made in {time.perf_counter() - started:.1f} s)"
    )
    out = folder / f"large-{rows}.parquet"
    seconds, peak = measure([*labeltui, str(large), "-o", str(out)], runs)
    print(
        f"  labeltui analyze, whole process: {seconds:.2f} s (median of "
        f"{runs}), peak memory {peak:.0f} MB"
    )


if __name__ == "__main__":
    main()
