"""Accessibility of the phone pages (Chromium 390x844): a field of a form names its hint and
its errors (aria-describedby) and says it was refused (aria-invalid), for a screen reader."""
from __future__ import annotations

import uuid

from inspect_app.services import accounts
from inspect_app.services import units as unit_service

from .browser import chromium, live_server, login, phone  # noqa: F401
from .support import PASSWORD

DESCRIBED = """sel => { const el = document.querySelector(sel);
  const ids = (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
  return ids.map(id => (document.getElementById(id) || {innerText: ''}).innerText.trim()).join(' | ');
}"""


def test_start_form_period_hint_and_error_are_tied_to_the_period_field(
        live_server, phone):  # noqa: F811
    """An inspector with a screen reader opens "Bắt đầu kiểm tra" on a phone, types a wrong
    period ("abc") and sends. They expect the period field to announce its hint (the
    accepted formats) and, after sending, the error under it when focus lands on it.
    What happened: the input carried no aria-describedby: the hint <p id="period-hint"> and the
    <p class="error"> were only read if the user wanders past them. _macros.html:field
    rendered both but never passed aria-describedby (nor aria-invalid) to the input."""
    store = live_server.store()
    tag = uuid.uuid4().hex[:6]
    unit_service.add_unit(store, f"A{tag}", f"Xã Tân Lập {tag}")
    accounts.create_user(store, f"ins{tag}", "inspector", password=PASSWORD)
    p = phone()
    login(p, live_server, f"ins{tag}", PASSWORD)
    p.goto(f"{live_server.url}/inspections/new")
    assert p.locator("#period-hint").count() == 1
    described = p.evaluate(DESCRIBED, "#period")
    assert p.locator("#period-hint").inner_text().strip() in described, (
        f"period field described by {described!r}, not by its hint")
    p.fill("#period", "abc")
    with p.expect_navigation():
        p.click("#start-form button[type=submit]")
    error = p.locator(".field.has-error .error").first.inner_text().strip()
    described = p.evaluate(DESCRIBED, "#period")
    assert error in described, f"period error {error!r} not tied to the field ({described!r})"
    assert p.get_attribute("#period", "aria-invalid") == "true"
