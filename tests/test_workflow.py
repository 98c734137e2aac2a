"""Workflow slips seen on the phone (issue 9, points 13 and 14): starting a second draft
next to an open one, a period that does not follow the checklist's cadence, review counts
that disagree, finalizing without a confirmation, evidence needs shown only on failure."""
from __future__ import annotations

import datetime as _dt
import json
import re
import uuid

import pytest

from inspect_app.domain.periods import default_period, fits_cadence, parse_period
from inspect_app.services import Invalid, accounts, clock, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .factories import make_checklist
from .support import form_fields, login

PASSWORD = "mat-khau-dai"
# Tuesday 1 December 2026, 09:00 in Vietnam: ISO week 2026-W49.
MOMENT = _dt.datetime(2026, 12, 1, 2, 0, tzinfo=_dt.UTC)
WEEKLY, YEARLY = "tu-kiem-tra-mot-cua-tuan", "cchc-xa"


def op() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def world(app, monkeypatch):
    monkeypatch.setattr(clock, "now_utc", lambda: MOMENT)
    store = app.extensions["store"]
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    for name, role, unit in (("lead", "inspector", None), ("other", "inspector", None),
                             ("ua", "unit", "NT"), ("ua2", "unit", "NT"),
                             ("admin", "admin", None)):
        accounts.create_user(store, name, role, unit=unit, password=PASSWORD,
                             full_name=name.title())
    return {"app": app, "store": store, "library": app.extensions["checklists"],
            "tokens": {}}


def scope(world, name):
    return service.scope_for(world["store"], world["store"].get_user(name))


def start(world, by, checklist=WEEKLY, period="2026-W49", kind="self_check", **extra):
    return service.start(world["store"], world["library"], scope(world, by), commands.StartRequest(
        unit="NT", checklist=checklist, period=period, kind=kind, **extra))


def api(client, world, by):
    token = world["tokens"].get(by) or accounts.issue_token(world["store"], by)
    world["tokens"][by] = token

    def post(path, body):
        return client.post(f"/api/v1{path}", json=body,
                           headers={"Authorization": f"Bearer {token}"})
    return post



# ---------------------------------------------------------------- 13. cadence

@pytest.mark.parametrize("cadence, period, fits", [
    ("weekly", "2026-W49", True), ("weekly", "2026", False), ("weekly", "2026-12", False),
    ("monthly", "2026-12", True), ("monthly", "2026-Q4", False),
    ("quarterly", "2026-Q4", True), ("quarterly", "2026-H2", False),
    ("half_yearly", "2026-H2", True), ("half_yearly", "2026", False),
    ("yearly", "2026", True), ("yearly", "2026-W49", False),
    (None, "2026-W49", True), (None, "2026", True), (None, "2026-Q4", True),
])
def test_a_period_fits_the_checklists_cadence(cadence, period, fits):
    checklist = make_checklist(**({"cadence": cadence} if cadence else {}))
    assert fits_cadence(parse_period(period), checklist.period_kind) is fits


@pytest.mark.parametrize("cadence, kind, expected", [
    ("weekly", "self_check", "2026-W49"), ("weekly", "inspection", "2026-W49"),
    ("monthly", "self_check", "2026-12"), ("quarterly", "inspection", "2026-Q4"),
    ("half_yearly", "inspection", "2026-H2"), ("yearly", "self_check", "2026"),
    (None, "self_check", "2026-W49"), (None, "inspection", "2026"),  # implied by the kind
])
def test_the_default_period_follows_the_cadence(cadence, kind, expected):
    checklist = make_checklist(**({"cadence": cadence} if cadence else {}))
    assert default_period(checklist.period_kind, kind, MOMENT.date()) == expected


def test_the_shipped_checklists_declare_their_cadence(world):
    assert world["library"].get(WEEKLY).cadence == "weekly"
    assert world["library"].get(YEARLY).cadence == "yearly"


