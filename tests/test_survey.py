"""The survey share of a PAR-index assessment (issue 13 point 6): sections scored from a
sociological survey (``survey: true``), their points imported per unit from a CSV file,
all or nothing, never self-scored; the cards computed independently."""
from __future__ import annotations

import io
import uuid
from decimal import Decimal

import pytest

from inspect_app import create_app
from inspect_app.domain.checklist import ChecklistError, parse_checklist
from inspect_app.domain.scoring import score
from inspect_app.services import accounts
from inspect_app.services import survey as survey_service
from inspect_app.services import units as unit_service
from inspect_app.services.inspections import checklist_of
from inspect_app.storage.checklist_files import load_text

from .conftest import app_config

CHECKLIST_YAML = """\
format: 1
id: chi-so-thu
version: "2025.1"
title: Chỉ số CCHC thử
kind: any
bands:
  - {min: 90, label: Tốt}
  - {min: 0, label: Yếu}
sections:
  - id: chi_dao
    title: Chỉ đạo, điều hành
    criteria:
      - {id: "1.1", text: Ban hành kế hoạch CCHC, type: yesno, points: 6, evidence_required: true}
      - {id: "1.2", text: Báo cáo đúng hạn, type: score, points: 4, step: 0.5}
  - id: ks
    title: Điều tra xã hội học
    survey: true
    criteria:
      - {id: "9.1", text: Mức độ hài lòng của người dân, type: score, points: 10, step: 0.01,
         evidence_required: true}
  - id: ks2
    title: Khảo sát cán bộ, công chức
    survey: true
    criteria:
      - {id: "9.2", text: Đánh giá của cán bộ, type: score, points: 5, step: 0.01}
      - {id: "9.3", text: Đánh giá của doanh nghiệp, type: score, points: 5, step: 0.01}
"""


def op() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def app(tmp_path):
    folder = tmp_path / "checklists"
    folder.mkdir()
    (folder / "chi-so-thu.yaml").write_text(CHECKLIST_YAML, encoding="utf-8")
    return create_app(app_config(tmp_path, CHECKLISTS_DIR=str(folder)))


@pytest.fixture
def world(app, client):
    return make_world(app, client)


def make_world(app, client):
    store = app.extensions["store"]
    for code, name in (("A", "Xã Thiện Nghiệp"), ("B", "Xã Kim Long"), ("C", "Xã Đồng Văn")):
        unit_service.add_unit(store, code, name)
    tokens = {}
    for name, role, unit in (("admin", "admin", None), ("lead", "inspector", None),
                             ("ua", "unit", "A"), ("ub", "unit", "B")):
        accounts.create_user(store, name, role, unit=unit, password="mat-khau-dai")
        tokens[name] = accounts.issue_token(store, name)

    def api(method, path, who, body=None):
        return client.open(f"/api/v1{path}", method=method, json=body,
                           headers={"Authorization": f"Bearer {tokens[who]}"})

    ids = {}
    for code in ("A", "B"):
        response = api("POST", "/inspections", "lead", {
            "unit": code, "checklist": "chi-so-thu", "period": "2025", "kind": "assessment"})
        assert response.status_code == 201, response.get_json()
        ids[code] = response.get_json()["id"]
    return {"store": store, "api": api, "ids": ids, "app": app, "tokens": tokens}


def import_csv(world, text: str):
    from inspect_app.domain.access import Scope

    store = world["store"]
    return survey_service.import_survey(store, Scope(store.get_user("admin")),
                                        checklist="chi-so-thu", period="2025",
                                        raw=text.encode("utf-8"), source="khao-sat.csv")


def refused(world, text: str) -> list[str]:
    from inspect_app.i18n import translate

    before = {code: world["store"].get_inspection(i) for code, i in world["ids"].items()}
    with pytest.raises(survey_service.SurveyRefused) as caught:
        import_csv(world, text)
    after = {code: world["store"].get_inspection(i) for code, i in world["ids"].items()}
    assert after == before  # all or nothing: not one record touched
    return [translate(p, "vi") for p in caught.value.details["problems"]]


# ---------------------------------------------------------------- the format

