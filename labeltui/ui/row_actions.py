"""Actions on rows: keep, auto-fix, exclude, label, tag, undo and redo."""

from __future__ import annotations

from labeltui.core.errors import UserError
from labeltui.core.workspace import NEEDS_REVIEW, Action
from labeltui.ui.dialogs import LabelPicker
from labeltui.ui.screen_state import SHORT_NOTICE_SECONDS, RowsScreen


class RowActions(RowsScreen):
    """The labeling screen's actions on the row under the cursor."""

    # -- actions on rows -----------------------------------------------------

    def target_rows(self) -> tuple[int, ...]:
        """The rows the next action applies to: the row under the cursor.

        TODO: a selection (space, shift+arrows, ctrl+a) is not built yet; when
        it is, this returns the selected rows when there are any.
        """
        row_id = self.table.cursor_row_id
        return () if row_id is None else (row_id,)

    def apply(self, action: Action, *, advance: bool = True) -> None:
        """Apply an action through the workspace and show the result at once.

        After an action on one row the cursor moves to the next row of the view
        (the row that followed it before the action, wherever it is now).
        """
        if self._exporting():
            return
        next_row = self.table.row_id_at(self.table.cursor + 1)
        try:
            self.workspace.apply(action)
        except UserError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        at_end = next_row is None
        self.refresh_all(row_id=action.rows[0] if at_end or not advance else next_row)

    def action_auto_fix(self) -> None:
        """Apply the suggested label."""
        rows = self.target_rows()
        if not rows:
            return
        if self.workspace.row_detail(rows[0]).suggestion is None:
            self.notify("no suggestion for this row yet (r: train the model)")
            return
        self.apply(Action("auto_fix", rows))

    def action_keep(self) -> None:
        """Keep the given label."""
        rows = self.target_rows()
        if not rows:
            return
        if self.workspace.row_detail(rows[0]).given_label is None:
            self.notify("this row has no given label to keep; pick one with 1-9 or l")
            return
        self.apply(Action("keep", rows))

    def action_exclude(self) -> None:
        """Leave the row out of the cleaned data."""
        if rows := self.target_rows():
            self.apply(Action("exclude", rows))

    def action_toggle_review(self) -> None:
        """Add the needs_review tag, or remove it when the row has it."""
        rows = self.target_rows()
        if not rows:
            return
        tagged = NEEDS_REVIEW in self.workspace.row_detail(rows[0]).tags
        kind = "untag" if tagged else "tag"
        self.apply(Action(kind, rows, tag=NEEDS_REVIEW))

    def action_apply_top(self, rank: int) -> None:
        """Apply the rank-th likeliest label (1 = the likeliest)."""
        rows = self.target_rows()
        if not rows:
            return
        top = self.workspace.row_detail(rows[0]).top_labels
        if rank > len(top):
            self.notify(
                f"no label {rank}: the model has not run yet"
                if not top
                else f"only {len(top)} likeliest labels for this row"
            )
            return
        self.apply(Action("label", rows, label=top[rank - 1][0]))

    def action_pick_label(self) -> None:
        """Pick any label by typing part of its name."""
        rows = self.target_rows()
        if not rows:
            return

        def picked(label: str | None) -> None:
            if label:
                self.apply(Action("label", rows, label=label))

        top = self.workspace.row_detail(rows[0]).top_labels
        picker = LabelPicker(
            self.workspace.labels,
            title="Label the row as",
            likeliest=[label for label, _ in top],
        )
        self.app.push_screen(picker, picked)

    def action_undo(self) -> None:
        """Undo the last action."""
        if self._exporting():
            return
        self._show_undo_step(self.workspace.undo(), "undone")

    def action_redo(self) -> None:
        """Redo the last undone action."""
        if self._exporting():
            return
        self._show_undo_step(self.workspace.redo(), "redone")

    def _show_undo_step(self, action: Action | None, verb: str) -> None:
        if action is None:
            self.notify(f"nothing to {'undo' if verb == 'undone' else 'redo'}")
            return
        self.refresh_all(row_id=action.rows[0])
        rows = len(action.rows)
        self.notify(
            f"{verb}: {action.kind.replace('_', '-')} on "
            f"{'row ' + str(action.rows[0]) if rows == 1 else f'{rows:,} rows'}",
            timeout=SHORT_NOTICE_SECONDS,
        )
