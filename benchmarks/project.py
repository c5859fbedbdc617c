"""Time the project store and the workspace on a large synthetic project.

Prints, for a project of --rows rows (default 1,000,000):

- creating the project (read the data, hash it, store a copy);
- reopening it, with a cached analysis, to a ready workspace;
- a one-row action applied and committed, and its undo;
- a 10,000-row batch action;
- view queries (filter + sort + first window), cold and warm.

Targets (issue 4): one-row action <= 5 ms median, 10,000-row batch <= 200 ms,
reopen <= 3 s, view query <= 150 ms.

Run: python benchmarks/project.py [--rows N] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from labeltui.core.workspace import NEEDS_REVIEW, Action, ViewQuery, Workspace

# Synthetic data shaped like the banking77 tutorial set: 77 intents, about one
# row in ten labeled, short customer messages.
N_CLASSES = 77
LABELED_SHARE = 0.1
WORDS_PER_TEXT = (5, 20)
VOCABULARY = [
    "card",
    "payment",
    "refund",
    "transfer",
    "account",
    "balance",
    "pending",
    "declined",
    "top",
    "up",
    "cash",
    "atm",
    "fee",
    "exchange",
    "rate",
    "currency",
    "pin",
    "blocked",
    "lost",
    "stolen",
    "arrived",
    "delivery",
    "verify",
    "identity",
    "app",
    "phone",
    "change",
    "address",
    "cancel",
    "wrong",
    "charged",
    "twice",
    "why",
    "my",
    "the",
    "is",
    "has",
    "not",
    "yet",
    "where",
    "how",
    "can",
    "I",
    "please",
    "help",
    "money",
    "bank",
    "still",
]

ONE_ROW_ACTIONS = 200
BATCH_ROWS = 10_000
BATCH_ACTIONS = 5
VIEW_REPEATS = 5
SEED = 0
REOPEN_RUNS = 3
SEARCH_WORDS = ("refund", "exchange", "blocked", "verify", "currency", "stolen")

REOPEN_CHILD = """
import sys, time
from labeltui.core.workspace import ViewQuery, Workspace
try:
    import labeltui.core.analysis  # imported before the clock starts
except ImportError:
    pass