def test_survey_sections_in_the_format():
    checklist = load_text(CHECKLIST_YAML, "x.yaml")
    assert [s.id for s in checklist.survey_sections] == ["ks", "ks2"]
    assert [c.id for c in checklist.survey_criteria] == ["9.1", "9.2", "9.3"]
    assert not checklist.criterion("1.1").survey and checklist.criterion("9.2").survey
    plain = load_text(CHECKLIST_YAML.replace("    survey: true\n", ""), "x.yaml")
    assert plain.hash != checklist.hash and not plain.survey_sections  # part of the content
    with pytest.raises(ChecklistError) as bad:
        load_text(CHECKLIST_YAML.replace("type: score, points: 10", "type: yesno, points: 10")
                  .replace(", step: 0.01,\n         evidence_required: true}",
                           ", evidence_required: true}"), "x.yaml")
    assert any("sections[1].criteria[0].type" in p and "score criteria only" in p
               for p in bad.value.problems)
    with pytest.raises(ChecklistError) as bad:
        load_text(CHECKLIST_YAML.replace("survey: true", "survey: có", 1), "x.yaml")
    assert any("sections[1].survey" in p for p in bad.value.problems)


def test_scoring_a_survey_section_before_and_after_the_figures():
    checklist = parse_checklist(load_text(CHECKLIST_YAML, "x").data)
    answers = {"1.1": {"value": True}, "1.2": {"value": 2.5}}
    before = score(checklist, answers)
    # not imported yet: the survey lines are "survey", in neither points nor maximum
    assert [(line.id, line.status, line.points) for line in before.criteria[2:]] == [
        ("9.1", "survey", None), ("9.2", "survey", None), ("9.3", "survey", None)]
    assert (before.total, before.max, before.percent) == (Decimal("8.5"), Decimal(10),
                                                          Decimal("85.00"))
    assert before.counts["survey"] == 3 and not before.unanswered
    assert before.progress().total == 2  # the survey lines are nothing to answer
    after = score(checklist, {**answers, "9.1": {"value": 8.57}, "9.2": {"value": 4}})
    assert after.line("9.1").status == "survey" and after.line("9.1").points == Decimal("8.57")
    # 6 + 2,5 + 8,57 + 4 = 21,07 of 6 + 4 + 10 + 5 (9.3 still to come)
    assert (after.total, after.max) == (Decimal("21.07"), Decimal(25))
    assert after.percent == Decimal("84.28")
    assert after.section("ks").as_dict() == {"id": "ks", "title": "Điều tra xã hội học",
                                             "points": 8.57, "max": 10, "percent": 85.7}
    assert [line.id for line in after.shortcomings] == ["1.2"]  # never a survey line
    # a checklist without survey sections keeps the §4 counts as they were
    plain = load_text(CHECKLIST_YAML.split("  - id: ks\n")[0], "x")
    assert "survey" not in score(plain, answers).counts


# ---------------------------------------------------------------- the import

def test_import_wide_layout_with_vietnamese_headers_and_decimals(world):
    done = import_csv(world, "Mã đơn vị;ks;9.2;9.3\nA;8,57;4;3,5\nB;9.25;5;5\n")
    assert done.count == 6 and set(done.figures) == {"A", "B"}
    record = world["store"].get_inspection(world["ids"]["A"])
    assert record.answers["9.1"].value == 8.57 and record.answers["9.3"].value == 3.5
    assert record.rev == 2 and record.history[-1].action == "survey"
    assert record.history[-1].detail["file"] == "khao-sat.csv"
    # re-importing replaces the figures, with a new revision
    import_csv(world, "unit,section,points\nA,ks,7\n")
    record = world["store"].get_inspection(world["ids"]["A"])
    assert record.answers["9.1"].value == 7 and record.answers["9.1"].rev == 2
    assert record.rev == 3 and record.answers["9.2"].value == 4  # the others kept


def test_import_long_layout_tab_delimited(world):
    import_csv(world, "đơn vị\ttiêu chí\tđiểm\nA\t9.2\t4,5\nA\t9.3\t1\nB\tks\t10\n")
    store = world["store"]
    assert store.get_inspection(world["ids"]["A"]).answers["9.2"].value == 4.5
    assert store.get_inspection(world["ids"]["B"]).answers["9.1"].value == 10


def _survey_answers(world, code: str) -> dict:
    record = world["store"].get_inspection(world["ids"][code])
    return {k: a.value for k, a in record.answers.items() if k.startswith("9.")}


