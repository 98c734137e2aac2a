"""The province's dashboards (issue 15, point 1): the figures of one round (a checklist,
a period and a kind: inspections, self-checks and assessments are never mixed) for the
units a user may see, optionally narrowed to a unit group (the units under a parent).

Panels, each a plain dataclass that the page draws as an SVG chart with its table and
the workbook writes as a sheet:

* :class:`League` — the ranking of DESIGN §11 (``services/rankings.py``, the same one
  function as the API), the count per band and the units not yet inspected;
* :class:`HeatMap` — each ranked unit's percent of every section's points;
* :class:`FailedCriterion` rows — the criteria most often not or partly met: the share
  of units (of those the criterion applied to) with a shortcoming and the points lost;
* :class:`Trend` — per unit and for the province, the percent over the periods of the
  same kind up to the chosen one (years, quarters, weeks…), a merged unit's records
  counted under the unit that carries its history (``domain/units.py``);
* :class:`GapRow` rows — self-check against inspection of each unit
  (``domain/compare.py``), the most overrated first;
* :class:`Remediation` — the round's items by status per unit, overdue and due within
  7 days, the on-time completion rate, the oldest open items and the escalated ones.

Visibility: every read goes through :func:`~.inspections.visible_query` (and the ranking
through the same rules), so an inspector sees the units they inspect and a commune
officer only their own unit — never another unit's figure.

Cost: the index summaries (:meth:`Store.iter_summaries`) carry scores and item cards; the
only full reads are the score cards of the ranked records (one per unit, through the
lean :meth:`Store.iter_export_records`) and, for the gap panel, the two records of each
unit that has both a self-check and an inspection of the round.

pandas does the grouping; it is imported when a dashboard is built, not when the app
starts (0,4 s and ~50 MB that no other page needs).
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ..domain.access import Scope
from ..domain.checklist import Checklist, parse_checklist
from ..domain.compare import compare
from ..domain.dates import local_date
from ..domain.messages import N_
from ..domain.models import (
    ITEM_CLOSED_STATUSES,
    ITEM_STATUSES,
    InspectionSummary,
    ItemSummary,
    Unit,
)
from ..domain.numbers import exact_mean, figure, to_fraction
from ..domain.periods import Period, PeriodError, parse_period
from ..domain.ranking import ranked_as, ranked_records, usable_percent
from ..domain.remediation import is_due_soon, is_overdue, item_number
from ..domain.reminders import SOON_DAYS, days_overdue, is_escalated
from ..domain.scoring import SHORTCOMING_STATUSES
from ..domain.text import fold, nfc
from ..domain.units import history_codes, stored_code, successor, successor_on
from ..storage import Store
from . import Invalid
from .commands import quoted
from .inspections import checklist_of, live_card, visible_query, visible_units
from .rankings import RankingQuery, points_of, ranking, ranking_query

#: Periods a trend shows at most (the chosen one and those before it).
TREND_PERIODS = 12
#: Rows of the most-failed criteria a page shows (the workbook has them all).
FAILED_SHOWN = 10
#: Items the lists of oldest open and escalated items show at most.
ITEMS_SHOWN = 10
#: Item statuses that still need work (what "open" means in the remediation panel).
OPEN_STATUSES = tuple(s for s in ITEM_STATUSES if s not in ITEM_CLOSED_STATUSES)


# ---------------------------------------------------------------- the query

@dataclass(frozen=True)
class DashboardQuery:
    """One round and an optional unit group (a parent unit's code; "" for every unit)."""

    checklist: str
    period: str
    kind: str = "inspection"
    group: str = ""


def dashboard_query(args: Mapping[str, Any], units: Mapping[str, Unit]) -> DashboardQuery:
    """The filters of a request (``checklist``, ``period``, ``kind``, ``group``);
    :class:`Invalid` naming the field that is missing or wrong."""
    base = ranking_query(args)  # the period read (and refused) as the rankings read it
    group = stored_code(str(args.get("group") or "").strip()[:50], units)  # "xa-tn" is XA-TN
    if group and group not in units:
        raise Invalid(N_("there is no unit group %(code)s", code=quoted(group)), field="group")
    return DashboardQuery(base.checklist, base.period, base.kind, group)


def group_members(group: str, units: Mapping[str, Unit]) -> frozenset[str] | None:
    """The units under ``group`` (children, their children…; not the group itself), with
    the units merged into them; None for no group (every unit)."""
    if not group:
        return None
    members: set[str] = set()
    for code in units:
        seen, parent = {code}, units[code].parent
        while parent and parent not in seen:
            if parent == group:
                members.add(code)
                break
            seen.add(parent)
            parent = units[parent].parent if parent in units else None
    return frozenset(c for m in members for c in history_codes(m, units))


def group_choices(scope: Scope, units: Mapping[str, Unit]) -> list[Unit]:
    """The unit groups ``scope`` may choose from: the units that are a parent of a unit
    the user may see, by name (none for a commune officer). The page offers them whether
    or not its filters were accepted."""
    if scope.role == "unit":
        return []
    allowed = visible_units(scope)
    parents = {u.parent for u in units.values()
               if u.parent and (allowed is None or u.code in allowed)}
    return sorted((units[p] for p in parents if p in units), key=lambda u: fold(nfc(u.name)))


# ---------------------------------------------------------------- the panels

@dataclass(frozen=True)
class LeagueRow:
    rank: int | None
    unit: str
    name: str
    inspection: str
    percent: float | None
    total: float | None  # the criteria points (§4 ``total``), bonus and penalty left out
    max: float | None
    band: str | None
    checklist_version: str = ""
    bonus: float | None = None
    penalty: float | None = None
    #: total + bonus − penalty: the points ``percent`` (and so the rank) is computed from
    score: float | None = None


@dataclass(frozen=True)
class League:
    rows: list[LeagueRow]
    bands: list[tuple[str, int]]  # (band, units), best band first
    not_inspected: list[tuple[str, str]]  # (code, name)
    # The checklist versions the rows were scored on (the ranking's, oldest first); more
    # than one: each percent is of its own version's maximum, and the panel says so.
    versions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class HeatRow:
    unit: str
    name: str
    inspection: str
    percents: list[float | None]  # one per section of HeatMap.sections


@dataclass(frozen=True)
class HeatMap:
    sections: list[tuple[str, str]]  # (id, title), in checklist order
    rows: list[HeatRow]


@dataclass(frozen=True)
class FailedCriterion:
    criterion: str
    text: str
    section: str
    units_short: int  # units with a shortcoming (not or partly met)
    units_scored: int  # units the criterion applied to (not "not applicable")
    share: float  # units_short / units_scored, in percent
    points_lost: float  # Σ (max − points) over those shortcomings
    records: list[tuple[str, str]]  # (unit name, inspection id) of each shortcoming


@dataclass(frozen=True)
class TrendSeries:
    unit: str
    name: str
    former: list[str]  # names of the units merged into it and its own former names
    percents: list[float | None]  # one per period of Trend.periods


@dataclass(frozen=True)
class Trend:
    periods: list[str]
    labels: list[str]
    province: list[float | None]  # the mean over the units of each period
    units: list[TrendSeries]


@dataclass(frozen=True)
class GapRow:
    unit: str
    name: str
    inspection: str
    self_check: str
    self_percent: float | None
    inspection_percent: float | None
    gap_percent: float | None  # self − inspection, in percent points
    gap_points: float  # Σ (self − inspection) over the criteria scored by both
    overrated: int  # criteria the unit scored higher than the team


@dataclass(frozen=True)
class ItemLine:
    item: ItemSummary
    unit_name: str
    days_overdue: int
    escalated: bool = False  # overdue by more than the escalation days


@dataclass(frozen=True)
class RemediationRow:
    unit: str
    name: str
    counts: dict[str, int]  # by status (ITEM_STATUSES)
    overdue: int
    due_soon: int
    needing_action: int  # every item but "no action needed"
    on_time: int  # done or verified by the deadline (or without one)
    late: int

    @property
    def on_time_rate(self) -> float | None:
        return None if not self.needing_action else 100 * self.on_time / self.needing_action


@dataclass(frozen=True)
class Remediation:
    rows: list[RemediationRow]
    total: RemediationRow
    oldest: list[ItemLine]  # the page's: the first ITEMS_SHOWN of ``open_items``
    open_count: int
    escalated: list[ItemLine]  # the page's: the first ITEMS_SHOWN escalated
    escalated_count: int
    escalate_after_days: int
    open_items: list[ItemLine] = field(default_factory=list)  # every one (the workbook's)


@dataclass(frozen=True)
class Dashboard:
    query: DashboardQuery
    title: str
    period_label: str
    units_seen: int
    league: League
    heat: HeatMap
    failed: list[FailedCriterion]
    trend: Trend
    gaps: list[GapRow]
    remediation: Remediation
    groups: list[Unit] = field(default_factory=list)


# ---------------------------------------------------------------- building

def build(store: Store, scope: Scope, query: DashboardQuery, *, today: _dt.date, tz: str,
          escalate_after_days: int, locale: str = "vi", library: Any = None) -> Dashboard:
    """Every panel of the round ``query`` within what ``scope`` may see. ``library`` (the
    checklists): as for the ranking, a checklist it does not know and no record names is
    :class:`Invalid`, and the round is titled by its checklist before any record is."""
    units = {u.code: u for u in store.list_units()}
    members = group_members(query.group, units)
    names = {code: unit.name for code, unit in units.items()}
    period = parse_period(query.period)

    ranked = ranking(store, scope, RankingQuery(query.checklist, query.period, query.kind),
                     units=members, library=library, tz=tz)
    cards = list(_cards(store, [row["inspection"] for row in ranked["rows"]]))
    league = league_of(ranked, units, {rid: card for rid, _checklist, card in cards})
    round_records = list(store.iter_summaries(visible_query(
        scope, units=members, checklist=query.checklist, period=query.period,
        status="finalized")))
    by_id = {row.inspection: row for row in league.rows}
    heat = heat_map([(by_id[rid].unit, by_id[rid].name, rid, card, checklist)
                     for rid, checklist, card in cards])
    failed = failed_criteria([(by_id[rid].name, rid, card, checklist)
                              for rid, checklist, card in cards])
    history = list(store.iter_summaries(visible_query(
        scope, units=members, checklist=query.checklist, kind=query.kind,
        status="finalized")))
    trend = trend_of(history, units, period, locale)
    gaps = gap_rows(store, round_records, names, ranked_as(units, period.code))
    # the items of the records the league ranks, each under the unit it is ranked as
    counted = {row.inspection: row.unit for row in league.rows}
    remediation = remediation_of([s for s in round_records if s.id in counted], names,
                                 today=today, tz=tz, escalate_after_days=escalate_after_days,
                                 unit_of=counted)
    title = ranked.get("title") or (round_records[0].checklist_title if round_records else "")
    return Dashboard(query=query, title=title or query.checklist,
                     period_label=period.label(locale), units_seen=len(league.rows) + len(league.not_inspected),
                     league=league,
                     heat=heat, failed=failed, trend=trend, gaps=gaps, remediation=remediation,
                     groups=group_choices(scope, units))


def league_of(ranked: dict[str, Any], units: Mapping[str, Unit],
              cards: Mapping[str, Mapping[str, Any]] | None = None) -> League:
    """The league panel from the ranking of §11: its rows, the units in each band (best
    first: the band of the highest percent first) and the units not yet inspected (the
    ranking's ``not_inspected``: by name, without groups nor units merged away).

    ``cards`` (each ranked record's score card, by id) give a row its bonus, penalty and
    score (:func:`~inspect_app.services.rankings.points_of`: the points its percent is of);
    a row without one scores its criteria points."""
    cards = cards or {}

    def row_of(r: Mapping[str, Any]) -> LeagueRow:
        return LeagueRow(rank=r["rank"], unit=r["unit"], name=r["unit_name"],
                         inspection=r["inspection"], percent=r["percent"], total=r["total"],
                         max=r["max"], band=r["band"], checklist_version=r["checklist_version"],
                         **points_of(cards.get(r["inspection"]), r["total"]))

    rows = [row_of(r) for r in ranked["rows"]]
    best: dict[str, float] = {}
    counts: dict[str, int] = {}
    for row in rows:
        if row.band:
            counts[row.band] = counts.get(row.band, 0) + 1
            best[row.band] = max(best.get(row.band, -1.0), usable_percent(row.percent) or 0.0)
    bands = sorted(counts.items(), key=lambda pair: -best[pair[0]])
    waiting = [(code, units[code].name if code in units else code)
               for code in ranked["not_inspected"]]
    return League(rows, bands, waiting, list(ranked["versions"]))


def _cards(store: Store, inspection_ids: list[str]):
    """(id, frozen checklist, frozen score card) of each record, read the lean way: the
    records of a round may have been scored on different versions of the checklist."""
    checklists: dict[str, Checklist] = {}
    for record in store.iter_export_records(inspection_ids):
        snapshot = record.get("checklist") or {}
        key = str(snapshot.get("hash", ""))
        checklist = checklists.get(key)
        if checklist is None:
            checklist = checklists[key] = parse_checklist(snapshot["data"], f"snapshot {key[:12]}",
                                                           frozen=True)
        card = record.get("score")
        if card:
            yield record["id"], checklist, card


def merged_order(orders: Iterable[Iterable[tuple[str, Any]]]) -> list[tuple[str, Any]]:
    """The (id, value) pairs of several versions of one list (the sections or criteria of
    each record's checklist) once each, in the first list's order; an id that only a
    later list has comes after the id it follows there. The value is the first seen."""
    out: list[tuple[str, Any]] = []
    seen: set[str] = set()
    for order in orders:
        after = -1  # where the previous id of this list stands in ``out``
        for key, value in order:
            if key in seen:
                after = next(n for n, (k, _v) in enumerate(out) if k == key)
                continue
            after += 1
            out.insert(after, (key, value))
            seen.add(key)
    return out


def _distinct(checklists: Iterable[Checklist]) -> list[Checklist]:
    """Each checklist version once, in the order given (the league's: the top-ranked
    record's first); :func:`_cards` parses each snapshot once, so one version is one
    object."""
    return list({id(checklist): checklist for checklist in checklists}.values())


def heat_map(records: Iterable[tuple[str, str, str, dict, Checklist]]) -> HeatMap:
    """Each unit's percent of every section (rows in the order given: the league's), the
    sections of every record's own checklist version (:func:`merged_order`)."""
    import pandas as pd

    records = list(records)
    if not records:
        return HeatMap([], [])
    # A section without points of its own (bonus and penalty only) has no percent.
    frame = pd.DataFrame([{"inspection": rid, "section": s.get("id"), "percent": s.get("percent")}
                          for _u, _n, rid, card, _c in records for s in card.get("sections") or ()
                          if (usable_percent(s.get("max")) or 0) > 0],
                         columns=["inspection", "section", "percent"])
    present = set(frame["section"])
    sections = [(sid, title) for sid, title in merged_order(
        [(s.id, s.title) for s in checklist.sections] for checklist in _distinct(r[4] for r in records))
        if sid in present]
    table = frame.pivot_table(index="inspection", columns="section", values="percent",
                              aggfunc="first")
    rows = []
    for unit, name, rid, _card, _c in records:
        percents = [_float(table.at[rid, sid]) if rid in table.index and sid in table.columns
                    else None for sid, _t in sections]
        rows.append(HeatRow(unit, name, rid, percents))
    return HeatMap(sections, rows)


def failed_criteria(records: Iterable[tuple[str, str, dict, Checklist]]
                    ) -> list[FailedCriterion]:
    """The criteria with a shortcoming in at least one unit, the most widespread first
    (then the most points lost, then checklist order), each named by the records' own
    checklist versions (:func:`merged_order`)."""
    import pandas as pd

    records = list(records)
    if not records:
        return []
    lines = pd.DataFrame(
        [{"name": name, "inspection": rid, "criterion": line.get("id"),
          "status": line.get("status"), "points": line.get("points"), "max": line.get("max")}
         for name, rid, card, _c in records for line in card.get("criteria") or ()
         if line.get("max") is not None and line.get("type") not in ("bonus", "penalty")],
        columns=["name", "inspection", "criterion", "status", "points", "max"])
    if lines.empty:
        return []
    lines["short"] = lines["status"].isin(SHORTCOMING_STATUSES)
    lines["applied"] = lines["status"] != "na"
    lines["lost"] = (lines["max"].astype(float) - lines["points"].fillna(0).astype(float)
                     ).where(lines["short"], 0.0)
    totals = lines.groupby("criterion", sort=False).agg(
        short=("short", "sum"), applied=("applied", "sum"), lost=("lost", "sum"))
    totals = totals[totals["short"] > 0]
    known = merged_order([(c.id, c) for c in checklist.criteria]
                         for checklist in _distinct(r[3] for r in records))
    order = {cid: n for n, (cid, _c) in enumerate(known)}
    by_id = dict(known)
    hits_of = {criterion: list(zip(group["name"], group["inspection"]))
               for criterion, group in lines[lines["short"]].groupby("criterion", sort=False)}
    out = []
    for criterion, row in totals.iterrows():
        found = by_id.get(criterion)
        out.append(FailedCriterion(
            criterion=criterion, text=found.text if found else criterion,
            section=found.section if found else "", units_short=int(row["short"]),
            units_scored=int(row["applied"]),
            share=figure(Fraction(100 * int(row["short"]), int(row["applied"])))
            if row["applied"] else 0.0,
            points_lost=figure(row["lost"]),
            records=sorted(hits_of.get(criterion, ()), key=lambda pair: fold(nfc(pair[0])))))
    out.sort(key=lambda f: (-f.share, -f.points_lost, order.get(f.criterion, 10**6)))
    return out


def trend_of(history: Iterable[InspectionSummary], units: Mapping[str, Unit], period: Period,
             locale: str = "vi") -> Trend:
    """The percent of each unit over the periods of ``period``'s kind up to it (at most
    :data:`TREND_PERIODS`): per unit and period its newest finalized record, a unit merged
    by the end of a period counting as its successor then (as the ranking counts it, DESIGN
    §11: so the chosen period's point is the ranking's figure); the units merged after a
    period are drawn on their successor's line, the mean where both had one; the province
    line is the mean over the units of each period."""
    import pandas as pd

    rows = []
    for summary in history:
        percent = usable_percent(summary.percent)
        if percent is None:
            continue
        try:
            when = parse_period(summary.period)
        except PeriodError:
            continue
        if when.kind != period.kind or when.start > period.start:
            continue
        rows.append({"id": summary.id, "period": when.code,
                     "unit": successor_on(summary.unit, units, when.end.isoformat()),
                     "start": when.start, "finalized_at": summary.finalized_at or "",
                     "percent": percent})
    if not rows:
        return Trend([], [], [], [])
    frame = pd.DataFrame(rows)
    starts = sorted(set(frame["start"]))[-TREND_PERIODS:]
    frame = frame[frame["start"].isin(starts)]
    newest = (frame.sort_values("finalized_at")
              .groupby(["unit", "period"], sort=False).tail(1).copy())
    newest["successor"] = newest["unit"].map(lambda code: successor(code, units))
    table = newest.pivot_table(index="successor", columns="start", values="percent",
                               aggfunc=lambda s: float(exact_mean(s)))
    codes = {s: p for s, p in zip(frame["start"], frame["period"])}
    province = {s: exact_mean(table[s].dropna()) for s in table.columns}
    series = []
    for code in sorted(table.index, key=lambda c: (fold(nfc(units[c].name)) if c in units
                                                    else c, c)):
        unit = units.get(code)
        former = [units[c].name for c in sorted(history_codes(code, units) - {code})
                  if c in units and c in set(newest["unit"])]
        if unit is not None:
            former += [str(f.get("name")) for f in unit.former_names if f.get("name")]
        series.append(TrendSeries(code, unit.name if unit else code, former,
                                  [_rounded(table.at[code, s]) for s in starts]))
    return Trend([codes[s] for s in starts], [parse_period(codes[s]).label(locale) for s in starts],
                 [figure(province[s]) for s in starts], series)


def gap_rows(store: Store, round_records: Iterable[InspectionSummary],
             names: Mapping[str, str],
             unit_of: Callable[[InspectionSummary], str] | None = None) -> list[GapRow]:
    """Self-check against inspection for each unit with both finalized in the round: the
    record each ranking of the round ranks it by (:func:`domain.ranking.ranked_records`;
    ``unit_of``: the unit a record is ranked as, a merged unit's under its successor), the
    criteria compared as on the comparison page (:func:`domain.compare.compare`), the
    most overrated unit first."""
    round_records = list(round_records)
    pairs: dict[str, dict[str, InspectionSummary]] = {}
    for kind in ("inspection", "self_check"):
        for summary in ranked_records([s for s in round_records if s.kind == kind], unit_of):
            unit = summary.unit if unit_of is None else unit_of(summary)
            pairs.setdefault(unit, {})[kind] = summary
    out = []
    for unit, pair in pairs.items():
        if len(pair) < 2:
            continue
        inspection = store.get_inspection(pair["inspection"].id)
        self_check = store.get_inspection(pair["self_check"].id)
        if inspection is None or self_check is None:
            continue
        gaps = compare(checklist_of(inspection), live_card(self_check), live_card(inspection))
        known = [g.gap for g in gaps if g.gap is not None]
        own, team = (usable_percent(pair["self_check"].percent),
                     usable_percent(pair["inspection"].percent))
        out.append(GapRow(
            unit=unit, name=names.get(unit, unit), inspection=inspection.id,
            self_check=self_check.id, self_percent=own, inspection_percent=team,
            gap_percent=(None if own is None or team is None
                         else figure(to_fraction(own) - to_fraction(team))),
            gap_points=float(sum(known)) if known else 0.0,
            overrated=sum(1 for g in gaps if g.overrated)))
    out.sort(key=lambda r: (-(r.gap_percent if r.gap_percent is not None else -10**9),
                            -r.gap_points, fold(nfc(r.name))))
    return out


def remediation_of(records: Iterable[InspectionSummary], names: Mapping[str, str], *,
                   today: _dt.date, tz: str, escalate_after_days: int,
                   unit_of: Mapping[str, str] | None = None) -> Remediation:
    """The remediation items of ``records`` (the round's, one record per unit: those the
    league ranks; their cards in the index) per unit (``unit_of``: record id → the unit
    it is ranked as; default the item's own unit): by status,
    overdue, due within :data:`~domain.reminders.SOON_DAYS` days, on time (done or
    verified by the local date of its deadline, as criterion 1.5 counts them:
    :func:`domain.remediation.plan_figures`), the oldest open ones and those overdue by
    more than ``escalate_after_days`` days (the page shows the first of each; the workbook
    lists every open item)."""
    import pandas as pd

    unit_of = unit_of or {}
    items = [(item, unit_of.get(record.id, item.unit))
             for record in records for item in record.items]
    columns = ["unit", "status", "overdue", "due_soon", "action", "on_time", "late"]
    frame = pd.DataFrame([_item_facts(item, unit, today, tz) for item, unit in items],
                         columns=columns)
    by_status = pd.crosstab(frame["unit"], frame["status"]) if not frame.empty else None
    sums = frame.groupby("unit")[["overdue", "due_soon", "action", "on_time", "late"]].sum()

    def row_of(unit: str, counts: dict[str, int], figures: Mapping[str, Any]) -> RemediationRow:
        return RemediationRow(unit=unit, name=names.get(unit, unit),
                              counts={s: int(counts.get(s, 0)) for s in ITEM_STATUSES},
                              overdue=int(figures["overdue"]), due_soon=int(figures["due_soon"]),
                              needing_action=int(figures["action"]),
                              on_time=int(figures["on_time"]), late=int(figures["late"]))

    rows = [row_of(unit, by_status.loc[unit].to_dict() if by_status is not None else {},
                   sums.loc[unit]) for unit in sums.index]
    rows.sort(key=lambda r: (-r.overdue, -(r.needing_action - r.on_time - r.late),
                             fold(nfc(r.name))))
    total = row_of("", frame["status"].value_counts().to_dict(),
                   frame[["overdue", "due_soon", "action", "on_time", "late"]].sum())
    still_open = sorted(((i, unit) for i, unit in items if i.status in OPEN_STATUSES),
                        key=lambda pair: (pair[0].due or "9999-12-31", pair[0].inspection,
                                          item_number(pair[0].id)))
    lines = [ItemLine(i, names.get(unit, unit), days_overdue(i, today),
                      is_escalated(i, today, escalate_after_days)) for i, unit in still_open]
    escalated = [line for line in lines if line.escalated]
    return Remediation(rows=rows, total=total, oldest=lines[:ITEMS_SHOWN],
                       open_count=len(lines), escalated=escalated[:ITEMS_SHOWN],
                       escalated_count=len(escalated), escalate_after_days=escalate_after_days,
                       open_items=lines)


def _item_facts(item: ItemSummary, unit: str, today: _dt.date, tz: str) -> dict[str, Any]:
    """One item's figures; its card's ``done_at`` is when it became done, read from its
    history for an item stored before that field (:func:`domain.models.done_moment`)."""
    done = item.status in ("done", "verified")
    day = local_date(item.done_at, tz) if done and item.due else None
    late = day is not None and day.isoformat() > str(item.due)
    return {"unit": unit, "status": item.status,
            "overdue": is_overdue(item, today),  # type: ignore[arg-type]
            "due_soon": is_due_soon(item, today, SOON_DAYS),  # type: ignore[arg-type]
            "action": item.status != "no_action", "on_time": done and not late, "late": late}


def _float(value: Any) -> float | None:
    number = usable_percent(value)
    return None if number is None else float(number)


def _rounded(value: Any) -> float | None:
    return figure(_float(value))
