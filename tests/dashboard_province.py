"""A generated province for the dashboard tests: two districts of communes, a commune
merged into another, three yearly rounds of finalized inspections of a small checklist
(answers drawn at random, scored by the domain), self-checks of the last round and
remediation items in every status, some overdue, some done late.

The records go straight into the store (``add_inspection``): the dashboards only read
them, so nothing of the write path is needed, and a test can say exactly what is there.
"""
from __future__ import annotations

import datetime as _dt
import random
from dataclasses import dataclass, field

from inspect_app.domain.checklist import parse_checklist
from inspect_app.domain.models import Answer, Inspection, RemediationItem, TeamMember, Unit
from inspect_app.domain.scoring import score
from inspect_app.services.inspections import snapshot_of
from inspect_app.storage import new_id

CHECKLIST_ID = "t-dash"
CHECKLIST = parse_checklist({
    "format": 1, "id": CHECKLIST_ID, "version": "1", "title": "Danh mục thống kê", "kind": "any",
    "bands": [{"min": 90, "label": "Tốt"}, {"min": 75, "label": "Khá"},
              {"min": 50, "label": "Trung bình"}, {"min": 0, "label": "Yếu"}],
    "sections": [
        {"id": "s1", "title": "Chỉ đạo điều hành", "criteria": [
            {"id": "1.1", "text": "Có kế hoạch", "type": "yesno", "points": 2},
            {"id": "1.2", "text": "Báo cáo đúng hạn", "type": "score", "points": 4},
        ]},
        {"id": "s2", "title": "Một cửa", "criteria": [
            {"id": "2.1", "text": "Niêm yết thủ tục", "type": "yesno", "points": 3},
            {"id": "2.2", "text": "Giải quyết đúng hạn", "type": "score", "points": 6},
            {"id": "2.3", "text": "Khảo sát hài lòng", "type": "yesno", "points": 1, "na_allowed": True},
        ]},
    ],
}, "test")
SNAPSHOT = snapshot_of(CHECKLIST)
TODAY = _dt.date(2026, 3, 10)
TZ = "Asia/Ho_Chi_Minh"
STATUSES = ("open", "in_progress", "done", "verified", "cannot_do", "no_action")


@dataclass
class Province:
    """What was generated: the units, and the records by id."""

    units: dict[str, Unit]
    records: dict[str, Inspection] = field(default_factory=dict)
    inspectors: dict[str, str] = field(default_factory=dict)  # district -> inspector


def units(prefix: str = "") -> dict[str, Unit]:
    """Two districts (H1: five communes and one merged away; H2: three communes), one of
    them with a name that is a formula and markup (it must stay text everywhere)."""
    p = prefix
    found = [Unit(f"{p}H1", "Huyện Một"), Unit(f"{p}H2", "Huyện Hai")]
    names = ["Xã An Bình", "Xã Bình Minh", "Xã Cát Tiên", "=1+1 <b>Xã Đông</b>", "Xã Ea Kar",
             "Xã Gia Lộc", "Xã Hòa Lạc", "Xã Kim Sơn"]
    for n, name in enumerate(names, start=1):
        found.append(Unit(f"{p}C{n:02d}", name, parent=f"{p}H1" if n <= 5 else f"{p}H2"))
    found[2].former_names = [{"name": "Xã An Bình Cũ", "until": "2024-12-31"}]
    found.append(Unit(f"{p}M1", "Xã Sáp Nhập", parent=f"{p}H1", merged_into=f"{p}C01",
                      merged_on="2025-01-01"))
    return {u.code: u for u in found}


def _answers(rng: random.Random, quality: float) -> dict[str, Answer]:
    out = {}
    for criterion in CHECKLIST.criteria:
        if criterion.id == "2.3" and rng.random() < 0.3:
            out[criterion.id] = Answer(rev=1, na=True)
            continue
        if criterion.type == "yesno":
            value = rng.random() < quality
        else:
            value = rng.randint(0, int(criterion.points)) if rng.random() > quality else int(criterion.points)
        out[criterion.id] = Answer(rev=1, value=value)
    return out


def record(unit: str, period: str, kind: str, rng: random.Random, *, team: str, quality: float,
           finalized: str, items: bool = True) -> Inspection:
    """One finalized record, scored by the domain, with an item per shortcoming."""
    iid = new_id()
    answers = _answers(rng, quality)
    inspection = Inspection(
        id=iid, unit=unit, checklist=SNAPSHOT, period=period, kind=kind, status="finalized",
        answers=answers, team=[TeamMember(team, "lead")], created_by=team,
        created_at=finalized, updated_at=finalized, finalized_at=finalized, finalized_by=team)
    card = score(CHECKLIST, inspection.answers_content())
    inspection.score = card.as_dict()
    if items:
        for n, line in enumerate(card.shortcomings, start=1):
            status = rng.choice(STATUSES)
            due = (TODAY + _dt.timedelta(days=rng.randint(-60, 20))).isoformat()
            done_at = None
            if status in ("done", "verified"):
                late = rng.random() < 0.4
                day = _dt.date.fromisoformat(due) + _dt.timedelta(days=3 if late else -2)
                # 20:00 UTC is the next day in Vietnam: on time by UTC, late by local date
                done_at = f"{day - _dt.timedelta(days=1) if late else day}T20:00:00+00:00"
            inspection.items.append(RemediationItem(
                id=f"{iid}-{n}", inspection=iid, unit=unit, criterion=line.id,
                finding=f"Chưa đạt tiêu chí {line.id}", action="Khắc phục", status=status,
                due=due, done_at=done_at, created_at=finalized))
    return inspection


def fill(store, prefix: str = "", seed: int = 7) -> Province:
    """The province into ``store``: units; rounds 2023, 2024, 2025 of inspections of every
    commune but the last (C08 is never inspected in 2025), the merged unit M1 inspected in
    2023 and 2024 only; self-checks of 2025 for C01–C04. Inspectors ``<prefix>insp1``
    (district H1) and ``<prefix>insp2`` (H2) lead their district's inspections."""
    rng = random.Random(seed)
    found = units(prefix)
    store.save_units(found.values())
    province = Province(found, inspectors={f"{prefix}H1": f"{prefix}insp1",
                                           f"{prefix}H2": f"{prefix}insp2"})
    communes = [u for u in found.values() if u.parent]
    for year in (2023, 2024, 2025):
        for n, unit in enumerate(communes):
            if year == 2025 and (unit.merged_into or unit.code.endswith("C08")):
                continue
            team = province.inspectors[unit.parent]
            when = f"{year}-06-{1 + n:02d}T03:00:00+00:00"
            inspection = record(unit.code, str(year), "inspection", rng, team=team,
                                quality=rng.uniform(.3, .95), finalized=when, items=year == 2025)
            province.records[inspection.id] = inspection
            if year == 2025 and n == 1:  # a second, older inspection of C02 in 2025: not ranked
                older = record(unit.code, "2025", "inspection", rng, team=team, quality=.1,
                               finalized="2025-01-05T03:00:00+00:00", items=False)
                province.records[older.id] = older
    for unit in communes[:4]:
        own = record(unit.code, "2025", "self_check", rng, team=f"{prefix}xa{unit.code}",
                     quality=.95, finalized="2025-05-20T03:00:00+00:00", items=False)
        province.records[own.id] = own
    for inspection in province.records.values():
        store.add_inspection(inspection)
    return province
