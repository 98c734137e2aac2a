"""Translated labels for codes shown in the interface (kinds, types, statuses)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

CHECKLIST_KIND_LABELS = {
    "inspection": _l("Inspection"),
    "self_check": _l("Self-check"),
    "any": _l("Inspection or self-check"),
}

CRITERION_TYPE_LABELS = {
    "yesno": _l("Yes / no"),
    "choice": _l("Choice"),
    "score": _l("Score"),
    "ratio": _l("Ratio"),
    "count": _l("Count"),
    "info": _l("Information"),
    "bonus": _l("Bonus"),
    "penalty": _l("Penalty"),
}
