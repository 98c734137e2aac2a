"""The start page: the newest round ranked for the province, the own unit for a commune."""
from __future__ import annotations

import re
import uuid

import pytest

from inspect_app.services import accounts, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .support import PASSWORD, login


@pytest.fixture
def province(app):
    store, library = app.extensions["store"], app.extensions["checklists"]
    for code, name in (("A", "Xã Thiện Nghiệp"), ("B", "Xã Đồng Văn"), ("C", "Xã Kim Long")):
        unit_service.add_unit(store, code, name)
    accounts.create_user(store, "lead", "inspector", password=PASSWORD)
    accounts.create_user(store, "viewer", "viewer", password=PASSWORD)
    accounts.create_user(store, "ua", "unit", unit="A", password=PASSWORD)
    lead = service.scope_for(store, store.get_user("lead"))
    # A and C score the same (a shared rank), B lower
    for unit, value in (("A", True), ("B", False), ("C", True)):
        inspection = service.start(store, library, lead, commands.StartRequest(
            unit=unit, checklist="cchc-xa", period="2025", kind="inspection"))
        service.save_answer(store, lead, inspection.id, commands.answer_op(
            "1.6", {"op_id": str(uuid.uuid4()), "base_rev": 0, "value": value}))
        service.finalize(store, lead, inspection.id,
                         commands.finalize_op({"op_id": str(uuid.uuid4()), "allow_unanswered": True}))
    return store


def test_the_province_sees_the_newest_round_ranked(client, province):
    login(client, "viewer")
    page = client.get("/").get_data(as_text=True)
    table = re.search(r'<table class="data ranking">(.*?)</table>', page, re.S).group(1)
    rows = re.findall(r'<td class="num">(\d+)</td>\s*<td><a [^>]*>([^<]+)</a></td>', table)
    assert rows == [("1", "Xã Kim Long"), ("1", "Xã Thiện Nghiệp"), ("3", "Xã Đồng Văn")]
    assert "0,50%" in table and "0,00%" in table


def test_a_commune_sees_only_its_own_unit(client, province):
    login(client, "ua")
    page = client.get("/").get_data(as_text=True)
    assert "ranking" not in page and "Xã Thiện Nghiệp" in page
    assert "Xã Kim Long" not in page and "Xã Đồng Văn" not in page


def test_the_ranking_page_ranks_every_unit_and_names_those_not_inspected(app, client, province):
    """DESIGN §11 on a page: competition ranks, the band counts, the units with no record."""
    unit_service.add_unit(province, "D", "Xã Ái Thượng")  # never inspected
    login(client, "viewer")
    home = client.get("/").get_data(as_text=True)
    assert "/rankings/?checklist=cchc-xa&amp;period=2025" in home
    page = client.get("/rankings/?checklist=cchc-xa&period=2025").get_data(as_text=True)
    table = re.search(r'<table class="data ranking">(.*?)</table>', page, re.S).group(1)
    rows = re.findall(r'<td class="num">(\d+)</td>\s*<td><a [^>]*>([^<]+)</a></td>', table)
    assert rows == [("1", "Xã Kim Long"), ("1", "Xã Thiện Nghiệp"), ("3", "Xã Đồng Văn")]
    assert "Đơn vị chưa có kết quả đã chốt (1)" in page and "<li>Xã Ái Thượng</li>" in page
    bands = re.findall(r'<span class="tag">([^<:]+): (\d+)</span>', page)
    assert bands == [("Yếu", "3")]  # every record here scored under 65 %
    assert client.get("/rankings/").get_data(as_text=True).count("<tr><td class=\"num\">") == 3


def test_the_ranking_page_says_what_is_wrong_with_its_filters(client, province):
    login(client, "viewer")
    response = client.get("/rankings/?checklist=cchc-xa&period=2025&kind=khac")
    assert response.status_code == 400
    assert "kind" in response.get_data(as_text=True) and 'role="alert"' in response.get_data(True)


def test_a_commune_ranks_only_itself(client, province):
    login(client, "ua")
    page = client.get("/rankings/?checklist=cchc-xa&period=2025").get_data(as_text=True)
    assert "Xã Thiện Nghiệp" in page and "Xã Kim Long" not in page and "Xã Đồng Văn" not in page
