"""The installable app's server side (issue 11, item 1): manifest, service worker, offline
page, the session probe of the queue, and the queue page."""
from __future__ import annotations

import json
import re

import pytest

from inspect_app.services import accounts


@pytest.fixture
def inspector(app, client):
    accounts.create_user(app.extensions["store"], "thanhtra", "inspector",
                         password="mat-khau-dai-1", full_name="Nguyễn Ánh Xuân")
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "thanhtra", "password": "mat-khau-dai-1",
                                "csrf_token": token})
    return client


def test_manifest_names_the_app_in_vietnamese_with_icons(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == "Kiểm tra cải cách hành chính" and manifest["lang"] == "vi"
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#0b5394"
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.data[:8] == b"\x89PNG\r\n\x1a\n"
        assert "immutable" in image.headers["Cache-Control"]


def test_service_worker_is_served_from_the_root_and_caches_a_versioned_shell(client):
    response = client.get("/sw.js")
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"  # an update is seen at once
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    text = response.get_data(as_text=True)
    shell = json.loads(re.search(r"var SHELL = (\[.*?\]);", text).group(1))
    assert "/offline" in shell and "/manifest.webmanifest" in shell
    statics = [u for u in shell if u.startswith("/static/")]
    assert statics and all(re.search(r"\?v=[0-9a-f]{10}$", u) for u in statics)
    assert {"/static/app.css", "/static/queue.js", "/static/fill.js"} <= {
        u.split("?")[0] for u in statics}
    for url in shell:
        assert client.get(url).status_code == 200, url
    assert re.search(r'var VERSION = "[0-9a-f]{12}";', text)


def test_offline_page_is_vietnamese_and_names_no_user(inspector):
    body = inspector.get("/offline").get_data(as_text=True)
    assert "Máy đang mất mạng" in body and "Thử lại" in body
    assert "thanhtra" not in body and "Nguyễn Ánh Xuân" not in body and "csrf_token" not in body


def test_session_probe_tells_who_is_logged_in(client, inspector):
    data = inspector.get("/app/session").get_json()
    assert data["user"] == "thanhtra" and data["csrf_token"]
    assert inspector.get("/app/session").headers["Cache-Control"] == "no-store"


def test_session_probe_without_login_says_nobody(client):
    assert client.get("/app/session").get_json() == {"user": None, "csrf_token": None}


def test_every_page_names_its_user_for_the_queue(inspector):
    body = inspector.get("/").get_data(as_text=True)
    assert 'data-user="thanhtra"' in body and 'rel="manifest"' in body
    assert 'data-role="queue-badge"' in body
    queue = inspector.get("/queue").get_data(as_text=True)
    assert "Đang chờ gửi" in queue and 'data-role="queue-list"' in queue
