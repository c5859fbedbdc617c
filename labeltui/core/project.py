"""The project file: a SQLite store that remembers one labeling session.

A project records where its data came from (path, size, content hash, column
mapping, encoding), a copy of the original data (so it can be reopened or
exported when the source is gone or has changed), the label and tag tables,
every action with the exact per-row values before and after it (for undo and
redo across restarts), and the latest analysis result.

Durability: the database runs in WAL mode with synchronous=FULL and every
action is one transaction, so an action is on disk when `record_action`
returns; a crash or kill loses at most the action being written and never
leaves the file unreadable.

One writer at a time: the opener takes an exclusive `flock` on the database
file (released by the operating system when the process dies, so a dead
process never blocks anyone) and records its pid and host in the meta table
so a second opener can say who holds the project.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labeltui.core.errors import UserError

log = logging.getLogger(__name__)

# Bump when the tables change; a file with a higher version is refused because
# this program cannot know what the newer tables mean.
SCHEMA_VERSION = 1

PROJECT_SUFFIX = ".labeltui"

# Tags are kept per row as bits of one unsigned 64-bit integer.
MAX_TAGS = 64

# The per-row record of one action: which row, and its final label code, action
# code and tag bits before and after. Packed as one blob per action so a
# 10,000-row batch is a single insert.
CHANGE_DTYPE = np.dtype(
    [
        ("row", "<u4"),
        ("before_final", "<i4"),
        ("after_final", "<i4"),
        ("before_action", "i1"),
        ("after_action", "i1"),
        ("before_tags", "<u8"),
        ("after_tags", "<u8"),
    ]
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS labels (code INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS tags (bit INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS actions (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    label TEXT,
    tag TEXT,
    n_rows INTEGER NOT NULL,
    undone INTEGER NOT NULL DEFAULT 0,
    time REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS changes (
    action_id INTEGER PRIMARY KEY REFERENCES actions(id),
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS actions_undone ON actions (undone, id);
CREATE TABLE IF NOT EXISTS snapshot (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS analysis (
    id INTEGER PRIMARY KEY,
    input_key TEXT NOT NULL,
    data BLOB NOT NULL
);
"""


@dataclass(frozen=True)
class SourceInfo:
    """Where a project's data came from and how it was read."""

    path: str
    size: int
    content_hash: str
    text_column: str
    label_column: str | None
    encoding: str | None


@dataclass(frozen=True)
class StoredAction:
    """One action of the log with its per-row changes (a CHANGE_DTYPE array)."""

    id: int
    kind: str
    label: str | None
    tag: str | None
    changes: np.ndarray


