"""The analysis: suggestions, label issues, outliers, near duplicates, ambiguity.

`analyze` takes the text and the training label of every row and returns an
AnalysisResult. The steps live in their own modules: features.py (TF-IDF and a
compact embedding), model.py (cross-validated, calibrated logistic regression),
neighbours.py (outliers and near duplicates); label issues come from cleanlab
on the out-of-fold probabilities. scikit-learn and cleanlab are imported inside
`analyze`, so importing this module is cheap.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
import polars as pl

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, float], None]

# Bumped whenever the analysis changes what it computes, so that results cached
# by an older version are not mistaken for current ones.
ANALYSIS_VERSION = 1

# The resolver offers the nine most likely labels on keys 1 to 9.
TOP_K = 9

# A row is ambiguous when its two most likely labels are closer than this in
# calibrated probability: a coin toss between them, whichever one is shown.
AMBIGUOUS_MARGIN = 0.1

# BLAS threads used during a run (see analyze).
BLAS_THREADS = 1

# The fraction of the whole run each step is expected to take, for progress.
_FEATURES_DONE = 0.3
_OUTLIERS_DONE = 0.35
_NEAR_DUPLICATES_DONE = 0.45
_MODEL_DONE = 0.9

_MAGIC = b"LTAR"  # labeltui analysis result, followed by a JSON header


class AnalysisCancelled(Exception):
    """The run was cancelled through its cancel event."""


@dataclass(frozen=True)
class AnalysisResult:
    """What the analysis found about every row.

    A class id is an index into `classes`. Arrays have one entry per row, in row
    order. See DESIGN.md ("analyze output") for the meaning of each column.
    """

    classes: tuple[str, ...]
    top_classes: np.ndarray
    top_probabilities: np.ndarray
    label_quality: np.ndarray
    is_label_issue: np.ndarray
    outlier_score: np.ndarray
    is_outlier: np.ndarray
    near_duplicate_cluster: np.ndarray
    is_ambiguous: np.ndarray
    cv_accuracy: float | None
    notes: tuple[str, ...]
    input_key: str
    seconds: float

    @property
    def n_rows(self) -> int:
        """The number of rows analysed."""
        return len(self.label_quality)

    @property
    def suggested_label(self) -> pl.Series:
        """The most likely label of every row; null when there is no model."""
        if self.top_classes.shape[1] == 0:
            return pl.Series("suggested_label", [None] * self.n_rows, dtype=pl.String)
        names = pl.Series("names", self.classes, dtype=pl.String)
        return names.gather(self.top_classes[:, 0]).rename("suggested_label")

    @property
    def suggested_confidence(self) -> np.ndarray:
        """The probability of the suggestion; NaN when there is no model."""
        if self.top_probabilities.shape[1] == 0:
            return np.full(self.n_rows, np.nan, dtype=np.float32)
        return self.top_probabilities[:, 0].copy()

    def to_frame(self, given_labels: pl.Series) -> pl.DataFrame:
        """The analyze output of DESIGN.md: one row per row, in row order.

        Args:
            given_labels: The given label of every row (null when unlabeled).
        """
        cluster = self.near_duplicate_cluster
        return pl.DataFrame(
            [
                pl.Series("row", np.arange(self.n_rows, dtype=np.uint32)),
                given_labels.cast(pl.String).rename("given_label"),
                self.suggested_label,
                pl.Series("suggested_confidence", self.suggested_confidence).fill_nan(
                    None
                ),
                pl.Series("is_label_issue", self.is_label_issue),
                pl.Series("label_quality", self.label_quality).fill_nan(None),
                pl.Series("is_outlier", self.is_outlier),
                pl.Series("outlier_score", self.outlier_score),
                pl.Series("near_duplicate_cluster", cluster).set(
                    pl.Series(cluster < 0), None
                ),
                pl.Series("is_ambiguous", self.is_ambiguous),
            ]
        )

    def to_bytes(self) -> bytes:
        """Serialise: a JSON header, then each array's raw bytes."""
        meta: dict[str, object] = {}
        arrays: list[np.ndarray] = []
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, np.ndarray):
                contiguous = np.ascontiguousarray(value)
                meta[item.name] = {
                    "dtype": contiguous.dtype.str,
                    "shape": list(contiguous.shape),
                }
                arrays.append(contiguous)
            else:
                meta[item.name] = list(value) if isinstance(value, tuple) else value
        header = json.dumps(meta).encode("utf-8")
        buffer = io.BytesIO()
        buffer.write(_MAGIC)
        buffer.write(len(header).to_bytes(8, "little"))
        buffer.write(header)
        for array in arrays:
            if array.size:  # memoryview cannot cast an empty (k == 0) array
                buffer.write(array.data)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> AnalysisResult:
        """Load a result written by to_bytes.

        Raises:
            ValueError: The bytes are not an analysis result.
        """
        if data[:4] != _MAGIC:
            raise ValueError("not a labeltui analysis result")
        length = int.from_bytes(data[4:12], "little")
        meta = json.loads(data[12 : 12 + length].decode("utf-8"))
        offset = 12 + length
        values: dict[str, object] = {}
        for item in fields(cls):
            value = meta[item.name]
            if isinstance(value, dict):
                dtype = np.dtype(value["dtype"])
                shape = tuple(value["shape"])
                count = int(np.prod(shape))
                array = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
                values[item.name] = array.reshape(shape).copy()
                offset += count * dtype.itemsize
            elif isinstance(value, list):
                values[item.name] = tuple(value)
            else:
                values[item.name] = value
        return cls(**values)  # type: ignore[arg-type]


