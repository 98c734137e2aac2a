"""Who may do what when things change under a form: two administrators on the same page
(a checklist preview, the province settings), a unit added with a code already taken, an
account whose role changed, a door code of a commune merged into another."""
from __future__ import annotations

import io
import re

import pytest

from inspect_app.services import accounts

from .access_world import CHECKLIST_YAML, PASSWORD, build_world
from .support import csrf_of, login


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("admin-world"))


@pytest.fixture
def app(world, tmp_path):
    """An app on a private copy of the world, with a second administrator."""
    app = world.app(world.copy_data(tmp_path / "data"))
    accounts.create_user(app.extensions["store"], "admin2", "admin", password=PASSWORD)
    return app


def admin_client(app, username="admin"):
    return login(app.test_client(), username, PASSWORD)


def inputs_of(html: str, action: str) -> dict[str, str]:
    """The text inputs of the form posting to ``action`` (as the browser would send them)."""
    form = re.search(r'<form[^>]*action="%s"[^>]*>(.*?)</form>' % re.escape(action), html, re.S)
    assert form, action
    out = {}
    for tag in re.findall(r"<input[^>]*>", form.group(1)):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            out[name.group(1)] = value.group(1) if value else ""
    return out


# ---------------------------------------------------------------- stale admin forms

def _upload(client, text: str):
    page = client.get("/checklists/").get_data(as_text=True)
    response = client.post("/checklists/upload", data={
        "csrf_token": csrf_of(page), "file": (io.BytesIO(text.encode()), "t-any.yaml")},
        content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]  # the draft's preview


def _publish(client, preview: str):
    page = client.get(preview).get_data(as_text=True)
    action = re.search(r'action="([^"]*/publish)"', page).group(1)
    return client.post(action, data={"csrf_token": csrf_of(page)})


def test_publishing_a_stale_preview_silently_drops_the_version_another_admin_published(app):
    """Two administrators: the first previews a draft (its "what changes" is against
    version 1), the second publishes another version meanwhile (a new criterion c4).
    Publishing the first draft now makes it current without a word: the criterion the
    second administrator published is gone from new records, and the preview the first
    one approved never showed that. (The users page refuses such a stale form, 409.)"""
    library = app.extensions["checklists"]
    first, second = admin_client(app, "admin"), admin_client(app, "admin2")
    preview = _upload(first, CHECKLIST_YAML.replace('version: "1"', 'version: "2"')
                      .replace("Có kế hoạch", "Có kế hoạch năm"))
    seen = first.get(preview)  # reviewed against version 1, the page stays open
    assert seen.status_code == 200
    with_c4 = CHECKLIST_YAML.replace('version: "1"', 'version: "3"') + (
        "      - {id: c4, text: Công khai kết quả, type: yesno, points: 1}\n")
    assert _publish(second, _upload(second, with_c4)).status_code == 302
    assert "c4" in {c.id for c in library.get("t-any").criteria}

    page = seen.get_data(as_text=True)  # "Publish" pressed on the page opened before
    action = re.search(r'action="([^"]*/publish)"', page).group(1)
    fields = inputs_of(page, action)
    refused = first.post(action, data=fields)

    current = library.get("t-any")
    assert "c4" in {c.id for c in current.criteria}, (
        "a draft previewed before another administrator's publish replaced it unseen")
    assert refused.status_code == 302 and refused.headers["Location"].endswith(preview)
    again = first.get(preview).get_data(as_text=True)  # what it changes against version 3
    assert "c4" in again and "phiên bản" in again.lower()
    # published after seeing it: the draft, as confirmed, is current now
    assert first.post(action, data=inputs_of(again, action)).status_code == 302
    assert "c4" not in {c.id for c in library.get("t-any").criteria}


