"""PAR-index assessments through the API (DESIGN §10, §11): the whole loop with the cards
computed independently, every refusal of issue 13, and who sees what."""
from __future__ import annotations

import copy
import json
import uuid
from decimal import ROUND_HALF_UP, Decimal

import pytest

from inspect_app.domain.scoring import score
from inspect_app.services import accounts
from inspect_app.services import units as unit_service

from .test_shipped_checklists import full_answers

CHECKLIST = "cchc-xa"


def op() -> str:
    return str(uuid.uuid4())


class Api:
    def __init__(self, client, token):
        self.client, self.token = client, token

    def _headers(self):
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path, **query):
        return self.client.get(f"/api/v1{path}", headers=self._headers(), query_string=query)

    def post(self, path, body):
        return self.client.post(f"/api/v1{path}", json=body, headers=self._headers())

    def put(self, path, body):
        return self.client.put(f"/api/v1{path}", json=body, headers=self._headers())

    def advance(self, iid, op_id=None):
        return self.post(f"/inspections/{iid}/advance", {"op_id": op_id or op()})

    def appraise(self, iid, cid, base_rev, op_id=None, **content):
        return self.put(f"/inspections/{iid}/appraisal/{cid}",
                        {"op_id": op_id or op(), "base_rev": base_rev, **content})

    def explain(self, iid, cid, text, base_rev=0, op_id=None):
        return self.put(f"/inspections/{iid}/explanations/{cid}",
                        {"op_id": op_id or op(), "base_rev": base_rev, "text": text})


@pytest.fixture
def world(app, client):
    store = app.extensions["store"]
    for code, name in (("A", "Xã Thiện Nghiệp"), ("B", "Xã Kim Long"), ("C", "Xã Đồng Văn")):
        unit_service.add_unit(store, code, name)
    people = {"admin": ("admin", None), "lead": ("inspector", None),
              "other": ("inspector", None), "viewer": ("viewer", None),
              "ua": ("unit", "A"), "ub": ("unit", "B")}
    apis = {}
    for name, (role, unit) in people.items():
        accounts.create_user(store, name, role, unit=unit, password="mat-khau-dai")
        apis[name] = Api(client, accounts.issue_token(store, name))
    return apis


@pytest.fixture
def cchc(app):
    return app.extensions["checklists"].get(CHECKLIST)


def create(world, unit="A", by="lead"):
    response = world[by].post("/inspections", {"unit": unit, "checklist": CHECKLIST,
                                               "period": "2025", "kind": "assessment"})
    assert response.status_code == 201, response.json
    assert response.json["stage"] == "self" and response.json["kind"] == "assessment"
    return response.json["id"]


def self_score(world, iid, user, answers):
    """The unit self-scores every criterion, each with evidence (a note)."""
    for cid, content in answers.items():
        body = {"op_id": op(), "base_rev": 0, **content}
        body.setdefault("note", f"Tài liệu kiểm chứng của tiêu chí {cid}")
        response = world[user].put(f"/inspections/{iid}/answers/{cid}", body)
        assert response.status_code == 200, (cid, response.json)


def card_of(cchc, answers):
    """The score card the test expects, from the answers it gave (the scoring engine on
    the plain §4 answers, not on the record)."""
    return score(cchc, {cid: {k: v for k, v in a.items() if k in ("value", "inputs", "na")}
                        for cid, a in answers.items()}).as_dict()


def points(cchc, cid):
    return Decimal(str(cchc.criterion(cid).points))


