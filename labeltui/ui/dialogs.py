"""Small modal dialogs: label picker, sort chooser, export path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, OptionList
from textual.widgets.option_list import Option

from labeltui.ui.safe_text import plain

# A picker row meaning "no label filter" (used by the sidebar's label filters).
ANY_LABEL = "\x00any"


class LabelPicker(ModalScreen[str | None]):
    """Pick one label out of many by typing part of its name.

    Dismisses with the label, with ANY_LABEL when offered and chosen, or with
    None when cancelled.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
        Binding("pagedown", "move(10)", "Page down", show=False),
        Binding("pageup", "move(-10)", "Page up", show=False),
    ]

    def __init__(
        self,
        labels: Sequence[str],
        *,
        title: str,
        offer_any: bool = False,
        likeliest: Sequence[str] = (),
    ) -> None:
        """Create the picker.

        Args:
            labels: Every label, in the order to list them.
            title: What the picked label is for.
            offer_any: Offer "(any label)" first (for filters).
            likeliest: Labels to list first, most likely first (the model's
                likeliest labels for the row), until something is typed.
        """
        super().__init__()
        known = set(labels)
        first = tuple(label for label in likeliest if label in known)
        self.labels = first + tuple(label for label in labels if label not in first)
        self.title_text = title
        self.offer_any = offer_any

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="label-picker"):
            yield Label(self.title_text, classes="dialog-title")
            yield Input(placeholder="type part of a label", id="label-filter")
            yield OptionList(id="label-options")
            yield Label("enter pick · escape cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        self._show_matches("")

    @on(Input.Changed, "#label-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._show_matches(event.value)

    def _show_matches(self, typed: str) -> None:
        needle = typed.strip().lower()
        matches = [label for label in self.labels if needle in label.lower()]
        # Labels that start with what was typed come first.
        matches.sort(key=lambda label: not label.lower().startswith(needle))
        options = [Option(plain(label), id=f"l{i}") for i, label in enumerate(matches)]
        if self.offer_any and not needle:
            options.insert(0, Option(Text("(any label)", style="italic"), id="any"))
        self._matches = matches
        option_list = self.query_one("#label-options", OptionList)
        option_list.set_options(options)
        if options:
            option_list.highlighted = 0

    def action_move(self, delta: int) -> None:
        option_list = self.query_one("#label-options", OptionList)
        if option_list.option_count:
            current = option_list.highlighted or 0
            option_list.highlighted = max(
                0, min(option_list.option_count - 1, current + delta)
            )

    @on(Input.Submitted, "#label-filter")
    def _submit(self) -> None:
        option_list = self.query_one("#label-options", OptionList)
        if option_list.highlighted is not None:
            self._pick(option_list.get_option_at_index(option_list.highlighted))

    @on(OptionList.OptionSelected, "#label-options")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._pick(event.option)

    def _pick(self, option: Option) -> None:
        if option.id == "any":
            self.dismiss(ANY_LABEL)
        elif option.id is not None:
            self.dismiss(self._matches[int(option.id[1:])])

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class SortChoice:
    """A sort the person can pick, with the words shown for it."""

    sort: str
    description: str


SORT_CHOICES = (
    SortChoice("row", "row order (as in the file)"),
    SortChoice("confidence", "confidence, low to high (least sure first)"),
    SortChoice("-confidence", "confidence, high to low (surest first)"),
    SortChoice("label_quality", "label quality, worst first"),
    SortChoice("outlier_score", "outlier score, most atypical first"),
    SortChoice("text", "text, A to Z"),
)


def sort_description(sort: str) -> str:
    """The words shown for a sort key."""
    for choice in SORT_CHOICES:
        if choice.sort == sort:
            return choice.description
    return sort


class SortDialog(ModalScreen[str | None]):
    """Choose the view's sort order; dismisses with a sort key or None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="sort-dialog"):
            yield Label("Sort rows by", classes="dialog-title")
            yield OptionList(
                *(
                    Option(choice.description, id=choice.sort)
                    for choice in SORT_CHOICES
                ),
                id="sort-options",
            )
            yield Label("enter choose · escape cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        option_list.highlighted = option_list.get_option_index(self.current)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class ExportRequest:
    """Where and how to export, as the person filled in the dialog."""

    path: str
    keep_excluded: bool
    excel_safe: bool


class ExportDialog(ModalScreen[ExportRequest | None]):
    """Ask where to write the cleaned dataset."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, default_path: str) -> None:
        super().__init__()
        self.default_path = default_path

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="export-dialog"):
            yield Label("Export the cleaned dataset to", classes="dialog-title")
            yield Input(self.default_path, id="export-path")
            yield Checkbox("keep excluded rows", id="keep-excluded")
            yield Checkbox("Excel-safe CSV (quote formula-like cells)", id="excel-safe")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Export", variant="primary", id="export")
                yield Button("Cancel", id="cancel")

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export")
    def _export(self) -> None:
        path = self.query_one("#export-path", Input).value.strip()
        if not path:
            self.notify("type a file path to export to", severity="warning")
            return
        self.dismiss(
            ExportRequest(
                path=path,
                keep_excluded=self.query_one("#keep-excluded", Checkbox).value,
                excel_safe=self.query_one("#excel-safe", Checkbox).value,
            )
        )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
