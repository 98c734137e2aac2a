"""Notifications on a phone, in a real browser (390×844): the commune officer sees the
unread count in the menu, opens the digest, marks it read and the count goes."""
from __future__ import annotations

import datetime as _dt
import uuid
from pathlib import Path

import pytest

from inspect_app.services import accounts, clock, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .browser import chromium, live_server, login, phone  # noqa: F401

PASSWORD = "mat-khau-dai"
FOLDER = Path(__file__).resolve().parent.parent / "test-artifacts"
FOLDER.mkdir(exist_ok=True)


@pytest.fixture
def commune(live_server):
    """A unit whose finalized inspection has an item overdue by 12 days and one due in 2."""
    store = live_server.store()
    tag = uuid.uuid4().hex[:6]
    code = f"N{tag}"
    unit_service.add_unit(store, code, f"Xã Nông Thượng {tag}")
    lead = accounts.create_user(store, f"lead{tag}", "inspector", password=PASSWORD)
    accounts.create_user(store, f"xa{tag}", "unit", unit=code, password=PASSWORD,
                         full_name="Hoàng Thạc")
    scope = service.scope_for(store, lead)
    record = service.start(store, live_server.app.extensions["checklists"], scope,
                           commands.StartRequest(unit=code, checklist="cchc-xa", period="2025",
                                                 kind="inspection")).id
    for criterion, note in (("1.6", "Chưa ban hành kế hoạch tuyên truyền CCHC"),
                            ("1.10", "Chủ tịch UBND xã chưa phân công công chức chấm điểm CCHC")):
        service.save_answer(store, scope, record, commands.answer_op(
            criterion, {"op_id": str(uuid.uuid4()), "base_rev": 0, "value": False, "note": note}))
    service.finalize(store, scope, record, commands.finalize_op(
        {"op_id": str(uuid.uuid4()), "allow_unanswered": True}))
    today = clock.today()
    dues = {"1.6": today - _dt.timedelta(days=12), "1.10": today + _dt.timedelta(days=2)}

    def change(inspection):
        for item in inspection.items:
            item.due = dues[item.criterion].isoformat() if item.criterion in dues else None
    store.update_inspection(record, change)
    return {"officer": f"xa{tag}"}


def test_the_officer_sees_the_count_opens_the_digest_and_marks_it_read(live_server, commune, phone):
    page = phone()
    login(page, live_server, commune["officer"], PASSWORD)
    badge = page.locator("[data-role=notification-count]")
    assert badge.inner_text() == "2"
    box = badge.bounding_box()
    assert box and box["x"] + box["width"] <= 390  # in sight on the phone's menu, unscrolled
    page.screenshot(path=str(FOLDER / "notifications-badge.png"))
    with page.expect_navigation():
        page.click("nav a[href$='/notifications/']")
    assert page.locator(".notification.is-unread").count() == 2
    text = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    assert "12 ngày quá hạn" in text and "còn 2 ngày" in text
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sideways
    page.screenshot(path=str(FOLDER / "notifications.png"), full_page=True)
    with page.expect_navigation():
        page.click("text=Đánh dấu tất cả đã đọc")
    assert page.locator("[data-role=notification-count]").count() == 0
    assert page.locator(".notification.is-unread").count() == 0
    assert "Đã đánh dấu đã đọc 2 thông báo." in page.inner_text("body")
