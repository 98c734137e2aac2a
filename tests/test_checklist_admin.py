"""Checklist administration in the web app (issue 14 point 2): upload a workbook, see every
problem at its sheet and cell, preview, publish a new version that new inspections use
while started ones keep theirs, versions with what changed, download, retire."""
from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest

from inspect_app.domain import checklist_workbook as layout
from inspect_app.services import accounts
from inspect_app.services import inspections as inspection_service
from inspect_app.services.commands import StartRequest
from inspect_app.storage.checklist_files import ChecklistLibrary, load_file
from inspect_app.storage.checklist_workbooks import read_workbook

from .support import PASSWORD, csrf_of, login
from .test_checklist_workbooks import openpyxl_bytes, plain_rows

ROOT = Path(__file__).resolve().parent.parent
CHECKLIST = "tu-kiem-tra-mot-cua-tuan"


@pytest.fixture
def admin(app, client):
    store = app.extensions["store"]
    accounts.create_user(store, "quantri", "admin", password=PASSWORD)
    accounts.create_user(store, "xem", "viewer", password=PASSWORD)
    login(client, "quantri")
    return client


def download(client, checklist_id=CHECKLIST, **query) -> bytes:
    response = client.get(f"/checklists/{checklist_id}/workbook", query_string=query)
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return response.data


def edited(raw: bytes, change) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(raw))
    sheets = {name: [list(r) for r in book[name].iter_rows(values_only=True)]
              for name in layout.DATA_SHEETS}
    change(sheets)
    return openpyxl_bytes(plain_rows(sheets))


def upload(client, raw: bytes, name="bang-kiem.xlsx"):
    page = client.get("/checklists/").get_data(as_text=True)
    return client.post("/checklists/upload", data={
        "csrf_token": csrf_of(page), "file": (io.BytesIO(raw), name)},
        content_type="multipart/form-data")


def row_of(sheets, criterion_id):
    return next(i for i, r in enumerate(sheets[layout.CRITERIA]) if r[1] == criterion_id)


def test_upload_with_errors_fix_publish_then_new_records_use_it_and_old_ones_keep_theirs(
        app, admin):
    store = app.extensions["store"]
    library = app.extensions["checklists"]
    old = library.get(CHECKLIST)
    unit = "X1"
    from inspect_app.services import units as unit_service
    unit_service.add_unit(store, unit, "Xã Một")
    from inspect_app.domain.access import Scope
    scope = Scope(store.get_user("quantri"))
    started = inspection_service.start(store, library, scope, StartRequest(
        unit=unit, checklist=CHECKLIST, period="2025-W10", kind="self_check"))

    raw = download(admin)

    def broken(sheets):
        crit = sheets[layout.CRITERIA]
        crit[row_of(sheets, "W1")][3] = "hopkiem"  # a wrong type
        crit[row_of(sheets, "W6")][4] = "nhiều"    # points that are no number

    response = upload(admin, edited(raw, broken))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    problems = re.findall(r"<li><code>(.*?)</code></li>", html)
    assert len(problems) == 2
    assert problems[0].startswith("Tiêu chí!D") and "hopkiem" in problems[0]
    assert problems[1].startswith("Tiêu chí!E") and "phải là số" in problems[1]
    assert library.get(CHECKLIST).hash == old.hash  # nothing changed

    def fixed(sheets):
        crit = sheets[layout.CRITERIA]
        crit[row_of(sheets, "W1")][4] = 2           # points changed 1 → 2
        del crit[row_of(sheets, "W3")]               # a criterion removed
        inputs = sheets[layout.INPUTS]
        sheets[layout.INPUTS] = [r for r in inputs if r[0] != "W3"]
        sheets[layout.BANDS] = [r for r in sheets[layout.BANDS] if r[0] != "W3"]
        sheets[layout.OPTIONS] = [r for r in sheets[layout.OPTIONS] if r[0] != "W3"]
        crit.append([crit[1][0], "W99", "Tiêu chí mới", "yesno", 1])
        general = sheets[layout.GENERAL]
        next(r for r in general if r[0] == "version")[2] = "2026.1"

    response = upload(admin, edited(raw, fixed))
    assert response.status_code == 302, response.get_data(as_text=True)
    preview = admin.get(response.headers["Location"])
    html = preview.get_data(as_text=True)
    assert "Xem trước: chưa phát hành" in html
    assert "Thêm:</li>" not in html and "W99 Tiêu chí mới" in html
    assert re.search(r"Bỏ: W3 ", html)
    assert re.search(r"Đổi điểm: W1 .*: 1 → 2", html)
    assert library.get(CHECKLIST).hash == old.hash  # a preview publishes nothing

    publish_url = re.search(r'action="(/checklists/drafts/[^"]+/publish)"', html).group(1)
    response = admin.post(publish_url, data={"csrf_token": csrf_of(html)})
    assert response.status_code == 302
    new = library.get(CHECKLIST)
    assert new.version == "2026.1" and new.criterion("W99") and not new.criterion("W3")
    assert new.criterion("W1").points == 2
    # a second server on the same store sees it too
    other = ChecklistLibrary(app.config["CHECKLISTS_DIR"], store)
    assert other.get(CHECKLIST).hash == new.hash
    # the seed file is untouched; the old record keeps its snapshot
    assert load_file(ROOT / "checklists" / f"{CHECKLIST}.yaml").hash == old.hash
    assert store.get_inspection(started.id).checklist["hash"] == old.hash
    fresh = inspection_service.start(store, library, scope, StartRequest(
        unit=unit, checklist=CHECKLIST, period="2025-W11", kind="self_check"))
    assert fresh.checklist["hash"] == new.hash
    # the same draft cannot be published twice
    assert admin.post(publish_url, data={"csrf_token": csrf_of(html)}).status_code == 404

    versions = admin.get(f"/checklists/{CHECKLIST}/versions").get_data(as_text=True)
    assert "Tệp gốc" in versions and "Phiên bản phát hành 1" in versions
    assert re.search(r"Đổi điểm: W1 .*: 1 → 2", versions)
    # any version downloads as a workbook, and reads back as that version
    checklist, _ = read_workbook(download(admin, version="0"))
    assert checklist.hash == old.hash
    checklist, _ = read_workbook(download(admin))
    assert checklist.hash == new.hash


