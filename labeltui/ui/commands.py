"""Command palette entries for the labeling screen: filters, sorts, export,
retrain and help."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from labeltui.ui.dialogs import SORT_CHOICES
from labeltui.ui.panes import FLAG_FILTERS

if TYPE_CHECKING:
    from labeltui.ui.main_screen import MainScreen


class LabelCommands(Provider):
    """Everything the labeling screen can do that is not about the current row."""

    def _commands(self) -> Iterator[tuple[str, Callable[[], object], str]]:
        screen: MainScreen = self.screen  # type: ignore[assignment]
        for flag_filter in FLAG_FILTERS:
            if flag_filter.flag is None:
                yield (
                    "Filter: all rows (clear the flag filters)",
                    partial(screen.toggle_flag, None),
                    "show every row",
                )
            else:
                yield (
                    f"Filter: {flag_filter.name.lower()}",
                    partial(screen.toggle_flag, flag_filter.flag),
                    "turn this filter on or off; filters combine",
                )
        yield (
            "Filter: by given label…",
            partial(screen.pick_label_filter, "given_label"),
            "show rows with one given label",
        )
        yield (
            "Filter: by suggested label…",
            partial(screen.pick_label_filter, "suggested_label"),
            "show rows the model suggests one label for",
        )
        yield ("Search the text…", screen.action_search, "filter rows by their text")
        for choice in SORT_CHOICES:
            yield (
                f"Sort: {choice.description}",
                partial(screen.set_query, sort=choice.sort),
                "change the order of the rows",
            )
        yield ("Export the cleaned dataset…", screen.action_export, "write a file")
        yield (
            "Retrain the model",
            screen.action_retrain,
            "train on the labels as they are now",
        )
        yield ("Help: every key", screen.action_help, "list the keys")

    async def discover(self) -> Hits:
        for text, callback, help_text in self._commands():
            yield DiscoveryHit(text, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, help=help_text)
