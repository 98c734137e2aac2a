"""The printed minutes say what the record says for every kind of criterion: a penalty as
points taken off, recorded facts (info criteria) with what was recorded."""
from __future__ import annotations

import re
import uuid

import pytest

from inspect_app.services import accounts, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .support import PASSWORD
from .support import login as form_login


@pytest.fixture
def record(app):
    store = app.extensions["store"]
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    accounts.create_user(store, "lead", "inspector", password=PASSWORD)
    lead = service.scope_for(store, store.get_user("lead"))
    inspection = service.start(store, app.extensions["checklists"], lead, commands.StartRequest(
        unit="NT", checklist="cchc-xa", period="2025", kind="inspection"))
    return {"store": store, "id": inspection.id, "lead": lead}


def _answer(record, cid, **content):
    current = record["store"].get_inspection(record["id"]).answers.get(cid)
    service.save_answer(record["store"], record["lead"], record["id"], commands.answer_op(
        cid, {"op_id": str(uuid.uuid4()), "base_rev": current.rev if current else 0, **content}))


def _text(html):
    import html as entities
    return re.sub(r"\s+", " ", entities.unescape(re.sub(r"<[^>]+>", " ", html)))


def test_minutes_shortcoming_of_a_penalty_reads_as_points_taken_off(client, record):
    """A penalty of 0,5 (9.2, "Điểm trừ", up to 5) prints in the minutes' table as
    "−5 | −0,5", but its line under "4. Tồn tại, hạn chế" reads "Tiêu chí 9.2 (0,5/5
    điểm)": the wording of a criterion that *earned* 0,5 of 5 points."""
    _answer(record, "9.2", value=0.5)
    service.finalize(record["store"], record["lead"], record["id"], commands.finalize_op(
        {"op_id": str(uuid.uuid4()), "allow_unanswered": True}))
    form_login(client, "lead")
    minutes = _text(client.get(f"/inspections/{record['id']}/minutes").get_data(as_text=True))
    assert "9.2 Điểm trừ −5 −0,5" in minutes  # the table: signed
    shortcoming = minutes.split("Tiêu chí 9.2", 1)[1][:60]
    assert "(0,5/5 điểm)" not in shortcoming, shortcoming
    assert "−0,5" in shortcoming, shortcoming


def test_minutes_of_a_weekly_self_check_show_the_recorded_info_answers(app, client):
    """docs/checklists.md §"info": info answers "are kept, shown and exported". The
    weekly self-check's W2 (intake by channel) and W5b (why files are overdue, who is
    responsible) are typed in by the commune officer, but the printed minutes leave them
    out entirely: results() skips them ("they belong to the findings") and shortcomings()
    lists only partial/fail lines, so no section of the minutes carries them."""
    store = app.extensions["store"]
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    accounts.create_user(store, "ua", "unit", unit="NT", password=PASSWORD)
    scope = service.scope_for(store, store.get_user("ua"))
    rec = service.start(store, app.extensions["checklists"], scope, commands.StartRequest(
        unit="NT", checklist="tu-kiem-tra-mot-cua-tuan", period="2025-W10", kind="self_check"))
    target = {"store": store, "id": rec.id, "lead": scope}
    _answer(target, "W2", inputs={"truc_tiep": 12, "truc_tuyen": 37, "bcci": 0})
    _answer(target, "W5", inputs={"qua_han_xa": 2, "qua_han_cap_khac": 1})
    _answer(target, "W5b", inputs={"nguyen_nhan": "Chờ kết quả đo đạc địa chính",
                                   "cap_chiu_trach_nhiem": "Văn phòng đăng ký đất đai"})
    for cid in ("W1", "W6", "W7", "W8"):  # they need evidence to finalize
        _answer(target, cid, value=True, note="Đã kiểm tra sổ")
    service.finalize(store, scope, rec.id, commands.finalize_op(
        {"op_id": str(uuid.uuid4()), "allow_unanswered": True}))
    form_login(client, "ua")
    minutes = _text(client.get(f"/inspections/{rec.id}/minutes").get_data(as_text=True))
    assert "Không có hồ sơ quá hạn do xã" in minutes  # W5 (scored) is there
    assert "Chờ kết quả đo đạc địa chính" in minutes, "W5b's recorded cause is not printed"
    assert "Tiếp nhận trực tuyến: 37" in minutes, "W2's intake is not printed"


def _pdf_text(data: bytes) -> str:
    import io

    from pypdf import PdfReader
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
                    .split())


def test_minutes_pdf_shortcoming_of_a_penalty_says_the_points_taken_off(client, record):
    """A penalty of 0,5 (9.2, "Điểm trừ") is a shortcoming. The print view's line under
    "4. Tồn tại, hạn chế" reads "Tiêu chí 9.2 (−0,5 điểm): …"; the PDF of the same minutes
    reads "Tiêu chí 9.2: …" — the points taken off are missing from the file that is sent
    and archived (pdf._shortcoming only prints points when the criterion has a maximum)."""
    _answer(record, "9.2", value=0.5)
    service.finalize(record["store"], record["lead"], record["id"], commands.finalize_op(
        {"op_id": str(uuid.uuid4()), "allow_unanswered": True}))
    form_login(client, "lead")
    html = _text(client.get(f"/inspections/{record['id']}/minutes").get_data(as_text=True))
    in_html = html.split("Tồn tại, hạn chế", 1)[1].split("Tiêu chí 9.2", 1)[1][:30]
    assert "−0,5 điểm" in in_html, in_html  # the print view says it
    response = client.get(f"/inspections/{record['id']}/minutes.pdf")
    assert response.status_code == 200
    pdf = _pdf_text(response.data)
    in_pdf = pdf.split("Tồn tại, hạn chế", 1)[1].split("Tiêu chí 9.2", 1)[1][:30]
    assert "−0,5 điểm" in in_pdf, in_pdf
