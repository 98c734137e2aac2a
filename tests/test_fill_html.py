"""Filling without JavaScript: whole sections with the same op_id / base_rev guarantees,
review, finalize, reopen, join by QR and the self-check comparison."""
from __future__ import annotations

import html as html_lib
import io
import re
import uuid

import pytest

from inspect_app.i18n import formatting
from inspect_app.services import accounts, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .support import PASSWORD, csrf_of, form_fields, login


@pytest.fixture
def world(app):
    store = app.extensions["store"]
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    for name, role, unit in (("lead", "inspector", None), ("mate", "inspector", None),
                             ("outsider", "inspector", None), ("ua", "unit", "NT"),
                             ("admin", "admin", None)):
        accounts.create_user(store, name, role, unit=unit, password=PASSWORD)
    lead = service.scope_for(store, store.get_user("lead"))
    inspection = service.start(store, app.extensions["checklists"], lead, commands.StartRequest(
        unit="NT", checklist="cchc-xa", period="2025", kind="inspection", team=["mate"]))
    return {"store": store, "id": inspection.id, "app": app}


def key_of(world, criterion_id):
    checklist = service.checklist_of(world["store"].get_inspection(world["id"]))
    return f"c{[c.id for c in checklist.criteria].index(criterion_id)}"


def section_form(client, world, section="chi_dao"):
    response = client.get(f"/inspections/{world['id']}/s/{section}")
    assert response.status_code == 200
    return form_fields(response.get_data(as_text=True))


def test_a_section_saves_only_what_changed(client, world):
    login(client, "lead")
    fields = section_form(client, world)
    fields[f"{key_of(world, '1.6')}_value"] = "true"
    fields[f"{key_of(world, '1.2')}_in_planned"] = "20"
    fields[f"{key_of(world, '1.2')}_in_done"] = "16"
    fields[f"{key_of(world, '1.10')}_note"] = "Chưa phân công công chức chấm điểm"
    response = client.post(f"/inspections/{world['id']}/s/chi_dao", data={**fields, "go": "next"})
    assert response.status_code == 302 and response.location.endswith("/s/the_che")
    answers = world["store"].get_inspection(world["id"]).answers
    assert set(answers) == {"1.6", "1.2", "1.10"}
    assert answers["1.6"].value is True and answers["1.2"].inputs == {"planned": 20, "done": 16}
    assert answers["1.10"].note == "Chưa phân công công chức chấm điểm" and answers["1.10"].value is None
    # the same form sent twice (a double tap, a retry): nothing is written twice
    response = client.post(f"/inspections/{world['id']}/s/chi_dao", data={**fields, "go": "next"})
    assert response.status_code == 302
    assert world["store"].get_inspection(world["id"]).answers["1.6"].rev == 1


@pytest.mark.parametrize("typed, stored", [("61.475", 61475), ("37 284", 37284), ("12", 12)])
def test_numbers_typed_the_vietnamese_way(client, world, typed, stored):
    login(client, "lead")
    fields = section_form(client, world)
    fields[f"{key_of(world, '1.2')}_in_planned"] = typed
    fields[f"{key_of(world, '1.2')}_in_done"] = "1"
    client.post(f"/inspections/{world['id']}/s/chi_dao", data=fields)
    assert world["store"].get_inspection(world["id"]).answers["1.2"].inputs["planned"] == stored


def test_bad_numbers_are_explained_and_nothing_else_is_lost(client, world):
    login(client, "lead")
    fields = section_form(client, world)
    fields[f"{key_of(world, '1.2')}_in_planned"] = "hai mươi"
    fields[f"{key_of(world, '1.6')}_value"] = "true"
    response = client.post(f"/inspections/{world['id']}/s/chi_dao", data=fields)
    assert response.status_code == 400
    assert "“hai mươi” không phải là số" in response.get_data(as_text=True)
    answers = world["store"].get_inspection(world["id"]).answers
    assert answers["1.6"].value is True and "1.2" not in answers