def test_a_unit_code_in_another_case_finds_its_unit(world):
    """What happened: a file with its unit codes in lower case (``a;8,5``, as a statistics
    office often writes them) was refused whole with "không có đơn vị a", although one code
    is one unit however it is typed (domain/units.stored_code, as the unit and account
    imports read them)."""
    import_csv(world, "Mã đơn vị;ks\na;8,5\n b ;9\n")
    assert _survey_answers(world, "A")["9.1"] == 8.5 and _survey_answers(world, "B")["9.1"] == 9
    problems = refused(world, "unit;ks\nA;1\na;2\n")  # still one unit: given twice
    assert len(problems) == 1 and "3" in problems[0] and "2" in problems[0]


def test_a_line_naming_a_section_and_another_sections_criterion_is_refused(world):
    """What happened: a long-layout line with both a section and a criterion column
    (``A;ks;9.2;4``: criterion 9.2 is in section ks2) ignored the criterion and silently
    wrote 4 as the points of 9.1, the criterion of section ks."""
    problems = refused(world, "unit;section;criterion;points\nA;ks;9.2;4\n")
    assert len(problems) == 1 and problems[0].startswith("dòng 2, cột criterion:")
    assert "9.2" in problems[0] and "ks2" in problems[0]  # the mismatch (catalog: English)
    assert "9.1" not in _survey_answers(world, "A")


def test_a_section_of_several_criteria_is_imported_criterion_by_criterion(world):
    """What happened: ``unit;phần;tiêu chí;điểm`` with one line per criterion of section
    ks2 (``A;ks2;9.2;4``, ``A;ks2;9.3;3``), as the refusal for a section of several criteria
    asks, was refused line by line ("phần ks2 có 2 tiêu chí…"): the section column won over
    the criterion column."""
    import_csv(world, "unit;phần;tiêu chí;điểm\nA;ks2;9.2;4\nA;ks2;9.3;3\nB;ks;;7\n")
    assert _survey_answers(world, "A") == {"9.2": 4, "9.3": 3}
    assert _survey_answers(world, "B") == {"9.1": 7}  # a section of one criterion alone


def test_a_file_in_a_windows_code_page_is_refused_never_misread(world):
    """A survey saved in Windows' Vietnamese code page is refused with how to save it,
    never read with wrong letters (nor UTF-16)."""
    import unicodedata

    from inspect_app.domain.access import Scope

    def cp1258(char: str) -> bytes:  # precomposed where the code page has it, else NFD
        try:
            return char.encode("cp1258")
        except UnicodeEncodeError:
            return unicodedata.normalize("NFD", char).encode("cp1258")

    text = "đơn vị;tiêu chí;diem\nA;9.2;4\n"
    for raw in (b"".join(cp1258(c) for c in text), text.encode("utf-16")):
        with pytest.raises(survey_service.SurveyRefused) as refused:
            survey_service.import_survey(
                world["store"], Scope(world["store"].get_user("admin")),
                checklist="chi-so-thu", period="2025", raw=raw, source="khao-sat.csv")
        assert "CSV UTF-8" in str(refused.value.details["problems"][0])
    assert "9.2" not in world["store"].get_inspection(world["ids"]["A"]).answers


def test_every_bad_line_is_named_and_nothing_is_written(world):
    problems = refused(world, "unit,ks,9.2\n"
                              "A,11,4\n"          # above the points
                              "ZZ,5,5\n"          # unknown unit
                              "C,5,5\n"           # a unit without an assessment
                              "B,-1,abc\n"        # negative; not a number
                              "A,5,1\n")          # A given twice
    assert problems == [
        "dòng 2, cột ks: 11 vượt 10 điểm của 9.1",
        "dòng 3, cột unit: không có đơn vị ZZ",
        "dòng 4, cột unit: đơn vị C chưa có đánh giá của bộ tiêu chí và kỳ này",
        "dòng 5, cột ks: -1 là số âm",
        "dòng 5, cột 9.2: abc không phải là số",
        "dòng 6, cột 9.2: đơn vị A, 9.2: đã có ở dòng 2",
    ]


def test_columns_that_are_no_survey_section_and_a_section_of_several_criteria(world):
    problems = refused(world, "unit,1.2,ks2,khac\nA,1,1,1\n")
    assert len(problems) == 3 and all(p.startswith("dòng 1, cột ") for p in problems)
    assert "1.2" in problems[0] and "ks2" in problems[1] and "9.2, 9.3" in problems[1]
    problems = refused(world, "unit,points\nA,5\n")  # several survey criteria: name one
    assert len(problems) == 1 and "9.1, 9.2, 9.3" in problems[0]
    assert refused(world, "tên,ks\nA,1\n")[0].startswith("dòng 1, cột tên:")
    assert refused(world, "unit,ks\n") and refused(world, "")


