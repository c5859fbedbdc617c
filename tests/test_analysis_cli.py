"""`labeltui analyze` end to end, on small generated files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from contracts import ANALYZE_COLUMNS
from test_analysis import make_data

from labeltui.cli import main

SUMMARY_KEYS = {
    "rows",
    "labeled",
    "unlabeled",
    "classes",
    "label_issues",
    "outliers",
    "near_duplicate_sets",
    "cv_accuracy",
    "seconds",
}


@pytest.fixture
def data_csv(tmp_path: Path) -> Path:
    texts, labels, _ = make_data()
    path = tmp_path / "tickets.csv"
    pl.DataFrame({"text": texts, "label": labels}).write_csv(path)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_output_file_has_one_row_per_input_row(
    data_csv: Path, tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / f"analysis{suffix}"

    status = main(["analyze", str(data_csv), "-o", str(out)])

    assert status == 0
    reader = {".csv": pl.read_csv, ".parquet": pl.read_parquet}.get(
        suffix, pl.read_ndjson
    )
    frame = reader(out)
    assert frame.columns == ANALYZE_COLUMNS
    source = pl.read_csv(data_csv)
    assert frame.height == source.height
    assert frame["row"].to_list() == list(range(source.height))
    assert frame["suggested_label"].null_count() == 0


def test_json_summary_has_the_documented_keys(
    data_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["analyze", str(data_csv), "--json"])

    summary = json.loads(capsys.readouterr().out)
    assert status == 0
    assert set(summary) == SUMMARY_KEYS
    assert summary["rows"] == 120
    assert summary["labeled"] == 45
    assert summary["unlabeled"] == 75
    assert summary["classes"] == 3
    assert 0.9 < summary["cv_accuracy"] <= 1.0


def test_table_lists_a_wrong_label(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    texts, labels, _ = make_data()
    wrong = next(i for i, label in enumerate(labels) if label == "login")
    labels[wrong] = "billing"
    path = tmp_path / "tickets.csv"
    pl.DataFrame({"text": texts, "label": labels}).write_csv(path)

    status = main(["analyze", str(path)])

    out = capsys.readouterr().out
    assert status == 0
    assert "label issues" in out
    first_cells = [
        line.split("│")[1].strip() for line in out.splitlines() if "│" in line
    ]
    assert str(wrong) in first_cells


def test_degenerate_data_still_writes_and_explains(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    texts, _, _ = make_data()
    path = tmp_path / "unlabeled.csv"
    pl.DataFrame({"text": texts, "label": [None] * len(texts)}).write_csv(path)
    out = tmp_path / "analysis.csv"

    status = main(["analyze", str(path), "--label-col", "label", "-o", str(out)])

    assert status == 0
    assert "no labeled rows" in capsys.readouterr().err
    frame = pl.read_csv(out)
    assert frame.height == len(texts)
    assert frame["suggested_label"].null_count() == len(texts)
    assert np.all(frame["outlier_score"].is_not_null().to_numpy())


def test_unknown_output_suffix_exits_2_before_any_work(
    data_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["analyze", str(data_csv), "-o", str(tmp_path / "out.xlsx")])

    assert status == 2
    err = capsys.readouterr().err
    assert "'.xlsx'" in err
    assert ".parquet" in err
    assert len(err.strip().splitlines()) == 1


def test_missing_data_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["analyze", str(tmp_path / "nope.csv"), "--json"])

    assert status == 2
    assert "no such file" in capsys.readouterr().err


def test_unwritable_output_exits_2(
    data_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        ["analyze", str(data_csv), "-o", str(tmp_path / "missing" / "out.csv")]
    )

    assert status == 2
    assert "cannot write" in capsys.readouterr().err
