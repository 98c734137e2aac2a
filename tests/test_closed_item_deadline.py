"""A done or verified item keeps the deadline it was done against: criterion 1.5 counts
"remediated on time" against it, so moving it afterwards is refused (send the item back or
reopen it to give it a new deadline)."""
from __future__ import annotations

import datetime as _dt

import pytest

from inspect_app.services import clock, remediation

from .support import World

UTC = _dt.UTC
TZ = "Asia/Ho_Chi_Minh"


@pytest.fixture
def world(app, client):
    return World(app, client)


@pytest.fixture
def pin(monkeypatch):
    def set_moment(moment: _dt.datetime):
        monkeypatch.setattr(clock, "now_utc", lambda: moment)
    return set_moment


def test_a_verified_late_item_keeps_its_deadline_and_stays_late(world, pin):
    """What happened: the commune finished item 1.6 three days after its deadline; the
    inspector verified it, then (a month later, tidying the plan) moved its deadline to a
    later day. That was accepted, and at the next inspection the previous plan's figures
    for criterion 1.5 counted the item as done on time: points for late work."""
    pin(_dt.datetime(2024, 10, 1, 2, 0, tzinfo=UTC))
    last_year = world.start("lead", "NT", period="2024")
    world.answer("lead", last_year, "1.6", value=False, note="Chưa ban hành kế hoạch tuyên truyền")
    world.finalize("lead", last_year)
    item = next(i for i in world.record(last_year).items if i.criterion == "1.6")
    assert item.due == "2024-10-31"
    ua, lead = world.api["ua"], world.api["lead"]

    pin(_dt.datetime(2024, 11, 3, 3, 0, tzinfo=UTC))  # 03/11: three days late
    assert ua.patch(item.id, item.rev, status="done",
                    progress_note="Đã ban hành KH tuyên truyền").status_code == 200
    item = world.item(item.id)
    assert lead.patch(item.id, item.rev, status="verified").status_code == 200
    before = plan_figures_now(world, last_year)
    assert (before.on_time, before.late) == (0, 1)

    pin(_dt.datetime(2024, 12, 5, 3, 0, tzinfo=UTC))
    item = world.item(item.id)
    moved = lead.patch(item.id, item.rev, due="2024-11-30")
    assert moved.status_code == 409, moved.get_json()
    assert "đã hoàn thành: hạn của nó không còn thay đổi" in str(moved.get_json()), moved.get_json()
    assert world.item(item.id).due == "2024-10-31"

    pin(_dt.datetime(2025, 10, 1, 2, 0, tzinfo=UTC))
    this_year = world.start("lead", "NT", period="2025")
    after = remediation.previous_plan(world.store, world.scope("lead"), world.record(this_year),
                                      TZ).figures
    assert (after.on_time, after.late) == (0, 1), (
        "moving the deadline of a verified item made a late remediation count as on time")


def plan_figures_now(world, record_id):
    from inspect_app.domain.remediation import plan_figures
    return plan_figures(world.record(record_id).items, TZ)
