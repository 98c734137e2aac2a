"""Schema upgrades of stored documents: :func:`upgrade` applies them on read; the
upgraded form is written back the next time that record is written."""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ..domain.models import SCHEMA
from ..domain.replay import compact_ops
from .base import StoreError


def _upgrade_0_to_1(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 0 (the prototype, documents without ``"schema"``) named a record's unit
    ``unit_code`` (inspections, users, index entries) and a unit's parent
    ``parent_code``; version 1 calls them ``unit`` and ``parent``."""
    for old, new in (("unit_code", "unit"), ("parent_code", "parent")):
        if old in doc:
            doc.setdefault(new, doc.pop(old))
    return doc


def _upgrade_1_to_2(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 1 remembered the last 150 ops of an inspection with their whole responses
    (``{op_id: {fingerprint, status, result, at}}``); version 2 keeps every op for the
    life of the record as one short string (``domain/replay.py``). Answers of version 1
    stored their empty fields; version 2 leaves them out (both read the same)."""
    if isinstance(doc.get("ops"), dict):
        doc["ops"] = compact_ops(doc["ops"])
    return doc


#: ``{from_version: function(doc) -> doc}``; each step gets a private copy.
UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _upgrade_0_to_1,
                                                                   1: _upgrade_1_to_2}


def upgrade(doc: dict[str, Any]) -> dict[str, Any]:
    """The document in the current ``SCHEMA``. A current document is returned as is
    (not copied); an older one is copied before the :data:`UPGRADES` steps run."""
    version = doc.get("schema", 0)
    if version == SCHEMA:
        return doc
    if not isinstance(version, int) or version > SCHEMA:
        raise StoreError(f"document schema {version!r} is newer than this program ({SCHEMA})")
    doc = copy.deepcopy(doc)
    while version < SCHEMA:
        doc = UPGRADES[version](doc)
        version += 1
    doc["schema"] = SCHEMA
    return doc
