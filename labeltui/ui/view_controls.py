"""Choosing the view: flag and label filters, text search and sort."""

from __future__ import annotations

import dataclasses
from typing import Any

from textual import events, on
from textual.widgets import Input, OptionList

from labeltui.ui.dialogs import ANY_LABEL, LabelPicker, SortDialog, sort_description
from labeltui.ui.panes import (
    GIVEN_OPTION,
    SEARCH_OPTION,
    SORT_OPTION,
    SUGGESTED_OPTION,
    FilterSidebar,
)
from labeltui.ui.screen_state import SHORT_NOTICE_SECONDS, RowsScreen

# Wait this long after the last keystroke in the search box before filtering:
# long enough to skip the keystrokes of a word typed quickly, short enough to
# feel live.
SEARCH_DEBOUNCE_SECONDS = 0.25


class ViewControls(RowsScreen):
    """The labeling screen's filters, search box and sort."""

    # -- filters, search, sort -----------------------------------------------

    def set_query(self, **changes: Any) -> None:
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
