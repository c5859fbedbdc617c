"""The workspace as the UI uses it: views, actions, undo and redo, reopening."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from labeltui.core.errors import UserError
from labeltui.core.workspace import (
    FLAGS,
    NEEDS_REVIEW,
    STATE_COLUMNS,
    Action,
    ViewQuery,
    Workspace,
)

ROWS = [
    ("Refund my card payment", "refund"),
    ("Where is my new card?", "card_arrival"),
    ("card has not arrived yet", ""),
    ("I want my money back", "refund"),
    ("The CARD never came", "card_arrival"),
    ("cancel the transfer please", ""),
]


def write_data(folder: Path, rows: list[tuple[str, str]] = ROWS) -> Path:
    path = folder / "tickets.csv"
    pl.DataFrame(
        {"text": [t for t, _ in rows], "label": [lab for _, lab in rows]}
    ).write_csv(path)
    return path


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return write_data(tmp_path)


@pytest.fixture
def workspace(data: Path) -> Workspace:
    opened = Workspace.open(data)
    yield opened
    opened.close()


def state(workspace: Workspace, row: int) -> tuple[str | None, str, str]:
    detail = workspace.row_detail(row)
    return detail.final_label, detail.action, ";".join(detail.tags)


def test_opening_creates_the_project_beside_the_data(data: Path) -> None:
    with Workspace.open(data) as workspace:
        assert workspace.project_path == data.with_suffix(".labeltui")
        assert workspace.project_path.exists()
        assert workspace.notice is None
        assert workspace.n_rows == len(ROWS)
        assert workspace.labels == ("card_arrival", "refund")


def test_window_has_the_state_columns_in_order(workspace: Workspace) -> None:
    window = workspace.view(ViewQuery()).window(1, 2)

    assert tuple(window.columns) == STATE_COLUMNS
    assert window.schema["row"] == pl.UInt32
    assert window.schema["suggested_confidence"] == pl.Float32
    assert window.schema["near_duplicate_cluster"] == pl.Int32
    assert window["row"].to_list() == [1, 2]
    assert window["given_label"].to_list() == ["card_arrival", None]
    assert window["action"].to_list() == ["none", "none"]
    assert window["tags"].to_list() == ["", ""]


def test_label_action_and_its_undo_and_redo(workspace: Workspace) -> None:
    workspace.apply(Action("label", (2,), label="card_arrival"))
    assert state(workspace, 2) == ("card_arrival", "label", "")

    undone = workspace.undo()
    assert undone == Action("label", (2,), label="card_arrival")
    assert state(workspace, 2) == (None, "none", "")

    redone = workspace.redo()
    assert redone == undone
    assert state(workspace, 2) == ("card_arrival", "label", "")


def test_a_new_label_becomes_known(workspace: Workspace) -> None:
    workspace.apply(Action("label", (5,), label="  cancel_transfer "))

    assert state(workspace, 5)[0] == "cancel_transfer"
    assert "cancel_transfer" in workspace.labels


def test_keep_skips_unlabeled_rows_and_undoes(workspace: Workspace) -> None:
    workspace.apply(Action("keep", (0, 2)))

    assert state(workspace, 0) == ("refund", "keep", "")
    assert state(workspace, 2) == (None, "none", "")

    assert workspace.undo() == Action("keep", (0,))
    assert state(workspace, 0) == (None, "none", "")


def test_exclude_clears_the_final_label_and_undo_restores_it(
    workspace: Workspace,
) -> None:
    workspace.apply(Action("label", (1,), label="refund"))
    workspace.apply(Action("exclude", (1,)))
    assert state(workspace, 1) == (None, "exclude", "")
    assert workspace.training_labels()[1] is None

    workspace.undo()
    assert state(workspace, 1) == ("refund", "label", "")
    assert workspace.training_labels()[1] == "refund"


def test_tag_and_untag_keep_other_tags(workspace: Workspace) -> None:
    workspace.apply(Action("tag", (0, 3), tag=NEEDS_REVIEW))
    workspace.apply(Action("tag", (3,), tag="odd"))
    workspace.apply(Action("untag", (0, 3), tag=NEEDS_REVIEW))
    assert state(workspace, 0) == (None, "none", "")
    assert state(workspace, 3) == (None, "none", "odd")

    workspace.undo()
    assert state(workspace, 3) == (None, "none", "needs_review;odd")
    window = workspace.view(ViewQuery(flags=frozenset({"needs_review"}))).window(0, 9)
    assert window["row"].to_list() == [0, 3]
    assert window["tags"].to_list() == ["needs_review", "needs_review;odd"]


def test_tags_cannot_be_empty_or_hold_the_separator(workspace: Workspace) -> None:
    with pytest.raises(UserError):
        workspace.apply(Action("tag", (0,), tag=" "))
    with pytest.raises(UserError):
        workspace.apply(Action("tag", (0,), tag="a;b"))
    with pytest.raises(UserError):
        workspace.apply(Action("label", (0,), label=""))
    assert workspace.undo() is None


def test_a_batch_action_is_one_undo_step(workspace: Workspace) -> None:
    workspace.apply(Action("label", (0,), label="card_arrival"))
    workspace.apply(Action("label", (0, 1, 2, 3), label="refund"))

    workspace.undo()

    assert [state(workspace, row)[0] for row in range(4)] == [
        "card_arrival",
        None,
        None,
        None,
    ]
    assert state(workspace, 0)[1] == "label"


def test_a_new_action_drops_the_redo_history(workspace: Workspace) -> None:
    workspace.apply(Action("label", (0,), label="refund"))
    workspace.undo()
    workspace.apply(Action("exclude", (1,)))

    assert workspace.redo() is None
    assert state(workspace, 0) == (None, "none", "")


def test_undo_with_nothing_to_undo(workspace: Workspace) -> None:
    assert workspace.undo() is None
    assert workspace.redo() is None


def test_undo_after_reopening_undoes_the_last_action_of_the_session(
    data: Path,
) -> None:
    with Workspace.open(data) as workspace:
        workspace.apply(Action("label", (2,), label="card_arrival"))
        workspace.apply(Action("tag", (2, 5), tag=NEEDS_REVIEW))
        workspace.apply(Action("label", (5,), label="new_label"))

    with Workspace.open(data) as workspace:
        assert state(workspace, 5) == ("new_label", "label", "needs_review")
        assert "new_label" in workspace.labels
        assert workspace.undo() == Action("label", (5,), label="new_label")
        assert workspace.undo() == Action("tag", (2, 5), tag=NEEDS_REVIEW)

    with Workspace.open(data) as workspace:
        assert state(workspace, 2) == ("card_arrival", "label", "")
        assert state(workspace, 5) == (None, "none", "")
        assert workspace.redo() == Action("tag", (2, 5), tag=NEEDS_REVIEW)
        assert state(workspace, 5) == (None, "none", "needs_review")


def test_training_labels_prefer_the_final_label(workspace: Workspace) -> None:
    workspace.apply(Action("label", (0, 2), label="card_arrival"))
    workspace.apply(Action("exclude", (3,)))

    assert workspace.training_labels().to_list() == [
        "card_arrival",
        "card_arrival",
        "card_arrival",
        None,
        "card_arrival",
        None,
    ]


def test_filters_combine(workspace: Workspace) -> None:
    workspace.apply(Action("label", (2,), label="card_arrival"))

    def rows(**query: object) -> list[int]:
        view = workspace.view(ViewQuery(**query))  # type: ignore[arg-type]
        return view.row_ids.tolist()

    assert rows(flags=frozenset({"unlabeled"})) == [2, 5]
    assert rows(flags=frozenset({"unlabeled", "unresolved"})) == [5]
    assert rows(flags=frozenset({"labeled", "resolved"})) == []
    assert rows(given_label="refund") == [0, 3]
    assert rows(final_label="card_arrival") == [2]
    assert rows(given_label="no such label") == []
    assert rows(search="card") == [0, 1, 2, 4]
    assert rows(search="CARD", given_label="card_arrival") == [1, 4]


def test_sort_by_text_and_position_of(workspace: Workspace) -> None:
    view = workspace.view(ViewQuery(sort="text"))

    texts = view.window(0, 10)["text"].to_list()
    assert texts == sorted(text for text, _ in ROWS)
    assert view.position_of(4) == texts.index("The CARD never came")
    assert workspace.view(ViewQuery(search="money")).position_of(0) is None


def test_filter_counts_add_each_flag_to_the_query(workspace: Workspace) -> None:
    workspace.apply(Action("keep", (0,)))
    workspace.apply(Action("tag", (0, 5), tag=NEEDS_REVIEW))

    counts = workspace.filter_counts(ViewQuery(search="card"))

    assert set(counts) == {"all", *FLAGS}
    assert counts["all"] == 4
    assert counts["unlabeled"] == 1
    assert counts["labeled"] == 3
    assert counts["resolved"] == 1
    assert counts["unresolved"] == 3
    assert counts["needs_review"] == 1


def test_window_reflects_actions_taken_after_the_view(workspace: Workspace) -> None:
    view = workspace.view(ViewQuery(flags=frozenset({"unresolved"})))
    workspace.apply(Action("label", (view.row_ids[0],), label="refund"))

    first = view.window(0, 1)
    assert first["final_label"].to_list() == ["refund"]
    assert first["action"].to_list() == ["label"]


def test_out_of_range_rows_are_refused(workspace: Workspace) -> None:
    with pytest.raises(ValueError):
        workspace.apply(Action("exclude", (len(ROWS),)))
    with pytest.raises(ValueError):
        workspace.row_detail(-1)
    with pytest.raises(ValueError):
        workspace.view(ViewQuery(sort="colour"))


def test_state_frame_covers_every_row(workspace: Workspace) -> None:
    frame = workspace.state_frame()

    assert frame.height == len(ROWS)
    assert frame["row"].to_list() == list(range(len(ROWS)))
    assert np.array_equal(
        workspace.view(ViewQuery(sort="-confidence")).row_ids, np.arange(len(ROWS))
    )


def test_a_window_past_the_end_is_empty_with_the_same_columns(
    workspace: Workspace,
) -> None:
    view = workspace.view(ViewQuery(search="no text has this"))

    assert view.height == len(view) == 0
    window = view.window(0, 50)
    assert window.height == 0
    last = workspace.view(ViewQuery()).window(len(ROWS) - 1, 50)
    assert last.height == 1
    assert window.schema == last.schema


def test_search_narrows_and_widens_as_the_needle_changes(
    workspace: Workspace,
) -> None:
    def found(search: str) -> list[int]:
        return workspace.view(ViewQuery(search=search)).row_ids.tolist()

    assert found("ca") == [0, 1, 2, 4, 5]
    assert found("car") == [0, 1, 2, 4]
    assert found("card h") == [2]
    assert found("card") == [0, 1, 2, 4]
    assert found("CANCEL") == [5]
    assert workspace.filter_counts(ViewQuery(search="cancel"))["all"] == 1
    # Few enough matches that the longer needles search only them.
    assert found("cancel the") == [5]
    assert found("cancel thx") == []
    assert found("the") == [4, 5]