@pytest.mark.parametrize("checklist, period, kind, example", [
    (YEARLY, "2026-W49", "self_check", "2026"),   # the slip seen on the phone
    (YEARLY, "2026-Q4", "inspection", "2026"),
    (WEEKLY, "2026", "self_check", "2026-W49"),
    (WEEKLY, "2026-12", "self_check", "2026-W49"),
])
def test_a_period_of_another_cadence_is_refused_everywhere(client, world, checklist, period,
                                                           kind, example):
    by = "ua" if kind == "self_check" else "lead"
    with pytest.raises(Invalid) as refused:
        start(world, by, checklist=checklist, period=period, kind=kind)
    assert set(refused.value.details["fields"]) == {"period"}
    response = api(client, world, by)("/inspections", {
        "unit": "NT", "checklist": checklist, "period": period, "kind": kind})
    assert response.status_code == 400
    assert f"ví dụ {example}" in response.json["fields"]["period"]  # fields translated too
    assert f"ví dụ {example}" in response.json["error"]  # in the user's language
    assert world["store"].list_inspections() == []


# ---------------------------------------------------------------- 13. one draft per period

def test_a_second_self_check_of_the_same_period_is_refused_with_the_draft(client, world):
    first = start(world, "ua")
    post = api(client, world, "ua2")  # a colleague of the same unit, on another phone
    body = {"unit": "NT", "checklist": WEEKLY, "period": "2026-W49", "kind": "self_check"}
    response = post("/inspections", body)
    assert response.status_code == 409
    assert (response.json["existing"], response.json["another_allowed"]) == (first.id, False)
    assert "Tiếp tục" in response.json["error"] or "tiếp tục" in response.json["error"]
    # asking for "another" changes nothing for a self-check
    assert post("/inspections", {**body, "another": True}).status_code == 409
    assert len(world["store"].list_inspections()) == 1
    # another week, or once the draft is finalized, starts as usual
    assert post("/inspections", {**body, "period": "2026-W48"}).status_code == 201
    world["store"].update_inspection(first.id, lambda r: setattr(r, "status", "finalized"))
    assert post("/inspections", body).status_code == 201


def test_a_second_inspection_needs_a_clear_choice(client, world):
    first = start(world, "lead", checklist=YEARLY, period="2026", kind="inspection")
    post = api(client, world, "lead")
    body = {"unit": "NT", "checklist": YEARLY, "period": "2026", "kind": "inspection"}
    response = post("/inspections", body)
    assert response.status_code == 409
    assert (response.json["existing"], response.json["another_allowed"]) == (first.id, True)
    assert post("/inspections", {**body, "another": "yes"}).status_code == 400
    assert post("/inspections", {**body, "another": True}).status_code == 201
    # another team's draft is not one this inspector could continue: no conflict
    assert api(client, world, "other")("/inspections", body).status_code == 201
    assert len(world["store"].list_inspections()) == 3


def test_the_start_form_prefills_the_period_of_the_chosen_checklist(client, world):
    login(client, "ua")
    page = client.get("/inspections/new?kind=self_check").get_data(as_text=True)
    fields = form_fields(page, "start-form")
    assert fields["period"] == "2026-W49"  # the weekly checklist comes first
    periods = json.loads(re.search(r"data-periods='([^']+)'", page).group(1))
    assert {k: v["default"] for k, v in periods.items()} == {WEEKLY: "2026-W49", YEARLY: "2026"}
    assert 'src="/static/start.js?v=' in page
    page = client.get(f"/inspections/new?kind=self_check&checklist={YEARLY}").get_data(as_text=True)
    assert form_fields(page, "start-form")["period"] == "2026"
    assert "Bộ tiêu chí chấm theo năm" in page


