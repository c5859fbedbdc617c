"""Outliers and near duplicates, found from the text alone.

Both work on the compact embedding of features.py (unit-length rows, so a dot
product is a cosine similarity) with plain numpy matrix products done in
blocks, so memory stays bounded for a million rows.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import numpy as np
import polars as pl
import scipy.sparse as sp

log = logging.getLogger(__name__)

# The outlier score of a row is the mean cosine similarity to its nearest
# neighbours among a random reference sample of the rows. Ten neighbours smooth
# over a single lookalike; 2,000 reference rows keep the cost linear in the
# number of rows while still holding dozens of rows of every common topic.
OUTLIER_NEIGHBOURS = 10
OUTLIER_REFERENCE_ROWS = 2_000

# A row is an outlier when its distance to its neighbours (1 - score) lies more
# than this many robust standard deviations (median absolute deviation scaled
# by 1.4826) above the median distance: 3.5 is the usual cut-off for the
# modified z-score, rarely crossed by rows of a normal-shaped bulk.
OUTLIER_ROBUST_Z = 3.5
MAD_TO_STANDARD_DEVIATION = 1.4826

# Two rows are near duplicates when the cosine similarity of their TF-IDF word
# and character n-gram vectors is at least this: a changed word or two in a
# sentence or a few typos stay above it, a paraphrase falls well below.
NEAR_DUPLICATE_SIMILARITY = 0.9

# Candidate pairs come from the embedding before the exact TF-IDF check. Its
# similarities track TF-IDF ones closely for near-identical rows, so a looser
# bar there loses no true pair.
CANDIDATE_SIMILARITY = 0.8
CANDIDATES_PER_ROW = 5

# Rows are split into buckets by their most similar of about sqrt(n_rows)
# random pivot rows, and each row looks for candidates in the buckets of its
# PIVOT_PROBES most similar pivots only, so the search costs about
# n_rows ** 1.5 instead of n_rows ** 2. Near-identical rows almost always share
# one of their two nearest pivots: on a 10,000-row intent data set one probe
# found 90% of the pairs an exhaustive search finds, two probes 96%.
PIVOT_PROBES = 2

# Rows multiplied at once in a matrix product: bounds memory to
# BLOCK_ROWS * other_rows floats.
BLOCK_ROWS = 2_048

# The share of the near-duplicate search spent finding each row's nearest
# pivots (the rest goes to the buckets), for progress only.
_PIVOT_SHARE = 0.2


# Called with the fraction of a search done, 0 to 1.
Progress = Callable[[float], None]


class NeighboursCancelled(Exception):
    """The cancel event was set."""


def outlier_scores(
    embedding: np.ndarray,
    *,
    random_state: int = 0,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Score how typical every row is.

    Args:
        embedding: (n_rows, d) unit-length rows.
        random_state: Seed of the reference sample.
        cancel: Checked between blocks.
        progress: Called with the fraction done between blocks.

    Returns:
        outlier_score (float32, 0..1, low means atypical) and is_outlier (bool).

    Raises:
        NeighboursCancelled: cancel was set.
    """
    n_rows = len(embedding)
    if n_rows < 2:
        return np.ones(n_rows, dtype=np.float32), np.zeros(n_rows, dtype=bool)
    rng = np.random.default_rng(random_state)
    reference = np.sort(
        rng.choice(n_rows, size=min(n_rows, OUTLIER_REFERENCE_ROWS), replace=False)
    )
    neighbours = min(OUTLIER_NEIGHBOURS, len(reference) - 1)
    is_reference = np.full(n_rows, -1)
    is_reference[reference] = np.arange(len(reference))

    scores = np.empty(n_rows, dtype=np.float32)
    reference_vectors = embedding[reference]
    for start in range(0, n_rows, BLOCK_ROWS):
        _check(cancel)
        if progress is not None:
            progress(start / n_rows)
        rows = np.arange(start, min(start + BLOCK_ROWS, n_rows))
        similarity = embedding[rows] @ reference_vectors.T
        # A reference row is not its own neighbour.
        own = is_reference[rows]
        mine = own >= 0
        similarity[np.flatnonzero(mine), own[mine]] = -np.inf
        nearest = np.partition(similarity, -neighbours, axis=1)[:, -neighbours:]
        scores[rows] = nearest.mean(axis=1)
    scores = np.clip(scores, 0.0, 1.0)

    distance = 1.0 - scores
    median = float(np.median(distance))
    spread = MAD_TO_STANDARD_DEVIATION * float(np.median(np.abs(distance - median)))
    if spread > 0:
        is_outlier = (distance - median) / spread > OUTLIER_ROBUST_Z
    else:
        is_outlier = distance > median
    return scores.astype(np.float32), is_outlier