def test_the_whole_loop_through_the_api(world, cchc):
    iid = create(world)
    self_answers = full_answers()
    assert len(self_answers) == 57
    self_score(world, iid, "ua", self_answers)
    # the unit submits its self-score
    response = world["ua"].advance(iid)
    assert response.status_code == 200, response.json
    assert response.json["stage"] == "appraisal1"
    # ... and never sees a round in progress
    assert response.json["rounds"] == {} and response.json["scores"]["appraisal1"] is None
    seen = world["ua"].get(f"/inspections/{iid}").json
    assert seen["rounds"] == {} and seen["scores"]["appraisal1"] is None
    province = world["lead"].get(f"/inspections/{iid}").json
    round1 = province["rounds"]["appraisal1"]["answers"]
    # round 1 starts as a copy of the self-scores, each criterion at revision 1
    assert {cid: a["rev"] for cid, a in round1.items()} == {cid: 1 for cid in self_answers}
    assert round1["3.1"]["inputs"] == self_answers["3.1"]["inputs"]
    assert province["scores"]["appraisal1"] == province["scores"]["self"]

    # round 1 changes three criteria and asks to explain two of them
    r1 = copy.deepcopy(self_answers)
    changes = {"1.6": {"value": False, "note": "Không có văn bản", "explain": True},
               "3.2": {"value": False, "note": "Chưa niêm yết", "explain": True},
               "5.4": {"value": 1.5, "note": "Trừ 0,5 điểm"}}
    for cid, content in changes.items():
        response = world["lead"].appraise(iid, cid, 1, **content)
        assert response.status_code == 200, response.json
        assert response.json["round"] == "appraisal1" and response.json["rev"] == 2
        r1[cid] = {k: v for k, v in content.items() if k != "explain"}
    # the unit still sees nothing of the round
    assert world["ua"].get(f"/inspections/{iid}").json["rounds"] == {}
    response = world["lead"].advance(iid)
    assert response.status_code == 200, response.json
    assert response.json["stage"] == "explanation"

    # from the explanation stage the unit sees round 1 and the requests
    seen = world["ua"].get(f"/inspections/{iid}").json
    assert seen["requests"] == ["1.6", "3.2"]
    assert seen["rounds"]["appraisal1"]["answers"]["1.6"]["note"] == "Không có văn bản"
    assert seen["scores"]["appraisal1"] == card_of(cchc, r1)
    # the unit explains one; the other stays unexplained (its deadline passes)
    response = world["ua"].explain(iid, "1.6", "Đã ban hành KH số 06/KH-UBND, gửi kèm")
    assert response.status_code == 200, response.json
    assert response.json["rev"] == 1
    response = world["ua"].advance(iid)  # the unit may end its explanation stage
    assert response.status_code == 200, response.json
    assert response.json["stage"] == "appraisal2"
    assert response.json["rounds"].keys() == {"appraisal1"}  # round 2 in progress: hidden
    assert response.json["scores"]["appraisal2"] is None

    # round 2 starts as a copy of round 1 and changes one criterion
    province = world["lead"].get(f"/inspections/{iid}").json
    assert province["rounds"]["appraisal2"]["answers"]["1.6"]["value"] is False
    r2 = copy.deepcopy(r1)
    response = world["lead"].appraise(iid, "1.6", 1, value=True, note="Đã giải trình hợp lệ")
    assert response.status_code == 200, response.json
    assert response.json["round"] == "appraisal2"
    r2["1.6"] = {"value": True}
    response = world["admin"].advance(iid)
    assert response.status_code == 200, response.json
    final = response.json
    assert final["stage"] == "final" and final["status"] == "finalized"

    # the four cards, computed independently
    expected = {"self": card_of(cchc, self_answers), "appraisal1": card_of(cchc, r1),
                "appraisal2": card_of(cchc, r2), "final": card_of(cchc, r2)}
    assert final["scores"] == expected
    assert final["score"] == expected["final"]
    # and by hand: everything but 3.2 (0) and 5.4 (1,5 of 2) at its maximum, out of 100
    total = Decimal(100) - points(cchc, "3.2") - Decimal("0.5")
    assert Decimal(str(final["scores"]["final"]["total"])) == total
    assert Decimal(str(final["scores"]["final"]["percent"])) == total.quantize(
        Decimal("0.01"), ROUND_HALF_UP)
    assert expected["self"]["percent"] == 100
    assert final["explanations"]["1.6"]["text"].startswith("Đã ban hành")
    # remediation items from the final card, as finalizing makes them
    items = {i["criterion"]: i for i in final["remediation"]}
    assert set(items) == {"3.2", "5.4"}
    assert items["3.2"]["finding"] == "Chưa niêm yết"
    # the unit now sees every round; the frozen cards do not change
    seen = world["ua"].get(f"/inspections/{iid}").json
    assert seen["scores"] == expected and seen["rounds"].keys() == {"appraisal1", "appraisal2"}

    # a second unit, self-scored lower and appraised without explanations
    other = create(world, unit="B")
    lower = full_answers()
    lower["1.6"] = {"value": False}
    self_score(world, other, "ub", lower)
    assert world["ub"].advance(other).json["stage"] == "appraisal1"
    response = world["lead"].advance(other)  # no request to explain: straight to final
    assert response.status_code == 200 and response.json["stage"] == "final"
    assert "explanation" not in [e for e in response.json.get("history", [])]
    b_final = response.json["scores"]["final"]
    assert response.json["scores"]["appraisal2"] is None
    assert b_final == card_of(cchc, lower)

    ranking = world["admin"].get("/rankings", checklist=CHECKLIST, period="2025",
                                 kind="assessment")
    assert ranking.status_code == 200, ranking.json
    body = ranking.json
    assert body["kind"] == "assessment" and body["not_inspected"] == ["C"]
    rows = [(r["unit"], r["rank"], r["percent"], r["band"], r["inspection"])
            for r in body["rows"]]
    first, second = sorted([("A", expected["final"]["percent"], iid),
                            ("B", b_final["percent"], other)], key=lambda r: -r[1])
    assert rows[0][0] == first[0] and rows[0][1] == 1 and rows[0][2] == first[1]
    assert rows[1][0] == second[0] and rows[1][1] == 2 and rows[1][4] == second[2]
    # a unit's ranking is its own row only; inspections are another kind
    own = world["ua"].get("/rankings", checklist=CHECKLIST, period="2025", kind="assessment")
    assert [r["unit"] for r in own.json["rows"]] == ["A"] and own.json["not_inspected"] == []
    inspections = world["admin"].get("/rankings", checklist=CHECKLIST, period="2025")
    assert inspections.json["rows"] == [] and inspections.json["not_inspected"] == ["C", "B", "A"]  # by name


