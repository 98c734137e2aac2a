"""An assessment (DESIGN §10) offers only the steps its stage allows, and says why a step
is closed: never a finalize step (it moves on by stages; the review page, the confirmation
and finalizing ask the one rule ``domain.inspection.finalizable``), a final assessment's
refusals never tell to reopen it, the explanations page before the explanation stage says
it has not started, and an appraisal sent after its round closed is not said saved."""
from __future__ import annotations

from inspect_app.services import assessments, commands
from inspect_app.services import inspections as service

from .support import login, op, page_text
from .test_assessment_pages import post_advance, record, stage  # noqa: F401 (fixture)


def _appraise_to_final(app, iid):
    """The unit submits its self-score, the lead ends round 1 (nothing to explain): final."""
    store = app.extensions["store"]
    unit = service.scope_for(store, store.get_user("ua"))
    lead = service.scope_for(store, store.get_user("lead"))
    assessments.advance(store, unit, iid, commands.advance_op({"op_id": op()}))
    assessments.advance(store, lead, iid, commands.advance_op({"op_id": op()}))
    assert (store.get_inspection(iid).status, stage(app, iid)) == ("finalized", "final")


def test_review_page_of_an_assessment_offers_no_finalize_step(app, client, record):
    """The team lead of an assessment still at its self-score stage opens its review page
    (/inspections/<id>/review, linked from the record as "Xem lại và chốt"). They expect no
    "finalize" step: an assessment is never finalized, it moves on by stages (DESIGN §10) and
    the finalize route refuses it. What happened: the page offered the finalize form
    (id="finalize-start") all the same; pressing it only ended in a refusal."""
    login(client, "lead")
    html = client.get(f"/inspections/{record}/review").get_data(as_text=True)
    assert 'id="finalize-start"' not in html


def test_finalize_confirmation_of_an_assessment_sends_back_to_the_record(app, client, record):
    """The team lead opens /inspections/<id>/finalize of an assessment (the review page's
    button, or a kept link). They expect a refusal saying that an assessment moves on by
    stages. What happened: the page "Chốt kết quả" was shown with a working "finalize now"
    form (200), a summary of a finalize that can never happen."""
    login(client, "lead")
    response = client.get(f"/inspections/{record}/finalize?allow_unanswered=y")
    html = response.get_data(as_text=True)
    assert f'action="/inspections/{record}/finalize"' not in html
    assert response.status_code in (302, 409)


def test_appraisal_refused_on_a_final_assessment_says_it_is_final(app, api, record):
    """After an assessment reached its final stage, an appraiser still sends a round-1 score
    (a page kept open, the phone's queue) through PUT /api/v1/inspections/<id>/appraisal/1.1.
    It is refused (409), as it should be. What happened: the message told them to reopen
    the record to change it ("hãy mở lại để sửa"), and a final assessment can never be
    reopened (the reopen route says "a final assessment cannot be reopened")."""
    _appraise_to_final(app, record)
    lead = api("lead")
    response = lead.client.put(f"/api/v1/inspections/{record}/appraisal/1.1",
                               json={"op_id": op(), "base_rev": 1, "value": "tre_han"},
                               headers=lead._h())
    assert response.status_code == 409
    message = response.get_json()["error"]
    assert "mở lại" not in message, message
    assert message == "bản đánh giá đã có kết quả chính thức"


def test_advance_refused_on_a_final_assessment_says_it_is_final(app, api, record):
    """The lead presses "next stage" again on a final assessment (POST
    /api/v1/inspections/<id>/advance). Refused, rightly. What happened: the message said
    to reopen the record to change it, which a final assessment never allows."""
    _appraise_to_final(app, record)
    response = api("lead").post(f"/inspections/{record}/advance", {"op_id": op()})
    assert response.status_code == 409
    message = response.get_json()["error"]
    assert "mở lại" not in message, message


def test_explanations_page_before_the_stage_says_it_has_not_started(app, client, record):
    """The commune's officer submitted the self-score (stage appraisal1) and opens the
    explanations page (/assessments/<id>/explanations, e.g. from a bookmark) to see whether
    anything must be explained. They expect to be told that the explanation stage has not
    started yet. What happened: the page said "Giai đoạn giải trình đã kết thúc" (the
    explanation stage is over), which it never was."""
    login(client, "ua")
    assert post_advance(client, record).status_code == 302
    assert stage(app, record) == "appraisal1"
    text = page_text(client.get(f"/assessments/{record}/explanations"))
    assert "Giai đoạn giải trình đã kết thúc" not in text
    assert "Giai đoạn giải trình chưa bắt đầu" in text


def test_appraisal_sent_after_the_round_closed_says_nothing_was_saved(app, client, record):
    """An appraiser has section chi_dao of round 1 open; meanwhile the team lead ends the
    round (nothing to explain: the assessment is final). The appraiser presses "save" on
    the page as it is. They expect to be told that the round is closed and nothing was
    saved. What happened: the page said "Đã lưu điểm thẩm định." (appraisal saved) right
    above "no appraisal round is open"."""
    store = app.extensions["store"]
    unit = service.scope_for(store, store.get_user("ua"))
    lead = service.scope_for(store, store.get_user("lead"))
    assessments.advance(store, unit, record, commands.advance_op({"op_id": op()}))
    login(client, "lead")
    html = client.get(f"/assessments/{record}/appraisal/chi_dao").get_data(as_text=True)
    from .support import form_fields

    data = form_fields(html, "appraisal-form")
    assert data, "the round-1 form was on the page"
    assessments.advance(store, lead, record, commands.advance_op({"op_id": op()}))
    assert stage(app, record) == "final"
    before = store.get_inspection(record).rounds["appraisal1"]
    response = client.post(f"/assessments/{record}/appraisal/chi_dao", data=data)
    shown = page_text(client.get(response.headers["Location"])) if response.status_code == 302 \
        else page_text(response)
    assert "Đã lưu điểm thẩm định." not in shown
    assert "Không có vòng thẩm định nào đang mở: chưa lưu gì." in shown
    assert store.get_inspection(record).rounds["appraisal1"] == before
