"""`labeltui export`: write the cleaned dataset of a project."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from labeltui.core.export import default_export_path, export_workspace
from labeltui.core.workspace import Workspace


def run(args: argparse.Namespace) -> int:
    """Open the data (or project file), write the export, say where."""
    with Workspace.open(
        args.source, project_path=args.project, encoding=args.encoding
    ) as workspace:
        if workspace.notice:
            print(f"labeltui: {workspace.notice}", file=sys.stderr)
        output = (
            Path(args.output)
            if args.output
            else default_export_path(workspace.dataset.path)
        )
        written = export_workspace(
            workspace,
            output,
            keep_excluded=args.keep_excluded,
            excel_safe=args.excel_safe,
        )
    print(f"wrote {written} rows to {output}")
    return 0
