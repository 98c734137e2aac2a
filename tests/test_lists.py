"""Every list page is bounded (issue 12 point 5): pages of 50 with the total, page links
that keep filters and search, a page past the end shows the last one, never a 500, and
the access rules applied before paging (a unit's user counts only what it may see)."""
from __future__ import annotations

import datetime as _dt
import re

import pytest

from inspect_app.domain.models import Inspection, RemediationItem, TeamMember, Unit
from inspect_app.services import accounts
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .support import PASSWORD, login

pytestmark = pytest.mark.tinydb

RECORDS = 130  # 50 + 50 + 30: three pages


def record(n: int, unit: str, snapshot, **overrides) -> Inspection:
    """Record ``n``: the higher ``n``, the newer."""
    data = dict(id=f"r{n:03d}", unit=unit, checklist=snapshot, period="2025",
                kind="inspection", status="finalized",
                team=[TeamMember("lead", "lead")], created_by="lead",
                created_at=f"2025-03-01T{n // 60:02d}:{n % 60:02d}:00+07:00",
                finalized_at=f"2025-04-01T{n // 60:02d}:{n % 60:02d}:00+07:00")
    data.update(overrides)
    return Inspection(**data)


@pytest.fixture
def many(app):
    """130 finalized inspections over units A, B, C (every third: 44, 43, 43), 60
    self-check drafts and 10 draft inspections of A (not visible to A's users), 120 units
    and 60 users; every finalized inspection of B has an overdue item."""
    store = app.extensions["store"]
    snapshot = service.snapshot_of(app.extensions["checklists"].get("cchc-xa"))
    unit_service.add_unit(store, "A", "Xã Thiện Nghiệp")
    unit_service.add_unit(store, "B", "Xã Đồng Văn")
    unit_service.add_unit(store, "C", "Xã Kim Long")
    store.save_units([Unit(f"U{n:03d}", f"Xã Số {n:03d}") for n in range(117)])
    accounts.create_user(store, "admin", "admin", password=PASSWORD)
    accounts.create_user(store, "lead", "inspector", password=PASSWORD)
    accounts.create_user(store, "ua", "unit", unit="A", password=PASSWORD)
    for n in range(57):
        accounts.create_user(store, f"user{n:02d}", "viewer", password="xyz" * 4)
    records = []
    for n in range(RECORDS):
        unit = "ABC"[n % 3]
        items = []
        if unit == "B":
            items = [RemediationItem(id=f"r{n:03d}-1", inspection=f"r{n:03d}", unit="B",
                                     criterion="1.6", finding=f"Thiếu sót số {n}",
                                     due=f"2025-01-{1 + n % 28:02d}")]
        records.append(record(n, unit, snapshot, items=items))
    records += [record(200 + n, "A", snapshot, kind="self_check", status="draft",
                       finalized_at=None, team=[TeamMember("ua", "lead")]) for n in range(60)]
    records += [record(300 + n, "A", snapshot, status="draft", finalized_at=None)
                for n in range(10)]
    store.import_inspections(records, durable=False)
    return store


def rows(page: str) -> list[str]:
    return re.findall(r'href="/inspections/(r\d+)"', page)


def count_line(page: str) -> str:
    return re.search(r'<span class="pager-count">([^<]*)</span>', page).group(1)


def get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def test_page_two_shows_the_next_rows(client, many):
    login(client, "admin")
    everything = [f"r{n:03d}" for n in sorted(
        list(range(RECORDS)) + list(range(200, 260)) + list(range(300, 310)), reverse=True)]
    first, second = get(client, "/inspections/"), get(client, "/inspections/?page=2")
    assert rows(first) == everything[:50] and rows(second) == everything[50:100]
    assert count_line(first) == "1–50 trong số 200"
    assert count_line(second) == "51–100 trong số 200"
    assert 'href="/inspections/?page=3"' in second and 'rel="prev" href="/inspections/"' in second


