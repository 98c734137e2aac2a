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
                           mine=mine, units=units, unit=store().get_unit(user.unit) if user.unit else None)
