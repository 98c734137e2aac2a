"""Sessions: a user who must change an admin-set password is gated on the JSON API as on
the pages (the phone form saves through it with the browser session), and a login lasts
PERMANENT_SESSION_LIFETIME from the moment of logging in, however often the session is
written since."""
from __future__ import annotations

import io

from inspect_app.services import accounts

from .support import World, csrf_of, jpeg, login, op

NEW_PASSWORD = "mot-mat-khau-moi-tam"


def _must_change_session(app, client):
    """A world where an admin reset the password of "lead" (who leads a draft inspection of
    NT), and "lead" has logged in with it in ``client``: they must change it first."""
    world = World(app, client)
    record = world.start("lead", "NT")
    accounts.reset_password(world.store, world.store.get_user("admin"), "lead", NEW_PASSWORD)
    assert world.store.get_user("lead").must_change_password
    login(client, "lead", NEW_PASSWORD)
    page = client.get("/account/").get_data(as_text=True)
    return world, record, csrf_of(page)


def test_must_change_password_session_cannot_save_answers_through_the_api(app, client):
    """docs/security.md: until the user changes an admin-set password "every page but Tài
    khoản của tôi sends them there". The phone form saves answers through the JSON API with
    the browser session; that session must be as gated as the pages."""
    world, record, token = _must_change_session(app, client)
    # a page is gated:
    assert client.get(f"/inspections/{record}").status_code == 302
    response = client.put(f"/api/v1/inspections/{record}/answers/1.1",
                          json={"op_id": op(), "base_rev": 0, "value": "dung_han"},
                          headers={"X-CSRFToken": token})
    assert response.status_code in (401, 403), response.get_json()
    assert "1.1" not in world.record(record).answers


def test_must_change_password_session_cannot_read_through_the_api(app, client):
    world, record, _ = _must_change_session(app, client)
    response = client.get(f"/api/v1/inspections/{record}")
    assert response.status_code in (401, 403)


def test_must_change_password_session_cannot_upload_photos_or_finalize_through_the_api(app, client):
    world, record, token = _must_change_session(app, client)
    photo = client.post(f"/api/v1/inspections/{record}/answers/1.1/photos",
                        data={"op_id": op(), "photo": (io.BytesIO(jpeg()), "anh.jpg")},
                        content_type="multipart/form-data", headers={"X-CSRFToken": token})
    finalize = client.post(f"/api/v1/inspections/{record}/finalize",
                           json={"op_id": op(), "allow_unanswered": True},
                           headers={"X-CSRFToken": token})
    assert (photo.status_code, finalize.status_code) in {(401, 401), (403, 403)}
    assert world.record(record).status == "draft" and "1.1" not in world.record(record).answers


def test_a_login_ends_31_days_after_logging_in_even_if_the_session_was_written_since(
        app, client, monkeypatch):
    """docs/security.md (Sessions, Logout) and settings.py: "A login lasts
    PERMANENT_SESSION_LIFETIME from the moment of logging in" -- a copied cookie "stays
    valid until it expires (31 days after the login)". But every request that writes the
    session (a flash message, the language switch) re-signs the cookie with a new
    timestamp: a cookie used now and then (a stolen one too) never expires."""
    import time

    World(app, client)
    login(client, "lead")
    client.get("/")  # the first page after logging in writes its CSRF token in the session
    real = time.time
    day = 24 * 3600
    monkeypatch.setattr(time, "time", lambda: real() + 30 * day)
    assert client.get("/").status_code == 200  # day 30: still logged in, as it should be
    page = client.get("/").get_data(as_text=True)
    r = client.post("/language", data={"lang": "vi", "next": "/", "csrf_token": csrf_of(page)})
    assert r.status_code == 302 and "Set-Cookie" in r.headers  # the session was written
    monkeypatch.setattr(time, "time", lambda: real() + 40 * day)
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"], \
        "still logged in 40 days after logging in"
