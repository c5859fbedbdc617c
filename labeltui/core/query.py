"""Which rows a view shows, and in what order.

A RowFinder answers view queries over the rows of a RowState (state.py): the
flag, label and confidence filters, the case-insensitive text search and the
sort orders. Every sort order is computed once and reused, because the sort
keys (text and the analysis scores) never change with actions; the analysis
scores' orders are dropped when the analysis changes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from labeltui.core.state import RowState

# What a view can filter on (all must hold) and sort by; "-confidence" is high
# to low, the others ascending. Part of the contract with the UI (DESIGN.md).
FLAGS = (
    "unlabeled",
    "labeled",
    "label_issue",
    "outlier",
    "near_duplicate",
    "ambiguous",
    "needs_review",
    "resolved",
    "unresolved",
)
SORTS = ("row", "confidence", "-confidence", "label_quality", "outlier_score", "text")

# A view sorted by text over fewer rows than this sorts just those rows; larger
# ones compute (once) the text order of every row, about 0.6 s for 1M rows here.
SUBSET_TEXT_SORT_MAX = 200_000

# A longer needle searches only the rows the shorter one matched when they are
# at most this share of all rows; gathering more texts costs about as much as
# searching them all.
NARROW_SEARCH_MAX_SHARE = 0.25


@dataclass(frozen=True)
class ViewQuery:
    """Which rows to show and in what order."""

    flags: frozenset[str] = frozenset()
    given_label: str | None = None
    suggested_label: str | None = None
    final_label: str | None = None
    search: str = ""
    min_confidence: float | None = None
    max_confidence: float | None = None
    sort: str = "row"


class RowFinder:
    """Filters, search and sort orders over the rows of one RowState."""

    def __init__(self, state: RowState):
        self._state = state
        self._orders: dict[str, np.ndarray] = {}
        self._lower_texts: pl.Series | None = None
        self._lower_lock = threading.Lock()
        self._last_search: tuple[str, np.ndarray] | None = None
        self._order_locks = {sort: threading.Lock() for sort in SORTS}

    def view_rows(self, query: ViewQuery) -> np.ndarray:
        """The ids of the rows matching query, in its sort order."""
        if query.sort not in SORTS:
            raise ValueError(f"unknown sort {query.sort!r}; expected one of {SORTS}")
        mask = self._query_mask(query)
        if (
            query.sort == "text"
            and "text" not in self._orders
            and mask is not None
            and np.count_nonzero(mask) <= SUBSET_TEXT_SORT_MAX
        ):
            return self._text_order(np.flatnonzero(mask))
        order = self._order(query.sort)
        return order if mask is None else order[mask[order]]

    def filter_counts(self, query: ViewQuery) -> dict[str, int]:
        """For "all" and each flag, how many rows match query with it added."""
        mask = self._query_mask(query)
        counts = {
            "all": self._state.n_rows if mask is None else int(np.count_nonzero(mask))
        }
        for flag in FLAGS:
            flag_mask = self._state.flag_mask(flag)
            both = flag_mask if mask is None else flag_mask & mask
            counts[flag] = int(np.count_nonzero(both))
        return counts

    def forget_score_orders(self) -> None:
        """Drop the orders by analysis scores, after the analysis changed."""
        for sort in ("confidence", "-confidence", "label_quality", "outlier_score"):
            with self._order_locks[sort]:
                self._orders.pop(sort, None)

    def warm_up(self) -> None:
        """Prepare text search and the text order, so the first use is quick.

        Meant for a background thread: both are polars work that releases the
        GIL, about 0.2 s and 0.6 s for 1M rows here.
        """
        self._lowercase_texts()
        self._order("text")

    def _query_mask(self, query: ViewQuery) -> np.ndarray | None:
        masks: list[np.ndarray] = []
        for flag in query.flags:
            if flag not in FLAGS:
                raise ValueError(f"unknown flag {flag!r}; expected one of {FLAGS}")
            masks.append(self._state.flag_mask(flag))
        for column, name in (
            ("given", query.given_label),
            ("suggested", query.suggested_label),
            ("final", query.final_label),
        ):
            if name is not None:
                masks.append(self._state.label_mask(column, name))
        if query.search:
            masks.append(self._search_mask(query.search.lower()))
        if query.min_confidence is not None:
            masks.append(self._state.score("confidence") >= query.min_confidence)
        if query.max_confidence is not None:
            masks.append(self._state.score("confidence") <= query.max_confidence)
        if not masks:
            return None
        mask = masks[0].copy()
        for other in masks[1:]:
            mask &= other
        return mask

    def _order(self, sort: str) -> np.ndarray:
        """Every row id in sort order, computed once per sort."""
        # One lock per sort: the text order being built in the background must
        # not hold up a view sorted by anything else.
        with self._order_locks[sort]:
            cached = self._orders.get(sort)
            if cached is None:
                cached = self._orders[sort] = self._compute_order(sort)
            return cached

    def _compute_order(self, sort: str) -> np.ndarray:
        if sort == "row":
            order = np.arange(self._state.n_rows, dtype=np.int64)
        elif sort == "text":
            order = self._text_order(np.arange(self._state.n_rows, dtype=np.int64))
        else:
            scores = self._state.score(sort.removeprefix("-"))
            order = _score_order(scores, descending=sort.startswith("-"))
        order.setflags(write=False)
        return order

    def _text_order(self, rows: np.ndarray) -> np.ndarray:
        """The given rows (ascending) sorted by text; ties keep row order."""
        # Sorting on (text, row) is the stable sort, and over twice as fast in
        # polars as a sort on text that maintains order.
        return (
            pl.DataFrame({"row": rows, "text": self._state.texts.gather(rows)})
            .sort(["text", "row"])
            .get_column("row")
            .to_numpy()
            .astype(np.int64)
        )

    def _search_mask(self, needle: str) -> np.ndarray:
        """Rows whose lowercased text contains needle (itself lowercase).

        The last answer is kept: a view and its filter counts ask the same
        question, and while a person types, each longer needle can only match
        rows the shorter one matched, so only those are searched.
        """
        last = self._last_search
        if last is not None and last[0] == needle:
            return last[1]
        texts = self._lowercase_texts()
        candidates = None
        if last is not None and last[0] in needle:
            candidates = np.flatnonzero(last[1])
            if len(candidates) > NARROW_SEARCH_MAX_SHARE * self._state.n_rows:
                candidates = None
        if candidates is not None:
            found = np.zeros(self._state.n_rows, dtype=bool)
            hits = texts.gather(candidates).str.contains(needle, literal=True)
            found[candidates[hits.to_numpy()]] = True
        else:
            found = texts.str.contains(needle, literal=True).to_numpy()
        found.setflags(write=False)
        self._last_search = (needle, found)
        return found

    def _lowercase_texts(self) -> pl.Series:
        with self._lower_lock:
            if self._lower_texts is None:
                self._lower_texts = self._state.texts.str.to_lowercase()
            return self._lower_texts


def _score_order(scores: np.ndarray, *, descending: bool) -> np.ndarray:
    """Row ids by score; ties keep row order and NaN (no score) comes last.

    Each score becomes an unsigned key that sorts like the float, and the row id
    fills the low 32 bits, so one plain sort of uint64 values is a stable sort:
    about twice as fast as numpy's stable argsort of the floats.
    """
    bits = np.ascontiguousarray(scores, dtype=np.float32).view(np.uint32)
    sign = np.uint32(1 << 31)
    keys = np.where(bits & sign, ~bits, bits | sign)
    if descending:
        keys = ~keys
    keys[np.isnan(scores)] = np.iinfo(np.uint32).max
    combined = keys.astype(np.uint64) << np.uint64(32)
    combined |= np.arange(len(scores), dtype=np.uint64)
    combined.sort()
    return (combined & np.uint64(0xFFFFFFFF)).astype(np.int64)
