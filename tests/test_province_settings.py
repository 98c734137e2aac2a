"""Province settings kept in the data (issue 14 point 5): the admin page, its checks,
the defaults from the deployment's settings, and where the values are printed."""
from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from inspect_app import create_app
from inspect_app.domain.errors import Invalid
from inspect_app.domain.province import ProvinceSettings, public_url
from inspect_app.exports import qr
from inspect_app.services import accounts, commands, province
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .support import PASSWORD, csrf_of, login

GOOD = {"inspecting_body": "Sở Nội vụ tỉnh Thái Nguyên", "superior_body": "UBND TỈNH THÁI NGUYÊN",
        "one_stop_centre": "Trung tâm Phục vụ hành chính công xã",
        "public_url": "https://cchc.thainguyen.gov.vn/"}


def app_config(root: Path, **overrides) -> dict:
    return {"TESTING": True, "DATA_DIR": str(root / "data"), "SECRET_KEY": "test-secret",
            **overrides}


@pytest.fixture
def app(tmp_path):
    app = create_app(app_config(tmp_path, PROVINCE="Bắc Kạn"))
    store = app.extensions["store"]
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    accounts.create_user(store, "admin", "admin", password=PASSWORD, full_name="Quản trị")
    accounts.create_user(store, "lead", "inspector", password=PASSWORD, full_name="Trưởng đoàn")
    return app


def page_text(response) -> str:
    body = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", response.get_data(as_text=True),
                  flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def post(client, data):
    page = client.get("/settings/").get_data(as_text=True)
    return client.post("/settings/", data={**data, "csrf_token": csrf_of(page)})


def test_defaults_are_todays_values(app):
    settings = province.current(app.extensions["store"], app.config)
    assert settings == ProvinceSettings(inspecting_body="Sở Nội vụ",
                                        superior_body="UBND TỈNH BẮC KẠN",
                                        one_stop_centre="Trung tâm Phục vụ hành chính công",
                                        public_url="")


def test_admin_saves_the_settings_and_they_are_kept_in_the_data(app):
    client = login(app.test_client(), "admin")
    page = client.get("/settings/")
    assert page.status_code == 200
    assert 'value="UBND TỈNH BẮC KẠN"' in page.get_data(as_text=True)
    response = post(client, GOOD)
    assert response.status_code == 302
    assert "Đã lưu cài đặt." in page_text(client.get("/settings/"))
    # Another app on the same data folder (another worker) reads the same values.
    other = create_app(app_config(Path(app.config["DATA_DIR"]).parent))
    saved = province.current(other.extensions["store"], other.config)
    assert saved.inspecting_body == "Sở Nội vụ tỉnh Thái Nguyên"
    assert saved.public_url == "https://cchc.thainguyen.gov.vn"  # the trailing slash dropped


@pytest.mark.parametrize("field, value, message", [
    ("public_url", "cchc.gov.vn", "phải là địa chỉ web bắt đầu bằng http:// hoặc https://"),
    ("public_url", "javascript:alert(1)", "phải là địa chỉ web bắt đầu bằng http:// hoặc https://"),
    ("public_url", "ftp://cchc.gov.vn", "phải là địa chỉ web bắt đầu bằng http:// hoặc https://"),
    ("public_url", "https://" + "a" * 300 + ".vn", "Ô này chỉ nhận tối đa 300 ký tự"),
    ("inspecting_body", "   ", "Ô này phải được điền."),
    ("superior_body", "Ủ" * 201, "Ô này chỉ nhận tối đa 200 ký tự"),
])
def test_bad_values_are_refused_in_vietnamese_and_change_nothing(app, field, value, message):
    client = login(app.test_client(), "admin")
    response = post(client, {**GOOD, field: value})
    assert response.status_code == 400
    text = page_text(response)
    assert message in text
    assert app.extensions["store"].get_settings() == {}


def test_the_page_is_for_admins_only(app):
    client = login(app.test_client(), "lead")
    assert client.get("/settings/").status_code == 403
    assert client.post("/settings/", data=GOOD).status_code in (400, 403)
    assert app.extensions["store"].get_settings() == {}


@pytest.mark.parametrize("value, expected", [
    ("", ""), ("http://10.0.0.5:8080", "http://10.0.0.5:8080"),
    ("https://cchc.gov.vn/app/", "https://cchc.gov.vn/app"),
])
def test_public_url_accepts_http_addresses(value, expected):
    assert public_url(value) == expected


@pytest.mark.parametrize("value", ["https://", "https://x.vn/?a=1", "https://u:p@x.vn",
                                   "https://x.vn:99999", "https://x .vn"])
def test_public_url_refuses_the_rest(value):
    with pytest.raises(Invalid):
        public_url(value)


def test_documents_and_qr_codes_use_the_saved_names_and_address(app, monkeypatch):
    store = app.extensions["store"]
    province.save(store, GOOD)
    lead = service.scope_for(store, store.get_user("lead"))
    record = service.start(store, app.extensions["checklists"], lead, commands.StartRequest(
        unit="NT", checklist="cchc-xa", period="2025", kind="inspection"))
    client = login(app.test_client(), "lead")
    text = page_text(client.get(f"/inspections/{record.id}/minutes"))
    assert "UBND TỈNH THÁI NGUYÊN SỞ NỘI VỤ TỈNH THÁI NGUYÊN" in text
    assert f"https://cchc.thainguyen.gov.vn/inspections/{record.id}" in text
    assert "http://localhost/inspections" not in text
    seen = []
    real = qr.svg_document
    monkeypatch.setattr(qr, "svg_document", lambda data, **kw: seen.append(data) or real(data, **kw))
    login(app.test_client(), "admin").get("/units/NT/door-qr.svg")
    assert seen == ["https://cchc.thainguyen.gov.vn/units/NT/door"]


def test_the_door_sheet_names_the_one_stop_centre(app):
    client = login(app.test_client(), "admin")
    assert "Trung tâm Phục vụ hành chính công" in page_text(client.get("/qr/door-sheet"))
    province.save(app.extensions["store"], GOOD)
    assert "Trung tâm Phục vụ hành chính công xã" in page_text(client.get("/qr/door-sheet"))
