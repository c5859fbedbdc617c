"""The analysis engine on small generated data sets.

Each data set is built from a few topics with their own words, so that a
correct model separates them easily and a wrong label or an off-topic row
stands out.
"""

from __future__ import annotations

import threading

import numpy as np
import polars as pl
import pytest
from contracts import ANALYZE_COLUMNS

from labeltui.core.analysis import (
    AnalysisCancelled,
    AnalysisResult,
    analyze,
    input_key,
)
from labeltui.core.features import FeaturesCancelled, text_features
from labeltui.core.model import ModelCancelled
from labeltui.core.neighbours import NeighboursCancelled

# The words of each topic, space-separated.
TOPICS = {
    "billing": "invoice charge refund payment bill price fee overcharged receipt "
    "subscription discount",
    "shipping": "delivery package courier tracking parcel shipment arrive late "
    "address warehouse postage",
    "login": "password account login reset username locked sign email verification "
    "code session",
}
FILLER = "my the a is with about please help i need today again"


def sentence(rng: np.random.Generator, topic: str) -> str:
    """A short request about one topic, in random words."""
    words = [
        *rng.choice(TOPICS[topic].split(), size=5),
        *rng.choice(FILLER.split(), size=3),
    ]
    rng.shuffle(words)
    return " ".join(words)


