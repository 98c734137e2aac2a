"""The JSON API at its edges: a comment with nothing to go with, a section that does not
exist, a re-save that changed nothing before a confirmed finalize; a 405 names the methods
the address takes (`Allow`, pages too); an identifier is matched whole (an op_id with a
final line break is refused, as is every id, code and token so checked); a body of `null`
is told it must be a JSON object."""
from __future__ import annotations

import pytest

from inspect_app.domain.checklist import ChecklistError, parse_checklist
from inspect_app.services import Invalid, commands

from .factories import checklist_data
from .support import World, op


@pytest.fixture
def world(app, client):
    return World(app, client)


def test_a_comment_alone_on_an_item_is_refused_not_thrown_away(world):
    """The inspector sends PATCH /remediation/<item> with a `comment` (documented among the
    PATCH keys) and the item's base_rev, without changing the status. They expect the
    comment kept or refused (with a note beside it the same comment IS refused: "a comment
    goes with verifying or sending back; use progress_note"). It answers 200 and the
    comment is nowhere: not in the history, not in the progress notes."""
    record = world.start("lead", "NT")
    world.answer("lead", record, "1.1", value="khong_ban_hanh")
    world.finalize("lead", record)
    lead = world.api["lead"]
    item = lead.get(f"/inspections/{record}/remediation").get_json()[0]
    with_note = lead.patch(item["id"], base_rev=item["rev"], comment="Đề nghị bổ sung",
                           progress_note="ghi chú")
    assert with_note.status_code == 400  # the same comment, refused with a reason
    response = lead.patch(item["id"], base_rev=item["rev"], comment="Đề nghị bổ sung")
    after = lead.get(f"/remediation/{item['id']}").get_json()
    kept = "Đề nghị bổ sung" in str(after["history"]) + str(after["progress"])
    assert response.status_code == 400 or kept, (response.status_code, after["history"])


def test_changes_of_an_unknown_section_are_refused(world):
    """A program follows one section live with GET …/changes?since=0&section=<id> and
    misspells the section ("chi-dao" for "chi_dao"). Every other bad query value of the
    API is a 400 naming its field (since, rankings' checklist/period/kind); this one
    answers 200 with totals that simply lack the section's figures, so the program shows
    blank section figures with no hint why."""
    record = world.start("lead", "NT")
    world.answer("lead", record, "1.1", value="dung_han")
    good = world.api["lead"].get(f"/inspections/{record}/changes?since=0&section=chi_dao")
    assert good.status_code == 200 and good.get_json()["totals"]["section"] is not None
    response = world.api["lead"].get(f"/inspections/{record}/changes?since=0&section=chi-dao")
    assert response.status_code == 400, response.get_json()
    assert response.get_json().get("field") == "section"


def test_a_re_saved_identical_answer_does_not_block_the_confirmed_finalize(world):
    """The lead opens the finalize confirmation (its form carries the digest of the summary
    shown, *ext* ``summary``). Meanwhile a team mate's phone saves answer 1.1 again with
    the very value already stored (a double tap / re-save: 200, "nothing written twice").
    Nothing the summary says changed: the lead's finalize goes through (it was refused
    "changed since", because the no-op save raised the record revision)."""
    from .support import form_fields, login

    record = world.start("lead", "NT", team=["mate"])
    world.answer("lead", record, "1.1", value="dung_han")
    mate = world.api["mate"]
    lead = login(world.app.test_client(), "lead")
    page = lead.get(f"/inspections/{record}/finalize?allow_unanswered=y").get_data(as_text=True)
    fields = form_fields(page, "finalize-form")
    assert fields.get("summary")
    before = world.api["lead"].get(f"/inspections/{record}").get_json()["answers"]["1.1"]
    again = mate.client.put(f"/api/v1/inspections/{record}/answers/1.1", headers=mate._h(),
                            json={"op_id": op(), "base_rev": before["rev"], "value": "dung_han"})
    assert again.status_code == 200 and again.get_json()["rev"] == before["rev"]
    response = lead.post(f"/inspections/{record}/finalize", data=fields)
    assert response.status_code == 302
    assert world.record(record).status == "finalized", "the re-save blocked the finalize"


def test_a_mates_plan_entry_after_the_summary_still_blocks_the_confirmed_finalize(world):
    """The lead opens the finalize confirmation at record revision R (`base_rev`: "never
    freeze a score or items that the one finalizing has not seen"); it lists the finding
    item of criterion 1.1 that finalizing will create. Meanwhile a team mate records in
    the draft's plan that criterion 1.1 needs no action (POST …/remediation, status
    no_action with a reason). The lead confirms with base_rev R and expects 409 "changed
    since": a finalize checking answers only would freeze a plan other than the one the
    lead confirmed (the 1.1 item the summary promised not created)."""
    record = world.start("lead", "NT", team=["mate"])
    world.answer("lead", record, "1.1", value="khong_ban_hanh")
    lead, mate = world.api["lead"], world.api["mate"]
    confirmed_rev = lead.get(f"/inspections/{record}").get_json()["rev"]
    added = mate.post(f"/inspections/{record}/remediation", {
        "op_id": op(), "criterion": "1.1", "finding": "Đã có quy chế mới",
        "status": "no_action", "reason": "Đã ban hành trước ngày kiểm tra"})
    assert added.status_code in (200, 201), added.get_json()
    response = lead.post(f"/inspections/{record}/finalize",
                         {"op_id": op(), "allow_unanswered": True, "base_rev": confirmed_rev})
    assert response.status_code == 409, (
        response.status_code,
        [(i.criterion, i.status) for i in world.record(record).items])

