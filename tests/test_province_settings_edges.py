"""Province settings: a public address ending in a bare "?" or "#" is refused (it would end
every printed link there), and the same settings sent twice are no conflict."""
from __future__ import annotations

import re

import pytest

from inspect_app import create_app
from inspect_app.services import accounts
from inspect_app.services import units as unit_service

from .conftest import app_config
from .support import PASSWORD, login
from .test_reminders import items_of_nt, mail_app, pin, sink  # noqa: F401  (fixtures)


@pytest.fixture
def app(tmp_path):
    app = create_app(app_config(tmp_path, PROVINCE="Bắc Kạn"))
    store = app.extensions["store"]
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    accounts.create_user(store, "admin", "admin", password=PASSWORD, full_name="Quản trị")
    return app


def settings_form(client) -> dict[str, str]:
    """What the settings page's form submits as shown (seen, csrf_token and the values)."""
    page = client.get("/settings/").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/settings/".*?</form>', page, re.S).group(0)
    return dict(re.findall(r'name="([^"]+)"[^>]*value="([^"]*)"', form))


def door_link(client, code: str = "NT") -> str:
    sheet = client.get("/qr/door-sheet").get_data(as_text=True)
    return re.search(r'<p class="door-url">([^<]*)</p>', sheet).group(1)


@pytest.mark.parametrize("typed", ["https://cchc.backan.gov.vn/#", "https://cchc.backan.gov.vn/?"])
def test_a_public_address_copied_with_a_trailing_hash_or_question_mark_breaks_every_qr(app, typed):
    """The admin pastes the site's address from the browser bar, which ends in "/#" (after
    a click on an in-page link) or "/?" (after an empty search), into "Địa chỉ công khai"
    and saves. Expected: the address is refused, or kept as https://cchc.backan.gov.vn, so
    the door codes open /units/NT/door. What happens: it is accepted as typed (an empty
    fragment or query passes the check, only the trailing slash is dropped) and every QR
    code and printed link becomes https://cchc.backan.gov.vn/#/units/NT/door (or /?/units/…):
    scanning it opens the home page, never the door, the record or the join link.
    Root cause: domain/province.py public_url (tests parts.query / parts.fragment, which
    are empty for a bare "?" or "#")."""
    client = login(app.test_client(), "admin")
    response = client.post("/settings/", data={**settings_form(client), "public_url": typed})
    if response.status_code == 400:  # refused: fine, nothing broken was saved
        assert app.extensions["store"].get_settings() == {}
        return
    assert response.status_code == 302
    assert door_link(client) == "https://cchc.backan.gov.vn/units/NT/door"


def test_saving_the_settings_twice_is_not_taken_for_another_administrators_save(app):
    """The admin changes the public address and presses "Lưu" twice (a double click, or
    the browser resending the form after a slow answer). Expected: the settings are saved
    and the page says so. What happens: the second, identical submission is refused with
    409 "Another administrator saved these settings after you opened this page…", blaming
    a colleague who does not exist and asking to make the change again, although the
    values in force are exactly the ones sent. Root cause: services/province.py save
    (compares ``seen`` with the version in force even when the values sent are the values
    in force)."""
    client = login(app.test_client(), "admin")
    data = {**settings_form(client), "public_url": "https://cchc.backan.gov.vn"}
    assert client.post("/settings/", data=data).status_code == 302
    again = client.post("/settings/", data=data)
    assert again.status_code == 302, again.get_data(as_text=True)[:200]
    assert app.extensions["store"].get_settings()["public_url"] == "https://cchc.backan.gov.vn"
