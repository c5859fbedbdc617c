"""Write the cleaned dataset: the original columns, then the person's work.

The output has every original column unchanged and in order, followed by
EXPORT_COLUMNS. Excluded rows are left out unless asked for. CSV and TSV data
was read as strings, so its cells are written back as the same strings; the
format of the output follows its suffix.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from labeltui.core.errors import UserError

if TYPE_CHECKING:
    from labeltui.core.workspace import Workspace

log = logging.getLogger(__name__)

EXPORT_SUFFIXES = (".csv", ".tsv", ".parquet", ".jsonl")

EXPORT_COLUMNS = (
    "row",
    "final_label",
    "action",
    "tags",
    "suggested_label",
    "suggested_confidence",
    "is_label_issue",
    "label_quality",
    "is_outlier",
    "near_duplicate_cluster",
)

# Spreadsheet programs run a cell starting with one of these as a formula;
# with excel_safe such cells get FORMULA_GUARD in front.
FORMULA_PREFIXES = ("=", "+", "-", "@")
FORMULA_GUARD = "'"

# Added to an export column's name when the data already has a column so named.
CLASH_SUFFIX = "_labeltui"


def default_export_path(data_path: Path) -> Path:
    """banking.csv -> banking.cleaned.csv, beside the data."""
    suffix = data_path.suffix if data_path.suffix in EXPORT_SUFFIXES else ".csv"
    return data_path.with_name(f"{data_path.stem}.cleaned{suffix}")


def export_frame(workspace: Workspace, *, keep_excluded: bool = False) -> pl.DataFrame:
    """The cleaned dataset as a frame.

    Args:
        workspace: The open workspace to export.
        keep_excluded: Keep the rows the person excluded.

    Returns:
        Every original column, then EXPORT_COLUMNS (renamed with CLASH_SUFFIX
        where the data already has a column of that name).
    """
    original = workspace.dataset.frame
    state = workspace.state_frame().select(EXPORT_COLUMNS)
    renames = {}
    for name in EXPORT_COLUMNS:
        new_name = name
        while new_name in original.columns:
            new_name += CLASH_SUFFIX
        if new_name != name:
            log.warning("the data has a column %r; exported as %r", name, new_name)
            renames[name] = new_name
    frame = pl.concat([original, state.rename(renames)], how="horizontal")
    if not keep_excluded:
        frame = frame.filter(pl.col(renames.get("action", "action")) != "exclude")
    return frame


def export_workspace(
    workspace: Workspace,
    out_path: str | Path,
    *,
    keep_excluded: bool = False,
    excel_safe: bool = False,
) -> int:
    """Write the cleaned dataset to out_path; the format follows its suffix.

    The file is written beside its destination and moved into place, so a
    failed export never leaves half a file.

    Args:
        workspace: The open workspace to export.
        out_path: A .csv, .tsv, .parquet or .jsonl path.
        keep_excluded: Keep the rows the person excluded.
        excel_safe: In CSV and TSV output, put a quote mark before cells that
            start with = + - @ so spreadsheet programs show them as text.

    Returns:
        The number of rows written.

    Raises:
        UserError: The suffix is not supported or the file cannot be written.
    """
    out_path = Path(out_path)
    suffix = out_path.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        kind = repr(out_path.suffix) if out_path.suffix else "a file with no suffix"
        raise UserError(
            f"{out_path}: cannot export to {kind}; use one of "
            f"{', '.join(EXPORT_SUFFIXES)}"
        )
    frame = export_frame(workspace, keep_excluded=keep_excluded)
    if excel_safe and suffix in (".csv", ".tsv"):
        frame = guard_formulas(frame)

    folder = out_path.parent
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{out_path.name}.", suffix=".part", dir=folder
        )
        os.close(handle)
        # mkstemp makes the file private; an export is an ordinary file.
        Path(temporary).chmod(NEW_FILE_MODE & ~_UMASK)
    except OSError as error:
        raise UserError(f"cannot write {out_path}: {error.strerror}") from error
    try:
        _write(frame, Path(temporary), suffix)
        Path(temporary).replace(out_path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise UserError(f"cannot write {out_path}: {error.strerror}") from error
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    log.info("exported %d rows to %s", frame.height, out_path)
    return frame.height


def _read_umask() -> int:
    # The only portable way to read the umask is to set it; done once, at import,
    # before any worker thread could create a file meanwhile.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# Permissions of a new file before the umask, as open() gives them.
NEW_FILE_MODE = 0o666
_UMASK = _read_umask()


def guard_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix string cells that start with = + - @ with a quote mark."""
    pattern = "^[" + "".join("\\" + p for p in FORMULA_PREFIXES) + "]"
    guarded = [
        pl.when(pl.col(name).str.contains(pattern))
        .then(FORMULA_GUARD + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    ]
    return frame.with_columns(guarded)


def _write(frame: pl.DataFrame, path: Path, suffix: str) -> None:
    if suffix == ".csv":
        frame.write_csv(path)
    elif suffix == ".tsv":
        frame.write_csv(path, separator="\t")
    elif suffix == ".parquet":
        frame.write_parquet(path)
    else:
        frame.write_ndjson(path)
