"""The command line as a person meets it: --help, --version, python -m."""

from __future__ import annotations

import subprocess
import sys

import pytest

from labeltui import __version__
from labeltui.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])

    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"labeltui {__version__}"


def test_help_teaches_the_main_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])

    out = capsys.readouterr().out
    for needle in (
        "--text-col",
        "--label-col",
        "--project",
        "--no-model",
        "--encoding",
        "--log-level",
        "labeltui.log",
        "examples:",
        "labeltui analyze",
        "labeltui export",
    ):
        assert needle in out


@pytest.mark.parametrize("name", ["analyze", "export", "train", "predict"])
def test_every_subcommand_has_help_with_an_example(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        main([name, "--help"])

    out = capsys.readouterr().out
    assert stop.value.code == 0
    assert f"labeltui {name}" in out
    assert "example" in out


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "labeltui", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0
    assert result.stdout.strip() == f"labeltui {__version__}"


def test_missing_argument_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main([])

    assert stop.value.code == 2
    assert "DATA" in capsys.readouterr().err
