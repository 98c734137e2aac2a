"""``store copy``: the embedded TinyDB store into an empty PostgreSQL database, verified.

Copies units, users (with their password hashes and API token hashes), the settings
document, the checklists published in the app (every version with its number and time,
and which ids are retired; drafts are not copied), inspections
document, the audit log (oldest first, in one transaction, so the order stays), inspections
(with their checklist snapshots, history and remembered operations) and photos; login
throttling is not copied (it is forgotten within the hour anyway). Then verifies record
by record: the same counts on both sides and the same content hash of every unit, user,
inspection (sha256 of its canonical JSON) and photo (sha256 of its bytes).

Resumable: the copy marks the database (table ``inspect_copy``) before writing anything;
inspections go in batches of one transaction each, and what a run finds already copied
it skips (and a photo removed from the folder since is removed from the database), so a
copy killed half-way is run again with the same command. An inspection file that cannot
be read stops the copy naming it (:class:`Unreadable`): restore it, then run it again. A database
that holds records and no mark of a copy from the same folder is refused. Run it while
the app is stopped (what changes in the folder during a copy fails the verification).
"""
from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

from .base import InspectionQuery, StoreError
from .files import valid_id
from .postgres_store import PostgresStore, redacted
from .tinydb_store import TinyDBStore

#: Inspections per transaction.
BATCH = 200


class NotEmpty(StoreError):
    """The target database already holds records (and is not a copy of this folder)."""


class Unreadable(StoreError):
    """A file of the folder cannot be read (cut short, not JSON): the copy stops."""


def _inspection(source: TinyDBStore, inspection_id: str) -> Any:
    """The inspection of the folder, or None; :class:`Unreadable` naming its file."""
    try:
        return source.get_inspection(inspection_id)
    except ValueError as exc:  # json / orjson JSONDecodeError, a document it cannot read
        path = source._inspection_path(inspection_id)
        raise Unreadable(f"cannot read {path} ({exc}): restore it from a backup (`store "
                         "check` lists the unreadable files), then run the same command "
                         "again") from None


@dataclass
class CopyReport:
    """What a copy did: ``copied`` and ``skipped`` (already there) per kind, the counts
    on both sides, and every record whose copy differs (``mismatches``)."""

    copied: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    source_counts: dict[str, int] = field(default_factory=dict)
    target_counts: dict[str, int] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)
    resumed: bool = False

    @property
    def verified(self) -> bool:
        return not self.mismatches and self.source_counts == self.target_counts


def content_hash(record: Any) -> str:
    """The sha256 of a record's canonical JSON (sorted keys)."""
    return hashlib.sha256(orjson.dumps(record.to_dict(), option=orjson.OPT_SORT_KEYS)).hexdigest()


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def source_photos(source: TinyDBStore) -> list[tuple[str, str, Path]]:
    """``(id, variant, file)`` of every photo file of the embedded store."""
    out = []
    for path in sorted(source.photos.root.glob("*/*.jpg")):
        parts = path.name.split(".")
        if len(parts) == 3 and valid_id(parts[0]) and valid_id(parts[1]):
            out.append((parts[0], parts[1], path))
    return out


def _source_versions(source: TinyDBStore) -> list[Any]:
    """Every published version of every checklist of the embedded store, oldest first."""
    return [version for latest in sorted(source.latest_checklist_versions(),
                                         key=lambda v: v.checklist_id)
            for version in source.checklist_versions(latest.checklist_id)]


def _source_ids(source: TinyDBStore) -> list[str]:
    return sorted(s.id for s in source.iter_summaries(InspectionQuery()))


