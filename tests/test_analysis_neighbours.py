"""The nearest-pivot choice of the near-duplicate search."""

from __future__ import annotations

import numpy as np
import pytest

from labeltui.core.neighbours import _most_similar


@pytest.mark.parametrize(
    ("rows", "columns", "count"), [(500, 100, 2), (300, 3, 2), (10, 2, 2), (50, 1, 1)]
)
def test_most_similar_matches_a_stable_full_sort_even_with_ties(
    rows: int, columns: int, count: int
) -> None:
    rng = np.random.default_rng(0)
    similarity = rng.standard_normal((rows, columns)).astype(np.float32)
    # Every third row has many equal values, so ties decide the order.
    similarity[::3] = np.round(similarity[::3])

    expected = np.argsort(-similarity, axis=1, kind="stable")[:, :count]

    np.testing.assert_array_equal(_most_similar(similarity, count), expected)
