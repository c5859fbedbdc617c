"""The project file's promises: nothing lost, one writer, honest about changes."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import pytest

from labeltui.core.errors import UserError
from labeltui.core.project import Project
from labeltui.core.workspace import Action, SourceChangedError, Workspace

N_ROWS = 40


def write_data(path: Path, n_rows: int = N_ROWS) -> Path:
    pl.DataFrame(
        {
            "text": [f"message number {i}" for i in range(n_rows)],
            "label": ["even" if i % 2 == 0 else "" for i in range(n_rows)],
        }
    ).write_csv(path)
    return path


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return write_data(tmp_path / "messages.csv")


@contextmanager
def running(script: str, *args: str) -> Iterator[subprocess.Popen[str]]:
    """Run a Python script in a child process; kill it if still running at exit."""
    with subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            yield child
        finally:
            if child.poll() is None:
                child.kill()
            child.communicate()


def read_line(child: subprocess.Popen[str]) -> str:
    assert child.stdout is not None
    line = child.stdout.readline()
    if not line:
        assert child.stderr is not None
        child.wait()
        pytest.fail(f"the child process ended: {child.stderr.read()}")
    return line.strip()


HOLD_OPEN = """
    import sys
    from labeltui.core.workspace import Workspace
    with Workspace.open(sys.argv[1]):
        print("ready", flush=True)
        sys.stdin.readline()
"""

BURST = """
    import sys
    from labeltui.core.workspace import Action, Workspace
    workspace = Workspace.open(sys.argv[1])
    n_rows = workspace.n_rows
    print("ready", flush=True)
    number = 0
    while True:
        row = number % n_rows
        workspace.apply(Action("label", (row,), label=f"label{number}"))
        print(number, flush=True)
        number += 1