def copy_store(source: TinyDBStore, target: PostgresStore, *, batch: int = BATCH,
               progress: Callable[[str, int, int], None] | None = None) -> CopyReport:
    """Copy ``source`` into ``target`` and verify it (see the module docstring).
    :class:`NotEmpty` if the target holds records of something else."""
    report = CopyReport()
    label = str(source.data_dir.resolve())
    report.resumed = target.copy_under_way(label)
    if not report.resumed:
        if any(target.counts().values()) or target.get_settings() or \
                target.retired_checklists():
            raise NotEmpty(f"the database {redacted(target.url)} already holds records: "
                           "store copy needs an empty database")
        target.begin_copy(label)

    def done(kind: str, copied: int, skipped: int) -> None:
        report.copied[kind] = report.copied.get(kind, 0) + copied
        report.skipped[kind] = report.skipped.get(kind, 0) + skipped

    units = source.list_units()
    target.save_units(units)
    done("units", len(units), 0)

    for user in source.list_users():  # a run again brings over what changed since
        there = target.get_user(user.username)
        if there is None:
            target.add_user(user)
            done("users", 1, 0)
        elif content_hash(there) != content_hash(user):
            target.update_user(user.username, lambda now, was=user: now.__dict__.update(
                copy.deepcopy(was.__dict__)))
            done("users", 1, 0)
        else:
            done("users", 0, 1)

    settings = source.get_settings()
    if settings and target.get_settings() != settings:
        target.put_settings(settings)
        done("settings", 1, 0)

    for user in source.list_users():  # reminders: what was read, which days were mailed
        state = source.get_user_state(user.username)
        if state and target.get_user_state(user.username) != state:
            target.update_user_state(user.username, lambda doc, new=state: (doc.clear(),
                                                                             doc.update(new)))
            done("user states", 1, 0)

    for version in _source_versions(source):
        copied = target.import_checklist_version(version)
        done("checklist versions", int(copied), int(not copied))
    retired, there = source.retired_checklists(), target.retired_checklists()
    for checklist_id in sorted(retired ^ there):  # both ways: one restored since, too
        target.set_checklist_retired(checklist_id, checklist_id in retired)
    entries = list(reversed(source.page_audit().rows))  # oldest first
    present_audit = {e.id for e in target.page_audit().rows}
    todo_audit = [e for e in entries if e.id not in present_audit]
    with target.atomic():
        for entry in todo_audit:
            target.add_audit(entry)
    done("audit", len(todo_audit), len(entries) - len(todo_audit))

    ids = _source_ids(source)
    for n, chunk in enumerate(_batches(ids, batch)):
        present = target.known_inspections(chunk)
        todo = [_inspection(source, i) for i in chunk if i not in present]
        target.import_inspections(i for i in todo if i is not None)
        changed = 0
        for record_id in sorted(present) if report.resumed else ():
            # a record changed since the first run (the app was still writing): over whole
            mine = _inspection(source, record_id)
            if mine is not None and content_hash(mine) != content_hash(
                    target.get_inspection(record_id)):
                target.replace_inspection(mine)
                changed += 1
        done("inspections", len(todo) + changed, len(present) - changed)
        if progress:
            progress("inspections", min(len(ids), (n + 1) * batch), len(ids))

    photos = source_photos(source)
    for photo_id, variant, path in photos:
        if target.photo_digest(photo_id, variant) is None:
            target.save_photo(photo_id, path.read_bytes(), variant)
            done("photos", 1, 0)
        else:
            done("photos", 0, 1)
    if report.resumed:  # removed from the folder since the first run
        gone = target.photo_keys() - {(i, v) for i, v, _path in photos}
        target.drop_photos(gone)
        done("photos removed", len(gone), 0)

    verify(source, target, report, ids, photos)
    if report.verified:
        target.end_copy(label)
    return report


def verify(source: TinyDBStore, target: PostgresStore, report: CopyReport, ids: list[str],
           photos: list[tuple[str, str, Path]]) -> None:
    """Compare counts and the content hash of every record (into ``report``)."""
    versions = _source_versions(source)
    report.source_counts = {"units": len(source.list_units()), "users": len(source.list_users()),
                            "inspections": len(ids), "photos": len(photos),
                            "checklist versions": len(versions),
                            "audit": source.page_audit(limit=0).total}
    report.target_counts = target.counts()
    for unit in source.list_units():
        copy = target.get_unit(unit.code)
        if copy is None or content_hash(copy) != content_hash(unit):
            report.mismatches.append(f"unit {unit.code}")
    for user in source.list_users():
        copy = target.get_user(user.username)
        if copy is None or content_hash(copy) != content_hash(user):
            report.mismatches.append(f"user {user.username}")
    if target.get_settings() != source.get_settings():
        report.mismatches.append("settings")
    for user in source.list_users():
        if target.get_user_state(user.username) != source.get_user_state(user.username):
            report.mismatches.append(f"user state {user.username}")
    for version in versions:
        copy = {v.number: v for v in target.checklist_versions(version.checklist_id)}.get(
            version.number)
        if copy is None or copy.text != version.text:
            report.mismatches.append(f"checklist {version.checklist_id} "
                                     f"v{version.number:04d}")
    if target.retired_checklists() != source.retired_checklists():
        report.mismatches.append("retired checklists")
    copied = {e.id: e for e in target.page_audit().rows}
    for entry in source.page_audit().rows:
        mirror = copied.get(entry.id)
        if mirror is None or content_hash(mirror) != content_hash(entry):
            report.mismatches.append(f"audit {entry.id}")
    for inspection_id in ids:
        original, copy = _inspection(source, inspection_id), target.get_inspection(inspection_id)
        if original is None or copy is None or content_hash(copy) != content_hash(original):
            report.mismatches.append(f"inspection {inspection_id}")
    for photo_id, variant, path in photos:
        if target.photo_digest(photo_id, variant) != hashlib.sha256(path.read_bytes()).hexdigest():
            report.mismatches.append(f"photo {photo_id}.{variant}")


