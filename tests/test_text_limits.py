"""Text limits (issue 9 point 7): every user text goes through the one cleaner at every
way in — refused with a 400 naming the field when it is far too long, holds a lone UTF-16
surrogate or a NUL; stored as NFC when typed decomposed. A text is measured as it is
stored: each line break sent as CR LF (what a browser sends) counts one character, in the
JSON API as in every form's length check."""
from __future__ import annotations

import json
import unicodedata
import uuid

import pytest

from inspect_app.domain.text import LONG_TEXT, TextProblem, clean_text
from inspect_app.services import ServiceError, accounts, commands, remediation
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service
from inspect_app.web.errors import status_of

from .support import World, csrf_of, form_fields, login, op

HUGE = "x" * 10_000_000  # 10 MB
NFD = unicodedata.normalize("NFD", "Xã Thiện Nghiệp")
NFC = unicodedata.normalize("NFC", NFD)
CASES = {"10 MB": HUGE, "surrogate": "Ghi chú \ud800", "NUL": "Ghi\x00 chú", "NFD": NFD}


@pytest.fixture
def world(app, client):
    world = World(app, client)
    world.rec = world.start("lead", "NT", team=["mate"])
    response = world.api["lead"].post(f"/inspections/{world.rec}/remediation",
                                      {"op_id": op(), "finding": "Chưa niêm yết"})
    world.item_id = response.json["id"]
    return world


def _raw(world, method, path, body, who="lead"):
    """A JSON request as a phone sends it: "\\ud800" stays an escape in the body."""
    return world.client.open(f"/api/v1{path}", method=method, data=json.dumps(body),
                             content_type="application/json", headers=world.api[who]._h())


def _service(call):
    try:
        call()
    except ServiceError as exc:
        return status_of(exc), exc.message
    return 200, ""


# Each way in: (text) → (status, message); and how to read back what was stored.
def answer_note(world, text):
    r = _raw(world, "PUT", f"/inspections/{world.rec}/answers/1.6",
             {"op_id": op(), "base_rev": 0, "value": False, "note": text})
    return r.status_code, r.json.get("error", "")


def answer_explanation(world, text):
    r = _raw(world, "PUT", f"/inspections/{world.rec}/answers/1.6",
             {"op_id": op(), "base_rev": 0, "value": True, "explanation": text})
    return r.status_code, r.json.get("error", "")


def item_finding(world, text):
    r = _raw(world, "POST", f"/inspections/{world.rec}/remediation",
             {"op_id": op(), "finding": text})
    world.created = r.json.get("id")
    return r.status_code, r.json.get("error", "")


def item_cause(world, text):
    item = world.item(world.item_id)
    r = _raw(world, "PATCH", f"/remediation/{world.item_id}",
             {"op_id": op(), "base_rev": item.rev, "cause": text})
    return r.status_code, r.json.get("error", "")


def progress_note(world, text):
    r = _raw(world, "PATCH", f"/remediation/{world.item_id}",
             {"op_id": op(), "progress_note": text})
    return r.status_code, r.json.get("error", "")


def no_action_reason(world, text):
    r = _raw(world, "POST", f"/inspections/{world.rec}/remediation",
             {"op_id": op(), "finding": "Tồn tại", "status": "no_action", "reason": text})
    world.created = r.json.get("id")
    return r.status_code, r.json.get("error", "")


def send_back_comment(world, text):
    store, item = world.store, world.item(world.item_id)
    store.update_inspection(world.rec, lambda i: setattr(i.item(world.item_id), "status",
                                                            "done"))
    return _service(lambda: remediation.review_item(
        store, world.scope("lead"), commands.item_review(world.item_id,
                                                         {"op_id": op(), "base_rev": item.rev + 0, "decision": "send_back", "comment": text})))


def reopen_reason(world, text):
    world.finalize("lead", world.rec)
    return _service(lambda: service.reopen(world.store, world.scope("lead"), world.rec, text))


def start_place(world, text):
    r = _raw(world, "POST", "/inspections", {"unit": "NT", "checklist": "cchc-xa",
                                             "period": "2025", "kind": "inspection",
                                             "place": text, "another": True})
    world.created = r.json.get("id")
    return r.status_code, r.json.get("error", "")


def unit_name(world, text):
    runner = world.app.test_cli_runner()
    result = runner.invoke(args=["units", "add", "MOI", text])
    return (200 if result.exit_code == 0 else 400), result.output


def user_full_name(world, text):
    return _service(lambda: accounts.create_user(world.store, "moi", "inspector",
                                                 password="mat-khau-dai", full_name=text))


