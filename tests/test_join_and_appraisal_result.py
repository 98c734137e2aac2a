"""An old join code (the QR printed on paper) still opens the inspection for its team and
tells anyone else it expired; the printed appraisal result reads a penalty the right way
round. Found by exploratory testing; each test failed before its fix."""
from __future__ import annotations

from inspect_app.services import accounts, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .support import PASSWORD


def _inspection_with_team(app):
    store, library = app.extensions["store"], app.extensions["checklists"]
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    for name in ("lead", "mate", "outsider"):
        accounts.create_user(store, name, "inspector", password=PASSWORD)
    lead = service.scope_for(store, store.get_user("lead"))
    return store, service.start(store, library, lead, commands.StartRequest(
        unit="NT", checklist="cchc-xa", period="2025", kind="inspection", team=["mate"]))


def _old_join_path(app, inspection, days):
    """The join address of a QR code printed ``days`` ago."""
    import itsdangerous.timed as timed

    from inspect_app.web.fill import join_url

    real = timed.time.time
    with app.test_request_context():
        timed.time.time = lambda: real() - days * 86400
        try:
            url = join_url(inspection)
        finally:
            timed.time.time = real
    return url.split("localhost", 1)[1]


def test_expired_join_qr_code_tells_the_inspector_it_expired(app, client):
    """An inspector scans the join QR code printed on the paper checklist two months
    (61 days) ago, for an inspection still in draft. They expect to be told the code is
    too old and to ask the lead for a new one. What happens: web/fill.py:join answers
    abort(404), the generic page "Trang này không tồn tại hoặc bạn không có quyền truy
    cập" (this page does not exist): false, the inspection exists and they may join it."""
    from tests.support import login

    store, inspection = _inspection_with_team(app)
    path = _old_join_path(app, inspection, days=61)
    login(client, "outsider")
    page = client.get(path)
    text = page.get_data(as_text=True)
    assert "không tồn tại" not in text, "an expired code is reported as a missing page"
    assert page.status_code == 410 and "hết hạn" in text and "trưởng đoàn" in text


def test_expired_join_qr_code_still_opens_the_inspection_for_a_team_member(app, client):
    """A team member (already on the team) opens the inspection from the same old
    printed QR code. They expect the inspection to open (joining is not needed; a
    fresh link for them is moot). What happens: web/fill.py:join checks the link's age
    before whether the user is on the team, and tells a member the page does not
    exist (404)."""
    from tests.support import login

    store, inspection = _inspection_with_team(app)
    path = _old_join_path(app, inspection, days=61)
    login(client, "mate")
    page = client.get(path)
    assert page.status_code == 302, page.status_code


def test_appraisal_result_flags_a_unit_that_left_out_its_penalty_as_overrated(app, client):
    """A commune self-scores an assessment at the maximum and puts 0 on line 9.2 "Điểm
    trừ" (penalty, up to 5). The appraisers find a violation and put a penalty of 2 on
    9.2 in round 1. The lead prints the appraisal result (kết quả thẩm định), whose note
    says "Chênh lệch = điểm tự chấm − điểm thẩm định; dấu “+” và chữ đậm: đơn vị tự
    chấm cao hơn". They expect 9.2 shown as "+2" and bold (the unit's own total is 2
    points higher than the appraisers' on this line) and 9.2 in the list of criteria the
    unit over-rated. What happens: domain/assessment.py:AppraisalLine.gap subtracts the
    penalty points as if they were points earned: the line reads "−2", not bold, and
    9.2 is missing from the over-rated list, so the unit reads it as having under-rated."""
    import re

    from tests.support import login, op
    from tests.test_shipped_checklists import full_answers

    store, library = app.extensions["store"], app.extensions["checklists"]
    unit_service.add_unit(store, "A", "Xã Thiện Nghiệp")
    accounts.create_user(store, "lead", "inspector", password=PASSWORD)
    accounts.create_user(store, "ua", "unit", unit="A", password=PASSWORD)
    lead, ua = (service.scope_for(store, store.get_user(u)) for u in ("lead", "ua"))
    record = service.start(store, library, lead, commands.StartRequest(
        unit="A", checklist="cchc-xa", period="2025", kind="assessment"))
    answers = {**full_answers(), "9.2": {"value": 0}}
    for cid, content in answers.items():
        service.save_answer(store, ua, record.id, commands.answer_op(cid, {
            "op_id": op(), "base_rev": 0, **content}))
    from inspect_app.services import assessments

    assessments.advance(store, ua, record.id, commands.advance_op({"op_id": op()}))
    assessments.save_appraisal(store, lead, record.id, commands.appraisal_op(
        "9.2", {"op_id": op(), "base_rev": 1, "value": 2, "note": "Vi phạm kỷ luật"}))
    login(client, "lead")
    html = client.get(f"/inspections/{record.id}/appraisal-result").get_data(as_text=True)
    row = re.search(r'<tr data-criterion="9\.2"([^>]*)>(.*?)</tr>', html, re.S)
    assert row, "9.2 not printed"
    cells = [re.sub(r"<[^>]+>", "", c).strip()
             for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(2), re.S)]
    # id, text, max, self, round 1, final, gap
    assert cells[3:5] == ["0", "−2"], cells
    assert cells[-1] == "+2", f"penalty gap printed {cells[-1]!r}: reads as under-rated"
    assert "overrated" in row.group(1)
