"""Column inference and label normalisation on the shapes of file people have."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from labeltui.core.dataset import load_dataset
from labeltui.core.errors import UserError


def csv_file(tmp_path: Path, content: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "text_column", "label_column"),
    [
        pytest.param(
            "text,label\nmy card was declined,card\nwhere is my parcel,\n",
            "text",
            "label",
            id="plain-text-label",
        ),
        pytest.param(
            "Intent,Utterance\ncard,my card was declined at the shop\n,where is it\n",
            "Utterance",
            "Intent",
            id="label-first-capitalised",
        ),
        pytest.param(
            "id,CATEGORY,body,agent\n1,billing,I was charged twice this month,ann\n"
            "2,,the app crashes when I log in,bob\n3,billing,refund please,ann\n",
            "body",
            "CATEGORY",
            id="extra-columns",
        ),
        pytest.param(
            "message,topic\nmy card was declined at the till,cards\n"
            "the parcel never came to my house,\nI want a refund for this,refunds\n",
            "message",
            "topic",
            id="label-found-by-empty-cells",
        ),
        pytest.param(
            "review,stars\nterrible product broke in a day,1\n"
            "lovely would buy again,5\nit is fine I suppose,\n",
            "review",
            "stars",
            id="numeric-labels-by-gaps",
        ),
        pytest.param(
            "text,y\nhello there,0\ngoodbye now,1\nsee you,\n",
            "text",
            "y",
            id="numeric-labels-named-y",
        ),
        pytest.param(
            "question,queue\n"
            + "".join(
                f"question number {i} about my account and card,q{i % 3}\n"
                for i in range(30)
            ),
            "question",
            "queue",
            id="all-labeled-no-label-name",
        ),
        pytest.param(
            "text,label\nhello there,\ngoodbye now,\nsee you,\n",
            "text",
            "label",
            id="all-unlabeled",
        ),
        pytest.param(
            "ticket,notes\nwhere is my parcel,\nrefund please,\n",
            "ticket",
            "notes",
            id="unlabeled-unnamed-label-column",
        ),
        pytest.param(
            "text\nonly text here\nand more text\n",
            "text",
            None,
            id="text-only",
        ),
    ],
)
def test_column_inference(
    tmp_path: Path, content: str, text_column: str, label_column: str | None
) -> None:
    dataset = load_dataset(csv_file(tmp_path, content))

    assert dataset.text_column == text_column
    assert dataset.label_column == label_column


def test_labels_are_stripped_and_blank_means_unlabeled(tmp_path: Path) -> None:
    path = csv_file(
        tmp_path, 'text,label\na, card \nb,   \nc,\nd,card\ne,"\t"\nf,refund\n'
    )

    dataset = load_dataset(path)

    assert dataset.given_labels.to_list() == [
        "card",
        None,
        None,
        "card",
        None,
        "refund",
    ]
    assert dataset.labels == ("card", "refund")
    assert dataset.n_labeled == 3


def test_row_ids_follow_file_order(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "text,label\nfirst,a\nsecond,\nthird,b\n")

    dataset = load_dataset(path)

    assert dataset.texts.to_list() == ["first", "second", "third"]


def test_overrides_win_over_inference(tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        "label,summary,details\nx,short one,a much longer description of it\n"
        "y,short two,another much longer description\nz,three,\n",
    )

    dataset = load_dataset(path, text_column="summary", label_column="details")

    assert dataset.text_column == "summary"
    assert dataset.label_column == "details"


def test_same_column_for_text_and_label_is_refused(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "text,label\na,b\nc,\n")

    with pytest.raises(UserError, match="both the text and the label"):
        load_dataset(path, text_column="text", label_column="text")


def test_cells_stay_strings_so_they_round_trip(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "id,text,label\n007,hello,a\n1e3,bye,\n")

    dataset = load_dataset(path)

    assert dataset.frame["id"].to_list() == ["007", "1e3"]


def test_tsv(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "text\tlabel\nhas, commas\ta\nplain\t\n", "d.tsv")

    dataset = load_dataset(path)

    assert dataset.texts.to_list() == ["has, commas", "plain"]


def test_parquet_with_integer_labels(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    pl.DataFrame({"text": ["good", "bad", "meh"], "label": [1, 0, None]}).write_parquet(
        path
    )

    dataset = load_dataset(path)

    assert dataset.given_labels.to_list() == ["1", "0", None]
    assert dataset.frame["label"].dtype == pl.Int64


def test_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    rows = [{"sentence": "hi there friend", "intent": "greet"}, {"sentence": "bye"}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")

    dataset = load_dataset(path)

    assert (dataset.text_column, dataset.label_column) == ("sentence", "intent")
    assert dataset.given_labels.to_list() == ["greet", None]


def test_stray_quote_inside_a_cell_is_kept(tmp_path: Path) -> None:
    path = csv_file(tmp_path, 'text,label\nmy 5" screen cracked,damage\nhello,\n')

    dataset = load_dataset(path)

    assert dataset.texts.to_list() == ['my 5" screen cracked', "hello"]


def test_sample_data_loads_as_intended() -> None:
    path = Path(__file__).parent.parent / "sample_data" / "support_tickets.csv"

    dataset = load_dataset(path)

    assert (dataset.text_column, dataset.label_column) == ("message", "intent")
    assert 15 <= len(dataset.labels) <= 25
    assert 0.10 < dataset.n_labeled / dataset.n_rows < 0.20