def test_saving_a_stale_province_settings_page_undoes_another_admins_change(app):
    """Admin 1 opens the province settings; admin 2 sets the public address (printed in
    every QR code) and saves; admin 1 then corrects the inspecting body and saves the page
    opened before: admin 2's public address is silently put back to the old value."""
    first, second = admin_client(app, "admin"), admin_client(app, "admin2")
    stale = first.get("/settings/").get_data(as_text=True)
    stale_fields = inputs_of(stale, "/settings/")

    page = second.get("/settings/").get_data(as_text=True)
    fields = inputs_of(page, "/settings/")
    fields.update(inspecting_body="Sở Nội vụ", public_url="https://cchc.backan.gov.vn")
    assert second.post("/settings/", data=fields).status_code == 302

    stale_fields.update(inspecting_body="Sở Nội vụ tỉnh Bắc Kạn")
    first.post("/settings/", data=stale_fields)

    from inspect_app.services import province
    now = province.current(app.extensions["store"], app.config)
    assert now.public_url == "https://cchc.backan.gov.vn", (
        "a settings page opened before another administrator's save undid it unseen")


# ---------------------------------------------------------------- units

def test_add_a_unit_with_a_taken_code_renames_that_unit_in_its_old_records(app, world):
    """The "Add a unit" form given the code of an existing commune (a typo, or a new
    commune given a code already used) says "Unit A saved." and replaces A's name with no
    history: A's finalized minutes, made under its real name, now print the new one. A
    renaming (``/units/A/rename``) would have kept the old name on them."""
    client = admin_client(app)
    before = client.get(f"/inspections/{world.records['insp_final']}/minutes")
    assert "Xã Thiện Nghiệp" in before.get_data(as_text=True)
    page = client.get("/units/").get_data(as_text=True)
    client.post("/units/", data={"csrf_token": csrf_of(page), "code": "A",
                                 "name": "Xã Tân Lập", "parent": ""})
    minutes = client.get(f"/inspections/{world.records['insp_final']}/minutes")
    assert minutes.status_code == 200
    html = minutes.get_data(as_text=True)
    assert "Xã Thiện Nghiệp" in html and "Xã Tân Lập" not in html, (
        "the records of unit A made before now carry a name it never had")


# ---------------------------------------------------------------- a role changed

def test_a_commune_officer_made_an_inspector_still_writes_the_communes_self_check(app, world):
    """A commune officer of A moves to the province and the administrator makes the
    account an inspector. An inspector changes only inspections whose team they are on
    (docs/security.md): a self-check is the commune's own. But the old self-check still
    names them on its team, and ``can_edit`` asks an inspector only ``on_team``: the
    province inspector keeps writing (and may finalize) the commune's self-assessment."""
    from inspect_app.services.commands import UserEdit

    store = app.extensions["store"]
    accounts.edit_user(store, store.get_user("admin"), "unit_a", UserEdit(
        full_name="", position="", role="inspector", unit=None, active=True))
    record = world.records["self_a"]
    client = app.test_client()
    auth = {"Authorization": f"Bearer {world.tokens['unit_a']}"}
    current = client.get(f"/api/v1/inspections/{record}", headers=auth)
    rev = current.get_json()["answers"]["c1"]["rev"] if current.status_code == 200 else 0
    before = store.get_inspection(record).answers["c1"].value
    response = client.put(f"/api/v1/inspections/{record}/answers/c1", headers=auth, json={
        "op_id": "5f0c1b2e-0000-4000-8000-000000000001", "base_rev": rev, "value": True})
    assert response.status_code in (403, 404), response.get_data(as_text=True)
    assert store.get_inspection(record).answers["c1"].value == before


# ---------------------------------------------------------------- merged units

def test_the_door_code_of_a_commune_merged_into_theirs_is_a_missing_page_for_its_officers(
        app, world):
    """B is merged into A: A's officers see and work on B's records and B's unit page
    (docs/units.md). The door QR code still posted at B's old office answers them 404
    "page not found" (``web/qr.py: door_target`` compares the user's own unit code only),
    though the unit it names is theirs."""
    from inspect_app.services import units as unit_service

    from .access_world import login_client

    unit_service.merge_units(app.extensions["store"], ["B"], "A", "01/07/2025")
    client, _token = login_client(app, world, "unit_a")
    assert client.get("/units/B").status_code == 200  # B is A's history now
    door = client.get("/units/B/door")
    assert door.status_code == 302, door.status_code