# ---------------------------------------------------------------- refusals

@pytest.fixture
def submitted(world):
    """An assessment of A self-scored in full and submitted (stage appraisal1)."""
    iid = create(world)
    self_score(world, iid, "ua", full_answers())
    assert world["ua"].advance(iid).status_code == 200
    return iid


def stored(app, iid):
    return json.dumps(app.extensions["store"].get_inspection(iid).to_dict(), sort_keys=True)


def test_advancing_the_self_score_with_missing_items_is_422_listing_them(world, app):
    iid = create(world)
    answers = full_answers()
    del answers["2.1"], answers["7.3"]
    self_score(world, iid, "ua", answers)
    before = stored(app, iid)
    response = world["ua"].advance(iid)
    assert response.status_code == 422
    assert response.json["unanswered"] == ["2.1", "7.3"]
    assert "2.1" in response.json["error"]
    assert stored(app, iid) == before


def test_appraisal_in_the_wrong_stage_is_409(world, app):
    iid = create(world)
    before = stored(app, iid)
    response = world["lead"].appraise(iid, "1.6", 0, value=False)
    assert response.status_code == 409 and response.json["stage"] == "self"
    assert stored(app, iid) == before


def test_appraisal_by_the_unit_is_403_and_by_another_unit_404(world, app, submitted):
    before = stored(app, submitted)
    assert world["ua"].appraise(submitted, "1.6", 1, value=False).status_code == 403
    assert world["ub"].appraise(submitted, "1.6", 1, value=False).status_code == 404
    # an inspector who is not on its team only looks
    assert world["other"].appraise(submitted, "1.6", 1, value=False).status_code in (403, 404)
    assert world["viewer"].appraise(submitted, "1.6", 1, value=False).status_code == 403
    assert stored(app, submitted) == before


