"""Checklist administration (admins): check an uploaded workbook or YAML file, keep it as
a draft to preview, publish it as a new version, retire a checklist from new records.

The checklists live in the library (``storage/checklist_files.py``): the seed folder and
the published versions in the data folder. Drafts are kept in the published folder's
``.drafts`` until published or older than a day.
"""
from __future__ import annotations

import re
import secrets
import time
from pathlib import Path
from typing import Any

from ..domain.checklist import Checklist, ChecklistError
from ..domain.checklist_workbook import WorkbookError
from ..domain.messages import N_
from ..storage.checklist_files import MAX_FILE_BYTES, ChecklistLibrary, load_text, parse_json
from ..storage.checklist_workbooks import MAX_FILE_BYTES as MAX_WORKBOOK_BYTES
from ..storage.checklist_workbooks import checklist_yaml, read_workbook
from ..storage.files import ensure_dir, write_atomic
from . import Invalid, Missing

DRAFT_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
DRAFT_KEEP_SECONDS = 24 * 3600
MAX_UPLOAD_BYTES = max(MAX_FILE_BYTES, MAX_WORKBOOK_BYTES)


def check_upload(filename: str, raw: bytes) -> tuple[Checklist, str]:
    """The checklist of an uploaded file (.xlsx workbook, or .yaml/.yml/.json) and the
    text of its YAML file; :class:`Invalid` with ``problems`` (each with its sheet and
    cell, or its path) when it is not a valid checklist."""
    name = (filename or "").lower()
    try:
        if name.endswith((".yaml", ".yml", ".json")):
            if len(raw) > MAX_FILE_BYTES:
                raise ChecklistError(filename, [N_(
                    "the file is too large: %(size)s bytes (at most %(max)s bytes)",
                    size=len(raw), max=MAX_FILE_BYTES)])
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise ChecklistError(filename, [N_("not UTF-8 text (byte %(byte)s)",
                                                   byte=exc.start)]) from None
            if name.endswith(".json"):
                from ..domain.checklist import parse_checklist
                checklist = parse_checklist(parse_json(text, filename), filename)
            else:
                checklist = load_text(text, filename)
            return checklist, checklist_yaml(dict(checklist.data))
        checklist, data = read_workbook(raw, filename or "workbook.xlsx")
        return checklist, checklist_yaml(data)
    except WorkbookError as exc:
        raise Invalid(N_("the workbook is not a valid checklist"),
                      problems=list(exc.problems)) from None
    except ChecklistError as exc:
        raise Invalid(N_("the file is not a valid checklist"),
                      problems=list(exc.problems)) from None


def _drafts(library: ChecklistLibrary) -> Path:
    if library.published is None:
        raise Missing(N_("no folder for published checklists"))
    return library.published / ".drafts"


def save_draft(library: ChecklistLibrary, text: str) -> str:
    """Keep a checked file's text to preview; returns its draft token."""
    folder = _drafts(library)
    ensure_dir(folder)
    now = time.time()
    for old in folder.glob("*.yaml"):
        try:
            if now - old.stat().st_mtime > DRAFT_KEEP_SECONDS:
                old.unlink()
        except OSError:
            continue
    token = secrets.token_urlsafe(18)
    write_atomic(folder / f"{token}.yaml", text.encode("utf-8"))
    return token


def draft(library: ChecklistLibrary, token: str) -> tuple[Checklist, str]:
    """The checklist of a draft and its text (:class:`Missing` if there is none)."""
    if not isinstance(token, str) or not DRAFT_RE.match(token):
        raise Missing(N_("no such draft"))
    path = _drafts(library) / f"{token}.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise Missing(N_("no such draft")) from None
    return load_text(text, token), text


def publish(library: ChecklistLibrary, token: str) -> Any:
    """Publish a draft as the next version of its checklist (then the draft is gone).
    The same content as the current version is refused: nothing would change."""
    checklist, text = draft(library, token)
    current = library.get(checklist.id)
    if current is not None and current.hash == checklist.hash and not library.retired(
            checklist.id):
        raise Invalid(N_("this is the current version of %(id)s already: nothing to publish",
                         id=checklist.id))
    version = library.publish(checklist, text)
    (_drafts(library) / f"{token}.yaml").unlink(missing_ok=True)
    return version


def retire(library: ChecklistLibrary, checklist_id: str, retired: bool) -> None:
    """Retire a checklist from new records, or bring it back."""
    if library.get(checklist_id) is None:
        raise Missing(N_("no such checklist"))
    library.set_retired(checklist_id, retired)
