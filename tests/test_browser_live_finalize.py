"""A team mate's open section while the lead finalizes and reopens: told on the page, and
following the team again after the reopen (Chromium 390×844, two phones)."""
from __future__ import annotations

import time

from inspect_app.services import commands
from inspect_app.services import inspections as service

from .browser import (  # noqa: F401
    answer_of,
    card,
    chromium,
    eventually,
    live_server,
    login,
    phone,
    queued,
    team,
    wait_saved,
)
from .support import PASSWORD, op


def _scope(team, who):
    store = team["store"]
    return service.scope_for(store, store.get_user(team[who]))


def _finalize(team):
    service.finalize(team["store"], _scope(team, "lead"), team["id"],
                     commands.FinalizeOp(op_id=op(), allow_unanswered=True))


def test_a_mates_open_section_follows_the_team_again_after_the_lead_reopens(
        live_server, team, phone):
    """The mate keeps section 5 open on the phone. The lead finalizes, notices a mistake and
    reopens the record at once, then answers 5.3 (4 of 4). The mate expects the lead's
    answer to appear on the open section within ~10 s, as it does before any finalize
    (api.md "Following a record live": an open section asks every 5 s while visible and
    online). What happens: the page stopped asking for good when it saw the record
    finalized and never asks again after the reopen, so 5.3 stays empty on the mate's
    screen (stale) until the page is reloaded."""
    mate = phone()
    login(mate, live_server, team["mate"], PASSWORD)
    mate.goto(f"{live_server.url}/inspections/{team['id']}/s/cong_vu")
    time.sleep(1.5)  # the page has asked at least once (poll is 1 s in tests)
    _finalize(team)
    time.sleep(2.5)  # the open page sees the record finalized
    service.reopen(team["store"], _scope(team, "lead"), team["id"], "Chấm nhầm mục 5.3")
    service.save_answer(team["store"], _scope(team, "lead"), team["id"],
                        commands.AnswerOp(op_id=op(), criterion="5.3", base_rev=0,
                                          inputs={"ke_hoach": 4, "thuc_hien": 4}))
    assert answer_of(team, "5.3").inputs == {"ke_hoach": 4, "thuc_hien": 4}
    mate.wait_for_function(
        "() => document.querySelector(\"article[data-criterion='5.3'] "
        "input[data-part=in_ke_hoach]\").value === '4'", timeout=10000)


def test_a_mates_open_section_says_when_the_lead_finalized(live_server, team, phone):
    """The mate has section 5 open (online) when the lead finalizes the record. The page
    learns it at its next live ask (the reply's status is "finalized") and stops following.
    The mate expects to be told on the page (or find the answers locked) before tapping
    on. What happens: nothing changes on the screen; the cards stay editable, and only the
    mate's next tap is refused ("biên bản đã hoàn thành; hãy mở lại để sửa", kept as a
    refused change in the queue)."""
    mate = phone()
    login(mate, live_server, team["mate"], PASSWORD)
    mate.goto(f"{live_server.url}/inspections/{team['id']}/s/cong_vu")
    time.sleep(1.5)
    _finalize(team)
    assert team["store"].get_inspection(team["id"]).status == "finalized"

    def told():
        return mate.locator("[data-role=closed]").is_visible() and "Hồ sơ đã chốt" in (
            mate.locator("body").inner_text())
    try:
        eventually(told, timeout=10)
    except AssertionError:
        raise AssertionError("the mate's open section shows nothing 10 s after the lead "
                             "finalized, and its cards stay editable") from None
