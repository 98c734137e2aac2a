"""The stored form of records, shared by the TinyDB and the PostgreSQL store: a domain
record as a document carrying its schema version, and an inspection's checklist content
kept apart from it (content-addressed by the checklist's hash, written once, shared by
every record of that checklist version) so that saving an answer does not rewrite it."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..domain.models import SCHEMA, Inspection
from .base import StoreError
from .upgrades import upgrade

#: A checklist hash that may name a shared snapshot (sha256, lower-case hex).
SNAPSHOT_HASH = re.compile(r"[0-9a-f]{64}")


def stored_doc(record: Any) -> dict[str, Any]:
    """The stored form of a domain record: its dict plus the schema version."""
    data = record.to_dict()
    data["schema"] = SCHEMA
    return data


def snapshot_digest(value: Any) -> str | None:
    """``value`` if it can name a shared checklist snapshot, else None."""
    return value if isinstance(value, str) and SNAPSHOT_HASH.fullmatch(value) else None


def split_snapshot(doc: dict[str, Any]) -> tuple[dict[str, Any], str | None, Any]:
    """``(doc, digest, content)``: an inspection document whose checklist content is
    replaced by a reference (``checklist.data_file``), the digest and the content to keep
    under it. A checklist without a usable hash (or content) stays inline: digest None."""
    snapshot = doc.get("checklist") or {}
    digest = snapshot_digest(snapshot.get("hash"))
    if digest is None or snapshot.get("data") is None:
        return doc, None, None
    doc = dict(doc)
    doc["checklist"] = {k: v for k, v in snapshot.items() if k != "data"}
    doc["checklist"]["data_file"] = digest
    return doc, digest, snapshot["data"]


def attach_snapshot(doc: dict[str, Any], content: Callable[[str], Any]) -> dict[str, Any]:
    """The (upgraded) document with its checklist content back in place, read through
    ``content(digest)`` (the store's shared, read-only snapshots)."""
    doc = upgrade(dict(doc))
    snapshot = doc.get("checklist") or {}
    if "data_file" in snapshot:
        digest = snapshot_digest(snapshot["data_file"])
        if digest is None:
            raise StoreError(f"bad checklist reference {snapshot['data_file']!r}")
        doc["checklist"] = {**{k: v for k, v in snapshot.items() if k != "data_file"},
                            "data": content(digest)}
    return doc


def inspection_of(doc: dict[str, Any], content: Callable[[str], Any]) -> Inspection:
    """The inspection of a stored document (see :func:`attach_snapshot`)."""
    return Inspection.from_dict(attach_snapshot(doc, content))
