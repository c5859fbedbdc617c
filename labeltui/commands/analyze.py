"""`labeltui analyze`: the analysis without the app.

With -o the per-row columns of DESIGN.md ("analyze output") are written to a
file; with --json the summary goes to stdout as one JSON object; with neither a
table of counts and the top label issues is printed. Notes about what the data
allows (too few labels, a single class) go to stderr.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from labeltui.core.errors import UserError

if TYPE_CHECKING:
    from labeltui.core.analysis import AnalysisResult
    from labeltui.core.dataset import Dataset

OUTPUT_SUFFIXES = (".csv", ".parquet", ".jsonl")

# Label issues listed in the summary table: one screen's worth.
TOP_ISSUES_SHOWN = 15

# Characters of a row's text shown in the table before it is cut with "…".
TEXT_SHOWN = 60

# Progress on stderr moves in steps of this many percent, so a fast run does
# not flood a slow terminal.
PROGRESS_STEP_PERCENT = 5


def run(args: argparse.Namespace) -> int:
    """Analyse DATA, then write the rows, the JSON summary or the table."""
    output = Path(args.output) if args.output else None
    if output is not None and output.suffix.lower() not in OUTPUT_SUFFIXES:
        kind = repr(output.suffix) if output.suffix else "no suffix"
        raise UserError(
            f"{output}: cannot write {kind}; use one of {', '.join(OUTPUT_SUFFIXES)}"
        )

    # A short batch run: the cyclic garbage collector only slows the imports of
    # the model stack (it kept scanning their new objects, ~0.3 s); reference
    # counting still frees everything else. It is back on when run() returns.
    gc.disable()
    try:
        _analyze_and_report(args, output)
    finally:
        gc.enable()
    # The process ends next. Freezing the objects made so far spares the
    # interpreter's last garbage-collection pass over the hundreds of thousands
    # of objects scikit-learn, SciPy and pandas created: exit took 0.7 s
    # without it and 0.2 s with it.
    gc.freeze()
    return 0


def _analyze_and_report(args: argparse.Namespace, output: Path | None) -> None:
    from labeltui.core.dataset import load_dataset

    dataset = load_dataset(
        args.data,
        text_column=args.text_col,
        label_column=args.label_col,
        encoding=args.encoding,
    )

    from labeltui.core.analysis import analyze

    progress = _ProgressLine() if sys.stderr.isatty() else None
    try:
        result = analyze(dataset.texts, dataset.given_labels, progress=progress)
    finally:
        if progress is not None:
            progress.clear()
    for note in result.notes:
        print(f"labeltui: note: {note}", file=sys.stderr)

    if output is not None:
        _write(result.to_frame(dataset.given_labels), output)
    if args.json:
        print(json.dumps(summary(dataset, result)))
    elif output is None:
        _print_table(dataset, result)
    else:
        print(f"wrote {dataset.n_rows} rows to {output}", file=sys.stderr)


def summary(dataset: Dataset, result: AnalysisResult) -> dict[str, object]:
    """The --json summary object of DESIGN.md."""
    clusters = result.near_duplicate_cluster
    return {
        "rows": dataset.n_rows,
        "labeled": dataset.n_labeled,
        "unlabeled": dataset.n_rows - dataset.n_labeled,
        "classes": len(result.classes),
        "label_issues": int(result.is_label_issue.sum()),
        "outliers": int(result.is_outlier.sum()),
        "near_duplicate_sets": int(clusters.max()) + 1 if len(clusters) else 0,
        "cv_accuracy": result.cv_accuracy,
        "seconds": round(result.seconds, 3),
    }


def _write(frame: pl.DataFrame, output: Path) -> None:
    suffix = output.suffix.lower()
    try:
        if suffix == ".csv":
            frame.write_csv(output)
        elif suffix == ".parquet":
            frame.write_parquet(output)
        else:
            frame.write_ndjson(output)
    except (OSError, pl.exceptions.PolarsError) as error:
        reason = getattr(error, "strerror", None) or str(error).splitlines()[0]
        raise UserError(f"{output}: cannot write ({reason})") from error


def _print_table(dataset: Dataset, result: AnalysisResult) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    counts = Table(title=f"labeltui analyze {dataset.path}", show_header=False)
    counts.add_column("what")
    counts.add_column("count", justify="right")
    accuracy = (
        "not measurable" if result.cv_accuracy is None else f"{result.cv_accuracy:.1%}"
    )
    for name, value in summary(dataset, result).items():
        if name == "cv_accuracy":
            value = accuracy
        elif name == "seconds":
            value = f"{value} s"
        counts.add_row(name.replace("_", " "), str(value))
    console.print(counts)

    issues = result.to_frame(dataset.given_labels).with_columns(
        dataset.texts.alias("text")
    )
    issues = issues.filter(pl.col("is_label_issue")).sort("label_quality")
    if issues.height == 0:
        console.print("No label issues found.")
        return
    table = Table(
        title=f"top {min(TOP_ISSUES_SHOWN, issues.height)} of {issues.height} "
        "label issues (lowest label quality first)",
        expand=True,
    )
    # One line per issue: numbers keep their width, long labels and the text
    # are cut with an ellipsis.
    table.add_column("row", justify="right", no_wrap=True, min_width=5)
    table.add_column("text", overflow="ellipsis", no_wrap=True, ratio=1, min_width=20)
    for column in ("given", "suggested"):
        table.add_column(column, overflow="ellipsis", no_wrap=True, max_width=16)
    table.add_column("conf", justify="right", no_wrap=True, min_width=4)
    table.add_column("quality", justify="right", no_wrap=True, min_width=7)
    for record in issues.head(TOP_ISSUES_SHOWN).iter_rows(named=True):
        text = record["text"]
        if len(text) > TEXT_SHOWN:
            text = text[: TEXT_SHOWN - 1] + "…"
        confidence = record["suggested_confidence"]
        table.add_row(
            str(record["row"]),
            # user data is shown literally, never parsed as markup
            Text(_visible(text)),
            Text(record["given_label"] or ""),
            Text(record["suggested_label"] or ""),
            "" if confidence is None else f"{confidence:.2f}",
            f"{record['label_quality']:.3f}",
        )
    console.print(table)


def _visible(text: str) -> str:
    """Replace control characters so they cannot act on the terminal."""
    return "".join(
        character if character.isprintable() else "\N{REPLACEMENT CHARACTER}"
        for character in text
    )


class _ProgressLine:
    """A single self-overwriting progress line on stderr."""

    def __init__(self) -> None:
        self._shown = -1

    def __call__(self, step: str, fraction: float) -> None:
        percent = int(fraction * 100) // PROGRESS_STEP_PERCENT * PROGRESS_STEP_PERCENT
        if percent == self._shown:
            return
        self._shown = percent
        sys.stderr.write(f"\r\033[K{percent:3d}% {step}")
        sys.stderr.flush()

    def clear(self) -> None:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()
