"""Printed minutes and remediation plan, QR codes, door QR routes (DESIGN §9).

The records are made through the services, as the app makes them; pages are read
as text (tags stripped) so that the checks say what a reader of the paper sees.
The browser test at the end prints both documents to PDF in Chromium.
"""
from __future__ import annotations

import datetime as _dt
import html
import io
import random
import re
import shutil
import subprocess
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

from inspect_app import create_app
from inspect_app.domain.models import RemediationItem
from inspect_app.exports import documents, qr
from inspect_app.services import accounts, commands, photos
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service
from inspect_app.services.demo import generated_answer

from .browser import chromium, live_server, login, page  # noqa: F401  (fixtures)

PASSWORD = "mat-khau-dai-2025"
CHECKLIST_YAML = """\
format: 1
id: doc-test
version: "2025.1"
title: Kiểm tra công tác cải cách hành chính (thử)
kind: any
bands:
  - {min: 90, label: Tốt}
  - {min: 80, label: Khá}
  - {min: 65, label: Trung bình}
  - {min: 0, label: Yếu}
sections:
  - id: chi_dao
    title: Công tác chỉ đạo, điều hành
    criteria:
      - {id: "1.1", text: Ban hành kế hoạch CCHC năm, type: yesno, points: 1,
         remedy: Ban hành kế hoạch CCHC năm đúng thời hạn, remedy_owner: Văn phòng HĐND-UBND xã,
         remedy_days: 30}
      - {id: "1.2", text: Mức độ hoàn thành kế hoạch, type: score, points: 2,
         remedy: Rà soát các nhiệm vụ chưa hoàn thành, remedy_owner: Chủ tịch UBND xã,
         remedy_days: 60}
      - {id: "1.3", text: "Báo cáo định kỳ đầy đủ, đúng hạn", type: yesno, points: 1.5}
  - id: tthc
    title: Cải cách thủ tục hành chính
    criteria:
      - {id: "3.1", text: Niêm yết công khai thủ tục hành chính, type: yesno, points: 2}
      - {id: "3.2", text: Tiếp nhận hồ sơ không phụ thuộc địa giới, type: yesno, points: 1,
         na_allowed: true}
      - {id: "3.9", text: Sổ theo dõi hồ sơ theo mẫu, type: yesno, points: 1.5}
  - id: thuong_tru
    title: Điểm thưởng, điểm trừ
    criteria:
      - {id: "9.1", text: Sáng kiến được công nhận, type: bonus, points: 2}
"""
SCRIPT_NOTE = "Chưa ban hành kế hoạch <script>alert(1)</script>"
FINALIZED_ON = _dt.date(2023, 4, 7)
# 01:30 on 7 April in Vietnam is still 6 April in UTC: the date must follow Vietnam time.
FINALIZED_AT = "2023-04-06T18:30:00+00:00"


def op() -> str:
    return str(uuid.uuid4())


