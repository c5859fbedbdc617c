"""The workspace with an analysis: suggestions, scores, auto-fix, the cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from labeltui.core.workspace import Action, ViewQuery, Workspace

# TODO: these tests skip until labeltui/core/analysis.py (the analysis issue)
# lands; they build an AnalysisResult through its contract constructor.
analysis = pytest.importorskip("labeltui.core.analysis")

TEXTS = [
    "Refund my card payment",
    "Where is my new card?",
    "card has not arrived yet",
    "I want my money back",
    "Where is my new card??",
    "what is this",
]
GIVEN = ["refund", "card_arrival", "", "refund", "card_arrival", ""]
CLASSES = ("card_arrival", "refund")
# Per row: the suggested class id and its confidence; the other class gets the rest.
SUGGESTED = [1, 0, 0, 0, 0, 1]
CONFIDENCE = [0.9, 0.8, 0.6, 0.55, 0.95, 0.51]
NAN = float("nan")
LABEL_QUALITY = [0.9, 0.8, NAN, 0.1, 0.95, NAN]
OUTLIER_SCORE = [0.5, 0.4, 0.3, 0.2, 0.1, 0.05]
CLUSTER = [-1, 0, -1, -1, 0, -1]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "tickets.csv"
    pl.DataFrame({"text": TEXTS, "label": GIVEN}).write_csv(path)
    return path


@pytest.fixture
def workspace(data: Path) -> Workspace:
    opened = Workspace.open(data)
    opened.set_analysis(build_result(opened))
    yield opened
    opened.close()


def build_result(
    workspace: Workspace, *, classes: tuple[str, ...] = CLASSES, k: int = 2
) -> Any:
    suggested = np.array(SUGGESTED, dtype=np.int32)
    confidence = np.array(CONFIDENCE, dtype=np.float32)
    top_classes = np.stack([suggested, 1 - suggested], axis=1)[:, :k]
    top_probabilities = np.stack([confidence, 1 - confidence], axis=1)[:, :k]
    quality = np.array(LABEL_QUALITY, dtype=np.float32)
    return analysis.AnalysisResult(
        classes=classes,
        top_classes=np.ascontiguousarray(top_classes, dtype=np.int32),
        top_probabilities=np.ascontiguousarray(top_probabilities, dtype=np.float32),
        label_quality=quality,
        is_label_issue=np.nan_to_num(quality, nan=1.0) < 0.5,
        outlier_score=np.array(OUTLIER_SCORE, dtype=np.float32),
        is_outlier=np.array(OUTLIER_SCORE) < 0.1,
        near_duplicate_cluster=np.array(CLUSTER, dtype=np.int32),
        is_ambiguous=np.abs(2 * confidence - 1) < 0.05,
        cv_accuracy=0.75,
        notes=(),
        input_key=analysis.input_key(
            workspace.dataset.texts, workspace.training_labels()
        ),
        seconds=0.1,
    )


def rows(workspace: Workspace, **query: Any) -> list[int]:
    return workspace.view(ViewQuery(**query)).row_ids.tolist()


def test_windows_show_the_suggestions_and_scores(workspace: Workspace) -> None:
    window = workspace.view(ViewQuery()).window(0, 6)

    assert window["suggested_label"].to_list() == [CLASSES[s] for s in SUGGESTED]
    assert window["suggested_confidence"].to_list() == pytest.approx(CONFIDENCE)
    assert window["label_quality"].null_count() == 2
    assert (
        window["is_label_issue"].to_list() == [False, False, False, True] + [False] * 2
    )
    assert window["near_duplicate_cluster"].to_list() == [None, 0, None, None, 0, None]
    assert window["is_ambiguous"].to_list() == [False] * 5 + [True]


def test_auto_fix_applies_the_suggestion_and_undoes(workspace: Workspace) -> None:
    workspace.apply(Action("auto_fix", (2, 3)))

    details = [workspace.row_detail(row) for row in (2, 3)]
    assert [(d.final_label, d.action) for d in details] == [
        ("card_arrival", "auto_fix"),
        ("card_arrival", "auto_fix"),
    ]
    assert workspace.training_labels()[3] == "card_arrival"

    assert workspace.undo() == Action("auto_fix", (2, 3))
    assert workspace.row_detail(3).final_label is None
    assert workspace.row_detail(3).action == "none"


def test_auto_fix_without_suggestions_changes_nothing(data: Path) -> None:
    with Workspace.open(data) as workspace:
        workspace.set_analysis(build_result(workspace, k=0))
        assert workspace.row_detail(0).suggestion is None

        workspace.apply(Action("auto_fix", (0, 1)))

        assert workspace.row_detail(0).action == "none"
        assert workspace.undo() is None
        assert rows(workspace, min_confidence=0.0) == []


def test_sorts_put_rows_without_a_score_last(workspace: Workspace) -> None:
    assert rows(workspace, sort="confidence") == [5, 3, 2, 1, 0, 4]
    assert rows(workspace, sort="-confidence") == [4, 0, 1, 2, 3, 5]
    assert rows(workspace, sort="label_quality") == [3, 1, 0, 4, 2, 5]
    assert rows(workspace, sort="outlier_score") == [5, 4, 3, 2, 1, 0]


def test_analysis_flags_and_filters(workspace: Workspace) -> None:
    assert rows(workspace, flags=frozenset({"label_issue"})) == [3]
    assert rows(workspace, flags=frozenset({"near_duplicate"})) == [1, 4]
    assert rows(workspace, flags=frozenset({"outlier", "ambiguous"})) == [5]
    assert rows(workspace, suggested_label="refund") == [0, 5]
    assert rows(workspace, min_confidence=0.55, max_confidence=0.8) == [1, 2, 3]

    counts = workspace.filter_counts(ViewQuery(flags=frozenset({"labeled"})))
    assert counts["all"] == 4
    assert counts["label_issue"] == 1
    assert counts["near_duplicate"] == 2
    assert counts["outlier"] == 0


def test_row_detail_lists_the_top_labels(workspace: Workspace) -> None:
    detail = workspace.row_detail(3)

    assert detail.suggestion == "card_arrival"
    assert detail.confidence == pytest.approx(0.55)
    assert [name for name, _ in detail.top_labels] == ["card_arrival", "refund"]
    assert [p for _, p in detail.top_labels] == pytest.approx([0.55, 0.45])
    assert {"label_issue", "labeled", "unresolved"} <= detail.flags


def test_the_analysis_is_cached_across_reopening(data: Path) -> None:
    with Workspace.open(data) as workspace:
        workspace.set_analysis(build_result(workspace))

    with Workspace.open(data) as workspace:
        assert workspace.analysis is not None
        assert workspace.analysis_is_current()
        assert rows(workspace, flags=frozenset({"label_issue"})) == [3]

        workspace.apply(Action("label", (3,), label="card_arrival"))
        assert not workspace.analysis_is_current()
        workspace.undo()
        assert workspace.analysis_is_current()

        workspace.apply(Action("tag", (3,), tag="odd"))
        assert workspace.analysis_is_current()


def test_analysis_classes_become_known_labels(data: Path) -> None:
    with Workspace.open(data) as workspace:
        workspace.set_analysis(build_result(workspace, classes=("card_arrival", "x")))

        assert "x" in workspace.labels
        assert workspace.row_detail(0).suggestion == "x"


def test_an_analysis_of_other_data_is_refused(data: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    pl.DataFrame({"text": TEXTS[:3], "label": GIVEN[:3]}).write_csv(other)
    with Workspace.open(data) as workspace:
        result = build_result(workspace)
    with Workspace.open(other) as workspace, pytest.raises(ValueError):
        workspace.set_analysis(result)


@pytest.mark.parametrize(
    "action",
    [
        Action("label", (0, 1, 2, 3, 4, 5), label="refund"),
        Action("auto_fix", (0, 1, 2, 3, 4, 5)),
        Action("keep", (0, 1, 2, 3, 4, 5)),
        Action("exclude", (0, 1, 2, 3, 4, 5)),
        Action("tag", (0, 1, 2, 3, 4, 5), tag="needs_review"),
        Action("untag", (0, 1, 2, 3, 4, 5), tag="needs_review"),
    ],
    ids=lambda action: action.kind,
)
def test_every_action_undoes_and_redoes_exactly(
    workspace: Workspace, action: Action
) -> None:
    workspace.apply(Action("label", (0, 2), label="card_arrival"))
    workspace.apply(Action("tag", (0, 5), tag="needs_review"))
    workspace.apply(Action("tag", (5,), tag="odd"))
    workspace.apply(Action("exclude", (3,)))
    before = workspace.state_frame()

    workspace.apply(action)
    after = workspace.state_frame()
    assert not after.equals(before)

    assert workspace.undo() is not None
    assert workspace.state_frame().equals(before)
    assert workspace.redo() is not None
    assert workspace.state_frame().equals(after)
