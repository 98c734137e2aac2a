"""The dashboards as one workbook: a sheet per panel (:func:`report` gives the rows,
:func:`inspect_app.exports.xlsx.write` the file, with its formula neutralisation and
Vietnamese number formats).

Takes a built dashboard (``services/dashboards.py``: plain dataclasses, read here by
attribute only, so that this module needs nothing above it) and a locale. Percents are
written as fractions (``0.00%`` format), points as numbers, dates as dates.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from typing import Any

from ..domain.messages import N_
from ..i18n import translate
from .labels import ITEM_STATUS_LABELS
from .workbook import Column, Report, Row, Sheet


def _fraction(percent: float | None) -> float | None:
    return None if percent is None else round(float(percent) / 100, 6)


def _day(iso: str | None) -> _dt.date | None:
    try:
        return _dt.date.fromisoformat(iso) if iso else None
    except ValueError:
        return None


def report(dashboard: Any, locale: str = "vi") -> Report:
    """The sheets of ``dashboard``: league, not inspected, sections, criteria, trend,
    self-check gaps, remediation by unit and the open items (oldest, escalated)."""
    def t(message: Any) -> str:
        return translate(message, locale)

    heat = dashboard.heat
    trend = dashboard.trend
    statuses = list(dashboard.remediation.total.counts)
    several = len(dashboard.league.versions) > 1
    sheets = [
        Sheet("league", t(N_("Ranking")), (
            Column(t(N_("Rank")), "integer"), Column(t(N_("Unit code"))), Column(t(N_("Unit"))),
            # as the export's summary: the score (criteria points + bonus − penalty) is the
            # figure the percent and the rank are computed from
            Column(t(N_("Criteria points")), "points"), Column(t(N_("Bonus")), "points"),
            Column(t(N_("Penalty")), "points"), Column(t(N_("Score")), "points"),
            Column(t(N_("Maximum")), "points"),
            Column(t(N_("Percent")), "percent"), Column(t(N_("Rating"))),
            # Records of several checklist versions: each row names its own.
            *((Column(t(N_("Checklist version"))),) if several else ())), freeze_columns=3),
        Sheet("waiting", t(N_("Not yet inspected")), (Column(t(N_("Unit code"))), Column(t(N_("Unit"))))),
        Sheet("heat", t(N_("Scores by section")), (Column(t(N_("Unit code"))), Column(t(N_("Unit"))),
                                      *(Column(title, "percent") for _sid, title in heat.sections)),
              freeze_columns=2),
        Sheet("failed", t(N_("Criteria not met")), (
            Column(t(N_("Criterion"))), Column(t(N_("Content")), "wrap"),
            Column(t(N_("Units with a shortcoming")), "integer"),
            Column(t(N_("Units it applied to")), "integer"),
            Column(t(N_("Share of units")), "percent"), Column(t(N_("Points lost")), "points"),
            Column(t(N_("Units")), "wrap")), freeze_columns=1),
        Sheet("trend", t(N_("Trend")), (Column(t(N_("Unit code"))), Column(t(N_("Unit"))),
                                    Column(t(N_("Former units and names")), "wrap"),
                                    *(Column(code, "percent") for code in trend.periods)),
              freeze_columns=2),
        Sheet("gaps", t(N_("Self-check vs inspection")), (
            Column(t(N_("Unit code"))), Column(t(N_("Unit"))), Column(t(N_("Self-check")), "percent"),
            Column(t(N_("Inspection")), "percent"), Column(t(N_("Gap (percent points)")), "points"),
            Column(t(N_("Gap (points)")), "points"), Column(t(N_("Criteria overrated")), "integer")),
              freeze_columns=2),
        Sheet("remediation", t(N_("Remediation by unit")), (
            Column(t(N_("Unit code"))), Column(t(N_("Unit"))),
            *(Column(translate(ITEM_STATUS_LABELS[s], locale), "integer") for s in statuses),
            Column(t(N_("Overdue")), "integer"), Column(t(N_("Due within 7 days")), "integer"),
            Column(t(N_("Needing action")), "integer"), Column(t(N_("Done on time")), "integer"),
            Column(t(N_("Done late")), "integer"), Column(t(N_("On-time rate")), "percent")),
              freeze_columns=2),
        Sheet("items", t(N_("Open items")), (
            Column(t(N_("List"))), Column(t(N_("Unit"))), Column(t(N_("Criterion"))),
            Column(t(N_("Shortcoming")), "wrap"), Column(t(N_("Action")), "wrap"),
            Column(t(N_("Deadline")), "date"), Column(t(N_("Days overdue")), "integer"),
            Column(t(N_("Status"))))),
    ]
    def rows() -> Iterator[tuple[str, Row]]:
        for r in dashboard.league.rows:
            yield "league", Row([r.rank, r.unit, r.name, r.total, r.bonus, r.penalty, r.score,
                                 r.max, _fraction(r.percent),
                                 r.band or "", *((r.checklist_version,) if several else ())])
        for code, name in dashboard.league.not_inspected:
            yield "waiting", Row([code, name])
        for r in heat.rows:
            yield "heat", Row([r.unit, r.name, *(_fraction(p) for p in r.percents)])
        for f in dashboard.failed:
            yield "failed", Row([f.criterion, f.text, f.units_short, f.units_scored,
                                 _fraction(f.share), f.points_lost,
                                 "; ".join(name for name, _rid in f.records)])
        yield "trend", Row(["", t(N_("Province (mean of the units)")), "",
                            *(_fraction(p) for p in trend.province)], "strong")
        for s in trend.units:
            yield "trend", Row([s.unit, s.name, "; ".join(s.former),
                                *(_fraction(p) for p in s.percents)])
        for g in dashboard.gaps:
            yield "gaps", Row([g.unit, g.name, _fraction(g.self_percent),
                               _fraction(g.inspection_percent), g.gap_percent, g.gap_points,
                               g.overrated], "alert" if (g.gap_percent or 0) > 0 else "")
        rem = dashboard.remediation
        for r in [*rem.rows, rem.total]:
            yield "remediation", Row([
                r.unit, r.name or t(N_("All units")), *(r.counts[s] for s in statuses), r.overdue,
                r.due_soon, r.needing_action, r.on_time, r.late, _fraction(r.on_time_rate)],
                "strong" if r is rem.total else "")
        escalated, still_open = t(N_("Escalated")), t(N_("Open"))
        for line in rem.open_items:  # every open item once, the nearest deadline first
            item = line.item
            yield "items", Row([escalated if line.escalated else still_open, line.unit_name,
                                item.criterion or "", item.finding, item.action, _day(item.due),
                                line.days_overdue or None,
                                translate(ITEM_STATUS_LABELS.get(item.status, item.status),
                                          locale)],
                               "alert" if line.days_overdue else "")

    return Report(sheets, rows)
