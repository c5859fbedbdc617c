"""Export from the labeling screen: written in a worker, changes held meanwhile."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from textual.worker import WorkerFailed
from ui_support import (
    SIZE,
    fixed_analysis,
    main_screen,
    shown_notice,
    ticket_rows,
    write_csv,
)

from labeltui.core.workspace import Workspace
from labeltui.ui.app import LabelApp
from labeltui.ui.dialogs import ExportRequest
from labeltui.ui.model_bar import ModelBar


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(write_csv(tmp_path / "tickets.csv", ticket_rows())) as opened:
        yield opened


async def test_export_runs_in_a_worker_and_says_where_it_wrote(
    workspace: Workspace, tmp_path: Path
) -> None:
    out = tmp_path / "out.parquet"
    app = LabelApp(workspace, run_model=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("e", "x")
        await pilot.pause()
        app.screen.query_one("#export-path").value = str(out)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        # The toast wraps a long path: look for its file name.
        assert await shown_notice(pilot, app, "exported 39 rows to")
        assert await shown_notice(pilot, app, out.name)
        exports = [w for w in app.workers if w.group == "export"]

    assert pl.read_parquet(out).height == 39
    assert all(worker.is_finished for worker in exports)


async def test_actions_wait_while_the_export_reads_the_rows(
    workspace: Workspace, tmp_path: Path
) -> None:
    out = tmp_path / "out.csv"
    app = LabelApp(workspace, run_model=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = main_screen(app)
        # No await between these: the worker cannot have reported back yet.
        screen._export(ExportRequest(str(out), keep_excluded=True, excel_safe=False))
        screen.action_exclude()
        screen.action_undo()
        screen._export(ExportRequest(str(out), keep_excluded=True, excel_safe=False))
        trained = ModelBar.Trained(fixed_analysis(workspace), None)
        screen._model_trained(trained)
        assert workspace.analysis is None  # held back until the export is done

        assert await shown_notice(pilot, app, "still reading the rows")
        assert await shown_notice(pilot, app, "already being written")
        await app.workers.wait_for_complete()
        assert await shown_notice(pilot, app, "exported 40 rows")
        assert workspace.analysis is trained.result
        assert workspace.row_detail(0).action == "none"
        await pilot.press("e")  # after the export, actions work again
        assert workspace.row_detail(0).action == "exclude"

    assert pl.read_csv(out, infer_schema=False)["action"].to_list() == ["none"] * 40


async def test_a_failed_export_is_shown_and_actions_work_again(
    workspace: Workspace, tmp_path: Path
) -> None:
    out = tmp_path / "no such folder" / "out.csv"
    app = LabelApp(workspace, run_model=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        main_screen(app)._export(
            ExportRequest(str(out), keep_excluded=False, excel_safe=False)
        )
        with pytest.raises(WorkerFailed):
            await app.workers.wait_for_complete()
        assert await shown_notice(pilot, app, "cannot write")
        await pilot.press("q")
        assert workspace.row_detail(0).action == "keep"
        assert app.is_running
    assert not out.exists()
