"""The door QR code of a commune: it opens this period's self-check (a past week's draft
left unfinished is not where this week's answers go) and takes the code as typed from
the printed card."""
from __future__ import annotations

import datetime as _dt
import re

from inspect_app.services import accounts, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .support import PASSWORD, login


def _commune_with_officer(app):
    store = app.extensions["store"]
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    accounts.create_user(store, "cb", "unit", password=PASSWORD, unit="NT",
                         full_name="Hoàng Thị Lan")
    return store


def test_door_qr_opens_this_weeks_self_check_not_last_weeks_forgotten_draft(app):
    """What happened: last week the commune officer of Xã Nông Thượng started the weekly one-stop
    self-check ("Tự kiểm tra một cửa hằng tuần") but never finished it. This week she
    scans the door QR code at the office: the unit page promises "a commune officer
    scans it and lands on this week's self-check". She expects this week's self-check
    (the start form proposing this week, which is what /inspections/new proposes). What
    happens: the door sends her straight into LAST week's draft, with nothing saying it
    is an old week; what she fills now is recorded for last week and this week gets no
    self-check. (web/qr.py: door_target takes the newest draft of any period.)"""
    store = _commune_with_officer(app)
    library = app.extensions["checklists"]
    from inspect_app.web.common import local_today

    with app.test_request_context():
        today = local_today()
    year, week, _ = (today - _dt.timedelta(days=7)).isocalendar()
    this_year, this_week, _ = today.isocalendar()
    officer = service.scope_for(store, store.get_user("cb"))
    old = service.start(store, library, officer, commands.StartRequest(
        unit="NT", checklist="tu-kiem-tra-mot-cua-tuan", period=f"{year}-W{week:02d}",
        kind="self_check"))
    client = login(app.test_client(), "cb")
    door = client.get("/units/NT/door")
    assert door.status_code == 302
    landing = door.headers["Location"]
    assert landing != f"/inspections/{old.id}", (
        f"the door opens last week's draft ({old.period}), not this week's "
        f"({this_year}-W{this_week:02d}) self-check")


def test_door_address_typed_from_the_printed_card_in_lower_case_is_found(app):
    """What happened: the phone's camera cannot read the door card (creased, bad light), so the commune
    officer types the address printed under the code, https://…/units/NT/door, and the
    phone's keyboard gives "/units/nt/door". Unit codes typed in another case are the
    stored ones everywhere else (forms, commands, ?unit=nt of the lists). She expects her
    self-check. What happens: "Không tìm thấy — Trang này không tồn tại hoặc bạn không có
    quyền truy cập" (404) for her own commune. (web/qr.py: door/door_target look the code
    up as typed, without services.units.typed_code.)"""
    _commune_with_officer(app)
    client = login(app.test_client(), "cb")
    assert client.get("/units/NT/door").status_code == 302  # the printed case works
    door = client.get("/units/nt/door")
    assert door.status_code == 302, f"the door address in lower case answers {door.status_code}"
    assert re.match(r"/inspections/", door.headers["Location"])


def test_door_qr_opens_this_weeks_draft(app):
    store = _commune_with_officer(app)
    from inspect_app.web.common import local_today

    with app.test_request_context():
        year, week, _ = local_today().isocalendar()
    officer = service.scope_for(store, store.get_user("cb"))
    draft = service.start(store, app.extensions["checklists"], officer, commands.StartRequest(
        unit="NT", checklist="tu-kiem-tra-mot-cua-tuan", period=f"{year}-W{week:02d}",
        kind="self_check"))
    door = login(app.test_client(), "cb").get("/units/NT/door")
    assert door.headers["Location"] == f"/inspections/{draft.id}"
