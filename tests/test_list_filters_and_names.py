"""The list pages with many records: the inspections list's unit drop-down in the order of
every list of units (domain.units.unit_order), communes of one name told apart by their
code; a search or filter that matches nothing says so (inspections, users); a record is
listed under its unit's name on the record's day everywhere (inspections, remediation,
home), as docs/units.md says."""
from __future__ import annotations

import re

import pytest

from inspect_app.domain.models import Inspection, TeamMember, Unit
from inspect_app.domain.text import sort_key
from inspect_app.domain.units import unit_choices
from inspect_app.services import accounts
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .support import PASSWORD, login

pytestmark = pytest.mark.tinydb


def record(n: int, unit: str, snapshot, **overrides) -> Inspection:
    data = dict(id=f"r{n:03d}", unit=unit, checklist=snapshot, period="2025",
                kind="inspection", status="finalized",
                team=[TeamMember("lead", "lead")], created_by="lead",
                created_at=f"2025-03-01T{n // 60:02d}:{n % 60:02d}:00+07:00",
                finalized_at=f"2025-04-01T{n // 60:02d}:{n % 60:02d}:00+07:00")
    data.update(overrides)
    return Inspection(**data)


@pytest.fixture
def many(app):
    """66 finalized inspections over three communes, 60 more units, 60 users."""
    store = app.extensions["store"]
    snapshot = service.snapshot_of(app.extensions["checklists"].get("cchc-xa"))
    unit_service.add_unit(store, "A", "Xã Thiện Nghiệp")
    unit_service.add_unit(store, "B", "Xã Đồng Văn")
    unit_service.add_unit(store, "C", "Xã Kim Long")
    unit_service.add_unit(store, "D", "Xã Ân Thi")
    store.save_units([Unit(f"U{n:03d}", f"Xã Số {n:03d}") for n in range(60)])
    accounts.create_user(store, "admin", "admin", password=PASSWORD)
    accounts.create_user(store, "lead", "inspector", password=PASSWORD)
    for n in range(58):
        accounts.create_user(store, f"user{n:02d}", "viewer", password="xyz" * 4)
    store.import_inspections([record(n, "ABCD"[n % 4], snapshot) for n in range(66)],
                             durable=False)
    return store


def get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def test_inspections_unit_filter_lists_units_in_the_folded_order(client, many):
    """What happened: the "Unit" drop-down of the inspections filters was re-sorted by the
    raw letters (Jinja ``dictsort``), so "Xã Ân Thi", "Xã Đồng Văn" and every name with
    "Đ" or an accented first letter fell after "Xã Thiện Nghiệp", at the bottom of a list
    of hundreds of communes, unlike the units list (diacritics folded)."""
    login(client, "admin")
    page = get(client, "/inspections/")
    select = re.search(r'<select name="unit">(.*?)</select>', page, re.S).group(1)
    shown = [name for code, name in re.findall(r'<option value="([^"]+)"[^>]*>([^<]*)</option>',
                                               select)]
    units_page = [n for n in re.findall(r"<strong>([^<]*)</strong>", get(client, "/units/"))]
    assert units_page[:2] == ["Xã Ân Thi", "Xã Đồng Văn"], units_page[:4]  # the units list
    assert shown[:4] == sorted(shown, key=sort_key)[:4], shown[:4]
    assert shown[:2] == units_page[:2]


def test_users_search_without_match_says_so(client, many):
    """What happened: a search of the users list for "nguyen van khong co" (nobody) showed
    an empty table with only its header row and no word about it, where the units list
    says no unit matches."""
    login(client, "admin")
    page = get(client, "/users/?q=nguyen+van+khong+co")
    assert "<tbody>" in page and not re.search(r"<tbody>\s*<tr>", page)  # no row
    assert re.search(r'class="empty"', page), "an empty table, nothing said"


