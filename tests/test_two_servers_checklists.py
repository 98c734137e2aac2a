"""Two app servers on one PostgreSQL database, each with its own data folder (issue 14
point 2): a checklist published through server A is what a new inspection started through
server B uses at once (B's checklist cache follows the store's stamp); a draft uploaded on
A is published on B; retiring on B closes it on A; the seed folder stays the seed."""
from __future__ import annotations

import io
import re
from pathlib import Path

from inspect_app import create_app, storage
from inspect_app.services import accounts
from inspect_app.services import units as unit_service

from .conftest import app_config
from .postgres import empty_database
from .support import PASSWORD, csrf_of, login

ROOT = Path(__file__).resolve().parent.parent
CHECKLIST = "tu-kiem-tra-mot-cua-tuan"


def upload(client, text: str) -> str:
    """Upload a YAML checklist as an admin; the draft page's publish URL."""
    page = client.get("/checklists/").get_data(as_text=True)
    response = client.post("/checklists/upload", data={
        "csrf_token": csrf_of(page), "file": (io.BytesIO(text.encode()), "bang-kiem.yaml")},
        content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def test_publish_on_one_server_start_on_the_other(pg_url, tmp_path):
    empty_database(pg_url)
    apps = [create_app(app_config(tmp_path / name, DATABASE_URL=pg_url)) for name in "ab"]
    try:
        a, b = apps
        assert a.extensions["store"] is not b.extensions["store"]  # two servers' own pools
        store = a.extensions["store"]
        unit_service.add_unit(store, "TN", "Xã Thiện Nghiệp")
        accounts.create_user(store, "quantri", "admin", password=PASSWORD)
        token = accounts.issue_token(store, "quantri")
        seed = b.extensions["checklists"].get(CHECKLIST)  # B's cache holds the seed now
        assert seed.version == "2025.1"

        text = (ROOT / "checklists" / f"{CHECKLIST}.yaml").read_text(encoding="utf-8")
        text = text.replace('version: "2025.1"', 'version: "2026.1"')
        admin_a = login(a.test_client(), "quantri")
        admin_b = login(b.test_client(), "quantri")
        draft = upload(admin_a, text)
        # the draft is in the database: server B previews and publishes it
        html = admin_b.get(draft).get_data(as_text=True)
        assert "Xem trước: chưa phát hành" in html
        publish = re.search(r'action="(/checklists/drafts/[^"]+/publish)"', html).group(1)
        assert admin_b.post(publish, data={"csrf_token": csrf_of(html)}).status_code == 302
        published = a.extensions["checklists"].get(CHECKLIST)
        assert published.version == "2026.1" and published.hash != seed.hash

        # a second version published on A; an inspection started through B uses it
        draft = upload(admin_a, text.replace('version: "2026.1"', 'version: "2026.2"'))
        html = admin_a.get(draft).get_data(as_text=True)
        publish = re.search(r'action="(/checklists/drafts/[^"]+/publish)"', html).group(1)
        assert admin_a.post(publish, data={"csrf_token": csrf_of(html)}).status_code == 302
        api_b = b.test_client()
        response = api_b.post("/api/v1/inspections", json={
            "unit": "TN", "checklist": CHECKLIST, "period": "2026-W10", "kind": "self_check"},
            headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["checklist"]["version"] == "2026.2"
        versions = admin_b.get(f"/checklists/{CHECKLIST}/versions").get_data(as_text=True)
        assert "Phiên bản phát hành 2" in versions

        # retired on B: A refuses new records of it at once
        page = admin_b.get(f"/checklists/{CHECKLIST}").get_data(as_text=True)
        assert admin_b.post(f"/checklists/{CHECKLIST}/retire", data={
            "csrf_token": csrf_of(page), "retired": "1"}).status_code == 302
        assert a.extensions["checklists"].retired(CHECKLIST)
        response = a.test_client().post("/api/v1/inspections", json={
            "unit": "TN", "checklist": CHECKLIST, "period": "2026-W11", "kind": "self_check"},
            headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 400 and "ngừng dùng" in response.get_json()["error"]
        # the seed files of neither server changed; their data folders hold no checklist
        assert not any((tmp_path / name / "data" / "checklists").exists() for name in "ab")
    finally:
        for app in apps:
            app.extensions["store"].close()
            storage.forget_store(app.extensions["store"])