def near_duplicate_clusters(
    texts: pl.Series,
    tfidf: sp.csr_matrix,
    embedding: np.ndarray,
    *,
    random_state: int = 0,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
) -> np.ndarray:
    """Group rows whose texts are the same or nearly the same.

    Rows whose texts are equal after lower-casing and dropping punctuation and
    spacing are always grouped; other pairs are grouped when their TF-IDF
    cosine similarity is at least NEAR_DUPLICATE_SIMILARITY. Groups are closed
    under chains (union-find), so A~B and B~C puts A, B and C together.

    Args:
        texts: The text of every row.
        tfidf: (n_rows, n_terms) unit-length TF-IDF rows.
        embedding: (n_rows, d) unit-length rows.
        random_state: Seed of the pivot rows.
        cancel: Checked between blocks.
        progress: Called with the fraction done between blocks.

    Returns:
        (n_rows,) int32 cluster id, -1 for rows in no group. Ids are numbered
        0, 1, ... in order of each cluster's first row.

    Raises:
        NeighboursCancelled: cancel was set.
    """
    from scipy.sparse.csgraph import connected_components

    n_rows = len(texts)
    first, second = _same_normalised_text(texts)
    pairs = [(first, second)]
    for a, b in _similar_pairs(tfidf, embedding, random_state, cancel, progress):
        pairs.append((a, b))
    left = np.concatenate([p[0] for p in pairs]).astype(np.int64)
    right = np.concatenate([p[1] for p in pairs]).astype(np.int64)

    graph = sp.coo_matrix(
        (np.ones(len(left), dtype=np.int8), (left, right)), shape=(n_rows, n_rows)
    )
    _, component = connected_components(graph, directed=False)
    sizes = np.bincount(component)
    in_group = sizes[component] >= 2

    # Number the groups in order of their first row.
    clusters = np.full(n_rows, -1, dtype=np.int32)
    grouped_rows = np.flatnonzero(in_group)
    _, first_seen = np.unique(component[grouped_rows], return_index=True)
    order = np.argsort(first_seen, kind="stable")
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    _, inverse = np.unique(component[grouped_rows], return_inverse=True)
    clusters[grouped_rows] = rank[inverse]
    return clusters