class Project:
    """An open project file, held exclusively by this process.

    Use `Project.open`; close with `close()` or as a context manager.
    """

    def __init__(self, path: Path, connection: sqlite3.Connection, lock_fd: int):
        self.path = path
        self._db = connection
        self._lock_fd = lock_fd
        self._lock = threading.RLock()

    # -- opening and closing ------------------------------------------------

    @classmethod
    def open(cls, path: str | Path) -> Project:
        """Open or create the project file at path and take its lock.

        Raises:
            UserError: Another process holds the project, the file is not a
                labeltui project, or it was written by a newer labeltui.
        """
        path = Path(path)
        try:
            lock_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise UserError(f"cannot open project {path}: {error.strerror}") from error
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock_fd)
            raise UserError(
                f"project {path} is open in another labeltui "
                f"({_describe_holder(path)}); close it there first"
            ) from None

        try:
            try:
                connection = _connect(path)
            except sqlite3.DatabaseError as error:
                raise UserError(
                    f"{path} is not a readable labeltui project ({error})"
                ) from error
            project = cls(path, connection, lock_fd)
            project._prepare()
        except BaseException:
            os.close(lock_fd)
            raise
        return project

    def _prepare(self) -> None:
        try:
            version = self._schema_version()
            if version is not None and version > SCHEMA_VERSION:
                raise UserError(
                    f"project {self.path} was written by a newer labeltui (schema "
                    f"{version}; this one knows up to {SCHEMA_VERSION}); upgrade "
                    "labeltui to open it"
                )
            self._db.execute("PRAGMA journal_mode = WAL")
            # FULL: the WAL is synced at every commit, so a returned action
            # survives even a power loss, not only a killed process.
            self._db.execute("PRAGMA synchronous = FULL")
            with self._transaction():
                # executescript would commit early; run the statements singly.
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                if version is None:
                    self._put_meta("schema_version", SCHEMA_VERSION)
                self._put_meta("lock_pid", os.getpid())
                self._put_meta("lock_host", socket.gethostname())
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise UserError(
                f"{self.path} is not a readable labeltui project ({error})"
            ) from error
        except BaseException:
            self._db.close()
            raise

    def _schema_version(self) -> int | None:
        tables = {
            name
            for (name,) in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            )
        }
        if "meta" not in tables:
            if tables:
                # Another program's database: never add our tables to it.
                raise UserError(
                    f"{self.path} is a database, but not a labeltui project"
                )
            return None
        value = self._get_meta("schema_version")
        return None if value is None else int(value)

    def close(self) -> None:
        """Close the database and release the lock."""
        if self._lock_fd < 0:
            return
        try:
            self._db.close()
        finally:
            os.close(self._lock_fd)
            self._lock_fd = -1

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- meta, source and snapshot -----------------------------------------

    def source(self) -> SourceInfo | None:
        """The recorded source of the data, or None for a new project."""
        value = self._get_meta("source")
        return None if value is None else SourceInfo(**value)

    def initialise(self, source: SourceInfo, snapshot: bytes) -> None:
        """Record the source and a copy of its data in a new project."""
        with self._transaction():
            self._put_meta("source", source.__dict__)
            self._put_meta("created", time.time())
            self._db.execute(
                "INSERT OR REPLACE INTO snapshot (id, data) VALUES (1, ?)", (snapshot,)
            )

    def snapshot(self) -> bytes | None:
        """The stored copy of the original data (Parquet bytes)."""
        row = self._db.execute("SELECT data FROM snapshot WHERE id = 1").fetchone()
        return None if row is None else bytes(row[0])

    # -- labels and tags ----------------------------------------------------

    def label_names(self) -> list[str]:
        """Every label, indexed by its code."""
        rows = self._db.execute("SELECT code, name FROM labels ORDER BY code")
        return [name for _, name in rows]

    def tag_names(self) -> list[str]:
        """Every tag, indexed by its bit."""
        rows = self._db.execute("SELECT bit, name FROM tags ORDER BY bit")
        return [name for _, name in rows]

    def add_labels(self, names: Sequence[str], *, first_code: int) -> None:
        """Store new labels with consecutive codes from first_code."""
        with self._transaction():
            self._insert_labels(names, first_code)

    def _insert_labels(self, names: Sequence[str], first_code: int) -> None:
        self._db.executemany(
            "INSERT INTO labels (code, name) VALUES (?, ?)",
            [(first_code + i, name) for i, name in enumerate(names)],
        )

    # -- the action log -----------------------------------------------------

    def record_action(
        self,
        kind: str,
        changes: np.ndarray,
        *,
        label: str | None = None,
        tag: str | None = None,
        new_labels: Sequence[str] = (),
        first_label_code: int = 0,
        new_tag_bit: int | None = None,
    ) -> int:
        """Commit one action, dropping any actions that were undone.

        Args:
            kind: The action kind.
            changes: The per-row before and after values (CHANGE_DTYPE).
            label: The label of a label action.
            tag: The tag of a tag or untag action.
            new_labels: Labels first used by this action, stored with it.
            first_label_code: The code of the first of new_labels.
            new_tag_bit: The bit of `tag` when this action introduces it.

        Returns:
            The action's id.
        """
        with self._saving("the action"), self._transaction():
            self._db.execute(
                "DELETE FROM changes WHERE action_id IN "
                "(SELECT id FROM actions WHERE undone = 1)"
            )
            self._db.execute("DELETE FROM actions WHERE undone = 1")
            if new_labels:
                self._insert_labels(new_labels, first_label_code)
            if new_tag_bit is not None:
                self._db.execute(
                    "INSERT INTO tags (bit, name) VALUES (?, ?)", (new_tag_bit, tag)
                )
            cursor = self._db.execute(
                "INSERT INTO actions (kind, label, tag, n_rows, time) "
                "VALUES (?, ?, ?, ?, ?)",
                (kind, label, tag, len(changes), time.time()),
            )
            action_id = cursor.lastrowid
            assert action_id is not None
            self._db.execute(
                "INSERT INTO changes (action_id, data) VALUES (?, ?)",
                (action_id, changes.tobytes()),
            )
        return action_id

    def last_done(self) -> StoredAction | None:
        """The most recent action that is not undone (the next to undo)."""
        return self._fetch_one("WHERE a.undone = 0 ORDER BY a.id DESC LIMIT 1")

    def first_undone(self) -> StoredAction | None:
        """The oldest undone action (the next to redo)."""
        return self._fetch_one("WHERE a.undone = 1 ORDER BY a.id ASC LIMIT 1")

    def set_undone(self, action_id: int, undone: bool) -> None:
        """Mark an action undone or redone, committed at once."""
        with self._saving("the undo"), self._transaction():
            self._db.execute(
                "UPDATE actions SET undone = ? WHERE id = ?", (int(undone), action_id)
            )

    def done_actions(self) -> Iterator[StoredAction]:
        """Every action in effect (not undone), oldest first."""
        rows = self._db.execute(
            "SELECT a.id, a.kind, a.label, a.tag, c.data FROM actions a "
            "JOIN changes c ON c.action_id = a.id WHERE a.undone = 0 ORDER BY a.id"
        )
        for row in rows:
            yield _stored_action(row)

    def action_count(self) -> tuple[int, int]:
        """How many actions are in effect and how many are undone."""
        done, undone = self._db.execute(
            "SELECT COALESCE(SUM(undone = 0), 0), COALESCE(SUM(undone = 1), 0) "
            "FROM actions"
        ).fetchone()
        return int(done), int(undone)

    def _fetch_one(self, where: str) -> StoredAction | None:
        row = self._db.execute(
            "SELECT a.id, a.kind, a.label, a.tag, c.data FROM actions a "
            f"JOIN changes c ON c.action_id = a.id {where}"
        ).fetchone()
        return None if row is None else _stored_action(row)

    # -- the cached analysis --------------------------------------------------

    def save_analysis(self, input_key: str, data: bytes) -> None:
        """Replace the cached analysis."""
        with self._saving("the analysis"), self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO analysis (id, input_key, data) "
                "VALUES (1, ?, ?)",
                (input_key, data),
            )

    def load_analysis(self) -> bytes | None:
        """The cached analysis blob, or None."""
        row = self._db.execute("SELECT data FROM analysis WHERE id = 1").fetchone()
        return None if row is None else bytes(row[0])

    # -- helpers ----------------------------------------------------------------

    def _get_meta(self, key: str) -> Any:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,))
        found = row.fetchone()
        return None if found is None else json.loads(found[0])

    def _put_meta(self, key: str, value: Any) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            (key, json.dumps(value)),
        )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db, self._lock)

    def _saving(self, what: str) -> _SaveErrors:
        return _SaveErrors(self.path, what)