def input_key(texts: pl.Series, labels: pl.Series) -> str:
    """A hash of the texts and labels, to tell whether a cached result is current.

    Args:
        texts: The text of every row.
        labels: The training label of every row, null where unlabeled.
    """
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"labeltui-analysis-{ANALYSIS_VERSION}".encode())
    for series in (texts, labels):
        strings = series.cast(pl.String)
        # Lengths (with -1 for null) make the joined bytes unambiguous.
        lengths = strings.str.len_bytes().fill_null(-1).cast(pl.Int64).to_numpy()
        digest.update(len(lengths).to_bytes(8, "little"))
        digest.update(lengths.tobytes())
        joined = strings.drop_nulls().str.join("")
        digest.update(joined.item().encode("utf-8") if len(joined) else b"")
    return digest.hexdigest()


def analyze(
    texts: pl.Series,
    labels: pl.Series,
    *,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    random_state: int = 0,
) -> AnalysisResult:
    """Analyse every row: suggestion, label quality, outlier, near duplicates.

    Args:
        texts: The text of every row.
        labels: The training label of every row, null where unlabeled (and
            where the person excluded the row).
        progress: Called with a step description and the fraction of the run
            done, 0 to 1.
        cancel: When set, the run stops soon and AnalysisCancelled is raised.
        random_state: Seed of every random choice; the same inputs and seed
            give the same result.

    Returns:
        The result.

    Raises:
        AnalysisCancelled: cancel was set.
    """
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    from threadpoolctl import threadpool_limits

    # The model stack (scikit-learn with SciPy, cleanlab with pandas) takes
    # about 2.5 s to import, most of a 10,000-row run. It loads in the
    # background while the features, outliers and near duplicates are computed
    # with numpy, SciPy's sparse matrices and polars.
    loader = _ModelStackLoader()
    loader.start()

    # One BLAS thread: the products here are small, and threaded BLAS on a busy
    # two-core machine ran the classifier six times slower than a single thread.
    # threadpool_limits only reaches libraries loaded when it is entered, so it
    # is entered again once the model stack (with SciPy's BLAS) has loaded.
    with contextlib.ExitStack() as limits:
        limits.enter_context(threadpool_limits(limits=BLAS_THREADS))

        def model_stack_ready(*, stage: str) -> None:
            if stage == "classifier":
                loader.wait_for_classifier()
            else:
                loader.wait()
            limits.enter_context(threadpool_limits(limits=BLAS_THREADS))

        return _analyze(
            texts,
            labels,
            progress=progress,
            cancel=cancel,
            random_state=random_state,
            model_stack_ready=model_stack_ready,
        )


