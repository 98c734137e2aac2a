"""The appraisal result (kết quả thẩm định) of PAR-index assessments: the workbook's
appraisal sheet (real numbers, text never a formula, final scores in the summary, rounds
in progress hidden from the unit) and the printable page per unit."""
from __future__ import annotations

import datetime as _dt
import io
import re
from decimal import Decimal

import openpyxl
import pytest

from inspect_app.exports import workbook, xlsx
from inspect_app.services import accounts, assessments, commands
from inspect_app.services import exports as export_service
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .support import PASSWORD, csrf_of, login, op
from .test_shipped_checklists import full_answers

TODAY = _dt.date(2025, 12, 1)
HOSTILE = "=HYPERLINK(\"http://x\",\"y\")"


@pytest.fixture
def world(app):
    """A finished assessment of A (3 changes in round 1, 1.6 and 3.2 asked to explain,
    1.6 explained with a text that looks like a formula, 1.6 changed back in round 2)
    and one of B submitted, round 1 in progress (5.4 lowered)."""
    store, library = app.extensions["store"], app.extensions["checklists"]
    unit_service.add_unit(store, "A", "Xã Thiện Nghiệp")
    unit_service.add_unit(store, "B", "Xã Kim Long")
    accounts.create_user(store, "lead", "inspector", password=PASSWORD)
    accounts.create_user(store, "admin", "admin", password=PASSWORD)
    accounts.create_user(store, "ua", "unit", unit="A", password=PASSWORD)
    accounts.create_user(store, "ub", "unit", unit="B", password=PASSWORD)
    scopes = {u: service.scope_for(store, store.get_user(u)) for u in ("lead", "admin", "ua",
                                                                      "ub")}
    ids = {}
    for code, user in (("A", "ua"), ("B", "ub")):
        record = service.start(store, library, scopes["lead"], commands.StartRequest(
            unit=code, checklist="cchc-xa", period="2025", kind="assessment"))
        ids[code] = record.id
        for cid, content in full_answers().items():
            service.save_answer(store, scopes[user], record.id, commands.answer_op(cid, {
                "op_id": op(), "base_rev": 0, "note": f"Minh chứng {cid}", **content}))
        assessments.advance(store, scopes[user], record.id, commands.advance_op({"op_id": op()}))

    def appraise(code, cid, base_rev, **content):
        assessments.save_appraisal(store, scopes["lead"], ids[code], commands.appraisal_op(
            cid, {"op_id": op(), "base_rev": base_rev, **content}))

    def advance(code, by="lead"):
        assessments.advance(store, scopes[by], ids[code], commands.advance_op({"op_id": op()}))

    appraise("A", "1.6", 1, value=False, note="Không có văn bản", explain=True)
    appraise("A", "3.2", 1, value=False, note="Chưa niêm yết", explain=True)
    appraise("A", "5.4", 1, value=1.5)
    advance("A")
    assessments.save_explanation(store, scopes["ua"], ids["A"], commands.explanation_op(
        "1.6", {"op_id": op(), "base_rev": 0, "text": HOSTILE}))
    advance("A", by="ua")
    appraise("A", "1.6", 1, value=True)
    advance("A")
    appraise("B", "5.4", 1, value=1.0)
    return {"app": app, "store": store, "scopes": scopes, "ids": ids,
            "checklist": library.get("cchc-xa")}


def report(world, user="admin", **filters):
    return export_service.report(world["store"], world["scopes"][user],
                                 workbook.Filters(**filters), locale="vi", today=TODAY)


def opened(rep) -> openpyxl.Workbook:
    out = io.BytesIO()
    xlsx.write(rep, out)
    out.seek(0)
    return openpyxl.load_workbook(out)


def rows_of(sheet):
    headers = [c.value for c in sheet[1]]
    return headers, [dict(zip(headers, row)) for row in sheet.iter_rows(min_row=2,
                                                                        values_only=True)]


def test_the_appraisal_sheet_holds_self_rounds_explanation_final_and_gap(world):
    book = opened(report(world))
    assert "Thẩm định" in book.sheetnames
    headers, rows = rows_of(book["Thẩm định"])
    assert headers == ["Đơn vị", "Kỳ", "Giai đoạn", "Mã", "Tiêu chí", "Điểm tối đa",
                       "Tự chấm", "Vòng 1", "Giải trình", "Vòng 2",
                       "Chính thức", "Chênh lệch"]
    a = {r["Mã"]: r for r in rows if r["Đơn vị"] == "Xã Thiện Nghiệp"}
    scored = [c for c in world["checklist"].criteria if c.points is not None]
    assert list(a) == [c.id for c in scored]
    p32 = float(world["checklist"].criterion("3.2").points)
    p16 = float(world["checklist"].criterion("1.6").points)
    # the three scores, real numbers, and the gap self − final
    assert (a["3.2"]["Tự chấm"], a["3.2"]["Vòng 1"], a["3.2"]["Vòng 2"],
            a["3.2"]["Chính thức"], a["3.2"]["Chênh lệch"]) == (p32, 0, 0, 0, p32)
    assert (a["1.6"]["Tự chấm"], a["1.6"]["Vòng 1"], a["1.6"]["Vòng 2"],
            a["1.6"]["Chính thức"], a["1.6"]["Chênh lệch"]) == (p16, 0, p16, p16, 0)
    assert (a["5.4"]["Vòng 1"], a["5.4"]["Chính thức"]) == (1.5, 1.5)
    assert a["5.4"]["Chênh lệch"] == 0.5
    assert a["1.1"]["Chênh lệch"] == 0 and a["1.1"]["Giải trình"] is None
    assert a["3.2"]["Giải trình"] == "Đã đề nghị giải trình, chưa có giải trình"
    assert a["1.6"]["Giai đoạn"] == "chính thức"
    # the unit's explanation is text, never a formula
    sheet = book["Thẩm định"]
    cell = next(row[8] for row in sheet.iter_rows(min_row=2) if row[3].value == "1.6"
                and row[0].value == "Xã Thiện Nghiệp")
    assert cell.data_type == "s" and cell.value == HOSTILE
    # the summary uses the final score and ranks the assessment
    _, summary = rows_of(book["Tổng hợp"])
    [row] = [r for r in summary if r["Mã đơn vị"] == "A"]
    final = world["store"].get_inspection(world["ids"]["A"]).score
    total = Decimal(100) - Decimal(str(p32)) - Decimal("0.5")
    assert Decimal(str(final["total"])) == total
    assert row["Điểm"] == float(total) and row["Xếp hạng"] == 1


