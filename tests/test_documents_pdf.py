"""The minutes and the plan as PDF files made on the server (issue 15 point 3): their text
extracted with pypdf holds the Vietnamese header lines and the figures of the print view,
the appendix is on landscape pages, the bundled font is embedded, and the routes are
checked like the print views."""
from __future__ import annotations

import io
import shutil

import pytest
from pypdf import PdfReader

from inspect_app import create_app
from inspect_app.domain.models import RemediationItem
from inspect_app.domain.text import LONG_TEXT
from inspect_app.services import accounts, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .support import op

PASSWORD = "mat-khau-dai-2025"
CHECKLIST = """\
format: 1
id: pdf-test
version: "2025.1"
title: Kiểm tra công tác cải cách hành chính (thử)
kind: any
bands:
  - {min: 90, label: Tốt}
  - {min: 0, label: Yếu}
sections:
  - id: chi_dao
    title: Công tác chỉ đạo, điều hành
    criteria:
      - {id: "1.1", text: Ban hành kế hoạch CCHC năm, type: yesno, points: 1,
         remedy: Ban hành kế hoạch CCHC năm đúng thời hạn, remedy_owner: Văn phòng HĐND-UBND xã,
         remedy_days: 30}
      - {id: "1.2", text: Mức độ hoàn thành kế hoạch, type: score, points: 2.5}
      - {id: "3.2", text: Tiếp nhận hồ sơ không phụ thuộc địa giới, type: yesno, points: 1,
         na_allowed: true}
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("pdf")
    (root / "checklists").mkdir()
    (root / "checklists" / "pdf-test.yaml").write_text(CHECKLIST, encoding="utf-8")
    app = create_app(config(root, root / "data"))
    store, library = app.extensions["store"], app.extensions["checklists"]
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    unit_service.add_unit(store, "KL", "Xã Kim Long")
    accounts.create_user(store, "lead", "inspector", password=PASSWORD,
                         full_name="Nguyễn Ánh Xuân")
    accounts.create_user(store, "xa.kl", "unit", unit="KL", password=PASSWORD)
    lead = service.scope_for(store, store.get_user("lead"))
    record = service.start(store, library, lead, commands.StartRequest(
        unit="NT", checklist="pdf-test", period="2023", kind="inspection", number="12/BB-SNV"))
    for cid, content in (("1.1", {"value": False, "note": "Chưa ban hành kế hoạch"}),
                         ("1.2", {"value": 1.5}), ("3.2", {"na": True})):
        service.save_answer(store, lead, record.id, commands.answer_op(
            cid, {"op_id": op(), "base_rev": 0, **content}))
    service.finalize(store, lead, record.id, commands.finalize_op({"op_id": op()}))

    def add_item(inspection):
        inspection.items.append(RemediationItem(
            id=f"{record.id}-99", inspection=record.id, unit="NT", criterion=None,
            finding="Vệ sinh công sở chưa sạch, đẹp", action="Thường xuyên vệ sinh công sở",
            owner="Văn phòng HĐND-UBND xã", due="2023-05-31", source="free",
            reason="Ghi chú cuối cùng của bảng"))
    store.update_inspection(record.id, add_item)
    return root, record.id


def config(root, data):
    return {"TESTING": True, "DATA_DIR": str(data), "SECRET_KEY": "t",
            "CHECKLISTS_DIR": str(root / "checklists"), "PROVINCE": "Bắc Kạn"}


@pytest.fixture
def app(built, tmp_path):
    root, _ = built
    data = shutil.copytree(root / "data", tmp_path / "data",
                           ignore=shutil.ignore_patterns("*.lock"))
    return create_app(config(root, data))


def client_of(app, username):
    client = app.test_client()
    user = app.extensions["store"].get_user(username)
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{user.username}:{user.password_hash[-12:]}"
        sess["_fresh"] = True
    return client


def pdf_of(app, built, doc, username="lead"):
    response = client_of(app, username).get(f"/inspections/{built[1]}/{doc}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    return PdfReader(io.BytesIO(response.data))


def text_of(reader) -> str:
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_minutes_pdf_has_the_header_lines_and_the_figures(app, built):
    reader = pdf_of(app, built, "minutes")
    text = text_of(reader)
    for line in ("UBND TỈNH BẮC KẠN", "SỞ NỘI VỤ", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                 "Độc lập - Tự do - Hạnh phúc", "Số: 12/BB-SNV", "BIÊN BẢN KIỂM TRA",
                 "Công tác cải cách hành chính năm 2023 tại xã Nông Thượng",
                 "Không áp dụng", "Chưa ban hành kế hoạch", "Nguyễn Ánh Xuân", "TRƯỞNG ĐOÀN"):
        assert line in text, line
    # 1,5 of 2,5 + 0 of 1 (N/A out of the total): 1,5/3,5 → 42,86 %
    assert "1,5/3,5" in text and "42,86" in text
    assert text.index("UBND TỈNH BẮC KẠN") < text.index("SỞ NỘI VỤ")
    fonts = {str(font) for page in reader.pages
             for font in page["/Resources"]["/Font"].values()
             for font in [font.get_object()["/BaseFont"]]}
    assert any("LiberationSerif" in f for f in fonts), fonts
    assert all(page.mediabox.width < page.mediabox.height for page in reader.pages)


def test_plan_pdf_has_its_appendix_on_landscape_pages_with_the_last_column(app, built):
    reader = pdf_of(app, built, "plan")
    text = text_of(reader)
    for line in ("ỦY BAN NHÂN DÂN", "XÃ NÔNG THƯỢNG", "KẾ HOẠCH", "PHỤ LỤC",
                 "Thường xuyên vệ sinh công sở", "31/05/2023"):
        assert line in text, line
    first, last = reader.pages[0], reader.pages[-1]
    assert first.mediabox.width < first.mediabox.height
    assert last.mediabox.width > last.mediabox.height
    appendix = " ".join(last.extract_text().split())
    assert "Ghi chú" in appendix and "Ghi chú cuối cùng của bảng" in appendix
    # the column numbers under the headings, as the print view and the decree's form have
    assert "(1) (2) (3) (4) (5) (6) (7) (8) (9) (10) (11)" in appendix, appendix[:400]


def test_pdf_uses_the_configured_public_address(app, built):
    from inspect_app.services import province
    province.save(app.extensions["store"], {"inspecting_body": "Sở Nội vụ",
                                            "public_url": "https://cchc.example.vn"})
    text = text_of(pdf_of(app, built, "minutes"))
    assert f"https://cchc.example.vn/inspections/{built[1]}" in text


@pytest.mark.parametrize("doc", ["minutes", "plan"])
def test_a_record_the_user_may_not_see_is_404(app, built, doc):
    assert client_of(app, "xa.kl").get(f"/inspections/{built[1]}/{doc}.pdf").status_code == 404
    assert app.test_client().get(f"/inspections/{built[1]}/{doc}.pdf").status_code == 302


def test_the_plan_pdf_of_a_finding_with_a_detailed_note_is_made(app):
    """An inspector writes a detailed note (about 1 500 characters, well within the 4 000
    a note may hold) on a criterion that is not met; finalizing makes it the finding of a
    plan item; the commune downloads the remediation plan as PDF. The appendix is an fpdf2
    table whose rows cannot continue on the next page: the row was taller than a page and
    the download a 500 (the HTML print view was fine). The long cell now goes on in the
    rows below it, every word of the finding in the PDF."""
    store, library = app.extensions["store"], app.extensions["checklists"]
    lead = service.scope_for(store, store.get_user("lead"))
    record = service.start(store, library, lead, commands.StartRequest(
        unit="KL", checklist="pdf-test", period="2024", kind="inspection")).id
    note = ("Hồ sơ tiếp nhận tại bộ phận một cửa chưa được cập nhật đầy đủ lên hệ thống "
            "thông tin giải quyết thủ tục hành chính của tỉnh; ") * 12 + "hết."
    assert len(note) < 4000
    service.save_answer(store, lead, record, commands.answer_op(
        "1.1", {"op_id": op(), "base_rev": 0, "value": False, "note": note}))
    service.finalize(store, lead, record, commands.finalize_op(
        {"op_id": op(), "allow_unanswered": True}))
    assert any(item.finding == note for item in store.get_inspection(record).items)
    client = client_of(app, "lead")
    assert client.get(f"/inspections/{record}/plan").status_code == 200
    response = client.get(f"/inspections/{record}/plan.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(" ".join(page.extract_text().split())
                    for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "thủ tục hành chính của tỉnh; hết." in text


def _long(field: str, n: int) -> str:
    """Just under the 4.000 characters a text may hold, ending in the marker of ``n``."""
    words = {"finding": "hồ sơ một cửa chưa cập nhật đầy đủ ✓",
             "cause": "cán bộ kiêm nhiệm, thiếu hướng dẫn",
             "action": "rà soát và niêm yết công khai thủ tục",
             "output": "báo cáo kết quả kèm danh mục"}[field] + "; "
    tail = f"#{field[0]}{n}."
    return words * ((LONG_TEXT - len(tail)) // len(words)) + tail


def _without_page_number(page) -> str:
    """The page's text without its footer (the page number, printed last)."""
    lines = page.extract_text().splitlines()
    return "\n".join(lines[:-1] if lines and lines[-1].strip().isdigit() else lines)


