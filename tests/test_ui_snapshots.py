"""SVG snapshots of the labeling screen, the help screen and the label picker.

Fixed terminal size, fixed data and no model run (the main screen shows a
fixed, hand-made analysis), so every run draws the same screen. Update them on
purpose with `pytest --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ui_support import fixed_analysis, ticket_rows, write_csv

from labeltui.core.workspace import Workspace
from labeltui.ui.app import LabelApp

SnapCompare = Callable[..., bool]


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(write_csv(tmp_path / "tickets.csv", ticket_rows())) as opened:
        yield opened


def app_for(workspace: Workspace) -> Any:
    return LabelApp(workspace, run_model=False)


def test_main_screen(snap_compare: SnapCompare, workspace: Workspace) -> None:
    workspace.set_analysis(fixed_analysis(workspace))
    # keep row 0, auto-fix row 1, tag row 2, then look at row 4 (markup text)
    assert snap_compare(
        app_for(workspace), press=["q", "w", "n", "down"], terminal_size=(120, 40)
    )


def test_main_screen_80x24(snap_compare: SnapCompare, workspace: Workspace) -> None:
    assert snap_compare(app_for(workspace), press=["q"], terminal_size=(80, 24))


def test_help_screen(snap_compare: SnapCompare, workspace: Workspace) -> None:
    assert snap_compare(
        app_for(workspace), press=["question_mark"], terminal_size=(120, 40)
    )


def test_label_picker(snap_compare: SnapCompare, workspace: Workspace) -> None:
    assert snap_compare(
        app_for(workspace), press=["l", "c", "a", "r"], terminal_size=(120, 40)
    )


def test_main_screen_160_with_sidebar(
    snap_compare: SnapCompare, workspace: Workspace
) -> None:
    workspace.set_analysis(fixed_analysis(workspace))
    assert snap_compare(
        app_for(workspace), press=["q", "w", "n"], terminal_size=(160, 40)
    )