def test_a_mates_plan_entry_after_the_summary_blocks_the_finalize_of_the_page(world):
    """The same through the confirmation page: its summary digest no longer matches
    what finalizing would do once a team mate marked 1.1 "no action" in the draft's plan,
    so the finalize is sent back to a fresh summary, and nothing is frozen."""
    from .support import form_fields, login

    record = world.start("lead", "NT", team=["mate"])
    world.answer("lead", record, "1.1", value="khong_ban_hanh")
    lead = login(world.app.test_client(), "lead")
    page = lead.get(f"/inspections/{record}/finalize?allow_unanswered=y").get_data(as_text=True)
    fields = form_fields(page, "finalize-form")
    added = world.api["mate"].post(f"/inspections/{record}/remediation", {
        "op_id": op(), "criterion": "1.1", "finding": "Đã có quy chế mới",
        "status": "no_action", "reason": "Đã ban hành trước ngày kiểm tra"})
    assert added.status_code in (200, 201), added.get_json()
    response = lead.post(f"/inspections/{record}/finalize", data=fields)
    assert response.status_code == 302 and "/finalize" in response.headers["Location"]
    assert world.record(record).status == "draft"


def test_a_405_names_the_methods_the_address_takes_in_the_allow_header(world):
    """What happened: GET /api/v1/inspections/<id>/answers/1.1 (an address taking PUT only)
    got the documented 405 with the JSON envelope but no `Allow` header, which HTTP
    requires on every 405 (RFC 9110 §15.5.6): the app's own error handler built a new
    response and dropped the refusal's headers. The pages' 405 (GET /language) lost it too."""
    record = world.start("lead", "NT")
    lead = world.api["lead"]
    response = lead.client.get(f"/api/v1/inspections/{record}/answers/1.1", headers=lead._h())
    assert response.status_code == 405 and response.is_json
    assert "error" in response.get_json()
    assert "PUT" in (response.headers.get("Allow") or ""), dict(response.headers)
    page = world.client.get("/language")
    assert page.status_code == 405 and not page.is_json
    assert "POST" in (page.headers.get("Allow") or ""), dict(page.headers)


def test_an_op_id_with_a_trailing_line_break_is_refused(world):
    """What happened: a PUT whose op_id was "abcdefgh\\n" (a line read from a file, its line
    end kept) was stored (200) instead of refused with 400 naming `op_id`: OP_ID_RE ended in
    `$`, which also matches before a final line break, so a control character got into the
    replay memory's op_id."""
    record = world.start("lead", "NT")
    lead = world.api["lead"]
    response = lead.client.put(f"/api/v1/inspections/{record}/answers/1.1", headers=lead._h(),
                               json={"op_id": "abcdefgh\n", "base_rev": 0, "value": "dung_han"})
    assert response.status_code == 400, response.get_json()
    assert response.get_json().get("field") == "op_id"
    assert "1.1" not in world.record(record).answers


@pytest.mark.parametrize("change, path", [
    (lambda d: d.update(id=d["id"] + "\n"), "id"),
    (lambda d: d["sections"][0].update(id=d["sections"][0]["id"] + "\n"), "sections[0].id"),
    (lambda d: d["sections"][0]["criteria"][0].update(
        id=str(d["sections"][0]["criteria"][0]["id"]) + "\n"), "sections[0].criteria[0].id"),
])
def test_a_checklist_id_with_a_final_line_break_is_refused(change, path):
    """What happened: a checklist, section or criterion id ending in a line break ("mau\\n")
    was accepted by the checklist validator, the same `^…$` with `.match` as the op_id; so
    were a unit code, a username, a draft token and a published folder's name."""
    data = checklist_data()
    change(data)
    with pytest.raises(ChecklistError) as refused:
        parse_checklist(data, "x.yaml")
    assert any(str(problem).startswith(f"{path}: ") for problem in refused.value.problems)
    with pytest.raises(Invalid):
        commands.op_id_of("abcdefgh\n")


def test_a_null_body_is_told_it_must_be_an_object(world):
    """What happened: the JSON body `null` (a serialised empty variable) sent to PUT
    …/answers/1.1 got "the body is not valid JSON" without `field`, while `[]`, `"x"` and
    `3` got "the body must be a JSON object" with `field: "body"`: web/api.py json_body took
    the parsed `None` for a parse failure, sending the program looking for a syntax error
    that was not there."""
    record = world.start("lead", "NT")
    lead = world.api["lead"]
    path = f"/api/v1/inspections/{record}/answers/1.1"
    as_list = lead.client.put(path, headers=lead._h(), json=[])
    assert as_list.status_code == 400 and as_list.get_json()["field"] == "body"
    response = lead.client.put(path, headers=lead._h(), data="null",
                               content_type="application/json")
    assert response.status_code == 400
    assert response.get_json() == as_list.get_json(), response.get_json()
    broken = lead.client.put(path, headers=lead._h(), data="{nul",
                             content_type="application/json")
    assert broken.status_code == 400 and "field" not in broken.get_json()
