"""End to end: the installed `labeltui` in a real terminal (tmux).

Opens a copy of the sample data, resolves rows with keys, quits with ctrl+q,
then runs `labeltui export` and reads the exported file back.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

pytestmark = pytest.mark.e2e

SAMPLE = Path(__file__).parent.parent / "sample_data" / "support_tickets.csv"

# How long to wait for the app to show something before failing: generous for
# a loaded 2-core CI machine; the app normally paints in about a second.
SCREEN_TIMEOUT_SECONDS = 30.0

# How often to read the terminal while waiting for it.
POLL_SECONDS = 0.05


def labeltui_command() -> str:
    # The command installed beside this interpreter is the one under test; one
    # elsewhere on PATH may be an older install.
    found = shutil.which(
        "labeltui", path=str(Path(sys.executable).parent)
    ) or shutil.which("labeltui")
    if found is None:
        pytest.fail("the labeltui command is not installed (pip install -e .)")
    return found


class Terminal:
    """One tmux session on a private server, read with capture-pane."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout

    def start(self, command: str, *, width: int = 120, height: int = 40) -> None:
        self.tmux(
            "new-session",
            "-d",
            "-s",
            "app",
            "-x",
            str(width),
            "-y",
            str(height),
            command,
        )

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "app", *keys)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "app")

    def wait_for(self, text: str) -> str:
        """Poll the screen until text appears; fail with the screen if it never does."""
        deadline = time.monotonic() + SCREEN_TIMEOUT_SECONDS
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(POLL_SECONDS)
        pytest.fail(f"{text!r} never appeared; the screen was:\n{screen}")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (.ci/run installs it)")
    # A server of its own per test: reusing a socket right after kill-server
    # races with the old server's exit ("server exited unexpectedly").
    session = Terminal(f"labeltui-test-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    yield session
    session.close()


@pytest.fixture
def data_path(tmp_path: Path) -> Path:
    target = tmp_path / "tickets.csv"
    shutil.copy(SAMPLE, target)
    return target


def test_resolve_rows_quit_and_export(
    terminal: Terminal, data_path: Path, tmp_path: Path
) -> None:
    labeltui = labeltui_command()
    given = pl.read_csv(data_path, infer_schema=False)
    label_column = "intent" if "intent" in given.columns else "label"
    labeled_row = next(
        i for i, value in enumerate(given[label_column].to_list()) if value
    )
    assert labeled_row > 2

    env = f"LABELTUI_LOG_DIR={shlex.quote(str(tmp_path))} TERM=xterm-256color"
    terminal.start(
        f"env {env} {shlex.quote(labeltui)} {shlex.quote(str(data_path))} "
        "--no-model; echo labeltui-exit=$?; sleep 600"
    )
    terminal.wait_for("row 0  ·  1 of")

    terminal.keys("e")  # exclude row 0
    terminal.wait_for("1 resolved")
    terminal.keys("n")  # tag row 1 needs_review
    terminal.wait_for("row 2  ·")
    terminal.keys("l")
    terminal.wait_for("Label the row as")
    terminal.keys("shipping_c", "Enter")  # label row 2 by typing part of a name
    terminal.wait_for("2 resolved")
    for _ in range(labeled_row - 3):
        terminal.keys("j")
    terminal.wait_for(f"row {labeled_row}  ·")
    terminal.keys("q")  # keep the given label
    terminal.wait_for("3 resolved")

    terminal.keys("C-q")
    terminal.wait_for("labeltui-exit=0")

    out = tmp_path / "cleaned.csv"
    subprocess.run(
        [labeltui, "export", str(data_path), "-o", str(out)],
        check=True,
        env={**os.environ, "LABELTUI_LOG_DIR": str(tmp_path)},
    )
    exported = pl.read_csv(out, infer_schema=False)
    by_row = {int(r["row"]): r for r in exported.iter_rows(named=True)}

    assert exported.height == given.height - 1
    assert 0 not in by_row  # excluded
    assert by_row[1]["tags"] == "needs_review"
    assert (by_row[2]["action"], by_row[2]["final_label"]) == (
        "label",
        "shipping_cost",
    )
    assert by_row[labeled_row]["action"] == "keep"
    assert by_row[labeled_row]["final_label"] == given[label_column][labeled_row]
    assert list(exported.columns[: given.width]) == given.columns


def test_changed_data_asks_once_in_the_terminal(
    terminal: Terminal, data_path: Path, tmp_path: Path
) -> None:
    labeltui = labeltui_command()
    env = f"LABELTUI_LOG_DIR={shlex.quote(str(tmp_path))} TERM=xterm-256color"
    command = (
        f"env {env} {shlex.quote(labeltui)} {shlex.quote(str(data_path))} --no-model"
    )
    terminal.start(f"{command}; {command}; echo labeltui-exit=$?; sleep 600")
    terminal.wait_for("row 0  ·  1 of")
    terminal.keys("e")  # exclude row 0: saved in the project
    terminal.wait_for("1 resolved")

    # Change the data file behind the project's back, then quit: the same
    # command runs again and must ask what to do.
    with data_path.open("a", encoding="utf-8") as handle:
        handle.write("T999999,2026-03-09 10:00,email,a new message,\n")
    terminal.keys("C-q")
    terminal.wait_for("[s] open with the stored snapshot")
    terminal.keys("s", "Enter")
    screen = terminal.wait_for("row 0  ·  1 of")
    assert "1 resolved" in screen  # the project kept its actions
    terminal.keys("C-q")
    terminal.wait_for("labeltui-exit=0")