def test_a_final_assessment_is_refused(world, app):
    store = world["store"]
    store.update_inspection(world["ids"]["B"], lambda i: setattr(i, "status", "finalized"))
    problems = refused(world, "unit,ks\nA,5\nB,5\n")
    assert len(problems) == 1 and problems[0].startswith("dòng 3, cột unit:")


def test_an_assessment_finalized_during_the_import_leaves_every_record_as_it_was(
        pg_empty_url, tmp_path, monkeypatch):
    """On PostgreSQL the import is one transaction: B finalized between the file's check and
    the writes refuses the import, and A (written first) is rolled back."""
    from inspect_app.services import Conflict

    folder = tmp_path / "checklists"
    folder.mkdir()
    (folder / "chi-so-thu.yaml").write_text(CHECKLIST_YAML, encoding="utf-8")
    app = create_app(app_config(tmp_path, CHECKLISTS_DIR=str(folder), DATABASE_URL=pg_empty_url))
    world = make_world(app, app.test_client())
    store, ids = world["store"], world["ids"]
    checked = survey_service.parse

    def finalize_b_meanwhile(*args, **kwargs):
        result = checked(*args, **kwargs)
        store.update_inspection(ids["B"], lambda i: setattr(i, "status", "finalized"))
        return result

    monkeypatch.setattr(survey_service, "parse", finalize_b_meanwhile)
    before = store.get_inspection(ids["A"])
    with pytest.raises(Conflict):
        import_csv(world, "unit,ks\nA,5\nB,5\n")
    assert store.get_inspection(ids["A"]) == before


def test_only_an_administrator_imports(world):
    from inspect_app.domain.access import Scope
    from inspect_app.services import Forbidden

    store = world["store"]
    for who in ("lead", "ua"):
        with pytest.raises(Forbidden):
            survey_service.import_survey(store, Scope(store.get_user(who)), checklist="chi-so-thu",
                                         period="2025", raw=b"unit,ks\nA,5\n")
    with pytest.raises(survey_service.TooLarge):
        survey_service.import_survey(store, Scope(store.get_user("admin")),
                                     checklist="chi-so-thu", period="2025",
                                     raw=b"unit,ks\n" + b"A,5\n" * 300_000)


# ---------------------------------------------------------------- the loop

