"""The province's dashboards: ``/dashboards/?checklist=&period=&kind=&group=`` and the same
figures as a workbook, ``/dashboards/dashboard.xlsx`` (a sheet per panel).

Thin: the filters are read by ``services/dashboards.dashboard_query``, the figures built
by ``services/dashboards.build`` within what the user may see (every role: admins and
viewers every unit, inspectors the units they inspect, a commune officer only its own
unit), the charts drawn by ``exports/charts.py``. Without a choice the page shows the
newest finalized round of inspections the user may see.
"""
from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, current_app, render_template, request, send_file
from flask_babel import get_locale
from flask_babel import gettext as _

from ..domain.errors import Invalid
from ..domain.models import INSPECTION_KINDS
from ..exports import charts, dashboard_xlsx, xlsx
from ..i18n import formatting
from ..services import dashboards as service
from .auth import roles_required, scope, store
from .common import local_today
from .i18n import translate
from .labels import ITEM_STATUS_LABELS, Translated
from .rankings import _newest_round

bp = Blueprint("dashboards", __name__, url_prefix="/dashboards")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILTERS = ("checklist", "period", "kind", "group")
#: Units drawn as lines of their own in the trend chart (beyond: the province only).
TREND_LINES = 7
#: Links to the findings of one criterion the page lists (the workbook names every unit).
FINDINGS_SHOWN = 20


def _locale() -> str:
    return str(get_locale() or "vi")


def _build(args: dict[str, str]):
    """(dashboard or None, problem or None, status) of the filters in ``args``."""
    units = {u.code: u for u in store().list_units()}
    try:
        query = service.dashboard_query(args, units)
    except Invalid as error:
        return None, translate(error.message), 400
    config = current_app.config
    try:
        return service.build(store(), scope(), query, today=local_today(),
                             tz=config["TIMEZONE"],
                             escalate_after_days=int(config["ESCALATE_AFTER_DAYS"]),
                             locale=_locale(),
                             library=current_app.extensions["checklists"]), None, 200
    except Invalid as error:
        return None, translate(error.message), 400


def _groups(dashboard: service.Dashboard | None) -> list:
    """The unit groups offered: a refused filter keeps the group box (and the group chosen)."""
    if dashboard is not None:
        return dashboard.groups
    return service.group_choices(scope(), {u.code: u for u in store().list_units()})


def _args() -> dict[str, str]:
    args = {key: request.args.get(key, "").strip() for key in FILTERS}
    if not args["checklist"] and not args["period"]:
        args.update(_newest_round())
    return args


def _charts(d: service.Dashboard) -> dict[str, Any]:
    """The SVG of each panel (its table is in the page)."""
    locale = _locale()
    none_yet = _("No finalized record of this round yet.")
    rem = d.remediation
    statuses = list(rem.total.counts)
    used = [s for s in statuses if rem.total.counts[s]]
    labels = Translated(ITEM_STATUS_LABELS)
    trend_units = d.trend.units if len(d.trend.units) <= TREND_LINES else []
    widest_gap = max((abs(g.gap_percent or 0) for g in d.gaps), default=0) or 1
    return {
        "league": charts.bars(
            [(r.name, r.percent) for r in d.league.rows], title=_("Ranking"),
            desc=_("Percent of each unit, best first"), locale=locale, empty=none_yet),
        "heat": charts.heat_map(
            [(r.name, r.percents) for r in d.heat.rows],
            [formatting.roman(n + 1) for n in range(len(d.heat.sections))],
            title=_("Scores by section"), desc=_("Percent of each section's points per unit"),
            locale=locale, empty=none_yet),
        "failed": charts.bars(
            [(f"{f.criterion} {f.text}", f.share) for f in d.failed[:service.FAILED_SHOWN]],
            title=_("Criteria most often not met"),
            desc=_("Share of units with a shortcoming, per criterion"), locale=locale,
            empty=_("No shortcoming in this round.")),
        "trend": charts.lines(
            d.trend.periods, [(_("Province (mean of the units)"), d.trend.province)]
            + [(s.name, s.percents) for s in trend_units], title=_("Trend"),
            desc=_("Percent per period, for the province and each unit"), locale=locale,
            empty=none_yet),
        "gaps": charts.bars(
            [(g.name, g.gap_percent) for g in d.gaps],
            maximum=widest_gap, percent=False, title=_("Self-check versus inspection"),
            desc=_("Self-check percent minus the inspection's, in percent points, per unit, "
                   "the most overrated first"), locale=locale,
            empty=_("No unit has both a finalized self-check and a finalized inspection of "
                    "this round.")),
        "remediation": charts.stacked_bars(
            [(r.name, [r.counts[s] for s in used]) for r in rem.rows],
            [(labels[s], charts.STATUS_COLOURS[s]) for s in used], title=_("Items by status"),
            desc=_("Remediation items of each unit by status"), locale=locale,
            empty=_("No remediation item in this round.")),
    }


@bp.get("/")
@roles_required()
def index():
    args = _args()
    dashboard, problem, status = (None, None, 200)
    if args.get("checklist") or args.get("period"):
        dashboard, problem, status = _build(args)
    checklists = current_app.extensions["checklists"].everything()
    return render_template("dashboards/index.html", dashboard=dashboard, problem=problem,
                           args=args, checklists=checklists, kinds=INSPECTION_KINDS,
                           group_choices=_groups(dashboard), svg=_charts(dashboard) if dashboard else {},
                           failed_shown=service.FAILED_SHOWN, trend_lines=TREND_LINES,
                           findings_shown=FINDINGS_SHOWN), status


@bp.get("/dashboard.xlsx")
@roles_required()
def workbook():
    """Every panel of the same filters as a sheet of one workbook."""
    args = _args()
    dashboard, problem, status = _build(args)
    if dashboard is None:
        checklists = current_app.extensions["checklists"].everything()
        return render_template("dashboards/index.html", dashboard=None, problem=problem,
                               args=args, checklists=checklists, kinds=INSPECTION_KINDS,
                               group_choices=_groups(None), svg={}, failed_shown=service.FAILED_SHOWN,
                               trend_lines=TREND_LINES, findings_shown=FINDINGS_SHOWN), status
    output = io.BytesIO()  # a few sheets of one row per unit: small
    xlsx.write(dashboard_xlsx.report(dashboard, _locale()), output)
    output.seek(0)
    name = f"bang-tong-hop-{dashboard.query.checklist}-{dashboard.query.period}.xlsx"
    response = send_file(output, mimetype=XLSX_MIMETYPE, as_attachment=True,
                         download_name=name, max_age=0)
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response
