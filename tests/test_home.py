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