def test_retire_hides_it_from_new_records_but_not_from_admins(app, admin, client):
    page = admin.get(f"/checklists/{CHECKLIST}").get_data(as_text=True)
    response = admin.post(f"/checklists/{CHECKLIST}/retire",
                          data={"csrf_token": csrf_of(page), "retired": "1"})
    assert response.status_code == 302
    library = app.extensions["checklists"]
    assert library.retired(CHECKLIST)
    assert CHECKLIST not in {c.id for c in library.all()}
    assert "đã ngừng dùng" in admin.get("/checklists/").get_data(as_text=True)
    from inspect_app.domain.access import Scope
    from inspect_app.services import Invalid
    from inspect_app.services import units as unit_service
    store = app.extensions["store"]
    unit_service.add_unit(store, "X1", "Xã Một")
    with pytest.raises(Invalid) as refused:
        inspection_service.start(store, library, Scope(store.get_user("quantri")), StartRequest(
            unit="X1", checklist=CHECKLIST, period="2025-W10", kind="self_check"))
    assert "retired" in str(refused.value.details)
    admin.post("/logout", data={"csrf_token": csrf_of(page)})
    login(client, "xem")
    assert client.get(f"/checklists/{CHECKLIST}").status_code == 404
    assert client.get(f"/checklists/{CHECKLIST}/workbook").status_code == 404


def test_a_yaml_upload_and_a_file_that_is_no_workbook(admin):
    response = upload(admin, b"%PDF-1.4 not a workbook", "x.xlsx")
    assert response.status_code == 400
    assert "không phải tệp Excel (.xlsx)" in response.get_data(as_text=True)
    text = (ROOT / "checklists" / f"{CHECKLIST}.yaml").read_text(encoding="utf-8")
    response = upload(admin, text.replace("version: \"2025.1\"", "version: \"2025.9\"").encode(),
                      "x.yaml")
    assert response.status_code == 302
    html = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Không tiêu chí nào thay đổi." in html


def test_uploads_without_the_csrf_token_are_refused(admin):
    response = admin.post("/checklists/upload", data={
        "file": (io.BytesIO(b"x"), "x.xlsx")}, content_type="multipart/form-data")
    assert response.status_code in (302, 400)
    assert not list((Path(admin.application.config["DATA_DIR"]) / "checklists").glob(
        ".drafts/*.yaml"))
    assert not admin.application.extensions["store"]._drafts  # the memory store's drafts


def test_new_content_under_a_version_text_already_published_is_refused(app):
    """An admin publishes cchc-xa with a criterion added but its `version` text unchanged.
    Records name their checklist by that text (minutes, the Excel score sheets, which kept
    one set of criteria per text: the newer record's point for the added criterion was in
    no row). A new content needs a new version text, as ODK asks of a form's version; the
    same content with a new text is published."""
    import copy

    from inspect_app.services import Invalid
    from inspect_app.services import checklists as checklist_admin
    from inspect_app.storage.checklist_workbooks import checklist_yaml

    library = app.extensions["checklists"]
    old = library.get("cchc-xa")
    data = copy.deepcopy(dict(old.data))
    data["sections"][0]["criteria"].append(
        {"id": "1.99", "text": "Tiêu chí bổ sung", "type": "yesno", "points": 1})
    with pytest.raises(Invalid) as refused:
        checklist_admin.publish(library, checklist_admin.save_draft(library, checklist_yaml(data)))
    assert refused.value.details.get("field") == "version"
    assert library.get("cchc-xa").hash == old.hash
    data["version"] = "2026.1"
    version = checklist_admin.publish(library, checklist_admin.save_draft(library,
                                                                          checklist_yaml(data)))
    assert library.get("cchc-xa").hash == version.checklist.hash != old.hash
