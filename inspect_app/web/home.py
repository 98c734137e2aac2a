"""The start page: what each role needs first."""
from __future__ import annotations

from flask import redirect, render_template, url_for

from ..services import inspections as inspection_service
from .auth import acting_user, scope, store



def index():
    """Home: a unit's own work for commune officers, an overview for everyone else."""
    user = acting_user()
    if user is None:
        return redirect(url_for("auth.login"))
    current = scope()
    records = inspection_service.visible(store(), current)
    units = {u.code: u.name for u in store().list_units()}
    drafts = [r for r in records if r.status == "draft"]
    finalized = [r for r in records if r.status == "finalized"]
    mine = [r for r in drafts if user.username in r.team]
    return render_template("home.html", records=records, drafts=drafts, finalized=finalized,
                           mine=mine, units=units, ranking=latest_ranking(finalized, units),
                           unit=store().get_unit(user.unit) if user.unit else None)


def latest_ranking(finalized, units: dict[str, str]):
    """The ranking of the newest finalized round: same checklist, period and kind as the
    most recently finalized inspection (self-checks are not ranked)."""
    from ..reports import ranked

    inspections = [s for s in finalized if s.kind == "inspection"]
    if not inspections:
        return None
    newest = max(inspections, key=lambda s: s.finalized_at or "")
    group = [s for s in inspections
             if (s.checklist_id, s.period) == (newest.checklist_id, newest.period)]
    return {"checklist": newest.checklist_id, "title": newest.checklist_title,
            "period": newest.period, "rows": ranked(group, units)}
