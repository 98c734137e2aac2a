"""The JSON API of DESIGN §5 and the write protocol of §7: every status code, replays,
conflicts and the finalized lock."""
from __future__ import annotations

import json
import uuid

import pytest

from inspect_app.services import accounts
from inspect_app.services import units as unit_service

#: Every test here runs on the memory store and on PostgreSQL (when the tests have one).
pytestmark = pytest.mark.every_store

CHECKLIST = "cchc-xa"


def op() -> str:
    return str(uuid.uuid4())


class Api:
    """A tiny client for one user's Bearer token."""

    def __init__(self, client, token: str | None):
        self.client, self.token = client, token

    def _headers(self):
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path):
        return self.client.get(f"/api/v1{path}", headers=self._headers())

    def post(self, path, body):
        return self.client.post(f"/api/v1{path}", json=body, headers=self._headers())

    def put(self, path, body):
        return self.client.put(f"/api/v1{path}", json=body, headers=self._headers())

    def answer(self, iid, cid, base_rev=0, op_id=None, **content):
        return self.put(f"/inspections/{iid}/answers/{cid}",
                        {"op_id": op_id or op(), "base_rev": base_rev, **content})


@pytest.fixture
def world(app, client):
    store = app.extensions["store"]
    unit_service.add_unit(store, "A", "Xã Thiện Nghiệp")
    unit_service.add_unit(store, "B", "Xã Kim Long")
    people = {"admin": ("admin", None), "lead": ("inspector", None), "mate": ("inspector", None),
              "other": ("inspector", None), "viewer": ("viewer", None), "ua": ("unit", "A"),
              "ub": ("unit", "B")}
    apis = {}
    for name, (role, unit) in people.items():
        accounts.create_user(store, name, role, unit=unit, password="mat-khau-dai")
        apis[name] = Api(client, accounts.issue_token(store, name))
    apis["anon"] = Api(client, None)
    return apis


@pytest.fixture
def inspection(world):
    response = world["lead"].post("/inspections", {"unit": "A", "checklist": CHECKLIST,
                                                   "period": "2025", "kind": "inspection",
                                                   "team": ["mate"]})
    assert response.status_code == 201, response.json
    return response.json


# ---------------------------------------------------------------- create and read

def test_create_returns_the_inspection(inspection):
    assert inspection["unit"] == "A" and inspection["status"] == "draft"
    assert inspection["checklist"]["id"] == CHECKLIST and len(inspection["checklist"]["hash"]) == 64
    assert inspection["answers"] == {}
    assert inspection["score"]["max"] == 100 and inspection["score"]["percent"] == 0
    assert [m["username"] for m in inspection["team"]] == ["lead", "mate"]


@pytest.mark.parametrize("body, field", [
    ({"unit": "Z", "checklist": CHECKLIST, "period": "2025", "kind": "inspection"}, "unit"),
    ({"unit": "A", "checklist": "nope", "period": "2025", "kind": "inspection"}, "checklist"),
    ({"unit": "A", "checklist": CHECKLIST, "period": "2025-Q5", "kind": "inspection"}, "period"),
    ({"unit": "A", "checklist": CHECKLIST, "period": "2025", "kind": "audit"}, "kind"),
    ({"unit": "A", "checklist": "tu-kiem-tra-mot-cua-tuan", "period": "2025", "kind": "inspection"},
     "checklist"),
])
def test_create_bad_input_is_400_naming_the_field(world, body, field):
    response = world["lead"].post("/inspections", body)
    assert response.status_code == 400
    assert field in response.json["fields"]


def test_create_unknown_field_and_non_json(world, client):
    response = world["lead"].post("/inspections", {"unit": "A", "colour": "red"})
    assert response.status_code == 400 and response.json["field"] == "colour"
    response = client.post("/api/v1/inspections", data="{bad",
                           headers={"Authorization": f"Bearer {world['lead'].token}",
                                    "Content-Type": "application/json"})
    assert response.status_code == 400  # in Vietnamese, the default language
    assert response.json == {"error": "nội dung gửi lên không phải JSON hợp lệ"}