def test_the_province_does_not_write_the_self_score(world, app):
    iid = create(world)
    before = stored(app, iid)
    response = world["lead"].put(f"/inspections/{iid}/answers/1.6",
                                 {"op_id": op(), "base_rev": 0, "value": True})
    assert response.status_code == 403
    assert stored(app, iid) == before


def test_the_self_score_is_closed_once_submitted(world, app, submitted):
    before = stored(app, submitted)
    response = world["ua"].put(f"/inspections/{submitted}/answers/1.6",
                               {"op_id": op(), "base_rev": 1, "value": False})
    assert response.status_code == 409
    assert stored(app, submitted) == before


def test_explanation_without_a_request_is_409(world, app, submitted):
    assert world["lead"].appraise(submitted, "1.6", 1, value=False, explain=True).status_code == 200
    assert world["lead"].advance(submitted).json["stage"] == "explanation"
    before = stored(app, submitted)
    response = world["ua"].explain(submitted, "3.2", "Không được yêu cầu")
    assert response.status_code == 409 and response.json["criterion"] == "3.2"
    # in the wrong stage, too
    assert stored(app, submitted) == before
    assert world["lead"].appraise(submitted, "1.6", 2, value=True).status_code == 409
    # by the province, or another unit
    assert world["lead"].explain(submitted, "1.6", "x").status_code == 403
    assert world["ub"].explain(submitted, "1.6", "x").status_code == 404
    assert stored(app, submitted) == before


def test_explanation_before_its_stage_is_409(world, app, submitted):
    assert world["lead"].appraise(submitted, "1.6", 1, value=False, explain=True).status_code == 200
    before = stored(app, submitted)
    assert world["ua"].explain(submitted, "1.6", "Sớm quá").status_code == 409
    assert stored(app, submitted) == before


def test_explain_only_in_round_1(world, submitted):
    assert world["lead"].appraise(submitted, "1.6", 1, value=False, explain=True).status_code == 200
    world["lead"].advance(submitted)
    world["ua"].advance(submitted)
    response = world["lead"].appraise(submitted, "3.2", 1, value=False, explain=True)
    assert response.status_code == 409


def test_advancing_by_the_wrong_side_is_refused(world, app, submitted):
    before = stored(app, submitted)
    assert world["ua"].advance(submitted).status_code == 403  # appraisal1 is the province's
    assert world["ub"].advance(submitted).status_code == 404
    assert world["viewer"].advance(submitted).status_code == 403
    assert stored(app, submitted) == before


def test_an_assessment_is_never_finalized_nor_reopened_directly(world, app, submitted):
    before = stored(app, submitted)
    response = world["admin"].post(f"/inspections/{submitted}/finalize",
                                   {"op_id": op(), "allow_unanswered": True})
    assert response.status_code == 409
    assert stored(app, submitted) == before
    assert world["lead"].advance(submitted).json["stage"] == "final"
    assert world["lead"].advance(submitted).status_code == 409  # nothing after final


