"""The state of every row, kept as numpy arrays of small integer codes.

Labels are codes into the project's label table (-1 = none), a row's action is
an int8 code and its tags are the bits of one uint64. A one-row action touches
a few array cells; polars frames are built only for the rows asked for.
Filtering, text search and sort orders are query.py's (RowFinder); RowState
hands view queries to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from labeltui.core.errors import UserError
from labeltui.core.project import CHANGE_DTYPE, MAX_TAGS
from labeltui.core.query import FLAGS, SORTS, RowFinder, ViewQuery

if TYPE_CHECKING:
    from labeltui.core.analysis import AnalysisResult

# FLAGS, SORTS and ViewQuery live in query.py and are imported from here too.
__all__ = [
    "ACTION_KINDS",
    "FLAGS",
    "NEEDS_REVIEW",
    "ROW_ACTIONS",
    "SORTS",
    "STATE_COLUMNS",
    "Action",
    "RowDetail",
    "RowState",
    "ViewQuery",
]

ACTION_KINDS = ("label", "auto_fix", "keep", "exclude", "tag", "untag")
NEEDS_REVIEW = "needs_review"

# The action of a row, stored per row as an int8 code. The codes are written
# into project files (the action log), so never reorder them.
ROW_ACTIONS = ("none", "keep", "label", "auto_fix", "exclude")
_NONE, _KEEP, _LABEL, _AUTO_FIX, _EXCLUDE = range(len(ROW_ACTIONS))

NO_LABEL = -1  # the label code of "no label"
_UNKNOWN_LABEL = -2  # matches no row: a query for a label nobody used

STATE_COLUMNS = (
    "row",
    "text",
    "given_label",
    "suggested_label",
    "suggested_confidence",
    "label_quality",
    "is_label_issue",
    "is_outlier",
    "outlier_score",
    "near_duplicate_cluster",
    "is_ambiguous",
    "final_label",
    "action",
    "tags",
)

# Tags are joined with this in outputs, so a tag may not contain it.
TAG_SEPARATOR = ";"


@dataclass(frozen=True)
class Action:
    """Something the person did to one or more rows; one undo step."""

    kind: str
    rows: tuple[int, ...]
    label: str | None = None
    tag: str | None = None


@dataclass(frozen=True)
class RowDetail:
    """Everything about one row, for the detail panel."""

    row: int
    text: str
    given_label: str | None
    final_label: str | None
    action: str
    tags: tuple[str, ...]
    suggestion: str | None
    confidence: float | None
    top_labels: tuple[tuple[str, float], ...]
    flags: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class PlannedChange:
    """What an action would do: its per-row changes and what it adds."""

    changes: np.ndarray  # CHANGE_DTYPE
    label: str | None
    tag: str | None
    new_labels: tuple[str, ...]
    new_tag_bit: int | None


class RowState:
    """Given labels, final labels, actions, tags and analysis of every row."""

    def __init__(
        self,
        texts: pl.Series,
        given_labels: pl.Series,
        *,
        label_names: list[str],
        tag_names: list[str],
    ):
        self.texts = texts
        self.n_rows = len(texts)
        self._names: list[str] = []
        self._code_of: dict[str, int] = {}
        self._names_series = pl.Series([], dtype=pl.String)
        self.remember_labels(label_names)
        self._tags = list(tag_names)

        self._given = self._codes(given_labels)
        self._final = np.full(self.n_rows, NO_LABEL, dtype=np.int32)
        self._action = np.zeros(self.n_rows, dtype=np.int8)
        self._tag_bits = np.zeros(self.n_rows, dtype=np.uint64)
        self._finder = RowFinder(self)
        self.clear_analysis()

    # -- labels -----------------------------------------------------------------

    @property
    def label_names(self) -> tuple[str, ...]:
        """Every label, indexed by its code."""
        return tuple(self._names)

    def unseen_labels(self, names: tuple[str, ...] | list[str]) -> list[str]:
        """The names (once each, in order) that have no code yet."""
        return [name for name in dict.fromkeys(names) if name not in self._code_of]

    def remember_labels(self, names: tuple[str, ...] | list[str]) -> None:
        """Give new labels the next codes."""
        for name in names:
            self._code_of[name] = len(self._names)
            self._names.append(name)
        self._names_series = pl.Series(self._names, dtype=pl.String)

    def training_labels(self) -> pl.Series:
        """The final label where resolved, else the given label; null if excluded."""
        codes = np.where(self._action == _NONE, self._given, self._final)
        return self._label_series(codes).rename("label")

    # -- analysis ---------------------------------------------------------------

    def set_analysis(self, result: AnalysisResult) -> None:
        """Show an analysis; its classes must already be known labels."""
        self.clear_analysis()
        class_codes = np.array(
            [self._code_of[name] for name in result.classes], dtype=np.int32
        )
        top = np.asarray(result.top_classes)
        if top.ndim == 2 and top.shape[1] > 0:
            self._top_codes = class_codes[top]
            self._top_probabilities = np.asarray(
                result.top_probabilities, dtype=np.float32
            )
            self._suggested = self._top_codes[:, 0].copy()
            self._confidence = self._top_probabilities[:, 0].copy()
        self._quality = np.asarray(result.label_quality, dtype=np.float32)
        self._issue = np.asarray(result.is_label_issue, dtype=bool)
        self._outlier = np.asarray(result.is_outlier, dtype=bool)
        self._outlier_score = np.asarray(result.outlier_score, dtype=np.float32)
        self._cluster = np.asarray(result.near_duplicate_cluster, dtype=np.int32)
        self._ambiguous = np.asarray(result.is_ambiguous, dtype=bool)

    def clear_analysis(self) -> None:
        """Show no analysis: no suggestions, no scores, no flags from a model."""
        n = self.n_rows
        self._top_codes = np.zeros((n, 0), dtype=np.int32)
        self._top_probabilities = np.zeros((n, 0), dtype=np.float32)
        self._suggested = np.full(n, NO_LABEL, dtype=np.int32)
        self._confidence = np.full(n, np.nan, dtype=np.float32)
        self._quality = np.full(n, np.nan, dtype=np.float32)
        self._issue = np.zeros(n, dtype=bool)
        self._outlier = np.zeros(n, dtype=bool)
        self._outlier_score = np.full(n, np.nan, dtype=np.float32)
        self._cluster = np.full(n, -1, dtype=np.int32)
        self._ambiguous = np.zeros(n, dtype=bool)
        self._finder.forget_score_orders()

    # -- reading ------------------------------------------------------------------

    def view_rows(self, query: ViewQuery) -> np.ndarray:
        """The ids of the rows matching query, in its sort order."""
        return self._finder.view_rows(query)

    def filter_counts(self, query: ViewQuery) -> dict[str, int]:
        """For "all" and each flag, how many rows match query with it added."""
        return self._finder.filter_counts(query)

    def warm_up(self) -> None:
        """Prepare text search and the text order, so the first use is quick."""
        self._finder.warm_up()

    def label_mask(self, column: str, name: str) -> np.ndarray:
        """Whether each row's given, suggested or final label (column) is name."""
        codes: np.ndarray = {
            "given": self._given,
            "suggested": self._suggested,
            "final": self._final,
        }[column]
        mask: np.ndarray = codes == self._code_of.get(name, _UNKNOWN_LABEL)
        return mask

    def score(self, name: str) -> np.ndarray:
        """Every row's confidence, label_quality or outlier_score (NaN: none)."""
        scores: np.ndarray = {
            "confidence": self._confidence,
            "label_quality": self._quality,
            "outlier_score": self._outlier_score,
        }[name]
        return scores

    def frame(self, rows: np.ndarray) -> pl.DataFrame:
        """The STATE_COLUMNS of the given rows, in that order."""
        rows = np.asarray(rows, dtype=np.int64)
        cluster = self._cluster[rows].astype(np.int64)
        return pl.DataFrame(
            {
                "row": pl.Series(rows, dtype=pl.UInt32),
                "text": self.texts.gather(rows),
                "given_label": self._label_series(self._given[rows]),
                "suggested_label": self._label_series(self._suggested[rows]),
                "suggested_confidence": _float_series(self._confidence[rows]),
                "label_quality": _float_series(self._quality[rows]),
                "is_label_issue": pl.Series(self._issue[rows], dtype=pl.Boolean),
                "is_outlier": pl.Series(self._outlier[rows], dtype=pl.Boolean),
                "outlier_score": _float_series(self._outlier_score[rows]),
                "near_duplicate_cluster": _masked_series(cluster, pl.Int32),
                "is_ambiguous": pl.Series(self._ambiguous[rows], dtype=pl.Boolean),
                "final_label": self._label_series(self._final[rows]),
                "action": pl.Series(ROW_ACTIONS, dtype=pl.String).gather(
                    self._action[rows].astype(np.int64)
                ),
                "tags": self._tag_strings(self._tag_bits[rows]),
            }
        )

    def detail(self, row_id: int) -> RowDetail:
        """Everything about one row."""
        row = int(row_id)
        if not 0 <= row < self.n_rows:
            raise ValueError(f"row id {row_id} is not in 0..{self.n_rows - 1}")
        top = tuple(
            (self._names[int(code)], float(probability))
            for code, probability in zip(
                self._top_codes[row], self._top_probabilities[row], strict=True
            )
        )
        confidence = float(self._confidence[row])
        return RowDetail(
            row=row,
            text=str(self.texts[row]),
            given_label=self._name(self._given[row]),
            final_label=self._name(self._final[row]),
            action=ROW_ACTIONS[int(self._action[row])],
            tags=self._tags_of(int(self._tag_bits[row])),
            suggestion=self._name(self._suggested[row]),
            confidence=None if np.isnan(confidence) else confidence,
            top_labels=top,
            flags=frozenset(flag for flag in FLAGS if self.flag_mask(flag, rows=row)),
        )

    # -- changing ---------------------------------------------------------------

    def plan(self, action: Action) -> PlannedChange | None:
        """The changes an action makes, or None when it changes no row.

        Raises:
            UserError: The label or tag is empty or not allowed.
            ValueError: The kind is unknown or a row id is out of range.
        """
        if action.kind not in ACTION_KINDS:
            raise ValueError(f"unknown action {action.kind!r}; expected {ACTION_KINDS}")
        rows = self._check_rows(action.rows)
        label = tag = None
        new_labels: tuple[str, ...] = ()
        new_tag_bit: int | None = None

        if action.kind == "label":
            label = (action.label or "").strip()
            if not label:
                raise UserError("a label cannot be empty")
            new_labels = tuple(self.unseen_labels([label]))
            code = self._code_of.get(label, len(self._names))
            after = self._after(rows, final=np.int32(code), action=_LABEL)
        elif action.kind == "auto_fix":
            rows = rows[self._suggested[rows] != NO_LABEL]
            after = self._after(rows, final=self._suggested[rows], action=_AUTO_FIX)
        elif action.kind == "keep":
            rows = rows[self._given[rows] != NO_LABEL]
            after = self._after(rows, final=self._given[rows], action=_KEEP)
        elif action.kind == "exclude":
            after = self._after(rows, final=np.int32(NO_LABEL), action=_EXCLUDE)
        else:
            tag = _check_tag(action.tag)
            if tag in self._tags:
                bit = self._tags.index(tag)
            elif action.kind == "untag":
                return None
            elif len(self._tags) >= MAX_TAGS:
                raise UserError(f"a project can have at most {MAX_TAGS} tags")
            else:
                bit = new_tag_bit = len(self._tags)
            mask = np.uint64(1 << bit)
            tags = self._tag_bits[rows]
            tags = tags | mask if action.kind == "tag" else tags & ~mask
            after = self._after(rows, tags=tags)

        if len(rows) == 0:
            return None
        return PlannedChange(after, label, tag, new_labels, new_tag_bit)

    def remember_tag(self, tag: str, bit: int) -> None:
        """Record a tag first used by an applied action."""
        if bit != len(self._tags):
            raise ValueError(f"tag {tag!r} should get bit {len(self._tags)}, not {bit}")
        self._tags.append(tag)

    def write(self, changes: np.ndarray, *, after: bool) -> None:
        """Set the rows' values to the after (or before) side of changes."""
        side = "after" if after else "before"
        rows = changes["row"].astype(np.int64)
        self._final[rows] = changes[f"{side}_final"]
        self._action[rows] = changes[f"{side}_action"]
        self._tag_bits[rows] = changes[f"{side}_tags"]

    def fits(self, changes: np.ndarray) -> bool:
        """Whether stored changes refer only to rows and labels that exist."""
        if len(changes) == 0:
            return True
        most_code = max(changes["before_final"].max(), changes["after_final"].max())
        return bool(changes["row"].max() < self.n_rows and most_code < len(self._names))

    # -- helpers ----------------------------------------------------------------

    def _after(
        self,
        rows: np.ndarray,
        *,
        final: np.ndarray | np.integer | None = None,
        action: int | None = None,
        tags: np.ndarray | None = None,
    ) -> np.ndarray:
        changes = np.empty(len(rows), dtype=CHANGE_DTYPE)
        changes["row"] = rows
        changes["before_final"] = self._final[rows]
        changes["before_action"] = self._action[rows]
        changes["before_tags"] = self._tag_bits[rows]
        changes["after_final"] = self._final[rows] if final is None else final
        changes["after_action"] = self._action[rows] if action is None else action
        changes["after_tags"] = self._tag_bits[rows] if tags is None else tags
        return changes

    def flag_mask(self, flag: str, *, rows: int | slice = slice(None)) -> np.ndarray:
        """Whether each row (or the one row given) has the flag."""
        return np.asarray(self._flag_values(flag, rows), dtype=bool)

    def _flag_values(self, flag: str, rows: int | slice) -> object:
        if flag == "unlabeled":
            return self._given[rows] == NO_LABEL
        if flag == "labeled":
            return self._given[rows] != NO_LABEL
        if flag == "label_issue":
            return self._issue[rows]
        if flag == "outlier":
            return self._outlier[rows]
        if flag == "near_duplicate":
            return self._cluster[rows] >= 0
        if flag == "ambiguous":
            return self._ambiguous[rows]
        if flag == "needs_review":
            if NEEDS_REVIEW not in self._tags:
                return np.zeros_like(self._given[rows], dtype=bool)
            bit = np.uint64(1 << self._tags.index(NEEDS_REVIEW))
            return (self._tag_bits[rows] & bit) != 0
        if flag == "resolved":
            return self._action[rows] != _NONE
        if flag == "unresolved":
            return self._action[rows] == _NONE
        raise ValueError(f"unknown flag {flag!r}; expected one of {FLAGS}")

    def _check_rows(self, rows: tuple[int, ...]) -> np.ndarray:
        array = np.unique(np.asarray(rows, dtype=np.int64))
        if len(array) and (array[0] < 0 or array[-1] >= self.n_rows):
            raise ValueError(f"row ids must be in 0..{self.n_rows - 1}")
        return array

    def _codes(self, labels: pl.Series) -> np.ndarray:
        return (
            labels.replace_strict(
                self._code_of, default=NO_LABEL, return_dtype=pl.Int32
            )
            .fill_null(NO_LABEL)
            .to_numpy()
            .astype(np.int32)
        )

    def _name(self, code: np.integer | int) -> str | None:
        return None if code < 0 else self._names[int(code)]

    def _label_series(self, codes: np.ndarray) -> pl.Series:
        if len(codes) == 0:
            return pl.Series([], dtype=pl.String)
        index = _masked_series(codes.astype(np.int64), pl.Int64)
        return self._names_series.gather(index)

    def _tags_of(self, bits: int) -> tuple[str, ...]:
        return tuple(tag for i, tag in enumerate(self._tags) if bits >> i & 1)

    def _tag_strings(self, bits: np.ndarray) -> pl.Series:
        unique, inverse = np.unique(bits, return_inverse=True)
        joined = [TAG_SEPARATOR.join(self._tags_of(int(value))) for value in unique]
        return pl.Series(joined, dtype=pl.String).gather(inverse.astype(np.int64))


def _check_tag(tag: str | None) -> str:
    name = (tag or "").strip()
    if not name:
        raise UserError("a tag cannot be empty")
    if TAG_SEPARATOR in name:
        raise UserError(f"a tag cannot contain {TAG_SEPARATOR!r}")
    return name


def _float_series(values: np.ndarray) -> pl.Series:
    return pl.Series(values, dtype=pl.Float32, nan_to_null=True)


def _masked_series(values: np.ndarray, dtype: type[pl.DataType]) -> pl.Series:
    """Negative values become null."""
    if len(values) == 0:
        return pl.Series([], dtype=dtype)
    return pl.Series(np.ma.masked_less(values, 0), dtype=dtype)
