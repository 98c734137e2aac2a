"""The screens of an assessment without JavaScript: the unit submits its self-score, the
province appraises a section and asks to explain, the unit explains, the scores side by
side flag what the unit overrated; each side only reaches its own screens."""
from __future__ import annotations

import re

import pytest

from inspect_app.services import accounts, assessments, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .support import PASSWORD, csrf_of, form_fields, login, op
from .test_shipped_checklists import full_answers


@pytest.fixture
def record(app):
    """An assessment of A (lead: ``lead``), self-scored in full by ``ua``, not submitted."""
    store, library = app.extensions["store"], app.extensions["checklists"]
    unit_service.add_unit(store, "A", "Xã Thiện Nghiệp")
    unit_service.add_unit(store, "B", "Xã Kim Long")
    accounts.create_user(store, "lead", "inspector", password=PASSWORD)
    accounts.create_user(store, "ua", "unit", unit="A", password=PASSWORD)
    accounts.create_user(store, "ub", "unit", unit="B", password=PASSWORD)
    lead = service.scope_for(store, store.get_user("lead"))
    unit = service.scope_for(store, store.get_user("ua"))
    inspection = service.start(store, library, lead, commands.StartRequest(
        unit="A", checklist="cchc-xa", period="2025", kind="assessment"))
    for cid, content in full_answers().items():
        service.save_answer(store, unit, inspection.id, commands.answer_op(cid, {
            "op_id": op(), "base_rev": 0, "note": f"Minh chứng {cid}", **content}))
    return inspection.id


def stage(app, iid):
    return app.extensions["store"].get_inspection(iid).stage


def post_advance(client, iid):
    view = client.get(f"/inspections/{iid}").get_data(as_text=True)
    return client.post(f"/assessments/{iid}/advance",
                       data={"csrf_token": csrf_of(view), "op_id": op()})


def test_the_loop_through_the_pages(app, client, record):
    iid = record
    login(client, "ua")
    view = client.get(f"/inspections/{iid}").get_data(as_text=True)
    assert "Nộp bản tự chấm" in view
    assert post_advance(client, iid).status_code == 302
    assert stage(app, iid) == "appraisal1"
    # the unit reaches neither the appraisal nor a round in progress
    assert client.get(f"/assessments/{iid}/appraisal/chi_dao").status_code == 403
    scores = client.get(f"/assessments/{iid}/scores").get_data(as_text=True)
    assert "Bạn chưa được xem kết quả thẩm định." in scores
    client.post("/logout", data={"csrf_token": csrf_of(view)})

    login(client, "lead")
    page = client.get(f"/inspections/{iid}").get_data(as_text=True)
    section = re.search(r'href="/assessments/[^/]+/appraisal/([^"]+)"', page).group(1)
    html = client.get(f"/assessments/{iid}/appraisal/{section}").get_data(as_text=True)
    assert "Minh chứng 1.1" in html  # the unit's evidence beside the appraisers' input
    data = form_fields(html, "appraisal-form")
    # the sixth criterion of the section is 1.6 (a yes/no)
    key = [k[:-len("_orig")] for k in data if k.endswith("_orig")][5]
    data[f"{key}_value"] = "false"
    data[f"{key}_note"] = "Không có văn bản chỉ đạo"
    data[f"{key}_explain"] = "y"
    response = client.post(f"/assessments/{iid}/appraisal/{section}", data=data)
    assert response.status_code == 302
    saved = app.extensions["store"].get_inspection(iid).rounds["appraisal1"]["1.6"]
    assert (saved.value, saved.explain, saved.rev) == (False, True, 2)
    assert post_advance(client, iid).status_code == 302
    assert stage(app, iid) == "explanation"
    client.post("/logout", data={"csrf_token": csrf_of(page)})

    login(client, "ua")
    html = client.get(f"/assessments/{iid}/explanations").get_data(as_text=True)
    assert "Không có văn bản chỉ đạo" in html  # the appraisers' comment
    response = client.post(f"/assessments/{iid}/explanations/1.6", data={
        "csrf_token": csrf_of(html), "op_id": op(), "base_rev": "0",
        "text": "Đã có KH số 06/KH-UBND"})
    assert response.status_code == 302
    explanation = app.extensions["store"].get_inspection(iid).explanations["1.6"]
    assert explanation.text == "Đã có KH số 06/KH-UBND" and explanation.by == "ua"
    scores = client.get(f"/assessments/{iid}/scores").get_data(as_text=True)
    assert "tự chấm cao hơn" in scores.lower() or "Tự chấm cao hơn" in scores
    row = re.search(r'<tr class="overrated">(.*?)</tr>', scores, re.S).group(1)
    assert "1.6" in row


