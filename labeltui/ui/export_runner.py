"""The export runner: writes the cleaned dataset in a thread worker.

Writing a million rows takes seconds; the screen stays live meanwhile. The
export reads the rows' state from memory while it runs, so the screen refuses
changes to that state until `running` is False again (see MainScreen).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.message import Message
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from labeltui.core.errors import UserError

if TYPE_CHECKING:
    from labeltui.core.workspace import Workspace
    from labeltui.ui.dialogs import ExportRequest

log = logging.getLogger(__name__)


class ExportRunner(Widget):
    """Runs one export at a time; shows nothing itself."""

    class Exported(Message):
        """The export finished: rows were written to path."""

        def __init__(self, path: Path, rows: int) -> None:
            super().__init__()
            self.path = path
            self.rows = rows

    class Failed(Message):
        """The export failed; message is what to tell the person."""

        def __init__(self, path: Path, message: str) -> None:
            super().__init__()
            self.path = path
            self.message = message

    def __init__(self, workspace: Workspace, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.workspace = workspace
        self._path: Path | None = None

    def on_mount(self) -> None:
        self.display = False

    @property
    def running(self) -> bool:
        """Whether an export is writing now."""
        return self._path is not None

    def start(self, request: ExportRequest) -> bool:
        """Start writing the export; False (and nothing done) if one is running."""
        if self.running:
            return False
        self._path = Path(request.path).expanduser()
        self._export(self._path, request.keep_excluded, request.excel_safe)
        return True

    @work(thread=True, exit_on_error=False, group="export", description="export")
    def _export(self, path: Path, keep_excluded: bool, excel_safe: bool) -> int:
        # Imported here: polars' writers are not needed until the first export.
        from labeltui.core.export import export_workspace

        return export_workspace(
            self.workspace, path, keep_excluded=keep_excluded, excel_safe=excel_safe
        )

    @on(Worker.StateChanged)
    def _finished(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "export" or self._path is None:
            return
        path = self._path
        if event.state == WorkerState.SUCCESS:
            self._path = None
            rows = worker.result
            assert isinstance(rows, int)
            self.post_message(self.Exported(path, rows))
        elif event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self._path = None
            error = worker.error
            if isinstance(error, UserError):
                message = str(error)
            else:
                log.error("export to %s failed", path, exc_info=error)
                message = f"export failed: {error or 'cancelled'}"
            self.post_message(self.Failed(path, message))