@pytest.mark.parametrize("who, kind, unit, status", [
    ("anon", "inspection", "A", 401),
    ("viewer", "inspection", "A", 403),
    ("ua", "inspection", "A", 403),
    ("ua", "self_check", "A", 201),
    ("ub", "self_check", "A", 404),   # another unit: not even its existence
    ("lead", "self_check", "A", 403),
    ("admin", "inspection", "B", 201),
])
def test_who_may_start_what(world, who, kind, unit, status):
    checklist, period = (CHECKLIST, "2025") if kind == "inspection" else (
        "tu-kiem-tra-mot-cua-tuan", "2025-W14")
    response = world[who].post("/inspections", {"unit": unit, "checklist": checklist,
                                                "period": period, "kind": kind})
    assert response.status_code == status, response.json


def test_bad_token_is_401(world, client):
    response = client.get("/api/v1/inspections/x", headers={"Authorization": "Bearer insp_wrong"})
    assert response.status_code == 401 and "token" in response.json["error"]
    response = client.get("/api/v1/inspections/x", headers={"Authorization": "Basic abc"})
    assert response.status_code == 401


@pytest.mark.parametrize("who, status", [("lead", 200), ("mate", 200), ("admin", 200),
                                         ("viewer", 200), ("other", 404), ("ub", 404),
                                         ("ua", 404), ("anon", 401)])
def test_get_by_role(world, inspection, who, status):
    # ua: a commune sees its inspections only once finalized
    assert world[who].get(f"/inspections/{inspection['id']}").status_code == status


def test_unknown_inspection_is_404(world):
    assert world["admin"].get("/inspections/doesnotexist").status_code == 404
    assert world["admin"].get("/inspections/..%2F..%2Fetc").status_code == 404


# ---------------------------------------------------------------- answers

def test_put_answer_returns_rev_answer_and_line(world, inspection):
    iid = inspection["id"]
    response = world["lead"].answer(iid, "3.5", inputs={"truoc_han": 6062, "dung_han": 48801,
                                                        "tre_han_xa": 0, "tre_han_cap_khac": 0,
                                                        "dang_trong_han": 0, "qua_han_xa": 0,
                                                        "qua_han_cap_khac": 0},
                                    note="Gò Quao 9 tháng 2020")
    assert response.status_code == 200
    body = response.json
    assert body["criterion"] == "3.5" and body["rev"] == 1
    assert body["answer"]["note"] == "Gò Quao 9 tháng 2020" and body["answer"]["rev"] == 1
    assert body["line"] == {"id": "3.5", "section": "tthc", "type": "ratio", "status": "pass",
                            "points": 5, "max": 5, "value": 100}
    stored = world["lead"].get(f"/inspections/{iid}").json
    assert stored["answers"]["3.5"]["rev"] == 1
    assert stored["score"]["total"] == 5


@pytest.mark.parametrize("body, field", [
    ({"base_rev": 0, "value": True}, "op_id"),
    ({"op_id": "short", "base_rev": 0, "value": True}, "op_id"),
    ({"op_id": "x" * 20, "value": True}, "base_rev"),
    ({"op_id": "x" * 20, "base_rev": -1, "value": True}, "base_rev"),
    ({"op_id": "x" * 20, "base_rev": "0", "value": True}, "base_rev"),
    ({"op_id": "x" * 20, "base_rev": 0, "value": True, "colour": 1}, "colour"),
])
def test_put_bad_envelope_is_400(world, inspection, body, field):
    response = world["lead"].put(f"/inspections/{inspection['id']}/answers/1.6", body)
    assert response.status_code == 400 and response.json["field"] == field


@pytest.mark.parametrize("cid, content, message", [
    ("1.6", {"value": "có"}, "1.6 Ban hành kế hoạch tuyên truyền cải cách hành chính: giá trị "
                             "phải là true hoặc false, nhận được 'có'"),
    ("5.4", {"value": 1.3}, "giá trị 1,3 không phải là bội số của bước chấm 0,25"),
    ("9.9", {"value": True}, "9.9: không có tiêu chí này"),
    ("1.6", {"na": True}, "tiêu chí này không được chọn “không áp dụng”"),
    ("1.2", {"inputs": {"planned": -1, "done": 0}},
     "1.2 Mức độ hoàn thành kế hoạch cải cách hành chính năm: ô “Số nhiệm vụ trong kế hoạch "
     "CCHC” không được là số âm, nhận được -1"),
])
def test_put_bad_answer_is_400_naming_the_criterion(world, inspection, cid, content, message):
    response = world["lead"].answer(inspection["id"], cid, **content)
    assert response.status_code == 400
    assert message in response.json["error"]
    assert response.json["criterion"] == cid