def test_never_self_scored_and_in_every_card(world, tmp_path):
    api, ids, store = world["api"], world["ids"], world["store"]
    iid = ids["A"]
    response = api("PUT", f"/inspections/{iid}/answers/9.1", "ua",
                   {"op_id": op(), "base_rev": 0, "value": 10})
    assert response.status_code == 409 and "điều tra xã hội học" in response.get_json()["error"]
    from .access_world import png_bytes

    photo = world["app"].test_client().post(
        f"/api/v1/inspections/{iid}/answers/9.1/photos",
        data={"photo": (io.BytesIO(png_bytes()), "a.png"), "op_id": op()},
        headers={"Authorization": f"Bearer {world['tokens']['ua']}"},
        content_type="multipart/form-data")
    assert photo.status_code == 409, photo.get_json()  # no evidence on a survey line either
    assert store.get_inspection(iid).rev == 1
    for cid, value in (("1.1", True), ("1.2", 3)):
        response = api("PUT", f"/inspections/{iid}/answers/{cid}", "ua",
                       {"op_id": op(), "base_rev": 0, "value": value, "note": "KH số 06"})
        assert response.status_code == 200, response.get_json()
    import_csv(world, "unit,ks,9.2,9.3\nA,8.5,4,3\n")  # during the self-score
    # the survey lines need no answer and no evidence: the unit submits
    response = api("POST", f"/inspections/{iid}/advance", "ua", {"op_id": op()})
    assert response.status_code == 200, response.get_json()
    record = api("GET", f"/inspections/{iid}", "lead").get_json()
    self_card = record["scores"]["self"]
    assert [line["status"] for line in self_card["criteria"]][2:] == ["survey"] * 3
    assert self_card["total"] == 6 + 3 + 8.5 + 4 + 3 and self_card["max"] == 30
    # round 1 started as a copy, survey figures included; the appraiser cannot change them
    assert record["scores"]["appraisal1"]["total"] == 24.5
    response = api("PUT", f"/inspections/{iid}/appraisal/9.1", "lead",
                   {"op_id": op(), "base_rev": 1, "value": 2})
    assert response.status_code == 409
    response = api("PUT", f"/inspections/{iid}/appraisal/1.2", "lead",
                   {"op_id": op(), "base_rev": 1, "value": 2})
    assert response.status_code == 200
    # figures corrected during the appraisal go into the self card and round 1 alike
    import_csv(world, "unit,section,points\nA,ks,9\n")
    response = api("POST", f"/inspections/{iid}/advance", "lead", {"op_id": op()})
    assert response.status_code == 200 and response.get_json()["stage"] == "final"
    final = api("GET", f"/inspections/{iid}", "ua").get_json()["scores"]
    # computed independently: 6 + 3 (self) or 2 (appraised) + 9 + 4 + 3 of 30
    assert final["self"]["total"] == 25 and final["self"]["percent"] == 83.33
    assert final["appraisal1"]["total"] == 24 and final["final"]["total"] == 24
    assert final["final"]["percent"] == 80 and final["final"]["band"] == "Yếu"
    assert {line["id"]: line["points"] for line in final["final"]["criteria"]
            if line["status"] == "survey"} == {"9.1": 9, "9.2": 4, "9.3": 3}
    items = store.get_inspection(iid).items
    assert [i.criterion for i in items] == ["1.2"]  # survey lines make no remediation item
    # frozen: a new file for it is refused whole
    assert refused(world, "unit,ks\nA,1\n")[0].startswith("dòng 2, cột unit:")
    # shown as survey figures on the appraisal result and the workbook's appraisal sheet
    from .support import login

    client = login(world["app"].test_client(), "admin", "mat-khau-dai")
    html = client.get(f"/inspections/{iid}/appraisal-result").get_data(as_text=True)
    assert "Điều tra xã hội học (chấm từ kết quả điều tra xã hội học)" in html
    page = client.get(f"/assessments/{iid}/appraisal/ks").get_data(as_text=True)
    assert "Điểm điều tra:</strong> 9/10" in page and 'name="c2_value"' not in page
    out = tmp_path / "ket-qua.xlsx"
    result = world["app"].test_cli_runner().invoke(args=["export", "--out", str(out),
                                                         "--checklist", "chi-so-thu"])
    assert result.exit_code == 0, result.output
    import openpyxl

    sheet = openpyxl.load_workbook(out)["Thẩm định"]
    rows = {r[3]: r for r in sheet.iter_rows(min_row=2, values_only=True)
            if r[0] == "Xã Thiện Nghiệp"}
    assert rows["9.1"][6:] == (9, 9, "Chấm từ kết quả điều tra xã hội học", None, 9, 0)
    assert rows["1.2"][6] == 3 and rows["1.2"][10] == 2


def test_the_units_form_shows_the_survey_section_read_only(world, client):
    from .support import login

    import_csv(world, "unit,ks,9.2,9.3\nA,8,5;4,3\n".replace("8,5;4,3", "8.5,4,3"))
    login(client, "ua", "mat-khau-dai")
    html = client.get(f"/inspections/{world['ids']['A']}/s/ks").get_data(as_text=True)
    assert "Chấm từ kết quả điều tra xã hội học" in html and "Đã nhập: 8,5 điểm." in html
    assert "Theo điều tra XHH" in html
    assert 'name="c2_value"' in html and "disabled" in html.split('name="c2_value"')[1][:200]
    # the no-JavaScript save of that section changes nothing there
    record = world["store"].get_inspection(world["ids"]["A"])
    assert checklist_of(record).criterion("9.1").survey


