"""What users are told is what is done: the deadline the finalize confirmation shows is
the one stored (in the configured time zone), and the draft minutes list the plan that
finalizing would make (a corrected shortcoming withdrawn, as the confirmation says)."""
from __future__ import annotations

import datetime as _dt
import re

import pytest

from inspect_app import create_app
from inspect_app.services import clock

from .conftest import app_config
from .support import World, csrf_of, login


@pytest.fixture
def utc_app(tmp_path):
    return create_app(app_config(tmp_path, TIMEZONE="UTC"))


def test_finalize_deadline_is_the_one_the_confirmation_showed_in_the_configured_zone(
        utc_app, monkeypatch):
    """INSPECT_TIMEZONE=UTC; at 20:00 UTC on 2 December (already the 3rd in Vietnam) the
    confirmation page promises a deadline 30 days from the 2nd; the item finalize then
    creates must carry that same deadline."""
    moment = _dt.datetime(2026, 12, 2, 20, 0, tzinfo=_dt.UTC)
    monkeypatch.setattr(clock, "now_utc", lambda: moment)
    client = utc_app.test_client()
    world = World(utc_app, client)
    record = world.start("lead", "NT")
    world.answer("lead", record, "1.6", value=False, note="Chưa ban hành")
    login(client, "lead")
    page = client.get(f"/inspections/{record}/finalize?allow_unanswered=y")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "01/01/2027" in html  # 2 Dec + 30 days, as the user was told
    response = client.post(f"/inspections/{record}/finalize",
                           data={"csrf_token": csrf_of(html), "allow_unanswered": "y",
                                 "op_id": re.search(r'name="op_id" value="([^"]+)"', html)[1],
                                 "summary": re.search(r'name="summary" value="([^"]+)"', html)[1]})
    assert response.status_code == 302
    items = [i for i in world.record(record).items if i.criterion == "1.6"]
    assert [i.due for i in items] == ["2027-01-01"]


@pytest.fixture
def world(app, client):
    return World(app, client)


def _shortcoming_lines(html: str) -> str:
    part = html.split("4. Tồn tại, hạn chế", 1)[1].split("III. KIẾN NGHỊ", 1)[0]
    return part


def test_draft_minutes_of_a_reopened_record_leave_out_a_corrected_shortcoming(world):
    """1.6 was finalized as "No" by mistake; the lead reopens and corrects it to "Yes".
    The confirmation says its item will be withdrawn, and finalizing does withdraw it;
    the draft minutes printed before finalizing must not still list 1.6 as a
    shortcoming and recommend remedying it."""
    from inspect_app.services import inspections as service

    record = world.start("lead", "NT")
    world.answer("lead", record, "1.6", value=False, note="Chưa ban hành kế hoạch")
    world.finalize("lead", record)
    service.reopen(world.store, world.scope("lead"), record, "1.6 ghi nhầm")
    world.answer("lead", record, "1.6", value=True, note="KH số 06/KH-UBND")
    _, plan = service.finalize_preview(world.store, world.scope("lead"), record,
                                       allow_unanswered=True)
    assert len(plan.withdrawn) == 1  # what the confirmation says
    client = login(world.client, "lead")
    html = client.get(f"/inspections/{record}/minutes").get_data(as_text=True)
    assert "Tiêu chí 1.6" not in _shortcoming_lines(html)
    assert "(tiêu chí 1.6)" not in html.split("III. KIẾN NGHỊ", 1)[1]
    # and after finalizing, the minutes indeed no longer list it
    world.finalize("lead", record)
    html = client.get(f"/inspections/{record}/minutes").get_data(as_text=True)
    assert "Tiêu chí 1.6" not in _shortcoming_lines(html)
