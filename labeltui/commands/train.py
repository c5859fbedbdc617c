"""`labeltui train`."""

from __future__ import annotations

import argparse

from labeltui.core.errors import UserError


def run(args: argparse.Namespace) -> int:
    """Not built yet: say so and exit 2."""
    raise UserError("`labeltui train` is not available yet in this version")