def jpeg_bytes(color=(30, 120, 200), size=(64, 48)) -> bytes:
    """A small JPEG made with PIL."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def text_of(response) -> str:
    """The visible text of a page: tags stripped, entities decoded, spaces collapsed."""
    body = response.get_data(as_text=True)
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<svg\b.*?</svg>", " ", body, flags=re.S)
    body = re.sub(r"</?(span|strong|em|b|i|a)\b[^>]*>", "", body)  # inline: no gap
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def answer(store, scope, iid, cid, **content):
    record = store.get_inspection(iid)
    base = record.answers[cid].rev if cid in record.answers else 0
    service.save_answer(store, scope, iid, commands.answer_op(
        cid, {"op_id": op(), "base_rev": base, **content}))


# ---------------------------------------------------------------- the world of these tests

class World:
    """Units NT (inspected) and KL, users of every role, and the records below."""

    def __init__(self, app):
        self.app = app
        self.store = app.extensions["store"]
        self.library = app.extensions["checklists"]
        self.ids: dict[str, str] = {}
        self.photo = ""

    def scope(self, username):
        return service.scope_for(self.store, self.store.get_user(username))

    def client(self, username: str | None):
        """A test client with ``username`` logged in (Flask-Login's session id), or anonymous."""
        client = self.app.test_client()
        if username is not None:
            user = self.store.get_user(username)
            with client.session_transaction() as sess:
                sess["_user_id"] = f"{user.username}:{user.password_hash[-12:]}"
                sess["_fresh"] = True
        return client


def build_world(app) -> World:
    world = World(app)
    store = world.store
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    unit_service.add_unit(store, "KL", "Xã Kim Long")
    people = [
        ("admin", "admin", None, "Quản trị", ""),
        ("truongdoan", "inspector", None, "Nguyễn Ánh Xuân", "Trưởng phòng Cải cách hành chính"),
        ("thuky", "inspector", None, "Trần Thị Mai", "Chuyên viên Sở Nội vụ"),
        ("khac", "inspector", None, "Lê Văn Khác", "Chuyên viên"),
        ("lanhdao", "viewer", None, "Lê Văn Hùng", "Phó Giám đốc"),
        ("xa.nt", "unit", "NT", "Hoàng Văn Thạc", "Công chức Văn phòng - Thống kê"),
        ("xa.kl", "unit", "KL", "Phạm Thị Long", "Công chức Văn phòng"),
    ]
    for username, role, unit, name, position in people:
        accounts.create_user(store, username, role, unit=unit, password=PASSWORD,
                             full_name=name, position=position)

    # The unit's own self-score for the same checklist and period, finalized first.
    officer = world.scope("xa.nt")
    own = service.start(store, world.library, officer, commands.StartRequest(
        unit="NT", checklist="doc-test", period="2023", kind="self_check"))
    for cid, value in (("1.1", True), ("1.2", 2), ("1.3", True), ("3.1", True), ("3.9", True)):
        answer(store, officer, own.id, cid, value=value, note="Có hồ sơ")
    service.finalize(store, officer, own.id, commands.finalize_op(
        {"op_id": op(), "allow_unanswered": True}),
                     today=FINALIZED_ON)
    world.ids["self"] = own.id

    lead = world.scope("truongdoan")
    record = service.start(store, world.library, lead, commands.StartRequest(
        unit="NT", checklist="doc-test", period="2023", kind="inspection", team=["thuky"],
        number="12/BB-SNV"))
    iid = world.ids["final"] = record.id
    answer(store, lead, iid, "1.1", value=False, note=SCRIPT_NOTE)
    answer(store, lead, iid, "1.2", value=1.5)
    answer(store, lead, iid, "1.3", value=True)
    answer(store, lead, iid, "3.1", value=True)
    answer(store, lead, iid, "3.2", na=True)
    answer(store, lead, iid, "3.9", value=False, note="Sổ theo dõi hồ sơ ghi chưa đầy đủ")
    answer(store, lead, iid, "9.1", value=0.5)
    world.photo = photos.attach_to_answer(store, lead, iid, "3.1", jpeg_bytes(), op()).photo_id

    def make_secretary(inspection):
        inspection.member("thuky").role = "secretary"
    store.update_inspection(iid, make_secretary)
    service.finalize(store, lead, iid, commands.finalize_op({"op_id": op()}), today=FINALIZED_ON)

    def backdate_and_add_free_finding(inspection):
        inspection.finalized_at = FINALIZED_AT
        inspection.items.append(RemediationItem(
            id=f"{iid}-99", inspection=iid, unit="NT", criterion=None,
            finding="Vệ sinh công sở chưa sạch, đẹp", action="Thường xuyên vệ sinh công sở",
            owner="Văn phòng HĐND-UBND xã", due="2023-05-31", source="free"))
    store.update_inspection(iid, backdate_and_add_free_finding)

    draft = service.start(store, world.library, lead, commands.StartRequest(
        unit="NT", checklist="doc-test", period="2024", kind="inspection"))
    answer(store, lead, draft.id, "1.1", value=False, note="Chưa có kế hoạch năm 2024")
    world.ids["draft"] = draft.id
    return world


def config(root: Path, data_dir: Path) -> dict:
    return {"TESTING": True, "DATA_DIR": str(data_dir), "SECRET_KEY": "t",
            "CHECKLISTS_DIR": str(root / "checklists"), "PROVINCE": "Bắc Kạn",
            "INSPECTING_BODY": "Sở Nội vụ"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The world, built once per module (password hashing makes it cost a second)."""
    root = tmp_path_factory.mktemp("documents")
    (root / "checklists").mkdir()
    (root / "checklists" / "doc-test.yaml").write_text(CHECKLIST_YAML, encoding="utf-8")
    world = build_world(create_app(config(root, root / "data")))
    return root, world.ids, world.photo


@pytest.fixture
def world(built, tmp_path):
    """A private copy of the built world, so that a test may write to it."""
    root, ids, photo = built
    data = shutil.copytree(root / "data", tmp_path / "data",
                           ignore=shutil.ignore_patterns("*.lock"))
    world = World(create_app(config(root, data)))
    world.ids, world.photo = dict(ids), photo
    return world


@pytest.fixture
def minutes(world):
    response = world.client("admin").get(f"/inspections/{world.ids['final']}/minutes")
    assert response.status_code == 200
    return response


@pytest.fixture
def plan(world):
    response = world.client("admin").get(f"/inspections/{world.ids['final']}/plan")
    assert response.status_code == 200
    return response


# ---------------------------------------------------------------- QR codes

def test_qr_svg_is_inline_markup_scaled_by_its_viewbox():
    markup = qr.svg("https://example.org/units/NT/door")
    root = ET.fromstring(markup)
    assert not markup.startswith("<?xml")
    assert root.tag.endswith("svg") and root.get("viewBox")
    assert root.get("width") is None and root.get("height") is None  # CSS sizes it
    paths = root.findall("{http://www.w3.org/2000/svg}path")
    assert len(paths) == 1 and paths[0].get("d")
    assert 'id="' not in markup  # several codes on one page must not repeat an id


def test_different_data_gives_a_different_code():
    assert qr.svg("https://example.org/a") != qr.svg("https://example.org/b")
    assert qr.svg("https://example.org/a") == qr.svg("https://example.org/a")


def test_long_urls_are_encoded_in_a_larger_code():
    short = ET.fromstring(qr.svg("https://example.org/x"))
    long_url = "https://example.org/inspections/" + "x" * 1500 + "?t=" + "y" * 200
    big = ET.fromstring(qr.svg(long_url))
    size = lambda root: float(root.get("viewBox").split()[2])  # noqa: E731
    assert size(big) > 2 * size(short)


def test_svg_document_is_a_standalone_file_with_a_physical_size():
    data = qr.svg_document("https://example.org/units/NT/door")
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(data)
    assert root.get("width").endswith("mm") and root.get("viewBox")


def test_label_is_escaped_in_the_markup():
    markup = qr.svg("x", label='Xã "A" <b>')
    assert ET.fromstring(markup).get("aria-label") == 'Xã "A" <b>'
    assert "<b>" not in markup


# ---------------------------------------------------------------- helpers of the documents

@pytest.mark.parametrize("province, expected", [
    ("Bắc Kạn", "UBND TỈNH BẮC KẠN"),
    ("Thành phố Hải Phòng", "UBND THÀNH PHỐ HẢI PHÒNG"),
    ("tỉnh Lai Châu", "UBND TỈNH LAI CHÂU"),
    ("", ""),
])
def test_province_authority(province, expected):
    assert documents.province_authority(province) == expected


@pytest.mark.parametrize("name, issuer, in_text, place", [
    ("Xã Nông Thượng", "XÃ NÔNG THƯỢNG", "xã Nông Thượng", "Nông Thượng"),
    ("UBND xã Tả Lủng", "XÃ TẢ LỦNG", "xã Tả Lủng", "Tả Lủng"),
    ("Phường 3", "PHƯỜNG 3", "phường 3", "Phường 3"),
    ("Đặc khu Phú Quốc", "ĐẶC KHU PHÚ QUỐC", "đặc khu Phú Quốc", "Phú Quốc"),
    ("Sở Tư pháp", "SỞ TƯ PHÁP", "Sở Tư pháp", "Sở Tư pháp"),
])
def test_unit_names_in_headers_and_sentences(name, issuer, in_text, place):
    assert documents.unit_issuer(name) == ("ỦY BAN NHÂN DÂN", issuer)
    assert documents.in_sentence(name) == in_text
    assert documents.place_name(name) == place


def test_local_date_follows_the_vietnam_time_zone():
    assert documents.local_date(FINALIZED_AT, "Asia/Ho_Chi_Minh") == _dt.date(2023, 4, 7)
    assert documents.local_date(None, "Asia/Ho_Chi_Minh") is None


# ---------------------------------------------------------------- the minutes

def test_minutes_header(minutes):
    text = text_of(minutes)
    assert "UBND TỈNH BẮC KẠN SỞ NỘI VỤ" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc" in text
    assert "Số: 12/BB-SNV" in text
    assert "Nông Thượng, ngày 07 tháng 4 năm 2023" in text
    assert "BIÊN BẢN KIỂM TRA" in text
    assert "Công tác cải cách hành chính năm 2023 tại xã Nông Thượng" in text


def test_minutes_team_and_representatives(minutes):
    text = text_of(minutes)
    assert "Nguyễn Ánh Xuân, Trưởng phòng Cải cách hành chính — Trưởng đoàn" in text
    assert "Trần Thị Mai, Chuyên viên Sở Nội vụ — Thư ký" in text
    assert "Hoàng Văn Thạc, Công chức Văn phòng - Thống kê" in text
    assert "Phạm Thị Long" not in text  # a user of another unit


def test_minutes_results_in_vietnamese_format(minutes):
    text = text_of(minutes)
    # section: title, max, points, percent
    assert "Công tác chỉ đạo, điều hành 4,5 3 66,67%" in text
    assert "Cải cách thủ tục hành chính 3,5 2 57,14%" in text
    assert "Tổng cộng 8 5" in text
    assert "Điểm thưởng +0,5" in text
    assert "Tỷ lệ đạt — xếp loại: Trung bình 68,75%" in text
    assert "Điểm thưởng, điểm trừ" in text  # the bonus line is listed per criterion
    assert "Kết quả: đạt 5/8 điểm, điểm thưởng 0,5; tỷ lệ 68,75%; xếp loại Trung bình." in text


def test_minutes_criteria_show_the_self_score_beside_the_team_score(minutes):
    text = text_of(minutes)
    assert "Điểm tự chấm" in text
    # id, text, max, self-score, team score
    assert "1.1 Ban hành kế hoạch CCHC năm 1 1 0" in text
    assert "1.2 Mức độ hoàn thành kế hoạch 2 2 1,5" in text
    assert "3.2 Tiếp nhận hồ sơ không phụ thuộc địa giới 1 Chưa chấm Không áp dụng" in text
    assert "9.1 Sáng kiến được công nhận +2 0 +0,5" in text


def test_minutes_without_a_self_check_have_no_self_score_column(world):
    # the unit has no self-check for 2024, the period of the draft
    response = world.client("admin").get(f"/inspections/{world.ids['draft']}/minutes")
    assert "Điểm tự chấm" not in text_of(response)


def test_minutes_strengths_shortcomings_and_recommendations(minutes):
    text = text_of(minutes)
    assert "Công tác chỉ đạo, điều hành: đạt yêu cầu 1/3 tiêu chí, gồm: Báo cáo định kỳ" in text
    assert ("Cải cách thủ tục hành chính: đạt yêu cầu 1/2 tiêu chí, gồm: Niêm yết công khai "
            "thủ tục hành chính.") in text
    shortcomings = text.split("4. Tồn tại, hạn chế")[1].split("III. KIẾN NGHỊ")[0]
    assert f"Tiêu chí 1.1 (0/1 điểm): {SCRIPT_NOTE}" in shortcomings
    assert "Tiêu chí 1.2 (1,5/2 điểm): Chưa đạt đầy đủ: Mức độ hoàn thành kế hoạch" in shortcomings
    assert "Tiêu chí 3.9 (0/1,5 điểm): Sổ theo dõi hồ sơ ghi chưa đầy đủ" in shortcomings
    assert "Vệ sinh công sở chưa sạch, đẹp" in shortcomings
    assert "3.2" not in shortcomings and "1.3" not in shortcomings
    recommendations = text.split("III. KIẾN NGHỊ, ĐỀ NGHỊ")[1].split("IV. Ý KIẾN")[0]
    assert ("Ban hành kế hoạch CCHC năm đúng thời hạn (tiêu chí 1.1). Chủ trì: Văn phòng "
            "HĐND-UBND xã; thời hạn: 07/05/2023.") in recommendations
    assert ("Rà soát các nhiệm vụ chưa hoàn thành (tiêu chí 1.2). Chủ trì: Chủ tịch UBND xã; "
            "thời hạn: 06/06/2023.") in recommendations
    assert ("Khắc phục tồn tại: Sổ theo dõi hồ sơ ghi chưa đầy đủ (tiêu chí 3.9). Chủ trì: ……; "
            "thời hạn: ……") in recommendations
    assert ("Thường xuyên vệ sinh công sở. Chủ trì: Văn phòng HĐND-UBND xã; thời hạn: "
            "31/05/2023.") in recommendations
    assert "trước ngày 06/06/2023" in recommendations


def test_minutes_signatures_and_qr(minutes, world):
    text = text_of(minutes)
    assert "ĐẠI DIỆN ĐƠN VỊ ĐƯỢC KIỂM TRA" in text
    assert "THƯ KÝ (Ký, ghi rõ họ tên) Trần Thị Mai" in text
    assert "TRƯỞNG ĐOÀN (Ký, ghi rõ họ tên) Nguyễn Ánh Xuân" in text
    assert "IV. Ý KIẾN CỦA ĐƠN VỊ ĐƯỢC KIỂM TRA" in text
    body = minutes.get_data(as_text=True)
    assert body.count("<svg") == 1 and 'class="qr"' in body
    assert f"http://localhost/inspections/{world.ids['final']}" in text


def test_minutes_photo_thumbnails_in_the_annex(minutes, world):
    body = minutes.get_data(as_text=True)
    src = f"/inspections/{world.ids['final']}/photos/{world.photo}?variant=thumb"
    assert f'src="{src}"' in body
    assert "Tiêu chí 3.1: Niêm yết công khai thủ tục hành chính" in text_of(minutes)
    thumb = world.client("admin").get(src)
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"


def test_no_photo_annex_without_photos(world):
    response = world.client("admin").get(f"/inspections/{world.ids['draft']}/minutes")
    assert "Hình ảnh minh chứng" not in text_of(response)


def test_user_text_is_escaped(minutes, plan):
    for response in (minutes, plan):
        body = response.get_data(as_text=True)
        assert "<script>alert(1)" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
        assert "<script" not in re.sub(r'<script src="/static/print\.js(\?v=[0-9a-f]+)?" defer></script>',
                                       "", body)


def test_a_draft_is_marked_and_previews_its_shortcomings(world):
    response = world.client("truongdoan").get(f"/inspections/{world.ids['draft']}/minutes")
    text = text_of(response)
    assert response.status_code == 200
    assert "DỰ THẢO" in text
    assert "Số: …/BB-…" in text  # no number yet: left to fill in
    assert "Tiêu chí 1.1 (0/1 điểm): Chưa có kế hoạch năm 2024" in text
    assert world.app.extensions["store"].get_inspection(world.ids["draft"]).items == []


def test_minutes_of_a_self_check(world):
    response = world.client("xa.nt").get(f"/inspections/{world.ids['self']}/minutes")
    text = text_of(response)
    assert response.status_code == 200
    assert "ỦY BAN NHÂN DÂN XÃ NÔNG THƯỢNG" in text and "BIÊN BẢN TỰ KIỂM TRA" in text
    assert "CHỦ TRÌ" in text and "TRƯỞNG ĐOÀN" not in text


def test_the_toolbar_is_translated_and_the_document_is_not(world):
    client = world.client("admin")
    with client.session_transaction() as sess:
        sess["lang"] = "en"
    response = client.get(f"/inspections/{world.ids['final']}/minutes")
    body = response.get_data(as_text=True)
    assert '<html lang="vi">' in body
    assert ">Print</button>" in body and 'data-action="print"' in body
    assert "BIÊN BẢN KIỂM TRA" in body
    assert "/static/print.css" in body and "/static/print.js" in body
    assert "style=" not in body  # the Content-Security-Policy forbids inline styles


def test_print_stylesheet_follows_the_decree_and_breaks_tables_cleanly(world):
    css = world.client(None).get("/static/print.css").get_data(as_text=True)
    assert "@page { size: A4; margin: 20mm 15mm 20mm 30mm; }" in css
    assert "@page landscape { size: A4 landscape;" in css
    assert "thead { display: table-header-group; }" in css
    assert "tr { break-inside: avoid;" in css
    assert '"Times New Roman"' in css and '"Liberation Serif"' in css


# ---------------------------------------------------------------- the plan

def test_plan_header_and_sections(plan):
    text = text_of(plan)
    assert "ỦY BAN NHÂN DÂN XÃ NÔNG THƯỢNG" in text
    assert "Số: …/KH-UBND" in text
    assert "Nông Thượng, ngày …… tháng …… năm" in text
    assert ("KẾ HOẠCH Khắc phục tồn tại, hạn chế sau kiểm tra công tác cải cách hành chính "
            "năm 2023") in text
    assert ("Căn cứ Biên bản kiểm tra số 12/BB-SNV ngày 07 tháng 4 năm 2023 của Đoàn kiểm tra "
            "công tác cải cách hành chính (Sở Nội vụ)") in text
    for heading in ("I. MỤC ĐÍCH, YÊU CẦU", "II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN",
                    "III. NHIỆM VỤ, GIẢI PHÁP", "IV. TỔ CHỨC THỰC HIỆN", "Nơi nhận:",
                    "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH", "PHỤ LỤC"):
        assert heading in text
    assert "Ủy ban nhân dân xã Nông Thượng ban hành Kế hoạch" in text


def test_plan_appendix_has_the_eleven_columns_and_a_row_per_item(plan, world):
    body = plan.get_data(as_text=True)
    appendix = body.split('id="appendix"')[1]
    headers = re.findall(r"<th>([^<(][^<]*)</th>", appendix.split("col-numbers")[0])
    assert headers == ["STT", "Tiêu chí liên quan", "Tồn tại, hạn chế", "Nguyên nhân",
                       "Nhiệm vụ, giải pháp khắc phục", "Đơn vị/cá nhân chủ trì",
                       "Đơn vị phối hợp", "Thời hạn hoàn thành", "Sản phẩm/kết quả đầu ra",
                       "Kết quả thực hiện/tiến độ", "Ghi chú"]
    rows = appendix.split("<tbody>")[1].split("</tbody>")[0].count("<tr>")
    assert rows == len(world.store.get_inspection(world.ids["final"]).items) == 4
    text = text_of(plan)
    assert "1 1.1 Chưa ban hành kế hoạch" in text
    assert "07/05/2023" in text and "31/05/2023" in text
    assert "Chưa thực hiện" in text and "Quá hạn" in text
    assert 'class="qr"' in body


def test_plan_of_a_draft_is_marked(world):
    response = world.client("truongdoan").get(f"/inspections/{world.ids['draft']}/plan")
    assert response.status_code == 200 and "DỰ THẢO" in text_of(response)


# ---------------------------------------------------------------- access

@pytest.mark.parametrize("doc", ["minutes", "plan"])
@pytest.mark.parametrize("who, record, status", [
    ("admin", "final", 200), ("lanhdao", "final", 200), ("truongdoan", "final", 200),
    ("thuky", "final", 200), ("xa.nt", "final", 200),
    ("xa.kl", "final", 404),      # a user of another unit
    ("khac", "final", 404),       # an inspector who does not inspect this unit
    ("xa.nt", "draft", 404),      # a unit sees its inspections only once finalized
    ("truongdoan", "nope", 404),
])
def test_documents_are_checked_like_the_inspection_view(world, doc, who, record, status):
    iid = world.ids.get(record, "nonexistent1")
    assert world.client(who).get(f"/inspections/{iid}/{doc}").status_code == status
    assert world.client(who).get(f"/inspections/{iid}").status_code == status


@pytest.mark.parametrize("doc", ["minutes", "plan"])
def test_anonymous_users_are_sent_to_login(world, doc):
    response = world.client(None).get(f"/inspections/{world.ids['final']}/{doc}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_inspection_view_links_to_both_documents(world):
    body = world.client("admin").get(f"/inspections/{world.ids['final']}").get_data(as_text=True)
    assert f'href="/inspections/{world.ids["final"]}/minutes"' in body
    assert f'href="/inspections/{world.ids["final"]}/plan"' in body


# ---------------------------------------------------------------- door QR codes

def test_door_sends_an_officer_to_the_start_form_when_no_self_check_is_open(world):
    response = world.client("xa.nt").get("/units/NT/door")
    assert response.status_code == 302
    assert response.headers["Location"] == "/inspections/new?kind=self_check&unit=NT"


def test_door_sends_an_officer_to_the_newest_draft_self_check(world):
    officer = world.scope("xa.nt")
    older = service.start(world.store, world.library, officer, commands.StartRequest(
        unit="NT", checklist="doc-test", period="2024", kind="self_check"))

    def backdate(inspection):  # both may start within the same second
        inspection.created_at = "2024-01-01T00:00:00+00:00"
    world.store.update_inspection(older.id, backdate)
    newer = service.start(world.store, world.library, officer, commands.StartRequest(
        unit="NT", checklist="doc-test", period="2025", kind="self_check"))
    response = world.client("xa.nt").get("/units/NT/door")
    assert response.headers["Location"] == f"/inspections/{newer.id}"
    assert older.id != newer.id


@pytest.mark.parametrize("who, location", [
    ("admin", "/units/NT"),
    ("lanhdao", "/units/NT"),
    ("truongdoan", "/units/NT"),                          # inspects NT
    ("khac", "/inspections/new?kind=inspection&unit=NT"),  # may start one
])
def test_door_sends_other_roles_to_the_unit(world, who, location):
    response = world.client(who).get("/units/NT/door")
    assert response.status_code == 302 and response.headers["Location"] == location


@pytest.mark.parametrize("who, path", [
    ("xa.kl", "/units/NT/door"),  # another unit's door
    ("admin", "/units/ZZ/door"),  # no such unit
])
def test_door_of_a_unit_that_is_not_yours_is_404(world, who, path):
    assert world.client(who).get(path).status_code == 404


def test_door_asks_anonymous_users_to_log_in_first(world):
    response = world.client(None).get("/units/NT/door")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"] and "door" in response.headers["Location"]


@pytest.mark.parametrize("who, status", [
    ("admin", 200), ("lanhdao", 200), ("truongdoan", 200), ("xa.nt", 200),
    ("xa.kl", 404), ("khac", 404),
])
def test_door_qr_svg(world, who, status):
    response = world.client(who).get("/units/NT/door-qr.svg")
    assert response.status_code == status
    if status == 200:
        assert response.mimetype == "image/svg+xml"
        root = ET.fromstring(response.data)
        assert root.find("{http://www.w3.org/2000/svg}path") is not None


def test_door_qr_encodes_the_door_url(world, monkeypatch):
    seen = []
    real = qr.svg_document
    monkeypatch.setattr(qr, "svg_document",
                        lambda data, **kw: seen.append(data) or real(data, **kw))
    world.client("admin").get("/units/NT/door-qr.svg")
    assert seen == ["http://localhost/units/NT/door"]


@pytest.mark.parametrize("who, status", [
    ("admin", 200), ("truongdoan", 200), ("khac", 200),
    ("lanhdao", 403), ("xa.nt", 403),
])
def test_door_sheet(world, who, status):
    response = world.client(who).get("/qr/door-sheet")
    assert response.status_code == status
    if status == 200:
        body = response.get_data(as_text=True)
        assert body.count('<svg') == 2 and body.count('class="door-card"') == 2
        text = text_of(response)
        assert "Xã Kim Long" in text and "Xã Nông Thượng" in text
        assert "http://localhost/units/NT/door" in text


def test_door_sheet_has_eight_cards_per_page(world):
    for n in range(9):
        unit_service.add_unit(world.store, f"U{n}", f"Xã Thử {n}")
    body = world.client("admin").get("/qr/door-sheet").get_data(as_text=True)
    pages = body.split('class="sheet door-page"')[1:]
    assert [p.count('class="door-card"') for p in pages] == [8, 3]


# ---------------------------------------------------------------- in a real browser

A4_PRINTABLE_WIDTH_PX = round((210 - 30 - 15) / 25.4 * 96)  # 165 mm at 96 px per inch
SHOTS = Path(__file__).resolve().parent.parent / ".pytest_cache" / "documents"


@pytest.fixture(scope="module")
def realistic(live_server):
    """A finalized inspection of the shipped 57-criterion checklist, with long notes and a
    photo, on the live server (made once; its names are this module's own)."""
    store = live_server.store()
    library = live_server.app.extensions["checklists"]
    if store.get_unit("DOCB") is None:
        unit_service.add_unit(store, "DOCB", "Xã Vĩnh Hòa Hưng Bắc")
        for username, role, unit in (("doc.lead", "inspector", None), ("doc.unit", "unit", "DOCB"),
                                     ("doc.m1", "inspector", None), ("doc.m2", "inspector", None),
                                     ("doc.m3", "inspector", None), ("doc.m4", "inspector", None)):
            accounts.create_user(store, username, role, unit=unit, password=PASSWORD,
                                 full_name="Nguyễn Thị Phương Thảo", position="Chuyên viên")
    lead = service.scope_for(store, store.get_user("doc.lead"))
    record = service.start(store, library, lead, commands.StartRequest(
        unit="DOCB", checklist="cchc-xa", period="2025", kind="inspection", number="15/BB-SNV",
        team=["doc.m1", "doc.m2", "doc.m3", "doc.m4"]))  # a team of five, as in real rounds
    rng = random.Random(7)
    checklist = service.checklist_of(record)
    na_given = False
    for criterion in checklist.criteria:
        content = generated_answer(criterion, rng, 0.6)
        if content is None:
            continue
        if criterion.na_allowed and not na_given:  # "Không áp dụng" in the points column
            content, na_given = {"na": True}, True
        elif criterion.id == "1.1":  # a shortcoming whose finding is a long, hostile note
            content = {"value": "khong_ban_hanh"}
            content["note"] = SCRIPT_NOTE + " " + "Kếhoạchsố06/KH-UBNDngày18/01/2023" * 4
        elif rng.random() < 0.3:
            content["note"] = ("Đoàn kiểm tra ghi nhận: hồ sơ lưu trữ chưa đầy đủ, "
                               "chưa cập nhật kịp thời trên hệ thống một cửa điện tử. ") * 2
        answer(store, lead, record.id, criterion.id, **content)
    photos.attach_to_answer(store, lead, record.id, "1.1", jpeg_bytes(), op())
    service.finalize(store, lead, record.id, commands.finalize_op(
        {"op_id": op(), "allow_unanswered": True}),
                     today=FINALIZED_ON)
    return record.id


def widest_element(page) -> dict:
    """The right edge of the widest element against the body's width, in CSS px."""
    return page.evaluate("""() => {
        let right = 0, culprit = "";
        for (const el of document.querySelectorAll("body *")) {
            const box = el.getBoundingClientRect();
            if (box.width && box.right > right) {
                right = box.right; culprit = el.tagName + "." + el.className;
            }
        }
        return {right, body: document.body.getBoundingClientRect().width, culprit};
    }""")


@pytest.mark.parametrize("doc", ["minutes", "plan"])
def test_documents_print_to_a4_without_overflow(live_server, realistic, page, doc):  # noqa: F811
    login(page, live_server, "doc.lead", PASSWORD)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": A4_PRINTABLE_WIDTH_PX, "height": 1000})
    response = page.goto(f"{live_server.url}/inspections/{realistic}/{doc}")
    assert response.status == 200
    page.emulate_media(media="print")
    assert page.locator(".doc-toolbar").is_hidden()
    found = widest_element(page)
    assert found["right"] <= found["body"] + 1, f"{found['culprit']} sticks out: {found}"
    page.screenshot(path=str(SHOTS / f"{doc}-print.png"), full_page=True)
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    path = SHOTS / f"{doc}.pdf"
    path.write_bytes(pdf)
    if shutil.which("pdftotext"):  # poppler-utils, when installed; no Python dependency
        raw = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                             check=True).stdout
        text = " ".join(raw.split())
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
        assert "Độc lập - Tự do - Hạnh phúc" in text
        assert ("BIÊN BẢN KIỂM TRA" if doc == "minutes" else "KẾ HOẠCH") in text
        assert "<script>alert(1)</script>" in "".join(raw.split())  # printed as text, not run
    if shutil.which("pdfinfo") and doc == "plan":
        info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(path)],
                              capture_output=True, text=True, check=True).stdout
        sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)
        portrait = [float(w) < float(h) for w, h in sizes]
        assert portrait[0] and not portrait[-1], "the appendix prints on landscape pages"
    if doc == "minutes":
        assert page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")


