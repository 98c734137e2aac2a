"""The phone form used fast: a conflict resolved either way shows what is stored (boxes,
points, status), a change made while a conflict box is open leaves no old conflict, and
"not applicable" after an answer is saved."""
from __future__ import annotations

import uuid

from inspect_app.services import commands
from inspect_app.services import inspections as service

from .browser import (  # noqa: F401  (fixtures)
    PASSWORD,
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


def _mate_saves(team, criterion, body):
    store = team["store"]
    mate = service.scope_for(store, store.get_user(team["mate"]))
    current = answer_of(team, criterion)
    service.save_answer(store, mate, team["id"], commands.answer_op(criterion, dict(
        body, op_id=str(uuid.uuid4()), base_rev=current.rev if current else 0)))


def _focus_in(page, criterion):
    """The focused element is a field of the criterion's card (a keyboard or screen-reader
    user goes on where they were, not at the top of the page)."""
    return page.evaluate("""c => { const el = document.activeElement;
      return !!el && el !== document.body && !!el.closest(`article.crit[data-criterion='${c}']`); }""",
                         criterion)


def _offline_conflict(live_server, team, phone, criterion, mine_label, theirs_body):
    """The lead answers ``criterion`` offline while the mate saves another answer."""
    lead = phone()
    login(lead, live_server, team["lead"], PASSWORD)
    lead.goto(f"{live_server.url}/inspections/{team['id']}/s/cong_vu")
    lead.context.set_offline(True)
    card(lead, criterion).get_by_text(mine_label, exact=True).click()
    _mate_saves(team, criterion, theirs_body)
    lead.context.set_offline(False)
    lead.evaluate("window.dispatchEvent(new Event('online'))")
    card(lead, criterion).locator(".conflict").wait_for(timeout=10000)
    return lead


def test_keep_mine_after_reopening_the_section_shows_what_is_stored(live_server, team, phone):
    """A conflict is kept on the phone and shown again when the section is opened later.
    The page then shows the team mate's stored answer in the boxes; "keep mine" stores
    mine, so the card must show mine too (not theirs, marked "saved")."""
    lead = _offline_conflict(live_server, team, phone, "5.2", "Không", {"value": True})
    lead.reload()
    conflict = card(lead, "5.2").locator(".conflict")
    conflict.wait_for(timeout=10000)
    conflict.get_by_role("button").last.click()  # keep mine
    assert _focus_in(lead, "5.2"), "after 'keep mine' the focus fell to the page"
    wait_saved(lead, "5.2")
    eventually(lambda: answer_of(team, "5.2").value is False)
    checked = card(lead, "5.2").locator("fieldset[data-part=value] input[type=radio]:checked")
    assert checked.count() == 1 and checked.get_attribute("value") == "false", \
        "stored 'Không' but the card shows 'Có' as saved"


def test_take_theirs_shows_their_points_and_status(live_server, team, phone):
    """Choosing "take theirs" puts the team mate's answer in the boxes; the card's points
    and status must be those of that stored answer, not of what it showed before."""
    lead = _offline_conflict(live_server, team, phone, "5.2", "Không", {"value": True})
    before_points = card(lead, "5.2").locator(".line-points").inner_text()
    conflict = card(lead, "5.2").locator(".conflict")
    conflict.get_by_role("button").first.click()  # take theirs
    assert _focus_in(lead, "5.2"), "after 'take theirs' the focus fell to the page"
    lead.wait_for_timeout(2500)  # the live poll had its chance too
    assert answer_of(team, "5.2").value is True
    # what the page itself says for 5.2 when opened afresh
    fresh = phone()
    login(fresh, live_server, team["lead"], PASSWORD)
    fresh.goto(f"{live_server.url}/inspections/{team['id']}/s/cong_vu")
    want_points = card(fresh, "5.2").locator(".line-points").inner_text()
    want_tag = card(fresh, "5.2").locator(".status-tag").inner_text()
    want_total = fresh.locator("[data-role=total]").inner_text()
    assert want_points != before_points  # the test means something
    assert card(lead, "5.2").locator(".line-points").inner_text() == want_points
    assert card(lead, "5.2").locator(".status-tag").inner_text() == want_tag
    assert lead.locator("[data-role=total]").inner_text() == want_total



def test_a_change_made_while_the_conflict_box_is_open_leaves_no_old_conflict(
        live_server, team, phone):
    """With the "theirs / mine" box on screen the inspector adds a note to the card, which
    meets the team mate's answer again (a new box), and keeps mine. The stored answer is
    the one with the note; nothing of the first choice may stay behind: the bar says all
    is saved and opening the section again shows no old conflict whose "keep mine"
    would put back the answer without the note."""
    lead = _offline_conflict(live_server, team, phone, "5.2", "Không", {"value": True})
    card(lead, "5.2").locator("details.note summary").first.click()
    card(lead, "5.2").locator("textarea[data-part=note]").fill("Thiếu hồ sơ")
    lead.wait_for_timeout(2500)
    conflict = card(lead, "5.2").locator(".conflict")
    conflict.wait_for(timeout=10000)
    assert "Thiếu hồ sơ" in conflict.locator("p.mine").inner_text()
    conflict.get_by_role("button").last.click()  # keep mine
    wait_saved(lead, "5.2")
    eventually(lambda: answer_of(team, "5.2").note == "Thiếu hồ sơ")
    lead.wait_for_timeout(1500)
    left = queued(lead)
    lead.reload()
    lead.wait_for_timeout(1500)
    assert card(lead, "5.2").locator(".conflict").count() == 0, \
        f"an old conflict of 5.2 is shown again (the phone's queue still holds {left})"
    assert left == []


def test_not_applicable_after_an_answer_can_be_saved(live_server, team, phone):
    """An inspector taps "Có" on 2.1, then sees the commune issued no such document and
    ticks "Không áp dụng". A chosen radio cannot be unticked, so the form must let N/A
    win (as the printed form's checkbox means); instead the change is refused ("cannot be
    both not applicable and have a value") and N/A can never be saved from the phone."""
    p = phone()
    login(p, live_server, team["lead"], PASSWORD)
    p.goto(f"{live_server.url}/inspections/{team['id']}/s/the_che")
    c = card(p, "2.1")
    c.get_by_text("Có", exact=True).click()
    wait_saved(p, "2.1")
    c.locator("input[data-part=na]").check()
    p.wait_for_timeout(2500)
    refused = c.locator("p.error.live").all_inner_texts()
    assert answer_of(team, "2.1").na is True, f"N/A not stored; the card says {refused}"
