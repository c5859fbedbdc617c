"""`labeltui export`: write the cleaned dataset of a project."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from labeltui.core.errors import UserError
from labeltui.core.export import default_export_path, export_workspace
from labeltui.core.project import PROJECT_SUFFIX
from labeltui.core.workspace import SourceChangedError, Workspace


def run(args: argparse.Namespace) -> int:
    """Open the data (or project file), write the export, say where."""
    source = Path(args.source)
    # A project's actions belong to the rows it stored: exporting a project file
    # whose source changed uses that stored copy.
    from_project = source.suffix.lower() == PROJECT_SUFFIX
    try:
        workspace = Workspace.open(
            source,
            project_path=args.project,
            encoding=args.encoding,
            on_source_change="snapshot" if from_project else "fail",
        )
    except SourceChangedError as error:
        raise UserError(
            f"{error.data_path} changed since the project {error.project_path} was "
            f"made from it; to export the rows the project knows, run: labeltui "
            f"export {error.project_path}"
        ) from error

    with workspace:
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