def test_inspections_search_without_match_does_not_say_none_yet(client, many):
    """What happened: with 66 records, a search of the inspections for "kim long" in the
    period 2024 (none that year) said "Chưa có cuộc kiểm tra hay tự kiểm tra nào." (no
    inspections or self-checks yet), which was untrue: the list was just filtered."""
    login(client, "admin")
    page = get(client, "/inspections/?q=kim+long&period=2024")
    assert 'href="/inspections/r' not in page
    assert "Chưa có cuộc kiểm tra hay tự kiểm tra nào." not in page
    assert "Không có cuộc kiểm tra hay tự kiểm tra nào khớp với tìm kiếm và bộ lọc." in page


def test_inspections_unit_filter_tells_apart_communes_of_the_same_name(client, many):
    """What happened: two communes of one name in two districts ("Xã Tân Lập", TL1 under H1
    and TL2 under H2) showed in the inspections filters' "Unit" drop-down as "Xã Tân Lập"
    twice, nothing else: no way to pick TL2's records."""
    unit_service.add_unit(many, "H1", "Huyện Yên Lạc")
    unit_service.add_unit(many, "H2", "Huyện Thạch Thất")
    unit_service.add_unit(many, "TL1", "Xã Tân Lập", parent="H1")
    unit_service.add_unit(many, "TL2", "Xã Tân Lập", parent="H2")
    login(client, "admin")
    page = get(client, "/inspections/")
    select = re.search(r'<select name="unit">(.*?)</select>', page, re.S).group(1)
    labels = dict(re.findall(r'<option value="(TL\d)"[^>]*>([^<]*)</option>', select))
    assert set(labels) == {"TL1", "TL2"}
    assert labels == {"TL1": "Xã Tân Lập (TL1)", "TL2": "Xã Tân Lập (TL2)"}
    assert ">Xã Kim Long</option>" in select  # a name of its own: no code


def test_remediation_plans_list_shows_the_unit_name_on_the_record_day(client, many):
    """What happened: commune A ("Xã Thiện Nghiệp") was renamed "Phường Thiện Nghiệp" from
    today; its 2025 records keep the old name (docs/units.md) and the inspections list
    showed them so, but Remediation's "Progress of each plan" listed A's 2025 plan under
    the new name, which the record never had (so did the overdue cards' context and the
    home page's lists)."""
    from inspect_app.domain.models import RemediationItem
    snapshot = service.snapshot_of(client.application.extensions["checklists"].get("cchc-xa"))
    many.import_inspections([record(500, "A", snapshot, items=[RemediationItem(
        id="r500-1", inspection="r500", unit="A", criterion="1.6", finding="Thiếu sót",
        due="2020-01-01")])], durable=False)  # overdue
    import datetime as _dt
    unit_service.rename_unit(many, "A", "Phường Thiện Nghiệp", _dt.date.today().isoformat())
    login(client, "admin")
    listed = get(client, "/inspections/?unit=A")
    assert "Xã Thiện Nghiệp · " in listed  # the inspections list: the name on the day
    plans = get(client, "/remediation/")
    section = plans.split('id="plans"', 1)[1]
    entry = re.search(r'href="/remediation/plan/r500">\s*<strong>([^<]*)</strong>', section)
    assert entry.group(1) == "Xã Thiện Nghiệp"
    overdue = get(client, "/remediation/").split('id="plans"', 1)[0]
    assert "Xã Thiện Nghiệp · " in overdue and "Phường Thiện Nghiệp" not in overdue
    home = get(client, "/")
    assert "Xã Thiện Nghiệp · " in home and "Phường Thiện Nghiệp · " not in home


@pytest.mark.parametrize("names, expected", [
    (["Xã A", "Xã B"], ["Xã A", "Xã B"]),
    (["Xã A", "Xã A", "Xã B"], ["Xã A (U0)", "Xã A (U1)", "Xã B"]),
    ([], []),
])
def test_unit_choices_add_the_code_only_where_names_repeat(names, expected):
    """What happened: the unit drop-downs showed the name alone, so two communes of one
    name looked the same; the order given (unit_order) must be kept."""
    units = [Unit(f"U{n}", name) for n, name in enumerate(names)]
    assert [label for _code, label in unit_choices(units)] == expected
    assert [code for code, _label in unit_choices(units)] == [u.code for u in units]
