"""`labeltui DATA` when the data changed since the project was made."""

from __future__ import annotations

from pathlib import Path

import pytest
from ui_support import ticket_rows, write_csv

from labeltui.cli import main
from labeltui.core.workspace import Workspace


def test_changed_data_without_a_terminal_is_a_one_line_error(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LABELTUI_LOG_DIR", str(tmp_path))
    data = write_csv(tmp_path / "tickets.csv", ticket_rows())
    Workspace.open(data).close()  # make the project
    write_csv(data, ticket_rows(41))  # then change the data

    status = main([str(data), "--no-model"])

    err = capsys.readouterr().err
    assert status == 2
    assert len(err.strip().splitlines()) == 1
    assert "stored" in err and "new project" in err
