"""The labeling screen driven by keys, on real files, without the model."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from textual import events
from textual.widgets import Input, OptionList
from ui_support import (
    ESCAPE_TEXT,
    LABELS,
    MARKUP_TEXT,
    SIZE,
    main_screen,
    screen_text,
    shown_notice,
    ticket_rows,
    write_csv,
)

from labeltui.core.workspace import ViewQuery, Workspace
from labeltui.ui.app import LabelApp
from labeltui.ui.dialogs import LabelPicker
from labeltui.ui.help import HelpScreen
from labeltui.ui.main_screen import MainScreen
from labeltui.ui.table import RowTable
from labeltui.ui.table_columns import (
    MIN_LABEL_WIDTH,
    TEXT_FIRST_WIDTH,
    layout_columns,
    wanted_label_width,
)


@pytest.fixture
def data_path(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "tickets.csv", ticket_rows())


@pytest.fixture
def workspace(data_path: Path) -> Iterator[Workspace]:
    with Workspace.open(data_path) as opened:
        yield opened


def table(app: LabelApp) -> RowTable:
    return app.query_one(RowTable)


async def test_table_and_header_show_the_data(workspace: Workspace) -> None:
    app = LabelApp(workspace, run_model=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        text = screen_text(app)

    assert "tickets.csv" in text
    assert "40 rows" in text
    assert "14 labeled" in text
    assert "when will my new card arrive (message 0)" in text
    assert "model off (r: train)" in text
    assert "? Help" in text


async def test_keep_saves_and_moves_to_the_next_row(
    workspace: Workspace, data_path: Path
) -> None:
    app = LabelApp(workspace, run_model=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("q")
        assert table(app).cursor_row_id == 1
        assert "1 resolved" in screen_text(app)
    workspace.close()

    with Workspace.open(data_path) as reopened:
        detail = reopened.row_detail(0)
    assert (detail.action, detail.final_label) == ("keep", "card_arrival")


async def test_keep_on_an_unlabeled_row_says_why_nothing_happened(
    workspace: Workspace,
) -> None:
    app = LabelApp(workspace, run_model=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("down", "q")
        assert table(app).cursor_row_id == 1
        assert await shown_notice(pilot, app, "no given label to keep")
    assert workspace.row_detail(1).action == "none"


async def test_exclude_review_undo_and_redo(workspace: Workspace) -> None:
    app = LabelApp(workspace, run_model=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("e")
        assert workspace.row_detail(0).action == "exclude"
        assert table(app).cursor_row_id == 1

        await pilot.press("n")
        assert workspace.row_detail(1).tags == ("needs_review",)
        await pilot.press("up", "up")
        assert table(app).cursor_row_id == 0
        await pilot.press("down", "n")
        assert workspace.row_detail(1).tags == ()

        await pilot.press("u")
        assert workspace.row_detail(1).tags == ("needs_review",)
        assert table(app).cursor_row_id == 1
        await pilot.press("u", "u")
        assert workspace.row_detail(0).action == "none"
        await pilot.press("ctrl+r")
        assert workspace.row_detail(0).action == "exclude"
        assert await shown_notice(pilot, app, "redone: exclude on row 0")


async def test_the_label_picker_narrows_as_you_type(workspace: Workspace) -> None:
    app = LabelApp(workspace, run_model=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("down", "l")
        assert isinstance(app.screen, LabelPicker)
        await pilot.press(*"fund")
        await pilot.pause()
        options = app.screen.query_one("#label-options", OptionList)
        assert options.option_count == 1
        assert str(options.get_option_at_index(0).prompt) == "refund_request"
        await pilot.press("enter")
        assert isinstance(app.screen, MainScreen)
        assert table(app).cursor_row_id == 2

        await pilot.press("l", "escape")
        assert table(app).cursor_row_id == 2

    detail = workspace.row_detail(1)
    assert (detail.action, detail.final_label) == ("label", "refund_request")


async def test_cursor_keys(workspace: Workspace) -> None:
    app = LabelApp(workspace, run_model=False)
    async with app.run_test(size=(120, 24)) as pilot:
        rows = table(app)
        page = rows.height_in_rows
        await pilot.press("j", "j", "down")
        assert rows.cursor == 3
        await pilot.press("k", "up")
        assert rows.cursor == 1
        await pilot.press("pagedown")
        assert rows.cursor == 1 + page
        await pilot.press("pageup")
        assert rows.cursor == 1
        await pilot.press("end")
        assert rows.cursor_row_id == 39
        await pilot.pause()
        assert "(message 39)" in screen_text(app)
        await pilot.press("home")
        assert rows.cursor_row_id == 0


async def test_flag_filters_combine_and_show_live_counts(
    workspace: Workspace,
) -> None:
    app = LabelApp(workspace, run_model=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("n")  # row 0 (labeled) needs review
        await pilot.press("f")
        # All, Unlabeled, Labeled: enter on Labeled.
        await pilot.press("down", "down", "enter")
        screen = main_screen(app)
        assert screen.query_state.flags == {"labeled"}
        assert screen.view is not None and screen.view.height == 14
        await pilot.pause()
        sidebar = screen_text(app)
        assert "● Labeled" in sidebar
        assert re.search(r"Needs review +1 ", sidebar)
        assert re.search(r"Unlabeled +0 ", sidebar)  # counts within the view

        for _ in range(5):  # down to Needs review
            await pilot.press("down")
        await pilot.press("enter")
        assert screen.query_state.flags == {"labeled", "needs_review"}
        assert screen.view.height == 1

        await pilot.press("home", "enter")  # All clears the flags
        assert screen.query_state.flags == frozenset()
        assert screen.view.height == 40
        await pilot.press("escape")
        assert table(app).has_focus


async def test_filter_by_given_label(workspace: Workspace) -> None:
    app = LabelApp(workspace, run_model=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = main_screen(app)
        screen.pick_label_filter("given_label")
        await pilot.pause()
        await pilot.press(*"lost", "enter")
        assert screen.query_state.given_label == "card_lost"
        ids = screen.view.row_ids.tolist()
        assert ids == [
            row_id
            for row_id in range(40)
            if workspace.row_detail(row_id).given_label == "card_lost"
        ]
        assert ids


async def test_search_filters_by_text(workspace: Workspace) -> None:
    app = LabelApp(workspace, run_model=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("slash", *"REFUND", "enter")
        screen = main_screen(app)
        assert screen.query_state.search == "REFUND"
        texts = [workspace.row_detail(int(r)).text for r in screen.view.row_ids]
        assert texts and all("refund" in t.lower() for t in texts)
        assert table(app).has_focus


async def test_sort_by_text(workspace: Workspace) -> None:
    app = LabelApp(workspace, run_model=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("s")
        # row, confidence, -confidence, label quality, outlier score, text
        await pilot.press("end", "enter")
        screen = main_screen(app)
        assert screen.query_state.sort == "text"
        texts = [workspace.row_detail(int(r)).text for r in screen.view.row_ids]
        assert texts == sorted(texts)


async def test_user_text_is_shown_literally(workspace: Workspace) -> None:
    app = LabelApp(workspace, run_model=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("down", "down", "down", "down")
        await pilot.pause()
        shown = screen_text(app)
        assert MARKUP_TEXT in shown  # the resolver shows it whole
        assert "[bold]not bold[/] [@cl" in shown  # and the table's cut

        await pilot.press("down")
        await pilot.pause()
        shown = screen_text(app)
        assert "\x1b" not in shown and "\r" not in shown and "\t" not in shown
        assert "evil ␛[2J␛[31mred␛[0m␍return␉tab␡del" in shown
        assert app.is_running

    assert workspace.row_detail(5).text == ESCAPE_TEXT


async def test_80x24_layout_keeps_table_resolver_and_help(
    workspace: Workspace,
) -> None:
    app = LabelApp(workspace, run_model=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown = screen_text(app)
        assert "Unlabeled" not in shown  # the sidebar waits for f
        assert "when will my new card arrive" in shown
        assert "row 0" in shown  # the resolver
        assert "? Help" in shown
        assert all(len(line) <= 80 for line in shown.splitlines())

        await pilot.press("f")
        await pilot.pause()
        assert "Unlabeled" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert "Unlabeled" not in screen_text(app)


async def test_help_lists_every_key(workspace: Workspace) -> None:
    app = LabelApp(workspace, run_model=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.pause()
        shown = screen_text(app)
        for binding in MainScreen.BINDINGS:
            if binding.show and not binding.action.startswith("apply_top"):
                assert binding.description in shown
        for key in ("1-9", "ctrl+r", "pgdn", "ctrl+q", "/"):
            assert key in shown
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_export_writes_the_file_the_dialog_names(
    workspace: Workspace, tmp_path: Path
) -> None:
    app = LabelApp(workspace, run_model=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("q", "e", "x")
        await pilot.pause()
        path_box = app.screen.query_one("#export-path")
        assert path_box.value == str(tmp_path / "tickets.cleaned.csv")
        path_box.value = str(tmp_path / "out.csv")
        await pilot.press("enter")
        assert await shown_notice(pilot, app, "exported 39 rows")

    exported = pl.read_csv(tmp_path / "out.csv", infer_schema=False)
    assert exported.height == 39  # row 1 was excluded
    assert exported.row(0, named=True)["action"] == "keep"


async def test_command_palette_turns_on_a_filter(workspace: Workspace) -> None:
    app = LabelApp(workspace, run_model=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"filter: unlabeled")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        screen = main_screen(app)
        assert screen.query_state.flags == {"unlabeled"}
        assert screen.view.height == 26


async def test_labels_come_from_the_workspace(workspace: Workspace) -> None:
    assert set(LABELS) <= set(workspace.labels)
    view = workspace.view(ViewQuery(flags=frozenset({"unlabeled"})))
    assert view.height == 26


async def test_labels_that_look_like_markup_are_shown_literally(
    tmp_path: Path,
) -> None:
    odd = "[b]vip[/b] [@click=app.quit]x"
    path = write_csv(
        tmp_path / "odd.csv",
        [("first message", odd), ("second message", "plain"), ("third", "")],
    )
    with Workspace.open(path) as opened:
        app = LabelApp(opened, run_model=False)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert "[b]vip[/b] [@click=app.quit]x" in screen_text(app)
            await pilot.press("down", "down", "l", *"vip")
            await pilot.pause()
            assert "[b]vip[/b] [@click=app.quit]x" in screen_text(app)
            await pilot.press("enter")
            assert app.is_running
        assert opened.row_detail(2).final_label == odd


async def test_a_click_puts_the_cursor_on_a_row(workspace: Workspace) -> None:
    app = LabelApp(workspace, run_model=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click(RowTable, offset=(10, 4))  # line 0 holds the titles
        assert table(app).cursor_row_id == 3
        await pilot.pause()
        assert "row 3  ·  4 of 40 in view" in screen_text(app)


async def test_escape_leaves_the_search_box_and_keeps_the_search(
    workspace: Workspace,
) -> None:
    app = LabelApp(workspace, run_model=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"top up", "enter", "slash", "escape")
        screen = main_screen(app)
        assert table(app).has_focus
        assert screen.query_state.search == "top up"
        matching = [text for text, _ in ticket_rows() if "top up" in text]
        assert screen.view is not None and screen.view.height == len(matching)

        await pilot.press("slash", "ctrl+u", "enter")  # clear the box: all rows
        assert screen.query_state.search == ""
        assert screen.view.height == 40


@pytest.mark.parametrize(
    ("width", "shown", "dropped"),
    [
        (200, ("tickets.csv", "40 rows", "14 labeled", "0 resolved", "model off"), ()),
        (80, ("40 rows", "0 resolved", "0 issues", "model off"), ("tickets.csv",)),
        (50, ("0 resolved", "model off (r: train)"), ("tickets.csv", "40 rows")),
        (30, ("model off (r: train)",), ("resolved",)),
    ],
)
async def test_the_header_is_one_line_at_any_width(
    workspace: Workspace,
    width: int,
    shown: tuple[str, ...],
    dropped: tuple[str, ...],
) -> None:
    app = LabelApp(workspace, run_model=False)
    async with app.run_test(size=(width, 24)) as pilot:
        await pilot.pause()
        header = screen_text(app).splitlines()[0]
        assert main_screen(app).query_one("#header-line").region.height == 1

    for part in shown:
        assert part in header
    for part in dropped:
        assert part not in header


@pytest.mark.parametrize("width", [78, 118, 169, 198])
def test_label_columns_grow_with_the_width_and_the_labels(width: int) -> None:
    # Banking77-like: 90% of the labels fit in 27 cells, one is far longer.
    labels = [f"intent_{n:013}" for n in range(18)] + ["z" * 27, "y" * 48]
    wanted = wanted_label_width(labels)
    columns = {c.key: c.width for c in layout_columns(width, label_width=wanted)}
    used = sum(columns.values()) + len(columns) - 1

    assert wanted == 27
    assert used == width  # every cell used, nothing pushed off the edge
    assert columns["given_label"] == columns["suggested_label"]
    if width < 100:
        assert columns["given_label"] == MIN_LABEL_WIDTH
    elif width < 150:
        assert MIN_LABEL_WIDTH < columns["given_label"] < wanted
        assert columns["text"] >= TEXT_FIRST_WIDTH
    else:
        assert columns["given_label"] == wanted
        assert columns["text"] > wanted


async def test_keys_typed_right_after_slash_reach_the_search_box(
    workspace: Workspace,
) -> None:
    app = LabelApp(workspace, run_model=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("/", "c", "a", "r", "d")
        assert app.query_one("#search", Input).value == "card"

        # A paste or a fast burst: every key is queued before any is handled.
        await pilot.press("escape", "escape")
        app.query_one("#search", Input).value = ""
        await pilot.press("home")
        characters = {"slash": "/", "enter": "\r"}
        for key in ("slash", "t", "o", "p", "slash", "u", "p", "enter"):
            app.post_message(events.Key(key, characters.get(key, key)))
        await app.workers.wait_for_complete()
        for _ in range(5):
            await pilot.pause()
        assert main_screen(app).query_state.search == "top/up"
        assert table(app).has_focus


async def test_a_ten_megabyte_cell_is_cut_in_the_table_and_resolver(
    tmp_path: Path,
) -> None:
    huge = "word " * 2_000_000
    path = write_csv(tmp_path / "huge.csv", [(huge, ""), *ticket_rows(12)])

    with Workspace.open(path) as opened:
        app = LabelApp(opened, run_model=False)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            shown = screen_text(app)

            assert "word word word" in shown
            assert re.search(
                r"row 0 {2}· {2}1 of 13 in view {2}· {2}[\d,]+ more char", shown
            )
            assert "given: - (unlabeled)" in shown  # the text left room for it

            await pilot.press("down", "up")
            await pilot.pause()
            assert app.is_running