start = time.perf_counter()
workspace = Workspace.open(sys.argv[1])
workspace.view(ViewQuery(sort="-confidence")).window(0, 50)
print(time.perf_counter() - start, workspace.analysis is not None)
"""


def make_data(path: Path, n_rows: int) -> None:
    rng = np.random.default_rng(SEED)
    vocabulary = np.array(VOCABULARY)
    lengths = rng.integers(*WORDS_PER_TEXT, size=n_rows)
    words = vocabulary[rng.integers(0, len(vocabulary), size=int(lengths.sum()))]
    ends = np.cumsum(lengths)
    texts = [
        " ".join(words[end - n : end]) for end, n in zip(ends, lengths, strict=True)
    ]
    labels = np.array([f"intent_{i:02d}" for i in range(N_CLASSES)])
    given = labels[rng.integers(0, N_CLASSES, size=n_rows)].astype(object)
    given[rng.random(n_rows) >= LABELED_SHARE] = ""
    pl.DataFrame({"text": texts, "label": given.tolist()}).write_csv(path)


def make_analysis(workspace: Workspace) -> object | None:
    """A synthetic analysis result, or None when the analysis module is absent."""
    try:
        from labeltui.core.analysis import AnalysisResult, input_key
    except ImportError:
        return None
    rng = np.random.default_rng(SEED)
    n = workspace.n_rows
    classes = tuple(sorted(workspace.dataset.labels))
    k = min(9, len(classes))
    # k distinct classes per row (a random start, then the next k - 1), with
    # falling probabilities; no dense (rows x classes) matrix, which would
    # dwarf the workspace in the memory figure.
    start = rng.integers(0, len(classes), size=(n, 1))
    top = ((start + np.arange(k)) % len(classes)).astype(np.int32)
    shares = rng.dirichlet(np.ones(k + 1), size=n).astype(np.float32)
    top_p = -np.sort(-shares, axis=1)[:, :k]
    labeled = workspace.dataset.given_labels.is_not_null().to_numpy()
    quality = np.where(labeled, rng.random(n), np.nan).astype(np.float32)
    return AnalysisResult(
        classes=classes,
        top_classes=top,
        top_probabilities=top_p,
        label_quality=quality,
        is_label_issue=labeled & (quality < 0.1),
        outlier_score=rng.random(n).astype(np.float32),
        is_outlier=rng.random(n) < 0.01,
        near_duplicate_cluster=np.where(
            rng.random(n) < 0.02, rng.integers(0, 5000, n), -1
        ).astype(np.int32),
        is_ambiguous=rng.random(n) < 0.05,
        cv_accuracy=0.9,
        notes=(),
        input_key=input_key(workspace.dataset.texts, workspace.training_labels()),
        seconds=0.0,
    )


def timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return (time.perf_counter() - start) * 1000


def report(name: str, millis: list[float], target: float | None = None) -> None:
    median = statistics.median(millis)
    p95 = sorted(millis)[int(0.95 * (len(millis) - 1))]
    goal = "" if target is None else f"  (target <= {target:g} ms)"
    print(
        f"{name:<48} median {median:9.1f} ms  p95 {p95:9.1f} ms  n={len(millis)}{goal}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="labeltui-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    data = workdir / f"bench-{args.rows}.csv"
    project = data.with_suffix(".labeltui")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{project}{suffix}").unlink(missing_ok=True)
    if not data.exists():
        print(f"writing {args.rows:,} rows to {data}")
        make_data(data, args.rows)
    print(f"data: {data} ({data.stat().st_size / 1e6:.0f} MB)")

    start = time.perf_counter()
    workspace = Workspace.open(data)
    print(f"{'create project (first open)':<48} {time.perf_counter() - start:9.2f} s")

    analysis = make_analysis(workspace)
    if analysis is None:
        print("labeltui.core.analysis not available: no cached analysis")
    else:
        store = workspace.set_analysis
        millis = timed(lambda: store(analysis))  # type: ignore[arg-type]
        print(f"{'set_analysis (store in project)':<48} {millis:9.1f} ms")

    rng = np.random.default_rng(SEED)
    rows = rng.integers(0, workspace.n_rows, size=ONE_ROW_ACTIONS)
    kinds = [
        Action("label", (int(row),), label=f"intent_{i % N_CLASSES:02d}")
        if i % 3 == 0
        else Action("exclude", (int(row),))
        if i % 3 == 1
        else Action("tag", (int(row),), tag=NEEDS_REVIEW)
        for i, row in enumerate(rows)
    ]
    report(
        "one-row action, applied + committed",
        [timed(lambda a=action: workspace.apply(a)) for action in kinds],
        5,
    )
    report("one-row undo", [timed(workspace.undo) for _ in range(50)])
    report("one-row redo", [timed(workspace.redo) for _ in range(50)])

    batches = [
        Action(
            "label",
            tuple(
                int(r) for r in rng.choice(workspace.n_rows, BATCH_ROWS, replace=False)
            ),
            label="intent_00",
        )
        for _ in range(BATCH_ACTIONS)
    ]
    report(
        f"{BATCH_ROWS:,}-row batch action",
        [timed(lambda a=action: workspace.apply(a)) for action in batches],
        200,
    )

    queries = {
        "view: unresolved + label issue, by -confidence": ViewQuery(
            flags=frozenset({"unresolved", "label_issue"}), sort="-confidence"
        ),
        "view: unlabeled, by confidence": ViewQuery(
            flags=frozenset({"unlabeled"}), sort="confidence"
        ),
        "view: given label + min confidence, by quality": ViewQuery(
            given_label="intent_05", min_confidence=0.02, sort="label_quality"
        ),
        "view: all rows, by text": ViewQuery(sort="text"),
    }
    for name, query in queries.items():
        cold = timed(lambda q=query: workspace.view(q).window(0, 50))
        warm = [
            timed(lambda q=query: workspace.view(q).window(0, 50))
            for _ in range(VIEW_REPEATS)
        ]
        report(f"{name} (first {cold:.0f} ms)", warm, 150)
    # Searches for unrelated words scan every text; typing a word letter by
    # letter searches only the rows the previous letters matched.
    report(
        "view: search a new word, by -confidence",
        [
            timed(
                lambda w=word: workspace.view(
                    ViewQuery(search=w, sort="-confidence")
                ).window(0, 50)
            )
            for word in SEARCH_WORDS
        ],
        150,
    )
    report(
        "view: search while typing 'pending'",
        [
            timed(
                lambda w="pending"[:n]: workspace.view(ViewQuery(search=w)).window(
                    0, 50
                )
            )
            for n in range(1, len("pending") + 1)
        ],
        150,
    )
    report(
        "filter_counts (all flags)",
        [timed(lambda: workspace.filter_counts(ViewQuery())) for _ in range(5)],
    )
    report(
        "row_detail",
        [timed(lambda r=int(r): workspace.row_detail(r)) for r in rows[:50]],
    )
    workspace.close()

    # Each reopen runs in a fresh process, as when a person starts labeltui
    # again; the child times Workspace.open plus the first window.
    reopen = []
    for _ in range(REOPEN_RUNS):
        child = subprocess.run(
            [sys.executable, "-c", REOPEN_CHILD, str(data)],
            capture_output=True,
            text=True,
            check=True,
        )
        seconds, has_analysis = child.stdout.split()
        reopen.append(float(seconds))
    print(
        f"{'reopen to a ready workspace (fresh process)':<48} median "
        f"{statistics.median(reopen):6.2f} s  (runs: "
        f"{', '.join(f'{s:.2f}' for s in reopen)}; cached analysis: {has_analysis}; "
        "target <= 3 s)"
    )
    print(f"project file: {project.stat().st_size / 1e6:.0f} MB")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process (data, workspace, analysis): {peak:.0f} MB")


if __name__ == "__main__":
    main()
