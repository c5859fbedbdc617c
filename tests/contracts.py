"""Output contracts of DESIGN.md, written out once for the tests that check them.

They are spelled here rather than imported from labeltui, so that a change to
the code's own column lists cannot silently change what the tests expect.
"""

ANALYZE_COLUMNS = [
    "row",
    "given_label",
    "suggested_label",
    "suggested_confidence",
    "is_label_issue",
    "label_quality",
    "is_outlier",
    "outlier_score",
    "near_duplicate_cluster",
    "is_ambiguous",
]