@pytest.mark.parametrize("who, status", [("mate", 200), ("admin", 200), ("viewer", 403),
                                         ("other", 404), ("ub", 404), ("anon", 401)])
def test_who_may_answer(world, inspection, who, status):
    assert world[who].answer(inspection["id"], "1.6", value=True).status_code == status


def test_replayed_op_returns_the_stored_result_without_a_second_write(world, inspection):
    iid, op_id = inspection["id"], op()
    first = world["lead"].answer(iid, "1.6", op_id=op_id, value=True)
    again = world["lead"].answer(iid, "1.6", op_id=op_id, value=True)
    assert first.status_code == again.status_code == 200
    assert again.json["rev"] == first.json["rev"] == 1
    assert again.json["answer"] == first.json["answer"]
    record = world["lead"].get(f"/inspections/{iid}").json
    assert record["answers"]["1.6"]["rev"] == 1 and record["rev"] == 2  # created + one write


def test_same_op_id_with_other_content_is_409(world, inspection):
    iid, op_id = inspection["id"], op()
    world["lead"].answer(iid, "1.6", op_id=op_id, value=True)
    response = world["lead"].answer(iid, "1.6", op_id=op_id, base_rev=1, value=False)
    assert response.status_code == 409 and "op_id" in response.json["error"]


def test_stale_base_rev_with_other_content_is_409_with_the_current_answer(world, inspection):
    iid = inspection["id"]
    world["lead"].answer(iid, "5.4", value=2, note="sạch sẽ")
    response = world["mate"].answer(iid, "5.4", base_rev=0, value=1)
    assert response.status_code == 409
    current = response.json["current"]
    assert current["value"] == 2 and current["rev"] == 1 and current["by"] == "lead"
    # the team mate decides to keep theirs: resend against the current revision
    assert world["mate"].answer(iid, "5.4", base_rev=1, value=1).status_code == 200


def test_stale_base_rev_with_the_same_content_is_accepted(world, inspection):
    iid = inspection["id"]
    world["lead"].answer(iid, "1.6", value=True)
    response = world["mate"].answer(iid, "1.6", base_rev=0, value=True)
    assert response.status_code == 200 and response.json["rev"] == 1


def test_different_criteria_never_conflict(world, inspection):
    iid = inspection["id"]
    assert world["lead"].answer(iid, "1.6", value=True).status_code == 200
    assert world["mate"].answer(iid, "1.10", value=False).status_code == 200
    answers = world["lead"].get(f"/inspections/{iid}").json["answers"]
    assert answers["1.6"]["value"] is True and answers["1.10"]["value"] is False


def test_a_note_only_put_leaves_the_criterion_unanswered(world, inspection):
    iid = inspection["id"]
    world["lead"].answer(iid, "1.6", value=True)
    response = world["lead"].answer(iid, "1.6", base_rev=1, note="chưa xem được kế hoạch")
    assert response.status_code == 200 and response.json["line"]["status"] == "unanswered"


def test_oversized_body_is_413(world, inspection, app):
    app.config["MAX_CONTENT_LENGTH"] = 2000
    response = world["lead"].answer(inspection["id"], "1.6", value=True, note="x" * 5000)
    assert response.status_code == 413 and "error" in response.json


# ---------------------------------------------------------------- finalize

def fill_all(api, iid, checklist):
    for criterion in checklist.criteria:
        if criterion.type == "yesno":
            api.answer(iid, criterion.id, value=True)


def test_finalize_refuses_unanswered_with_the_list(world, inspection):
    iid = inspection["id"]
    world["lead"].answer(iid, "1.6", value=True)
    response = world["lead"].post(f"/inspections/{iid}/finalize", {"op_id": op()})
    assert response.status_code == 422
    assert "1.1" in response.json["unanswered"] and "1.6" not in response.json["unanswered"]
    assert "thuong" not in json.dumps(response.json["unanswered"])  # bonus/penalty are optional


