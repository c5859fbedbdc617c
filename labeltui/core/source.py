"""Pair a data file with its project, and never silently mix their rows.

A project remembers the size and SHA-256 of the file it was made from and keeps
a Parquet copy of its data. Reopening checks the file against them: when it is
unchanged the file is read; when it changed (or is gone) the caller chooses to
open the stored copy or to start a new project, the old one moved aside.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from labeltui.core.dataset import Dataset, load_dataset, normalise_labels
from labeltui.core.errors import UserError
from labeltui.core.project import PROJECT_SUFFIX, Project, SourceInfo

log = logging.getLogger(__name__)

ON_SOURCE_CHANGE = ("fail", "snapshot", "new")

# Read the source in chunks of this size when hashing it: large enough that the
# per-call overhead vanishes, small enough to stay out of the memory budget.
HASH_CHUNK_BYTES = 1 << 20


class SourceChangedError(UserError):
    """The data file differs from the one the project was made from."""

    def __init__(self, message: str, *, data_path: Path, project_path: Path):
        super().__init__(message)
        self.data_path = data_path
        self.project_path = project_path


@dataclass
class OpenedProject:
    """A locked project, the data to show with it, and what to tell the person."""

    project: Project
    dataset: Dataset
    notice: str | None


def open_project(
    data_path: Path,
    *,
    text_column: str | None = None,
    label_column: str | None = None,
    encoding: str | None = None,
    project_path: Path | None = None,
    on_source_change: str = "fail",
) -> OpenedProject:
    """Open (or create) the project of a data file, or a project file alone.

    Arguments are those of `Workspace.open`.

    Raises:
        SourceChangedError: The data changed and on_source_change is "fail".
        UserError: The data cannot be read, the project is held by another
            process, or it is not a project this labeltui can read.
    """
    if on_source_change not in ON_SOURCE_CHANGE:
        raise ValueError(f"on_source_change must be one of {ON_SOURCE_CHANGE}")
    notices: list[str] = []
    from_project = data_path.suffix.lower() == PROJECT_SUFFIX
    if from_project:
        if not data_path.is_file():
            raise UserError(f"{data_path}: no such project file")
        project_path = data_path
    elif project_path is None:
        project_path, notice = default_project_path(data_path)
        if notice:
            notices.append(notice)

    existed = project_path.exists()
    project = Project.open(project_path)
    try:
        dataset = _read_data(
            project,
            data_path,
            from_project=from_project,
            text_column=text_column,
            label_column=label_column,
            encoding=encoding,
            on_source_change=on_source_change,
            notices=notices,
        )
    except _StartNewProject:
        project.close()
        aside = _move_aside(project_path)
        notices.append(
            f"{data_path} changed, so a new project was started; the old one was "
            f"moved to {aside}"
        )
        project = Project.open(project_path)
        try:
            dataset = _create(project, data_path, text_column, label_column, encoding)
        except BaseException:
            project.close()
            raise
    except BaseException:
        project.close()
        if not existed:
            _remove_project(project_path)
        raise
    return OpenedProject(project, dataset, " ".join(notices) or None)


def default_project_path(data_path: Path) -> tuple[Path, str | None]:
    """Where the project of a data file lives, and a notice if not beside it.

    The project goes beside the data (banking.csv -> banking.labeltui) unless
    that folder is not writable; then it goes to the user data directory, under
    a name made unique by a hash of the data's absolute path.
    """
    beside = data_path.with_suffix(PROJECT_SUFFIX)
    if _writable(beside):
        return beside, None
    import platformdirs

    digest = hashlib.sha256(str(data_path.resolve()).encode()).hexdigest()[:8]
    folder = Path(platformdirs.user_data_dir("labeltui"))
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{data_path.stem}-{digest}{PROJECT_SUFFIX}"
    return target, (
        f"{beside.parent} is not writable, so the project is kept in {target}"
    )


class _StartNewProject(Exception):
    """The data changed and the caller asked for a new project."""


def _writable(project: Path) -> bool:
    if project.exists():
        return os.access(project, os.W_OK) and os.access(project.parent, os.W_OK)
    return os.access(project.parent, os.W_OK)


def _read_data(
    project: Project,
    data_path: Path,
    *,
    from_project: bool,
    text_column: str | None,
    label_column: str | None,
    encoding: str | None,
    on_source_change: str,
    notices: list[str],
) -> Dataset:
    source = project.source()
    if source is None:
        if from_project:
            raise UserError(f"{data_path} is not a labeltui project with data")
        return _create(project, data_path, text_column, label_column, encoding)

    if from_project:
        data_path = Path(source.path)
    _check_columns(project.path, source, text_column, label_column)
    state = _source_state(data_path, source)
    if state == "same":
        # The file is byte for byte the one the snapshot was read from, and the
        # snapshot (Parquet) reads in half the time a CSV does.
        stored = _dataset_from_snapshot(project, source, path=data_path)
        if stored is not None:
            log.info("%s is unchanged; read its copy in %s", data_path, project.path)
            return stored
        return load_dataset(
            data_path,
            text_column=source.text_column,
            label_column=source.label_column,
            encoding=encoding or source.encoding,
        )

    what = "is missing" if state == "missing" else "has changed"
    if (from_project and state == "missing") or on_source_change == "snapshot":
        notices.append(
            f"{data_path} {what} since the project was made; showing the copy of "
            f"the data stored in {project.path}"
        )
        stored = _dataset_from_snapshot(project, source, path=Path(source.path))
        if stored is None:
            raise UserError(f"project {project.path} holds no copy of its data")
        return stored
    if on_source_change == "new" and not from_project:
        raise _StartNewProject
    if data_path.resolve() == Path(source.path):
        problem = f"{data_path} {what} since the project {project.path} was made"
    else:
        problem = (
            f"the project {project.path} was made from {source.path}, and "
            f"{data_path} differs from it"
        )
    raise SourceChangedError(
        f"{problem}; choose: open the project with the copy of the data it "
        "stored, or start a new project (the old one is kept aside)",
        data_path=data_path,
        project_path=project.path,
    )


def _check_columns(
    project_path: Path,
    source: SourceInfo,
    text_column: str | None,
    label_column: str | None,
) -> None:
    for asked, stored, what in (
        (text_column, source.text_column, "text"),
        (label_column, source.label_column, "label"),
    ):
        if asked is not None and asked != stored:
            raise UserError(
                f"project {project_path} uses {stored!r} as the {what} column, not "
                f"{asked!r}; pass --project to start a separate project"
            )


def _create(
    project: Project,
    data_path: Path,
    text_column: str | None,
    label_column: str | None,
    encoding: str | None,
) -> Dataset:
    dataset = load_dataset(
        data_path,
        text_column=text_column,
        label_column=label_column,
        encoding=encoding,
    )
    size, digest = hash_file(data_path)
    source = SourceInfo(
        path=str(data_path.resolve()),
        size=size,
        content_hash=digest,
        text_column=dataset.text_column,
        label_column=dataset.label_column,
        encoding=encoding,
    )
    buffer = io.BytesIO()
    dataset.frame.write_parquet(buffer, compression="zstd")
    project.initialise(source, buffer.getvalue())
    log.info("created project %s for %s", project.path, data_path)
    return dataset


def _source_state(data_path: Path, source: SourceInfo) -> str:
    """'same', 'changed' or 'missing': the data file against the recorded one."""
    if not data_path.is_file():
        return "missing"
    if data_path.stat().st_size != source.size:
        return "changed"
    _, digest = hash_file(data_path)
    return "same" if digest == source.content_hash else "changed"


def hash_file(path: Path) -> tuple[int, str]:
    """The size of a file and its content hash ("sha256:<hex>")."""
    # SHA-256: collision-safe and, with the CPU's SHA instructions, the fastest
    # of hashlib's algorithms here (about 1 GB/s).
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as file:
            while chunk := file.read(HASH_CHUNK_BYTES):
                digest.update(chunk)
                size += len(chunk)
    except OSError as error:
        raise UserError(f"{path}: cannot read ({error.strerror})") from error
    return size, f"sha256:{digest.hexdigest()}"


def _dataset_from_snapshot(
    project: Project, source: SourceInfo, *, path: Path
) -> Dataset | None:
    """The data as stored in the project, or None if it holds no copy."""
    data = project.snapshot()
    if data is None:
        return None
    frame = pl.read_parquet(io.BytesIO(data))
    given = normalise_labels(frame, source.label_column)
    texts = frame.get_column(source.text_column).cast(pl.String).fill_null("")
    return Dataset(
        path=path,
        frame=frame,
        text_column=source.text_column,
        label_column=source.label_column,
        texts=texts.rename("text"),
        given_labels=given,
        labels=tuple(sorted(given.drop_nulls().unique().to_list())),
    )


def _remove_project(project_path: Path) -> None:
    """Remove a project file this call created but could not fill."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{project_path}{suffix}").unlink(missing_ok=True)


def _move_aside(project_path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = project_path.with_name(f"{project_path.stem}.{stamp}{PROJECT_SUFFIX}")
    counter = 1
    while aside.exists():
        aside = project_path.with_name(
            f"{project_path.stem}.{stamp}-{counter}{PROJECT_SUFFIX}"
        )
        counter += 1
    project_path.rename(aside)
    return aside
