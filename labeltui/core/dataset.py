"""Read a data file, find its text and label columns, and normalise labels.

Every row gets a stable id: its 0-based position among the data rows of the
file. Labels are stripped of surrounding whitespace; an empty, whitespace-only
or null label cell means the row is unlabeled.
"""

from __future__ import annotations

import csv
import difflib
import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from labeltui.core.errors import UserError

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".csv", ".tsv", ".parquet", ".jsonl")

# Names that mark a label column, in order of preference (matched ignoring case).
LABEL_COLUMN_NAMES = ("label", "labels", "category", "class", "intent", "target", "y")

# When no column is named like a label and none has empty cells, a string column
# still counts as the label column if its distinct values are at most this share
# of the rows: free text is almost always distinct, labels repeat.
MAX_LABEL_DISTINCT_SHARE = 0.2

_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


@dataclass(frozen=True)
class Dataset:
    """A loaded data file and the meaning of its columns.

    Attributes:
        path: The file the data came from.
        frame: Every original column in file order, as read. CSV and TSV cells
            are kept as strings so that they can be written back unchanged.
        text_column: The column holding the text to classify.
        label_column: The column holding the given labels, or None when the file
            has no label column (every row is then unlabeled).
        texts: The text of every row; a null cell becomes the empty string.
        given_labels: The normalised given label of every row; null when the row
            is unlabeled.
        labels: The distinct given labels, sorted.
    """

    path: Path
    frame: pl.DataFrame
    text_column: str
    label_column: str | None
    texts: pl.Series = field(repr=False)
    given_labels: pl.Series = field(repr=False)
    labels: tuple[str, ...]

    @property
    def n_rows(self) -> int:
        """The number of data rows."""
        return self.frame.height

    @property
    def n_labeled(self) -> int:
        """The number of rows with a given label."""
        return self.n_rows - self.given_labels.null_count()


def load_dataset(
    path: str | Path,
    *,
    text_column: str | None = None,
    label_column: str | None = None,
    encoding: str | None = None,
) -> Dataset:
    """Read a CSV, TSV, Parquet or JSONL file and work out its columns.

    Args:
        path: The data file; its suffix decides the format.
        text_column: The text column's name, overriding inference.
        label_column: The label column's name, overriding inference.
        encoding: The text encoding of a CSV or TSV file (default UTF-8).

    Returns:
        The loaded dataset.

    Raises:
        UserError: The file is missing, unreadable, malformed, has no text-like
            column, names an unknown column, or leaves nothing to label.
    """
    path = Path(path)
    frame = read_frame(path, encoding=encoding)
    if frame.width == 0 or frame.height == 0:
        raise UserError(f"{path} has a header but no data rows")

    label_column = _resolve_label_column(frame, label_column, text_column)
    text_column = _resolve_text_column(frame, text_column, label_column, path)

    texts = frame.get_column(text_column).cast(pl.String).fill_null("")
    given_labels = normalise_labels(frame, label_column)
    labels = tuple(sorted(given_labels.drop_nulls().unique().to_list()))

    if len(labels) == 1 and given_labels.null_count() == 0:
        raise UserError(
            f"nothing to label: every row of {path} has the label {labels[0]!r} "
            f"in column {label_column!r}"
        )

    log.info(
        "loaded %s: %d rows, text column %r, label column %r, %d labels",
        path,
        frame.height,
        text_column,
        label_column,
        len(labels),
    )
    return Dataset(
        path=path,
        frame=frame,
        text_column=text_column,
        label_column=label_column,
        texts=texts.rename("text"),
        given_labels=given_labels,
        labels=labels,
    )


def normalise_labels(frame: pl.DataFrame, label_column: str | None) -> pl.Series:
    """Return the label column as stripped strings, null where unlabeled."""
    if label_column is None:
        return pl.Series("given_label", [None] * frame.height, dtype=pl.String)
    stripped = frame.get_column(label_column).cast(pl.String).str.strip_chars()
    return (
        pl.select(pl.when(stripped.str.len_chars() > 0).then(stripped))
        .to_series()
        .rename("given_label")
    )


