"""The model runner: trains in a thread worker and shows its progress.

The bar is hidden while no model is training. It posts `Trained` with the
result, or `Failed` with the error, and leaves what to do with them to the
screen. Cancelled runs (retrain pressed again, or quit) post nothing.

A `store` function given to `start` runs in the worker thread after training,
so that writing the result to the project (about a second at 1,000,000 rows)
never freezes the screen.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import polars as pl
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Label, ProgressBar
from textual.worker import Worker, WorkerState

from labeltui.core.errors import UserError

if TYPE_CHECKING:
    from labeltui.core.analysis import AnalysisResult

# Writes a finished analysis somewhere lasting; runs in the worker thread.
StoreResult = Callable[["AnalysisResult"], None]

log = logging.getLogger(__name__)


class ModelBar(Horizontal):
    """The step the model is on and a progress bar, while it trains."""

    class Trained(Message):
        """The model finished; result is the new analysis.

        store_error says why storing it failed (None: stored, or no store).
        """

        def __init__(self, result: AnalysisResult, store_error: str | None) -> None:
            super().__init__()
            self.result = result
            self.store_error = store_error

    class Failed(Message):
        """The model failed with an error that is not a cancellation."""

        def __init__(self, error: BaseException) -> None:
            super().__init__()
            self.error = error

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._cancel: threading.Event | None = None

    def compose(self) -> ComposeResult:
        yield Label("", id="model-step")
        yield ProgressBar(total=1.0, show_eta=False, id="model-progress")

    def on_mount(self) -> None:
        self.display = False

    @property
    def running(self) -> bool:
        """Whether a model is training now."""
        return self._cancel is not None

    def start(
        self,
        texts: pl.Series,
        labels: pl.Series,
        *,
        store: StoreResult | None = None,
    ) -> None:
        """Train on these texts and labels, cancelling a run in progress.

        Args:
            texts: The texts to train on.
            labels: Their labels, null where unlabeled.
            store: Called with the result in the worker thread, before
                `Trained` is posted, unless the run was cancelled.
        """
        self.stop()
        cancel = threading.Event()
        self._cancel = cancel
        self.display = True
        self._show_progress(cancel, "starting", 0.0)
        self._train(texts, labels, cancel, store)

    def stop(self) -> None:
        """Ask a run in progress to stop; its result, if any, is dropped."""
        if self._cancel is not None:
            self._cancel.set()
            self._cancel = None
            self.display = False

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="model",
        description="train the model",
    )
    def _train(
        self,
        texts: pl.Series,
        labels: pl.Series,
        cancel: threading.Event,
        store: StoreResult | None,
    ) -> tuple[AnalysisResult, threading.Event, str | None]:
        # Imported here, in the worker thread, so that the table paints before
        # the model stack loads.
        from labeltui.core.analysis import analyze

        def progress(step: str, fraction: float) -> None:
            if not cancel.is_set():
                self.app.call_from_thread(self._show_progress, cancel, step, fraction)

        result = analyze(texts, labels, progress=progress, cancel=cancel)
        store_error = None
        if store is not None and not cancel.is_set():
            self.app.call_from_thread(self._show_progress, cancel, "saving", 1.0)
            try:
                store(result)
            except UserError as error:
                # The result is still good in memory: show it, and say it is
                # not saved.
                store_error = str(error)
        return result, cancel, store_error

    def _show_progress(
        self, cancel: threading.Event, step: str, fraction: float
    ) -> None:
        if cancel is not self._cancel:
            return
        self.query_one("#model-step", Label).update(f"model: {step}")
        self.query_one("#model-progress", ProgressBar).update(progress=fraction)

    @on(Worker.StateChanged)
    def _finished(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "model":
            return
        if event.state == WorkerState.SUCCESS:
            assert worker.result is not None
            result, cancel, store_error = worker.result
            if cancel is not self._cancel:
                return  # stopped, or a newer run replaced this one
            self._cancel = None
            self.display = False
            self.post_message(self.Trained(result, store_error))
        elif event.state == WorkerState.ERROR:
            from labeltui.core.analysis import AnalysisCancelled

            error = worker.error
            if isinstance(error, AnalysisCancelled) or error is None:
                return
            log.error("training the model failed", exc_info=error)
            self._cancel = None
            self.display = False
            self.post_message(self.Failed(error))
