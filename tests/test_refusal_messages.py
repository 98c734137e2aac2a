"""Refusals in the user's language (issue 9 point 4, the server half): every refusal of
the services reaches the API and the pages through the catalogue — Vietnamese by
default, English after the switch — and names a criterion by its number and text."""
from __future__ import annotations

import pytest

from inspect_app.domain.messages import Message
from inspect_app.services import inspections as service

from .support import World, csrf_of, login, op


@pytest.fixture
def world(app, client):
    return World(app, client)


def _switch_to_english(client):
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/language", data={"lang": "en", "next": "/login",
                                              "csrf_token": csrf_of(page)})
    assert response.status_code == 302


@pytest.mark.parametrize("english", [False, True], ids=["vi by default", "en on the switch"])
def test_an_api_refusal_speaks_the_users_language(world, english):
    record = world.start("lead", "NT")
    world.finalize("lead", record)
    client = world.client
    if english:
        _switch_to_english(client)
    response = client.put(f"/api/v1/inspections/{record}/answers/1.6", headers=world.api["lead"]._h(),
                          json={"op_id": op(), "base_rev": 0, "value": True})
    assert response.status_code == 409
    expected = ("this record is finalized; reopen it to change it" if english
                else "biên bản đã hoàn thành; hãy mở lại để sửa")
    assert response.json["error"] == expected


@pytest.mark.parametrize("english", [False, True], ids=["vi by default", "en on the switch"])
def test_a_bad_answer_names_the_criterion_by_number_and_text(world, english):
    record = world.start("lead", "NT")
    if english:
        _switch_to_english(world.client)
    response = world.client.put(f"/api/v1/inspections/{record}/answers/1.2",
                                headers=world.api["lead"]._h(),
                                json={"op_id": op(), "base_rev": 0,
                                      "inputs": {"planned": 5, "done": -1}})
    assert response.status_code == 400 and response.json["criterion"] == "1.2"
    assert response.json["error"].startswith(
        "1.2 Mức độ hoàn thành kế hoạch cải cách hành chính năm: ")


def test_missing_evidence_names_the_criteria_by_number_and_text(world):
    record = world.start("ua", "NT", checklist="tu-kiem-tra-mot-cua-tuan", kind="self_check",
                         period="2026-W14")
    checklist = service.checklist_of(world.record(record))
    needs = [c for c in checklist.criteria if c.evidence_required]
    assert needs
    response = world.api["ua"].post(f"/inspections/{record}/finalize",
                                    {"op_id": op(), "allow_unanswered": True})
    assert response.status_code == 422
    assert f"{needs[0].id} {needs[0].text[:40]}" in response.json["error"]
    assert response.json["error"].startswith("các tiêu chí sau cần tài liệu kiểm chứng")



def test_a_no_js_flash_of_a_service_refusal_is_in_vietnamese(world):
    record = world.start("lead", "NT")
    world.finalize("lead", record)
    client = login(world.app.test_client(), "lead")
    page = client.get(f"/inspections/{record}").get_data(as_text=True)
    response = client.post(f"/inspections/{record}/reopen", data={
        "reason": "Sửa\x00 điểm", "csrf_token": csrf_of(page)}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Lý do có ký tự điều khiển (U+0000) không lưu được" in html
    response = client.post(f"/inspections/{record}/reopen", data={
        "reason": "  ", "csrf_token": csrf_of(page)}, follow_redirects=True)
    assert "hãy nêu lý do mở lại" in response.get_data(as_text=True)
    assert world.record(record).status == "finalized"


def test_service_refusals_are_catalogue_messages():
    """Refusals carry their template, so the edge can translate them (and English stays
    the text of logs and the command line)."""
    from inspect_app.domain import item_changes
    from inspect_app.domain.errors import Refused
    from inspect_app.domain.models import RemediationItem

    item = RemediationItem(id="x-1", inspection="x", unit="NT", criterion=None, status="open")
    with pytest.raises(Refused) as refused:
        item_changes.apply_change(item, {"status": "verified"}, base_rev=1,
                                  powers=item_changes.Powers(update=True), by="u", at="t")
    message = refused.value.message
    assert isinstance(message, Message) and message.template == "you may not %(what)s"
    assert str(message) == "you may not mark an item “Verified”"


def test_the_no_js_finalize_names_the_criteria_that_need_evidence(world):
    record = world.start("ua", "NT", checklist="tu-kiem-tra-mot-cua-tuan", kind="self_check",
                         period="2026-W14")
    needs = [c for c in service.checklist_of(world.record(record)).criteria
             if c.evidence_required]
    client = login(world.app.test_client(), "ua")
    page = client.get(f"/inspections/{record}/review").get_data(as_text=True)
    response = client.post(f"/inspections/{record}/finalize", follow_redirects=True, data={
        "op_id": op(), "allow_unanswered": "y", "csrf_token": csrf_of(page)})
    html = response.get_data(as_text=True)
    assert "các tiêu chí sau cần tài liệu kiểm chứng" in html
    assert f"{needs[0].id} {needs[0].text[:30]}" in html


def test_per_field_messages_of_an_api_refusal_are_translated_too(world):
    response = world.api["lead"].post("/inspections", {"unit": "ZZ", "checklist": "cchc-xa",
                                                       "period": "2025", "kind": "inspection"})
    assert response.status_code == 400
    assert response.json["fields"] == {"unit": "không có đơn vị 'ZZ'"}
    assert response.json["error"] == "không có đơn vị 'ZZ'"


def test_an_unknown_field_is_refused_as_not_taken_never_as_missing(world):
    """What happened: "unknown field 'colour'" read in Vietnamese "không có trường" -- the
    words for a field that is missing, the opposite of what was wrong."""
    record = world.start("lead", "NT")
    api = world.api["lead"]._h()
    response = world.client.put(f"/api/v1/inspections/{record}/answers/1.6", headers=api,
                                json={"op_id": op(), "base_rev": 0, "value": True, "colour": "đỏ"})
    assert response.status_code == 400 and response.json["field"] == "colour"
    assert response.json["error"] == "không nhận trường lạ 'colour'"
    response = world.client.put(f"/api/v1/inspections/{record}/answers/1.2", headers=api,
                                json={"op_id": op(), "base_rev": 0,
                                      "inputs": {"planned": 5, "done": 5, "extra": 1}})
    assert response.status_code == 400
    assert response.json["error"].endswith("không nhận ô lạ 'extra' (các ô nhận: planned, done)")
