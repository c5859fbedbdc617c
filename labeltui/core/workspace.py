"""The workspace: the one object the UI talks to.

It opens a data file with its project, holds the state of every row in columnar
arrays (given label, final label, action, tags and the analysis), answers view
queries (filter + sort + window) and applies actions through the project
store, committing each before it returns.

Row state is kept as numpy arrays of small integer codes: labels are codes into
the project's label table (-1 = none), the action is an int8 code and the tags
of a row are the bits of one uint64. A one-row action therefore touches a few
array cells and writes one small SQLite transaction; the polars frames the UI
sees are built only for the rows it asks for.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from labeltui.core.dataset import Dataset, load_dataset, normalise_labels
from labeltui.core.errors import UserError
from labeltui.core.project import (
    CHANGE_DTYPE,
    MAX_TAGS,
    PROJECT_SUFFIX,
    Project,
    SourceInfo,
    StoredAction,
)

if TYPE_CHECKING:
    from labeltui.core.analysis import AnalysisResult

log = logging.getLogger(__name__)

ACTION_KINDS = ("label", "auto_fix", "keep", "exclude", "tag", "untag")
FLAGS = (
    "unlabeled",
    "labeled",
    "label_issue",
    "outlier",
    "near_duplicate",
    "ambiguous",
    "needs_review",
    "resolved",
    "unresolved",
)
SORTS = ("row", "confidence", "-confidence", "label_quality", "outlier_score", "text")
NEEDS_REVIEW = "needs_review"
ON_SOURCE_CHANGE = ("fail", "snapshot", "new")

# The action of a row, stored per row as an int8 code. The codes are written
# into project files (the action log), so never reorder them.
ROW_ACTIONS = ("none", "keep", "label", "auto_fix", "exclude")
_NONE, _KEEP, _LABEL, _AUTO_FIX, _EXCLUDE = range(len(ROW_ACTIONS))

NO_LABEL = -1  # label code of "no label"

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

# Read the source in chunks of this size when hashing it: large enough that the
# per-call overhead vanishes, small enough to stay out of the memory budget.
HASH_CHUNK_BYTES = 1 << 20

# A view sorted by text over fewer rows than this sorts just those rows; larger
# ones compute (once) the text order of every row, about 2 s for 1M rows here.
SUBSET_TEXT_SORT_MAX = 200_000

# Characters a tag may not contain: tags are joined with ";" in outputs.
TAG_SEPARATOR = ";"


class SourceChangedError(UserError):
    """The data file differs from the one the project was made from."""

    def __init__(self, message: str, *, data_path: Path, project_path: Path):
        super().__init__(message)
        self.data_path = data_path
        self.project_path = project_path


@dataclass(frozen=True)
class Action:
    """Something the person did to one or more rows; one undo step."""

    kind: str
    rows: tuple[int, ...]
    label: str | None = None
    tag: str | None = None


@dataclass(frozen=True)
class ViewQuery:
    """Which rows to show and in what order."""

    flags: frozenset[str] = frozenset()
    given_label: str | None = None
    suggested_label: str | None = None
    final_label: str | None = None
    search: str = ""
    min_confidence: float | None = None
    max_confidence: float | None = None
    sort: str = "row"


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


class View:
    """The rows matching a query, in order. Windows show the current state."""

    def __init__(self, workspace: Workspace, row_ids: np.ndarray):
        self._workspace = workspace
        self.row_ids = row_ids
        self.height = len(row_ids)

    def __len__(self) -> int:
        return self.height

    def window(self, start: int, count: int) -> pl.DataFrame:
        """The state columns of `count` rows from position `start`."""
        start = max(start, 0)
        rows = self.row_ids[start : start + max(count, 0)]
        return self._workspace.state_frame(rows)

    def position_of(self, row_id: int) -> int | None:
        """The position of a row in this view, or None if it is not in it."""
        found = np.flatnonzero(self.row_ids == row_id)
        return int(found[0]) if len(found) else None


class Workspace:
    """A data file, its project and the state of every row.

    Open with `Workspace.open`; close with `close()` or use as a context manager.
    """

    def __init__(
        self,
        dataset: Dataset,
        project: Project,
        *,
        notice: str | None = None,
    ):
        self.dataset = dataset
        self.project_path = project.path
        self.notice = notice
        self.n_rows = dataset.n_rows
        self.analysis: AnalysisResult | None = None
        self._project = project

        self._names: list[str] = project.label_names()
        self._code_of = {name: code for code, name in enumerate(self._names)}
        self._add_labels(dataset.labels)
        self._names_series = pl.Series(self._names, dtype=pl.String)
        self._tags: list[str] = project.tag_names()

        self._given = self._codes(dataset.given_labels)
        self._final = np.full(self.n_rows, NO_LABEL, dtype=np.int32)
        self._action = np.zeros(self.n_rows, dtype=np.int8)
        self._tag_bits = np.zeros(self.n_rows, dtype=np.uint64)
        self._clear_analysis()
        self._orders: dict[str, np.ndarray] = {}
        self._lower_texts: pl.Series | None = None
        self._lower_lock = threading.Lock()

        for stored in project.done_actions():
            self._write(stored.changes, after=True)
        self._load_cached_analysis()

        # The first text search would spend ~0.2 s per 1M rows lowercasing every
        # text; do it now, off the caller's thread (polars releases the GIL).
        threading.Thread(
            target=self._lowercase_texts, name="labeltui-lowercase", daemon=True
        ).start()

    # -- opening ------------------------------------------------------------

    @classmethod
    def open(
        cls,
        data_path: str | Path,
        *,
        text_column: str | None = None,
        label_column: str | None = None,
        encoding: str | None = None,
        project_path: str | Path | None = None,
        on_source_change: str = "fail",
    ) -> Workspace:
        """Open a data file (or a .labeltui project file) and its project.

        Args:
            data_path: The data file, or a project file to reopen on its own.
            text_column: The text column, overriding inference.
            label_column: The label column, overriding inference.
            encoding: The encoding of a CSV or TSV file.
            project_path: The project file (default: beside the data).
            on_source_change: What to do when the data changed since the project
                was made: "fail" raises SourceChangedError, "snapshot" opens
                with the data stored in the project, "new" moves the old project
                aside and starts a new one.

        Raises:
            SourceChangedError: The data changed and on_source_change is "fail".
            UserError: The data cannot be read, another process holds the
                project, or the project is from a newer labeltui.
        """
        if on_source_change not in ON_SOURCE_CHANGE:
            raise ValueError(f"on_source_change must be one of {ON_SOURCE_CHANGE}")
        data_path = Path(data_path)
        notices: list[str] = []
        from_project = data_path.suffix.lower() == PROJECT_SUFFIX
        if from_project:
            if not data_path.exists():
                raise UserError(f"{data_path}: no such project file")
            project_path = data_path
        elif project_path is None:
            project_path, notice = default_project_path(data_path)
            if notice:
                notices.append(notice)
        project_path = Path(project_path)

        existed = project_path.exists()
        project = Project.open(project_path)
        try:
            dataset = _open_dataset(
                project,
                data_path,
                from_project=from_project,
                text_column=text_column,
                label_column=label_column,
                encoding=encoding,
                on_source_change=on_source_change,
                notices=notices,
            )
        except _StartNewProject:
            project.close()
            aside = _move_aside(project_path)
            notices.append(
                f"{data_path} changed, so a new project was started; the old one "
                f"was moved to {aside}"
            )
            project = Project.open(project_path)
            try:
                dataset = _create(
                    project, data_path, text_column, label_column, encoding
                )
            except BaseException:
                project.close()
                raise
        except BaseException:
            project.close()
            if not existed:
                _remove_project(project_path)
            raise

        try:
            return cls(
                project=project, dataset=dataset, notice=" ".join(notices) or None
            )
        except BaseException:
            project.close()
            raise

    def close(self) -> None:
        """Close the project and release its lock."""
        self._project.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- labels -------------------------------------------------------------

    @property
    def labels(self) -> tuple[str, ...]:
        """Every known label (given, used in actions, analysis classes), sorted."""
        return tuple(sorted(self._names))

    def training_labels(self) -> pl.Series:
        """What the model should learn from now.

        The final label where the person resolved the row, else the given label;
        null where the row is excluded or unlabeled.
        """
        codes = np.where(self._action == _NONE, self._given, self._final)
        return self._label_series(codes).rename("label")

    # -- analysis -------------------------------------------------------------

    def analysis_is_current(self) -> bool:
        """Whether the analysis was made from the current training labels."""
        if self.analysis is None:
            return False
        from labeltui.core.analysis import input_key

        key = input_key(self.dataset.texts, self.training_labels())
        return bool(self.analysis.input_key == key)

    def set_analysis(self, result: AnalysisResult) -> None:
        """Store an analysis in the project and show it in every view."""
        if len(result.label_quality) != self.n_rows:
            raise ValueError(
                f"analysis has {len(result.label_quality)} rows, data has {self.n_rows}"
            )
        self._add_labels(result.classes)
        self._project.save_analysis(result.input_key, result.to_bytes())
        self._install_analysis(result)

    def _load_cached_analysis(self) -> None:
        data = self._project.load_analysis()
        if data is None:
            return
        from labeltui.core.analysis import AnalysisResult

        try:
            result = AnalysisResult.from_bytes(data)
        except Exception:
            log.exception("the cached analysis in %s is unreadable", self.project_path)
            return
        if len(result.label_quality) != self.n_rows:
            log.warning("the cached analysis does not match the data; ignored")
            return
        self._add_labels(result.classes)
        self._install_analysis(result)

    def _install_analysis(self, result: AnalysisResult) -> None:
        self._clear_analysis()
        self.analysis = result
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
        for sort in ("confidence", "-confidence", "label_quality", "outlier_score"):
            self._orders.pop(sort, None)

    def _clear_analysis(self) -> None:
        n = self.n_rows
        self.analysis = None
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

    # -- views ----------------------------------------------------------------

    def view(self, query: ViewQuery) -> View:
        """The rows matching query, in its sort order."""
        if query.sort not in SORTS:
            raise ValueError(f"unknown sort {query.sort!r}; expected one of {SORTS}")
        mask = self._query_mask(query)
        if (
            query.sort == "text"
            and "text" not in self._orders
            and mask is not None
            and np.count_nonzero(mask) <= SUBSET_TEXT_SORT_MAX
        ):
            return View(self, self._text_order(np.flatnonzero(mask)))
        order = self._order(query.sort)
        row_ids = order if mask is None else order[mask[order]]
        return View(self, row_ids)

    def filter_counts(self, query: ViewQuery) -> dict[str, int]:
        """For "all" and each flag, how many rows match query with it added."""
        mask = self._query_mask(query)
        counts = {"all": self.n_rows if mask is None else int(mask.sum())}
        for flag in FLAGS:
            flag_mask = self._flag_mask(flag)
            both = flag_mask if mask is None else flag_mask & mask
            counts[flag] = int(np.count_nonzero(both))
        return counts

    def state_frame(self, rows: np.ndarray | None = None) -> pl.DataFrame:
        """The state columns of the given rows (default: every row), in order."""
        if rows is None:
            rows = np.arange(self.n_rows, dtype=np.int64)
        rows = np.asarray(rows, dtype=np.int64)
        cluster = self._cluster[rows]
        return pl.DataFrame(
            {
                "row": pl.Series(rows, dtype=pl.UInt32),
                "text": self.dataset.texts.gather(rows),
                "given_label": self._label_series(self._given[rows]),
                "suggested_label": self._label_series(self._suggested[rows]),
                "suggested_confidence": _float_series(self._confidence[rows]),
                "label_quality": _float_series(self._quality[rows]),
                "is_label_issue": pl.Series(self._issue[rows], dtype=pl.Boolean),
                "is_outlier": pl.Series(self._outlier[rows], dtype=pl.Boolean),
                "outlier_score": _float_series(self._outlier_score[rows]),
                "near_duplicate_cluster": pl.Series(
                    np.ma.masked_less(cluster, 0), dtype=pl.Int32
                )
                if len(cluster)
                else pl.Series([], dtype=pl.Int32),
                "is_ambiguous": pl.Series(self._ambiguous[rows], dtype=pl.Boolean),
                "final_label": self._label_series(self._final[rows]),
                "action": pl.Series(ROW_ACTIONS, dtype=pl.String).gather(
                    self._action[rows].astype(np.int64)
                ),
                "tags": self._tag_strings(self._tag_bits[rows]),
            }
        )

    def row_detail(self, row_id: int) -> RowDetail:
        """Everything about one row."""
        row = self._check_row(row_id)
        top = tuple(
            (self._names[int(code)], float(probability))
            for code, probability in zip(
                self._top_codes[row], self._top_probabilities[row], strict=True
            )
        )
        confidence = float(self._confidence[row])
        return RowDetail(
            row=row,
            text=str(self.dataset.texts[row]),
            given_label=self._name(self._given[row]),
            final_label=self._name(self._final[row]),
            action=ROW_ACTIONS[int(self._action[row])],
            tags=self._tags_of(int(self._tag_bits[row])),
            suggestion=self._name(self._suggested[row]),
            confidence=None if np.isnan(confidence) else confidence,
            top_labels=top,
            flags=frozenset(flag for flag in FLAGS if self._flag_mask(flag, rows=row)),
        )

    def _query_mask(self, query: ViewQuery) -> np.ndarray | None:
        masks: list[np.ndarray] = []
        for flag in query.flags:
            if flag not in FLAGS:
                raise ValueError(f"unknown flag {flag!r}; expected one of {FLAGS}")
            masks.append(self._flag_mask(flag))
        for codes, name in (
            (self._given, query.given_label),
            (self._suggested, query.suggested_label),
            (self._final, query.final_label),
        ):
            if name is not None:
                masks.append(codes == self._code_of.get(name, -2))
        if query.search:
            needle = query.search.lower()
            masks.append(
                self._lowercase_texts().str.contains(needle, literal=True).to_numpy()
            )
        if query.min_confidence is not None:
            masks.append(self._confidence >= query.min_confidence)
        if query.max_confidence is not None:
            masks.append(self._confidence <= query.max_confidence)
        if not masks:
            return None
        mask = masks[0].copy()
        for other in masks[1:]:
            mask &= other
        return mask

    def _flag_mask(self, flag: str, *, rows: int | slice = slice(None)) -> np.ndarray:
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

    def _order(self, sort: str) -> np.ndarray:
        """Every row id in sort order; the sort keys never change with actions."""
        cached = self._orders.get(sort)
        if cached is not None:
            return cached
        if sort == "row":
            order = np.arange(self.n_rows, dtype=np.int64)
        elif sort == "text":
            order = self._text_order(np.arange(self.n_rows, dtype=np.int64))
        else:
            keys = {
                "confidence": self._confidence,
                "-confidence": -self._confidence,
                "label_quality": self._quality,
                "outlier_score": self._outlier_score,
            }[sort]
            # Stable: ties keep row order. NaN (no score) sorts last.
            order = np.argsort(keys, kind="stable").astype(np.int64)
        order.setflags(write=False)
        self._orders[sort] = order
        return order

    def _text_order(self, rows: np.ndarray) -> np.ndarray:
        """The given rows (ascending) sorted by text; ties keep row order."""
        return (
            pl.DataFrame({"row": rows, "text": self.dataset.texts.gather(rows)})
            .sort("text", maintain_order=True)
            .get_column("row")
            .to_numpy()
            .astype(np.int64)
        )

    def _lowercase_texts(self) -> pl.Series:
        with self._lower_lock:
            if self._lower_texts is None:
                self._lower_texts = self.dataset.texts.str.to_lowercase()
            return self._lower_texts

    # -- actions --------------------------------------------------------------

    def apply(self, action: Action) -> None:
        """Apply an action and commit it to the project before returning.

        Rows an action cannot change are skipped: auto_fix skips rows without a
        suggestion and keep skips unlabeled rows. An action that changes no row
        is not recorded.

        Raises:
            UserError: The label or tag is empty or not allowed.
            ValueError: The kind is unknown or a row id is out of range.
        """
        if action.kind not in ACTION_KINDS:
            raise ValueError(f"unknown action {action.kind!r}; expected {ACTION_KINDS}")
        rows = self._check_rows(action.rows)
        new_labels: list[str] = []
        new_tag_bit: int | None = None
        label = tag = None

        final = self._final[rows]
        row_action = self._action[rows]
        tags = self._tag_bits[rows]
        if action.kind == "label":
            label = (action.label or "").strip()
            if not label:
                raise UserError("a label cannot be empty")
            if label not in self._code_of:
                new_labels.append(label)
            code = self._code_of.get(label, len(self._names))
            final = np.full(len(rows), code, dtype=np.int32)
            row_action = np.full(len(rows), _LABEL, dtype=np.int8)
        elif action.kind == "auto_fix":
            rows = rows[self._suggested[rows] != NO_LABEL]
            final = self._suggested[rows]
            row_action = np.full(len(rows), _AUTO_FIX, dtype=np.int8)
            tags = self._tag_bits[rows]
        elif action.kind == "keep":
            rows = rows[self._given[rows] != NO_LABEL]
            final = self._given[rows]
            row_action = np.full(len(rows), _KEEP, dtype=np.int8)
            tags = self._tag_bits[rows]
        elif action.kind == "exclude":
            final = np.full(len(rows), NO_LABEL, dtype=np.int32)
            row_action = np.full(len(rows), _EXCLUDE, dtype=np.int8)
        else:
            tag = _check_tag(action.tag)
            if tag in self._tags:
                bit = self._tags.index(tag)
            elif action.kind == "untag":
                rows = rows[:0]
                bit = 0
            else:
                if len(self._tags) >= MAX_TAGS:
                    raise UserError(f"a project can have at most {MAX_TAGS} tags")
                bit = new_tag_bit = len(self._tags)
            mask = np.uint64(1 << bit)
            tags = self._tag_bits[rows]
            tags = tags | mask if action.kind == "tag" else tags & ~mask
            final = self._final[rows]
            row_action = self._action[rows]

        if len(rows) == 0:
            log.info("%s changed no row; not recorded", action.kind)
            return

        changes = np.empty(len(rows), dtype=CHANGE_DTYPE)
        changes["row"] = rows
        changes["before_final"] = self._final[rows]
        changes["after_final"] = final
        changes["before_action"] = self._action[rows]
        changes["after_action"] = row_action
        changes["before_tags"] = self._tag_bits[rows]
        changes["after_tags"] = tags
        self._project.record_action(
            action.kind,
            changes,
            label=label,
            tag=tag,
            new_labels=new_labels,
            first_label_code=len(self._names),
            new_tag_bit=new_tag_bit,
        )
        if new_labels:
            self._remember_labels(new_labels)
        if new_tag_bit is not None:
            assert tag is not None
            self._tags.append(tag)
        self._write(changes, after=True)

    def undo(self) -> Action | None:
        """Undo the latest action in effect; return it, or None if there is none."""
        stored = self._project.last_done()
        if stored is None:
            return None
        self._project.set_undone(stored.id, True)
        self._write(stored.changes, after=False)
        return _as_action(stored)

    def redo(self) -> Action | None:
        """Redo the oldest undone action; return it, or None if there is none."""
        stored = self._project.first_undone()
        if stored is None:
            return None
        self._project.set_undone(stored.id, False)
        self._write(stored.changes, after=True)
        return _as_action(stored)

    def _write(self, changes: np.ndarray, *, after: bool) -> None:
        side = "after" if after else "before"
        rows = changes["row"].astype(np.int64)
        if len(rows) and rows.max() >= self.n_rows:
            raise UserError(f"project {self.project_path} does not match the data")
        self._final[rows] = changes[f"{side}_final"]
        self._action[rows] = changes[f"{side}_action"]
        self._tag_bits[rows] = changes[f"{side}_tags"]

    # -- helpers --------------------------------------------------------------

    def _check_rows(self, rows: tuple[int, ...]) -> np.ndarray:
        array = np.unique(np.asarray(rows, dtype=np.int64))
        if len(array) and (array[0] < 0 or array[-1] >= self.n_rows):
            raise ValueError(f"row ids must be in 0..{self.n_rows - 1}")
        return array

    def _check_row(self, row_id: int) -> int:
        row = int(row_id)
        if not 0 <= row < self.n_rows:
            raise ValueError(f"row id {row_id} is not in 0..{self.n_rows - 1}")
        return row

    def _add_labels(self, names: tuple[str, ...] | list[str]) -> None:
        """Give every unseen label a code, stored in the project."""
        unseen = [name for name in dict.fromkeys(names) if name not in self._code_of]
        if not unseen:
            return
        self._project.add_labels(unseen, first_code=len(self._names))
        self._remember_labels(unseen)

    def _remember_labels(self, names: list[str]) -> None:
        for name in names:
            self._code_of[name] = len(self._names)
            self._names.append(name)
        self._names_series = pl.Series(self._names, dtype=pl.String)

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
        index = pl.Series(np.ma.masked_less(codes.astype(np.int64), 0))
        if len(codes) == 0:
            return pl.Series([], dtype=pl.String)
        return self._names_series.gather(index)

    def _tags_of(self, bits: int) -> tuple[str, ...]:
        return tuple(tag for i, tag in enumerate(self._tags) if bits >> i & 1)

    def _tag_strings(self, bits: np.ndarray) -> pl.Series:
        unique, inverse = np.unique(bits, return_inverse=True)
        joined = [TAG_SEPARATOR.join(self._tags_of(int(value))) for value in unique]
        return pl.Series(joined, dtype=pl.String).gather(inverse.astype(np.int64))


# -- opening helpers ------------------------------------------------------------


class _StartNewProject(Exception):
    """The data changed and the caller asked for a new project."""


def default_project_path(data_path: Path) -> tuple[Path, str | None]:
    """Where the project of a data file lives, and a notice if not beside it.

    The project goes beside the data (banking.csv -> banking.labeltui) unless
    that folder is not writable; then it goes to the user data directory, under
    a name made unique by a hash of the data's absolute path.
    """
    beside = data_path.with_suffix(PROJECT_SUFFIX)
    if _writable(beside):
        return beside, None
    import platformdirs

    digest = hashlib.sha256(str(data_path.resolve()).encode()).hexdigest()[:8]
    folder = Path(platformdirs.user_data_dir("labeltui"))
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{data_path.stem}-{digest}{PROJECT_SUFFIX}"
    return target, (
        f"{beside.parent} is not writable, so the project is kept in {target}"
    )


def _writable(project: Path) -> bool:
    if project.exists():
        return os.access(project, os.W_OK) and os.access(project.parent, os.W_OK)
    return os.access(project.parent, os.W_OK)


def _open_dataset(
    project: Project,
    data_path: Path,
    *,
    from_project: bool,
    text_column: str | None,
    label_column: str | None,
    encoding: str | None,
    on_source_change: str,
    notices: list[str],
) -> Dataset:
    source = project.source()
    if source is None:
        if from_project:
            raise UserError(f"{data_path} is not a labeltui project with data")
        return _create(project, data_path, text_column, label_column, encoding)

    if from_project:
        data_path = Path(source.path)
    _check_columns(project.path, source, text_column, label_column)
    state = _source_state(data_path, source)
    if state == "same":
        return load_dataset(
            data_path,
            text_column=source.text_column,
            label_column=source.label_column,
            encoding=encoding or source.encoding,
        )

    what = "is missing" if state == "missing" else "has changed"
    if (from_project and state == "missing") or on_source_change == "snapshot":
        notices.append(
            f"{data_path} {what} since the project was made; showing the copy of "
            f"the data stored in {project.path}"
        )
        return _dataset_from_snapshot(project, source)
    if on_source_change == "new" and not from_project:
        raise _StartNewProject
    raise SourceChangedError(
        f"{data_path} {what} since the project {project.path} was made from it; "
        "choose: open the project with the copy of the data it stored, or start "
        "a new project (the old one is kept aside)",
        data_path=data_path,
        project_path=project.path,
    )


def _check_columns(
    project_path: Path,
    source: SourceInfo,
    text_column: str | None,
    label_column: str | None,
) -> None:
    for asked, stored, what in (
        (text_column, source.text_column, "text"),
        (label_column, source.label_column, "label"),
    ):
        if asked is not None and asked != stored:
            raise UserError(
                f"project {project_path} uses {stored!r} as the {what} column, not "
                f"{asked!r}; pass --project to start a separate project"
            )


def _create(
    project: Project,
    data_path: Path,
    text_column: str | None,
    label_column: str | None,
    encoding: str | None,
) -> Dataset:
    dataset = load_dataset(
        data_path,
        text_column=text_column,
        label_column=label_column,
        encoding=encoding,
    )
    size, digest = _hash_file(data_path)
    source = SourceInfo(
        path=str(data_path.resolve()),
        size=size,
        content_hash=digest,
        text_column=dataset.text_column,
        label_column=dataset.label_column,
        encoding=encoding,
    )
    buffer = io.BytesIO()
    dataset.frame.write_parquet(buffer, compression="zstd")
    project.initialise(source, buffer.getvalue())
    log.info("created project %s for %s", project.path, data_path)
    return dataset


def _source_state(data_path: Path, source: SourceInfo) -> str:
    """ "same", "changed" or "missing": the data file against the recorded one."""
    if not data_path.is_file():
        return "missing"
    if data_path.stat().st_size != source.size:
        return "changed"
    _, digest = _hash_file(data_path)
    return "same" if digest == source.content_hash else "changed"


def _hash_file(path: Path) -> tuple[int, str]:
    # SHA-256: collision-safe and, with the CPU's SHA instructions, the fastest
    # of hashlib's algorithms here (about 1 GB/s).
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as file:
            while chunk := file.read(HASH_CHUNK_BYTES):
                digest.update(chunk)
                size += len(chunk)
    except OSError as error:
        raise UserError(f"{path}: cannot read ({error.strerror})") from error
    return size, f"sha256:{digest.hexdigest()}"


def _dataset_from_snapshot(project: Project, source: SourceInfo) -> Dataset:
    data = project.snapshot()
    if data is None:
        raise UserError(f"project {project.path} holds no copy of its data")
    frame = pl.read_parquet(io.BytesIO(data))
    given = normalise_labels(frame, source.label_column)
    texts = frame.get_column(source.text_column).cast(pl.String).fill_null("")
    return Dataset(
        path=Path(source.path),
        frame=frame,
        text_column=source.text_column,
        label_column=source.label_column,
        texts=texts.rename("text"),
        given_labels=given,
        labels=tuple(sorted(given.drop_nulls().unique().to_list())),
    )


def _remove_project(project_path: Path) -> None:
    """Remove a project file this call created but could not fill."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{project_path}{suffix}").unlink(missing_ok=True)


def _move_aside(project_path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = project_path.with_name(f"{project_path.stem}.{stamp}{PROJECT_SUFFIX}")
    counter = 1
    while aside.exists():
        aside = project_path.with_name(
            f"{project_path.stem}.{stamp}-{counter}{PROJECT_SUFFIX}"
        )
        counter += 1
    project_path.rename(aside)
    return aside


def _check_tag(tag: str | None) -> str:
    name = (tag or "").strip()
    if not name:
        raise UserError("a tag cannot be empty")
    if TAG_SEPARATOR in name:
        raise UserError(f"a tag cannot contain {TAG_SEPARATOR!r}")
    return name


def _float_series(values: np.ndarray) -> pl.Series:
    return pl.Series(values, dtype=pl.Float32, nan_to_null=True)


def _as_action(stored: StoredAction) -> Action:
    return Action(
        kind=stored.kind,
        rows=tuple(int(row) for row in stored.changes["row"]),
        label=stored.label,
        tag=stored.tag,
    )
