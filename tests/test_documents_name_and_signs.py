"""The printed documents (minutes; print view and PDF): a record finalized before a
renaming keeps the old name of its commune; every character of a note reaches the PDF
(signs from the fallback font, a character no font has as □, never left out)."""
from __future__ import annotations

import html
import io
import re

import pytest
from pypdf import PdfReader

from inspect_app import create_app
from inspect_app.services import accounts, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .support import op

PASSWORD = "mat-khau-dai-2025"
CHECKLIST = """\
format: 1
id: kt63
version: "2023.1"
title: Kiểm tra công tác cải cách hành chính (thử)
kind: any
bands:
  - {min: 90, label: Tốt}
  - {min: 0, label: Yếu}
sections:
  - id: s1
    title: Công tác chỉ đạo, điều hành
    criteria:
      - {id: "1.1", text: Ban hành kế hoạch CCHC năm, type: yesno, points: 1}
      - {id: "1.2", text: Mức độ hoàn thành kế hoạch, type: score, points: 2.5}
"""


@pytest.fixture
def app(tmp_path):
    (tmp_path / "checklists").mkdir()
    (tmp_path / "checklists" / "kt63.yaml").write_text(CHECKLIST, encoding="utf-8")
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "t",
                      "CHECKLISTS_DIR": str(tmp_path / "checklists"), "PROVINCE": "Bắc Kạn"})
    store = app.extensions["store"]
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    accounts.create_user(store, "lead", "inspector", password=PASSWORD,
                         full_name="Nguyễn Ánh Xuân")
    return app


def finalized_record(app, note: str = "Chưa ban hành kế hoạch") -> str:
    store, library = app.extensions["store"], app.extensions["checklists"]
    lead = service.scope_for(store, store.get_user("lead"))
    record = service.start(store, library, lead, commands.StartRequest(
        unit="NT", checklist="kt63", period="2023", kind="inspection")).id
    for cid, content in (("1.1", {"value": False, "note": note}), ("1.2", {"value": 1.5})):
        service.save_answer(store, lead, record, commands.answer_op(
            cid, {"op_id": op(), "base_rev": 0, **content}))
    service.finalize(store, lead, record, commands.finalize_op({"op_id": op()}))
    return record


def client_of(app, username="lead"):
    client = app.test_client()
    user = app.extensions["store"].get_user(username)
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{user.username}:{user.password_hash[-12:]}"
        sess["_fresh"] = True
    return client


def view_text(response) -> str:
    assert response.status_code == 200
    body = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(body).split())


def pdf_text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_minutes_of_a_record_made_before_a_renaming_keep_the_old_name(app):
    """The province inspected Xã Nông Thượng on 07/04/2023 and finalized the minutes that
    day. On 01/07/2025 the commune is renamed "Xã Nông Thượng Mới" (units rename). The
    inspector opens the 2023 minutes again (print view and PDF) to file a copy. docs/units.md:
    "records made before that day keep showing it" (the old name; the lists already do,
    ``name_on``). The minutes of 2023 instead say that the team inspected "xã Nông Thượng
    Mới" at "Ủy ban nhân dân xã Nông Thượng Mới" on 07/04/2023, a commune that did not
    exist under that name then: the document uses the unit's name of today."""
    store = app.extensions["store"]
    record = finalized_record(app)

    def made_in_2023(inspection):
        inspection.created_at = "2023-04-07T01:00:00+00:00"
        inspection.finalized_at = "2023-04-07T03:00:00+00:00"

    store.update_inspection(record, made_in_2023)
    unit_service.rename_unit(store, "NT", "Xã Nông Thượng Mới", "01/07/2025")
    client = client_of(app)
    for text in (view_text(client.get(f"/inspections/{record}/minutes")),
                 pdf_text(client.get(f"/inspections/{record}/minutes.pdf"))):
        assert "ngày 07 tháng 4 năm 2023" in text
        assert "Nông Thượng Mới" not in text, text[:700]
        assert "Công tác cải cách hành chính năm 2023 tại xã Nông Thượng" in text


def test_the_minutes_pdf_keeps_every_character_of_a_note(app):
    """An inspector writes the note "Đã niêm yết ✓ 2 nội dung ① và ②" on a criterion that
    is not met (a check mark and circled numbers, as phone keyboards offer them). The print
    view of the minutes shows the note as typed; the PDF of the same minutes, the one sent
    to the commune, silently drops the characters the bundled font has no glyph for (fpdf2
    only logs "missing the following glyphs"): the finding reads "Đã niêm yết 2 nội dung
    và" — text the inspector entered is lost, and print view and PDF differ."""
    note = "Đã niêm yết ✓ 2 nội dung ① và ②"
    record = finalized_record(app, note=note)
    client = client_of(app)
    assert note in view_text(client.get(f"/inspections/{record}/minutes"))
    text = pdf_text(client.get(f"/inspections/{record}/minutes.pdf"))
    assert "Đã niêm yết" in text
    assert note in text, text[text.find("Đã niêm yết") - 40:][:160]


def test_a_character_no_font_has_is_printed_as_a_box_not_left_out(app):
    """A note with an emoji ("Đã có hộp thư góp ý 👍 tại bộ phận một cửa"): no bundled
    font has it; the PDF prints □ in its place, so the reader sees something was there."""
    record = finalized_record(app, note="Đã có hộp thư góp ý 👍 tại bộ phận một cửa")
    text = pdf_text(client_of(app).get(f"/inspections/{record}/minutes.pdf"))
    assert "Đã có hộp thư góp ý □ tại bộ phận một cửa" in text


def test_a_tab_in_a_note_is_printed_as_a_space_in_the_pdf(app):
    """An inspector pastes a note from a spreadsheet: "Hồ sơ<TAB>số 12 chưa ký" (cells
    copied keep their tab). The print view shows "Hồ sơ số 12"; the PDF printed "Hồ sơsố
    12": fpdf2 prints nothing for a tab, and the words were glued. A tab (or another
    control character) is a space in the PDF, never left out."""
    from inspect_app.exports import pdf

    record = finalized_record(app, note="Hồ sơ\tsố 12\tchưa ký")
    text = pdf_text(client_of(app).get(f"/inspections/{record}/minutes.pdf"))
    assert "Hồ sơ số 12 chưa ký" in text, text[text.find("Hồ sơ") - 40:][:160]
    # what no stored text holds any more, but an old record may: a space too
    assert pdf.printable("a\rb\x1fc\x85d\ne") == "a b c d\ne"


def test_a_unit_named_in_capitals_is_never_written_half_lowered(app):
    """The province's units file names a commune in capitals, "XÃ NÔNG THƯỢNG", as its
    letterhead does. The minutes said the inspection was made "tại xÃ NÔNG THƯỢNG": only
    the first letter lowered. A name in capitals is kept as it is; a type word typed
    with capitals ("Thị Trấn") is lowered whole."""
    from inspect_app.exports import documents

    unit_service.add_unit(app.extensions["store"], "NT", "XÃ NÔNG THƯỢNG")
    record = finalized_record(app)
    client = client_of(app)
    for text in (view_text(client.get(f"/inspections/{record}/minutes")),
                 pdf_text(client.get(f"/inspections/{record}/minutes.pdf"))):
        assert "xÃ" not in text
        assert "năm 2023 tại XÃ NÔNG THƯỢNG" in text, text[:700]
    assert documents.in_sentence("Thị Trấn Chợ Rã") == "thị trấn Chợ Rã"
    assert documents.in_sentence("UBND XÃ TẢ LỦNG") == "XÃ TẢ LỦNG"