def test_finalize_freezes_locks_and_creates_items(world, inspection):
    iid = inspection["id"]
    world["lead"].answer(iid, "1.6", value=False, note="Chưa ban hành kế hoạch tuyên truyền")
    world["lead"].answer(iid, "1.10", value=True)
    op_id = op()
    response = world["lead"].post(f"/inspections/{iid}/finalize",
                                  {"op_id": op_id, "allow_unanswered": True})
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "finalized" and body["score"]["total"] == 0.5
    items = {i["criterion"]: i for i in body["remediation"]}
    assert items["1.6"]["finding"] == "Chưa ban hành kế hoạch tuyên truyền"
    assert items["1.6"]["status"] == "open" and items["1.6"]["due"]
    assert "1.10" not in items and "1.1" in items  # unanswered ones become items too
    # replay of the same finalize → same result; any other write → 409
    again = world["lead"].post(f"/inspections/{iid}/finalize",
                               {"op_id": op_id, "allow_unanswered": True})
    assert again.status_code == 200 and again.json["score"] == body["score"]
    assert world["lead"].post(f"/inspections/{iid}/finalize",
                              {"op_id": op(), "allow_unanswered": True}).status_code == 409
    assert world["lead"].answer(iid, "1.6", base_rev=1, value=True).status_code == 409
    assert world["lead"].get(f"/inspections/{iid}/remediation").json == body["remediation"]
    # the commune now sees its finalized inspection
    assert world["ua"].get(f"/inspections/{iid}").status_code == 200


def test_finalize_with_base_rev_refuses_a_record_changed_since(world, inspection):
    """``base_rev`` (optional): the record revision whose summary the client showed."""
    iid = inspection["id"]
    world["lead"].answer(iid, "1.6", value=True)
    seen = world["lead"].get(f"/inspections/{iid}").json["rev"]
    world["mate"].answer(iid, "1.6", base_rev=1, value=False)  # a team mate, meanwhile
    response = world["lead"].post(f"/inspections/{iid}/finalize", {
        "op_id": op(), "allow_unanswered": True, "base_rev": seen})
    assert response.status_code == 409 and response.json["current"]["rev"] == seen + 1
    assert world["lead"].get(f"/inspections/{iid}").json["status"] == "draft"
    op_id = op()
    body = {"op_id": op_id, "allow_unanswered": True, "base_rev": seen + 1}
    assert world["lead"].post(f"/inspections/{iid}/finalize", body).status_code == 200
    assert world["lead"].post(f"/inspections/{iid}/finalize", body).status_code == 200  # replay
    bad = world["lead"].post(f"/inspections/{iid}/finalize", {"op_id": op(), "base_rev": "3"})
    assert bad.status_code == 400 and bad.json["field"] == "base_rev"


def test_only_the_lead_or_an_admin_finalizes(world, inspection):
    iid = inspection["id"]
    body = {"op_id": op(), "allow_unanswered": True}
    assert world["mate"].post(f"/inspections/{iid}/finalize", body).status_code == 403
    assert world["viewer"].post(f"/inspections/{iid}/finalize", body).status_code == 403
    assert world["ub"].post(f"/inspections/{iid}/finalize", body).status_code == 404


def test_finalize_bad_body(world, inspection):
    iid = inspection["id"]
    response = world["lead"].post(f"/inspections/{iid}/finalize",
                                  {"op_id": op(), "allow_unanswered": "yes"})
    assert response.status_code == 400 and response.json["field"] == "allow_unanswered"


def test_self_check_needs_evidence_before_finalizing(world):
    created = world["ua"].post("/inspections", {"unit": "A", "checklist": "tu-kiem-tra-mot-cua-tuan",
                                                "period": "2025-W14", "kind": "self_check"}).json
    iid = created["id"]
    world["ua"].answer(iid, "W1", value=True)
    response = world["ua"].post(f"/inspections/{iid}/finalize",
                                {"op_id": op(), "allow_unanswered": True})
    assert response.status_code == 422 and "W1" in response.json["missing_evidence"]
    world["ua"].answer(iid, "W1", base_rev=1, value=True,
                       explanation="Sổ niêm yết đang được cập nhật, chưa chụp được")
    response = world["ua"].post(f"/inspections/{iid}/finalize",
                                {"op_id": op(), "allow_unanswered": True})
    assert "W1" not in response.json.get("missing_evidence", [])


@pytest.mark.parametrize("field, sent", [("place", ["Hội trường UBND xã"]),
                                         ("number", {"so": "12/BB-SNV"}),
                                         ("place", True)])