def overflowing_boxes(page) -> list[str]:
    """Elements of the sheets whose text is wider than their box (cut off on paper)."""
    return page.evaluate("""() => [...document.querySelectorAll(".sheet td, .sheet th, .sheet p, .sheet li")]
        .filter(el => el.scrollWidth > el.clientWidth + 1)
        .map(el => el.tagName + "." + el.className + ": " + el.textContent.trim().slice(0, 40))""")


@pytest.mark.parametrize("doc", ["minutes", "plan"])
def test_printed_text_stays_in_its_box_and_uses_the_bundled_font(live_server, realistic, page,
                                                                 doc):  # noqa: F811
    login(page, live_server, "doc.lead", PASSWORD)
    page.set_viewport_size({"width": A4_PRINTABLE_WIDTH_PX, "height": 1000})
    assert page.goto(f"{live_server.url}/inspections/{realistic}/{doc}").status == 200
    page.emulate_media(media="print")
    page.evaluate("document.fonts.ready")
    assert page.evaluate("""() => document.fonts.check('13pt "Doc Serif"') &&
        [...document.fonts].some(f => f.family.replace(/"/g, "") === "Doc Serif"
                                      && f.status === "loaded")""")
    assert getComputedStyleFamily(page).startswith('"Doc Serif"')
    assert overflowing_boxes(page) == []
    if doc == "minutes":
        na_cells = page.locator("td", has_text="Không áp dụng")
        assert na_cells.count() >= 1
    else:  # the appendix on a landscape page: its last column ("Ghi chú") keeps its edge
        page.set_viewport_size({"width": round((297 - 20 - 20) / 25.4 * 96), "height": 700})
        edges = page.evaluate("""() => {
            const table = document.querySelector("table.appendix");
            const sheet = document.querySelector("#appendix");
            const last = table.querySelector("thead th:last-child");
            return {table: table.getBoundingClientRect().right,
                    sheet: sheet.getBoundingClientRect().right,
                    body: document.body.getBoundingClientRect().width,
                    last: last.textContent, lastRight: last.getBoundingClientRect().right};
        }""")
        assert edges["last"] == "Ghi chú"
        assert edges["table"] <= edges["body"] + 1 and edges["lastRight"] <= edges["body"] + 1
        assert overflowing_boxes(page) == []


