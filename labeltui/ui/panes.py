"""The header line, the filter sidebar and the resolver pane."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual.binding import Binding
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from labeltui.ui.help import key_names
from labeltui.ui.safe_text import plain, visible

if TYPE_CHECKING:
    from labeltui.core.workspace import ViewQuery


@dataclass(frozen=True)
class FlagFilter:
    """A filter in the sidebar: the words shown and the workspace flag it adds."""

    name: str
    flag: str | None  # None: "All", which clears every flag


FLAG_FILTERS = (
    FlagFilter("All", None),
    FlagFilter("Unlabeled", "unlabeled"),
    FlagFilter("Labeled", "labeled"),
    FlagFilter("Label issues", "label_issue"),
    FlagFilter("Outliers", "outlier"),
    FlagFilter("Near duplicates", "near_duplicate"),
    FlagFilter("Ambiguous", "ambiguous"),
    FlagFilter("Needs review", "needs_review"),
    FlagFilter("Unresolved", "unresolved"),
    FlagFilter("Resolved", "resolved"),
)

# Short names of the sorts, for the sidebar (the sort dialog says more).
SORT_NAMES = {
    "row": "row",
    "confidence": "confidence ↑",
    "-confidence": "confidence ↓",
    "label_quality": "label quality ↑",
    "outlier_score": "outlier score ↑",
    "text": "text A-Z",
}

# Option ids of the sidebar rows that are not flags.
GIVEN_OPTION = "given"
SUGGESTED_OPTION = "suggested"
SEARCH_OPTION = "search"
SORT_OPTION = "sort"

# Cells for a filter's name and for its count in the sidebar (fits 1,000,000).
NAME_CELLS = 16
COUNT_CELLS = 9


def flag_option_id(flag: str | None) -> str:
    """The sidebar option id of a flag filter."""
    return f"flag:{flag or 'all'}"


class FilterSidebar(OptionList):
    """Flag filters with live counts, then the label filters, search and sort.

    Enter (or a click) on a row posts OptionList.OptionSelected; the screen
    decides what it does.
    """

    def __init__(self, *, id: str | None = None) -> None:
        options: list[Option | None] = [
            Option(f.name, id=flag_option_id(f.flag)) for f in FLAG_FILTERS
        ]
        options.append(None)
        options += [
            Option("given: any", id=GIVEN_OPTION),
            Option("suggested: any", id=SUGGESTED_OPTION),
            Option("search: none", id=SEARCH_OPTION),
            Option("sort: row", id=SORT_OPTION),
        ]
        super().__init__(*options, id=id)

    def show(self, query: ViewQuery, counts: Mapping[str, int]) -> None:
        """Show which filters are on and how many rows each would give."""
        for flag_filter in FLAG_FILTERS:
            active = (
                not query.flags
                if flag_filter.flag is None
                else flag_filter.flag in query.flags
            )
            key = flag_filter.flag or "all"
            prompt = Text("● " if active else "  ", style="bold" if active else "")
            prompt.append(set_cell_size(flag_filter.name, NAME_CELLS))
            prompt.append(f"{counts.get(key, 0):>{COUNT_CELLS},}", style="dim")
            self.replace_option_prompt(flag_option_id(flag_filter.flag), prompt)

        self.replace_option_prompt(
            GIVEN_OPTION, _setting("given", query.given_label, "any")
        )
        self.replace_option_prompt(
            SUGGESTED_OPTION, _setting("suggested", query.suggested_label, "any")
        )
        self.replace_option_prompt(
            SEARCH_OPTION,
            _setting("search", f'"{query.search}"' if query.search else None, "none"),
        )
        self.replace_option_prompt(
            SORT_OPTION, _setting("sort", SORT_NAMES.get(query.sort, query.sort), "")
        )


def _setting(name: str, value: str | None, default: str) -> Text:
    text = Text(f"  {name}: ")
    if value is None:
        text.append(default, style="dim")
    else:
        text.append_text(plain(value, "bold"))
    return text


# Between the parts of the header line.
HEADER_SEPARATOR = " · "

# The header's parts from the first to drop to the last, when the line is too
# narrow for all of them: the file name is on the terminal's title already and
# the label count matters least once labeling has started; the model's state
# and the resolved and issue counts say what to do next.
HEADER_DROP_ORDER = ("name", "labeled", "rows", "issues", "resolved", "model")


class HeaderLine(Static):
    """One line, never wrapped: data file, counts and the model's state.

    Parts are dropped in HEADER_DROP_ORDER until the rest fits the width.
    """

    _shown: tuple[str, Mapping[str, int], str] | None = None

    def on_resize(self) -> None:
        if self._shown is not None:
            self.show(*self._shown)

    def show(self, name: str, counts: Mapping[str, int], model_state: str) -> None:
        """Redraw from the whole-dataset counts and a short model state.

        Args:
            name: The data file's name.
            counts: Whole-dataset counts: "all" and the flags.
            model_state: What the model is doing, including the word "model".
        """
        self._shown = (name, counts, model_state)
        parts = {
            "name": plain(name, "bold"),
            "rows": _count(counts.get("all", 0), "rows"),
            "labeled": _count(counts.get("labeled", 0), "labeled"),
            "resolved": _count(counts.get("resolved", 0), "resolved"),
            "issues": _count(counts.get("label_issue", 0), "issues"),
            "model": plain(model_state, "italic"),
        }
        width = self.content_size.width
        for dropped in HEADER_DROP_ORDER:
            if not width or _joined_length(parts.values()) <= width:
                break
            if len(parts) > 1:
                del parts[dropped]

        line = Text(no_wrap=True, overflow="ellipsis", end="")
        line.append_text(Text(HEADER_SEPARATOR).join(parts.values()))
        if width:
            line.truncate(width, overflow="ellipsis")
        # The line never wraps, so its height never changes: no layout pass.
        self.update(line, layout=False)


def _count(value: int, noun: str) -> Text:
    text = Text(f"{value:,}", style="bold")
    text.append(f" {noun}")
    return text


def _joined_length(parts: Iterable[Text]) -> int:
    texts = list(parts)
    return sum(text.cell_len for text in texts) + len(HEADER_SEPARATOR) * (
        len(texts) - 1
    )


# The resolver shows at most this many characters of a row's text: wrapping a
# 10 MB cell took seconds per cursor move.
RESOLVER_TEXT_CHARS = 5_000

# Lines of the resolver that are not the text: the row line, the given label
# and suggestion, and up to three lines of likeliest labels. The text gets the
# rest, so a long text never pushes the labels out of sight.
RESOLVER_OTHER_LINES = 5

# Flags worth listing in the resolver, as the sidebar names them.
FINDINGS = frozenset({"label_issue", "outlier", "near_duplicate", "ambiguous"})

# The resolver lists the likeliest labels three to a line (two below this
# width), so the nine take three lines at most sizes.
THREE_PER_LINE_WIDTH = 72


class Resolver(Static):
    """The current row in full: text, given label, suggestion, the likeliest
    labels with the digit that applies each, and what was done to it."""

    _shown: tuple[int | None, Any, int, int] | None = None

    def on_resize(self) -> None:
        # The likeliest labels are laid out for the width: redo them.
        if self._shown is not None:
            row_id, detail, position, view_height = self._shown
            self.show(row_id, detail, position=position, view_height=view_height)

    def show(
        self,
        row_id: int | None,
        detail: Any | None,
        *,
        position: int,
        view_height: int,
    ) -> None:
        """Show a row's detail (a workspace RowDetail), or an empty state."""
        self._shown = (row_id, detail, position, view_height)
        if row_id is None or detail is None:
            self.update(Text("no row: change the filters to see rows", style="dim"))
            return
        width = self.content_size.width
        body = Text()
        body.append(f"row {row_id}", style="bold")
        body.append(f"  ·  {position + 1:,} of {view_height:,} in view", style="dim")
        shown, hidden = _clip(
            detail.text, width, self.content_size.height - RESOLVER_OTHER_LINES
        )
        if hidden:
            body.append(f"  ·  {hidden:,} more characters", style="dim")
        body.append(f"  ·  {_outcome(detail)}\n")
        body.append_text(plain(shown, keep_newlines=True))
        if hidden:
            body.append("…", style="dim")
        body.append("\ngiven: ")
        if detail.given_label is None:
            body.append("- (unlabeled)", style="dim")
        else:
            body.append_text(plain(detail.given_label, "bold"))
        body.append("   suggestion: ")
        if detail.suggestion is None:
            body.append("none yet", style="dim")
        else:
            body.append_text(plain(detail.suggestion, "bold"))
            body.append(f" {_percent(detail.confidence)}")
        # Labeled and resolved are already said above; list only the findings.
        flags = sorted(detail.flags & FINDINGS)
        if flags:
            body.append("   flags: " + ", ".join(flags), style="italic")
        body.append("\n")
        body.append_text(_top_labels(detail.top_labels, width))
        # The pane has a fixed height, so new content never changes the layout.
        self.update(body, layout=False)