def test_without_javascript_the_server_sets_the_period_of_the_chosen_checklist(client, world):
    login(client, "ua")
    fields = form_fields(client.get("/inspections/new?kind=self_check").get_data(as_text=True),
                         "start-form")
    fields.update(unit="NT", checklist=YEARLY)  # the week stays in the box: the slip
    response = client.post("/inspections/new?kind=self_check", data=fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and world["store"].list_inspections() == []
    assert "chấm mỗi năm một lần" in html and "ví dụ 2026" in html
    again = {**form_fields(html, "start-form"), "unit": "NT", "checklist": YEARLY}
    assert again["period"] == "2026"
    assert re.search(rf'<option selected value="{YEARLY}">', html)
    response = client.post("/inspections/new?kind=self_check", data=again)
    assert response.status_code == 302
    [record] = world["store"].list_inspections()
    assert (record.checklist_id, record.period) == (YEARLY, "2026")
    # an empty period is the current one of the checklist
    again.update(checklist=WEEKLY, period="")
    response = client.post("/inspections/new?kind=self_check", data=again)
    assert response.status_code == 302
    assert {r.period for r in world["store"].list_inspections()} == {"2026", "2026-W49"}


def test_the_start_form_offers_the_open_self_check_instead_of_a_second(client, world):
    first = start(world, "ua")
    login(client, "ua2")
    fields = form_fields(client.get("/inspections/new?kind=self_check").get_data(as_text=True),
                         "start-form")
    fields.update(unit="NT", checklist=WEEKLY, period="2026-W49")
    for extra in ({}, {"another": "y"}):
        response = client.post("/inspections/new?kind=self_check", data={**fields, **extra})
        html = response.get_data(as_text=True)
        assert response.status_code == 409
        panel = re.search(r'<section class="panel existing-draft".*?</section>', html, re.S).group(0)
        assert f'href="/inspections/{first.id}"' in panel and "Tiếp tục phiếu đang làm" in panel
        assert 'name="another"' not in panel
    assert [r.id for r in world["store"].list_inspections()] == [first.id]


def test_the_start_form_lets_an_inspector_continue_or_start_another(client, world):
    first = start(world, "lead", checklist=YEARLY, period="2026", kind="inspection")
    login(client, "lead")
    fields = form_fields(client.get("/inspections/new").get_data(as_text=True), "start-form")
    fields.update(unit="NT", checklist=YEARLY, period="2026")
    response = client.post("/inspections/new", data=fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    panel = re.search(r'<section class="panel existing-draft".*?</section>', html, re.S).group(0)
    assert f'href="/inspections/{first.id}"' in panel
    assert 'name="another" value="y"' in panel and 'form="start-form"' in panel
    assert len(world["store"].list_inspections()) == 1
    response = client.post("/inspections/new", data={**form_fields(html, "start-form"),
                                                      "unit": "NT", "checklist": YEARLY,
                                                      "another": "y"})
    assert response.status_code == 302
    assert len(world["store"].list_inspections()) == 2


# ---------------------------------------------------------------- 14. review counts agree

def full_answer(criterion):
    """A valid answer to any criterion (every number input 1, the top option, full score)."""
    if criterion.type == "yesno":
        return {"value": True}
    if criterion.type == "choice":
        return {"value": criterion.options[0].value}
    if criterion.type == "multi":  # every option applies (issue 10's new type)
        return {"value": [o.value for o in criterion.options]}
    if criterion.type in ("score", "bonus", "penalty"):
        return {"value": float(criterion.points)}
    inputs = {i.id: 1 for i in criterion.inputs if i.kind == "number"}
    return {"inputs": inputs} if inputs else None


def answer_all(world, by, record, skip=(), **overrides):
    checklist = service.checklist_of(world["store"].get_inspection(record.id))
    for criterion in checklist.criteria:
        content = overrides.get(criterion.id.replace(".", "_")) or full_answer(criterion)
        if criterion.id in skip or content is None:
            continue
        service.save_answer(world["store"], scope(world, by), record.id, commands.answer_op(
            criterion.id, {"op_id": op(), "base_rev": 0, **content}))


@pytest.mark.parametrize("checklist, kind, period, skip, counts", [
    # the phone's "Đã đánh giá 58/59" beside "Chưa đánh giá (0)": the penalty left empty
    (YEARLY, "inspection", "2026", {"9.2"}, (57, 57, 0)),
    (YEARLY, "inspection", "2026", {"9.1", "9.2", "1.6"}, (56, 57, 1)),
    (YEARLY, "inspection", "2026", {"all"}, (0, 57, 57)),
    # info lines (W2, W4, W5b, W16) record facts and are never "unanswered"
    (WEEKLY, "self_check", "2026-W49", {"W2", "W4", "W5b", "W16"}, (13, 13, 0)),
    (WEEKLY, "self_check", "2026-W49", {"W2", "W1"}, (12, 13, 1)),
])
def test_the_review_counts_agree(client, world, checklist, kind, period, skip, counts):
    by = "lead" if kind == "inspection" else "ua"
    record = start(world, by, checklist=checklist, period=period, kind=kind)
    if "all" not in skip:
        answer_all(world, by, record, skip=skip)
    answered, total, unanswered = counts
    login(client, by)
    html = client.get(f"/inspections/{record.id}/review").get_data(as_text=True)
    assert f"Đã đánh giá {answered}/{total} tiêu chí" in html
    assert f"<h2>Chưa đánh giá ({unanswered})</h2>" in html
    # the overview, the section page's bar and the API totals count the same way
    assert f"Đã đánh giá {answered}/{total}" in client.get(f"/inspections/{record.id}").get_data(as_text=True)
    first = service.checklist_of(world["store"].get_inspection(record.id)).sections[0].id
    section = client.get(f"/inspections/{record.id}/s/{first}").get_data(as_text=True)
    assert f'<span data-role="answered">{answered}</span>/{total}' in section
    card = service.live_card(world["store"].get_inspection(record.id))
    tabs = re.findall(r'data-section-count="[^"]+">(\d+)/(\d+)<', section)
    assert sum(int(a) for a, _ in tabs) == answered and sum(int(t) for _, t in tabs) == total
    assert (len(card.unanswered), card.progress().total) == (unanswered, total)


def test_the_api_totals_count_what_needs_an_answer(client, world):
    record = start(world, "lead", checklist=YEARLY, period="2026", kind="inspection")
    answer_all(world, "lead", record, skip={"9.1", "9.2", "1.6"})
    token = accounts.issue_token(world["store"], "lead")
    response = client.put(f"/api/v1/inspections/{record.id}/answers/1.6",
                          json={"op_id": op(), "base_rev": 0, "value": False},
                          headers={"Authorization": f"Bearer {token}"})
    totals = response.json["totals"]
    assert (totals["answered"], totals["criteria"]) == (57, 57)
    section = service.checklist_of(world["store"].get_inspection(record.id)).section("chi_dao")
    assert totals["section_answered"] == totals["section_criteria"] == len(section.criteria)


# ---------------------------------------------------------------- 14. finalize asks first

def tag_text(html, role):
    return re.search(rf'data-role="{role}">(.*?)</', html, re.S).group(1).strip()


def test_finalizing_asks_for_confirmation_with_a_summary(client, world):
    from inspect_app.web.i18n import formatting

    record = start(world, "lead", checklist=YEARLY, period="2026", kind="inspection")
    answer_all(world, "lead", record, skip={"9.2", "3.13"}, **{"1_6": {"value": False},
                                                               "1_10": {"value": False}})
    login(client, "lead")
    review = client.get(f"/inspections/{record.id}/review").get_data(as_text=True)
    start_form = re.search(r'<form method="get" action="([^"]+)"[^>]*id="finalize-start"', review)
    assert start_form and start_form.group(1) == f"/inspections/{record.id}/finalize"
    assert 'method="post"' not in review.split('id="finalize-start"', 1)[1].split("</form>", 1)[0]
    assert 'src="/static/review.js?v=' in review
    # the step: nothing frozen yet
    response = client.get(f"/inspections/{record.id}/finalize?allow_unanswered=y")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    stored = world["store"].get_inspection(record.id)
    assert (stored.status, stored.items, stored.score) == ("draft", [], None)
    card = service.live_card(stored)
    assert tag_text(html, "score") == f"{formatting.number(card.total)} / {formatting.number(card.max)}"
    assert formatting.percent(card.percent) in tag_text(html, "percent")
    assert tag_text(html, "band") == card.band
    assert tag_text(html, "shortcomings") == str(len(card.shortcomings))
    assert tag_text(html, "unanswered") == "1"  # 3.13; the penalty is optional
    _, plan = service.finalize_preview(world["store"], scope(world, "lead"), record.id,
                                       allow_unanswered=True)
    listed = re.findall(r"<li><strong>([^<]*)</strong>", html.split("items-preview", 1)[1])
    assert listed == [item.criterion for item in plan.items]
    assert {"1.6", "1.10", "3.13"} <= set(listed) and tag_text(html, "items") == str(len(listed))
    # the real form, with its CSRF token, op id and the digest of the summary; a second tap
    # replays, never doubles
    fields = form_fields(html, "finalize-form")
    assert set(fields) == {"csrf_token", "op_id", "allow_unanswered", "summary"}
    assert fields["summary"] == plan.digest  # what the summary says, checked when finalizing
    assert client.post(f"/inspections/{record.id}/finalize", data=fields).status_code == 302
    assert client.post(f"/inspections/{record.id}/finalize", data=fields).status_code == 302
    finalized = world["store"].get_inspection(record.id)
    assert finalized.status == "finalized"
    assert [i.criterion for i in finalized.items] == listed
    # once finalized, the step leads back to the record
    response = client.get(f"/inspections/{record.id}/finalize")
    assert response.status_code == 302 and response.location.endswith(f"/inspections/{record.id}")


def test_the_confirmation_says_what_still_blocks_finalizing(client, world):
    record = start(world, "ua")
    answer_all(world, "ua", record)  # every answer, but no evidence for W1, W10…
    login(client, "ua")
    html = client.get(f"/inspections/{record.id}/finalize").get_data(as_text=True)
    assert 'id="finalize-form"' not in html
    assert "Một số tiêu chí cần tài liệu kiểm chứng" in html
    missing = service.finalize_preview(world["store"], scope(world, "ua"), record.id,
                                       allow_unanswered=False)[1].missing_evidence
    assert missing and all(cid in html for cid in missing)
    assert world["store"].get_inspection(record.id).status == "draft"


# ---------------------------------------------------------------- 14. evidence marked from the start

def test_criteria_that_need_evidence_are_marked_from_the_start(client, world):
    record = start(world, "ua")
    checklist = service.checklist_of(world["store"].get_inspection(record.id))
    needs = {c.id for c in checklist.criteria if c.evidence_required}
    assert needs  # W1, …
    login(client, "ua")
    for section in checklist.sections:
        html = client.get(f"/inspections/{record.id}/s/{section.id}").get_data(as_text=True)
        cards = dict(re.findall(r'<article class="crit[^"]*" id="k-[^"]+" data-criterion="([^"]+)"'
                                r'(.*?)</article>', html, re.S))
        assert set(cards) == {c.id for c in section.criteria}
        for cid, body in cards.items():
            assert ("Cần minh chứng" in body) is (cid in needs), cid
    # the review marks them in its lists too, and says which already have evidence
    service.save_answer(world["store"], scope(world, "ua"), record.id, commands.answer_op("W1", {"op_id": op(), "base_rev": 0, "value": False,
                         "note": "Bảng niêm yết còn thủ tục hết hiệu lực"}))
    review = client.get(f"/inspections/{record.id}/review").get_data(as_text=True)
    unanswered = review.split("<h2>Chưa đánh giá", 1)[1].split("</ul>", 1)[0]
    for cid in needs - {"W1"}:
        row = re.search(rf"<strong>{re.escape(cid)}</strong>.*?</li>", unanswered, re.S).group(0)
        assert "Cần minh chứng" in row
    shortcomings = review.split("<h2>Tồn tại, hạn chế", 1)[1]
    row = re.search(r"<strong>W1</strong>.*?</li>", shortcomings, re.S).group(0)
    assert "Cần minh chứng ✓" in row  # W1 has its note: shown as given


def test_an_inspection_marks_nothing(client, world):
    record = start(world, "lead", checklist=YEARLY, period="2026", kind="inspection")
    login(client, "lead")
    html = client.get(f"/inspections/{record.id}/s/chi_dao").get_data(as_text=True)
    assert "Cần minh chứng" not in html