def test_a_page_post_without_csrf_is_refused(app, client, record):
    login(client, "ua")
    response = client.post(f"/assessments/{record}/advance", data={"op_id": op()})
    assert response.status_code == 400
    assert stage(app, record) == "self"


def test_another_unit_never_reaches_the_screens(client, record):
    login(client, "ub")
    for path in (f"/inspections/{record}", f"/assessments/{record}/scores",
                 f"/assessments/{record}/appraisal/chi_dao"):
        assert client.get(path).status_code in (403, 404), path
    assert client.get(f"/assessments/{record}/explanations").status_code == 404


def asked_to_explain(store, record):
    """The unit sends its self-score; the appraisers score 1.6 "No" and ask it to explain;
    the record reaches the explanation stage."""
    from inspect_app.services import assessments

    unit = service.scope_for(store, store.get_user("ua"))
    lead = service.scope_for(store, store.get_user("lead"))
    assessments.advance(store, unit, record, commands.AdvanceOp(op()))
    assessments.save_appraisal(store, lead, record, commands.appraisal_op("1.6", {
        "op_id": op(), "base_rev": 1, "value": False, "explain": True}))
    assessments.advance(store, lead, record, commands.AdvanceOp(op()))


def small_jpeg() -> bytes:
    import io

    from PIL import Image

    photo = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 60)).save(photo, "JPEG")
    return photo.getvalue()


