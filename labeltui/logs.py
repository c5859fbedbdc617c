"""Where labeltui writes its log, and how logging is set up."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import platformdirs

LOG_FILE_NAME = "labeltui.log"

# Override for tests and for people who want the log elsewhere.
LOG_DIR_ENV = "LABELTUI_LOG_DIR"


def default_log_path() -> Path:
    """The log file: the platformdirs user log directory unless overridden."""
    folder = os.environ.get(LOG_DIR_ENV) or platformdirs.user_log_dir("labeltui")
    return Path(folder) / LOG_FILE_NAME


def setup_logging(level: str = "INFO") -> Path | None:
    """Send log records to the log file; return its path, or None if unwritable.

    Nothing is logged to the terminal: the app owns the screen and the headless
    commands print only their results and one-line errors.
    """
    path = default_log_path()
    root = logging.getLogger()
    root.setLevel(level)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        root.addHandler(logging.NullHandler())
        return None
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root.addHandler(handler)
    return path
