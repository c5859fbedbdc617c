"""What the labeling screen shows, and the helpers its parts share.

MainScreen is built from this base, RowActions (row_actions.py) and
ViewControls (view_controls.py); main_screen.py holds the layout, the keys, and
the export and model glue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen
from textual.timer import Timer

from labeltui.core.workspace import ViewQuery
from labeltui.ui.export_runner import ExportRunner
from labeltui.ui.panes import FilterSidebar, HeaderLine, Resolver
from labeltui.ui.table import RowTable

if TYPE_CHECKING:
    from labeltui.core.workspace import View, Workspace
    from labeltui.ui.model_bar import ModelBar

# Long enough to read two or three notes about the model or the project.
NOTES_SECONDS = 8

# Unexpected failures stay up long enough to be read and acted on.
ERROR_NOTICE_SECONDS = 15

# Confirmations (undone, sorted) need only a glance.
SHORT_NOTICE_SECONDS = 2


class RowsScreen(Screen[None]):
    """The workspace, the view query and the view, and how they are shown."""

    def __init__(self, workspace: Workspace, *, run_model: bool = True) -> None:
        super().__init__()
        self.workspace = workspace
        self.run_model = run_model
        self.query_state = ViewQuery()
        self.view: View | None = None
        self.totals: dict[str, int] = {}
        self.model_state = "model not trained"
        self._search_timer: Timer | None = None
        # A model result that arrived while an export was reading the rows.
        self._waiting_analysis: ModelBar.Trained | None = None

    # -- showing state -------------------------------------------------------

    @property
    def table(self) -> RowTable:
        """The row table."""
        return self.query_one(RowTable)

    def refresh_all(self, *, row_id: int | None = None) -> None:
        """Re-query the view and every count after the state changed."""
        self.totals = self.workspace.filter_counts(ViewQuery())
        # Actions and analyses can bring new labels.
        self.table.fit_labels(self.workspace.labels, n_rows=self.workspace.n_rows)
        self._show_header()
        self.refresh_view(row_id=row_id)

    def refresh_view(self, *, row_id: int | None = None, to_top: bool = False) -> None:
        """Re-run the view query, keeping the cursor on row_id when possible.

        With to_top the cursor goes to the first row instead: after a filter or
        sort change a person reads the new view from its top.
        """
        if row_id is None and not to_top:
            row_id = self.table.cursor_row_id
        self.view = self.workspace.view(self.query_state)
        counts = (
            self.totals
            if self.query_state == ViewQuery(sort=self.query_state.sort)
            else self.workspace.filter_counts(self.query_state)
        )
        self.query_one(FilterSidebar).show(self.query_state, counts)
        self.table.set_view(self.view, row_id=row_id, position=0 if to_top else None)

    def _show_header(self) -> None:
        name = self.workspace.dataset.path.name
        self.query_one(HeaderLine).show(name, self.totals, self.model_state)

    def _show_current_row(self, row_id: int | None) -> None:
        view_height = self.view.height if self.view is not None else 0
        detail = self.workspace.row_detail(row_id) if row_id is not None else None
        self.query_one(Resolver).show(
            row_id, detail, position=self.table.cursor, view_height=view_height
        )

    def _exporting(self) -> bool:
        """Whether an export is reading the rows (then say why nothing changes)."""
        if not self.query_one(ExportRunner).running:
            return False
        self.notify(
            "the export is still reading the rows; try again in a moment",
            timeout=SHORT_NOTICE_SECONDS,
        )
        return True
