"""The `labeltui` command line.

This module only builds the parser and dispatches: each subcommand lives in
labeltui/commands/ and is imported when chosen, so `labeltui analyze` never
imports the UI and `labeltui --help` imports nothing heavy.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from labeltui import __version__
from labeltui.logs import default_log_path, setup_logging

log = logging.getLogger(__name__)

SUBCOMMANDS = ("analyze", "export", "train", "predict")

EPILOG_OPEN = """\
examples:
  labeltui banking.csv                      open (or resume) banking.labeltui
  labeltui tickets.tsv --text-col body --label-col queue
  labeltui data.csv --project /tmp/mine.labeltui --no-model

other commands (each has --help):
  labeltui analyze DATA [-o OUT] [--json]   suggestions and label issues, headless
  labeltui export DATA_OR_PROJECT [-o OUT]  write the cleaned dataset
  labeltui train DATA_OR_PROJECT -o MODEL.joblib
  labeltui predict MODEL.joblib DATA [-o OUT]

The text and label columns are inferred when not given: a column named label,
labels, category, class, intent, target or y is the label column; the text
column is the string column with the longest cells. An empty label cell means
the row is unlabeled.
"""


class _Formatter(argparse.HelpFormatter):
    """Wrap one-paragraph descriptions; keep multi-line text (examples) as laid out."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def _add_data_options(parser: argparse.ArgumentParser, *, label: bool = True) -> None:
    parser.add_argument(
        "--text-col",
        metavar="C",
        help="the column holding the text to classify, e.g. --text-col message "
        "(default: inferred, the string column with the longest cells)",
    )
    if label:
        parser.add_argument(
            "--label-col",
            metavar="C",
            help="the column holding the given labels, e.g. --label-col intent "
            "(default: inferred from its name or its repeated values)",
        )
    parser.add_argument(
        "--encoding",
        metavar="E",
        help="text encoding of a CSV or TSV file, e.g. --encoding cp1252 "
        "(default: UTF-8)",
    )


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        type=str.upper,
        help=f"how much to write to the log file {default_log_path()} (default: INFO)",
    )


def build_parser() -> argparse.ArgumentParser:
    """Build the parser for the app and every subcommand."""
    parser = argparse.ArgumentParser(
        prog="labeltui",
        description="Label classification data in the terminal: a cross-validated "
        "model suggests a label for every row and flags given labels that look "
        "wrong, outliers and near duplicates; you resolve them with single keys. "
        "Every action is saved at once in a project file beside the data.",
        epilog=EPILOG_OPEN,
        formatter_class=_Formatter,
    )
    parser.add_argument(
        "data",
        metavar="DATA",
        help="the data file: .csv, .tsv, .parquet or .jsonl",
    )
    _add_data_options(parser)
    parser.add_argument(
        "--project",
        metavar="P",
        help="the project file that keeps every action (default: DATA with the "
        "suffix .labeltui, e.g. banking.csv -> banking.labeltui)",
    )
    parser.add_argument(
        "--no-model",
        action="store_true",
        help="do not train the model when the app opens (press r to train later)",
    )
    parser.add_argument(
        "--version", action="version", version=f"labeltui {__version__}"
    )
    _add_common_options(parser)
    return parser


def build_subcommand_parser(name: str) -> argparse.ArgumentParser:
    """Build the parser of one subcommand."""
    builders = {
        "analyze": _analyze_parser,
        "export": _export_parser,
        "train": _train_parser,
        "predict": _predict_parser,
    }
    parser = builders[name]()
    _add_common_options(parser)
    return parser