def _analyze(
    texts: pl.Series,
    labels: pl.Series,
    *,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
    random_state: int,
    model_stack_ready: Callable[..., None],
) -> AnalysisResult:
    from labeltui.core.features import FeaturesCancelled, text_features
    from labeltui.core.label_issues import describe_labels, label_issues
    from labeltui.core.model import ModelCancelled, fit_and_predict
    from labeltui.core.neighbours import (
        NeighboursCancelled,
        near_duplicate_clusters,
        outlier_scores,
    )

    started = time.perf_counter()

    def report(step: str, fraction: float) -> None:
        if cancel is not None and cancel.is_set():
            raise AnalysisCancelled
        if progress is not None:
            progress(step, fraction)

    texts = texts.cast(pl.String).fill_null("")
    labels = labels.cast(pl.String)
    key = input_key(texts, labels)
    n_rows = len(texts)
    report("reading the text", 0.0)

    def feature_progress(step: str, fraction: float) -> None:
        report(f"reading the text: {step}", _FEATURES_DONE * fraction)

    try:
        features = text_features(
            texts.to_list(),
            random_state=random_state,
            cancel=cancel,
            progress=feature_progress,
        )
    except FeaturesCancelled as cancelled:
        raise AnalysisCancelled from cancelled

    report("scoring outliers", _FEATURES_DONE)
    try:
        outlier_score, is_outlier = outlier_scores(
            features.embedding,
            random_state=random_state,
            cancel=cancel,
            progress=_Span(report, "scoring outliers", _FEATURES_DONE, _OUTLIERS_DONE),
        )
        report("finding near duplicates", _OUTLIERS_DONE)
        clusters = near_duplicate_clusters(
            texts,
            features.tfidf,
            features.embedding,
            random_state=random_state,
            cancel=cancel,
            progress=_Span(
                report,
                "finding near duplicates",
                _OUTLIERS_DONE,
                _NEAR_DUPLICATES_DONE,
            ),
        )
    except NeighboursCancelled as cancelled:
        raise AnalysisCancelled from cancelled
    # Only the embedding is needed from here on: let the TF-IDF matrix go (over
    # a gigabyte on a million rows) before the model is trained.
    embedding = features.embedding
    del features

    classes = tuple(sorted(labels.drop_nulls().unique().to_list()))
    class_of = {name: i for i, name in enumerate(classes)}
    y = np.asarray(
        labels.replace_strict(class_of, default=-1, return_dtype=pl.Int64).to_numpy(),
        dtype=np.int64,
    )
    notes = describe_labels(classes, y)

    label_quality = np.full(n_rows, np.nan, dtype=np.float32)
    is_label_issue = np.zeros(n_rows, dtype=bool)
    top_classes = np.zeros((n_rows, 0), dtype=np.int32)
    top_probabilities = np.zeros((n_rows, 0), dtype=np.float32)
    cv_accuracy = None
    has_words = embedding.shape[1] > 0
    if not has_words:
        notes.append("no row has any text to learn from: no suggestions")
    if has_words and _can_train(y, len(classes)):
        report("training the model", _NEAR_DUPLICATES_DONE)
        model_stack_ready(stage="classifier")

        def model_progress(step: str, fraction: float) -> None:
            span = _MODEL_DONE - _NEAR_DUPLICATES_DONE
            report(step, _NEAR_DUPLICATES_DONE + span * fraction)

        try:
            model = fit_and_predict(
                embedding,
                y,
                len(classes),
                top_k=min(TOP_K, len(classes)),
                random_state=random_state,
                cancel=cancel,
                progress=model_progress,
            )
        except ModelCancelled as cancelled:
            raise AnalysisCancelled from cancelled
        top_classes = model.top_classes
        top_probabilities = model.top_probabilities
        cv_accuracy = model.cv_accuracy
        if model.checked.any():
            report("finding label issues", _MODEL_DONE)
            model_stack_ready(stage="label issues")
            quality, issues = label_issues(y[model.checked], model.given_probabilities)
            label_quality[model.checked] = quality
            is_label_issue[model.checked] = issues
        else:
            notes.append(
                "too few labeled rows per class to cross-validate: given labels "
                "are not checked, confidences are not calibrated, and labeled "
                "rows are scored by a model that has seen their labels"
            )
        unchecked = (y >= 0) & ~model.checked
        if model.checked.any() and unchecked.any():
            count = int(unchecked.sum())
            notes.append(
                "1 labeled row is the only one of its class: its label is not checked"
                if count == 1
                else f"{count} labeled rows are the only ones of their classes: "
                "their labels are not checked"
            )

    is_ambiguous = np.zeros(n_rows, dtype=bool)
    if top_probabilities.shape[1] >= 2:
        margin = top_probabilities[:, 0] - top_probabilities[:, 1]
        is_ambiguous = margin < AMBIGUOUS_MARGIN

    seconds = time.perf_counter() - started
    report("done", 1.0)
    for note in notes:
        log.info("analysis note: %s", note)
    return AnalysisResult(
        classes=classes,
        top_classes=top_classes,
        top_probabilities=top_probabilities,
        label_quality=label_quality,
        is_label_issue=is_label_issue,
        outlier_score=outlier_score,
        is_outlier=is_outlier,
        near_duplicate_cluster=clusters,
        is_ambiguous=is_ambiguous,
        cv_accuracy=cv_accuracy,
        notes=tuple(notes),
        input_key=key,
        seconds=seconds,
    )


