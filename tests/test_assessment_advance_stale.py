"""Moving an assessment on a stage (DESIGN §10) says which stage the page showed: a
second press of a stale button is refused (409), never taken a stage further."""
from __future__ import annotations

import re

import pytest

from inspect_app.services import assessments, commands
from inspect_app.services import inspections as service

from .support import csrf_of, login, op
from .test_assessment_pages import record  # noqa: F401  (an assessment of A, self-scored)


def _scopes(store):
    return (service.scope_for(store, store.get_user("ua")),
            service.scope_for(store, store.get_user("lead")))


def test_a_second_stale_end_round_click_does_not_skip_the_explanation_stage(app, client, record):
    """Round 1 asked the commune to explain 1.6. The appraiser has the assessment's page
    open in two tabs (both show "end round 1"); they end round 1 in the first tab — the
    record goes to the explanation stage — and then, not noticing, press the same button
    in the second tab. They expect the second click to be refused (the page was about a
    stage that is over, as the service itself says "this assessment moved on meanwhile").
    What happened: the record moved on again, to appraisal round 2: the commune's
    explanation stage was skipped before it could write a word. The form now says the
    stage it was shown in."""
    store = app.extensions["store"]
    unit, lead = _scopes(store)
    assessments.advance(store, unit, record, commands.AdvanceOp(op()))
    assessments.save_appraisal(store, lead, record, commands.appraisal_op("1.6", {
        "op_id": op(), "base_rev": 1, "value": False, "explain": True}))
    assert store.get_inspection(record).stage == "appraisal1"
    login(client, "lead")
    tab1 = client.get(f"/inspections/{record}").get_data(as_text=True)
    tab2 = client.get(f"/inspections/{record}").get_data(as_text=True)
    forms = [{"csrf_token": csrf_of(page),
              **dict(re.findall(r'<input type="hidden" name="(op_id|stage)" value="([^"]*)"',
                                page.split('class="advance">', 1)[1].split("</form>", 1)[0]))}
             for page in (tab1, tab2)]
    assert forms[1]["stage"] == "appraisal1"
    assert forms[0]["op_id"] != forms[1]["op_id"]
    assert client.post(f"/assessments/{record}/advance", data=forms[0]).status_code == 302
    assert store.get_inspection(record).stage == "explanation"
    client.post(f"/assessments/{record}/advance", data=forms[1])
    assert store.get_inspection(record).stage == "explanation", \
        "a stale page's button moved the assessment on a second stage"


def test_the_api_refuses_an_advance_from_a_stage_that_is_over(app, record):
    """``POST /advance {op_id, stage}``: a stage that is no longer the record's is a
    conflict (409), nothing moves; without ``stage`` the call works as before."""
    store = app.extensions["store"]
    unit, lead = _scopes(store)
    assessments.advance(store, unit, record, commands.advance_op({"op_id": op(),
                                                                   "stage": "self"}))
    with pytest.raises(service.Conflict):  # the lead, from a page shown before the submit
        assessments.advance(store, lead, record, commands.advance_op({"op_id": op(),
                                                                       "stage": "self"}))
    assert store.get_inspection(record).stage == "appraisal1"
    with pytest.raises(service.Invalid):
        commands.advance_op({"op_id": op(), "stage": "round9"})
