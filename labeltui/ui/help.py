"""The help screen: every key, generated from the bindings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Label, Static

KeySection = tuple[str, Sequence[tuple[str, str]]]

# Below this terminal width the help is one column (scrolling) rather than two
# columns whose descriptions would wrap.
TWO_COLUMNS_WIDTH = 110

# The sidebar is an OptionList: its keys are Textual's, described here in the
# words of this screen for the help.
SIDEBAR_KEYS = [
    ("up/down", "choose a filter"),
    ("enter", "turn it on or off; filters combine"),
    ("esc", "back to the table"),
]

# How the help screen spells keys whose Textual names are not what a person types.
KEY_NAMES = {
    "question_mark": "?",
    "slash": "/",
    "pageup": "pgup",
    "pagedown": "pgdn",
    "escape": "esc",
}


def key_names(keys: str) -> str:
    """The keys of a binding ("up,k") as a person reads them ("up/k")."""
    return "/".join(KEY_NAMES.get(key, key) for key in keys.split(","))


def key_sections(*, screen: DOMNode, table: DOMNode, app: DOMNode) -> list[KeySection]:
    """The keys of the labeling screen, its table and the app, in sections."""
    sections: list[KeySection] = []
    for title, node in (
        ("Resolve the current row", screen),
        ("Move", table),
        ("Everywhere", app),
    ):
        rows: list[tuple[str, str]] = []
        for binding in bindings_of(node):
            if binding.action.startswith("apply_top("):
                # One line for the nine digit keys.
                if binding.key == "1":
                    rows.append(("1-9", "apply the 1st to 9th likeliest label"))
                continue
            key = binding.key_display or key_names(binding.key)
            description = binding.description
            if binding.tooltip:
                description = f"{description}: {binding.tooltip}"
            rows.append((key, description))
        sections.append((title, rows))
    sections.insert(2, ("In the filter sidebar (f)", SIDEBAR_KEYS))
    return sections


def bindings_of(node: DOMNode) -> list[Binding]:
    """The bindings a class declares, as written (keys like "up,k" together)."""
    found: list[Binding] = []
    for item in getattr(node, "BINDINGS", []):
        found.append(item if isinstance(item, Binding) else Binding(*item))
    return found


class HelpScreen(ModalScreen[None]):
    """Every key of the labeling screen, generated from the bindings."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close"),
    ]

    def __init__(self, sections: Sequence[KeySection]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        # The first section (the resolving keys) on the left, the rest on the
        # right, so that every key fits on a 40-line screen.
        with Vertical(classes="dialog", id="help-dialog"):
            yield Label(
                "Keys  (escape closes; up/down scroll; every action is saved at once)",
                classes="dialog-title",
            )
            with VerticalScroll():
                if self.app.size.width < TWO_COLUMNS_WIDTH:
                    yield Static(_key_table(self.sections))
                else:
                    with Horizontal(id="help-columns"):
                        yield Static(
                            _key_table(self.sections[:1]), classes="help-column"
                        )
                        yield Static(
                            _key_table(self.sections[1:]), classes="help-column"
                        )

    def action_close(self) -> None:
        self.dismiss(None)


def _key_table(sections: Sequence[KeySection]) -> Text:
    body = Text()
    for title, rows in sections:
        body.append(f"{title}\n", style="bold underline")
        key_width = max((len(key) for key, _ in rows), default=0) + 2
        for key, description in rows:
            body.append(f"  {key:<{key_width}}", style="bold")
            body.append(f"{description}\n")
        body.append("\n")
    body.rstrip()
    return body
