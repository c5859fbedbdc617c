"""The labeling screen with a model: suggestions, the likeliest labels, the
model worker, retraining, sorts by the model's scores."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from textual.widgets import OptionList
from ui_support import (
    LABELS,
    SIZE,
    fixed_analysis,
    main_screen,
    screen_text,
    shown_notice,
    ticket_rows,
    write_csv,
)

from labeltui.core.analysis import AnalysisResult
from labeltui.core.errors import UserError
from labeltui.core.workspace import Workspace
from labeltui.ui.app import LabelApp
from labeltui.ui.model_bar import ModelBar
from labeltui.ui.table import RowTable


@pytest.fixture
def data_path(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "tickets.csv", ticket_rows())


@pytest.fixture
def workspace(data_path: Path) -> Iterator[Workspace]:
    with Workspace.open(data_path) as opened:
        yield opened


@pytest.fixture
def analysed(workspace: Workspace) -> Workspace:
    workspace.set_analysis(fixed_analysis(workspace))
    return workspace


async def test_resolver_lists_the_likeliest_labels_of_the_analysis(
    analysed: Workspace,
) -> None:
    app = LabelApp(analysed, run_model=True)  # current analysis: no retraining
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "down")
        await pilot.pause()
        shown = screen_text(app)
        assert not app.workers

    result = analysed.analysis
    assert result is not None
    expected = [
        (result.classes[c], p)
        for c, p in zip(result.top_classes[2], result.top_probabilities[2], strict=True)
    ]
    listed = re.findall(r"(\d) +([a-z_]+) +(<?\d+)%", shown)
    assert [(int(d), name) for d, name, _ in listed] == [
        (rank, name) for rank, (name, _) in enumerate(expected, start=1)
    ]
    assert [p for _, _, p in listed] == [f"{p:.0%}".rstrip("%") for _, p in expected]
    assert f"suggestion: {expected[0][0]} {expected[0][1]:.0%}" in shown
    assert "model ready, cv 88%" in shown


async def test_auto_fix_and_digits_apply_suggested_labels(analysed: Workspace) -> None:
    app = LabelApp(analysed, run_model=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("w")  # row 0 -> its suggestion
        await pilot.press("3")  # row 1 -> its third likeliest label
        await pilot.press("9")  # row 2: only five classes
        assert app.query_one(RowTable).cursor_row_id == 2
        assert await shown_notice(pilot, app, "only 5 likeliest labels")

    first, second = analysed.row_detail(0), analysed.row_detail(1)
    assert (first.action, first.final_label) == ("auto_fix", first.suggestion)
    assert (second.action, second.final_label) == ("label", second.top_labels[2][0])
    assert analysed.row_detail(2).action == "none"


@pytest.mark.parametrize(
    ("presses", "sort", "descending"),
    [(1, "confidence", False), (2, "-confidence", True)],
)
async def test_sort_by_confidence(
    analysed: Workspace, presses: int, sort: str, descending: bool
) -> None:
    app = LabelApp(analysed, run_model=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s", *["down"] * presses, "enter")
        screen = main_screen(app)
        assert screen.query_state.sort == sort
        order = screen.view.row_ids
        assert app.query_one(RowTable).cursor == 0

    result = analysed.analysis
    assert result is not None
    confidences = result.suggested_confidence[order]
    steps = np.diff(confidences)
    assert (steps <= 0).all() if descending else (steps >= 0).all()


async def test_label_issue_and_outlier_counts_match_the_analysis(
    analysed: Workspace,
) -> None:
    result = analysed.analysis
    assert result is not None
    app = LabelApp(analysed, run_model=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f")  # at 120 columns the filters wait for f
        await pilot.pause()
        shown = screen_text(app)
        assert re.search(rf"Label issues +{int(result.is_label_issue.sum())} ", shown)
        assert re.search(rf"Outliers +{int(result.is_outlier.sum())} ", shown)
        assert re.search(r"Near duplicates +2 ", shown)

        await pilot.press("down", "down", "down", "enter")  # Label issues
        screen = main_screen(app)
        assert screen.query_state.flags == {"label_issue"}
        assert set(screen.view.row_ids.tolist()) == set(
            np.flatnonzero(result.is_label_issue).tolist()
        )


async def test_the_model_trains_on_open_and_suggestions_appear(
    workspace: Workspace,
) -> None:
    app = LabelApp(workspace, run_model=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table_before = screen_text(app)
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = screen_text(app)

    assert "message 0" in table_before  # the table was usable at once
    assert workspace.analysis is not None
    assert workspace.analysis_is_current()
    assert "model ready" in shown
    suggestion = workspace.row_detail(0).suggestion
    assert suggestion in LABELS
    assert f"suggestion: {suggestion}" in shown


async def test_the_trained_model_is_saved_for_the_next_open(
    workspace: Workspace, data_path: Path
) -> None:
    app = LabelApp(workspace, run_model=True)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("q")  # an action after the worker stored the result
        shown = workspace.analysis
    workspace.close()

    assert shown is not None
    with Workspace.open(data_path) as reopened:
        assert reopened.analysis is not None
        assert reopened.analysis.input_key == shown.input_key
        assert reopened.row_detail(0).action == "keep"
        assert reopened.analysis_is_current()  # keep left the labels as trained


async def test_retrain_after_labeling_uses_the_new_labels(
    analysed: Workspace,
) -> None:
    app = LabelApp(analysed, run_model=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "l", *"top_up", "enter")  # label row 1
        assert not analysed.analysis_is_current()
        await pilot.press("r")
        await pilot.press("r")  # a second press cancels the first run
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "model ready" in screen_text(app)
        assert "failed" not in screen_text(app)

    assert analysed.analysis_is_current()
    assert analysed.analysis is not None
    assert analysed.analysis.cv_accuracy != 0.875  # a real model replaced it


async def test_a_model_failure_is_shown_not_swallowed(workspace: Workspace) -> None:
    app = LabelApp(workspace, run_model=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        bar = app.query_one(ModelBar)
        bar.post_message(ModelBar.Failed(ValueError("no features in the text")))
        assert await shown_notice(pilot, app, "the model failed: no features")
        assert "model failed (r: retry)" in screen_text(app)
        assert app.is_running


async def test_the_label_picker_lists_the_likeliest_labels_first(
    analysed: Workspace,
) -> None:
    app = LabelApp(analysed, run_model=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "down", "l")
        await pilot.pause()
        options = app.screen.query_one("#label-options", OptionList)
        listed = [
            str(options.get_option_at_index(i).prompt)
            for i in range(options.option_count)
        ]
        await pilot.press("enter")  # the first: the likeliest label

    likeliest = [label for label, _ in analysed.row_detail(2).top_labels]
    assert listed[: len(likeliest)] == likeliest
    assert analysed.row_detail(2).final_label == likeliest[0]


async def test_the_result_is_stored_off_the_ui_thread(workspace: Workspace) -> None:
    stored_in: list[threading.Thread] = []

    def store(result: AnalysisResult) -> None:
        stored_in.append(threading.current_thread())
        raise UserError("disk full")

    app = LabelApp(workspace, run_model=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.query_one(ModelBar).start(
            workspace.dataset.texts, workspace.training_labels(), store=store
        )
        await app.workers.wait_for_complete()
        assert await shown_notice(pilot, app, "shown but not saved: disk full")
        assert "model ready" in screen_text(app)

    assert stored_in and stored_in[0] is not threading.main_thread()
    assert workspace.analysis is not None  # in use, though not saved