def make_data(
    *, labeled_per_class: int = 15, unlabeled_per_class: int = 25, seed: int = 1
) -> tuple[list[str], list[str | None], list[str]]:
    """Texts, given labels (None = unlabeled) and true topics, shuffled."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, str | None, str]] = []
    for topic in TOPICS:
        for _ in range(labeled_per_class):
            rows.append((sentence(rng, topic), topic, topic))
        for _ in range(unlabeled_per_class):
            rows.append((sentence(rng, topic), None, topic))
    order = rng.permutation(len(rows))
    texts, labels, truth = zip(*(rows[i] for i in order), strict=True)
    return list(texts), list(labels), list(truth)


def run(
    texts: list[str], labels: list[str | None], **options: object
) -> AnalysisResult:
    return analyze(
        pl.Series("text", texts, dtype=pl.String),
        pl.Series("label", labels, dtype=pl.String),
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def clean() -> tuple[list[str], list[str | None], list[str], AnalysisResult]:
    texts, labels, truth = make_data()
    return texts, labels, truth, run(texts, labels)


def test_suggestions_follow_the_topics(
    clean: tuple[list[str], list[str | None], list[str], AnalysisResult],
) -> None:
    _, labels, truth, result = clean

    suggested = result.suggested_label.to_list()
    unlabeled = [i for i, label in enumerate(labels) if label is None]
    correct = np.mean([suggested[i] == truth[i] for i in unlabeled])
    assert correct > 0.9
    assert result.classes == ("billing", "login", "shipping")
    assert result.top_classes.shape == (len(labels), 3)
    assert result.cv_accuracy is not None and result.cv_accuracy > 0.9
    confidence = result.suggested_confidence
    assert np.all((confidence > 0) & (confidence <= 1))
    # Unlabeled rows have no label quality and are never label issues.
    assert np.isnan(result.label_quality[unlabeled]).all()
    assert not result.is_label_issue[unlabeled].any()


def test_a_flipped_label_is_flagged(
    clean: tuple[list[str], list[str | None], list[str], AnalysisResult],
) -> None:
    texts, labels, _, _ = clean
    flipped = next(i for i, label in enumerate(labels) if label == "billing")
    labels = list(labels)
    labels[flipped] = "shipping"

    result = run(texts, labels)

    assert result.is_label_issue[flipped]
    assert result.suggested_label[flipped] == "billing"
    assert np.nanargmin(result.label_quality) == flipped
    # A clean data set apart from that row: hardly any other row is flagged.
    assert result.is_label_issue.sum() <= 3


def test_a_row_never_scores_its_own_label() -> None:
    # Texts carry no signal and labels are coin flips: a model that had seen a
    # row's label while scoring it would agree with nearly every given label;
    # honest out-of-fold scores agree about half the time.
    rng = np.random.default_rng(7)
    words = [f"word{i}" for i in range(40)]
    texts = [" ".join(rng.choice(words, size=8)) for _ in range(120)]
    labels = [str(label) for label in rng.choice(["yes", "no"], size=120)]

    result = run(texts, labels)

    agreement = np.mean(np.asarray(result.suggested_label.to_list()) == labels)
    assert agreement < 0.7
    assert result.cv_accuracy is not None and result.cv_accuracy < 0.7


def test_exact_duplicates_share_a_cluster_and_unique_rows_have_none(
    clean: tuple[list[str], list[str | None], list[str], AnalysisResult],
) -> None:
    texts, labels, _, _ = clean
    texts = [
        *texts,
        "Where is my PARCEL, the courier is late!",
        "where is my parcel the courier is late",
    ]
    labels = [*labels, None, None]
    texts.append("refund invoice for my subscription discount receipt please")
    labels.append(None)

    result = run(texts, labels)

    clusters = result.near_duplicate_cluster
    assert clusters[-3] >= 0
    assert clusters[-3] == clusters[-2]
    assert np.count_nonzero(clusters == clusters[-3]) == 2
    assert clusters[-1] == -1


def test_an_off_topic_row_is_an_outlier(
    clean: tuple[list[str], list[str | None], list[str], AnalysisResult],
) -> None:
    texts, labels, _, _ = clean
    texts = [*texts, "Quantum chromodynamics describes gluons binding quarks"]
    labels = [*labels, None]

    result = run(texts, labels)

    assert result.is_outlier[-1]
    assert np.argmin(result.outlier_score) == len(texts) - 1
    assert result.is_outlier.sum() <= 3
    assert np.all((result.outlier_score >= 0) & (result.outlier_score <= 1))


def test_no_labels_still_gives_outliers_and_duplicates() -> None:
    texts, _, _ = make_data()
    texts = [*texts, texts[0]]

    result = run(texts, [None] * len(texts))
    loaded = AnalysisResult.from_bytes(result.to_bytes())

    assert result.top_classes.shape == (len(texts), 0)
    assert result.suggested_label.null_count() == len(texts)
    assert np.isnan(result.suggested_confidence).all()
    assert result.cv_accuracy is None
    assert any("no labeled rows" in note for note in result.notes)
    assert result.near_duplicate_cluster[0] == result.near_duplicate_cluster[-1] >= 0
    assert not result.is_label_issue.any()
    assert not result.is_ambiguous.any()
    assert loaded.top_classes.shape == (len(texts), 0)
    np.testing.assert_array_equal(loaded.outlier_score, result.outlier_score)


def test_a_single_labeled_class_gives_no_suggestions_and_says_why() -> None:
    texts, labels, _ = make_data()
    labels = ["billing" if label == "billing" else None for label in labels]

    result = run(texts, labels)

    assert result.classes == ("billing",)
    assert result.top_classes.shape[1] == 0
    assert any("only one class" in note for note in result.notes)
    assert np.isnan(result.label_quality).all()


def test_one_labeled_row_per_class_suggests_but_checks_no_labels() -> None:
    texts, labels, _ = make_data()
    firsts: dict[str, int] = {}
    for i, label in enumerate(labels):
        if label is not None:
            firsts.setdefault(label, i)
    labels = [
        label if firsts.get(label or "") == i else None
        for i, label in enumerate(labels)
    ]

    result = run(texts, labels)

    assert result.top_classes.shape[1] == 3
    assert result.cv_accuracy is None
    assert np.isnan(result.label_quality).all()
    assert any("not checked" in note for note in result.notes)


def test_a_class_smaller_than_the_folds_is_handled() -> None:
    texts, labels, truth = make_data()
    # keep only three labeled "login" rows
    seen = 0
    for i, label in enumerate(labels):
        if label == "login":
            seen += 1
            if seen > 3:
                labels[i] = None

    result = run(texts, labels)

    login_rows = [i for i, label in enumerate(labels) if label == "login"]
    assert not np.isnan(result.label_quality[login_rows]).any()
    unlabeled = [i for i, label in enumerate(labels) if label is None]
    suggested = result.suggested_label.to_list()
    assert np.mean([suggested[i] == truth[i] for i in unlabeled]) > 0.8


def test_hundreds_of_classes_keep_nine_suggestions() -> None:
    rng = np.random.default_rng(3)
    texts, labels = [], []
    for c in range(200):
        words = [f"c{c}w{j}" for j in range(6)]
        for _ in range(3):
            texts.append(" ".join(rng.choice(words, size=4)))
            labels.append(f"class{c:03d}")

    result = run(texts, labels)

    assert len(result.classes) == 200
    assert result.top_classes.shape == (600, 9)
    assert result.top_probabilities.shape == (600, 9)
    assert np.all(np.diff(result.top_probabilities, axis=1) <= 1e-6)
    assert result.cv_accuracy is not None and result.cv_accuracy > 0.8


def test_cancel_stops_the_run_promptly() -> None:
    texts, labels, _ = make_data()
    cancel = threading.Event()
    seen: list[float] = []

    def progress(_step: str, fraction: float) -> None:
        seen.append(fraction)
        if fraction > 0.3:
            cancel.set()

    with pytest.raises(AnalysisCancelled):
        run(texts, labels, progress=progress, cancel=cancel)

    # The run stopped at the first step after the event was set.
    assert sum(fraction > 0.3 for fraction in seen) == 1
    assert seen[-1] < 1.0


def _fractions(texts: list[str], labels: list[str | None]) -> list[float]:
    fractions: list[float] = []
    run(texts, labels, progress=lambda _step, fraction: fractions.append(fraction))
    return fractions


def test_a_cancel_set_before_the_start_stops_at_once() -> None:
    texts, labels, _ = make_data()
    cancel = threading.Event()
    cancel.set()
    steps: list[str] = []

    with pytest.raises(AnalysisCancelled):
        run(texts, labels, cancel=cancel, progress=lambda step, _f: steps.append(step))

    assert steps == []


def test_progress_rises_from_zero_to_one(
    clean: tuple[list[str], list[str | None], list[str], AnalysisResult],
) -> None:
    texts, labels, _, _ = clean

    fractions = _fractions(texts, labels)

    assert fractions[0] == 0.0
    assert fractions[-1] == 1.0
    assert fractions == sorted(fractions)


def test_bytes_round_trip_keeps_everything(
    clean: tuple[list[str], list[str | None], list[str], AnalysisResult],
) -> None:
    result = clean[3]

    loaded = AnalysisResult.from_bytes(result.to_bytes())

    for name in result.__dataclass_fields__:
        original, copy = getattr(result, name), getattr(loaded, name)
        if isinstance(original, np.ndarray):
            assert copy.dtype == original.dtype
            np.testing.assert_array_equal(copy, original)
        else:
            assert copy == original
    with pytest.raises(ValueError):
        AnalysisResult.from_bytes(b"not an analysis")


def test_the_same_input_gives_the_same_result(
    clean: tuple[list[str], list[str | None], list[str], AnalysisResult],
) -> None:
    texts, labels, _, first = clean

    second = run(texts, labels)

    assert second.input_key == first.input_key
    assert second.suggested_label.to_list() == first.suggested_label.to_list()
    np.testing.assert_array_equal(second.is_label_issue, first.is_label_issue)
    np.testing.assert_array_equal(
        second.near_duplicate_cluster, first.near_duplicate_cluster
    )
    np.testing.assert_allclose(second.top_probabilities, first.top_probabilities)
    np.testing.assert_allclose(second.outlier_score, first.outlier_score)


def test_input_key_changes_with_any_label_or_text() -> None:
    texts = pl.Series(["a b", "c"])
    labels = pl.Series(["x", None], dtype=pl.String)

    key = input_key(texts, labels)

    assert key == input_key(texts.clone(), labels.clone())
    assert key != input_key(texts, pl.Series(["x", "y"]))
    assert key != input_key(texts, pl.Series(["x", ""]))
    assert key != input_key(pl.Series(["a", "b c"]), labels)


def test_frame_has_the_design_columns_in_order(
    clean: tuple[list[str], list[str | None], list[str], AnalysisResult],
) -> None:
    _, labels, _, result = clean

    frame = result.to_frame(pl.Series(labels, dtype=pl.String))

    assert frame.columns == ANALYZE_COLUMNS
    assert frame["row"].to_list() == list(range(len(labels)))
    unlabeled = frame.filter(pl.col("given_label").is_null())
    assert unlabeled["label_quality"].null_count() == unlabeled.height
    assert frame["near_duplicate_cluster"].null_count() == np.count_nonzero(
        result.near_duplicate_cluster < 0
    )


def test_texts_without_any_words_give_a_note_not_a_crash() -> None:
    texts = [""] * 12
    labels = ["a", "b", None] * 4

    result = run(texts, labels)

    assert result.top_classes.shape == (12, 0)
    assert any("no row has any text" in note for note in result.notes)
    assert result.n_rows == 12


def test_a_class_with_one_labeled_row_is_neither_checked_nor_leaked() -> None:
    texts, labels, _ = make_data()
    login = [i for i, label in enumerate(labels) if label == "login"]
    for i in login[1:]:
        labels[i] = None

    result = run(texts, labels)

    assert np.isnan(result.label_quality[login[0]])
    assert not result.is_label_issue[login[0]]
    assert any("only one of its class" in note for note in result.notes)
    # Its own suggestion is out-of-fold: a model that never saw a login row.
    assert result.suggested_label[login[0]] != "login"


def _steps_until_cancel(
    texts: list[str], labels: list[str | None], step_prefix: str
) -> tuple[list[tuple[str, float]], pytest.ExceptionInfo[AnalysisCancelled]]:
    """Run, setting the cancel event when a step starting with step_prefix shows."""
    cancel = threading.Event()
    seen: list[tuple[str, float]] = []

    def progress(step: str, fraction: float) -> None:
        seen.append((step, fraction))
        if step.startswith(step_prefix):
            cancel.set()

    with pytest.raises(AnalysisCancelled) as cancelled:
        run(texts, labels, progress=progress, cancel=cancel)
    return seen, cancelled


def test_the_feature_step_reports_several_sub_steps(
    clean: tuple[list[str], list[str | None], list[str], AnalysisResult],
) -> None:
    texts, labels, _, _ = clean
    seen: list[tuple[str, float]] = []

    run(texts, labels, progress=lambda step, fraction: seen.append((step, fraction)))

    reading = [(s, f) for s, f in seen if s.startswith("reading the text: ")]
    assert len({s for s, _ in reading}) >= 5
    # The bar moves during the step, not only at its end.
    assert len({f for _, f in reading if 0 < f < 0.3}) >= 5
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0


@pytest.mark.parametrize(
    ("step_prefix", "stopped_in"),
    [
        ("reading the text: splitting words", FeaturesCancelled),
        ("reading the text: refining", FeaturesCancelled),
        ("scoring outliers", NeighboursCancelled),
        ("finding near duplicates", NeighboursCancelled),
        ("cross-validating, fold 1", ModelCancelled),
        ("fitting the final model", ModelCancelled),
    ],
)
def test_cancel_takes_effect_inside_the_step_it_was_set_in(
    step_prefix: str, stopped_in: type[Exception]
) -> None:
    texts, labels, _ = make_data()

    seen, cancelled = _steps_until_cancel(texts, labels, step_prefix)

    # The step that saw the event stopped it: nothing was reported after the
    # first report of that step, and the error came from inside the step.
    first = next(i for i, (step, _) in enumerate(seen) if step.startswith(step_prefix))
    assert len(seen) == first + 1
    assert isinstance(cancelled.value.__cause__, stopped_in)


def test_text_features_stop_when_cancelled_from_a_sub_step() -> None:
    texts, _, _ = make_data()
    cancel = threading.Event()
    seen: list[str] = []

    def progress(step: str, _fraction: float) -> None:
        seen.append(step)
        if step.startswith("weighting words"):
            cancel.set()

    with pytest.raises(FeaturesCancelled):
        text_features(texts, cancel=cancel, progress=progress)

    assert seen[-1].startswith("weighting words")
    assert not any(step.startswith("splitting") for step in seen)
