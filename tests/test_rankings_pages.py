"""The home page, rankings and dashboards agree: the units a user may see, the units not
yet inspected (by name, without districts), a round of an unknown checklist refused and a
round without results titled by its checklist."""
from __future__ import annotations

import html
import re
import uuid

import pytest

from inspect_app.services import accounts, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .support import PASSWORD, login

WEEKLY = "tu-kiem-tra-mot-cua-tuan"
WEEKLY_TITLE = "Tự kiểm tra hằng tuần bộ phận một cửa"


@pytest.fixture
def province(app):
    """Four communes whose codes do not sort as their names do; an inspector ("lead") who
    inspected only A1 (finalized, 2025); an admin and a viewer."""
    store, library = app.extensions["store"], app.extensions["checklists"]
    for code, name in (("A1", "Xã Yên Lạc"), ("B2", "Xã Đồng Văn"),
                       ("C3", "Phường An Phú"), ("D4", "Xã Bình Minh")):
        unit_service.add_unit(store, code, name)
    accounts.create_user(store, "admin", "admin", password=PASSWORD)
    accounts.create_user(store, "lead", "inspector", password=PASSWORD)
    accounts.create_user(store, "viewer", "viewer", password=PASSWORD)
    lead = service.scope_for(store, store.get_user("lead"))
    inspection = service.start(store, library, lead, commands.StartRequest(
        unit="A1", checklist="cchc-xa", period="2025", kind="inspection"))
    service.save_answer(store, lead, inspection.id, commands.answer_op(
        "1.6", {"op_id": str(uuid.uuid4()), "base_rev": 0, "value": True}))
    service.finalize(store, lead, inspection.id,
                     commands.finalize_op({"op_id": str(uuid.uuid4()), "allow_unanswered": True}))
    return store


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_inspector_home_unit_count_equals_the_units_they_may_see(client, province):
    """An inspector who has inspected one commune opens the home page: the overview says
    how many units there are. They expect the same number as on their Units page (and as
    the dashboards' "units in view"), which lists only that one commune. The home page
    counts every unit of the province (4) — a figure no list of theirs shows.
    (web/home.py:index counts ``db.page_units(limit=0)`` without the user's scope.)"""
    login(client, "lead")
    units_page = text_of(client.get("/units/"))
    listed = int(re.search(r'class="pager-count">[^<]*?(\d+)</span>', units_page).group(1))
    assert listed == 1  # the one unit the inspector inspects
    home = text_of(client.get("/"))
    shown = int(re.search(r"<li><strong>(\d+)</strong>", home).group(1))
    assert shown == listed, f"home says {shown} units, the Units page lists {listed}"


def test_rankings_page_lists_units_not_inspected_by_name(client, province):
    """A viewer opens the ranking of 2025: the units with no finalized record are listed
    by name. They expect alphabetical order of the names (diacritics folded), as the
    dashboards and their workbook list the same units. The page lists them in the order
    of their codes (B2 Đồng Văn, C3 An Phú, D4 Bình Minh), so the list looks random.
    (services/rankings.py:ranking sorts ``not_inspected`` by code; the page,
    web/rankings.py:index, shows them in that order.)"""
    login(client, "viewer")
    page = text_of(client.get("/rankings/?checklist=cchc-xa&period=2025"))
    listed = re.findall(r"<li>([^<]+)</li>", page.split('<ul class="plain">', 1)[1].split("</ul>")[0])
    assert sorted(listed) == sorted(["Xã Đồng Văn", "Phường An Phú", "Xã Bình Minh"])
    dashboard = text_of(client.get("/dashboards/?checklist=cchc-xa&period=2025"))
    assert dashboard.index("Phường An Phú") < dashboard.index("Xã Bình Minh") \
        < dashboard.index("Xã Đồng Văn")  # the dashboards: by folded name
    assert listed == ["Phường An Phú", "Xã Bình Minh", "Xã Đồng Văn"], listed


def test_dashboard_of_an_unknown_checklist_is_refused(client, province):
    """A viewer types a checklist id with a typo into the dashboards' address
    (?checklist=cchc-xaa&period=2025). They expect what the ranking page says for the
    same typo: 400 "không có bộ tiêu chí 'cchc-xaa'". The dashboards answer 200 with a
    round titled "cchc-xaa" in which every commune is "not yet inspected" — a typo read as
    a province where nobody was inspected (and the Excel download is such a workbook).
    (services/dashboards.py:build calls ``ranking`` without ``library``.)"""
    login(client, "viewer")
    ranking = client.get("/rankings/?checklist=cchc-xaa&period=2025")
    assert ranking.status_code == 400 and "cchc-xaa" in text_of(ranking)
    response = client.get("/dashboards/?checklist=cchc-xaa&period=2025")
    assert response.status_code == 400, "the dashboards accept an unknown checklist"
    workbook = client.get("/dashboards/dashboard.xlsx?checklist=cchc-xaa&period=2025")
    assert workbook.status_code == 400


def test_dashboard_of_a_round_without_results_is_titled_by_the_checklist(client, province):
    """An admin opens the dashboards of the weekly one-stop-shop self-check for a week no
    commune has finalized yet. They expect the heading to name the checklist by its title
    ("Tự kiểm tra hằng tuần bộ phận một cửa …"), as the ranking page does and as the
    same dashboards do once a record is finalized. The heading shows the raw id
    "tu-kiem-tra-mot-cua-tuan". (services/dashboards.py:build: no ``library`` given to
    ``ranking``, so the title falls back to ``query.checklist``.)"""
    login(client, "admin")
    url = f"?checklist={WEEKLY}&period=2025-W14&kind=self_check"
    ranking = text_of(client.get("/rankings/" + url))
    assert f"<h2>{WEEKLY_TITLE}" in ranking
    page = text_of(client.get("/dashboards/" + url))
    heading = re.search(r"<h2>([^<]*) · [^<]* · [^<]*</h2>", page).group(1)
    assert heading.startswith(WEEKLY_TITLE), heading


def test_rankings_page_does_not_count_a_district_as_a_commune_not_inspected(app, client,
                                                                            province):
    """The province has a district (Huyện Xuân Trường) grouping a commune under it. A viewer
    opens the ranking of 2025: they expect the list of units "without a finalized record"
    to name communes only, as the dashboards of the same round do (a district is not
    ranked among its communes, services/dashboards.py:league_of). The rankings page lists
    the district as a unit not yet inspected, and counts it in the heading's number.
    (services/rankings.py:ranking puts every visible unit in ``not_inspected``;
    web/rankings.py:index shows it as it is.)"""
    store = app.extensions["store"]
    unit_service.add_unit(store, "HX", "Huyện Xuân Trường")
    unit_service.add_unit(store, "X1", "Xã Xuân Ninh", parent="HX")
    login(client, "viewer")
    dashboard = text_of(client.get("/dashboards/?checklist=cchc-xa&period=2025"))
    waiting = dashboard.split("Đơn vị chưa được kiểm tra", 1)[1].split("</ul>", 1)[0]
    assert "Xã Xuân Ninh" in waiting and "Huyện Xuân Trường" not in waiting
    page = text_of(client.get("/rankings/?checklist=cchc-xa&period=2025"))
    listed = re.findall(r"<li>([^<]+)</li>",
                        page.split('<ul class="plain">', 1)[1].split("</ul>")[0])
    assert "Xã Xuân Ninh" in listed
    assert "Huyện Xuân Trường" not in listed, listed
