"""The classifier: cross-validated, calibrated logistic regression.

Labeled rows get out-of-fold probabilities from stratified K-fold cross
validation, so a row's own label never takes part in its score. Unlabeled rows
get probabilities from a model fitted on every labeled row. The strength of the
L2 penalty is chosen by out-of-fold Brier score, and a single temperature
fitted on the out-of-fold scores makes the confidences mean what they say.

scikit-learn is imported inside the functions so that importing this module
stays cheap.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

# Five folds train each fold model on 80% of the labeled rows: with about ten
# rows per class, fewer folds starve the fold models, more folds cost time.
MAX_FOLDS = 5

# Inverse L2 penalty strengths tried, weakest penalty last, a factor of about 3
# apart. The features are scaled to unit variance per dimension, so the range
# carries over between data sets; the winner is picked by out-of-fold Brier
# score, never fixed here.
REGULARISATION_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)

# lbfgs stops when the largest gradient entry falls below this. Probabilities
# stop moving in the third decimal well before the default 1e-4.
SOLVER_TOLERANCE = 1e-3
SOLVER_MAX_ITERATIONS = 300

# Temperatures searched when calibrating, on a log scale either side of 1.
TEMPERATURE_BOUNDS = (0.05, 20.0)

# Rows predicted per block, so that a million rows with hundreds of classes
# never hold a full probability matrix in memory at once.
PREDICT_BLOCK_ROWS = 50_000


# The share of fit_and_predict each part is expected to end at, for progress.
_CROSS_VALIDATION_DONE = 0.8
_FINAL_FIT_DONE = 0.95


class ModelCancelled(Exception):
    """The cancel event was set while the model was being fitted."""


@dataclass(frozen=True)
class ModelOutput:
    """What the classifier says about every row.

    Attributes:
        top_classes: (n_rows, k) int32 class ids, most likely first.
        top_probabilities: (n_rows, k) float32, calibrated. Out-of-fold for
            every labeled row that cross-validation scored.
        checked: (n_rows,) bool: labeled rows whose given label can be checked,
            because their class was in their fold model's training rows.
        given_probabilities: (n_checked, n_classes) float64 out-of-fold
            calibrated probabilities of the checked rows, in row order.
        cv_accuracy: Out-of-fold accuracy on the checked rows, or None.
        regularisation: The chosen inverse penalty strength C.
        temperature: The calibration temperature.
    """

    top_classes: np.ndarray
    top_probabilities: np.ndarray
    checked: np.ndarray
    given_probabilities: np.ndarray
    cv_accuracy: float | None
    regularisation: float
    temperature: float


def assign_folds(y: np.ndarray, n_folds: int, *, random_state: int) -> np.ndarray:
    """Give each labeled row a fold so that every class is spread over folds.

    Rows of each class are shuffled and dealt to the folds in turn, starting at
    a random fold, so fold sizes stay even. A class with fewer rows than folds
    simply misses some folds (scikit-learn's splitter warns about that instead).

    Args:
        y: Class id of each labeled row.
        n_folds: The number of folds.
        random_state: Seed of the shuffle.

    Returns:
        The fold of each row, int64.
    """
    rng = np.random.default_rng(random_state)
    folds = np.empty(len(y), dtype=np.int64)
    for class_id in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == class_id))
        start = int(rng.integers(n_folds))
        folds[members] = (start + np.arange(len(members))) % n_folds
    return folds


def fit_and_predict(
    embedding: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    *,
    top_k: int,
    random_state: int = 0,
    cancel: threading.Event | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> ModelOutput:
    """Fit the classifier and score every row.

    Args:
        embedding: (n_rows, d) features of every row.
        y: (n_rows,) class id of each row, -1 where unlabeled.
        n_classes: The number of classes; at least two must occur in y.
        top_k: How many of the most likely classes to keep per row.
        random_state: Seed of the fold assignment.
        cancel: Checked between fits; when set, ModelCancelled is raised.
        progress: Called with a step description and the fraction done (0..1).

    Returns:
        Probabilities and scores of every row.

    Raises:
        ModelCancelled: cancel was set.
    """
    features = embedding * np.float32(np.sqrt(embedding.shape[1]))
    labeled = np.flatnonzero(y >= 0)
    y_labeled = y[labeled]

    counts = np.bincount(y_labeled, minlength=n_classes)
    n_folds = min(MAX_FOLDS, int(counts.max()))
    checked = np.zeros(len(y), dtype=bool)
    out_of_fold = np.zeros(len(y), dtype=bool)
    out_of_fold_probabilities = np.zeros((0, n_classes))
    best_c = REGULARISATION_GRID[len(REGULARISATION_GRID) // 2]
    temperature = 1.0
    given_probabilities = np.zeros((0, n_classes))
    cv_accuracy = None

    if n_folds >= 2:
        folds = assign_folds(y_labeled, n_folds, random_state=random_state)
        logits, scored = _out_of_fold_logits(
            features[labeled], y_labeled, folds, n_classes, cancel, progress
        )
        # A row is checked when its class was in its fold model's training set.
        checked_labeled = scored & (counts[y_labeled] >= 2)
        if checked_labeled.any():
            best_c, temperature = _choose(logits, y_labeled, checked_labeled)
            out_of_fold_probabilities = _softmax(logits[best_c][scored] / temperature)
            out_of_fold[labeled[scored]] = True
            given_probabilities = _softmax(
                logits[best_c][checked_labeled] / temperature
            )
            predicted = given_probabilities.argmax(axis=1)
            cv_accuracy = float(np.mean(predicted == y_labeled[checked_labeled]))
            checked[labeled[checked_labeled]] = True
        log.info(
            "cross-validation: %d folds, C=%s, temperature %.3f, accuracy %s",
            n_folds,
            best_c,
            temperature,
            cv_accuracy,
        )

    final = _fit_final(features[labeled], y_labeled, best_c, cancel, progress)
    top_classes = np.zeros((len(y), top_k), dtype=np.int32)
    top_probabilities = np.zeros((len(y), top_k), dtype=np.float32)
    for start in range(0, len(y), PREDICT_BLOCK_ROWS):
        _check(cancel)
        if progress is not None:
            span = 1.0 - _FINAL_FIT_DONE
            progress("scoring every row", _FINAL_FIT_DONE + span * start / len(y))
        block = slice(start, start + PREDICT_BLOCK_ROWS)
        scores = np.full((len(features[block]), n_classes), -np.inf)
        scores[:, final.classes_] = final.decision_function(features[block])
        classes, probabilities = _top(_softmax(scores / temperature), top_k)
        top_classes[block] = classes
        top_probabilities[block] = probabilities

    # Labeled rows keep their out-of-fold scores: the final model saw them.
    if out_of_fold.any():
        classes, probabilities = _top(out_of_fold_probabilities, top_k)
        top_classes[out_of_fold] = classes
        top_probabilities[out_of_fold] = probabilities
    return ModelOutput(
        top_classes=top_classes,
        top_probabilities=top_probabilities,
        checked=checked,
        given_probabilities=given_probabilities,
        cv_accuracy=cv_accuracy,
        regularisation=best_c,
        temperature=temperature,
    )


def _fit_final(
    features: np.ndarray,
    y: np.ndarray,
    best_c: float,
    cancel: threading.Event | None,
    progress: Callable[[str, float], None] | None,
) -> _QuietModel:
    """The model fitted on every labeled row with penalty best_c.

    Like the fold models, it walks the penalties from the strongest up to
    best_c, each fit starting from the previous solution: the same optimum
    (the problem is convex), reached in short fits with the cancel event
    checked between them, instead of one long fit that cannot be stopped.
    """
    path = [c for c in REGULARISATION_GRID if c <= best_c] or [best_c]
    model = _new_model(path[0], warm_start=True)
    span = _FINAL_FIT_DONE - _CROSS_VALIDATION_DONE
    for number, c in enumerate(path):
        _check(cancel)
        if progress is not None:
            progress(
                "fitting the final model",
                _CROSS_VALIDATION_DONE + span * number / len(path),
            )
        model.set_params(C=c)
        model.fit(features, y)
    return model


def _out_of_fold_logits(
    features: np.ndarray,
    y: np.ndarray,
    folds: np.ndarray,
    n_classes: int,
    cancel: threading.Event | None,
    progress: Callable[[str, float], None] | None,
) -> tuple[dict[float, np.ndarray], np.ndarray]:
    """Out-of-fold logits of the labeled rows for every penalty strength."""
    n_folds = int(folds.max()) + 1
    logits = {c: np.full((len(y), n_classes), -np.inf) for c in REGULARISATION_GRID}
    scored = np.zeros(len(y), dtype=bool)
    for fold in range(n_folds):
        train = folds != fold
        test = ~train
        if len(np.unique(y[train])) < 2:
            continue
        scored |= test
        model = _new_model(REGULARISATION_GRID[0], warm_start=True)
        # Each penalty starts from the previous, stronger one's solution: the
        # same fold's training rows, so nothing leaks, and fewer iterations.
        for number, c in enumerate(REGULARISATION_GRID):
            _check(cancel)
            if progress is not None:
                fits_done = fold * len(REGULARISATION_GRID) + number
                fits = n_folds * len(REGULARISATION_GRID)
                progress(
                    f"cross-validating, fold {fold + 1} of {n_folds}",
                    _CROSS_VALIDATION_DONE * fits_done / fits,
                )
            model.set_params(C=c)
            model.fit(features[train], y[train])
            rows = np.flatnonzero(test)
            logits[c][np.ix_(rows, model.classes_)] = model.decision_function(
                features[test]
            )
    return logits, scored


def _choose(
    logits: dict[float, np.ndarray], y: np.ndarray, rows: np.ndarray
) -> tuple[float, float]:
    """Pick the penalty and temperature with the lowest out-of-fold Brier score.

    The Brier score is a proper scoring rule like log loss, but bounded: a few
    wrong given labels (which get near-zero probability) cannot dominate it.
    Fitted by log loss, the temperature was pulled up by those rows and every
    confidence came out too low (calibration error 0.06 against 0.01).
    """
    best = (np.inf, REGULARISATION_GRID[0], 1.0)
    for c, values in logits.items():
        temperature, loss = _fit_temperature(values[rows], y[rows])
        log.debug(
            "C=%s: out-of-fold Brier score %.4f at temperature %.3f",
            c,
            loss,
            temperature,
        )
        if loss < best[0]:
            best = (loss, c, temperature)
    return best[1], best[2]


def _fit_temperature(logits: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from scipy.optimize import minimize_scalar

    def loss(log_temperature: float) -> float:
        return _brier(_softmax(logits / np.exp(log_temperature)), y)

    low, high = np.log(TEMPERATURE_BOUNDS)
    result = minimize_scalar(loss, bounds=(low, high), method="bounded")
    return float(np.exp(result.x)), float(result.fun)


def _brier(probabilities: np.ndarray, y: np.ndarray) -> float:
    """The multiclass Brier score: mean squared distance to the one-hot label."""
    picked = probabilities[np.arange(len(y)), y]
    return float(np.mean(np.sum(probabilities**2, axis=1) - 2 * picked + 1))


def _new_model(c: float, *, warm_start: bool = False) -> _QuietModel:
    from sklearn.linear_model import LogisticRegression

    return _QuietModel(
        LogisticRegression(
            C=c,
            tol=SOLVER_TOLERANCE,
            max_iter=SOLVER_MAX_ITERATIONS,
            warm_start=warm_start,
        )
    )


class _QuietModel:
    """A logistic regression whose warnings go to the log."""

    def __init__(self, model: Any) -> None:
        self.model = model

    @property
    def classes_(self) -> np.ndarray:
        classes: np.ndarray = self.model.classes_
        return classes

    def set_params(self, **params: object) -> None:
        self.model.set_params(**params)

    def fit(self, features: np.ndarray, y: np.ndarray) -> _QuietModel:
        # Convergence warnings (and any other) are logged, never shown.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.model.fit(features, y)
        for warning in caught:
            log.debug("logistic regression: %s", warning.message)
        return self

    def decision_function(self, features: np.ndarray) -> np.ndarray:
        scores = np.asarray(self.model.decision_function(features))
        if scores.ndim == 1:
            # two classes: scikit-learn gives one score for the second class
            scores = np.column_stack([-scores / 2, scores / 2])
        return np.asarray(scores, dtype=np.float64)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exponentials = np.exp(shifted)
    probabilities: np.ndarray = exponentials / exponentials.sum(axis=1, keepdims=True)
    return probabilities


def _top(probabilities: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k most likely classes of each row and their probabilities."""
    order = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
    picked = np.take_along_axis(probabilities, order, axis=1)
    return order.astype(np.int32), picked.astype(np.float32)


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise ModelCancelled