STORED = {
    answer_note: lambda w: w.record_of(w.rec).answers["1.6"].note,
    answer_explanation: lambda w: w.record_of(w.rec).answers["1.6"].explanation,
    item_finding: lambda w: w.item(w.created).finding,
    item_cause: lambda w: w.item(w.item_id).cause,
    progress_note: lambda w: w.item(w.item_id).progress[-1].note,
    no_action_reason: lambda w: w.item(w.created).reason,
    send_back_comment: lambda w: w.item(w.item_id).history[-1].detail["comment"],
    reopen_reason: lambda w: w.record_of(w.rec).history[-1].detail["reason"],
    start_place: lambda w: w.record_of(w.created).place,
    unit_name: lambda w: w.store.get_unit("MOI").name,
    user_full_name: lambda w: w.store.get_user("moi").full_name,
}
# What the refusal calls the field: the API and pages speak Vietnamese by default; the
# command line and the services give the English text.
LABELS = {answer_note: "Ghi chú", answer_explanation: "Giải trình", item_finding: "Tồn tại",
          item_cause: "Nguyên nhân", progress_note: "Ghi chú tiến độ",
          no_action_reason: "Lý do", send_back_comment: "Comment", reopen_reason: "Reason",
          start_place: "Địa điểm", unit_name: "Name", user_full_name: "Full name"}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("way", list(STORED), ids=lambda f: f.__name__)
def test_every_text_field_is_cleaned_at_every_way_in(world, way, case):
    world.record_of = world.store.get_inspection
    status, message = way(world, CASES[case])
    if case == "NFD":
        assert status in (200, 201), message
        assert STORED[way](world) == NFC
        return
    assert status == 400, (status, message[:200])
    assert LABELS[way] in message, message[:300]
    if case == "10 MB":
        assert any(limit in message for limit in ("4.000", "4000", "200")), message[:300]


#: 30 lines, 4 000 characters with one "\n" per line break, 4 029 with the CR LF sent.
AT_THE_LIMIT = "\n".join([f"{n:02d} " + "x" * 130 for n in range(29)] + ["y" * 114])
LONG_WAYS = [answer_note, answer_explanation, item_finding, item_cause, progress_note,
             no_action_reason, send_back_comment, reopen_reason]


@pytest.mark.parametrize("way", LONG_WAYS, ids=lambda f: f.__name__)
def test_a_long_text_at_its_limit_sent_with_cr_lf_is_kept(world, way):
    assert len(AT_THE_LIMIT) == LONG_TEXT
    world.record_of = world.store.get_inspection
    status, message = way(world, AT_THE_LIMIT.replace("\n", "\r\n"))
    assert status in (200, 201), message[:300]
    assert STORED[way](world) == AT_THE_LIMIT


def test_action_lines_under_the_limit_are_not_refused_for_their_line_breaks(world, client):
    """What happened: the commune officer filled W16 of the weekly self-check on the section
    page (no JavaScript): 30 action lines, 3 989 characters in all (the box takes 4 000).
    The browser sent each line break as CR LF, the box's Length(max=4000) counted the raw
    form text (4 018 characters), and the page said "at most 4000 characters fit in this
    box": nothing of W16 was saved, though the answer's own cleaner measured 3 989."""
    record = world.start("ua", "NT", checklist="tu-kiem-tra-mot-cua-tuan", kind="self_check",
                         period="2025-W14")
    login(client, "ua")
    url = f"/inspections/{record}/s/khac_phuc"
    fields = form_fields(client.get(url).get_data(as_text=True))
    line = "Niêm yết bổ sung thủ tục hành chính mới tại bộ phận một cửa xã " * 3
    typed = "\n".join((f"{n:02d} " + line)[:132] for n in range(30))
    assert len(typed) == 3989
    criteria = service.checklist_of(world.store.get_inspection(record)).criteria
    key = f"c{[c.id for c in criteria].index('W16')}"
    fields[f"{key}_in_viec"] = typed.replace("\n", "\r\n")  # what a browser sends
    fields[f"{key}_in_nguoi_phu_trach"] = "Chị Lan"
    response = client.post(url, data=fields)
    assert response.status_code in (200, 302, 303), response.status_code
    stored = world.store.get_inspection(record).answers.get("W16")
    assert stored is not None and stored.inputs.get("viec") == typed


@pytest.mark.parametrize("method, path, body", [
    ("PUT", "/inspections/{record}/answers/1.6", {"base_rev": 0, "value": True, "note": "\udfff"}),
    ("PUT", "/inspections/{record}/answers/1.6", {"base_rev": 0, "value": True, "\ud800": 1}),
    ("PUT", "/inspections/{record}/answers/1.2", {"base_rev": 0, "inputs": {"\ud800": 1}}),
    ("POST", "/inspections", {"unit": "NT", "checklist": "cchc-xa", "period": "2025",
                              "kind": "inspection", "number": "12/\ud800"}),
    ("POST", "/inspections", {"unit": "\ud800", "checklist": "cchc-xa", "period": "2025"}),
    ("POST", "/inspections/{record}/remediation", {"finding": "Tồn tại", "owner": "\ud800"}),
    ("PATCH", "/remediation/{item}", {"progress_note": "\ud800"}),
])
def test_a_lone_surrogate_anywhere_in_a_json_body_is_a_400_not_a_500(world, method, path, body):
    if path != "/inspections":
        body = {"op_id": op(), **body}
    response = _raw(world, method, path.format(record=world.rec, item=world.item_id), body)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.is_json and response.json["error"]


