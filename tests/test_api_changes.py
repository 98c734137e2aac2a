"""``GET /api/v1/inspections/<id>/changes?since=<rev>`` (issue 11 point 6): what an open
section polls to show a team mate's answers — only the answers written after that record
revision, with who (full name) and when; access as for reading the record; a bad
``since`` is a 400 in the user's language."""
from __future__ import annotations

import pytest

from tests.test_api import (
    CHECKLIST,
    world,  # noqa: F401  (fixture)
)
from tests.test_refusal_messages import _switch_to_english

from .support import op


@pytest.fixture
def record(app, world):  # noqa: F811
    store = app.extensions["store"]
    for username, name in (("lead", "Nguyễn Ánh Xuân"), ("mate", "Trần Thị Mai")):
        store.update_user(username, lambda user, name=name: setattr(user, "full_name", name))
    response = world["lead"].post("/inspections", {"unit": "A", "checklist": CHECKLIST,
                                                   "period": "2025", "kind": "inspection",
                                                   "team": ["mate"]})
    assert response.status_code == 201, response.json
    return response.json


def changes(api, iid, since, **params):
    query = "&".join([f"since={since}"] + [f"{k}={v}" for k, v in params.items()])
    return api.get(f"/inspections/{iid}/changes?{query}")


def test_only_answers_written_after_since_come_back(world, record):  # noqa: F811
    iid = record["id"]
    start = changes(world["lead"], iid, 0).json
    assert start["changes"] == [] and start["status"] == "draft"
    seen = start["rev"]
    world["lead"].answer(iid, "1.6", value=True)
    after_first = changes(world["mate"], iid, seen).json
    assert [c["criterion"] for c in after_first["changes"]] == ["1.6"]
    assert after_first["rev"] == seen + 1

    world["mate"].answer(iid, "1.10", value=False, note="chưa phân công")
    world["mate"].answer(iid, "1.6", base_rev=1, value=False)
    body = changes(world["lead"], iid, after_first["rev"], section="chi_dao").json
    assert [c["criterion"] for c in body["changes"]] == ["1.10", "1.6"]  # oldest write first
    latest = {c["criterion"]: c for c in body["changes"]}
    assert latest["1.6"]["rev"] == 2 and latest["1.6"]["answer"]["value"] is False
    assert latest["1.10"]["answer"]["note"] == "chưa phân công"
    assert latest["1.6"]["by"] == "mate" and latest["1.6"]["by_name"] == "Trần Thị Mai"
    assert latest["1.6"]["at"].startswith("20")
    assert latest["1.10"]["line"]["status"] == "fail"
    totals = body["totals"]
    assert totals["answered"] == 2 and totals["section_answered"] == 2
    assert totals["section"]["id"] == "chi_dao"

    # nothing new: empty, and as cheap as that; the current rev is the next since
    quiet = changes(world["lead"], iid, body["rev"]).json
    assert quiet == {"rev": body["rev"], "status": "draft", "changes": []}
    # since 0: every answer, each once, with its latest content
    everything = changes(world["lead"], iid, 0).json["changes"]
    assert sorted(c["criterion"] for c in everything) == ["1.10", "1.6"]


def test_a_photo_is_a_change_of_its_answer(world, record, client):  # noqa: F811
    import io

    from PIL import Image

    iid = record["id"]
    seen = changes(world["lead"], iid, 0).json["rev"]
    image = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 20, 30)).save(image, "JPEG")
    response = client.post(f"/api/v1/inspections/{iid}/answers/1.6/photos",
                           headers={"Authorization": f"Bearer {world['mate'].token}"},
                           data={"op_id": op(), "photo": (io.BytesIO(image.getvalue()), "a.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    [change] = changes(world["lead"], iid, seen).json["changes"]
    assert change["criterion"] == "1.6" and len(change["answer"]["photos"]) == 1


@pytest.mark.parametrize("who, status", [("lead", 200), ("mate", 200), ("admin", 200),
                                         ("viewer", 200), ("other", 404), ("ub", 404),
                                         ("ua", 404), ("anon", 401)])
def test_access_is_that_of_reading_the_record(world, record, who, status):  # noqa: F811
    assert changes(world[who], record["id"], 0).status_code == status


def test_an_unknown_record_is_404(world):  # noqa: F811
    assert changes(world["admin"], "nosuchrecord", 0).status_code == 404


@pytest.mark.parametrize("since", ["", "-1", "abc", "1.5", "1e3", "٣", "99999999999999",
                                   "%201", "0x10"])
def test_a_bad_since_is_400_naming_the_field(world, record, since):  # noqa: F811
    response = changes(world["lead"], record["id"], since)
    assert response.status_code == 400
    assert response.json["field"] == "since"
    assert "since" in response.json["error"] and "số" in response.json["error"]  # Vietnamese


def test_no_since_at_all_is_400(world, record):  # noqa: F811
    response = world["lead"].get(f"/inspections/{record['id']}/changes")
    assert response.status_code == 400 and response.json["field"] == "since"


def test_the_bad_since_message_follows_the_language_switch(app, client, record):
    _switch_to_english(client)
    page = client.get("/login")
    assert page.status_code == 200
    from tests.support import csrf_of

    client.post("/login", data={"username": "lead", "password": "mat-khau-dai",
                                "csrf_token": csrf_of(page.get_data(as_text=True))})
    response = client.get(f"/api/v1/inspections/{record['id']}/changes?since=x")
    assert response.status_code == 400
    assert response.json["error"].startswith("since must be a record revision")


def test_a_conflict_names_the_team_mate_in_full(world, record):  # noqa: F811
    iid = record["id"]
    world["lead"].answer(iid, "5.4", value=2)
    response = world["mate"].answer(iid, "5.4", base_rev=0, value=1)
    assert response.status_code == 409
    assert response.json["current"]["by"] == "lead"
    assert response.json["current"]["by_name"] == "Nguyễn Ánh Xuân"


def test_a_conflict_names_the_team_mate_as_changes_does(app, world, record):  # noqa: F811
    """The lead's account was renamed after the record was started (their name on the
    team is still "Nguyễn Ánh Xuân"). The mate's phone polls /changes and sees the lead's
    answer by that team name; then the mate's own change meets it as a conflict, whose
    box named the lead by the account's new name, as if someone else had written it
    (services/inspections.py save_answer: ``author_names(store, None, …)``)."""
    store = app.extensions["store"]
    store.update_user("lead", lambda user: setattr(user, "full_name", "Nguyễn Thị Hồng Vân"))
    iid = record["id"]
    world["lead"].answer(iid, "5.4", value=2)
    [change] = changes(world["mate"], iid, 0).json["changes"]
    assert change["by_name"] == "Nguyễn Ánh Xuân"
    response = world["mate"].answer(iid, "5.4", base_rev=0, value=1)
    assert response.status_code == 409
    assert response.json["current"]["by_name"] == change["by_name"]


def test_answers_stored_before_this_version_are_never_reported_as_changes(app, world, record):  # noqa: F811
    store = app.extensions["store"]
    iid = record["id"]
    world["lead"].answer(iid, "1.6", value=True)

    def forget(inspection):  # as an answer stored before the record revision was kept
        inspection.answers["1.6"].changed = 0
    store.update_inspection(iid, forget)
    assert changes(world["mate"], iid, 1).json["changes"] == []
