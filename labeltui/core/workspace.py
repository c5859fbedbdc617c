"""The workspace: the one object the UI talks to.

It opens a data file with its project, holds the state of every row, answers
view queries (filter + sort + window) and applies actions through the project
store, committing each before it returns.

Beyond the shared contract (DESIGN.md and issue 4), nothing is renamed or
removed; these are additions:

- `Workspace.state_frame(rows=None)`: the state columns of any rows (every row
  by default), used by export.
- `RowDetail` also carries `row`; `View` supports `len()`.
- `set_analysis` is `store_analysis` (slow, any thread) then `use_analysis`
  (cheap, the thread that applies actions).
- `apply` records nothing when an action changes no row (auto_fix with no
  suggestion, keep on unlabeled rows, untag of a tag no row has), and records
  only the rows it could change; `undo` and `redo` return the action as
  recorded, so its rows are those rows, in ascending order.
- The state is held as numpy arrays of codes (see labeltui/core/state.py)
  rather than one polars frame; `View.window` builds the frame of the rows
  asked for.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from labeltui.core.dataset import Dataset
from labeltui.core.errors import UserError
from labeltui.core.project import Project, StoredAction
from labeltui.core.source import (
    ON_SOURCE_CHANGE,
    SourceChangedError,
    default_project_path,
    open_project,
)
from labeltui.core.state import (
    ACTION_KINDS,
    FLAGS,
    NEEDS_REVIEW,
    ROW_ACTIONS,
    SORTS,
    STATE_COLUMNS,
    Action,
    RowDetail,
    RowState,
    ViewQuery,
)

if TYPE_CHECKING:
    from labeltui.core.analysis import AnalysisResult

__all__ = [
    "ACTION_KINDS",
    "FLAGS",
    "NEEDS_REVIEW",
    "ON_SOURCE_CHANGE",
    "ROW_ACTIONS",
    "SORTS",
    "STATE_COLUMNS",
    "Action",
    "RowDetail",
    "SourceChangedError",
    "View",
    "ViewQuery",
    "Workspace",
    "default_project_path",
]

log = logging.getLogger(__name__)


class View:
    """The rows matching a query, in order. Windows show the current state."""

    def __init__(self, state: RowState, row_ids: np.ndarray):
        self._state = state
        self.row_ids = row_ids
        self.height = len(row_ids)

    def __len__(self) -> int:
        return self.height

    def window(self, start: int, count: int) -> pl.DataFrame:
        """The state columns of `count` rows from position `start`."""
        start = max(start, 0)
        return self._state.frame(self.row_ids[start : start + max(count, 0)])

    def position_of(self, row_id: int) -> int | None:
        """The position of a row in this view, or None if it is not in it."""
        found = np.flatnonzero(self.row_ids == row_id)
        return int(found[0]) if len(found) else None


class Workspace:
    """A data file, its project and the state of every row.

    Open with `Workspace.open`; close with `close()` or use as a context manager.

    Threads: any thread may call any method (the SQLite connection is shared and
    its transactions are serialised), but changes (apply, undo, redo,
    set_analysis, use_analysis) should come from one thread at a time, and a
    reader running during a change may see part of it. `store_analysis` changes
    only the project file, so a worker may run it during those changes. Views,
    windows, row details and `export_workspace` read memory only, never the
    project file.
    """

    def __init__(self, dataset: Dataset, project: Project, *, notice: str | None):
        self.dataset = dataset
        self.project_path = project.path
        self.notice = notice
        self.n_rows = dataset.n_rows
        self.analysis: AnalysisResult | None = None
        self._project = project

        # Every given label needs a code before the given labels are coded.
        names = project.label_names()
        known = set(names)
        unseen = [name for name in dataset.labels if name not in known]
        if unseen:
            project.add_labels(unseen, first_code=len(names))
        self._state = RowState(
            dataset.texts,
            dataset.given_labels,
            label_names=names + unseen,
            tag_names=project.tag_names(),
        )

        self._replay()
        self._load_cached_analysis()

        # Off the caller's thread: the first text search or text sort would
        # otherwise pause the UI for most of a second at 1M rows.
        threading.Thread(
            target=self._state.warm_up, name="labeltui-warm-up", daemon=True
        ).start()

    def _replay(self) -> None:
        """Bring every row to its state after the actions in effect.

        Each row takes the after-values of the last action that touched it, so
        the whole log is applied in one vectorised step.
        """
        logged = [stored.changes for stored in self._project.done_actions()]
        if not logged:
            return
        changes = np.concatenate(logged)
        # The given labels were coded first, so stored codes are valid unless the
        # project and the data do not belong together.
        if not self._state.fits(changes):
            raise UserError(f"project {self.project_path} does not match the data")
        newest_first = changes[::-1]
        _, last = np.unique(newest_first["row"], return_index=True)
        self._state.write(newest_first[last], after=True)

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
            data_path: The data file, or a project file to reopen on its own
                (its stored copy of the data is used when the source is gone).
            text_column: The text column, overriding inference.
            label_column: The label column, overriding inference.
            encoding: The encoding of a CSV or TSV file.
            project_path: The project file (default: beside the data, or in the
                user data directory when that folder is not writable; `notice`
                then says where).
            on_source_change: What to do when the data changed since the project
                was made: "fail" raises SourceChangedError, "snapshot" opens
                with the data stored in the project, "new" moves the old project
                aside (`notice` says where) and starts a new one.

        Raises:
            SourceChangedError: The data changed and on_source_change is "fail".
            UserError: The data cannot be read, another process holds the
                project, or the project is from a newer labeltui.
        """
        opened = open_project(
            Path(data_path),
            text_column=text_column,
            label_column=label_column,
            encoding=encoding,
            project_path=None if project_path is None else Path(project_path),
            on_source_change=on_source_change,
        )
        try:
            return cls(opened.dataset, opened.project, notice=opened.notice)
        except BaseException:
            opened.project.close()
            raise

    def close(self) -> None:
        """Close the project and release its lock."""
        self._project.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- labels -----------------------------------------------------------------

    @property
    def labels(self) -> tuple[str, ...]:
        """Every known label (given, used in actions, analysis classes), sorted."""
        return tuple(sorted(self._state.label_names))

    def training_labels(self) -> pl.Series:
        """What the model should learn from now.

        The final label where the person resolved the row, else the given label;
        null where the row is excluded or unlabeled.
        """
        return self._state.training_labels()

    def _add_labels(self, names: tuple[str, ...] | list[str]) -> None:
        """Give every unseen label a code, stored in the project."""
        unseen = self._state.unseen_labels(names)
        if unseen:
            first = len(self._state.label_names)
            self._project.add_labels(unseen, first_code=first)
            self._state.remember_labels(unseen)

    # -- analysis ---------------------------------------------------------------

    def analysis_is_current(self) -> bool:
        """Whether the analysis was made from the current training labels."""
        if self.analysis is None:
            return False
        from labeltui.core.analysis import input_key

        key = input_key(self.dataset.texts, self.training_labels())
        return bool(self.analysis.input_key == key)

    def set_analysis(self, result: AnalysisResult) -> None:
        """Store an analysis in the project and show it in every view.

        The same as `store_analysis` followed by `use_analysis`, in the calling
        thread. A UI calls the two separately: the store (most of the time at
        1M rows) in its worker thread, the swap in its UI thread.

        Raises:
            ValueError: The analysis has another number of rows than the data.
            UserError: The project could not be written.
        """
        self.store_analysis(result)
        self.use_analysis(result)

    def store_analysis(self, result: AnalysisResult) -> None:
        """Write an analysis to the project, for the next open. Any thread.

        Serialising and writing the analysis are the slow part of
        `set_analysis`; nothing in memory changes, so a worker thread can do it
        while the UI thread applies actions (the project serialises their
        transactions).

        Raises:
            ValueError: The analysis has another number of rows than the data.
            UserError: The project could not be written.
        """
        self._check_rows(result)
        self._project.save_analysis(result.input_key, result.to_bytes())

    def use_analysis(self, result: AnalysisResult) -> None:
        """Show an analysis in every view, without writing it to the project.

        Call it from the thread that applies actions: its new label codes
        must not interleave with an action's.

        Raises:
            ValueError: The analysis has another number of rows than the data.
        """
        self._check_rows(result)
        self._add_labels(result.classes)
        self._state.set_analysis(result)
        self.analysis = result

    def _check_rows(self, result: AnalysisResult) -> None:
        if len(result.label_quality) != self.n_rows:
            raise ValueError(
                f"analysis has {len(result.label_quality)} rows, data has {self.n_rows}"
            )

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
        self._state.set_analysis(result)
        self.analysis = result

    # -- views --------------------------------------------------------------------

    def view(self, query: ViewQuery) -> View:
        """The rows matching query, in its sort order.

        Raises:
            ValueError: An unknown flag or sort.
        """
        return View(self._state, self._state.view_rows(query))

    def filter_counts(self, query: ViewQuery) -> dict[str, int]:
        """For "all" and each flag, how many rows match query with it added."""
        return self._state.filter_counts(query)

    def state_frame(self, rows: np.ndarray | None = None) -> pl.DataFrame:
        """The state columns of the given rows (default: every row), in order."""
        if rows is None:
            rows = np.arange(self.n_rows, dtype=np.int64)
        return self._state.frame(rows)

    def row_detail(self, row_id: int) -> RowDetail:
        """Everything about one row.

        Raises:
            ValueError: The row id is out of range.
        """
        return self._state.detail(row_id)

    # -- actions ------------------------------------------------------------------

    def apply(self, action: Action) -> None:
        """Apply an action and commit it to the project before returning.

        Rows an action cannot change are skipped: auto_fix skips rows without a
        suggestion and keep skips unlabeled rows. An action that changes no row
        is not recorded.

        Raises:
            UserError: The label or tag is empty or not allowed, or the project
                could not be written (nothing is changed then).
            ValueError: The kind is unknown or a row id is out of range.
        """
        planned = self._state.plan(action)
        if planned is None:
            log.info("%s changed no row; not recorded", action.kind)
            return
        self._project.record_action(
            action.kind,
            planned.changes,
            label=planned.label,
            tag=planned.tag,
            new_labels=planned.new_labels,
            first_label_code=len(self._state.label_names),
            new_tag_bit=planned.new_tag_bit,
        )
        if planned.new_labels:
            self._state.remember_labels(planned.new_labels)
        if planned.new_tag_bit is not None and planned.tag is not None:
            self._state.remember_tag(planned.tag, planned.new_tag_bit)
        self._state.write(planned.changes, after=True)

    def undo(self) -> Action | None:
        """Undo the latest action in effect; return it, or None if there is none."""
        stored = self._project.last_done()
        if stored is None:
            return None
        self._project.set_undone(stored.id, True)
        self._state.write(stored.changes, after=False)
        return _as_action(stored)

    def redo(self) -> Action | None:
        """Redo the oldest undone action; return it, or None if there is none."""
        stored = self._project.first_undone()
        if stored is None:
            return None
        self._project.set_undone(stored.id, False)
        self._state.write(stored.changes, after=True)
        return _as_action(stored)


def _as_action(stored: StoredAction) -> Action:
    return Action(
        kind=stored.kind,
        rows=tuple(int(row) for row in stored.changes["row"]),
        label=stored.label,
        tag=stored.tag,
    )
