"""Checklist administration (admins): check an uploaded workbook or YAML file, keep it as
a draft to preview, publish it as a new version, retire a checklist from new records.

The checklists live in the library (``storage/checklist_files.py``): the seed folder and
the versions published in the app, which the store keeps (files of the data folder, or
PostgreSQL rows: every server sees them). Drafts are kept by the store too, until
published or older than a day.
"""
from __future__ import annotations

import re
import secrets
from typing import Any

from ..domain.checklist import Checklist, ChecklistError
from ..domain.checklist_workbook import WorkbookError
from ..domain.messages import N_
from ..domain.text import NotText, decode_upload
from ..storage.checklist_files import MAX_FILE_BYTES, ChecklistLibrary, load_text, parse_json
from ..storage.checklist_workbooks import MAX_FILE_BYTES as MAX_WORKBOOK_BYTES
from ..storage.checklist_workbooks import checklist_yaml, read_limited, read_workbook
from . import Conflict, Invalid, Missing, audit

DRAFT_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
MAX_UPLOAD_BYTES = max(MAX_FILE_BYTES, MAX_WORKBOOK_BYTES)


def read_upload(handle: Any) -> tuple[bytes, int]:
    """The start of an uploaded file that :func:`check_upload` needs, and its size."""
    return read_limited(handle, MAX_UPLOAD_BYTES)


def check_upload(filename: str, raw: bytes, size: int | None = None) -> tuple[Checklist, str]:
    """The checklist of an uploaded file (.xlsx workbook, or .yaml/.yml/.json) and the
    text of its YAML file; :class:`Invalid` with ``problems`` (each with its sheet and
    cell, or its path) when it is not a valid checklist. ``size`` is the file's size
    when ``raw`` is only its start (:func:`read_upload`)."""
    name = (filename or "").lower()
    size = len(raw) if size is None else max(size, len(raw))
    try:
        if name.endswith((".yaml", ".yml", ".json")):
            if size > MAX_FILE_BYTES:
                raise ChecklistError(filename, [N_(
                    "the file is too large: %(size)s bytes (at most %(max)s bytes)",
                    size=size, max=MAX_FILE_BYTES)])
            try:
                text = decode_upload(raw)
            except NotText as exc:
                raise ChecklistError(filename, [N_("not UTF-8 text (byte %(byte)s)",
                                                   byte=exc.byte)]) from None
            if name.endswith(".json"):
                from ..domain.checklist import parse_checklist
                checklist = parse_checklist(parse_json(text, filename), filename)
            else:
                checklist = load_text(text, filename)
            return checklist, checklist_yaml(dict(checklist.data))
        checklist, data = read_workbook(raw, filename or "workbook.xlsx", size)
        return checklist, checklist_yaml(data)
    except WorkbookError as exc:
        raise Invalid(N_("the workbook is not a valid checklist"),
                      problems=list(exc.problems)) from None
    except ChecklistError as exc:
        raise Invalid(N_("the file is not a valid checklist"),
                      problems=list(exc.problems)) from None


def _store(library: ChecklistLibrary) -> Any:
    if library.store is None:
        raise Missing(N_("no store for published checklists"))
    return library.store


def save_draft(library: ChecklistLibrary, text: str) -> str:
    """Keep a checked file's text to preview (in the store: any server can publish it);
    returns its draft token."""
    token = secrets.token_urlsafe(18)
    _store(library).put_checklist_draft(token, text)
    return token


def draft(library: ChecklistLibrary, token: str) -> tuple[Checklist, str]:
    """The checklist of a draft and its text (:class:`Missing` if there is none)."""
    if not isinstance(token, str) or not DRAFT_RE.fullmatch(token):
        raise Missing(N_("no such draft"))
    text = _store(library).get_checklist_draft(token)
    if text is None:
        raise Missing(N_("no such draft"))
    try:
        return load_text(text, token), text
    except ChecklistError as exc:  # uploaded before a rule for new checklists was added
        raise Invalid(N_("this draft no longer passes the checks: correct the file and upload "
                         "it again"), problems=list(exc.problems)) from None


def _version_fields(library: ChecklistLibrary, checklist_id: str) -> dict | None:
    """What the audit log keeps of a checklist's current version (None: there is none)."""
    versions = library.versions(checklist_id)
    if not versions:
        return None
    last = versions[-1]
    return {"version": last.number, "hash": last.checklist.hash,
            "retired": library.retired(checklist_id)}


def publish(library: ChecklistLibrary, token: str, *, by: str = audit.CLI,
            against: str | None = None) -> Any:
    """Publish a draft as the next version of its checklist (then the draft is gone).
    The same content as the current version is refused: nothing would change.
    ``against``: the hash of the current version the preview compared the draft with
    ("" for none); another version published since is :class:`Conflict` (the preview
    approved did not show what publishing would now replace)."""
    checklist, text = draft(library, token)
    current = library.get(checklist.id)
    if against is not None and against != (current.hash if current else ""):
        raise Conflict(N_("Another version of %(id)s was published after this preview was "
                          "opened: here is what the draft changes against it. Publish again "
                          "if it is still right.", id=checklist.id))
    if current is not None and current.hash == checklist.hash and not library.retired(
            checklist.id):
        raise Invalid(N_("this is the current version of %(id)s already: nothing to publish",
                         id=checklist.id))
    # Records name their checklist by its version text (minutes, the Excel score sheets):
    # two contents under one text would be told apart nowhere.
    if any(v.checklist.version == checklist.version and v.checklist.hash != checklist.hash
           for v in library.versions(checklist.id)):
        raise Invalid(N_("version %(version)s of %(id)s was published with other content: "
                         "give this one a new version text (version: in the file, “Phiên "
                         "bản” in the workbook)", version=checklist.version, id=checklist.id),
                      field="version")
    store = _store(library)
    before = _version_fields(library, checklist.id)
    with store.atomic():
        version = library.publish(checklist, text)
        audit.record(store, by, "checklist.publish", checklist.id, before, {
            "version": version.number, "hash": checklist.hash, "retired": False})
    store.delete_checklist_draft(token)
    return version


def retire(library: ChecklistLibrary, checklist_id: str, retired: bool, *,
           by: str = audit.CLI) -> None:
    """Retire a checklist from new records, or bring it back (already so: nothing is
    written, nor logged)."""
    if library.get(checklist_id) is None:
        raise Missing(N_("no such checklist"))
    store = _store(library)
    was = library.retired(checklist_id)
    if was == bool(retired):
        return
    with store.atomic():
        library.set_retired(checklist_id, retired)
        audit.record(store, by, "checklist.retire" if retired else "checklist.restore",
                     checklist_id, {"retired": was}, {"retired": bool(retired)})
