"""The JSON API at its edges: a comment with nothing to go with, a section that does not
exist, a re-save that changed nothing before a confirmed finalize."""
from __future__ import annotations

import pytest

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
    """The lead opens the finalize confirmation at record revision R (`base_rev`, *ext*:
    "409 if the record changed since, so that nothing unseen is frozen"). Meanwhile a
    team mate's phone saves answer 1.1 again with the very value already stored (a
    double tap / re-save: 200, "nothing written twice"). Nothing in the record changed,
    yet the lead's finalize is refused with 409 "changed since", because the no-op save
    raised the record revision."""
    record = world.start("lead", "NT", team=["mate"])
    world.answer("lead", record, "1.1", value="dung_han")
    lead, mate = world.api["lead"], world.api["mate"]
    seen = lead.get(f"/inspections/{record}").get_json()
    confirmed_rev = seen["rev"]  # the record revision the summary showed
    before = seen["answers"]["1.1"]
    again = mate.client.put(f"/api/v1/inspections/{record}/answers/1.1", headers=mate._h(),
                            json={"op_id": op(), "base_rev": before["rev"], "value": "dung_han"})
    assert again.status_code == 200 and again.get_json()["rev"] == before["rev"]
    assert lead.get(f"/inspections/{record}").get_json()["answers"] == seen["answers"]
    response = lead.post(f"/inspections/{record}/finalize",
                         {"op_id": op(), "allow_unanswered": True, "base_rev": confirmed_rev})
    assert response.status_code == 200, response.get_json()