def _analyze_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="labeltui analyze",
        description="Train a cross-validated model on the labeled rows and report, "
        "for every row, the suggested label and its confidence, whether the given "
        "label looks wrong, whether the row is an outlier, and its near duplicates.",
        epilog="examples:\n"
        "  labeltui analyze banking.csv                  summary and top label issues\n"
        "  labeltui analyze banking.csv -o issues.csv    one row per input row\n"
        "  labeltui analyze banking.csv --json           summary as JSON on stdout\n"
        "\noutput columns: row, given_label, suggested_label, suggested_confidence,\n"
        "is_label_issue, label_quality, is_outlier, outlier_score,\n"
        "near_duplicate_cluster, is_ambiguous",
        formatter_class=_Formatter,
    )
    parser.add_argument("data", metavar="DATA", help="the data file to analyze")
    _add_data_options(parser)
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="write one row per input row to OUT; the format follows its suffix "
        "(.csv, .parquet, .jsonl), e.g. -o analysis.parquet",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the summary as one JSON object (rows, labeled, unlabeled, "
        "classes, label_issues, outliers, near_duplicate_sets, cv_accuracy, seconds)",
    )
    return parser


def _export_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="labeltui export",
        description="Write the cleaned dataset: every original column unchanged, "
        "then row, final_label, action, tags and the analysis columns.",
        epilog="examples:\n"
        "  labeltui export banking.csv                 writes banking.cleaned.csv\n"
        "  labeltui export banking.labeltui -o clean.parquet\n"
        "  labeltui export banking.csv --keep-excluded --excel-safe -o review.csv",
        formatter_class=_Formatter,
    )
    parser.add_argument(
        "source",
        metavar="DATA_OR_PROJECT",
        help="the data file (its project is found beside it) or the .labeltui "
        "project file itself",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="where to write; the format follows the suffix (.csv, .parquet, "
        ".jsonl) (default: DATA.cleaned with the data's suffix)",
    )
    parser.add_argument(
        "--keep-excluded",
        action="store_true",
        help="keep rows you excluded (their action column says exclude)",
    )
    parser.add_argument(
        "--excel-safe",
        action="store_true",
        help="in CSV output, prefix cells starting with = + - @ with a quote mark "
        "so spreadsheet programs do not run them as formulas",
    )
    parser.add_argument(
        "--project",
        metavar="P",
        help="the project file, when it is not beside the data",
    )
    parser.add_argument("--encoding", metavar="E", help="text encoding of a CSV/TSV")
    return parser


def _train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="labeltui train",
        description="Train the final model on every labeled row (your corrections "
        "included, excluded rows left out) and save it for `labeltui predict`.",
        epilog="example:\n  labeltui train banking.csv -o banking-model.joblib",
        formatter_class=_Formatter,
    )
    parser.add_argument("source", metavar="DATA_OR_PROJECT", help="data or project")
    parser.add_argument(
        "-o", "--output", metavar="MODEL", required=True, help="the model file to write"
    )
    parser.add_argument("--encoding", metavar="E", help="text encoding of a CSV/TSV")
    return parser


def _predict_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="labeltui predict",
        description="Label new data with a model saved by `labeltui train`.",
        epilog="example:\n"
        "  labeltui predict banking-model.joblib new.csv -o labeled.csv",
        formatter_class=_Formatter,
    )
    parser.add_argument("model", metavar="MODEL", help="a model from labeltui train")
    parser.add_argument("data", metavar="DATA", help="the data file to label")
    _add_data_options(parser, label=False)
    parser.add_argument("-o", "--output", metavar="OUT", help="where to write")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] in SUBCOMMANDS:
        name = args_list[0]
        args = build_subcommand_parser(name).parse_args(args_list[1:])
    else:
        name = "open"
        args = build_parser().parse_args(args_list)

    setup_logging(args.log_level)
    module = importlib.import_module(f"labeltui.commands.{name}")
    from labeltui.core.errors import UserError

    try:
        status: int = module.run(args)
    except UserError as error:
        print(f"labeltui: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("labeltui: interrupted", file=sys.stderr)
        return 130
    except Exception:
        log.exception("unexpected error in %s", name)
        print(
            f"labeltui: unexpected error; the traceback is in {default_log_path()}",
            file=sys.stderr,
        )
        return 1
    return status
