"""`labeltui DATA`: open the labeling app on a data file."""

from __future__ import annotations

import argparse
import sys

from labeltui.core.workspace import SourceChangedError, Workspace

# What the person may answer when the data changed since the project was made.
SOURCE_CHANGE_CHOICES = {"s": "snapshot", "n": "new"}


def run(args: argparse.Namespace) -> int:
    """Open the workspace (so bad input fails on the command line), then the app."""
    workspace = _open_workspace(args)
    if workspace is None:
        return 0
    from labeltui.ui.app import LabelApp

    with workspace:
        app = LabelApp(workspace, run_model=not args.no_model)
        app.run()
    # Textual sets a non-zero return code when the app stopped on an error.
    return app.return_code or 0


def _open_workspace(args: argparse.Namespace) -> Workspace | None:
    """Open the workspace; None when the person chose to quit."""
    options = {
        "text_column": args.text_col,
        "label_column": args.label_col,
        "encoding": args.encoding,
        "project_path": args.project,
    }
    try:
        return Workspace.open(args.data, **options)
    except SourceChangedError as error:
        if not sys.stdin.isatty():
            raise
        choice = _ask_source_change(str(error))
        if choice is None:
            return None
        return Workspace.open(args.data, on_source_change=choice, **options)


def _ask_source_change(message: str) -> str | None:
    """Ask once what to do about changed data; None means quit."""
    print(f"labeltui: {message}", file=sys.stderr)
    try:
        answer = input(
            "[s] open with the stored snapshot / [n] start a new project / [q] quit: "
        )
    except EOFError:  # the terminal closed: treat it as quit
        return None
    return SOURCE_CHANGE_CHOICES.get(answer.strip().lower()[:1])