@pytest.mark.parametrize("part, text", [
    ("note", "Đã kiểm tra sổ theo dõi. " * 200),  # 5.000 characters
    ("in_planned", "1" * 600),  # a one-line box (500 characters at most)
])
def test_a_text_too_long_is_explained_and_nothing_else_is_lost(client, world, part, text):
    """A too-long note (or box) is refused on its own card, in Vietnamese, with the text
    still in its box; the section's other answers are saved, not dropped with it."""
    login(client, "lead")
    fields = section_form(client, world)
    fields[f"{key_of(world, '1.2')}_{part}"] = text
    if part == "note":
        fields[f"{key_of(world, '1.2')}_in_planned"] = "20"
        fields[f"{key_of(world, '1.2')}_in_done"] = "16"
    fields[f"{key_of(world, '1.6')}_value"] = "true"
    response = client.post(f"/inspections/{world['id']}/s/chi_dao", data=fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    card = html.split('data-criterion="1.2"')[1].split("</article>")[0]
    assert ("Ghi chú dài quá 4.000 ký tự" if part == "note" else "tối đa 500 ký tự") in card
    assert text[:200] in card  # what was typed is still there to shorten
    answers = world["store"].get_inspection(world["id"]).answers
    assert answers["1.6"].value is True and "1.2" not in answers


def test_a_team_mates_newer_answer_is_never_overwritten(client, world, app):
    login(client, "lead")
    fields = section_form(client, world)
    # meanwhile the team mate answers 1.6 and 1.1 on another phone
    mate = service.scope_for(world["store"], world["store"].get_user("mate"))
    service.save_answer(world["store"], mate, world["id"], commands.answer_op("1.6", {"op_id": str(uuid.uuid4()), "base_rev": 0, "value": False,
                         "note": "Không có kế hoạch"}))
    service.save_answer(world["store"], mate, world["id"], commands.answer_op(
        "1.1", {"op_id": str(uuid.uuid4()), "base_rev": 0, "value": "dung_han"}))
    fields[f"{key_of(world, '1.6')}_value"] = "true"  # the lead changed 1.6 too, not 1.1
    response = client.post(f"/inspections/{world['id']}/s/chi_dao", data=fields)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Thành viên khác đã sửa" in page and "Không có kế hoạch" in page
    answers = world["store"].get_inspection(world["id"]).answers
    assert answers["1.6"].value is False and answers["1.1"].value == "dung_han"
    # "keep mine": the re-rendered form carries the team mate's revision; sending it again wins
    again = form_fields(page)
    assert again[f"{key_of(world, '1.6')}_value"] == "true"
    response = client.post(f"/inspections/{world['id']}/s/chi_dao", data=again)
    assert response.status_code == 302
    answers = world["store"].get_inspection(world["id"]).answers
    assert answers["1.6"].value is True and answers["1.6"].rev == 2
    assert answers["1.1"].value == "dung_han"


def test_read_only_for_those_who_may_not_edit(client, world):
    login(client, "admin")
    client.get("/")  # admin may edit: sanity
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/").get_data(as_text=True))})
    login(client, "outsider")
    assert client.get(f"/inspections/{world['id']}/s/chi_dao").status_code == 404
    assert client.post(f"/inspections/{world['id']}/s/chi_dao", data={}).status_code in (400, 404)


def test_review_finalize_and_reopen(client, world):
    login(client, "lead")
    fields = section_form(client, world)
    fields[f"{key_of(world, '1.6')}_value"] = "false"
    client.post(f"/inspections/{world['id']}/s/chi_dao", data=fields)
    review = client.get(f"/inspections/{world['id']}/review").get_data(as_text=True)
    assert "Chưa đánh giá" in review and "1.6" in review
    confirm = client.get(f"/inspections/{world['id']}/finalize").get_data(as_text=True)
    assert 'id="finalize-form"' not in confirm  # unanswered criteria: nothing to confirm yet
    confirm = client.get(f"/inspections/{world['id']}/finalize?allow_unanswered=y")
    finalize = form_fields(confirm.get_data(as_text=True), "finalize-form")
    assert finalize.pop("allow_unanswered") == "y"
    response = client.post(f"/inspections/{world['id']}/finalize", data=finalize)
    assert response.status_code == 302 and response.location.endswith("/review")
    assert world["store"].get_inspection(world["id"]).status == "draft"
    response = client.post(f"/inspections/{world['id']}/finalize",
                           data={**finalize, "allow_unanswered": "y"})
    assert response.status_code == 302
    record = world["store"].get_inspection(world["id"])
    assert record.status == "finalized" and record.score["percent"] == 0
    view = client.get(f"/inspections/{world['id']}").get_data(as_text=True)
    assert "Mở lại" in view
    csrf = csrf_of(view)
    response = client.post(f"/inspections/{world['id']}/reopen", data={"csrf_token": csrf,
                                                                      "reason": ""})
    assert world["store"].get_inspection(world["id"]).status == "finalized"
    client.post(f"/inspections/{world['id']}/reopen",
                data={"csrf_token": csrf, "reason": "Xã bổ sung tài liệu kiểm chứng 1.6"})
    record = world["store"].get_inspection(world["id"])
    assert record.status == "draft" and record.score is None
    event = record.history[-1]
    assert (event.action, event.by, event.detail["reason"]) == (
        "reopened", "lead", "Xã bổ sung tài liệu kiểm chứng 1.6")


def _finalized_by_the_lead(world):
    """The lead (on the team as "Nguyễn Ánh Xuân") finalizes the record on their phone;
    the moment it was finalized, as a page writes it."""
    store = world["store"]
    store.update_inspection(world["id"], lambda record: setattr(
        record.member("lead"), "name", "Nguyễn Ánh Xuân"))
    lead = service.scope_for(store, store.get_user("lead"))
    service.finalize(store, lead, world["id"], commands.finalize_op(
        {"op_id": str(uuid.uuid4()), "allow_unanswered": True}))
    record = store.get_inspection(world["id"])
    return formatting.datetime(record.finalized_at, "vi", world["app"].config["TIMEZONE"])


def _not_saved_notice(page):
    return html_lib.unescape(re.sub(r"<[^>]+>|\s+", " ", re.search(
        r'<div class="flash flash-error" role="alert" id="not-saved">(.*?)</div>', page,
        re.S).group(1)))


def test_a_section_sent_after_the_lead_finalized_keeps_what_was_typed(client, world):
    """Without JavaScript the mate fills section I (1.6 = No with a note, 1.2's figures);
    meanwhile the lead finalizes the inspection. The mate presses Save: the page was
    redirected to the record with a flash, every answer typed was gone. Now the section
    comes back as typed (409), saying in Vietnamese who finalized it and when, that
    nothing was saved, and to ask the team lead to reopen it."""
    login(client, "mate")
    fields = section_form(client, world)
    note = "Chưa có kế hoạch CCHC năm 2025, mới có dự thảo"
    fields[f"{key_of(world, '1.6')}_value"] = "false"
    fields[f"{key_of(world, '1.6')}_note"] = note
    fields[f"{key_of(world, '1.2')}_in_planned"] = "20"
    fields[f"{key_of(world, '1.2')}_in_done"] = "16"
    at = _finalized_by_the_lead(world)
    response = client.post(f"/inspections/{world['id']}/s/chi_dao", data={**fields, "go": "next"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    notice = _not_saved_notice(page)
    assert f"Hồ sơ này đã được Nguyễn Ánh Xuân chốt lúc {at}" in notice
    assert "chưa được lưu" in notice and "Hãy đề nghị trưởng đoàn mở lại hồ sơ" in notice
    assert "Mở trang hồ sơ" not in notice  # the mate cannot reopen it
    kept = form_fields(page)
    assert kept[f"{key_of(world, '1.6')}_value"] == "false"
    assert kept[f"{key_of(world, '1.6')}_note"] == note
    assert (kept[f"{key_of(world, '1.2')}_in_planned"], kept[f"{key_of(world, '1.2')}_in_done"]) \
        == ("20", "16")
    assert world["store"].get_inspection(world["id"]).answers == {}


def test_the_lead_is_told_how_to_reopen_and_the_kept_section_saves_after(client, world):
    """The lead fills section I on one phone and finalizes on another, then presses Save on
    the first: the section comes back as typed with how to reopen it (the record's page in
    a new tab); once reopened, Save on the same page stores what was typed."""
    login(client, "lead")
    fields = section_form(client, world)
    fields[f"{key_of(world, '1.6')}_value"] = "true"
    fields[f"{key_of(world, '1.10')}_note"] = "Chưa phân công công chức chấm điểm"
    at = _finalized_by_the_lead(world)
    url = f"/inspections/{world['id']}/s/chi_dao"
    response = client.post(url, data=fields)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    notice = _not_saved_notice(page)
    assert f"Nguyễn Ánh Xuân chốt lúc {at}" in notice
    assert "hãy mở lại hồ sơ" in notice and "Mở lại" in notice and "Lưu phần này" in notice
    assert "Hãy đề nghị trưởng đoàn" not in notice
    assert re.search(r'id="not-saved">.*?<a href="[^"]*/inspections/%s"[^>]*target="_blank"'
                     % world["id"], page, re.S)
    kept = form_fields(page)
    store = world["store"]
    service.reopen(store, service.scope_for(store, store.get_user("lead")), world["id"],
                   "Bổ sung câu trả lời phần I")
    assert client.post(url, data=kept).status_code == 302
    answers = store.get_inspection(world["id"]).answers
    assert answers["1.6"].value is True
    assert answers["1.10"].note == "Chưa phân công công chức chấm điểm"


def test_mate_may_not_finalize_or_reopen(client, world):
    login(client, "mate")
    review = client.get(f"/inspections/{world['id']}/review").get_data(as_text=True)
    assert "Chỉ trưởng đoàn hoặc quản trị mới chốt được" in review
    response = client.post(f"/inspections/{world['id']}/finalize",
                           data={"csrf_token": csrf_of(review), "allow_unanswered": "y"})
    assert response.status_code == 403
    assert world["store"].get_inspection(world["id"]).status == "draft"


def test_joining_by_the_qr_code(client, world, app):
    login(client, "lead")
    view = client.get(f"/inspections/{world['id']}").get_data(as_text=True)
    qr_path = f"/inspections/{world['id']}/join-qr.svg"
    assert "<svg" not in view and f'data-src="{qr_path}"' in view  # drawn when opened
    qr = client.get(qr_path)
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
    with app.test_request_context():
        from inspect_app.web.fill import join_url
        url = join_url(world["store"].get_inspection(world["id"]))
    path = url.split("localhost", 1)[1]
    client.post("/logout", data={"csrf_token": csrf_of(view)})
    login(client, "outsider")
    assert client.get(f"/inspections/{world['id']}").status_code == 404
    assert client.get(f"/inspections/{world['id']}/join?t=forged").status_code == 404
    page = client.get(path)
    assert page.status_code == 200 and "Tham gia" in page.get_data(as_text=True)
    token = path.split("t=", 1)[1]
    response = client.post(f"/inspections/{world['id']}/join",
                           data={"t": token, "csrf_token": csrf_of(page.get_data(as_text=True))})
    assert response.status_code == 302
    record = world["store"].get_inspection(world["id"])
    assert [m.username for m in record.team] == ["lead", "mate", "outsider"]
    assert client.get(f"/inspections/{world['id']}/s/chi_dao").status_code == 200


def test_self_check_beside_inspection_flags_overrating(client, world, app):
    store = world["store"]
    ua = service.scope_for(store, store.get_user("ua"))
    own = service.start(store, app.extensions["checklists"], ua, commands.StartRequest(
        unit="NT", checklist="cchc-xa", period="2025", kind="self_check"))
    for cid, value in (("1.6", True), ("1.10", True)):
        service.save_answer(store, ua, own.id, commands.answer_op(cid, {"op_id": str(uuid.uuid4()), "base_rev": 0,
                                                     "value": value}))
    lead = service.scope_for(store, store.get_user("lead"))
    for cid, value in (("1.6", True), ("1.10", False)):
        service.save_answer(store, lead, world["id"], commands.answer_op(cid, {"op_id": str(uuid.uuid4()),
                                                            "base_rev": 0, "value": value}))
    login(client, "lead")
    page = client.get(f"/inspections/{world['id']}/compare")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "1 tiêu chí đơn vị tự chấm cao hơn" in html
    row = re.search(r'<tr class="overrated">(.*?)</tr>', html, re.S).group(1)
    assert "1.10" in row and "+0,5" in row


def test_start_forms(client, world):
    login(client, "lead")
    page = client.get("/inspections/new").get_data(as_text=True)
    assert "Xã Nông Thượng" in page and 'value="cchc-xa"' in page
    fields = form_fields(page, "start-form")
    fields.update(unit="NT", checklist="cchc-xa", period="2026", team="mate")
    response = client.post("/inspections/new", data=fields)
    assert response.status_code == 302
    new_id = response.location.rsplit("/", 1)[1]
    record = world["store"].get_inspection(new_id)
    assert (record.period, [m.username for m in record.team]) == ("2026", ["lead", "mate"])
    fields["period"] = "quý 1"
    response = client.post("/inspections/new", data=fields)
    assert response.status_code == 400 and "2025-Q1" in response.get_data(as_text=True)


def test_unit_officer_starts_a_self_check_of_their_own_unit_only(client, world):
    login(client, "ua")
    page = client.get("/inspections/new?kind=self_check").get_data(as_text=True)
    assert "tu-kiem-tra-mot-cua-tuan" in page and 'name="kind" value="self_check"' in page
    fields = form_fields(page, "start-form")
    fields.update(unit="NT", checklist="tu-kiem-tra-mot-cua-tuan")
    response = client.post("/inspections/new?kind=self_check", data=fields)
    assert response.status_code == 302
    fields["unit"] = "ELSEWHERE"
    assert client.post("/inspections/new?kind=self_check", data=fields).status_code == 400


def test_the_no_js_conflict_names_the_team_mate_in_full_with_the_time(client, world):
    store = world["store"]
    store.update_user("mate", lambda user: setattr(user, "full_name", "Trần Thị Mai"))
    login(client, "lead")
    fields = section_form(client, world)
    mate = service.scope_for(store, store.get_user("mate"))
    service.save_answer(store, mate, world["id"], commands.answer_op(
        "1.6", {"op_id": str(uuid.uuid4()), "base_rev": 0, "value": False}))
    fields[f"{key_of(world, '1.6')}_value"] = "true"
    response = client.post(f"/inspections/{world['id']}/s/chi_dao", data=fields)
    assert response.status_code == 409
    box = re.search(r'<div class="conflict" role="alert">(.*?)</div>',
                    response.get_data(as_text=True), re.S).group(1)
    assert "Trần Thị Mai" in box and "(mate)" not in box
    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", box)


def test_the_no_js_conflict_names_the_team_mate_by_their_name_on_the_team(client, world):
    """The mate joined as "Trần Thị Mai" (their name on the record's team, as /changes and
    the history say); their account was renamed since. The lead's no-JavaScript save
    meets the mate's newer answer: the conflict box must name the team member as the rest
    of the page does, not by the account's new name."""
    store = world["store"]
    store.update_inspection(world["id"], lambda record: setattr(
        record.member("mate"), "name", "Trần Thị Mai"))
    store.update_user("mate", lambda user: setattr(user, "full_name", "Lê Văn Phương"))
    login(client, "lead")
    fields = section_form(client, world)
    mate = service.scope_for(store, store.get_user("mate"))
    service.save_answer(store, mate, world["id"], commands.answer_op(
        "1.6", {"op_id": str(uuid.uuid4()), "base_rev": 0, "value": False}))
    fields[f"{key_of(world, '1.6')}_value"] = "true"
    response = client.post(f"/inspections/{world['id']}/s/chi_dao", data=fields)
    assert response.status_code == 409
    box = re.search(r'<div class="conflict" role="alert">(.*?)</div>',
                    response.get_data(as_text=True), re.S).group(1)
    assert "Trần Thị Mai" in box and "Lê Văn Phương" not in box


def test_a_page_sent_again_after_back_with_a_correction_keeps_every_change(client, world):
    """Without JavaScript: save section I with 1.6 = Yes, press Back (the page as it was,
    with its op_ids), correct 1.6 to No, add a note to 1.10, save again. The page's op_ids
    were spent by the first send: the whole save was refused ("this op_id was already
    used…") and neither change was kept. Now 1.10 is saved and 1.6 is shown as a
    difference with what this user saved, to choose on its card."""
    login(client, "lead")
    url = f"/inspections/{world['id']}/s/chi_dao"
    page = section_form(client, world)
    assert client.post(url, data={**page, f"{key_of(world, '1.6')}_value": "true"}).status_code == 302
    again = {**page, f"{key_of(world, '1.6')}_value": "false",
             f"{key_of(world, '1.10')}_note": "Chưa phân công công chức chấm điểm"}
    response = client.post(url, data=again)
    assert response.status_code == 409
    answers = world["store"].get_inspection(world["id"]).answers
    assert answers["1.10"].note == "Chưa phân công công chức chấm điểm"
    assert answers["1.6"].value is True and answers["1.6"].rev == 1  # not overwritten unseen
    box = re.search(r'<div class="conflict" role="alert">(.*?)</div>',
                    response.get_data(as_text=True), re.S).group(1)
    assert "Thành viên khác" not in box and "Bạn đã lưu" in box  # it was this user's own
    mine = form_fields(response.get_data(as_text=True))
    assert mine[f"{key_of(world, '1.6')}_value"] == "false"  # what was typed is still there
    assert client.post(url, data=mine).status_code == 302  # "keep mine"
    assert world["store"].get_inspection(world["id"]).answers["1.6"].value is False
    # and the first page sent a third time as it was: nothing applied twice
    assert client.post(url, data={**page, f"{key_of(world, '1.6')}_value": "true"}).status_code == 302
    assert world["store"].get_inspection(world["id"]).answers["1.6"].value is False


def test_finalize_freezes_only_the_summary_that_was_confirmed(client, world):
    """The lead reads the confirmation (score, the items it will create); meanwhile a team
    mate saves 1.6 = No. "Finalize now" froze the new state at once, with a lower score and
    one more item than the page said. Now the summary is shown again, with the change."""
    login(client, "lead")
    url = f"/inspections/{world['id']}"
    store = world["store"]
    lead = service.scope_for(store, store.get_user("lead"))
    service.save_answer(store, lead, world["id"], commands.answer_op(
        "1.6", {"op_id": str(uuid.uuid4()), "base_rev": 0, "value": True}))
    html = client.get(f"{url}/finalize?allow_unanswered=y").get_data(as_text=True)
    shown = int(re.search(r'data-role="items">(\d+)<', html).group(1))
    fields = form_fields(html, "finalize-form")
    mate = service.scope_for(store, store.get_user("mate"))
    service.save_answer(store, mate, world["id"], commands.answer_op(
        "1.6", {"op_id": str(uuid.uuid4()), "base_rev": 1, "value": False}))
    response = client.post(f"{url}/finalize", data=fields)
    assert response.status_code == 302 and "/finalize?allow_unanswered=y" in response.location
    assert store.get_inspection(world["id"]).status == "draft"
    again = client.get(response.location).get_data(as_text=True)
    assert "Kết quả chốt đã thay đổi" in again  # said why the summary is shown again
    assert int(re.search(r'data-role="items">(\d+)<', again).group(1)) == shown + 1
    response = client.post(f"{url}/finalize", data=form_fields(again, "finalize-form"))
    record = store.get_inspection(world["id"])
    assert record.status == "finalized" and len(record.items) == shown + 1
    # the confirmed form sent again (a double tap): the same finalize, nothing new
    assert client.post(f"{url}/finalize", data=form_fields(again, "finalize-form")).status_code == 302
    assert len(store.get_inspection(world["id"]).items) == shown + 1


def test_a_photo_larger_than_a_request_keeps_the_answers_sent_with_it(client, world, app):
    """A phone's 14 MB photo chosen on the no-JS page: the request is larger than
    MAX_CONTENT_LENGTH (12 MB), which threw the whole page away (413). The photo is
    refused on its card by the photo limit and the answers typed with it are saved."""
    login(client, "lead")
    fields = section_form(client, world)
    key = key_of(world, "1.6")
    fields[f"{key}_value"] = "true"
    fields[f"{key_of(world, '1.10')}_note"] = "Chưa phân công công chức chấm điểm"
    huge = b"\xff\xd8\xff\xe0" + b"\0" * (14 * 1024 * 1024)
    response = client.post(f"/inspections/{world['id']}/s/chi_dao",
                           data={**fields, "photo_for": "1.6",
                                 f"{key}_photo": (io.BytesIO(huge), "IMG_2041.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "8 MB" in page or "8,0 MB" in page or "8 MiB" in page, page[-3000:]
    answers = world["store"].get_inspection(world["id"]).answers
    assert answers["1.6"].value is True and not answers["1.6"].photos
    assert answers["1.10"].note == "Chưa phân công công chức chấm điểm"


def test_not_applicable_with_an_answer_ticked_before_is_saved_as_not_applicable(client, world):
    """Without JavaScript: 2.1 answered "Có" earlier, now "Không áp dụng" ticked on the same
    page: the value still sent with it made the save refused ("cannot be both not
    applicable and have a value"); N/A wins, as it does on the phone form."""
    login(client, "lead")
    fields = section_form(client, world, "the_che")
    key = key_of(world, "2.1")
    fields[f"{key}_value"] = "true"
    client.post(f"/inspections/{world['id']}/s/the_che", data=fields)
    assert world["store"].get_inspection(world["id"]).answers["2.1"].value is True
    fields = section_form(client, world, "the_che")
    fields[f"{key}_na"] = "y"
    response = client.post(f"/inspections/{world['id']}/s/the_che", data=fields)
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    answer = world["store"].get_inspection(world["id"]).answers["2.1"]
    assert answer.na and answer.value is None
