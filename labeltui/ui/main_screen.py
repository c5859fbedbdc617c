"""The labeling screen: header, filters, the row table, the resolver, keys."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, OptionList

from labeltui.core.errors import UserError
from labeltui.core.workspace import NEEDS_REVIEW, Action, ViewQuery
from labeltui.ui.commands import LabelCommands
from labeltui.ui.dialogs import (
    ANY_LABEL,
    ExportDialog,
    ExportRequest,
    LabelPicker,
    SortDialog,
    sort_description,
)
from labeltui.ui.export_runner import ExportRunner
from labeltui.ui.help import HelpScreen, bindings_of, key_sections
from labeltui.ui.model_bar import ModelBar
from labeltui.ui.panes import (
    GIVEN_OPTION,
    SEARCH_OPTION,
    SORT_OPTION,
    SUGGESTED_OPTION,
    FilterSidebar,
    HeaderLine,
    KeyHints,
    Resolver,
)
from labeltui.ui.table import RowTable

if TYPE_CHECKING:
    from labeltui.core.analysis import AnalysisResult
    from labeltui.core.workspace import View, Workspace

log = logging.getLogger(__name__)

# Below this terminal width the sidebar is hidden until `f` shows it, so that
# the table keeps a readable text column and readable labels (at 120 columns
# its 30 cells would cut Banking77's labels to 11 cells).
NARROW_SCREEN = 140

# Long enough to read two or three notes about the model or the project.
NOTES_SECONDS = 8

# Unexpected failures stay up long enough to be read and acted on.
ERROR_NOTICE_SECONDS = 15

# Confirmations (undone, sorted) need only a glance.
SHORT_NOTICE_SECONDS = 2

# Below this terminal height the resolver gives up lines to the table.
SHORT_SCREEN = 30

# Wait this long after the last keystroke in the search box before filtering:
# long enough to skip the keystrokes of a word typed quickly, short enough to
# feel live.
SEARCH_DEBOUNCE_SECONDS = 0.25

# The keys that apply the 1st to 9th likeliest label.
DIGITS = "123456789"


class MainScreen(Screen[None]):
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

    # -- filters, search, sort -----------------------------------------------

    def set_query(self, **changes: object) -> None:
        """Change the view query and show the new view."""
        self.query_state = dataclasses.replace(self.query_state, **changes)
        self.refresh_view(to_top=True)

    def toggle_flag(self, flag: str | None) -> None:
        """Turn a flag filter on or off; None (All) clears every flag."""
        if flag is None:
            self.set_query(flags=frozenset())
        else:
            self.set_query(flags=self.query_state.flags ^ {flag})

    @on(OptionList.OptionSelected, "#sidebar")
    def _sidebar_selected(self, event: OptionList.OptionSelected) -> None:
        option_id = event.option.id or ""
        if option_id.startswith("flag:"):
            flag = option_id.removeprefix("flag:")
            self.toggle_flag(None if flag == "all" else flag)
        elif option_id == GIVEN_OPTION:
            self.pick_label_filter("given_label")
        elif option_id == SUGGESTED_OPTION:
            self.pick_label_filter("suggested_label")
        elif option_id == SEARCH_OPTION:
            self.action_search()
        elif option_id == SORT_OPTION:
            self.action_sort()

    def pick_label_filter(self, field: str) -> None:
        """Choose the given or suggested label the view must have."""

        def picked(label: str | None) -> None:
            if label is not None:
                self.set_query(**{field: None if label == ANY_LABEL else label})

        title = f"Show rows whose {field.split('_')[0]} label is"
        self.app.push_screen(
            LabelPicker(self.workspace.labels, title=title, offer_any=True), picked
        )

    def action_focus_filters(self) -> None:
        """Show (on a narrow screen) and focus the filter sidebar."""
        self.add_class("show-filters")
        # set_focus acts at once, unlike focus(), which waits for the keys
        # already queued: "f" then a quick "down" must move in the filters.
        self.set_focus(self.query_one(FilterSidebar))

    def action_back(self) -> None:
        """Return to the table from the filters or the search box."""
        self.remove_class("show-filters")
        search = self.query_one("#search", Input)
        if search.has_focus and not search.value:
            search.display = False
        self.set_focus(self.table)

    def action_search(self) -> None:
        """Open the search box; typing filters the view."""
        search = self.query_one("#search", Input)
        if self.focused is search:
            # The binding has priority over the box, but a "/" typed in it is
            # text: queue it behind the keys the box has still to handle.
            search.post_message(events.Key("slash", "/"))
            return
        search.display = True
        self.set_focus(search)

    @on(Input.Changed, "#search")
    def _search_typed(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        value = event.value
        self._search_timer = self.set_timer(
            SEARCH_DEBOUNCE_SECONDS, lambda: self._apply_search(value)
        )

    @on(Input.Submitted, "#search")
    def _search_done(self, event: Input.Submitted) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._apply_search(event.value)
        if not event.value:
            event.input.display = False
        self.table.focus()

    def _apply_search(self, value: str) -> None:
        if value != self.query_state.search:
            self.set_query(search=value)

    def action_sort(self) -> None:
        """Choose the sort order."""

        def picked(sort: str | None) -> None:
            if sort is not None:
                self.set_query(sort=sort)
                self.notify(
                    f"sorted by {sort_description(sort)}", timeout=SHORT_NOTICE_SECONDS
                )

        self.app.push_screen(SortDialog(self.query_state.sort), picked)

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

    def _exporting(self) -> bool:
        """Whether an export is reading the rows (then say why nothing changes)."""
        if not self.query_one(ExportRunner).running:
            return False
        self.notify(
            "the export is still reading the rows; try again in a moment",
            timeout=SHORT_NOTICE_SECONDS,
        )
        return True

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