"""


def test_a_second_opener_is_told_which_process_holds_the_project(
    data: Path,
) -> None:
    with running(HOLD_OPEN, str(data)) as child:
        assert read_line(child) == "ready"

        with pytest.raises(UserError) as refused:
            Workspace.open(data)
        message = str(refused.value)
        assert f"pid {child.pid}" in message
        assert "open in another labeltui" in message
        assert str(data.with_suffix(".labeltui")) in message

        child.communicate("done\n")
        assert child.returncode == 0

    with Workspace.open(data) as workspace:
        assert workspace.n_rows == N_ROWS


def test_a_killed_holder_never_blocks_the_project(data: Path) -> None:
    with running(HOLD_OPEN, str(data)) as child:
        assert read_line(child) == "ready"
        child.send_signal(signal.SIGKILL)
        child.wait()

    with Workspace.open(data) as workspace:
        assert workspace.n_rows == N_ROWS


def test_sigkill_mid_burst_loses_no_returned_action(data: Path) -> None:
    printed: list[int] = []
    with running(BURST, str(data)) as child:
        assert read_line(child) == "ready"
        while len(printed) < 3 * N_ROWS:
            printed.append(int(read_line(child)))
        child.send_signal(signal.SIGKILL)
        # Lines printed before the kill but not yet read are returned actions too.
        rest, _ = child.communicate()
        printed += [int(number) for number in rest.split()]
    assert child.returncode == -signal.SIGKILL

    assert printed == list(range(len(printed)))
    project_path = data.with_suffix(".labeltui")
    with sqlite3.connect(project_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        logged = [label for (label,) in db.execute("SELECT label FROM actions")]
    db.close()
    # Every action whose number was printed is in the log, in order; at most
    # the one being applied when the kill came may follow.
    assert logged[: len(printed)] == [f"label{number}" for number in printed]
    assert len(logged) - len(printed) in (0, 1)

    with Workspace.open(data) as workspace:
        final = workspace.state_frame()["final_label"].to_list()
        for number in printed[-N_ROWS:]:
            # The row's label is this action's or a later one's, never older.
            label = final[number % N_ROWS]
            assert label is not None
            assert int(label.removeprefix("label")) >= number
        actions = 0
        while workspace.undo() is not None:
            actions += 1
        assert actions >= len(printed)
        assert workspace.state_frame()["final_label"].null_count() == N_ROWS


def test_a_project_from_a_newer_labeltui_is_refused(data: Path) -> None:
    Workspace.open(data).close()
    with sqlite3.connect(data.with_suffix(".labeltui")) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.close()

    with pytest.raises(UserError, match=r"newer labeltui.*schema 99"):
        Workspace.open(data)


def test_a_file_that_is_not_a_project_is_refused(data: Path, tmp_path: Path) -> None:
    impostor = tmp_path / "impostor.labeltui"
    impostor.write_text("text,label\nnot,sqlite\n" * 100)

    with pytest.raises(UserError, match="not a readable labeltui project"):
        Workspace.open(data, project_path=impostor)


def test_another_programs_database_is_left_alone(data: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.labeltui"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE notes (body TEXT)")
    db.close()

    with pytest.raises(UserError, match="not a labeltui project"):
        Workspace.open(data, project_path=other)

    with sqlite3.connect(other) as db:
        tables = db.execute("SELECT name FROM sqlite_master").fetchall()
        journal = db.execute("PRAGMA journal_mode").fetchone()
    db.close()
    assert tables == [("notes",)]
    assert journal == ("delete",)


def change_one_character(path: Path) -> None:
    content = path.read_bytes()
    path.write_bytes(content.replace(b"number 7", b"number X"))


def test_a_changed_source_is_reported_with_both_choices(data: Path) -> None:
    with Workspace.open(data) as workspace:
        workspace.apply(Action("label", (1,), label="odd"))
    change_one_character(data)  # same size: only the content hash can tell

    with pytest.raises(SourceChangedError) as refused:
        Workspace.open(data)

    message = str(refused.value)
    assert "has changed since the project" in message
    assert "copy of the data it stored" in message
    assert "start a new project" in message


def test_a_project_given_for_other_data_says_where_it_came_from(
    data: Path, tmp_path: Path
) -> None:
    project = tmp_path / "shared.labeltui"
    Workspace.open(data, project_path=project).close()
    other = write_data(tmp_path / "other.csv", n_rows=N_ROWS + 1)

    with pytest.raises(SourceChangedError) as refused:
        Workspace.open(other, project_path=project)

    message = str(refused.value)
    assert f"was made from {data}" in message
    assert f"{other} differs from it" in message


def test_a_changed_source_can_be_opened_with_the_stored_copy(data: Path) -> None:
    with Workspace.open(data) as workspace:
        workspace.apply(Action("label", (1,), label="odd"))
    change_one_character(data)

    with Workspace.open(data, on_source_change="snapshot") as workspace:
        assert workspace.notice is not None
        assert "copy of the data stored" in workspace.notice
        assert workspace.dataset.texts[7] == "message number 7"
        assert workspace.row_detail(1).final_label == "odd"


def test_a_changed_source_can_start_a_new_project(data: Path) -> None:
    with Workspace.open(data) as workspace:
        workspace.apply(Action("label", (1,), label="odd"))
    write_data(data, n_rows=N_ROWS + 5)

    with Workspace.open(data, on_source_change="new") as workspace:
        assert workspace.n_rows == N_ROWS + 5
        assert workspace.undo() is None
        assert workspace.notice is not None
        aside = Path(workspace.notice.rsplit(" ", 1)[-1])

    assert aside.exists() and aside != data.with_suffix(".labeltui")
    with Workspace.open(aside, on_source_change="snapshot") as old:
        assert old.n_rows == N_ROWS
        assert old.row_detail(1).final_label == "odd"


def test_a_project_opens_on_its_own_when_the_source_is_gone(data: Path) -> None:
    with Workspace.open(data) as workspace:
        workspace.apply(Action("exclude", (0,)))
    data.unlink()

    with Workspace.open(data.with_suffix(".labeltui")) as workspace:
        assert workspace.n_rows == N_ROWS
        assert workspace.row_detail(0).action == "exclude"
        assert workspace.notice is not None and "is missing" in workspace.notice


def test_reopening_with_other_columns_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "two.csv"
    pl.DataFrame(
        {"body": ["a b c", "d e f"], "note": ["x y", "z w"], "label": ["p", ""]}
    ).write_csv(data)
    Workspace.open(data, text_column="body").close()

    with pytest.raises(UserError, match="uses 'body' as the text column"):
        Workspace.open(data, text_column="note")


def test_actions_are_on_disk_when_apply_returns(data: Path) -> None:
    with Workspace.open(data) as workspace:
        workspace.apply(Action("label", (3,), label="odd"))
        # A separate reader sees the committed action while the project is open.
        with sqlite3.connect(workspace.project_path) as db:
            kinds = db.execute("SELECT kind, label FROM actions").fetchall()
        db.close()
    assert kinds == [("label", "odd")]


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make a folder unwritable, even for root (an immutable folder)."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if shutil.which("chattr") is None:
        pytest.fail("running as root needs chattr to make a folder unwritable")
    subprocess.run(["chattr", "+i", str(folder)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_read_only_folder_puts_the_project_in_user_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "readonly"
    folder.mkdir()
    data = write_data(folder / "messages.csv")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))

    with read_only(folder):
        with Workspace.open(data) as workspace:
            workspace.apply(Action("label", (1,), label="odd"))
            project_path = workspace.project_path
            notice = workspace.notice
        with Workspace.open(data) as reopened:
            assert reopened.row_detail(1).final_label == "odd"

    assert project_path.parent == tmp_path / "xdg" / "labeltui"
    assert project_path.name.startswith("messages-")
    assert notice is not None
    assert "not writable" in notice and str(project_path) in notice
    assert not data.with_suffix(".labeltui").exists()


def test_project_lock_is_held_by_the_open_project(tmp_path: Path) -> None:
    path = tmp_path / "p.labeltui"
    with Project.open(path), pytest.raises(UserError, match=f"pid {os.getpid()}"):
        Project.open(path)
    Project.open(path).close()


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("chattr") is None,
    reason="making a file unwritable under an open SQLite needs root and chattr",
)
def test_a_failed_write_changes_nothing_and_says_so(data: Path) -> None:
    with Workspace.open(data) as workspace:
        workspace.apply(Action("label", (0,), label="first"))
        wal = Path(f"{workspace.project_path}-wal")
        subprocess.run(["chattr", "+i", str(wal)], check=True)
        try:
            with pytest.raises(UserError, match="could not save the action"):
                workspace.apply(Action("label", (1,), label="lost"))
        finally:
            subprocess.run(["chattr", "-i", str(wal)], check=True)

        assert workspace.row_detail(1).action == "none"
        assert "lost" not in workspace.labels
        workspace.apply(Action("label", (1,), label="second"))

    with Workspace.open(data) as workspace:
        assert workspace.row_detail(0).final_label == "first"
        assert workspace.row_detail(1).final_label == "second"
        assert "lost" not in workspace.labels
