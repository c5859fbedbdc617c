"""A table that renders only the rows on screen from a workspace view.

Textual's DataTable holds a Python object per cell, which does not scale to a
million rows. This widget keeps nothing per row: it asks the view for the slice
of rows that fits on screen (`View.window`) and turns each into one line of
segments with fixed column widths. Moving the cursor refreshes at most the two
lines that changed, unless the window has to scroll.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from labeltui.ui.table_columns import (
    MIN_LABEL_WIDTH,
    NO_MARK,
    Column,
    cell_text,
    fit,
    layout_columns,
    wanted_label_width,
)

if TYPE_CHECKING:
    from labeltui.core.workspace import View

# Rows are fetched from the view in blocks of this many screenfuls around the
# visible part, so that moving line by line or page by page fetches once every
# few screens: at 1,000,000 rows a fetch of 40 rows costs about 3 ms and one of
# 200 rows about 8 ms.
FETCH_SCREENS = 5

# Mouse wheel: rows per notch, like a text editor's default.
WHEEL_ROWS = 3


class RowTable(Widget, can_focus=True):
    """The rows of a view, one line each, with a cursor.

    The cursor is a position in the view; `cursor_row_id` is the row under it.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First row", show=False),
        Binding("end", "jump(-1)", "Last row", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "row-table--header",
        "row-table--cursor",
        "row-table--resolved",
        "row-table--excluded",
        "row-table--mark",
        "row-table--empty",
    }

    DEFAULT_CSS = """
    RowTable {
        height: 1fr;
        width: 1fr;
    }
    RowTable > .row-table--header { text-style: bold; color: $text-accent; }
    RowTable > .row-table--cursor { background: $block-cursor-blurred-background; }
    RowTable:focus > .row-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    RowTable > .row-table--resolved { color: $text-muted; }
    RowTable > .row-table--excluded { color: $text-disabled; text-style: strike; }
    RowTable > .row-table--mark { color: $text-warning; text-style: bold; }
    RowTable > .row-table--empty { color: $text-muted; text-style: italic; }
    """

    def __init__(
        self,
        *,
        on_cursor: Callable[[int | None], None] | None = None,
        id: str | None = None,
    ) -> None:
        """Create the table.

        Args:
            on_cursor: Called with the row id under the cursor (None when the
                view is empty) whenever it may have changed. A direct call
                rather than a message, so that the row's detail is drawn in the
                same screen update as the cursor (one frame per key, not two).
            id: The widget id.
        """
        super().__init__(id=id)
        self.on_cursor = on_cursor
        self.view: View | None = None
        self.cursor = 0
        self.top = 0
        self._block_start = 0
        self._block_rows: list[dict[str, Any]] | None = None
        self._lines: dict[tuple[int, bool], Strip] = {}
        self._columns_width = -1
        self._label_width = MIN_LABEL_WIDTH
        self._row_width = len("row")
        self._columns: tuple[Column, ...] = ()
        self._styles: dict[str, Style] = {}
        self._base_style = Style()
        self._styles_key: tuple[bool, str] | None = None

    # -- what other widgets use -------------------------------------------

    @property
    def height_in_rows(self) -> int:
        """How many rows fit below the column titles."""
        return max(1, self.size.height - 1)

    @property
    def cursor_row_id(self) -> int | None:
        """The row id under the cursor, None when the view is empty."""
        if self.view is None or self.view.height == 0:
            return None
        return int(self.view.row_ids[self.cursor])

    def row_id_at(self, position: int) -> int | None:
        """The row id at a view position, None past either end."""
        if self.view is None or not 0 <= position < self.view.height:
            return None
        return int(self.view.row_ids[position])

    def fit_labels(self, labels: Iterable[str], *, n_rows: int) -> None:
        """Size the label columns for these labels and the row ids for n_rows."""
        label_width = wanted_label_width(labels)
        row_width = max(len("row"), len(str(max(n_rows - 1, 0))))
        if (label_width, row_width) != (self._label_width, self._row_width):
            self._label_width, self._row_width = label_width, row_width
            self._columns_width = -1  # lay the columns out again
            self.refresh()

    def set_view(
        self, view: View, *, row_id: int | None = None, position: int | None = None
    ) -> None:
        """Show a new view with the cursor on row_id when it is in the view,
        else at position, else where it was (clamped to the view)."""
        self.view = view
        self._forget_rows()
        found = view.position_of(row_id) if row_id is not None else None
        if found is None:
            found = self.cursor if position is None else position
        self._place_cursor(found)
        self.refresh()
        self._cursor_changed()

    def move_to(self, position: int) -> None:
        """Put the cursor on a view position (clamped), scrolling if needed."""
        if self.view is None:
            return
        old_cursor, old_top = self.cursor, self.top
        self._place_cursor(position)
        if self.cursor == old_cursor:
            return
        if self.top != old_top:
            self.refresh()
            self.call_after_refresh(self._prefetch)
        else:
            self._refresh_row(old_cursor)
            self._refresh_row(self.cursor)
        self._cursor_changed()

    def _cursor_changed(self) -> None:
        if self.on_cursor is not None:
            self.on_cursor(self.cursor_row_id)

    # -- keys and mouse ------------------------------------------------------

    def action_move(self, delta: int) -> None:
        """Move the cursor up or down by delta rows."""
        self.move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        """Move the cursor by one screenful, keeping its place on screen."""
        if self.view is None:
            return
        page = self.height_in_rows
        offset = self.cursor - self.top
        target = self.cursor + direction * page
        self.top = self._clamp_top(self.top + direction * page)
        self._place_cursor(target, keep_offset=offset)
        self.refresh()
        self._cursor_changed()
        self.call_after_refresh(self._prefetch)

    def action_jump(self, position: int) -> None:
        """Go to a position; -1 means the last row."""
        if self.view is not None:
            self.move_to(self.view.height - 1 if position < 0 else position)

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self.move_to(self.top + event.y - 1)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self.move_to(self.cursor + WHEEL_ROWS)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self.move_to(self.cursor - WHEEL_ROWS)

    def on_resize(self) -> None:
        self._place_cursor(self.cursor)

    # -- rendering -----------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        # Looking the styles up costs more than drawing the lines: do it again
        # only when focus or the theme changed.
        key = (self.has_focus, self.app.theme)
        if key != self._styles_key:
            self._styles = {
                name: self.get_component_rich_style(name)
                for name in self.COMPONENT_CLASSES
            }
            self._base_style = self.rich_style
            self._styles_key = key
            self._lines.clear()
        return super().render_lines(crop)

    def _forget_rows(self) -> None:
        """Drop fetched rows and drawn lines: the view or its rows changed."""
        self._block_rows = None
        self._lines.clear()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        columns = self._columns_for(width)
        if y == 0:
            return self._line(
                [(fit(c.title, c.width, right=c.right), None) for c in columns],
                self._styles["row-table--header"],
                width,
            )
        if self.view is None or self.view.height == 0:
            if y == 1:
                message = "loading…" if self.view is None else "no rows match"
                style = self._styles["row-table--empty"]
                return self._line([(" " + message, None)], style, width)
            return Strip.blank(width, self._base_style)

        position = self.top + y - 1
        if position >= self.view.height:
            return Strip.blank(width, self._base_style)
        key = (position, position == self.cursor)
        line = self._lines.get(key)
        if line is None:
            line = self._row_line(self._row_at(position), key[1], columns, width)
            self._lines[key] = line
        return line

    def _row_line(
        self,
        row: dict[str, Any],
        is_cursor: bool,
        columns: tuple[Column, ...],
        width: int,
    ) -> Strip:
        style = self._base_style
        if row["action"] == "exclude":
            style += self._styles["row-table--excluded"]
        elif row["action"] not in (None, "none"):
            style += self._styles["row-table--resolved"]
        if is_cursor:
            style += self._styles["row-table--cursor"]
        mark_style = self._styles["row-table--mark"]

        cells: list[tuple[str, Style | None]] = []
        for column in columns:
            text = fit(cell_text(row, column.key), column.width, right=column.right)
            marked = column.key == "marks" and text.strip(NO_MARK + " ")
            cells.append((text, mark_style if marked else None))
        return self._line(cells, style, width)

    def _line(
        self, cells: list[tuple[str, Style | None]], style: Style, width: int
    ) -> Strip:
        # Cells of one style are joined into one segment: the terminal then
        # gets one colour change per run instead of one per cell, which cuts
        # what a full-screen update writes several times over. Every cell is
        # already exactly its column's width, so the length needs no measuring.
        segments: list[Segment] = []
        run: list[str] = []
        run_style = style
        length = 0
        for index, (text, extra) in enumerate(cells):
            cell_style = style + extra if extra else style
            if cell_style != run_style and run:
                segments.append(Segment("".join(run), run_style))
                run = []
            run_style = cell_style
            run.append(" " + text if index else text)
            length += cell_len(text) + (1 if index else 0)
        if length < width:
            run.append(" " * (width - length))
        segments.append(Segment("".join(run), run_style))
        if length < width:
            return Strip(segments, width)
        return Strip(segments, length).crop(0, width)

    def _row_at(self, position: int) -> dict[str, Any]:
        if not self._block_has(position, position + 1):
            self._fetch_around(position)
        assert self._block_rows is not None
        return self._block_rows[position - self._block_start]

    def _block_has(self, start: int, end: int) -> bool:
        rows = self._block_rows
        if rows is None:
            return False
        block_end = self._block_start + len(rows)
        return self._block_start <= start and min(end, self._view_height) <= block_end

    @property
    def _view_height(self) -> int:
        return self.view.height if self.view is not None else 0

    def _fetch_around(self, position: int) -> None:
        assert self.view is not None
        page = self.height_in_rows
        start = max(0, position - page * (FETCH_SCREENS // 2))  # centred
        self._block_rows = self.view.window(start, page * FETCH_SCREENS).to_dicts()
        self._block_start = start
        # Keep the drawn lines of a few screens around, not of every row.
        if len(self._lines) > 4 * page * FETCH_SCREENS:
            self._lines.clear()

    def _prefetch(self) -> None:
        """After a frame, fetch the rows a page away if the block lacks them.

        Runs after the screen update, so the next page key finds its rows
        already fetched instead of paying for the fetch before it can draw.
        """
        if self.view is None:
            return
        page = self.height_in_rows
        if not self._block_has(max(0, self.top - page), self.top + 2 * page):
            self._fetch_around(self.top)

    def _columns_for(self, width: int) -> tuple[Column, ...]:
        if width != self._columns_width:
            self._columns = layout_columns(
                width, label_width=self._label_width, row_width=self._row_width
            )
            self._columns_width = width
            self._lines.clear()
        return self._columns

    # -- cursor arithmetic ---------------------------------------------------

    def _place_cursor(self, position: int, *, keep_offset: int | None = None) -> None:
        height = self.view.height if self.view is not None else 0
        self.cursor = max(0, min(position, height - 1))
        page = self.height_in_rows
        if keep_offset is not None:
            self.top = self._clamp_top(self.cursor - keep_offset)
        if self.cursor < self.top:
            self.top = self.cursor
        elif self.cursor >= self.top + page:
            self.top = self.cursor - page + 1
        self.top = self._clamp_top(self.top)

    def _clamp_top(self, top: int) -> int:
        height = self.view.height if self.view is not None else 0
        return max(0, min(top, height - self.height_in_rows))

    def _refresh_row(self, position: int) -> None:
        y = position - self.top + 1
        self.refresh(Region(0, y, self.size.width, 1))