class _SaveErrors:
    """Turn a failed write (disk full, file gone read-only) into a UserError."""

    def __init__(self, path: Path, what: str):
        self._path = path
        self._what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, error: object, *exc: object) -> None:
        if isinstance(error, sqlite3.OperationalError):
            raise UserError(
                f"could not save {self._what} to {self._path} ({error}); "
                "nothing was changed"
            ) from error


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back when the block raises.

    The lock serialises transactions of threads sharing the connection (the UI
    thread applying actions while a worker stores an analysis).
    """

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock):
        self._db = db
        self._lock = lock

    def __enter__(self) -> None:
        self._lock.acquire()
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._lock.release()
            raise

    def __exit__(self, exc_type: object, *exc: object) -> None:
        try:
            if exc_type is None:
                self._db.execute("COMMIT")
        finally:
            try:
                # After a failed block or a failed COMMIT nothing may stay open.
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
            finally:
                self._lock.release()


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: transactions are opened explicitly, one per action.
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    # Reading the schema fails here, before anything is written, when the file
    # is not a database at all.
    connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return connection


def _stored_action(row: tuple[Any, ...]) -> StoredAction:
    action_id, kind, label, tag, data = row
    changes = np.frombuffer(data, dtype=CHANGE_DTYPE)
    return StoredAction(id=action_id, kind=kind, label=label, tag=tag, changes=changes)


def _describe_holder(path: Path) -> str:
    """Say which process holds a project, reading what it recorded."""
    try:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        with sqlite3.connect(uri, uri=True) as db:
            rows = dict(
                db.execute(
                    "SELECT key, value FROM meta WHERE key IN ('lock_pid', 'lock_host')"
                ).fetchall()
            )
        db.close()
    except sqlite3.Error:
        return "pid unknown"
    pid = json.loads(rows["lock_pid"]) if "lock_pid" in rows else "unknown"
    host = json.loads(rows["lock_host"]) if "lock_host" in rows else None
    where = "" if host in (None, socket.gethostname()) else f" on {host}"
    return f"pid {pid}{where}"
