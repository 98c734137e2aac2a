"""The dashboards on a phone, as a province leader looks at them, with communes of long
Vietnamese names: every name stays inside its card (the demo province, renamed)."""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from inspect_app import create_app
from inspect_app.services import accounts, demo

from .browser import CHROMIUM_ARGS, LiveServer, chromium, login  # noqa: F401
from .conftest import app_config

LONG_NAME = "Thị trấn Nông trường Mộc Châu Vĩnh Hòa Hưng Bắc"  # 47 characters


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """The demo province, two of its communes renamed to long names, served over HTTP."""
    communes = list(demo.COMMUNES)
    communes[6] = ("VHHB", LONG_NAME)
    communes[2] = ("TL", "Thị trấn Nông trường Mộc Châu")
    app = create_app(app_config(tmp_path_factory.mktemp("demo143")))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "PASSWORD_METHOD", "scrypt:1024:8:1")
        patch.setattr(demo, "COMMUNES", communes)
        demo.load(app.extensions["store"], app.extensions["checklists"])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    server.shutdown()
    thread.join(timeout=10)


def test_not_inspected_commune_of_a_long_name_stays_inside_its_card(demo_server, chromium,  # noqa: F811
                                                                    tmp_path):
    """What happened: a province leader opens Thống kê on a 390×844 phone. Under "Đơn vị chưa được kiểm
    tra" the communes not inspected are shown as chips. She expects every name inside the
    white card, wrapped if long. The chip of "Thị trấn Nông trường Mộc Châu Vĩnh Hòa Hưng
    Bắc" does not wrap (``.tag`` is ``white-space: nowrap``): it runs through the card's
    border to the very edge of the screen (a longer name pushes the page sideways)."""
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                   has_touch=True, locale="vi-VN")
    try:
        page = context.new_page()
        login(page, demo_server, "lanhdao", demo.DEMO_PASSWORD)
        page.goto(f"{demo_server.url}/dashboards/")
        chip = page.locator("span.tag", has_text=LONG_NAME)
        assert chip.count() == 1  # the commune is among those not inspected
        page.screenshot(path=str(tmp_path / "dashboards-not-inspected.png"), full_page=True)
        chip_box = chip.bounding_box()
        card_box = page.locator("section.panel", has=chip).bounding_box()
        assert chip_box["x"] + chip_box["width"] <= card_box["x"] + card_box["width"], (
            f"chip ends at {chip_box['x'] + chip_box['width']:.0f}px, "
            f"its card at {card_box['x'] + card_box['width']:.0f}px")
    finally:
        context.close()
