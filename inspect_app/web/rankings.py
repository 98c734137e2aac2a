"""The league table (DESIGN §11) as a page: ``/rankings/?checklist=&period=&kind=``.

The same function as ``GET /api/v1/rankings`` (``services/rankings.py``), within what the
user may see: one row per unit (its newest finalized record; for assessments the final
card), the competition rank, the band, how many units are in each band, and the units
with no such record. Without a choice it shows the newest finalized round of inspections.
"""
from __future__ import annotations

from collections import Counter

from flask import Blueprint, current_app, render_template, request

from ..domain.errors import Invalid
from ..domain.models import INSPECTION_KINDS
from ..services import inspections as inspection_service
from ..services import rankings as ranking_service
from .auth import roles_required, scope, store, unit_names
from .i18n import translate

bp = Blueprint("rankings", __name__, url_prefix="/rankings")


def _newest_round() -> dict[str, str]:
    """The checklist and period of the newest finalized inspection the user may see."""
    newest = store().query_inspections(inspection_service.visible_query(
        scope(), kind="inspection", status="finalized", order="finalized"), limit=1).rows
    if not newest:
        return {}
    return {"checklist": newest[0].checklist_id, "period": newest[0].period,
            "kind": "inspection"}


@bp.get("/")
@roles_required()
def index():
    args = {key: request.args.get(key, "") for key in ("checklist", "period", "kind")}
    if not args["checklist"] and not args["period"]:
        args = {**args, **_newest_round()}
    ranking, problem, status = None, None, 200
    if args.get("checklist") or args.get("period"):
        try:
            ranking = ranking_service.ranking(store(), scope(), ranking_service.ranking_query(args),
                                              library=current_app.extensions["checklists"],
                                              tz=current_app.config["TIMEZONE"], points=True)
        except Invalid as error:
            problem, status = translate(error.message), 400
    bands = Counter(row["band"] for row in ranking["rows"] if row["band"]) if ranking else {}
    names = unit_names(ranking["not_inspected"]) if ranking else {}
    checklists = current_app.extensions["checklists"].everything()
    return render_template("rankings/index.html", ranking=ranking, problem=problem, args=args,
                           bands=bands, not_inspected=names, checklists=checklists,
                           kinds=INSPECTION_KINDS), status