def test_writes_follow_the_write_protocol(world, app, submitted):
    same = op()
    first = world["lead"].appraise(submitted, "5.4", 1, op_id=same, value=1.5)
    again = world["lead"].appraise(submitted, "5.4", 1, op_id=same, value=1.5)
    assert first.status_code == again.status_code == 200
    assert first.json["rev"] == again.json["rev"] == 2
    # the same op_id with other content
    assert world["lead"].appraise(submitted, "5.4", 1, op_id=same, value=1).status_code == 409
    # a stale base_rev with other content: 409 with the current answer
    stale = world["lead"].appraise(submitted, "5.4", 1, value=1)
    assert stale.status_code == 409 and stale.json["current"]["rev"] == 2
    # a bad answer names the criterion
    bad = world["lead"].appraise(submitted, "5.4", 2, value=7)
    assert bad.status_code == 400 and "5.4" in bad.json["error"]
    # an advance retried after a dropped response is answered again, never applied twice
    advance_op = op()
    moved = world["lead"].advance(submitted, op_id=advance_op)
    retried = world["lead"].advance(submitted, op_id=advance_op)
    assert moved.json["stage"] == retried.json["stage"] == "final"
    assert len(moved.json["remediation"]) == len(retried.json["remediation"]) == 1


# ---------------------------------------------------------------- access

def test_another_unit_never_sees_an_assessment(world, submitted):
    assert world["ub"].get(f"/inspections/{submitted}").status_code == 404
    listing = world["ub"].get("/rankings", checklist=CHECKLIST, period="2025", kind="assessment")
    assert listing.json["rows"] == []


def test_rankings_name_the_bad_field(world):
    response = world["admin"].get("/rankings", checklist=CHECKLIST, period="2025", kind="x")
    assert response.status_code == 400 and response.json["field"] == "kind"
    assert world["admin"].get("/rankings", period="2025").json["field"] == "checklist"


def test_only_the_province_creates_assessments(world):
    response = world["ua"].post("/inspections", {"unit": "A", "checklist": CHECKLIST,
                                                 "period": "2025", "kind": "assessment"})
    assert response.status_code == 403


# ---------------------------------------------------------------- rounds and deadlines

def test_a_round_opens_one_assessment_per_unit_with_deadlines(app, runner, world, monkeypatch):
    from inspect_app.services import clock

    result = runner.invoke(args=["assessments", "open", CHECKLIST, "2025", "--unit", "A",
                                 "--unit", "B", "--self-due", "2099-03-31",
                                 "--explain-due", "31/05/2099", "--lead", "lead"])
    assert result.exit_code == 0, result.output
    ids = dict(line.split("\t") for line in result.output.splitlines() if "\t" in line)
    assert set(ids) == {"A", "B"}
    store = app.extensions["store"]
    record = store.get_inspection(ids["A"])
    assert record.kind == "assessment" and record.stage == "self"
    assert record.deadlines == {"self": "2099-03-31", "explain": "2099-05-31"}
    assert record.team[0].username == "lead"
    # the unit sees its deadline from the start
    from .support import login

    page = login(app.test_client(), "ua", "mat-khau-dai").get(f"/inspections/{ids['A']}")
    assert "Hạn tự chấm 31/03/2099" in page.get_data(as_text=True)
    # a second round for the same units is refused whole
    again = runner.invoke(args=["assessments", "open", CHECKLIST, "2025", "--self-due",
                                "2099-03-31", "--explain-due", "2099-05-31"])
    assert again.exit_code == 2 and "A, B" in again.output
    from inspect_app.storage.base import InspectionQuery

    assert store.query_inspections(InspectionQuery(kind="assessment")).total == 2
    # past the self-assessment deadline the self-score is locked...
    import datetime as _dt
    monkeypatch.setattr(clock, "now_utc", lambda: _dt.datetime(2099, 4, 1, 3, 0, tzinfo=_dt.UTC))
    late = world["ua"].put(f"/inspections/{ids['A']}/answers/1.6",
                           {"op_id": op(), "base_rev": 0, "value": True})
    assert late.status_code == 409 and late.json["deadline"] == "2099-03-31"
    assert "31/03/2099" in late.json["error"]
    # ... unless the province extends it for that unit
    extended = runner.invoke(args=["assessments", "extend", ids["A"], "--self-due", "2099-04-15"])
    assert extended.exit_code == 0, extended.output
    assert world["ua"].put(f"/inspections/{ids['A']}/answers/1.6",
                           {"op_id": op(), "base_rev": 0, "value": True}).status_code == 200
    assert world["ub"].put(f"/inspections/{ids['B']}/answers/1.6",
                           {"op_id": op(), "base_rev": 0, "value": True}).status_code == 409


