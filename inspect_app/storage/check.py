"""``flask --app inspect_app store check [--fix]``: what killed writers left in a data folder.

Finds

* stale temporaries: store temp files (``.<name>.<random>.tmp``) and export folders
  (``tmp/export-*``) older than :data:`~.temporaries.STALE_SECONDS` that no live
  process holds (see :mod:`.temporaries`);
* orphan photos: photo files whose id no inspection file mentions anywhere (a photo is
  written before its record refers to it, so an upload killed in between leaves
  one), older than the same age, so that an upload in progress is never one;
* unreadable files: data files that are not valid JSON.

With ``fix`` it removes the stale temporaries and moves orphan photos to
``<data_dir>/orphans/photos/`` (kept, for an administrator to look at). A photo is
only ever moved if every inspection file could be read, and never if any record
mentions its id: a file a record refers to is never touched.
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import temporaries
from .tinydb_store import TinyDBStore

ORPHANS_DIR = "orphans"


@dataclass
class CheckReport:
    """What :func:`check_store` found (and, with ``fix``, did)."""

    stale_temporaries: list[Path] = field(default_factory=list)
    orphan_photos: list[Path] = field(default_factory=list)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    moved: list[tuple[Path, Path]] = field(default_factory=list)
    photos_kept_because: str = ""

    @property
    def clean(self) -> bool:
        """Nothing left to fix (after the fix, if one ran)."""
        fixed = set(self.removed) | {src for src, _ in self.moved}
        return not self.unreadable and all(
            p in fixed for p in [*self.stale_temporaries, *self.orphan_photos])


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value, dict keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _data_files(root: Path) -> Iterable[Path]:
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            if name.endswith(".json") and not name.startswith("."):
                yield Path(dirpath, name)


def check_store(store: TinyDBStore, *, fix: bool = False, now: float | None = None,
                min_age: float = temporaries.STALE_SECONDS,
                extra: tuple[Path, ...] = ()) -> CheckReport:
    """Look for leftovers in ``store``'s data folder (and temporaries in the folders
    ``extra``, e.g. where the ``export`` command writes); fix them if ``fix``."""
    now = time.time() if now is None else now
    data_dir = store.data_dir
    report = CheckReport()
    report.stale_temporaries = temporaries.stale_temporaries(
        data_dir, now=now, min_age=min_age, extra=tuple(p for p in extra if p.is_dir()))

    mentioned: set[str] = set()
    inspections_dir = store.root / "inspections"
    for path in sorted(_data_files(store.root)):
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError) as exc:
            report.unreadable.append((path, str(exc)))
            continue
        if inspections_dir in path.parents:
            mentioned.update(_strings(data))

    photos_dir = data_dir / "photos"
    for path in sorted(photos_dir.glob("*/*.jpg")):
        photo_id = path.name.split(".", 1)[0]
        if photo_id in mentioned:
            continue
        try:
            age = now - path.stat().st_mtime
        except FileNotFoundError:
            continue
        if age >= min_age:
            report.orphan_photos.append(path)

    if fix:
        for path in report.stale_temporaries:
            temporaries.remove(path)
            report.removed.append(path)
        if report.orphan_photos and any(inspections_dir in p.parents
                                        for p, _ in report.unreadable):
            report.photos_kept_because = "an inspection file is unreadable"
        else:
            target = data_dir / ORPHANS_DIR / "photos"
            for path in report.orphan_photos:
                destination = target / path.relative_to(photos_dir)
                destination.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, destination)
                report.moved.append((path, destination))
    return report
