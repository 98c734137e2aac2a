"""The province's names and public address (issue 14 point 5): read and saved through
the store's settings document, over defaults from the deployment's settings."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ..domain.errors import Conflict
from ..domain.messages import N_
from ..domain.province import ProvinceSettings, superior_of, validated
from ..storage.base import Store
from . import audit


def defaults(config: Mapping[str, Any]) -> ProvinceSettings:
    """Today's values: ``INSPECTING_BODY`` and the superior body made from ``PROVINCE``."""
    return ProvinceSettings(
        inspecting_body=(config.get("INSPECTING_BODY") or "").strip()
        or ProvinceSettings.inspecting_body,
        superior_body=superior_of(config.get("PROVINCE") or ""),
    )


def current(store: Store, config: Mapping[str, Any]) -> ProvinceSettings:
    """The settings in force: what was saved, else the defaults."""
    return defaults(config).merged(store.get_settings())


def version(settings: ProvinceSettings) -> str:
    """A short digest of the settings: a page carries the one it showed, so that a page
    opened before another administrator's save cannot undo it unseen."""
    text = json.dumps(settings.to_dict(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def save(store: Store, values: Mapping[str, Any], *, by: str = audit.CLI,
         config: Mapping[str, Any] | None = None, seen: str | None = None) -> ProvinceSettings:
    """Check every value (:class:`~inspect_app.domain.errors.Invalid` naming the field,
    nothing written), then keep them all; the audit log keeps the values changed
    (before: the settings in force, over the defaults of ``config``). ``seen``: the
    :func:`version` the page showed; saved since by someone else: :class:`Conflict`."""
    settings = validated(dict(values))
    in_force = current(store, config or {})
    if settings.to_dict() == in_force.to_dict():
        return in_force  # already so (the same form sent twice): nothing to write or refuse
    if seen is not None and seen != version(in_force):
        raise Conflict(N_("Another administrator saved these settings after you opened this "
                          "page. The values in force now are shown: make your change again."))
    before = in_force.to_dict()
    with store.atomic():
        store.put_settings(settings.to_dict())
        audit.record(store, by, "settings.edit", "", before, settings.to_dict())
    return settings
