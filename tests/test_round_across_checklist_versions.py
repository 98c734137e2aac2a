"""One round, records scored on different versions of its checklist (a version 2
published between them): the dashboards describe each record by its own frozen
checklist, and the self-check is compared with the inspection as a share of each side's
own maximum, in the points of the inspection's version (docs/checklists.md); the
rankings say which versions their rows were scored on; the round page offers the survey
upload by the sections of its records' versions, not the checklist's current one."""
from __future__ import annotations

import copy
import io
import re
from decimal import Decimal

import openpyxl
import pytest

from inspect_app import create_app
from inspect_app.domain.compare import Gap
from inspect_app.services import checklists as checklist_service
from inspect_app.services import dashboards
from inspect_app.storage.checklist_workbooks import checklist_yaml

from .conftest import app_config
from .support import World, login, post_login

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


# ---------------------------------------------------------------- the round's survey


def survey_app(tmp_path, text):
    from .test_survey import CHECKLIST_YAML

    folder = tmp_path / "checklists"
    folder.mkdir()
    (folder / "chi-so-thu.yaml").write_text(text or CHECKLIST_YAML, encoding="utf-8")
    return create_app(app_config(tmp_path, CHECKLISTS_DIR=str(folder)))


def publish_text(app, text: str):
    library = app.extensions["checklists"]
    _checklist, text = checklist_service.check_upload("v2.yaml", text.encode("utf-8"))
    checklist_service.publish(library, checklist_service.save_draft(library, text))


def round_page(app, world):
    client = world["app"].test_client()
    assert post_login(client, "admin", "mat-khau-dai").status_code == 302
    page = client.get("/assessments/rounds/chi-so-thu/2025")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_round_page_offers_the_survey_upload_of_its_records_version(tmp_path):
    """What happened: the round of "Chỉ số CCHC thử" 2025 was opened on version 2025.1
    (two survey sections); the admin then published 2026.1 in which they became ordinary
    sections. The round's records keep 2025.1, and the survey import writes into them,
    but the round page decided on the checklist's current version: the upload form was
    gone and the round's survey points could never be entered from the web."""
    from .test_survey import CHECKLIST_YAML, make_world

    app = survey_app(tmp_path, CHECKLIST_YAML)
    world = make_world(app, app.test_client())
    publish_text(app, CHECKLIST_YAML.replace("    survey: true\n", "")
                 .replace('version: "2025.1"', 'version: "2026.1"'))
    assert world["store"].get_inspection(world["ids"]["A"]).checklist["version"] == "2025.1"
    html = round_page(app, world)
    assert 'id="survey"' in html and "/assessments/rounds/chi-so-thu/2025/survey" in html


def test_round_page_offers_no_survey_upload_its_records_version_lacks(tmp_path):
    """What happened: a round opened on a version without survey sections showed the
    upload form once a version with survey sections was published; the import (by the
    records' own version) then refused every file."""
    from .test_survey import CHECKLIST_YAML, make_world

    plain = CHECKLIST_YAML.replace("    survey: true\n", "")
    app = survey_app(tmp_path, plain)
    world = make_world(app, app.test_client())
    publish_text(app, CHECKLIST_YAML.replace('version: "2025.1"', 'version: "2026.1"'))
    html = round_page(app, world)
    assert 'id="survey"' not in html and "/2025/survey" not in html


# ---------------------------------------------------------------- rankings


def test_rankings_of_a_round_scored_on_two_versions_name_the_versions(app, world, client):
    """What happened: NT was inspected in 2025 on cchc-xa 2025.1, TN on 2026.1 (a whole
    section added: more points to earn). The rankings page, the API and the dashboards'
    ranking (page and workbook) ranked both percents side by side and named no version,
    as if one checklist had scored them."""
    nt = world.start("lead", "NT")
    world.answer("lead", nt, "1.1", value="dung_han")
    world.finalize("lead", nt)
    publish_next(app, lambda d: d["sections"].append(copy.deepcopy(NEW_SECTION)))
    tn = world.start("lead", "TN")
    assert world.record(tn).checklist["version"] == "2026.1"
    world.answer("lead", tn, "10.1", value=True)
    world.finalize("lead", tn)
    login(client, "admin")
    query = "checklist=cchc-xa&period=2025&kind=inspection"
    html = client.get(f"/rankings/?{query}").get_data(as_text=True)
    assert nt in html and tn in html
    assert 'id="versions"' in html and "2025.1, 2026.1" in html
    assert "được chấm theo các phiên bản khác nhau" in html
    body = client.get(f"/api/v1/rankings?{query}").get_json()
    assert body["versions"] == ["2025.1", "2026.1"]  # the oldest record's first
    assert {r["inspection"]: r["checklist_version"] for r in body["rows"]} == {
        nt: "2025.1", tn: "2026.1"}
    dashboard = client.get(f"/dashboards/?{query}").get_data(as_text=True)
    assert "2025.1, 2026.1" in dashboard
    workbook = client.get(f"/dashboards/dashboard.xlsx?{query}")
    league = list(openpyxl.load_workbook(io.BytesIO(workbook.data)).worksheets[0]
                  .iter_rows(values_only=True))
    assert {row[1]: row[-1] for row in league[1:]} == {"NT": "2025.1", "TN": "2026.1"}