def _same_normalised_text(texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (first row, other row) of rows with equal normalised text."""
    keys = (
        texts.str.to_lowercase()
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .str.strip_chars()
    )
    frame = pl.DataFrame({"key": keys, "row": np.arange(len(texts), dtype=np.int64)})
    frame = frame.filter(pl.col("key").str.len_bytes() > 0)
    first = frame.group_by("key").agg(pl.col("row").min().alias("first"))
    joined = frame.join(first, on="key").filter(pl.col("row") != pl.col("first"))
    return joined["first"].to_numpy(), joined["row"].to_numpy()


def _similar_pairs(
    tfidf: sp.csr_matrix,
    embedding: np.ndarray,
    random_state: int,
    cancel: threading.Event | None,
    progress: Progress | None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    n_rows = len(embedding)
    if n_rows < 2:
        return []
    rng = np.random.default_rng(random_state)
    n_pivots = max(1, int(np.sqrt(n_rows)))
    probes = min(PIVOT_PROBES, n_pivots)
    pivots = embedding[rng.choice(n_rows, size=n_pivots, replace=False)]
    # nearest[:, 0] is the bucket a row lives in; it is searched for from the
    # buckets of all its `probes` nearest pivots.
    nearest = np.empty((n_rows, probes), dtype=np.int64)
    for start in range(0, n_rows, BLOCK_ROWS):
        _check(cancel)
        if progress is not None:
            progress(_PIVOT_SHARE * start / n_rows)
        similarity = embedding[start : start + BLOCK_ROWS] @ pivots.T
        nearest[start : start + BLOCK_ROWS] = _most_similar(similarity, probes)

    home = nearest[:, 0]
    order = np.argsort(home, kind="stable")
    starts = np.searchsorted(home[order], np.arange(n_pivots + 1))
    probe_rows = np.repeat(np.arange(n_rows), probes)
    probe_buckets = nearest.ravel()
    probe_order = np.argsort(probe_buckets, kind="stable")
    probe_starts = np.searchsorted(probe_buckets[probe_order], np.arange(n_pivots + 1))

    found = []
    for bucket in range(n_pivots):
        members = order[starts[bucket] : starts[bucket + 1]]
        queries = probe_rows[
            probe_order[probe_starts[bucket] : probe_starts[bucket + 1]]
        ]
        if len(members) == 0 or len(queries) == 0:
            continue
        _check(cancel)
        if progress is not None:
            progress(_PIVOT_SHARE + (1 - _PIVOT_SHARE) * bucket / n_pivots)
        found.extend(_pairs_in_bucket(tfidf, embedding, queries, members, cancel))
    return found


def _most_similar(similarity: np.ndarray, count: int) -> np.ndarray:
    """The columns of the `count` largest values of each row, largest first.

    Ties go to the lower column, as in a stable sort of the whole row, but only
    the `count` picked columns are sorted (a full sort cost most of the search
    on a million rows).
    """
    if count < similarity.shape[1]:
        picked = np.argpartition(-similarity, count - 1, axis=1)[:, :count]
        # The cut-off value may be shared by columns argpartition left out: take
        # every column at or above it, then the lowest columns among the ties.
        cutoff = np.take_along_axis(similarity, picked, axis=1).min(axis=1)
        if (
            np.count_nonzero(similarity >= cutoff[:, None])
            != similarity.shape[0] * count
        ):
            return np.argsort(-similarity, axis=1, kind="stable")[:, :count]
    else:
        picked = np.broadcast_to(
            np.arange(similarity.shape[1]), similarity.shape
        ).copy()
    values = np.take_along_axis(similarity, picked, axis=1)
    order = np.lexsort((picked, -values), axis=1)
    return np.take_along_axis(picked, order, axis=1)[:, :count]


def _pairs_in_bucket(
    tfidf: sp.csr_matrix,
    embedding: np.ndarray,
    queries: np.ndarray,
    members: np.ndarray,
    cancel: threading.Event | None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Near-duplicate pairs (query row, member row) within one bucket."""
    vectors = embedding[members]
    n_candidates = min(CANDIDATES_PER_ROW, len(members))
    found = []
    for start in range(0, len(queries), BLOCK_ROWS):
        _check(cancel)
        rows = queries[start : start + BLOCK_ROWS]
        similarity = embedding[rows] @ vectors.T
        # A row is not its own near duplicate.
        similarity[rows[:, None] == members[None, :]] = -np.inf
        nearest = np.argpartition(similarity, -n_candidates, axis=1)[:, -n_candidates:]
        close = np.take_along_axis(similarity, nearest, axis=1) >= CANDIDATE_SIMILARITY
        source, slot = np.nonzero(close)
        if len(source) == 0:
            continue
        a = rows[source]
        b = members[nearest[source, slot]]
        exact = np.asarray(tfidf[a].multiply(tfidf[b]).sum(axis=1)).ravel()
        keep = exact >= NEAR_DUPLICATE_SIMILARITY
        found.append((a[keep], b[keep]))
    return found


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise NeighboursCancelled
