"""The cleaned dataset: original cells back unchanged, the person's work added."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import polars as pl
import pytest

from labeltui.cli import main
from labeltui.core.errors import UserError
from labeltui.core.export import EXPORT_COLUMNS, default_export_path, export_workspace
from labeltui.core.workspace import NEEDS_REVIEW, Action, Workspace

AWKWARD_TEXTS = [
    'she said "hello", then left',
    "first line\nsecond line",
    "windows line\r\nending",
    "a, b, and c",
    "=SUM(A1:A9)",
    "+1 555 0100",
    "-minus first",
    "@mention me",
    "naïve café – 日本語 – 🙂 – שלום",
    "  surrounded by spaces  ",
    "tab\tinside",
    '"fully quoted"',
    'ends with a quote"',
]


def write_awkward_csv(path: Path) -> list[list[str]]:
    records = [["id", "text", "label", "note"]]
    for i, text in enumerate(AWKWARD_TEXTS):
        label = ["greeting", "=cmd", ""][i % 3]
        records.append([f"{i:03d}", text, label, f"note, {i}"])
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(records)
    return records


def read_csv_cells(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


@pytest.fixture
def awkward(tmp_path: Path) -> tuple[Path, list[list[str]]]:
    path = tmp_path / "awkward.csv"
    return path, write_awkward_csv(path)


def test_csv_round_trip_gives_back_every_original_cell(
    awkward: tuple[Path, list[list[str]]], tmp_path: Path
) -> None:
    data, records = awkward
    out = tmp_path / "out.csv"
    with Workspace.open(data, text_column="text") as workspace:
        written = export_workspace(workspace, out)

    cells = read_csv_cells(out)
    assert written == len(AWKWARD_TEXTS)
    assert cells[0] == [*records[0], *EXPORT_COLUMNS]
    assert [row[:4] for row in cells] == records


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl", ".tsv"])
def test_other_formats_round_trip_the_text(
    awkward: tuple[Path, list[list[str]]], tmp_path: Path, suffix: str
) -> None:
    data, records = awkward
    out = tmp_path / f"out{suffix}"
    with Workspace.open(data, text_column="text") as workspace:
        export_workspace(workspace, out)

    if suffix == ".parquet":
        frame = pl.read_parquet(out)
    elif suffix == ".jsonl":
        frame = pl.read_ndjson(out)
    else:
        frame = pl.read_csv(out, separator="\t", infer_schema=False)
    assert frame["text"].to_list() == AWKWARD_TEXTS
    assert frame["id"].to_list() == [record[0] for record in records[1:]]


def test_excel_safe_guards_only_formula_like_cells(
    awkward: tuple[Path, list[list[str]]], tmp_path: Path
) -> None:
    data, records = awkward
    plain, safe = tmp_path / "plain.csv", tmp_path / "safe.csv"
    with Workspace.open(data, text_column="text") as workspace:
        export_workspace(workspace, plain)
        export_workspace(workspace, safe, excel_safe=True)

    texts = [row[1] for row in read_csv_cells(safe)[1:]]
    for original, written in zip(AWKWARD_TEXTS, texts, strict=True):
        if original[0] in "=+-@":
            assert written == "'" + original
        else:
            assert written == original
    assert read_csv_cells(safe)[2][2] == "'=cmd"
    assert [row[:4] for row in read_csv_cells(plain)] == records


def test_excluded_rows_are_left_out_unless_asked(
    awkward: tuple[Path, list[list[str]]], tmp_path: Path
) -> None:
    data, _ = awkward
    with Workspace.open(data, text_column="text") as workspace:
        workspace.apply(Action("exclude", (1, 4)))
        workspace.apply(Action("label", (0,), label="fixed"))
        workspace.apply(Action("tag", (0,), tag=NEEDS_REVIEW))
        export_workspace(workspace, tmp_path / "without.csv")
        export_workspace(workspace, tmp_path / "with.csv", keep_excluded=True)

    without = pl.read_csv(tmp_path / "without.csv", infer_schema=False)
    kept = pl.read_csv(tmp_path / "with.csv", infer_schema=False)
    assert 1 not in without["row"].cast(pl.Int64).to_list()
    assert without.height == len(AWKWARD_TEXTS) - 2
    assert kept.height == len(AWKWARD_TEXTS)
    assert kept.filter(pl.col("row") == "4")["action"].to_list() == ["exclude"]
    first = without.row(0, named=True)
    assert (first["final_label"], first["action"], first["tags"]) == (
        "fixed",
        "label",
        NEEDS_REVIEW,
    )


def test_an_unknown_suffix_is_a_user_error(
    awkward: tuple[Path, list[list[str]]], tmp_path: Path
) -> None:
    data, _ = awkward
    with (
        Workspace.open(data, text_column="text") as workspace,
        pytest.raises(UserError, match=r"cannot export to '\.xlsx'"),
    ):
        export_workspace(workspace, tmp_path / "out.xlsx")
    assert not (tmp_path / "out.xlsx").exists()


def test_a_clashing_column_name_gets_a_suffix(tmp_path: Path) -> None:
    data = tmp_path / "clash.csv"
    pl.DataFrame(
        {"row": ["r1", "r2"], "text": ["a b", "c d"], "label": ["x", ""]}
    ).write_csv(data)
    out = tmp_path / "out.parquet"
    with Workspace.open(data, text_column="text", label_column="label") as workspace:
        export_workspace(workspace, out)

    frame = pl.read_parquet(out)
    assert frame["row"].to_list() == ["r1", "r2"]
    assert frame["row_labeltui"].to_list() == [0, 1]


def test_export_command_writes_beside_the_data(
    awkward: tuple[Path, list[list[str]]], capsys: pytest.CaptureFixture[str]
) -> None:
    data, records = awkward
    with Workspace.open(data, text_column="text") as workspace:
        workspace.apply(Action("exclude", (0,)))

    assert main(["export", str(data)]) == 0

    out = default_export_path(data)
    assert out == data.with_name("awkward.cleaned.csv")
    assert f"wrote {len(AWKWARD_TEXTS) - 1} rows to {out}" in capsys.readouterr().out
    assert [row[:4] for row in read_csv_cells(out)] == [records[0], *records[2:]]


def test_export_of_a_project_works_without_its_source(
    awkward: tuple[Path, list[list[str]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data, records = awkward
    with Workspace.open(data, text_column="text") as workspace:
        workspace.apply(Action("label", (2,), label="fixed"))
    data.unlink()
    out = tmp_path / "from-project.csv"

    status = main(["export", str(data.with_suffix(".labeltui")), "-o", str(out)])

    assert status == 0
    assert "is missing" in capsys.readouterr().err
    cells = read_csv_cells(out)
    assert [row[:4] for row in cells] == records
    assert cells[3][5] == "fixed"


def test_export_command_reports_a_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", str(tmp_path / "nothing.csv")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_export_after_the_source_changed_points_to_the_project(
    awkward: tuple[Path, list[list[str]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data, records = awkward
    with Workspace.open(data, text_column="text") as workspace:
        workspace.apply(Action("label", (0,), label="fixed"))
    data.write_text("id,text,label,note\n999,something else,x,y\n", encoding="utf-8")
    project = data.with_suffix(".labeltui")
    out = tmp_path / "out.csv"

    assert main(["export", str(data), "-o", str(out)]) == 2
    assert f"labeltui export {project}" in capsys.readouterr().err
    assert not out.exists()

    assert main(["export", str(project), "-o", str(out)]) == 0
    assert "has changed" in capsys.readouterr().err
    cells = read_csv_cells(out)
    assert [row[:4] for row in cells] == records
    assert cells[1][5] == "fixed"


def test_export_file_has_ordinary_permissions(tmp_path: Path) -> None:
    data = tmp_path / "perm.csv"
    data.write_text("text,label\nhello,a\nbye,\n", encoding="utf-8")
    out = tmp_path / "perm.cleaned.csv"
    mask = os.umask(0o022)
    os.umask(mask)

    with Workspace.open(data) as workspace:
        export_workspace(workspace, out)

    assert out.stat().st_mode & 0o777 == 0o666 & ~mask