# Imported in the background, in two stages: the classifier's modules first,
# so cross-validation can start while cleanlab (with pandas) is still loading.
_CLASSIFIER_MODULES = ("scipy.optimize", "sklearn.linear_model")
_LABEL_ISSUE_MODULES = ("cleanlab.filter", "cleanlab.rank")


class _ModelStackLoader(threading.Thread):
    """Imports scikit-learn, SciPy's optimisers and cleanlab in the background."""

    def __init__(self) -> None:
        super().__init__(name="labeltui-model-imports", daemon=True)
        self.error: BaseException | None = None
        self._classifier_loaded = threading.Event()

    def run(self) -> None:
        try:
            for module in _CLASSIFIER_MODULES:
                importlib.import_module(module)
            self._classifier_loaded.set()
            for module in _LABEL_ISSUE_MODULES:
                importlib.import_module(module)
        except BaseException as error:  # raised again in the analysing thread
            self.error = error
        finally:
            self._classifier_loaded.set()

    def wait_for_classifier(self) -> None:
        """Block until scikit-learn has loaded; raise what the imports raised."""
        self._classifier_loaded.wait()
        if self.error is not None:
            raise self.error

    def wait(self) -> None:
        """Block until every import is done; raise what they raised."""
        self.join()
        if self.error is not None:
            raise self.error


# Progress of a sub-step is passed on once it has moved by at least this share
# of the whole run: often enough for a progress bar, few enough calls.
_PROGRESS_STEP = 0.002


class _Span:
    """Maps a sub-step's fraction (0..1) onto its span of the whole run."""

    def __init__(
        self,
        report: Callable[[str, float], None],
        step: str,
        low: float,
        high: float,
    ) -> None:
        self._report = report
        self._step = step
        self._low = low
        self._high = high
        self._last = low

    def __call__(self, fraction: float) -> None:
        value = self._low + (self._high - self._low) * min(max(fraction, 0.0), 1.0)
        if value - self._last >= _PROGRESS_STEP:
            self._last = value
            self._report(self._step, value)


def _can_train(y: np.ndarray, n_classes: int) -> bool:
    return n_classes >= 2 and len(np.unique(y[y >= 0])) >= 2
