"""Storing an analysis in a worker thread while the UI thread applies actions."""

from __future__ import annotations

import threading
from pathlib import Path

from ui_support import fixed_analysis, ticket_rows, write_csv

from labeltui.core.workspace import Action, Workspace


def test_store_in_a_thread_while_actions_are_applied(tmp_path: Path) -> None:
    data_path = write_csv(tmp_path / "tickets.csv", ticket_rows())
    with Workspace.open(data_path) as workspace:
        result = fixed_analysis(workspace)
        errors: list[BaseException] = []

        def store() -> None:
            try:
                for _ in range(20):
                    workspace.store_analysis(result)
            except BaseException as error:
                errors.append(error)

        worker = threading.Thread(target=store)
        worker.start()
        for row in range(20):
            workspace.apply(Action("label", (row,), label=f"new_{row % 3}"))
        worker.join()

        assert not errors
        assert workspace.analysis is None  # stored, not yet in use
        workspace.use_analysis(result)
        assert workspace.row_detail(0).suggestion == "card_arrival"

    with Workspace.open(data_path) as reopened:
        assert reopened.analysis is not None
        assert reopened.analysis.input_key == result.input_key
        assert [reopened.row_detail(row).final_label for row in range(3)] == [
            "new_0",
            "new_1",
            "new_2",
        ]
        assert {"new_0", "new_1", "new_2", "top_up"} <= set(reopened.labels)