def getComputedStyleFamily(page) -> str:
    return page.evaluate("getComputedStyle(document.querySelector('.sheet')).fontFamily")


@pytest.mark.parametrize("doc", ["minutes", "plan"])
def test_the_first_printed_page_is_not_left_half_empty(live_server, realistic, page, doc):  # noqa: F811
    from pypdf import PdfReader
    login(page, live_server, "doc.lead", PASSWORD)
    assert page.goto(f"{live_server.url}/inspections/{realistic}/{doc}").status == 200
    page.emulate_media(media="print")
    page.evaluate("document.fonts.ready")
    reader = PdfReader(io.BytesIO(page.pdf(format="A4", prefer_css_page_size=True)))
    portrait = [p for p in reader.pages if p.mediabox.width < p.mediabox.height]
    lines = [len([x for x in p.extract_text().splitlines() if x.strip()]) for p in portrait]
    assert len(lines) >= 3
    # the first page holds at least two thirds of the lines of a full page (the last
    # portrait page may be short)
    assert lines[0] >= 0.66 * max(lines[1:-1]), lines
    text = " ".join(reader.pages[0].extract_text().split())
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text


def test_door_sheet_prints_eight_cards_to_an_a4_page(live_server, realistic, page):  # noqa: F811
    login(page, live_server, "doc.lead", PASSWORD)
    page.set_viewport_size({"width": round(190 / 25.4 * 96), "height": 1000})  # 10 mm margins
    assert page.goto(f"{live_server.url}/qr/door-sheet").status == 200
    page.emulate_media(media="print")
    found = widest_element(page)
    assert found["right"] <= found["body"] + 1, f"{found['culprit']} sticks out: {found}"
    path = SHOTS / "door-sheet.pdf"
    path.write_bytes(page.pdf(format="A4", prefer_css_page_size=True))
    cards = page.locator(".door-card").count()
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                              check=True).stdout
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
        assert pages == -(-cards // 8), "eight cards to a page, no page left half-used"


def test_the_print_button_opens_the_print_dialog(live_server, realistic, page):  # noqa: F811
    login(page, live_server, "doc.lead", PASSWORD)
    page.goto(f"{live_server.url}/inspections/{realistic}/minutes")
    # window.print is replaced before the click: a headless browser has no dialog to open.
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.click("button[data-action=print]")
    assert page.evaluate("window.printed") == 1
