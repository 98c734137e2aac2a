"""The JSON API as a third-party client reads docs/api.md and DESIGN §5–§7: refusals that
name what is missing and what was sent (JSON's true, never Python's True), a field's
message in ``fields``, rankings of a checklist that does not exist refused, minus zero
stored as zero."""
from __future__ import annotations

import uuid

import pytest

from inspect_app.services import accounts
from inspect_app.services import units as unit_service

from .support import PASSWORD, Api

CHECKLIST = "cchc-xa"


def op() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def people(app, client):
    store = app.extensions["store"]
    unit_service.add_unit(store, "A", "Xã Thiện Nghiệp")
    accounts.create_user(store, "lead", "inspector", password=PASSWORD, full_name="Trưởng Đoàn")
    accounts.create_user(store, "mate", "inspector", password=PASSWORD)
    accounts.create_user(store, "ua", "unit", unit="A", password=PASSWORD)
    accounts.create_user(store, "viewer", "viewer", password=PASSWORD)
    return {name: Client(client, accounts.issue_token(store, name))
            for name in ("lead", "ua", "viewer")}


class Client(Api):
    def put(self, path, body):
        return self.client.put(f"/api/v1{path}", json=body, headers=self._h())


def start(lead, **body):
    return lead.post("/inspections", {"unit": "A", "checklist": CHECKLIST, "period": "2025",
                                      "kind": "inspection", **body})


# ---------------------------------------------------------------- POST /inspections

def test_start_without_unit_and_checklist_says_they_are_missing_not_None(people):
    """A client that forgets `unit` and `checklist` is told "không có đơn vị None; không
    có bộ tiêu chí None" ("there is no unit None"): the Python spelling of a missing
    value, read as if a unit called "None" did not exist, instead of "give the unit"."""
    response = people["lead"].post("/inspections", {"period": "2025", "kind": "inspection"})
    assert response.status_code == 400
    body = response.json
    assert set(body["fields"]) == {"unit", "checklist"}
    for text in (body["error"], body["fields"]["unit"], body["fields"]["checklist"]):
        assert "None" not in text, text


def test_start_with_an_unknown_team_member_gives_a_message_in_fields(people):
    """Every other refusal of the start puts a message under `fields` (`fields.period`,
    `fields.unit`: "không có đơn vị 'ZZ'"), which a client shows at that input; for the
    team it puts the bare username there (`{"fields": {"team": "nobody"}}`)."""
    other = start(people["lead"], unit="ZZ").json
    assert other["fields"]["unit"] == other["error"]  # the shape every other field has
    response = start(people["lead"], team=["nobody"])
    assert response.status_code == 400
    assert response.json["fields"]["team"] == response.json["error"], response.json


# ---------------------------------------------------------------- answers

def test_a_choice_answered_with_json_true_is_named_as_the_client_sent_it(people):
    """A JSON client sends `{"value": true}` to a choice criterion; the refusal says
    "không có lựa chọn True" — Python's spelling, not the `true` the client sent (nor
    a word: the same describe() elsewhere says "must be a number, got true")."""
    iid = start(people["lead"]).json["id"]
    response = people["lead"].put(f"/inspections/{iid}/answers/1.1",
                                  {"op_id": op(), "base_rev": 0, "value": True})
    assert response.status_code == 400
    assert "True" not in response.json["error"], response.json["error"]


# ---------------------------------------------------------------- rankings

def test_rankings_of_an_unknown_checklist_is_400_naming_the_checklist(people):
    """docs/api.md: rankings answer 400 `{error, field}` for a bad query. A mistyped
    checklist id answers 200 with no rows and every visible unit "not inspected", which a
    client shows as a true ranking where nobody was inspected."""
    response = people["lead"].get("/rankings?checklist=cchc-xaa&period=2025")
    assert response.status_code == 400, response.json
    assert response.json["field"] == "checklist"
    assert response.json["error"]


def test_rankings_title_is_the_checklists_title_before_anything_is_finalized(people, app):
    """`title` is documented in the ranking's answer; for a known checklist with no
    finalized record yet it is "" (it is taken from the first row), so a client's heading
    is empty exactly when it says "no unit inspected yet"."""
    response = people["viewer"].get(f"/rankings?checklist={CHECKLIST}&period=2025")
    assert response.status_code == 200
    assert response.json["not_inspected"] == ["A"]
    expected = app.extensions["checklists"].get(CHECKLIST).title
    assert expected
    assert response.json["title"] == expected


def test_an_input_sent_as_minus_zero_is_stored_and_shown_as_0(people, client, auth):
    """`-0.0` is a JSON number a client (Python's json, a spreadsheet export) may send for
    "none done"; it is neither refused nor made 0: it is stored as -0.0, the API gives it
    back as `-0.0`, and the section page shows "-0" in the input box the user reads."""
    iid = start(people["lead"]).json["id"]
    response = people["lead"].client.put(
        f"/api/v1/inspections/{iid}/answers/1.2",
        data='{"op_id": "%s", "base_rev": 0, "inputs": {"planned": 20, "done": -0.0}}' % op(),
        content_type="application/json",
        headers={"Authorization": f"Bearer {people['lead'].token}"})
    assert response.status_code == 200, response.json
    api_text = response.get_data(as_text=True).replace(" ", "")
    auth.login("lead")
    page = client.get(f"/inspections/{iid}/s/chi_dao").get_data(as_text=True)
    assert 'value="-0"' not in page
    assert '"done":-0.0' not in api_text


# ---------------------------------------------------------------- following a record live
