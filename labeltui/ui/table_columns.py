"""The table's columns: which there are, how wide, and what each cell says.

Kept apart from the widget so that the layout rules can be read, and tested,
without a running app.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len, set_cell_size

from labeltui.core.workspace import NEEDS_REVIEW
from labeltui.ui.safe_text import visible

# A cell shows one line of the text: cleaning more characters than any terminal
# is wide only costs time (a 10 MB cell took seconds per redraw).
TEXT_CELL_CHARS = 1_000

# Label columns (given, suggested, final) are never narrower than this, so an
# 80-column terminal still shows the start of every label.
MIN_LABEL_WIDTH = 11

# Nor wider than this: a few very long labels must not squeeze the text.
MAX_LABEL_WIDTH = 30

# The label columns are made wide enough for this share of the labels; the
# rest are cut with an ellipsis (Banking77: 27 cells fit 90% of its 77 intents,
# its longest is 48).
LABEL_SHARE = 0.9

# The text keeps at least this many cells before label columns grow past
# MIN_LABEL_WIDTH: the text is what a person reads first (the resolver below
# shows it in full).
TEXT_FIRST_WIDTH = 34

# The tags column appears when the text still gets this many cells with it.
TAGS_TEXT_WIDTH = 50

# Width of the tags column when shown.
TAGS_WIDTH = 12

# The text column never gets narrower than this, even when that pushes the last
# columns off the edge.
MIN_TEXT_WIDTH = 16

# The final column shows "= " or "→ " before the label.
FINAL_PREFIX_WIDTH = 2

ELLIPSIS = "…"

# One character per mark, readable without colour, in this order: label issue,
# outlier, near duplicate, ambiguous, and R for the needs_review tag (so that it
# shows even when the table is too narrow for the tags column).
MARKS = (
    ("is_label_issue", "L"),
    ("is_outlier", "O"),
    ("near_duplicate_cluster", "D"),
    ("is_ambiguous", "A"),
    ("tags", "R"),
)
NO_MARK = "·"

ACTION_PREFIX = {"keep": "= ", "label": "→ ", "auto_fix": "→ "}


@dataclass(frozen=True)
class Column:
    """One table column: a title and a width in cells (0 means take the rest)."""

    key: str
    title: str
    width: int
    right: bool = False


def wanted_label_width(labels: Iterable[str]) -> int:
    """How wide label columns should be to show LABEL_SHARE of these labels."""
    lengths = sorted(cell_len(visible(label)) for label in labels)
    if not lengths:
        return MIN_LABEL_WIDTH
    wanted = lengths[min(len(lengths) - 1, int(LABEL_SHARE * len(lengths)))]
    return max(MIN_LABEL_WIDTH, min(MAX_LABEL_WIDTH, wanted))


def layout_columns(
    width: int, *, label_width: int = MIN_LABEL_WIDTH, row_width: int = 7
) -> tuple[Column, ...]:
    """Choose the columns and their widths for a table of this width.

    The text keeps TEXT_FIRST_WIDTH cells; the label columns then grow towards
    label_width, and whatever is left goes to the text (and the tags column,
    when the text stays wide enough with it).

    Args:
        width: The table's width in cells.
        label_width: The width label columns should have when there is room.
        row_width: Cells for the row id.
    """
    columns = [
        Column("row", "row", row_width, right=True),
        Column("text", "text", 0),
        Column("given_label", "given", 0),
        Column("suggested_label", "suggested", 0),
        Column("suggested_confidence", "conf", 4, right=True),
        Column("marks", "LODAR", 5),
        Column("final", "final", FINAL_PREFIX_WIDTH),
    ]
    fixed = sum(c.width for c in columns) + len(columns) - 1  # a space between
    labels = 3  # given, suggested and final
    room = width - fixed - TEXT_FIRST_WIDTH
    label = max(MIN_LABEL_WIDTH, min(label_width, room // labels))
    text = max(MIN_TEXT_WIDTH, width - fixed - labels * label)
    if text - TAGS_WIDTH - 1 >= TAGS_TEXT_WIDTH:
        columns.append(Column("tags", "tags", TAGS_WIDTH))
        text -= TAGS_WIDTH + 1

    widths = {"text": text, "given_label": label, "suggested_label": label}
    widths["final"] = label + FINAL_PREFIX_WIDTH
    return tuple(
        Column(c.key, c.title, widths.get(c.key, c.width), c.right) for c in columns
    )


def fit(value: str, width: int, *, right: bool = False) -> str:
    """Pad or cut a string to exactly width cells, marking a cut with an ellipsis."""
    if value.isascii():
        # Printable ASCII is one cell a character (control characters were made
        # visible before): plain slicing, several times faster than measuring.
        if len(value) > width:
            return value[: width - 1] + ELLIPSIS if width > 1 else ELLIPSIS
        return value.rjust(width) if right else value.ljust(width)
    if cell_len(value) > width:
        return set_cell_size(value, width - 1) + ELLIPSIS if width > 1 else ELLIPSIS
    if right:
        return " " * (width - cell_len(value)) + value
    return set_cell_size(value, width)


def cell_text(row: dict[str, Any], key: str) -> str:
    """The text shown in one cell of a row from `View.window`."""
    if key == "row":
        return str(row["row"])
    if key == "text":
        return visible(row["text"][:TEXT_CELL_CHARS])
    if key == "given_label":
        return visible(row["given_label"]) if row["given_label"] is not None else "-"
    if key == "suggested_label":
        return visible(row["suggested_label"] or "")
    if key == "suggested_confidence":
        confidence = row["suggested_confidence"]
        return "" if confidence is None else f"{confidence:.0%}"
    if key == "marks":
        return "".join(
            mark if _has_mark(row, field) else NO_MARK for field, mark in MARKS
        )
    if key == "final":
        action = row["action"]
        if action == "exclude":
            return "✗ excluded"
        if action == "none" or action is None:
            return ""
        return ACTION_PREFIX.get(action, "") + visible(row["final_label"] or "")
    if key == "tags":
        return visible(row["tags"].replace(";", ",")) if row["tags"] else ""
    raise KeyError(key)


def _has_mark(row: dict[str, Any], field: str) -> bool:
    value = row[field]
    if field == "near_duplicate_cluster":
        return value is not None and value >= 0
    if field == "tags":
        return NEEDS_REVIEW in value.split(";")
    return bool(value)