def _clip(text: str, width: int, lines: int) -> tuple[str, int]:
    """The start of text that fits in about `lines` lines, and how much is left.

    Before the first layout the pane has no size; then only the hard cap holds.
    """
    limit = RESOLVER_TEXT_CHARS
    if width > 0 and lines > 0:
        limit = min(limit, width * lines)
    shown = text[:limit]
    if lines > 0:
        cut = -1
        for _ in range(lines):
            cut = shown.find("\n", cut + 1)
            if cut < 0:
                break
        if cut >= 0:
            shown = shown[:cut]
    return shown, len(text) - len(shown)


def _outcome(detail: Any) -> str:
    action = detail.action
    tags = f"  ·  tags: {visible(', '.join(detail.tags))}" if detail.tags else ""
    if action in (None, "none"):
        return "unresolved" + tags
    if action == "exclude":
        return "excluded" + tags
    return f"{action.replace('_', '-')}: {visible(detail.final_label)}" + tags


def _top_labels(top: tuple[tuple[str, float], ...], width: int) -> Text:
    """The likeliest labels in as many columns as fit, digit first."""
    text = Text()
    if not top:
        text.append("likeliest labels appear when the model has run", style="dim")
        return text
    per_line = 3 if width >= THREE_PER_LINE_WIDTH else 2
    entry_cells = max(16, width // per_line)
    name_cells = entry_cells - 10  # "1 " + " " + name + " 100%" + "  "
    for index, (label, probability) in enumerate(top[:9]):
        if index and index % per_line == 0:
            text.append("\n")
        text.append(f"{index + 1} ", style="bold reverse")
        name = visible(label)
        if cell_len(name) > name_cells:
            name = set_cell_size(name, name_cells - 1) + "…"
        text.append(" " + set_cell_size(name, name_cells))
        text.append(f"{_percent(probability):>5}  ", style="dim")
    return text


# Below half a percent a probability shows as "<1%" rather than "0%".
SMALLEST_PERCENT = 0.005


def _percent(probability: float) -> str:
    return "<1%" if probability < SMALLEST_PERCENT else f"{probability:.0%}"


class KeyHints(Static):
    """The footer: one line of key hints from the bindings marked `show`.

    Textual's Footer builds a widget per key and rebuilds them on every focus
    change, which cost about 0.2 s of the first paint; one line of text is
    enough for a keyboard-first screen.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"key-hints--key"}

    DEFAULT_CSS = """
    KeyHints > .key-hints--key { color: $text-accent; text-style: bold; }
    """

    def show_bindings(self, bindings: Iterable[Binding]) -> None:
        """Draw the hints for these bindings, in order."""
        key_style = self.get_component_rich_style("key-hints--key")
        line = Text(no_wrap=True, overflow="crop")
        for binding in bindings:
            if binding.show:
                key = binding.key_display or key_names(binding.key)
                line.append(f" {key}", style=key_style)
                line.append(f" {binding.description} ")
        self.update(line)