def test_a_round_with_a_deadline_in_the_past_is_refused(app, runner, world):
    result = runner.invoke(args=["assessments", "open", CHECKLIST, "2025", "--self-due",
                                 "2000-01-31", "--explain-due", "2000-02-28"])
    assert result.exit_code == 2
    assert "31/01/2000" in result.output and "đã qua" in result.output
    unknown = runner.invoke(args=["assessments", "open", CHECKLIST, "2025", "--unit", "ZZ",
                                  "--self-due", "2099-01-31", "--explain-due", "2099-02-28"])
    assert unknown.exit_code == 2 and "ZZ" in unknown.output
    from inspect_app.storage.base import InspectionQuery

    assert app.extensions["store"].query_inspections(InspectionQuery(kind="assessment")).total == 0


def test_explanations_close_at_their_deadline(app, world, submitted, monkeypatch):
    import datetime as _dt

    from inspect_app.services import clock

    assert world["lead"].appraise(submitted, "1.6", 1, value=False, explain=True).status_code == 200
    world["lead"].advance(submitted)
    store = app.extensions["store"]

    def due(inspection):
        inspection.deadlines = {"self": "2099-01-31", "explain": "2099-02-28"}
    store.update_inspection(submitted, due)
    monkeypatch.setattr(clock, "now_utc", lambda: _dt.datetime(2099, 3, 1, 3, 0, tzinfo=_dt.UTC))
    response = world["ua"].explain(submitted, "1.6", "Muộn")
    assert response.status_code == 409 and response.json["deadline"] == "2099-02-28"
    assert "1.6" not in store.get_inspection(submitted).explanations


def test_the_units_submit_retried_after_a_dropped_response_gets_its_first_answer(world):
    """DESIGN §7 / api.md: a retry of any op_id (an advance too) returns the first status
    and the same shape of response, never a refusal. The unit submits its self-score
    (self → appraisal1); the response is lost; the phone sends the same request again."""
    iid = create(world)
    self_score(world, iid, "ua", full_answers())
    submit = op()
    first = world["ua"].advance(iid, op_id=submit)
    assert first.status_code == 200 and first.json["stage"] == "appraisal1"
    retried = world["ua"].advance(iid, op_id=submit)
    assert retried.status_code == 200, retried.json
    assert retried.json["stage"] == "appraisal1"


def test_a_round_copied_from_the_last_keeps_who_gave_each_score_and_when(world, app, submitted):
    """Round 2 starts as a copy of round 1 (§10). What happened: every copied score was
    credited to whoever ended the explanation stage, at that moment -- the unit's officer
    shown as the author of the appraisers' scores. Now a copied score keeps its author
    and time; only a score changed in the round is the appraiser's of that round."""
    assert world["lead"].appraise(submitted, "1.6", 1, value=False, explain=True,
                                  note="Chưa có kế hoạch").status_code == 200
    assert world["lead"].advance(submitted).status_code == 200
    first = app.extensions["store"].get_inspection(submitted).rounds["appraisal1"]
    assert first["1.1"].by == "ua"  # the self-score, untouched by the appraisers
    assert world["ua"].advance(submitted).status_code == 200  # the unit ends the explanation
    second = app.extensions["store"].get_inspection(submitted).rounds["appraisal2"]
    assert (second["1.6"].by, second["1.6"].at) == (first["1.6"].by, first["1.6"].at) \
        == ("lead", first["1.6"].at)
    assert (second["1.1"].by, second["1.1"].at) == (first["1.1"].by, first["1.1"].at)
    api = world["lead"].get(f"/inspections/{submitted}").json
    assert api["rounds"]["appraisal2"]["answers"]["1.6"]["by"] == "lead"
