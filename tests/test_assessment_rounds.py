"""Assessment rounds from the web app (issue 13 §2–3): an administrator opens a round for
a checklist, a period and units (all by default) with two deadlines through the same
all-or-nothing service as ``flask assessments open``; the round's progress page counts
the units submitted, appraised, explaining and final, with a line per unit."""
from __future__ import annotations

import re

import pytest

from inspect_app.services import accounts, assessments, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service
from inspect_app.storage.base import InspectionQuery

from .support import PASSWORD, csrf_of, login, op
from .test_shipped_checklists import full_answers

CHECKLIST = "cchc-xa"
UNITS = {"A": "Xã Thiện Nghiệp", "B": "Xã Kim Long", "C": "Xã Đồng Văn", "D": "Xã Bằng Thành"}


@pytest.fixture
def people(app):
    store = app.extensions["store"]
    for code, name in UNITS.items():
        unit_service.add_unit(store, code, name)
    for name, role, unit in (("admin", "admin", None), ("lead", "inspector", None),
                             ("viewer", "viewer", None), ("ua", "unit", "A"),
                             ("ub", "unit", "B"), ("uc", "unit", "C"), ("ud", "unit", "D")):
        accounts.create_user(store, name, role, unit=unit, password=PASSWORD)
    return store


def assessments_in(store):
    return store.query_inspections(InspectionQuery(kind="assessment")).rows


def form_page(client):
    response = client.get("/assessments/rounds/new")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post_round(client, html, **changes):
    data = {"csrf_token": csrf_of(html), "checklist": CHECKLIST, "period": "2025",
            "units": list(UNITS), "self_due": "2099-03-31", "explain_due": "31/05/2099"}
    data.update(changes)
    return client.post("/assessments/rounds/new", data=data)


def test_the_form_offers_every_commune_ticked(people, client):
    login(client, "admin")
    html = form_page(client)
    for code in UNITS:
        assert re.search(rf'<input checked[^>]*value="{code}"|value="{code}"[^>]*checked', html)
    assert 'name="self_due"' in html and 'type="date"' in html
    assert 'value="2025"' in html or 'value="2026"' in html  # the current year proposed


def test_opening_a_round_from_the_app_is_the_service_the_command_calls(app, people, client):
    login(client, "admin")
    response = post_round(client, form_page(client), units=["A", "B", "C"])
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(f"/assessments/rounds/{CHECKLIST}/2025")
    rows = assessments_in(people)
    assert sorted(r.unit for r in rows) == ["A", "B", "C"]
    for row in rows:
        record = people.get_inspection(row.id)
        assert record.stage == "self" and record.period == "2025"
        assert record.deadlines == {"self": "2099-03-31", "explain": "2099-05-31"}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã mở đợt: 3 phiếu đánh giá." in page
    assert "Hạn tự chấm 31/03/2099" in page
    # the unit sees the deadline and what is missing from the start
    own = next(r for r in rows if r.unit == "A")
    unit_page = login(app.test_client(), "ua").get(f"/inspections/{own.id}")
    assert "Hạn tự chấm 31/03/2099" in unit_page.get_data(as_text=True)


@pytest.mark.parametrize("changes, status, words", [
    ({"self_due": "2000-01-31", "explain_due": "2000-02-28"}, 400,
     ["hạn tự chấm 31/01/2000 đã qua"]),
    ({"self_due": "31/02/2099"}, 400, ["Ghi ngày theo dạng 31/01/"]),
    ({"explain_due": "2099-01-01"}, 400, ["hạn giải trình 01/01/2099"]),
    ({"units": []}, 400, ["Chọn ít nhất một đơn vị."]),
    ({"units": ["A", "ZZ"]}, 400, ["ZZ"]),
    ({"period": "2025-W03"}, 400, []),
])
def test_a_bad_round_is_refused_whole_in_vietnamese(people, client, changes, status, words):
    login(client, "admin")
    response = post_round(client, form_page(client), **changes)
    html = response.get_data(as_text=True)
    assert response.status_code == status, html
    assert 'role="alert"' in html
    for word in words:
        assert word in html
    assert assessments_in(people) == []


def test_a_unit_already_assessed_refuses_the_whole_round(people, client):
    login(client, "admin")
    assert post_round(client, form_page(client), units=["A"]).status_code == 302
    response = post_round(client, form_page(client))
    assert response.status_code == 409
    assert "các đơn vị này đã có bản đánh giá kỳ 2025: A" in response.get_data(as_text=True)
    assert [r.unit for r in assessments_in(people)] == ["A"]


def test_opening_needs_the_csrf_token_and_an_admin(people, client, app):
    login(client, "admin")
    form_page(client)
    response = client.post("/assessments/rounds/new", data={
        "checklist": CHECKLIST, "period": "2025", "units": ["A"], "self_due": "2099-03-31",
        "explain_due": "2099-05-31"})
    assert response.status_code == 400 and assessments_in(people) == []
    lead = login(app.test_client(), "lead")
    assert lead.get("/assessments/rounds/new").status_code == 403