def test_login_and_join_never_fail_on_hostile_text(world):
    for username, password in (("\ud800", "x" * 10), (HUGE, "mat-khau-dai"),
                               ("lead", "\ud800" * 10), ("lead", HUGE), ("le\x00ad", "x" * 10)):
        with pytest.raises(ServiceError) as refused:
            accounts.authenticate(world.store, username, password)
        assert status_of(refused.value) == 403
    assert accounts.authenticate(world.store, "lead", "mat-khau-dai").username == "lead"
    client = world.app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"username": "lead\x00", "password": "x\x00" * 5,
                                           "csrf_token": csrf_of(page)})
    assert response.status_code in (400, 401)
    response = client.get(f"/inspections/{world.rec}/join?t=%00{'x' * 5000}")
    assert response.status_code in (302, 404)


@pytest.mark.parametrize("value, multiline, result", [
    ("  Xã\r\nThiện\rNghiệp \t", True, "Xã\nThiện\nNghiệp"),
    ("a\tb", True, "a\tb"),
    ("x" * LONG_TEXT, True, "x" * LONG_TEXT),
    (None, True, ""),
    (NFD, False, NFC),
])
def test_the_cleaner_keeps_what_is_fine(value, multiline, result):
    assert clean_text(value, field="f", label="F", multiline=multiline) == result


@pytest.mark.parametrize("value, multiline, words", [
    ("x" * (LONG_TEXT + 1), True, "longer than 4000 characters (4001)"),
    ("a\x00b", True, "U+0000"),
    ("a\x1bb", True, "U+001B"),
    ("a\x7fb", True, "U+007F"),
    ("a\ud800", True, "surrogate"),
    ("a\nb", False, "one line"),
    (12, True, "must be text"),
    (["a"], True, "must be text"),
])
def test_the_cleaner_refuses_naming_the_field(value, multiline, words):
    with pytest.raises(TextProblem) as refused:
        clean_text(value, field="note", label="Note", multiline=multiline)
    assert words in refused.value.message and refused.value.message.startswith("Note")
    assert refused.value.field == "note"


def test_a_bad_text_in_an_answer_names_the_criterion_and_the_input(world):
    record = world.start("lead", "NT")
    response = _raw(world, "PUT", f"/inspections/{record}/answers/1.6",
                    {"op_id": str(uuid.uuid4()), "base_rev": 0, "value": True, "note": "a\x00"})
    assert response.status_code == 400
    assert response.json["error"].startswith("1.6 Ban hành kế hoạch tuyên truyền")
    assert "Ghi chú" in response.json["error"] and response.json["field"] == "note"


def test_units_import_cleans_every_row(world):
    result = unit_service.parse_units_csv(f"code,name,address\nA1,{NFD},Thôn 1\nA2,Xã\x00B,\n"
                                          f"A3,Xã C,{'x' * 300}\n", set())
    assert [u.name for u in result.units] == [NFC]
    assert len(result.errors) == 2
    assert result.errors[0].startswith("line 3: Name contains a control character")
    assert result.errors[1].startswith("line 4: Address is longer than 200")


def test_units_import_unaccented_parent_and_address_headers_are_not_silently_dropped():
    """A units file typed without a Vietnamese keyboard: ``ma,ten`` are read (the code and
    name headers accept the unaccented forms), but ``cap tren`` and ``dia chi`` columns are
    ignored without a word — every unit imported without its parent and address."""
    text = "ma,ten,cap tren,dia chi\nH1,Huyện Đông,,\nX1,Xã Bắc,H1,Số 1 đường Lê Lợi\n"
    result = unit_service.parse_units_csv(text, set())
    by_code = {u.code: u for u in result.units}
    assert not result.errors, result.errors
    assert by_code["X1"].parent == "H1", "the parent column was silently dropped"
    assert by_code["X1"].address == "Số 1 đường Lê Lợi", "the address column was silently dropped"


def test_a_units_header_naming_no_known_column_is_refused_naming_it():
    """A column the import does not know (a typo, "dia chi cu") was dropped without a word:
    the file is refused, naming the column, before anything is imported."""
    text = "ma,ten,cap tren,dia chi cu\nH1,Huyện Đông,,Số 2\n"
    result = unit_service.parse_units_csv(text, set())
    assert not result.units and result.errors
    assert "dia chi cu" in str(result.errors[0])
