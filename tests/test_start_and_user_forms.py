"""The start form reads periods written the Vietnamese way and keeps a typo as typed; a
user's page opened before another administrator's change cannot undo it. Found by
exploratory testing; each test failed before its fix."""
from __future__ import annotations

import html
import re

from inspect_app.services import accounts
from inspect_app.services import units as unit_service

from .support import PASSWORD, csrf_of, post_login


def _logged_in(app, username):
    client = app.test_client()
    assert post_login(client, username).status_code == 302
    return client


def test_a_stale_user_form_cannot_undo_another_administrators_change(app):
    """Two administrators open the same user's page. Admin B disables the account
    (say, the officer left). Admin A, on the page loaded before, corrects the full name
    and saves: A's stale form (with "Active" still ticked) was saved whole, the disabled
    account was active again and A was told "saved". Now A is told the user changed
    meanwhile and sees the current details."""
    store = app.extensions["store"]
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    accounts.create_user(store, "quantri", "admin", password=PASSWORD, full_name="Quản Trị")
    accounts.create_user(store, "quantri2", "admin", password=PASSWORD, full_name="Quản Trị 2")
    accounts.create_user(store, "thanhtra", "inspector", password=PASSWORD,
                         full_name="Nguyen Van Tra")
    a, b = _logged_in(app, "quantri"), _logged_in(app, "quantri2")
    page_a = a.get("/users/thanhtra/").get_data(as_text=True)
    page_b = b.get("/users/thanhtra/").get_data(as_text=True)
    base = {"full_name": "Nguyen Van Tra", "position": "", "email": "", "role": "inspector",
            "unit": ""}
    # B disables the account (the Active box unticked)
    r = b.post("/users/thanhtra/", data={**base, "csrf_token": csrf_of(page_b),
                                         "seen": _seen(page_b)})
    assert r.status_code == 302
    assert store.get_user("thanhtra").active is False
    # A, on the page loaded before, only corrects the name (Active still ticked there)
    r = a.post("/users/thanhtra/", data={**base, "full_name": "Nguyễn Văn Tra", "active": "y",
                                         "csrf_token": csrf_of(page_a),
                                         "seen": _seen(page_a)})
    assert store.get_user("thanhtra").active is False, (
        "a stale edit form re-enabled the account B had just disabled "
        f"(answer {r.status_code})")
    assert r.status_code == 409 and "quản trị viên khác" in html.unescape(r.get_data(as_text=True))
    fresh = a.get("/users/thanhtra/").get_data(as_text=True)  # done again on the fresh page
    r = a.post("/users/thanhtra/", data={**base, "full_name": "Nguyễn Văn Tra",
                                         "csrf_token": csrf_of(fresh), "seen": _seen(fresh)})
    assert r.status_code == 302 and store.get_user("thanhtra").full_name == "Nguyễn Văn Tra"
    assert store.get_user("thanhtra").active is False


def _seen(page: str) -> str:
    return re.search(r'name="seen"[^>]*value="([^"]*)"', page).group(1)


def _start_with_period(app, period):
    """Post the start form of an inspection of NT (annual checklist cchc-xa) with ``period``
    typed; the page that comes back (unescaped) and the period field's value on it."""
    store = app.extensions["store"]
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    accounts.create_user(store, "lead", "inspector", password=PASSWORD, full_name="Lead")
    client = _logged_in(app, "lead")
    page = client.get("/inspections/new?kind=inspection").get_data(as_text=True)
    response = client.post("/inspections/new", data={
        "kind": "inspection", "unit": "NT", "checklist": "cchc-xa", "period": period,
        "csrf_token": csrf_of(page)})
    text = html.unescape(response.get_data(as_text=True))
    shown = re.search(r'name="period"[^>]*value="([^"]*)"', text)
    return response, text, shown.group(1) if shown else None


def test_a_period_typed_the_vietnamese_way_is_read(app):
    """"Năm 2025", as the app itself prints the period, was refused ("use 2025…"), in
    English, and the form then showed the current year: starting again started 2026."""
    response, _text, _shown = _start_with_period(app, "Năm 2025")
    assert response.status_code == 302, _text[:300]
    store = app.extensions["store"]
    assert [s.period for s in store.list_inspections(unit="NT")] == ["2025"]


def test_a_period_that_cannot_be_read_is_said_in_vietnamese_and_kept_as_typed(app):
    response, text, shown = _start_with_period(app, "2025/13")
    assert response.status_code == 400
    assert "is not a period" not in text and "không phải là một kỳ" in text
    assert shown == "2025/13"  # a typo stays to be corrected, never another year
