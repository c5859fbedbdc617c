"""Shared helpers for the UI tests: small real data files and screen text."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
from rich.console import Console
from textual.app import App

from labeltui.core.analysis import AnalysisResult, input_key
from labeltui.core.workspace import Workspace
from labeltui.ui.app import LabelApp
from labeltui.ui.main_screen import MainScreen

# A row whose text looks like Textual/rich markup: it must show as typed.
# The terminal size of the Pilot tests.
SIZE = (120, 40)

MARKUP_TEXT = "[bold]not bold[/] [@click=app.quit]quit[/] [red]x[/red]"

# A row whose text carries a terminal escape sequence, a carriage return, a tab
# and DEL: none of them may reach the terminal.
ESCAPE_TEXT = "evil \x1b[2J\x1b[31mred\x1b[0m\rreturn\ttab\x7fdel"

LABELS = ("card_arrival", "card_lost", "exchange_rate", "refund_request", "top_up")

TOPICS = {
    "card_arrival": "when will my new card arrive",
    "card_lost": "I lost my card yesterday",
    "exchange_rate": "what exchange rate do you use",
    "refund_request": "I want a refund for this payment",
    "top_up": "how do I top up my account",
}


def ticket_rows(count: int = 40) -> list[tuple[str, str]]:
    """(text, label) rows: every third row labeled, two rows of hostile text."""
    rows: list[tuple[str, str]] = []
    for index in range(count):
        label = LABELS[index % len(LABELS)]
        text = f"{TOPICS[label]} (message {index})"
        rows.append((text, label if index % 3 == 0 else ""))
    rows[4] = (MARKUP_TEXT, "")
    rows[5] = (ESCAPE_TEXT, "")
    return rows


def write_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    """Write a text,label CSV and return its path."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return path


def screen_text(app: App[object]) -> str:
    """What the terminal would show for the active screen, as plain text."""
    # Textual has no public way to read the composed screen back as text; this
    # is what App.export_screenshot does, exported as text instead of SVG.
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        record=True,
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
    )
    update = app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens
    )
    console.print(update)
    return console.export_text()


async def shown_notice(pilot: object, app: App[object], needle: str) -> bool:
    """Whether a notification containing needle is on screen.

    A notification reaches the screen a few message-loop turns after notify();
    this lets the loop turn a bounded number of times (no sleeping).
    """
    for _ in range(10):
        await pilot.pause()  # type: ignore[attr-defined]
        if needle in screen_text(app):
            return True
    return False


def fixed_analysis(workspace: Workspace) -> AnalysisResult:
    """A made-up but complete analysis of ticket_rows(), the same on every run.

    Row i suggests its topic's label with a confidence that varies with i, so
    sorts and filters have something to order; every seventh labeled row is a
    label issue, rows 4 and 5 (the hostile texts) are outliers, rows 10 and 15
    are near duplicates and every sixth row is ambiguous.
    """
    texts = workspace.dataset.texts
    rows = len(texts)
    classes = LABELS
    top_classes = np.zeros((rows, len(classes)), dtype=np.int32)
    top_probabilities = np.zeros((rows, len(classes)), dtype=np.float32)
    for row in range(rows):
        first = row % len(classes)
        order = [first] + [c for c in range(len(classes)) if c != first]
        top_classes[row] = order
        confidence = 0.4 + 0.5 * ((row * 7) % 11) / 10
        rest = (1 - confidence) * np.array([0.4, 0.3, 0.2, 0.1])
        top_probabilities[row] = [confidence, *rest]
    labeled = workspace.dataset.given_labels.is_not_null().to_numpy()
    issue = labeled & (np.arange(rows) % 7 == 0)
    quality = np.where(labeled, np.linspace(0.1, 0.9, rows), np.nan)
    outlier = np.isin(np.arange(rows), [4, 5])
    cluster = np.full(rows, -1, dtype=np.int32)
    cluster[[10, 15]] = 0
    return AnalysisResult(
        classes=classes,
        top_classes=top_classes,
        top_probabilities=top_probabilities,
        label_quality=quality.astype(np.float32),
        is_label_issue=issue,
        outlier_score=np.where(outlier, 0.05, 0.8).astype(np.float32),
        is_outlier=outlier,
        near_duplicate_cluster=cluster,
        is_ambiguous=np.arange(rows) % 6 == 1,
        cv_accuracy=0.875,
        notes=(),
        input_key=input_key(texts, workspace.training_labels()),
        seconds=1.0,
    )


def main_screen(app: LabelApp) -> MainScreen:
    """The labeling screen, under any dialog on top of it."""
    screen = app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    return screen
