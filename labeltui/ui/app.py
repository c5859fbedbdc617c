"""The labeltui Textual application."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static

from labeltui.core.dataset import Dataset


class LabelApp(App[None]):
    """A placeholder screen: the loaded dataset's counts, until the labeling
    screen lands."""

    TITLE = "labeltui"
    BINDINGS = [("ctrl+q", "quit", "Quit")]

    def __init__(self, dataset: Dataset) -> None:
        super().__init__()
        self.dataset = dataset

    def compose(self) -> ComposeResult:
        data = self.dataset
        yield Header()
        yield Static(
            f"{data.path.name}: {data.n_rows:,} rows, {data.n_labeled:,} labeled, "
            f"{data.n_rows - data.n_labeled:,} unlabeled, {len(data.labels)} labels\n"
            f"text column: {data.text_column}   "
            f"label column: {data.label_column or '(none)'}",
            markup=False,
            id="summary",
        )
        yield Footer()