def test_the_plan_pdf_of_many_long_items_prints_every_text_whole(app):
    """What happened: an inspection with 80 remediation items, each finding, cause, action
    and output written at length within the 4.000 characters a text may hold: the plan's
    PDF took more than a minute (fpdf2 laid every cell out twice, measuring the whole line
    again for each character) and the deployment's gunicorn killed the request (502).
    The texts are now wrapped once, word by word; every text is printed whole, in the
    body and in the appendix (each long cell continued in the rows below it, the header
    rows repeated on every landscape page). The time is measured in
    bench/bench_plan_pdf.py."""
    store, library = app.extensions["store"], app.extensions["checklists"]
    lead = service.scope_for(store, store.get_user("lead"))
    record = service.start(store, library, lead, commands.StartRequest(
        unit="KL", checklist="pdf-test", period="2024", kind="inspection")).id
    count = 12

    def add(inspection):
        for n in range(1, count + 1):
            inspection.items.append(RemediationItem(
                id=f"{record}-{n}", inspection=record, unit="KL", criterion=None,
                owner="Văn phòng HĐND-UBND xã", due="2024-12-31", source="free",
                **{k: _long(k, n) for k in ("finding", "cause", "action", "output")}))
    store.update_inspection(record, add)
    service.finalize(store, lead, record, commands.finalize_op(
        {"op_id": op(), "allow_unanswered": True}))
    response = client_of(app, "lead").get(f"/inspections/{record}/plan.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    appendix = [page for page in reader.pages if page.mediabox.width > page.mediabox.height]
    body = " ".join(" ".join(_without_page_number(page) for page in reader.pages
                             if page not in appendix).split())
    table = " ".join(" ".join(page.extract_text() for page in appendix).split())
    for n in range(1, count + 1):
        for field in ("finding", "cause", "action"):
            assert " ".join(_long(field, n).split()) in body, (field, n)
        for field in ("finding", "cause", "action", "output"):
            assert f"#{field[0]}{n}." in table, (field, n)
    pages = [" ".join(page.extract_text().split()) for page in appendix]
    assert len(pages) > 10
    assert all("(1) (2) (3)" in page and "Tồn tại, hạn chế" in page for page in pages)