def test_the_unit_adds_an_evidence_photo_to_its_explanation(app, client, record):
    import io

    store = app.extensions["store"]
    asked_to_explain(store, record)
    login(client, "ua")
    html = client.get(f"/assessments/{record}/explanations").get_data(as_text=True)
    data = small_jpeg()
    response = client.post(f"/assessments/{record}/explanations/1.6/photos", data={
        "csrf_token": csrf_of(html), "op_id": op(), "photo": (io.BytesIO(data), "kh.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    explanation = store.get_inspection(record).explanations["1.6"]
    assert len(explanation.photos) == 1 and explanation.rev == 1
    photo_id = explanation.photos[0]
    assert client.get(f"/inspections/{record}/photos/{photo_id}").status_code == 200
    # a photo on a criterion that was not asked about is refused, nothing stored
    client.post(f"/assessments/{record}/explanations/3.2/photos", data={
        "csrf_token": csrf_of(html), "op_id": op(), "photo": (io.BytesIO(data), "x.jpg")},
        content_type="multipart/form-data")
    assert "3.2" not in store.get_inspection(record).explanations


def test_one_refused_box_in_an_appraisal_section_does_not_drop_the_others(app, client, record):
    """A box beyond its limit on one criterion is said by name; the other criteria of the
    section the appraiser changed are saved (not "the form could not be read")."""
    login(client, "ua")
    assert post_advance(client, record).status_code == 302
    view = client.get(f"/inspections/{record}").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_of(view)})
    login(client, "lead")
    html = client.get(f"/assessments/{record}/appraisal/chi_dao").get_data(as_text=True)
    data = form_fields(html, "appraisal-form")
    keys = [k[:-len("_orig")] for k in data if k.endswith("_orig")]
    data[f"{keys[5]}_value"] = "false"  # 1.6, a yes/no
    data[f"{keys[1]}_in_planned"] = "9" * 600  # 1.2's box: 500 characters at most
    response = client.post(f"/assessments/{record}/appraisal/chi_dao", data=data)
    assert response.status_code == 400  # the section shown again, what was typed kept
    flashed = response.get_data(as_text=True)
    assert "tối đa 500 ký tự" in flashed and "1.2" in flashed
    saved = app.extensions["store"].get_inspection(record).rounds["appraisal1"]
    assert saved["1.6"].value is False


def test_an_explanation_typed_then_a_photo_or_a_refusal_keeps_the_text(app, client, record):
    """The unit types its explanation, then adds a photo with "Upload": the photo form held
    only the photo, and the typed text was lost; a text refused (too long) or changed
    meanwhile was lost too (a redirect). Now one form sends both, and a refusal shows the
    page again with the text as typed."""
    import io

    store = app.extensions["store"]
    asked_to_explain(store, record)
    login(client, "ua")
    html = client.get(f"/assessments/{record}/explanations").get_data(as_text=True)
    fields = form_fields(html, "explain-1.6")
    response = client.post(f"/assessments/{record}/explanations/1.6", data={
        **fields, "text": "Đã có KH số 06/KH-UBND ngày 07/04/2025", "upload": "1",
        "photo": (io.BytesIO(small_jpeg()), "kh.jpg")}, content_type="multipart/form-data")
    assert response.status_code == 302
    explanation = store.get_inspection(record).explanations["1.6"]
    assert explanation.text == "Đã có KH số 06/KH-UBND ngày 07/04/2025"
    assert len(explanation.photos) == 1
    too_long = "Giải trình " * 500  # 5.500 characters: over the 4.000 limit
    html = client.get(f"/assessments/{record}/explanations").get_data(as_text=True)
    response = client.post(f"/assessments/{record}/explanations/1.6",
                           data={**form_fields(html, "explain-1.6"), "text": too_long})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "4.000" in page and too_long.strip() in page  # said, and the text kept
    stale = {**form_fields(html, "explain-1.6"), "base_rev": "0", "text": "Một giải trình khác"}
    response = client.post(f"/assessments/{record}/explanations/1.6", data=stale)
    assert response.status_code == 409 and "Một giải trình khác" in response.get_data(as_text=True)
    assert store.get_inspection(record).explanations["1.6"].text.startswith("Đã có KH")


def test_taking_the_self_score_keeps_the_appraisers_comment_and_request(app, client, record):
    """Round 1: the appraiser scores 1.6 "No", writes the reason in the note and asks the
    unit to explain it. Looking again, they press "Take the self-score" on 1.6 (the unit
    said "Yes"). They expect the unit's score to be taken over as the round's score; the
    comment they wrote and the request to explain are theirs and should stay (nothing on
    the button says it erases them). What happens: the round's answer is replaced by the
    bare self-score value — the note is wiped and the request to explain is gone, so the
    unit is never asked and the comment is lost (web/assessments.py save_appraisal, the
    copy branch builds the content from the self-score alone)."""
    store = app.extensions["store"]
    unit = service.scope_for(store, store.get_user("ua"))
    lead = service.scope_for(store, store.get_user("lead"))
    assessments.advance(store, unit, record, commands.AdvanceOp(op()))
    assessments.save_appraisal(store, lead, record, commands.appraisal_op("1.6", {
        "op_id": op(), "base_rev": 1, "value": False, "explain": True,
        "note": "Không có văn bản chỉ đạo"}))
    login(client, "lead")
    page = client.get(f"/inspections/{record}").get_data(as_text=True)
    section = re.search(r'href="/assessments/[^/]+/appraisal/([^"]+)"', page).group(1)
    html = client.get(f"/assessments/{record}/appraisal/{section}").get_data(as_text=True)
    data = form_fields(html, "appraisal-form")
    data["copy"] = "1.6"
    response = client.post(f"/assessments/{record}/appraisal/{section}", data=data)
    assert response.status_code == 302
    saved = store.get_inspection(record).rounds["appraisal1"]["1.6"]
    assert saved.value is True  # the self-score was taken over
    assert (saved.note, saved.explain) == ("Không có văn bản chỉ đạo", True)