def test_a_round_in_progress_shows_to_the_province_only(world):
    _, rows = rows_of(opened(report(world, include_drafts=True))["Thẩm định"])
    b = {r["Mã"]: r for r in rows if r["Đơn vị"] == "Xã Kim Long"}
    assert b["5.4"]["Vòng 1"] == 1.0 and b["5.4"]["Chính thức"] is None
    assert b["5.4"]["Chênh lệch"] == 1.0  # against the last round before final
    rep = export_service.report(world["store"], world["scopes"]["ub"],
                                workbook.Filters(include_drafts=True), locale="vi",
                                today=TODAY)
    own = [cells for key, row in rep.rows() if key == "appraisal" for cells in [row.cells]]
    assert own and {c[0] for c in own} == {"Xã Kim Long"}
    assert all(c[7] is None and c[9] is None and c[11] is None for c in own)


def test_no_appraisal_sheet_without_assessments(world):
    rep = report(world, kind="inspection")
    assert "appraisal" not in [s.key for s in rep.sheets]


# ---------------------------------------------------------------- the printable result

def page(client, iid):
    response = client.get(f"/inspections/{iid}/appraisal-result")
    return response.status_code, response.get_data(as_text=True)


def row_cells(html, cid):
    import re
    match = re.search(rf'<tr data-criterion="{re.escape(cid)}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, cid
    return [re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)]


def test_the_printable_appraisal_result_per_unit(world, client):
    from markupsafe import escape

    login(client, "lead")
    status, html = page(client, world["ids"]["A"])
    assert status == 200
    assert "KẾT QUẢ THẨM ĐỊNH" in html and "Xã Thiện Nghiệp" in html
    assert "Thẩm định lần 2" in html and "DỰ THẢO" not in html
    p32 = world["checklist"].criterion("3.2").points
    from inspect_app.i18n.formatting import number
    # id, text, max, self, round 1, round 2, final, gap
    assert row_cells(html, "3.2")[3:] == [number(p32, "vi"), "0", "0", "0",
                                          "+" + number(p32, "vi")]
    assert row_cells(html, "3.2")[0] == "3.2 (*)"
    assert row_cells(html, "5.4")[3:] == ["2", "1,5", "1,5", "1,5", "+0,5"]
    assert row_cells(html, "1.1")[-1] == "0"
    assert 'class="overrated"' in html
    # sections numbered as in the minutes: the bonus and penalty lines have no number
    numbers = re.findall(r'class="section-row"><th[^>]*>([IVX]+)\. ', html)
    assert numbers == ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"]
    # the requests to explain, the appraisers' comment and the unit's explanation (escaped)
    assert "Không có văn bản" in html and str(escape(HOSTILE)) in html
    assert "đơn vị không giải trình" in html  # 3.2 was never explained
    assert "(điều chỉnh từ 0)" in html
    final = world["store"].get_inspection(world["ids"]["A"]).score
    assert number(final["total"], "vi") in html


def test_the_unit_never_sees_a_round_in_progress_in_its_result(world, client):
    login(client, "ub")
    status, html = page(client, world["ids"]["B"])
    assert status == 200 and "DỰ THẢO" in html
    assert row_cells(html, "5.4")[3:] == ["2", "", "", ""]  # self only
    assert "Thẩm định lần 1</td>" not in html
    lead = login(world["app"].test_client(), "lead")
    _, html = page(lead, world["ids"]["B"])
    assert row_cells(html, "5.4")[3:] == ["2", "1", "", "+1"]


def test_another_unit_and_other_records_get_404(world, client):
    login(client, "ub")
    assert page(client, world["ids"]["A"])[0] == 404
    store, library = world["store"], world["app"].extensions["checklists"]
    record = service.start(store, library, world["scopes"]["lead"], commands.StartRequest(
        unit="A", checklist="cchc-xa", period="2025", kind="inspection"))
    lead = login(world["app"].test_client(), "lead")
    assert page(lead, record.id)[0] == 404


def test_a_finished_assessment_offers_no_reopen_form(world):
    """An admin opens the page of an assessment that reached its final stage. The page
    offered a "Mở lại" (reopen) box with a reason to type; the admin expects that, if it is
    offered, it works. But reopening an assessment is always refused (docs/api.md: "reopening
    refuse[s] an assessment"), so the admin types a reason, submits, and gets only an error:
    a button shown to who may never use it."""
    app, iid = world["app"], world["ids"]["A"]
    assert world["store"].get_inspection(iid).status == "finalized"
    client = app.test_client()
    login(client, "admin")
    page = client.get(f"/inspections/{iid}").get_data(as_text=True)
    # the server refuses it, whatever reason is given ...
    response = client.post(f"/inspections/{iid}/reopen",
                           data={"csrf_token": csrf_of(page), "reason": "Sai sót số liệu"})
    assert response.status_code == 302
    assert world["store"].get_inspection(iid).status == "finalized"
    # ... so the page must not offer the form
    assert f"/inspections/{iid}/reopen" not in page
