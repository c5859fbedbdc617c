"""Every way a person can hand labeltui a bad file gets one clear line and exit 2.

These run the real command in a subprocess, as a person would, and check the
exit status, the message, and that no traceback reaches the terminal.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from labeltui.core.dataset import load_dataset


def run_labeltui(
    *args: str | Path, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labeltui", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def assert_user_error(
    result: subprocess.CompletedProcess[str], *fragments: str
) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("labeltui: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def test_missing_file(tmp_path: Path) -> None:
    assert_user_error(run_labeltui(tmp_path / "nope.csv"), "nope.csv", "no such file")


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "data.csv"
    folder.mkdir()
    assert_user_error(run_labeltui(folder), "is a directory")


def test_empty_file(tmp_path: Path) -> None:
    assert_user_error(run_labeltui(write(tmp_path / "empty.csv", "")), "is empty")


def test_whitespace_only_file(tmp_path: Path) -> None:
    assert_user_error(run_labeltui(write(tmp_path / "blank.csv", "\n\n")), "is empty")


def test_header_without_rows(tmp_path: Path) -> None:
    path = write(tmp_path / "header.csv", "text,label\n")
    assert_user_error(run_labeltui(path), "header but no data rows")


def test_unclosed_quote_names_the_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "broken.csv",
        'text,label\nfine,a\nalso fine,b\n"never closed,a\nmore,b\n',
    )
    assert_user_error(run_labeltui(path), "not valid CSV", "line")


def test_more_fields_than_header_names_the_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "ragged.csv",
        "text,label\nhello there,a\nthis, has, commas,b\n",
    )
    assert_user_error(run_labeltui(path), "line 3", "4 fields", "header has 2")


def test_non_utf8_file_suggests_encoding(tmp_path: Path) -> None:
    content = "text,label\ncaf\u00e9 au lait,drink\nplain water,drink\ntea,\n"
    path = write(tmp_path / "latin.csv", content.encode("cp1252"))

    result = run_labeltui(path)

    assert_user_error(result, "not valid UTF-8", "0xe9", "line 2", "--encoding")


def test_encoding_option_reads_the_file(tmp_path: Path) -> None:
    content = "text,label\ncaf\u00e9 au lait,drink\nplain water,drink\ntea,\n"
    path = write(tmp_path / "latin.csv", content.encode("cp1252"))

    dataset = load_dataset(path, encoding="cp1252")

    assert dataset.texts.to_list()[0] == "caf\u00e9 au lait"


def test_unknown_encoding(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "text,label\nhello,a\nbye,\n")
    assert_user_error(run_labeltui(path, "--encoding", "klingon"), "unknown encoding")


def test_unsupported_suffix(tmp_path: Path) -> None:
    path = write(tmp_path / "data.xlsx", "whatever")
    assert_user_error(run_labeltui(path), "unsupported file type", ".csv", ".parquet")


def test_no_text_like_column(tmp_path: Path) -> None:
    path = write(tmp_path / "numbers.csv", "a,b\n1,2\n3,4\n5.5,6\n")
    assert_user_error(run_labeltui(path), "no text-like column", "--text-col")


def test_single_label_and_nothing_unlabeled(tmp_path: Path) -> None:
    path = write(
        tmp_path / "same.csv", "text,label\nhello,greeting\nhi there,greeting \n"
    )
    assert_user_error(run_labeltui(path), "nothing to label", "greeting")


def test_unknown_text_column_lists_closest_first(tmp_path: Path) -> None:
    path = write(tmp_path / "cols.csv", "id,message,intent\n1,hello,greet\n2,bye,\n")

    result = run_labeltui(path, "--text-col", "mesage")

    assert_user_error(result, "--text-col", "'mesage'", "columns are: message")


def test_unknown_label_column(tmp_path: Path) -> None:
    path = write(tmp_path / "cols.csv", "id,message,intent\n1,hello,greet\n2,bye,\n")
    assert_user_error(run_labeltui(path, "--label-col", "intnt"), "columns are: intent")


def test_invalid_parquet(tmp_path: Path) -> None:
    path = write(tmp_path / "fake.parquet", "this is not parquet")
    assert_user_error(run_labeltui(path), "could not be read as parquet")


def test_invalid_jsonl(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.jsonl", '{"text": "a", "label": "x"}\n{oops\n')
    assert_user_error(run_labeltui(path), "could not be read as jsonl")


def test_ten_megabyte_cell_loads(tmp_path: Path) -> None:
    big = "word " * 2_000_000
    path = tmp_path / "big.csv"
    path.write_text(f'text,label\n"{big}",a\nsmall,b\nother,\n', encoding="utf-8")

    dataset = load_dataset(path)

    assert dataset.texts[0] == big
    assert dataset.n_rows == 3


def test_quoted_newlines_and_quotes_load(tmp_path: Path) -> None:
    path = write(
        tmp_path / "multi.csv",
        'text,label\n"line one\nline two, with comma",a\n"she said ""hi""",b\nx,\n',
    )

    dataset = load_dataset(path)

    assert dataset.texts.to_list() == [
        "line one\nline two, with comma",
        'she said "hi"',
        "x",
    ]
    assert dataset.given_labels.to_list() == ["a", "b", None]


def test_byte_order_mark_is_not_part_of_the_header(tmp_path: Path) -> None:
    path = write(tmp_path / "bom.csv", "\ufefftext,label\nhello,a\nbye,\n")

    dataset = load_dataset(path)

    assert dataset.frame.columns == ["text", "label"]
