"""A finalize confirmed before midnight and sent after: shown again, saying the deadlines moved."""
from __future__ import annotations

import datetime as _dt
import re

from inspect_app.services import clock

from .support import World, csrf_of, login


def test_finalize_confirmed_before_midnight_and_sent_after_says_the_deadlines_moved(
        app, client, monkeypatch):
    """The lead, alone on the record, opens the finalize confirmation at 23:59 (Vietnam)
    on 2 December, reads it and presses "Finalize now" two minutes later, 00:01 on the
    3rd. Nobody touched the record. Expected: it is finalized (or at least not refused
    with a claim that a team mate saved answers). What happens: the summary digest
    (services/inspections.Closing.digest) includes each new item's deadline, computed
    from *today*; the day moved, the digest differs and the finalize is refused with
    "Answers changed after you opened this summary (a team mate saved some)" — untrue."""
    moment = [_dt.datetime(2026, 12, 2, 16, 59, tzinfo=_dt.UTC)]  # 23:59 in Hà Nội
    monkeypatch.setattr(clock, "now_utc", lambda: moment[0])
    world = World(app, client)
    record = world.start("lead", "NT")
    world.answer("lead", record, "1.6", value=False, note="Chưa ban hành")
    login(client, "lead")
    page = client.get(f"/inspections/{record}/finalize?allow_unanswered=y")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    moment[0] = _dt.datetime(2026, 12, 2, 17, 1, tzinfo=_dt.UTC)  # 00:01 on the 3rd
    response = client.post(f"/inspections/{record}/finalize",
                           data={"csrf_token": csrf_of(html), "allow_unanswered": "y",
                                 "op_id": re.search(r'name="op_id" value="([^"]+)"', html)[1],
                                 "summary": re.search(r'name="summary" value="([^"]+)"', html)[1]})
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    # the deadlines moved with the day: shown again, and said truly (not "a team mate saved")
    told = " ".join(re.findall(r'class="flash[^"]*"[^>]*>(.*?)<', follow, re.S))
    assert world.record(record).status == "draft"
    assert "thành viên khác" not in told and "hạn" in told, told
