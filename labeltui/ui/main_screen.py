"""The labeling screen: layout, keys, export and the model (row actions in
row_actions.py, filters, search and sort in view_controls.py)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input

from labeltui.ui.commands import LabelCommands
from labeltui.ui.dialogs import ExportDialog, ExportRequest
from labeltui.ui.export_runner import ExportRunner
from labeltui.ui.help import HelpScreen, bindings_of, key_sections
from labeltui.ui.model_bar import ModelBar
from labeltui.ui.panes import FilterSidebar, HeaderLine, KeyHints, Resolver
from labeltui.ui.row_actions import RowActions
from labeltui.ui.screen_state import ERROR_NOTICE_SECONDS, NOTES_SECONDS
from labeltui.ui.table import RowTable
from labeltui.ui.view_controls import ViewControls

if TYPE_CHECKING:
    from labeltui.core.analysis import AnalysisResult

log = logging.getLogger(__name__)

# Below this terminal width the sidebar is hidden until `f` shows it, so that
# the table keeps a readable text column and readable labels (at 120 columns
# its 30 cells would cut Banking77's labels to 11 cells).
NARROW_SCREEN = 140

# Below this terminal height the resolver gives up lines to the table.
SHORT_SCREEN = 30

# The keys that apply the 1st to 9th likeliest label.
DIGITS = "123456789"


class MainScreen(RowActions, ViewControls):
    """Resolve rows one at a time with single keys; everything saves at once."""

    COMMANDS: ClassVar = {LabelCommands}

    BINDINGS: ClassVar[list[BindingType]] = [
        # Help first: the footer shows keys in this order and cuts at the edge.
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("w", "auto_fix", "Auto-fix", tooltip="apply the suggested label"),
        Binding("q", "keep", "Keep", tooltip="keep the given label"),
        Binding("e", "exclude", "Exclude", tooltip="leave the row out of the data"),
        Binding("n", "toggle_review", "Review", tooltip="toggle the needs_review tag"),
        *(
            Binding(
                digit,
                f"apply_top({digit})",
                "Top labels" if digit == "1" else f"Likeliest label {digit}",
                show=digit == "1",
                key_display="1-9" if digit == "1" else None,
            )
            for digit in DIGITS
        ),
        Binding("l", "pick_label", "Label", tooltip="pick any label by typing"),
        Binding("u", "undo", "Undo"),
        Binding("ctrl+r", "redo", "Redo", show=False),
        # Priority: the app runs it as it reads the key, before the keys that
        # follow are routed, so a burst ("/card", a paste) lands in the box.
        Binding("slash", "search", "Search", tooltip="search the text", priority=True),
        Binding("f", "focus_filters", "Filters"),
        Binding("s", "sort", "Sort"),
        Binding("x", "export", "Export"),
        Binding("r", "retrain", "Retrain", tooltip="train the model again now"),
        Binding("escape", "back", "Back to the table", show=False),
    ]

    # -- layout --------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield HeaderLine(id="header-line")
        yield ModelBar(id="model-bar")
        with Horizontal(id="body"):
            yield FilterSidebar(id="sidebar")
            with Vertical(id="main"):
                yield Input(placeholder="search the text (enter: done)", id="search")
                yield RowTable(on_cursor=self._show_current_row, id="table")
                yield Resolver(id="resolver")
        yield KeyHints(id="key-hints")
        yield ExportRunner(self.workspace, id="export-runner")

    def on_mount(self) -> None:
        self.query_one("#search").display = False
        self._apply_screen_size()
        self.query_one(KeyHints).show_bindings(
            [*bindings_of(self), *bindings_of(self.app)]
        )
        self.refresh_all()
        self.query_one(RowTable).focus()
        if self.workspace.notice:
            self.notify(self.workspace.notice, timeout=NOTES_SECONDS, markup=False)
        if self.workspace.analysis is not None and self.workspace.analysis_is_current():
            self.model_state = self._describe_analysis(self.workspace.analysis)
            self._show_header()
        elif self.run_model:
            # Start after the first paint so the table shows before the model
            # stack loads.
            self.call_after_refresh(self.action_retrain)
        else:
            self.model_state = (
                "model out of date (r: retrain)"
                if self.workspace.analysis is not None
                else "model off (r: train)"
            )
            self._show_header()

    def on_resize(self) -> None:
        self._apply_screen_size()

    def _apply_screen_size(self) -> None:
        width, height = self.app.size
        self.set_class(width < NARROW_SCREEN, "narrow")
        self.set_class(height < SHORT_SCREEN, "short")

    # -- export --------------------------------------------------------------

    def default_export_path(self) -> Path:
        """DATA.cleaned with the data's suffix, as `labeltui export` writes."""
        data = self.workspace.dataset.path
        return data.with_name(f"{data.stem}.cleaned{data.suffix}")

    def action_export(self) -> None:
        """Ask for a path and write the cleaned dataset there."""
        self.app.push_screen(
            ExportDialog(str(self.default_export_path())), self._export
        )

    def _export(self, request: ExportRequest | None) -> None:
        if request is None:
            return
        if not self.query_one(ExportRunner).start(request):
            self.notify("an export is already being written; try again after it")
            return
        self.notify(f"exporting to {request.path}…", markup=False)

    @on(ExportRunner.Exported)
    def _exported(self, event: ExportRunner.Exported) -> None:
        self.notify(f"exported {event.rows:,} rows to {event.path}", markup=False)
        self._use_waiting_analysis()

    @on(ExportRunner.Failed)
    def _export_failed(self, event: ExportRunner.Failed) -> None:
        self.notify(
            event.message,
            severity="error",
            markup=False,
            timeout=ERROR_NOTICE_SECONDS,
        )
        self._use_waiting_analysis()

    def _use_waiting_analysis(self) -> None:
        if self._waiting_analysis is not None:
            trained, self._waiting_analysis = self._waiting_analysis, None
            self._model_trained(trained)

    # -- the model -----------------------------------------------------------

    def action_retrain(self) -> None:
        """Train the model on the current labels (cancelling a run in progress)."""
        self.model_state = "model training…"
        self._show_header()
        self.query_one(ModelBar).start(
            self.workspace.dataset.texts,
            self.workspace.training_labels(),
            store=self.workspace.store_analysis,
        )

    def stop_model(self) -> None:
        """Ask a running model to stop (on quit)."""
        self.query_one(ModelBar).stop()

    @on(ModelBar.Trained)
    def _model_trained(self, event: ModelBar.Trained) -> None:
        if self.query_one(ExportRunner).running:
            # The export reads the suggestions too: swap them in after it.
            self._waiting_analysis = event
            return
        # The worker already stored it in the project; only the swap is left.
        self.workspace.use_analysis(event.result)
        self.model_state = self._describe_analysis(event.result)
        self.refresh_all()
        if event.store_error is not None:
            self.notify(
                f"the model's results are shown but not saved: {event.store_error}",
                severity="warning",
                markup=False,
                timeout=ERROR_NOTICE_SECONDS,
            )
        if event.result.notes:
            # One notification for all the notes: several toasts would cover
            # the table of a small terminal.
            self.notify(
                "\n".join(f"• {note}" for note in event.result.notes),
                title="model notes",
                timeout=NOTES_SECONDS,
                markup=False,
            )

    @on(ModelBar.Failed)
    def _model_failed(self, event: ModelBar.Failed) -> None:
        self.model_state = "model failed (r: retry)"
        self._show_header()
        self.notify(
            f"the model failed: {event.error}",
            severity="error",
            markup=False,
            timeout=ERROR_NOTICE_SECONDS,
        )

    @staticmethod
    def _describe_analysis(result: AnalysisResult) -> str:
        if result.top_classes.shape[1] == 0:
            return "model: no suggestions (see notes)"
        if result.cv_accuracy is None:
            return f"model ready ({result.seconds:.0f} s)"
        return f"model ready, cv {result.cv_accuracy:.0%}"

    # -- help ----------------------------------------------------------------

    def action_help(self) -> None:
        """Show every key, from the bindings."""
        self.app.push_screen(
            HelpScreen(key_sections(screen=self, table=self.table, app=self.app))
        )