def test_filters_and_search_are_kept_in_the_page_links(client, many):
    login(client, "admin")
    page = get(client, "/inspections/?status=finalized&q=dong+van")
    assert count_line(page) == "1–43 trong số 43"  # B holds 43 of the 130
    assert 'value="dong van"' in page and "page=" not in page  # one page: no links
    page = get(client, "/inspections/?status=finalized&kind=inspection")
    assert count_line(page) == "1–50 trong số 130"
    link = re.search(r'rel="next" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert link == "/inspections/?status=finalized&kind=inspection&page=2"
    assert rows(get(client, link)) == [f"r{n:03d}" for n in range(79, 29, -1)]


@pytest.mark.parametrize("asked, shown", [("999", "101–130"), ("3", "101–130"), ("abc", "1–50"),
                                          ("-4", "1–50"), ("0", "1–50"), ("", "1–50"),
                                          ("1e9", "1–50"), ("99999999999999999999", "101–130")])
def test_a_page_out_of_range_shows_the_last_or_first_page(client, many, asked, shown):
    login(client, "admin")
    page = get(client, f"/inspections/?status=finalized&page={asked}")
    assert count_line(page).startswith(shown)


def test_a_unit_user_counts_only_what_it_may_see(client, many):
    login(client, "ua")
    # A: 44 finalized inspections and 60 self-checks; its 10 draft inspections and the
    # other units' records are neither listed nor counted
    page = get(client, "/inspections/")
    assert count_line(page) == "1–50 trong số 104"
    shown = rows(page) + rows(get(client, "/inspections/?page=2")) + rows(
        get(client, "/inspections/?page=3"))
    assert len(shown) == len(set(shown)) == 104
    assert all(int(r[1:]) % 3 == 0 or 200 <= int(r[1:]) < 260 for r in shown)
    assert count_line(get(client, "/inspections/?unit=B")) == "0–0 trong số 0"
    home = get(client, "/")
    assert len(rows(home)) == 10 and "Xem tất cả 104 bản" in home


def test_home_counts_come_from_the_index(client, many):
    login(client, "admin")
    home = get(client, "/")
    stats = re.findall(r"<strong>(\d+)</strong>", home.split('class="stats"')[1].split("</ul>")[0])
    assert stats == ["120", "70", "130"]  # units, in progress, finalized
    ranking = home.split('class="data ranking"')[1].split("</table>")[0]
    assert ranking.count("<tr>") == 1 + RECORDS  # header + the whole 2025 round


def test_remediation_lists_are_paged(client, many):
    login(client, "admin")
    page = get(client, "/remediation/")
    overdue = page.split('id="overdue"')[1].split("</section>")[0]
    assert overdue.count('class="item-card') == 43  # B's items, all past due
    assert '<span class="count">43</span>' in overdue and 'rel="next"' not in overdue
    plans = page.split('id="plans"')[1].split("</section>")[0]
    assert plans.count("<li>") == 43


def test_overdue_items_page_two(client, many, app):
    store = many
    snapshot = service.snapshot_of(app.extensions["checklists"].get("cchc-xa"))
    store.import_inspections([record(400 + n, "C", snapshot, items=[RemediationItem(
        id=f"r{400 + n}-1", inspection=f"r{400 + n}", unit="C", criterion="1.6",
        finding="Chậm", due="2024-12-01")]) for n in range(20)], durable=False)
    login(client, "admin")
    first = get(client, "/remediation/")
    section = first.split('id="overdue"')[1].split("</section>")[0]
    assert section.count('class="item-card') == 50 and '<span class="count">63</span>' in section
    link = re.search(r'rel="next" href="([^"]+)"', section).group(1).replace("&amp;", "&")
    assert link == "/remediation/?overdue=2#overdue"
    second = get(client, link).split('id="overdue"')[1].split("</section>")[0]
    assert second.count('class="item-card') == 13
    firsts = set(re.findall(r'id="i-(r\d+-1)"', section))
    assert not firsts & set(re.findall(r'id="i-(r\d+-1)"', second))


def test_units_and_users_lists_are_paged(client, many):
    login(client, "admin")
    units = get(client, "/units/?page=2")
    assert count_line(units) == "51–100 trong số 120"
    assert count_line(get(client, "/units/?q=XA+SO+011")) == "1–1 trong số 1"  # folded
    users = get(client, "/users/")
    assert count_line(users) == "1–50 trong số 60"
    second = get(client, "/users/?page=2&q=user")
    assert count_line(second) == "51–57 trong số 57"
    assert 'href="/users/?q=user"' in second  # back to page 1, search kept


def test_with_many_units_the_user_form_takes_a_typed_unit_code(client, many):
    many.save_units([Unit(f"V{n:03d}", f"Phường {n:03d}") for n in range(200)])
    login(client, "admin")
    page = get(client, "/users/")
    assert re.search(r'<input[^>]*name="unit"[^>]*type="text"|<input[^>]*type="text"[^>]*name="unit"',
                     page)
    assert page.count("<option") < 20  # the role list only: no option per unit
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/users/", data={"csrf_token": csrf, "username": "moi", "role": "unit",
                                            "unit": "V042", "password": "mat-khau-moi"})
    assert response.status_code == 302 and many.get_user("moi").unit == "V042"


def test_inspection_list_search_finds_a_record_by_the_unit_name_the_list_shows(
        app, client, make_inspection):
    """The records list shows an old record under its unit's name on the record's day
    (the former name after a renaming); searching that very name finds nothing."""
    store = app.extensions["store"]
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    record = make_inspection()
    unit_service.rename_unit(store, "NT", "Phường Hòa Bình",
                             (_dt.date.today() + _dt.timedelta(days=2)).isoformat())
    login(client, "lead")
    page = client.get("/inspections/").get_data(as_text=True)
    assert record.id in page and "Xã Nông Thượng" in page  # the list shows the former name
    found = client.get("/inspections/?q=nong+thuong").get_data(as_text=True)
    assert record.id in found, "searching the name the list shows finds no record"


def test_checklist_list_sorts_titles_with_diacritics_folded(tmp_path):
    """Every list is sorted with diacritics folded (domain.text.sort_key: Đ after D, Â with
    A); the checklist library sorts titles by code point, so "Đánh giá …" and "Ấp …" go
    after "Tự kiểm tra …" (Đ is U+0110, beyond every Latin letter), on the list page, the
    "new record" choices, the dashboards and the rankings."""
    import json

    from inspect_app import create_app

    from .conftest import app_config
    from .factories import checklist_data

    folder = tmp_path / "checklists"
    folder.mkdir()
    for cid, title in (("danh-gia", "Đánh giá chỉ số cải cách hành chính"),
                       ("kiem-tra", "Kiểm tra công tác văn thư"),
                       ("an-toan", "Ấn định công tác an toàn")):
        (folder / f"{cid}.json").write_text(
            json.dumps(checklist_data(id=cid, title=title), ensure_ascii=False), "utf-8")
    app = create_app(app_config(tmp_path, CHECKLISTS_DIR=str(folder)))
    titles = [c.title for c in app.extensions["checklists"].all()]
    assert titles == ["Ấn định công tác an toàn", "Đánh giá chỉ số cải cách hành chính",
                      "Kiểm tra công tác văn thư"], titles