def test_a_number_or_place_that_is_not_text_is_refused_not_stored_as_python_repr(
        world, field, sent):
    """docs/api.md, Text limits: an inspection's number and place go through the one text
    cleaner and are refused with 400 naming the field when they are not text. Today the
    list is turned into the string "['Hội trường UBND xã']" and printed on the minutes."""
    response = world["lead"].post("/inspections", {
        "unit": "A", "checklist": CHECKLIST, "period": "2025", "kind": "inspection",
        field: sent})
    assert response.status_code == 400, (response.status_code, response.json)
    assert field in response.json.get("fields", {}) or response.json.get("field") == field


def test_a_period_sent_as_a_json_number_is_named_as_sent(world):
    """A period sent as 2025 (a JSON number) is refused — but the message must speak of
    what was sent; today it says "'' không phải là một kỳ" (the empty text), which tells
    the caller nothing about the value it sent."""
    response = world["lead"].post("/inspections", {
        "unit": "A", "checklist": CHECKLIST, "period": 2025, "kind": "inspection"})
    assert response.status_code == 400
    message = response.json["fields"]["period"]
    assert "''" not in message, message
    assert "2025" in message.split(":")[0], message


def _vietnamese(text: str) -> bool:
    return any(ord(ch) > 127 for ch in text)


def test_api_refusals_of_unknown_address_and_method_are_in_vietnamese(app, client, api):
    """docs/api.md "Errors": the ``error`` text is in the caller's language, Vietnamese by
    default. A wrong address or method, or a body over the limit (413), under /api/v1/
    answers Werkzeug's English
    description ("The requested URL was not found on the server…")."""
    from .support import World

    World(app, client)
    lead = api("lead")
    errors = {}
    for name, response in (
            ("404", lead.client.get("/api/v1/inspection/abc", headers=lead._h())),
            ("405", lead.client.delete("/api/v1/inspections", headers=lead._h())),
            ("413", lead.client.post("/api/v1/inspections", headers=lead._h(),
                                     data=b"{" + b" " * (app.config["MAX_CONTENT_LENGTH"] + 10),
                                     content_type="application/json"))):
        assert response.status_code == int(name)
        errors[name] = response.get_json()["error"]
    english = {k: v for k, v in errors.items() if not _vietnamese(v)}
    assert not english, english


def test_api_refusal_of_a_session_write_without_csrf_is_in_vietnamese(app, client):
    """The browser session's API write without its X-CSRFToken header is refused with an
    English-only text (web/common.py), whatever the user's language."""
    from .support import World, login

    world = World(app, client)
    record = world.start("lead", "NT")
    login(client, "lead")
    response = client.put(f"/api/v1/inspections/{record}/answers/1.6",
                          json={"op_id": "op-000000001", "base_rev": 0, "value": True})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert _vietnamese(error), error


def test_a_photo_removal_retried_with_its_op_id_answers_as_it_did(world, inspection):
    """A phone's photo removal whose reply was lost is sent again: without an op_id the
    retry said "no such photo on this criterion" (400) though the removal was done; with
    the op_id (DESIGN §7: every write is an op) it answers as the removal did."""
    import io

    from .support import jpeg

    lead, record = world["lead"], inspection["id"]
    added = lead.client.post(f"/api/v1/inspections/{record}/answers/1.6/photos",
                             headers=lead._headers(), content_type="multipart/form-data",
                             data={"op_id": op(), "photo": (io.BytesIO(jpeg()), "a.jpg")})
    assert added.status_code == 201, added.json
    photo = added.json["photo"]["id"]
    removal = op()
    url = f"/api/v1/inspections/{record}/answers/1.6/photos/{photo}?op_id={removal}"
    first = lead.client.delete(url, headers=lead._headers())
    again = lead.client.delete(url, headers=lead._headers())
    assert first.status_code == again.status_code == 200, (first.json, again.json)
    assert first.json["answer"]["photos"] == again.json["answer"]["photos"] == []
    assert first.json["answer"]["rev"] == again.json["answer"]["rev"]
    # without an op_id nothing can tell a retry from a mistake: still refused
    plain = lead.client.delete(url.split("?")[0], headers=lead._headers())
    assert plain.status_code == 400
