"""What the printed minutes and plan and the record page say matches the record: every
action line of a self-check, days in the province's time zone (not UTC), a corrected
criterion no longer listed among the shortcomings. Found by exploratory testing; each
test failed before its fix."""
from __future__ import annotations

import datetime as _dt
import html
import re

import pytest

from inspect_app.services import clock
from inspect_app.services import inspections as service

from .support import World


def visible(response) -> str:
    """The visible text of a page: tags stripped, entities decoded, spaces collapsed."""
    body = response.get_data(as_text=True)
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<svg\b.*?</svg>", " ", body, flags=re.S)
    body = re.sub(r"</?(span|strong|em|b|i|a)\b[^>]*>", "", body)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


@pytest.fixture
def world(app, client):
    return World(app, client)


def login_as(world, username):
    client = world.app.test_client()
    user = world.store.get_user(username)
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{user.username}:{user.password_hash[-12:]}"
        sess["_fresh"] = True
    return client


WEEK_ACTIONS = ("Bổ sung phiếu xin lỗi cho 02 hồ sơ trễ hạn\n"
                "Sửa máy lấy số thứ tự\n"
                "Cập nhật bảng niêm yết TTHC")


def test_weekly_plan_prints_every_action_line_of_w16(world):
    """The commune officer finalizes the weekly self-check with three lines in W16 (one
    action per line, as its help asks); finalizing makes three remediation items. They
    print the remediation plan (and the minutes) expecting all three actions in the
    appendix and the recommendations. Only the last line is printed: the two others are
    missing from the paper the commune signs (shortcomings() keys items by criterion)."""
    rid = world.start("ua", "NT", checklist="tu-kiem-tra-mot-cua-tuan", kind="self_check",
                      period="2025-W14")
    for cid in ("W1", "W6", "W7", "W8"):  # criteria that need evidence: a note
        world.answer("ua", rid, cid, value=True, note="Có hồ sơ")
    world.answer("ua", rid, "W16", inputs={"viec": WEEK_ACTIONS, "nguoi_phu_trach": "Chị Lan",
                                           "han": "2025-04-11"})
    world.finalize("ua", rid)
    record = world.record(rid)
    assert sorted(i.action for i in record.items if i.criterion == "W16") == sorted(
        WEEK_ACTIONS.split("\n"))
    client = login_as(world, "ua")
    plan = visible(client.get(f"/inspections/{rid}/plan"))
    minutes = visible(client.get(f"/inspections/{rid}/minutes"))
    missing_plan = [a for a in WEEK_ACTIONS.split("\n") if a not in plan]
    missing_minutes = [a for a in WEEK_ACTIONS.split("\n") if a not in minutes]
    assert (missing_plan, missing_minutes) == ([], [])


# 01:30 on 7 April 2025 in Vietnam is still 6 April in UTC.
EARLY_MORNING = _dt.datetime(2025, 4, 6, 18, 30, tzinfo=_dt.UTC)


def finalized_weekly(world, monkeypatch, moment):
    """The weekly self-check of NT, finalized by its officer at ``moment`` (UTC)."""
    rid = world.start("ua", "NT", checklist="tu-kiem-tra-mot-cua-tuan", kind="self_check",
                      period="2025-W14")
    for cid in ("W1", "W6", "W7", "W8"):
        world.answer("ua", rid, cid, value=True, note="Có hồ sơ")
    world.answer("ua", rid, "W16", inputs={"viec": "Sửa máy lấy số thứ tự",
                                           "nguoi_phu_trach": "Chị Lan", "han": "2025-04-30"})
    monkeypatch.setattr(clock, "now_utc", lambda: moment)
    world.finalize("ua", rid)
    return rid


def test_record_page_shows_the_local_day_it_was_finalized(world, monkeypatch):
    """The officer finalizes at 01:30 on 7 April (Vietnam time). The printed minutes are
    dated "ngày 07 tháng 4 năm 2025"; the record's page, opened next to them, should say
    "Chốt ngày 07/04/2025" (finalized) too. It says 06/04/2025: the ``date`` template filter cuts the
    stored UTC timestamp at 10 characters, ignoring the province's time zone."""
    rid = finalized_weekly(world, monkeypatch, EARLY_MORNING)
    client = login_as(world, "ua")
    minutes = visible(client.get(f"/inspections/{rid}/minutes"))
    assert "ngày 07 tháng 4 năm 2025" in minutes
    page = visible(client.get(f"/inspections/{rid}"))
    shown = re.findall(r"Chốt ngày (\d\d/\d\d/\d{4})", page)  # "Finalized <date> by …"
    assert shown == ["07/04/2025"]


def test_plan_appendix_dates_a_progress_report_by_the_local_day(world, monkeypatch):
    """The officer reports progress on the W16 action at 01:00 on 10 April (Vietnam
    time) with the note "Đã thay máy mới". The plan's appendix, column "progress",
    should read "(10/04/2025: Đã thay máy mới)"; it reads 09/04/2025, the UTC day
    (exports/documents.py _progress_text formats the UTC timestamp's first 10 chars)."""
    rid = finalized_weekly(world, monkeypatch, EARLY_MORNING)
    item = next(i for i in world.record(rid).items if i.criterion == "W16")
    monkeypatch.setattr(clock, "now_utc",
                        lambda: _dt.datetime(2025, 4, 9, 18, 0, tzinfo=_dt.UTC))
    response = world.api["ua"].photo(item.id, note="Đã thay máy mới")
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    progress = world.item(item.id).progress
    assert progress and progress[-1].note == "Đã thay máy mới"
    plan = visible(login_as(world, "ua").get(f"/inspections/{rid}/plan"))
    assert "Đã thay máy mới" in plan
    assert "10/04/2025: Đã thay máy mới" in plan, re.findall(r".{30}Đã thay máy mới", plan)


def test_minutes_do_not_list_a_corrected_criterion_among_the_shortcomings(world):
    """The lead finalizes with 1.6 "No" ("Chưa ban hành kế hoạch tuyên truyền"), sees it
    was a mistake, reopens, corrects 1.6 to "Yes" with the note "Đã ban hành kế hoạch"
    and finalizes again; its item is withdrawn (no_action, "Kết quả tiêu chí đã được
    sửa…"). The reprinted minutes should no longer number 1.6 among the shortcomings
    (tồn tại, hạn chế) of the unit. They still do, with full points and the old finding
    "Chưa ban hành kế hoạch tuyên truyền": a met criterion printed as a shortcoming, the
    false finding in the signed paper (exports/documents.py shortcomings() keeps every
    criterion that has an item, withdrawn ones too)."""
    record = world.start("lead", "NT", team=["mate"])
    world.answer("lead", record, "1.6", value=False, note="Chưa ban hành kế hoạch tuyên truyền")
    world.finalize("lead", record)
    service.reopen(world.store, world.scope("lead"), record, "1.6 ghi nhầm")
    world.answer("lead", record, "1.6", value=True, note="Đã ban hành kế hoạch")
    world.finalize("lead", record)
    item = next(i for i in world.record(record).items if i.criterion == "1.6")
    assert item.status == "no_action"
    minutes = visible(login_as(world, "lead").get(f"/inspections/{record}/minutes"))
    assert "Tiêu chí 1.6" not in minutes, re.findall(r"Tiêu chí 1\.6.{0,160}", minutes)
    assert "Chưa ban hành kế hoạch tuyên truyền" not in minutes
