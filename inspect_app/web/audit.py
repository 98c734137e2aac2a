"""The audit log of administrators' actions (admins only): ``/audit/`` newest first,
paginated, filtered by user, action and date range (kept across pages), and the same
entries as a workbook, ``/audit/audit.xlsx``."""
from __future__ import annotations

import io

from flask import Blueprint, current_app, render_template, request, send_file

from ..exports import audit as audit_xlsx
from ..exports import xlsx
from ..services import Invalid, audit
from ..services.inspections import clamped, page_number
from .auth import roles_required, store
from .common import pager_of
from .i18n import translate

bp = Blueprint("audit", __name__, url_prefix="/audit")

PAGE_SIZE = 50
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters() -> tuple[audit.Filters, str | None]:
    """The filters of the query string, or none and the problem (in the user's language)."""
    try:
        return audit.filters(request.args.to_dict(), current_app.config["TIMEZONE"]), None
    except Invalid as exc:
        return audit.Filters(), translate(exc.message)


def _row(entry, tz: str) -> dict:
    """What a line of the page shows of an entry, in the user's language."""
    changes = []
    for change in audit.changes(entry):
        changes.append((
            translate(audit.field_label(change.field)),
            None if entry.before is None else translate(audit.shown(change.before, change.field)),
            None if entry.after is None else translate(audit.shown(change.after, change.field))))
    return {"when": audit.when(entry, tz), "at": entry.at, "by": entry.by,
            "action": translate(audit.action_label(entry.action)), "code": entry.action,
            "target": entry.target, "changes": changes}


def _page(chosen: audit.Filters, problem: str | None, status: int = 200):
    tz = current_app.config["TIMEZONE"]
    number = page_number(request.args.get("page"))
    page = clamped(lambda offset, limit: audit.page(store(), chosen.query, offset=offset,
                                                    limit=limit), number, PAGE_SIZE)
    actions = [(key, translate(label)) for key, label in audit.ACTIONS.items()]
    kept = {k: v for k, v in request.args.items() if k in ("by", "action", "from", "to") and v}
    return render_template("audit/index.html", rows=[_row(e, tz) for e in page.rows],
                           pager=pager_of(page), chosen=chosen, problem=problem,
                           actions=actions, kept=kept if not problem else {}), status


@bp.get("/")
@roles_required("admin")
def index():
    chosen, problem = _filters()
    if problem:
        return _page(audit.Filters(), problem, 400)
    return _page(chosen, None)


@bp.get("/audit.xlsx")
@roles_required("admin")
def workbook():
    """Every entry of the same filters (not only the page shown), newest first."""
    chosen, problem = _filters()
    if problem:
        return _page(audit.Filters(), problem, 400)
    entries = audit.page(store(), chosen.query).rows
    output = io.BytesIO()  # the log grows by a few thousand lines a year: small
    xlsx.write(audit_xlsx.report(entries, "vi", current_app.config["TIMEZONE"]), output)
    output.seek(0)
    response = send_file(output, mimetype=XLSX_MIMETYPE, as_attachment=True,
                         download_name="nhat-ky-quan-tri.xlsx", max_age=0)
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response