def test_the_command(world, app, tmp_path):
    runner = app.test_cli_runner()
    good = tmp_path / "khao-sat.csv"
    good.write_text("Mã đơn vị;Phần;Điểm\nA;ks;8,5\nB;ks;9\n", encoding="utf-8")
    result = runner.invoke(args=["assessments", "survey", str(good), "--checklist",
                                 "chi-so-thu", "--period", "2025"])
    assert result.exit_code == 0, result.output
    assert "2 assessments, 2 survey figures imported" in result.output
    assert "A\t" in result.output and "9.1=8,5" in result.output
    bad = tmp_path / "sai.csv"
    bad.write_text("Mã đơn vị;Phần;Điểm\nA;ks;12\nX;ks;1\n", encoding="utf-8")
    result = runner.invoke(args=["assessments", "survey", str(bad), "--checklist",
                                 "chi-so-thu", "--period", "2025"])
    assert result.exit_code == 2
    assert "dòng 2, cột Điểm:" in result.output and "dòng 3, cột Mã đơn vị:" in result.output
    assert "không nhập gì" in result.output
    assert world["store"].get_inspection(world["ids"]["A"]).answers["9.1"].value == 8.5
    result = runner.invoke(args=["assessments", "survey", str(good), "--checklist",
                                 "chi-so-thu", "--period", "2030"])
    assert result.exit_code == 2


def test_a_survey_checklist_round_trips_through_its_workbook():
    from inspect_app.domain import checklist_workbook as layout
    from inspect_app.storage.checklist_workbooks import read_sheets, read_workbook

    from .test_checklist_workbooks import workbook_bytes

    checklist = load_text(CHECKLIST_YAML, "x.yaml")
    raw = workbook_bytes(dict(checklist.data))
    again, _data = read_workbook(raw)
    assert again.hash == checklist.hash and [s.id for s in again.survey_sections] == ["ks", "ks2"]
    sections = read_sheets(raw)[layout.SECTIONS]
    assert sections[0][3] == "Chấm từ điều tra xã hội học" and sections[2][3] == "Có"


def test_the_upload_on_the_round_page(world, client):
    from .support import csrf_of, login

    def upload(text: str):
        page = client.get("/assessments/rounds/chi-so-thu/2025").get_data(as_text=True)
        return page, client.post(
            "/assessments/rounds/chi-so-thu/2025/survey",
            data={"csrf_token": csrf_of(page), "file": (io.BytesIO(text.encode()), "ks.csv")},
            content_type="multipart/form-data")

    login(client, "admin", "mat-khau-dai")
    page, response = upload("Mã đơn vị;ks\nA;12\nB;abc\n")
    assert "Điều tra xã hội học" in page and 'action="/assessments/rounds/chi-so-thu/2025/survey"' in page
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "dòng 2, cột ks: 12 vượt 10 điểm của 9.1" in html
    assert "dòng 3, cột ks: abc không phải là số" in html and "không nhập gì" in html
    assert world["store"].get_inspection(world["ids"]["A"]).rev == 1
    _page, response = upload("Mã đơn vị;ks\nA;8,5\nB;9\n")
    assert response.status_code == 302
    assert world["store"].get_inspection(world["ids"]["B"]).answers["9.1"].value == 9
    # without the CSRF token: refused, nothing written
    response = client.post("/assessments/rounds/chi-so-thu/2025/survey", data={
        "file": (io.BytesIO(b"unit,ks\nA,1\n"), "ks.csv")}, content_type="multipart/form-data")
    assert response.status_code in (302, 400)
    assert world["store"].get_inspection(world["ids"]["A"]).answers["9.1"].value == 8.5
    # an inspector sees the round but no upload, and may not post one
    client.post("/logout", data={"csrf_token": csrf_of(page)})
    login(client, "lead", "mat-khau-dai")
    page = client.get("/assessments/rounds/chi-so-thu/2025").get_data(as_text=True)
    assert "Thiện Nghiệp" in page and "survey-upload" not in page
    response = client.post("/assessments/rounds/chi-so-thu/2025/survey", data={
        "csrf_token": csrf_of(page), "file": (io.BytesIO(b"unit,ks\nA,1\n"), "ks.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 403


def test_a_period_written_the_vietnamese_way_finds_the_round(world):
    """`assessments survey --period "Năm 2025"`: the round of 2025 (stored as 2025), not
    "no assessment of chi-so-thu for Năm 2025"."""
    from inspect_app.domain.access import Scope

    store = world["store"]
    done = survey_service.import_survey(store, Scope(store.get_user("admin")),
                                        checklist="chi-so-thu", period="Năm 2025",
                                        raw="Mã đơn vị;ks\nA;8,57\n".encode(), source="ks.csv")
    assert done.count == 1
    assert store.get_inspection(world["ids"]["A"]).answers["9.1"].value == 8.57