# ---------------------------------------------------------------- the round's progress

@pytest.fixture
def round_(app, people):
    """A round over A, B, C, D: A final, B waiting for its explanation of 1.6, C in
    round 1, D still self-scoring (one criterion unanswered)."""
    library = app.extensions["checklists"]
    admin = service.scope_for(people, people.get_user("admin"))
    import datetime as _dt
    opened = assessments.open_round(people, library, admin, checklist=CHECKLIST, period="2025",
                                    units=None, self_due=_dt.date(2099, 3, 31),
                                    explain_due=_dt.date(2099, 5, 31))
    ids = opened.records
    for code in ("A", "B", "C", "D"):
        unit = service.scope_for(people, people.get_user("u" + code.lower()))
        answers = full_answers()
        for n, (cid, content) in enumerate(answers.items()):
            if code == "D" and n == 0:
                continue
            note = f"Minh chứng {cid}"
            service.save_answer(people, unit, ids[code], commands.answer_op(cid, {
                "op_id": op(), "base_rev": 0, "note": note, **content}))
        if code != "D":
            assessments.advance(people, unit, ids[code], commands.advance_op({"op_id": op()}))
    assessments.save_appraisal(people, admin, ids["B"], commands.appraisal_op(
        "1.6", {"op_id": op(), "base_rev": 1, "value": False, "explain": True}))
    for code in ("A", "B"):
        assessments.advance(people, admin, ids[code], commands.advance_op({"op_id": op()}))
    return ids


def unit_line(html, code):
    match = re.search(rf'<li data-unit="{code}">(.*?)</li>', html, re.S)
    assert match, code
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def test_the_progress_of_a_round_across_units(people, client, round_):
    login(client, "admin")
    response = client.get(f"/assessments/rounds/{CHECKLIST}/2025")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    counts = dict(re.findall(r'data-count="(\w+)"><strong>(\d+)</strong>', html))
    assert counts == {"submitted": "3", "appraised": "2", "explaining": "1", "final": "1"}
    a, b, c, d = (unit_line(html, code) for code in "ABCD")
    assert "Chính thức" in a and "100,00" in a
    assert "Giải trình" in b and "Hạn 31/05/2099" in b and "1 nội dung chưa giải trình" in b
    assert "Thẩm định vòng 1" in c or "thẩm định" in c.lower()
    assert "Chờ thẩm định" in c
    assert "Hạn 31/03/2099" in d and "1 tiêu chí chưa chấm" in d and "thiếu" not in d
    for iid in round_.values():
        assert f'href="/inspections/{iid}"' in html
    # the order of the lines: unit names, diacritics folded
    assert [m for m in re.findall(r'data-unit="(\w)"', html)] == ["D", "C", "B", "A"]
    # the list of rounds shows the same figures
    rounds = client.get("/assessments/rounds").get_data(as_text=True)
    assert "4 đơn vị · 3 đã nộp · 2 đã thẩm định · 1 đang giải trình · 1 có kết quả" in rounds


def test_a_deadline_passed_shows_the_self_score_locked(people, client, round_, monkeypatch):
    import datetime as _dt

    from inspect_app.services import clock
    monkeypatch.setattr(clock, "now_utc", lambda: _dt.datetime(2099, 4, 2, 3, 0, tzinfo=_dt.UTC))
    login(client, "viewer")
    html = client.get(f"/assessments/rounds/{CHECKLIST}/2025").get_data(as_text=True)
    assert "Đã quá hạn 31/03/2099" in unit_line(html, "D")
    assert "điểm tự chấm đã chốt" in unit_line(html, "D")


def test_units_never_see_a_round_and_unknown_rounds_are_404(app, people, client, round_):
    login(client, "ua")
    assert client.get(f"/assessments/rounds/{CHECKLIST}/2025").status_code == 403
    assert client.get("/assessments/rounds").status_code == 403
    lead = login(app.test_client(), "lead")  # on none of the teams
    assert lead.get(f"/assessments/rounds/{CHECKLIST}/2025").status_code == 404
    admin = login(app.test_client(), "admin")
    assert admin.get(f"/assessments/rounds/{CHECKLIST}/2031").status_code == 404


def test_round_deadlines_typed_with_spaces_around_them_are_taken(people, client):
    """What happened: "31/03/2099 " pasted from a letter (or " 2099-05-31") was refused
    "no longer than 10 characters" on both deadline boxes, the length checked on the text
    before its spaces were trimmed; no round was opened."""
    login(client, "admin")
    response = post_round(client, form_page(client), units=["A"], self_due="31/03/2099 ",
                          explain_due=" 2099-05-31")
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    record = people.get_inspection(assessments_in(people)[0].id)
    assert record.deadlines == {"self": "2099-03-31", "explain": "2099-05-31"}
