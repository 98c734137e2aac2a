"""Starting at the door and on the start form: a merged commune's door starts the unit that
carries it, a refused team mate is said, a period typed in words is kept."""
from __future__ import annotations

import re

from inspect_app.services import accounts
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .browser import chromium, live_server, phone  # noqa: F401
from .browser import login as browser_login
from .support import PASSWORD, login


def _selected(html: str, name: str) -> list[str]:
    """The values of the options marked selected in ``<select name=name>``."""
    select = re.search(r'<select[^>]*name="%s"[^>]*>(.*?)</select>' % name, html, re.S)
    assert select, name
    return [re.search(r'value="([^"]*)"', o).group(1)
            for o in re.findall(r"<option[^>]*>", select.group(1)) if "selected" in o]


def _options(html: str, name: str) -> list[str]:
    select = re.search(r'<select[^>]*name="%s"[^>]*>(.*?)</select>' % name, html, re.S)
    return re.findall(r'<option[^>]*value="([^"]*)"', select.group(1))


def test_an_inspector_at_the_door_of_a_merged_commune_gets_another_unit_preselected(app):
    """Commune B ("Xã Đồng Văn") was merged into A ("Xã Thiện Nghiệp"); B's door QR code
    is still posted at its old office. An inspector who has not inspected either scans it:
    the door sends them to the start form for an inspection "of B". They expect the form
    to propose the commune that carries B's work now (A), as the door does for A's own
    officers. But B is not among the form's units (merged units get no new records), so no
    option is selected and the browser shows the first unit of the list, "Xã An Khánh",
    a commune that has nothing to do with the door: pressing Start inspects the wrong unit.
    (web/qr.py: door_target maps the merged code to its carrier only for commune officers.)"""
    store = app.extensions["store"]
    unit_service.add_unit(store, "C", "Xã An Khánh")
    unit_service.add_unit(store, "A", "Xã Thiện Nghiệp")
    unit_service.add_unit(store, "B", "Xã Đồng Văn")
    unit_service.merge_units(store, ["B"], "A", "01/07/2025")
    accounts.create_user(store, "outsider", "inspector", password=PASSWORD)
    client = login(app.test_client(), "outsider")
    door = client.get("/units/B/door")
    assert door.status_code == 302
    form = client.get(door.headers["Location"])
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert "B" not in _options(html, "unit")  # the merged commune is not offered
    shown = _selected(html, "unit") or _options(html, "unit")[:1]  # what the browser shows
    assert shown == ["A"], f"the start form proposes unit {shown}, not A which carries B"


def test_a_team_mate_refused_at_start_leaves_the_form_without_any_message(app):
    """An inspector opens "Start an inspection", ticks a team mate, Trần Thị Mai, and types
    the place. Meanwhile the administrator deactivates Mai's account. The inspector presses
    Start: the service refuses ("không có người dùng «mate»", a refusal of the ``team``
    field), and the same form comes back (400) — with no message anywhere: Mai's checkbox
    is gone and nothing says why nothing was started. They expect the refusal shown at the
    team box, as every other field's is. (templates/inspections/new.html renders the team
    fieldset without ``form.team.errors``; web/inspections.py: _field_errors puts it there.)"""
    from inspect_app.services.accounts import UserEdit

    from .support import csrf_of, page_text

    store = app.extensions["store"]
    unit_service.add_unit(store, "A", "Xã Thiện Nghiệp")
    admin = accounts.create_user(store, "admin", "admin", password=PASSWORD)
    accounts.create_user(store, "lead", "inspector", password=PASSWORD, full_name="Nguyễn Văn An")
    accounts.create_user(store, "mate", "inspector", password=PASSWORD, full_name="Trần Thị Mai")
    client = login(app.test_client(), "lead")
    page = client.get("/inspections/new").get_data(as_text=True)
    assert 'value="mate"' in page
    accounts.edit_user(store, admin, "mate", UserEdit(full_name="Trần Thị Mai", position="",
                                                      role="inspector", unit=None, active=False))
    response = client.post("/inspections/new", data={
        "csrf_token": csrf_of(page), "kind": "inspection", "unit": "A", "checklist": "cchc-xa",
        "period": "2025", "team": ["mate"], "place": "Hội trường UBND xã"})
    assert response.status_code == 400
    assert not store.query_inspections(service.visible_query(
        service.scope_for(store, store.get_user("lead")))).rows  # nothing started
    text = page_text(response)
    assert "không có người dùng" in text or "mate" in text, \
        "the start form came back refused without saying why"


def test_the_door_sheet_prints_a_door_code_for_a_commune_merged_away(app):
    """Commune B ("Xã Đồng Văn") was merged into A on 01/07/2025 and gets no new records.
    An administrator prints the door QR sheet to post new codes at the communes' offices.
    They expect one card per commune that exists now; the sheet also prints a card for
    "Xã Đồng Văn", a commune that no longer has an office of its own (and whose door sends
    an inspector to a start form for another unit). (web/qr.py: door_sheet lists
    ``store.list_units()`` with the merged units.)"""
    from .support import page_text

    store = app.extensions["store"]
    unit_service.add_unit(store, "A", "Xã Thiện Nghiệp")
    unit_service.add_unit(store, "B", "Xã Đồng Văn")
    unit_service.merge_units(store, ["B"], "A", "01/07/2025")
    accounts.create_user(store, "admin", "admin", password=PASSWORD)
    client = login(app.test_client(), "admin")
    response = client.get("/qr/door-sheet")
    assert response.status_code == 200
    text = page_text(response)
    assert "Xã Thiện Nghiệp" in text
    assert "Xã Đồng Văn" not in text, "a door card is printed for the merged commune B"


# ---------------------------------------------------------------- start.js in a browser



def test_a_period_typed_the_vietnamese_way_is_replaced_when_the_checklist_is_chosen(
        live_server, phone):
    """A commune officer opens "Start a self-check" (the weekly checklist is proposed, with
    this week). They type the period as the province writes it, "Năm 2025" (the server
    reads it as 2025, DESIGN's period forms), then choose the yearly checklist "cchc-xa".
    start.js promises to keep "one of their own that fits it" — and it keeps "2025" typed
    as digits — but "Năm 2025" is silently overwritten with the current year, so the
    self-check is started for the wrong year unless they notice.
    (static/start.js: kindOf knows only the ISO codes, not the forms parse_period reads.)"""
    import uuid

    from inspect_app.domain.periods import parse_period

    assert parse_period("Năm 2025").code == "2025"  # the server takes it as typed
    store = live_server.store()
    tag = uuid.uuid4().hex[:6]
    unit_service.add_unit(store, f"P{tag}", f"Xã Phú Lộc {tag}")
    accounts.create_user(store, f"ua{tag}", "unit", unit=f"P{tag}", password=PASSWORD)
    page = phone()
    browser_login(page, live_server, f"ua{tag}", PASSWORD)
    page.goto(f"{live_server.url}/inspections/new?kind=self_check")
    assert page.input_value("select[name=checklist]") == "tu-kiem-tra-mot-cua-tuan"
    page.fill("input[name=period]", "2025")
    page.select_option("select[name=checklist]", "cchc-xa")
    assert page.input_value("input[name=period]") == "2025"  # digits: kept
    page.select_option("select[name=checklist]", "tu-kiem-tra-mot-cua-tuan")
    page.fill("input[name=period]", "Năm 2025")
    page.select_option("select[name=checklist]", "cchc-xa")
    assert page.input_value("input[name=period]") == "Năm 2025", \
        f"the typed period became {page.input_value('input[name=period]')!r}"