def read_frame(path: Path, *, encoding: str | None = None) -> pl.DataFrame:
    """Read a data file into a frame, turning every failure into a UserError."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UserError(
            f"{path}: unsupported file type {path.suffix or '(none)'!r}; "
            f"use one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if path.is_dir():
        raise UserError(f"{path} is a directory, not a data file")
    try:
        size = path.stat().st_size
    except OSError as error:
        raise UserError(f"{path}: cannot read ({error.strerror})") from error
    if size == 0:
        raise UserError(f"{path} is empty")

    try:
        if suffix in (".csv", ".tsv"):
            return _read_delimited(path, "\t" if suffix == ".tsv" else ",", encoding)
        if suffix == ".parquet":
            return pl.read_parquet(path)
        return pl.read_ndjson(path, infer_schema_length=None)
    except UserError:
        raise
    except PermissionError as error:
        raise UserError(f"{path}: permission denied") from error
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error) else ""
        raise UserError(
            f"{path} could not be read as {suffix[1:]}: {first_line}"
        ) from error


def _read_delimited(path: Path, separator: str, encoding: str | None) -> pl.DataFrame:
    data = path.read_bytes()
    text = _decode(data, path, encoding)
    if not text.strip():
        raise UserError(f"{path} is empty")
    # polars reads UTF-8 only; other encodings were decoded above.
    buffer = io.BytesIO(text.encode("utf-8"))
    try:
        return pl.read_csv(
            buffer,
            separator=separator,
            infer_schema=False,
            quote_char='"',
            raise_if_empty=True,
        )
    except pl.exceptions.NoDataError as error:
        raise UserError(f"{path} is empty") from error
    except pl.exceptions.ComputeError:
        # polars rejects some files that are readable, such as a stray quote
        # inside an unquoted cell (5" screen); the csv module reads those and
        # names the line of a real problem.
        log.info("polars could not parse %s; reading it with the csv module", path)
        return _read_with_csv_module(path, text, separator)


def _decode(data: bytes, path: Path, encoding: str | None) -> str:
    codec = encoding or "utf-8"
    if codec.lower().replace("_", "-") in ("utf-8", "utf8"):
        codec = "utf-8-sig"  # tolerate a byte-order mark
    try:
        return data.decode(codec)
    except LookupError as error:
        raise UserError(f"unknown encoding {encoding!r}") from error
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start : error.start + 1].hex()
        hint = (
            "pass --encoding, e.g. --encoding cp1252 or --encoding latin-1"
            if encoding is None
            else "try another --encoding"
        )
        raise UserError(
            f"{path} is not valid {encoding or 'UTF-8'}: byte 0x{byte} on line "
            f"{line}; {hint}"
        ) from error


def _read_with_csv_module(path: Path, text: str, separator: str) -> pl.DataFrame:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    records: list[list[str]] = []
    start = 1
    try:
        header = next(reader)
        start = reader.line_num + 1
        for record in reader:
            if len(record) > len(header):
                what = "tabs" if separator == "\t" else "commas"
                raise UserError(
                    f"{path}: line {start} has {len(record)} fields but the header "
                    f"has {len(header)}; quote cells that contain {what}"
                )
            records.append(record)
            start = reader.line_num + 1
    except csv.Error as error:
        if "unexpected end of data" in str(error):
            raise UserError(
                f"{path} is not valid CSV: the quoted cell that starts on line "
                f"{start} is never closed"
            ) from error
        raise UserError(f"{path} is not valid CSV: line {start}: {error}") from error

    names = _unique_names(header)
    columns: dict[str, list[str | None]] = {name: [] for name in names}
    for record in records:
        for index, name in enumerate(names):
            columns[name].append(record[index] if index < len(record) else None)
    return pl.DataFrame(columns, schema=dict.fromkeys(names, pl.String))


def _unique_names(header: list[str]) -> list[str]:
    """Name repeated headers as polars does, so both readers agree."""
    seen: dict[str, int] = {}
    names = []
    for name in header:
        count = seen.get(name, 0)
        seen[name] = count + 1
        names.append(name if count == 0 else f"{name}_duplicated_{count - 1}")
    return names


def _resolve_label_column(
    frame: pl.DataFrame, requested: str | None, text_requested: str | None
) -> str | None:
    if requested is not None:
        return _check_column(frame, requested, "--label-col")
    for name in LABEL_COLUMN_NAMES:
        for column in frame.columns:
            if column.strip().lower() == name and column != text_requested:
                return column
    return _infer_label_column(frame, exclude=text_requested)


def _infer_label_column(frame: pl.DataFrame, *, exclude: str | None) -> str | None:
    candidates = [c for c in _string_columns(frame) if c != exclude]
    texts = [c for c in candidates if _is_text_like(frame[c])]
    if len(candidates) < 2 or not texts:
        return None
    # The text column is the longest; never take it as the label column.
    longest = max(texts, key=lambda c: _mean_length(frame[c]))
    others = [c for c in candidates if c != longest]

    def distinct(column: str) -> int:
        return _label_view(frame[column]).drop_nulls().n_unique()

    with_gaps = [c for c in others if _label_view(frame[c]).null_count() > 0]
    if with_gaps:
        return min(with_gaps, key=distinct)
    repeating = [
        c for c in others if distinct(c) <= MAX_LABEL_DISTINCT_SHARE * frame.height
    ]
    if repeating:
        return min(repeating, key=distinct)
    return None


def _resolve_text_column(
    frame: pl.DataFrame, requested: str | None, label_column: str | None, path: Path
) -> str:
    if requested is not None:
        column = _check_column(frame, requested, "--text-col")
        if column == label_column:
            raise UserError(f"column {column!r} cannot be both the text and the label")
        return column
    candidates = [
        c
        for c in _string_columns(frame)
        if c != label_column and _is_text_like(frame[c])
    ]
    if not candidates:
        raise UserError(
            f"{path} has no text-like column (columns: {', '.join(frame.columns)}); "
            "name one with --text-col"
        )
    return max(candidates, key=lambda c: _mean_length(frame[c]))


def _check_column(frame: pl.DataFrame, name: str, option: str) -> str:
    if name in frame.columns:
        return name
    ranked = closest_first(name, frame.columns)
    raise UserError(
        f"{option}: no column named {name!r}; columns are: {', '.join(ranked)}"
    )


def closest_first(name: str, choices: Sequence[str]) -> list[str]:
    """Order choices by similarity to name, most similar first."""

    def score(choice: str) -> float:
        return difflib.SequenceMatcher(None, name.lower(), choice.lower()).ratio()

    return sorted(choices, key=score, reverse=True)


def _string_columns(frame: pl.DataFrame) -> list[str]:
    return [c for c, dtype in frame.schema.items() if dtype == pl.String]


def _label_view(column: pl.Series) -> pl.Series:
    stripped = column.cast(pl.String).str.strip_chars()
    return pl.select(pl.when(stripped.str.len_chars() > 0).then(stripped)).to_series()


def _mean_length(column: pl.Series) -> float:
    mean = column.fill_null("").str.len_chars().mean()
    return float(mean) if isinstance(mean, int | float) else 0.0


def _is_text_like(column: pl.Series) -> bool:
    """A column is text-like when some of its non-empty cells are not numbers."""
    values = column.drop_nulls().str.strip_chars()
    values = values.filter(values.str.len_chars() > 0)
    if values.len() == 0:
        return False
    sample = values.head(1000).to_list()
    return any(not _NUMBER.match(v) for v in sample)
