"""Temporary files of the store and of exports, and how leftovers of killed writers go.

Every temporary file is named so that nothing takes it for data (store files:
``.<name>.<random>.tmp`` beside the file they replace; exports: a private folder
``<data_dir>/tmp/export-<random>/``), and it is ``flock``-ed by its writer for as
long as it is being written. A temporary is *stale* only if it is older than
:data:`STALE_SECONDS` **and** nobody holds its lock: a killed process's locks are
released by the kernel at once, a live writer's never are, so a slow export of a
whole province is never taken for a leftover however long it runs.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from .base import storing

try:
    import fcntl
except ImportError:  # pragma: no cover - not Unix: age alone decides
    fcntl = None  # type: ignore[assignment]

#: Suffix of every temporary file the store writes.
TMP_SUFFIX = ".tmp"
#: A temporary nobody holds is a leftover once it is this old (seconds).
STALE_SECONDS = 5 * 60
#: Folder of the data folder where exports build their workbooks.
TMP_DIR = "tmp"
EXPORT_PREFIX = "export-"
#: Start-up cleans at most once in this many seconds (stamp file in the store folder).
CLEAN_EVERY_SECONDS = STALE_SECONDS
CLEAN_STAMP = ".temporaries-cleaned"


def hold_temporary(fd: int) -> None:
    """Mark the temporary open on ``fd`` as being written (released when it is closed)."""
    if fcntl is not None:
        with suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def is_held(path: Path) -> bool:
    """Whether a live process holds the lock of temporary ``path`` (file or folder)."""
    if fcntl is None:
        return False
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # also releases the lock this probe may have taken
    return False


def is_store_temporary(name: str) -> bool:
    """Whether a file name is one of :func:`write_atomic`'s (or an export's) temporaries."""
    return name.startswith(".") and name.endswith(TMP_SUFFIX)


def stale_temporaries(data_dir: Path, *, now: float | None = None,
                      min_age: float = STALE_SECONDS,
                      extra: tuple[Path, ...] = ()) -> list[Path]:
    """The leftovers of a data folder: store temp files (under ``store/``, ``photos/``,
    ``jobs/`` — the run locks of export jobs — and the folders ``extra``) and export
    folders (``tmp/export-*``) older than ``min_age`` that no live writer holds."""
    now = time.time() if now is None else now
    data_dir = Path(data_dir)
    found: list[Path] = []
    for top in (data_dir / "store", data_dir / "photos", data_dir / "jobs", *extra):
        for dirpath, _dirnames, filenames in os.walk(top):
            for name in filenames:
                if is_store_temporary(name) and _stale(Path(dirpath, name), now, min_age):
                    found.append(Path(dirpath, name))
    with suppress(FileNotFoundError, NotADirectoryError):
        for entry in os.scandir(data_dir / TMP_DIR):
            path = Path(entry.path)
            if entry.name.startswith(EXPORT_PREFIX) and _stale(path, now, min_age):
                found.append(path)
    return sorted(found)


def _stale(path: Path, now: float, min_age: float) -> bool:
    try:
        age = now - path.lstat().st_mtime
    except FileNotFoundError:
        return False
    return age >= min_age and not is_held(path)


def remove(path: Path) -> None:
    """Remove a temporary file or export folder (gone already is fine)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def clean_temporaries(data_dir: Path, *, now: float | None = None,
                      min_age: float = STALE_SECONDS) -> list[Path]:
    """Remove the stale temporaries of a data folder; returns what was removed."""
    removed = []
    for path in stale_temporaries(Path(data_dir), now=now, min_age=min_age):
        remove(path)
        removed.append(path)
    return removed


def clean_at_start(data_dir: Path) -> None:
    """:func:`clean_temporaries`, at most once per :data:`CLEAN_EVERY_SECONDS` for all
    the processes sharing the folder (many workers start at once); never fails."""
    stamp = Path(data_dir) / "store" / CLEAN_STAMP
    try:
        if time.time() - stamp.stat().st_mtime < CLEAN_EVERY_SECONDS:
            return
    except FileNotFoundError:
        pass
    except OSError:
        return
    with suppress(OSError):
        stamp.touch()  # first, so that the other workers starting now skip
    with suppress(OSError):
        clean_temporaries(Path(data_dir))  # also on a full disk: it frees room


@contextmanager
def export_folder(data_dir: str | os.PathLike[str]) -> Iterator[Path]:
    """A private folder for the temporary files of one export (XlsxWriter's parts and
    the workbook), held for as long as the block runs and removed at its end. A
    killed export's folder is removed by :func:`clean_temporaries`."""
    base = Path(data_dir) / TMP_DIR
    with storing(base):
        base.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=EXPORT_PREFIX, dir=base))
    fd = os.open(folder, os.O_RDONLY)
    try:
        hold_temporary(fd)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)
