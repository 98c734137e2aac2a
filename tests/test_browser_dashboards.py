"""The dashboards in a real browser: on a 390×844 phone nothing overflows sideways (the
charts scale, the wide tables scroll inside their box), with every table opened too;
and on a desktop. Screenshots go to the test's folder (looked at while building it)."""
from __future__ import annotations

import uuid

import pytest

from inspect_app.services import accounts

from .browser import chromium, live_server, login, page, phone  # noqa: F401
from .dashboard_province import CHECKLIST_ID, fill
from .support import PASSWORD


@pytest.fixture
def seeded(live_server):  # noqa: F811
    """A province of its own in the shared live store, and an administrator and a
    commune officer of it."""
    store = live_server.store()
    tag = f"D{uuid.uuid4().hex[:4]}"
    fill(store, prefix=tag)
    admin, officer = f"{tag.lower()}boss", f"{tag.lower()}xa"
    accounts.create_user(store, admin, "admin", password=PASSWORD)
    accounts.create_user(store, officer, "unit", unit=f"{tag}C02", password=PASSWORD)
    return tag, admin, officer


def _open_every_table(page):  # noqa: F811
    for details in page.query_selector_all("details"):
        details.evaluate("element => { element.open = true; }")


def _overflow(page) -> list[str]:  # noqa: F811
    """What sticks out to the right of the viewport (none of it may)."""
    return page.evaluate("""() => {
      const width = document.documentElement.clientWidth;
      const out = [];
      for (const el of document.querySelectorAll('body *')) {
        if (el.closest('.table-wrap, nav')) continue;  // each scrolls inside its box
        const box = el.getBoundingClientRect();
        if (box.width && box.right > width + 1) out.push(el.tagName + '.' + el.className);
      }
      return out.slice(0, 10);
    }""")


def test_dashboards_on_a_phone(live_server, phone, seeded, tmp_path):  # noqa: F811
    tag, admin, _officer = seeded
    page = phone()  # noqa: F811
    login(page, live_server, admin, PASSWORD)
    page.goto(f"{live_server.url}/dashboards/?checklist={CHECKLIST_ID}&period=2025"
              f"&group={tag}H1")
    assert page.locator("h1").inner_text() == "Thống kê"
    assert page.locator("svg.chart").count() >= 5
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "dashboards-phone.png"), full_page=True)
    _open_every_table(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert _overflow(page) == []
    page.screenshot(path=str(tmp_path / "dashboards-phone-tables.png"), full_page=True)
    width = page.evaluate("document.querySelector('svg.chart').getBoundingClientRect().width")
    assert 300 <= width <= 390  # the chart fills the phone's width, no more
    # the menu leads here, and the Excel link answers with a workbook
    assert page.locator('nav a[href="/dashboards/"]').count() == 1
    link = page.locator("a[download]").get_attribute("href")
    response = page.request.get(live_server.url + link)
    assert response.status == 200 and response.body()[:2] == b"PK"


def test_a_commune_officer_sees_its_own_unit_on_a_phone(live_server, phone, seeded,  # noqa: F811
                                                        tmp_path):
    tag, _admin, officer = seeded
    page = phone()  # noqa: F811
    login(page, live_server, officer, PASSWORD)
    page.goto(f"{live_server.url}/dashboards/?checklist={CHECKLIST_ID}&period=2025")
    text = page.locator("main").inner_text()
    assert "Xã Bình Minh" in text and "Xã An Bình" not in text and "Xã Gia Lộc" not in text
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "dashboards-officer.png"), full_page=True)


def test_dashboards_on_a_desktop(live_server, page, seeded, tmp_path):  # noqa: F811
    _tag, admin, _officer = seeded
    login(page, live_server, admin, PASSWORD)
    page.goto(f"{live_server.url}/dashboards/?checklist={CHECKLIST_ID}&period=2025")
    _open_every_table(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    width = page.evaluate("document.querySelector('svg.chart').getBoundingClientRect().width")
    rem = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert width <= 32 * rem + 1  # capped (32rem): the letters stay near the size of the text
    page.screenshot(path=str(tmp_path / "dashboards-desktop.png"), full_page=True)
