"""`labeltui DATA`: open the labeling app on a data file."""

from __future__ import annotations

import argparse

from labeltui.core.dataset import load_dataset


def run(args: argparse.Namespace) -> int:
    """Load the data (so bad input fails on the command line), then run the app."""
    dataset = load_dataset(
        args.data,
        text_column=args.text_col,
        label_column=args.label_col,
        encoding=args.encoding,
    )
    from labeltui.ui.app import LabelApp

    LabelApp(dataset).run()
    return 0
