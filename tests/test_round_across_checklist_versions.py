"""One round, records scored on different versions of its checklist (a version 2
published between them): the dashboards describe each record by its own frozen
checklist, and the self-check is compared with the inspection as a share of each side's
own maximum, in the points of the inspection's version (docs/checklists.md)."""
from __future__ import annotations

import copy
import re
from decimal import Decimal

import pytest

from inspect_app.domain.compare import Gap
from inspect_app.services import checklists as checklist_service
from inspect_app.services import dashboards
from inspect_app.storage.checklist_workbooks import checklist_yaml

from .support import World, login

CHECKLIST = "cchc-xa"


@pytest.fixture
def world(app, client):
    return World(app, client)


def publish_next(app, change, version="2026.1", checklist_id=CHECKLIST):
    """Publish, as an admin would, the current version of ``checklist_id`` changed by
    ``change(data)`` under a new version text."""
    library = app.extensions["checklists"]
    data = copy.deepcopy(dict(library.get(checklist_id).data))
    change(data)
    data["version"] = version
    text = checklist_yaml(data)
    checklist, text = checklist_service.check_upload("v2.yaml", text.encode("utf-8"))
    token = checklist_service.save_draft(library, text)
    checklist_service.publish(library, token)
    assert library.get(checklist_id).version == version
    return library.get(checklist_id)


def section(data, section_id):
    return next(s for s in data["sections"] if s["id"] == section_id)


def criterion(data, criterion_id):
    return next(c for s in data["sections"] for c in s["criteria"] if str(c["id"]) == criterion_id)


NEW_SECTION = {"id": "so_hoa", "title": "Chuyển đổi số (mới)", "criteria": [
    {"id": "10.1", "text": "Có Kế hoạch chuyển đổi số năm", "type": "yesno", "points": 1}]}


def test_dashboards_name_and_place_a_criterion_added_in_version_2(app, world):
    """What happened: the province inspects NT in 2025 on cchc-xa 2025.1 (finalized, the better score).
    Then the admin publishes 2026.1, which adds a section "Chuyển đổi số (mới)" with
    criterion 10.1 "Có Kế hoạch chuyển đổi số năm"; TN is inspected on 2026.1, fails 10.1,
    finalized. The admin opened the dashboards for cchc-xa 2025 and expected the most-failed
    criteria to show 10.1 with its text and section, and the section heat map to have the
    new section's column for TN. The panels describe every record by the
    checklist of the first card (the top-ranked record, NT's 2025.1): 10.1 was listed as
    bare "10.1" with no text nor section, and the new section had no column at all."""
    nt = world.start("lead", "NT")
    world.answer("lead", nt, "1.1", value="dung_han")
    world.answer("lead", nt, "2.1", value=True)
    world.finalize("lead", nt)
    publish_next(app, lambda d: d["sections"].append(copy.deepcopy(NEW_SECTION)))
    tn = world.start("lead", "TN")
    assert world.record(tn).checklist["version"] == "2026.1"
    world.answer("lead", tn, "10.1", value=False)
    world.finalize("lead", tn)

    board = dashboards.build(world.store, world.scope("admin"),
                             dashboards.DashboardQuery(CHECKLIST, "2025", "inspection"),
                             today=__import__("datetime").date(2025, 12, 1),
                             tz="Asia/Ho_Chi_Minh", escalate_after_days=30)
    assert [r.inspection for r in board.league.rows][0] == nt  # NT ranks first
    failed = {f.criterion: f for f in board.failed}
    assert "10.1" in failed
    assert failed["10.1"].text == "Có Kế hoạch chuyển đổi số năm", failed["10.1"]
    assert failed["10.1"].section == "so_hoa"
    assert "so_hoa" in [sid for sid, _title in board.heat.sections], board.heat.sections


def test_full_marks_on_two_versions_are_no_gap_on_the_comparison_nor_the_dashboards(
        app, client, world):
    """What happened: NT's self-check of 2025 is started on cchc-xa 2025.1, where 2.1 (yes/no) is worth
    2 points; NT answers "Có" (2/2) and finalizes. The admin then publishes 2026.1 where
    2.1 is worth 1 point. The team's inspection of NT 2025 is started on 2026.1, answers
    2.1 "Có" (1/1, full marks) and is finalized. The lead opened the comparison and expected
    no gap on 2.1: both sides gave full marks. The raw points of the two versions were
    subtracted (2 − 1): 2.1 showed a gap of +1 with the red "scored itself higher" flag,
    and the dashboards' gap panel counted NT as overrating itself."""
    own = world.start("ua", "NT", kind="self_check")
    world.answer("ua", own, "2.1", value=True, note="Có văn bản số 12/QĐ-UBND")
    world.finalize("ua", own)
    assert world.record(own).score["criteria"] and criterion(
        dict(world.library.get(CHECKLIST).data), "2.1")["points"] == 2

    def repoint(data):
        criterion(data, "2.1")["points"] = 1
    publish_next(app, repoint)
    inspection = world.start("lead", "NT")
    assert world.record(inspection).checklist["version"] == "2026.1"
    world.answer("lead", inspection, "2.1", value=True)
    world.finalize("lead", inspection)

    login(client, "lead")
    html = client.get(f"/inspections/{inspection}/compare").get_data(as_text=True)
    rows = re.findall(r"<tr[^>]*>.*?</tr>", html, re.S)
    row = next(r for r in rows if "<strong>2.1</strong>" in r)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert 'class="overrated"' not in row, cells
    assert cells[1:] == ["1", "2 / 2", "1", "–"], cells  # max of 2026.1; self out of its 2

    board = dashboards.build(world.store, world.scope("admin"),
                             dashboards.DashboardQuery(CHECKLIST, "2025", "inspection"),
                             today=__import__("datetime").date(2025, 12, 1),
                             tz="Asia/Ho_Chi_Minh", escalate_after_days=30)
    gap = next(g for g in board.gaps if g.unit == "NT")
    assert (gap.overrated, gap.gap_points) == (0, 0.0), gap


def test_a_share_is_carried_onto_the_inspections_scale():
    """What happened: a self-check of 2/2 on version 1 against 0/1 on version 2 gave a
    gap of 2 points, more than the criterion is now worth; and half marks (1/2) against
    full marks (1/1) were no gap instead of half a point below."""
    def gap(own, own_max, team, team_max):
        return Gap("2.1", "t", Decimal(team_max), Decimal(own), "pass", Decimal(team), "pass",
                   self_max=Decimal(own_max))

    assert gap(2, 2, 0, 1).gap == 1 and gap(2, 2, 0, 1).overrated
    assert gap(1, 2, 1, 1).gap == Decimal("-0.5") and not gap(1, 2, 1, 1).overrated
    assert gap(1, 1, 1, 1).gap == 0 and not gap(1, 1, 1, 1).other_scale
