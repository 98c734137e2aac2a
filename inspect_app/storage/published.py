"""The checklists published in the app, as files of the embedded store's data folder.

Layout (unchanged since checklists were first published in the app, so older data folders
keep their versions): ``DATA_DIR/checklists/<id>/v0001.yaml``, ``v0002.yaml``… (the text
as published; its modification time is when), a ``retired`` file beside them while the id
is retired from new records, ``.drafts/<token>.yaml`` for checked uploads waiting to be
published (a day at most), and ``.stamp``: a random value rewritten on every publish and
retire, which is what :meth:`PublishedFolder.stamp` reads (one small file per use of the
checklist library: every process sharing the folder sees a change at its next request).

Every write is atomic (:func:`~.files.write_atomic`); numbering is serialised across
processes by a lock file per id.
"""
from __future__ import annotations

import datetime as _dt
import os
import re
import secrets
import time
from contextlib import suppress
from pathlib import Path

from .base import MAX_CHECKLIST_TEXT, NotFound, PublishedVersion, StoreError
from .files import ensure_dir, locked, write_atomic

#: How a published version's file is named: v0001.yaml, v0002.yaml…
VERSION_RE = re.compile(r"v(\d{4,9})\.yaml")
#: A checklist id (DESIGN §3) is a safe folder name.
CHECKLIST_ID_RE = re.compile(r"[a-z0-9_-]{1,100}")
#: A draft token (services/checklists.py makes them): a safe file name.
DRAFT_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
RETIRED_MARK = "retired"
DRAFT_KEEP_SECONDS = 24 * 3600


def checked_text(text: str) -> bytes:
    """The UTF-8 bytes of a checklist text to keep (:class:`StoreError` if it is not text
    or too long)."""
    if not isinstance(text, str) or len(text) > MAX_CHECKLIST_TEXT:
        raise StoreError("a checklist text must be a string of at most "
                         f"{MAX_CHECKLIST_TEXT} characters")
    return text.encode("utf-8")


def _written(path: Path) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(path.stat().st_mtime, tz=_dt.UTC)


class PublishedFolder:
    """The published checklists of one data folder (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._drafts = self.root / ".drafts"
        self._stamp = self.root / ".stamp"

    # -- the stamp ---------------------------------------------------------------------
    def stamp(self) -> str:
        try:
            return self._stamp.read_bytes().decode("ascii", "replace")
        except FileNotFoundError:
            return ""

    def _touch(self) -> None:
        ensure_dir(self.root)
        write_atomic(self._stamp, secrets.token_hex(8).encode("ascii"))

    # -- versions ----------------------------------------------------------------------
    def _files(self, folder: Path) -> list[tuple[int, Path]]:
        try:
            entries = list(folder.iterdir())
        except OSError:
            return []
        found = [(int(m.group(1)), p) for p in entries if (m := VERSION_RE.fullmatch(p.name))]
        return sorted(found)

    def _version(self, checklist_id: str, number: int, path: Path) -> PublishedVersion | None:
        try:
            text = path.read_bytes()[:MAX_CHECKLIST_TEXT * 4].decode("utf-8", "replace")
            return PublishedVersion(checklist_id, number, text, _written(path))
        except OSError:
            return None

    def latest(self) -> list[PublishedVersion]:
        out = []
        try:
            folders = sorted(p for p in self.root.iterdir()
                             if p.is_dir() and CHECKLIST_ID_RE.fullmatch(p.name))
        except OSError:
            return []
        for folder in folders:
            files = self._files(folder)
            if files and (version := self._version(folder.name, *files[-1])) is not None:
                out.append(version)
        return out

    def versions(self, checklist_id: str) -> list[PublishedVersion]:
        if not isinstance(checklist_id, str) or not CHECKLIST_ID_RE.fullmatch(checklist_id):
            return []
        return [v for number, path in self._files(self.root / checklist_id)
                if (v := self._version(checklist_id, number, path)) is not None]

    def _folder(self, checklist_id: str) -> Path:
        if not isinstance(checklist_id, str) or not CHECKLIST_ID_RE.fullmatch(checklist_id):
            raise NotFound(f"not a checklist id: {checklist_id!r}")
        return self.root / checklist_id

    def publish(self, checklist_id: str, text: str) -> PublishedVersion:
        folder = self._folder(checklist_id)
        data = checked_text(text)
        ensure_dir(folder)
        with locked(folder / ".lock"):
            number = max((n for n, _p in self._files(folder)), default=0) + 1
            path = folder / f"v{number:04d}.yaml"
            write_atomic(path, data)
            (folder / RETIRED_MARK).unlink(missing_ok=True)
            self._touch()
        return PublishedVersion(checklist_id, number, text, _written(path))

    def import_version(self, version: PublishedVersion) -> None:
        """Write a version with its own number and time (``store copy`` the other way;
        tests)."""
        folder = self._folder(version.checklist_id)
        ensure_dir(folder)
        path = folder / f"v{version.number:04d}.yaml"
        with locked(folder / ".lock"):
            write_atomic(path, checked_text(version.text))
            at = version.published_at.timestamp()
            os.utime(path, (at, at))
            self._touch()

    # -- retired -----------------------------------------------------------------------
    def retired(self) -> set[str]:
        try:
            folders = [p for p in self.root.iterdir() if CHECKLIST_ID_RE.fullmatch(p.name)]
        except OSError:
            return set()
        return {p.name for p in folders if (p / RETIRED_MARK).exists()}

    def set_retired(self, checklist_id: str, retired: bool) -> None:
        folder = self._folder(checklist_id)
        ensure_dir(folder)
        mark = folder / RETIRED_MARK
        with locked(folder / ".lock"):
            if retired:
                write_atomic(mark, b"retired\n")
            else:
                mark.unlink(missing_ok=True)
            self._touch()

    # -- drafts ------------------------------------------------------------------------
    def _draft_path(self, token: str) -> Path | None:
        if not isinstance(token, str) or not DRAFT_TOKEN_RE.fullmatch(token):
            return None
        return self._drafts / f"{token}.yaml"

    def put_draft(self, token: str, text: str) -> None:
        path = self._draft_path(token)
        if path is None:
            raise StoreError(f"not a draft token: {token!r}")
        data = checked_text(text)
        ensure_dir(self._drafts)
        now = time.time()
        for old in self._drafts.glob("*.yaml"):
            with suppress(OSError):
                if now - old.stat().st_mtime > DRAFT_KEEP_SECONDS:
                    old.unlink()
        write_atomic(path, data)

    def get_draft(self, token: str) -> str | None:
        path = self._draft_path(token)
        if path is None:
            return None
        try:
            if time.time() - path.stat().st_mtime > DRAFT_KEEP_SECONDS:
                return None
            return path.read_bytes().decode("utf-8", "replace")
        except OSError:
            return None

    def delete_draft(self, token: str) -> None:
        path = self._draft_path(token)
        if path is not None:
            path.unlink(missing_ok=True)
