"""Translated labels for codes shown in the interface (kinds, types, statuses)."""
from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l

from ..exports import labels as _exported

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
    "multi": _l("Several options"),
}

ROLE_LABELS = {
    "admin": _l("Administrator"),
    "inspector": _l("Inspector"),
    "unit": _l("Commune officer"),
    "viewer": _l("Viewer"),
}

# The words the workbook shows too live in exports/labels.py (Flask-free); pages get
# the same messages as lazy strings.
INSPECTION_KIND_LABELS = {k: _l(v.template) for k, v in _exported.INSPECTION_KIND_LABELS.items()}
INSPECTION_STATUS_LABELS = {k: _l(v.template) for k, v in _exported.INSPECTION_STATUS_LABELS.items()}
LINE_STATUS_LABELS = {k: _l(v.template) for k, v in _exported.LINE_STATUS_LABELS.items()}
ITEM_STATUS_LABELS = {k: _l(v.template) for k, v in _exported.ITEM_STATUS_LABELS.items()}

TEAM_ROLE_LABELS = {
    "lead": _l("Team lead"),
    "member": _l("Member"),
    "secretary": _l("Secretary"),
}

EVENT_LABELS = {
    "started": _l("started"),
    "finalized": _l("finalized"),
    "reopened": _l("reopened"),
    "joined": _l("joined the team"),
    "created": _l("created"),
    "updated": _l("updated"),
    "status": _l("changed the status"),
    "verified": _l("verified"),
    "sent_back": _l("sent back"),
    "progress": _l("reported progress"),
    "withdrawn": _l("withdrawn: the criterion was corrected when finalized again"),
    "restored": _l("opened again: the criterion is a shortcoming again"),
    "corrected": _l("corrected when finalized again"),
    "unit_merged": _l("moved to the unit it was merged into"),
    "stage": _l("moved on to the next stage"),
    "survey": _l("survey figures imported"),
    "deadline": _l("deadline extended"),
}

# Main navigation: (endpoint, label, roles that see it). Endpoints that are not
# registered (a feature not installed) are skipped.
NAV_ITEMS = (
    ("index", _l("Home"), ("admin", "inspector", "unit", "viewer")),
    ("notifications.index", _l("Notifications"), ("inspector", "unit")),
    ("inspections.index", _l("Inspections"), ("admin", "inspector", "unit", "viewer")),
    ("remediation.index", _l("Remediation"), ("admin", "inspector", "unit", "viewer")),
    ("dashboards.index", _l("Dashboards"), ("admin", "inspector", "unit", "viewer")),
    ("assessments.rounds", _l("PAR index"), ("admin", "inspector", "viewer")),
    ("units.index", _l("Units"), ("admin", "inspector", "viewer")),
    ("exports.index", _l("Excel"), ("admin", "inspector", "viewer")),
    ("checklists.checklist_list", _l("Checklists"), ("admin", "inspector", "unit", "viewer")),
    ("users.index", _l("Users"), ("admin",)),
    ("province.edit", _l("Settings"), ("admin",)),
    ("audit.index", _l("Audit log"), ("admin",)),
    # also the name in the top bar, hidden on phones: there the menu is the way to it
    ("account.index", _l("My account"), ("admin", "inspector", "unit", "viewer")),
)


class Translated(Mapping):
    """A label table for one page: each label is translated once, on first use."""

    def __init__(self, source: Mapping):
        self.source, self.done = source, {}

    def __getitem__(self, key):
        if key not in self.done:
            self.done[key] = str(self.source[key])
        return self.done[key]

    def __iter__(self):
        return iter(self.source)

    def __len__(self):
        return len(self.source)


def labels_context(app) -> dict:
    """Labels every template may use."""
    return {
        "role_labels": Translated(ROLE_LABELS), "kind_labels": Translated(INSPECTION_KIND_LABELS),
        "status_labels": Translated(INSPECTION_STATUS_LABELS),
        "line_labels": Translated(LINE_STATUS_LABELS),
        "item_labels": Translated(ITEM_STATUS_LABELS),
        "team_role_labels": Translated(TEAM_ROLE_LABELS),
        "checklist_kind_labels": Translated(CHECKLIST_KIND_LABELS),
        "type_labels": Translated(CRITERION_TYPE_LABELS),
        "nav_items": [n for n in NAV_ITEMS if n[0] in app.view_functions],
        "nav_endpoints": app.view_functions, "event_labels": Translated(EVENT_LABELS),
    }
