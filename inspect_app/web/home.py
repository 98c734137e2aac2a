"""The start page: what each role needs first."""
from __future__ import annotations

from flask import current_app, redirect, render_template, url_for

from ..services import inspections as inspection_service
from .auth import acting_user, record_unit_names, scope, store

#: How many records each part of the home page shows (the lists link to the rest).
HOME_ROWS = 10


def index():
    """Home: a unit's own work for commune officers, an overview for everyone else.
    Counts and lists come from bounded index queries, never from every summary."""
    user = acting_user()
    if user is None:
        return redirect(url_for("auth.login"))
    current, db = scope(), store()

    def page(limit: int = HOME_ROWS, **filters):
        return db.query_inspections(inspection_service.visible_query(current, **filters),
                                    limit=limit)

    if user.role == "unit":
        records, drafts, finalized, mine, ranking = page(), None, None, None, None
    else:
        records, mine = None, page(member=user.username, status="draft")
        drafts, finalized = page(0, status="draft"), page(status="finalized")
        ranking = latest_ranking(current)
    # every list under the unit's name on the record's day, as /inspections shows it
    names = record_unit_names([r for part in (records, finalized, mine) if part
                               for r in part.rows])
    own = db.get_unit(user.unit) if user.unit else None
    return render_template("home.html", records=records, drafts=drafts, finalized=finalized,
                           mine=mine, record_names=names, unit_count=db.page_units(
                               codes=inspection_service.visible_units(current), limit=0).total,
                           ranking=ranking,
                           unit=own, merged_into=db.get_unit(own.merged_into)
                           if own is not None and own.merged_into else None)


def latest_ranking(current):
    """The ranking (DESIGN §11, the one ranking function) of the newest finalized round:
    same checklist, period and kind as the most recently finalized inspection (self-checks
    are not ranked), every finalized record of the round a row as the page always had."""
    from ..services import rankings

    newest = store().query_inspections(inspection_service.visible_query(
        current, kind="inspection", status="finalized", order="finalized"), limit=1).rows
    if not newest:
        return None
    newest = newest[0]
    return rankings.ranking(store(), current, rankings.RankingQuery(
        checklist=newest.checklist_id, period=newest.period, kind="inspection"),
        every_record=True, tz=current_app.config["TIMEZONE"])
