"""Numbers and values (issue 9, points 1, 2, 3, 4, 6): a zero is never dropped, one number
parser reads what people type in their language, implausible ratios are flagged, answer
problems are translated and name inputs by their label, and every number has a sane range."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
import yaml

from inspect_app import create_app
from inspect_app.services import accounts, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .support import csrf_of, form_fields

PASSWORD = "mat-khau-dai"

#: Every criterion type, with the shapes that matter here (radio and box scores, whole and
#: decimal ratios, a count, an info number, bonus and penalty).
NUMBERS_CHECKLIST = {
    "format": 1, "id": "so-lieu", "version": "1", "title": "Số liệu", "kind": "any",
    "sections": [{"id": "s1", "title": "Phần một", "criteria": [
        {"id": "1", "text": "Có kế hoạch", "type": "yesno", "points": 1},
        {"id": "2", "text": "Mức độ", "type": "choice", "points": 1,
         "options": [{"value": 0, "label": "Không", "points": 0},
                     {"value": 1, "label": "Có", "points": 1}]},
        {"id": "3", "text": "Đánh giá chung", "type": "score", "points": 2, "step": 0.5},
        {"id": "4", "text": "Điểm chấm", "type": "score", "points": 100, "step": 1},
        {"id": "5", "text": "Hoàn thành kế hoạch", "type": "ratio", "points": 2,
         "inputs": {"planned": {"label": "Số nhiệm vụ kế hoạch", "max": 500},
                    "done": "Số nhiệm vụ hoàn thành"},
         "numerator": ["done"], "denominator": ["planned"], "on_zero": "zero",
         "bands": [{"min": 100, "points": 2}, {"min": 80, "points": 1}]},
        {"id": "6", "text": "Thu ngân sách so với dự toán", "type": "ratio", "points": 2,
         "decimal": True,
         "inputs": {"du_toan": "Dự toán thu (triệu đồng)", "thuc_thu": "Thực thu (triệu đồng)"},
         "numerator": ["thuc_thu"], "denominator": ["du_toan"], "may_exceed": True,
         "bands": [{"min": 100, "points": 2}, {"min": 90, "points": 1}]},
        {"id": "7", "text": "Hồ sơ trễ hạn", "type": "count", "points": 1,
         "inputs": {"late": "Số hồ sơ trễ do xã"}, "count": ["late"],
         "bands": [{"max": 0, "points": 1}]},
        {"id": "8", "text": "Số cán bộ", "type": "info", "inputs": {"so": "Số cán bộ"}},
        {"id": "9", "text": "Điểm thưởng", "type": "bonus", "points": 1, "step": 0.5},
        {"id": "10", "text": "Điểm trừ", "type": "penalty", "points": 1, "step": 0.5},
        {"id": "11", "text": "Rà soát văn bản", "type": "ratio", "points": 1,
         "inputs": {"phai": "Số văn bản phải rà soát", "da": "Số văn bản đã rà soát"},
         "numerator": ["da"], "denominator": ["phai"], "at_most_denominator": True,
         "bands": [{"min": 100, "points": 1}]},
    ]}],
}


@pytest.fixture
def numbers_app(tmp_path):
    folder = tmp_path / "checklists"
    folder.mkdir()
    (folder / "so-lieu.yaml").write_text(yaml.safe_dump(NUMBERS_CHECKLIST, allow_unicode=True),
                                         encoding="utf-8")
    return create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"),
                       "SECRET_KEY": "test-secret", "CHECKLISTS_DIR": str(folder)})


@pytest.fixture
def world(numbers_app):
    store = numbers_app.extensions["store"]
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    lead = accounts.create_user(store, "lead", "inspector", password=PASSWORD)
    inspection = service.start(store, numbers_app.extensions["checklists"],
                               service.scope_for(store, lead), commands.StartRequest(
                                   unit="NT", checklist="so-lieu", period="2025", kind="inspection"))
    token = accounts.issue_token(store, "lead")
    client = numbers_app.test_client()
    return {"app": numbers_app, "store": store, "id": inspection.id, "token": token,
            "client": client}


def put(world, cid, **content):
    return world["client"].put(
        f"/api/v1/inspections/{world['id']}/answers/{cid}",
        json={"op_id": str(uuid.uuid4()), "base_rev": 0, **content},
        headers={"Authorization": f"Bearer {world['token']}", "Accept-Language": "vi"})


def stored(world, cid):
    answer = world["store"].get_inspection(world["id"]).answers.get(cid)
    return answer.content() if answer else None


def web_login(world):
    client = world["client"]
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"username": "lead", "password": PASSWORD,
                                           "csrf_token": csrf_of(page)})
    assert response.status_code == 302
    return client


def key_of(cid):
    ids = [c["id"] for c in NUMBERS_CHECKLIST["sections"][0]["criteria"]]
    return f"c{ids.index(cid)}"


def submit_section(world, fields: dict[str, str], lang: str = "vi"):
    """Submit the no-JS section form as a browser would, with ``fields`` typed in."""
    client = web_login(world)
    if lang != "vi":
        with client.session_transaction() as session:
            session["lang"] = lang
    url = f"/inspections/{world['id']}/s/s1"
    data = form_fields(client.get(url).get_data(as_text=True))
    data.update(fields)
    return client.post(url, data=data)


# ---------------------------------------------------------------- 1. a zero is an answer

# (criterion, API content, no-JS form fields, stored content, line status)
ZEROS = [
    ("1", {"value": False}, {"value": "false"}, {"value": False}, "fail"),
    ("2", {"value": 0}, {"value": "0"}, {"value": 0}, "fail"),
    ("3", {"value": 0}, {"value": "0"}, {"value": 0}, "fail"),
    ("3", {"value": 0.0}, {"value": "0"}, {"value": 0}, "fail"),
    ("4", {"value": 0}, {"value": "0"}, {"value": 0}, "fail"),
    ("4", {"value": 0.0}, {"value": "0,0"}, {"value": 0}, "fail"),
    ("5", {"inputs": {"planned": 0, "done": 0}}, {"in_planned": "0", "in_done": "0"},
     {"inputs": {"planned": 0, "done": 0}}, "fail"),
    ("5", {"inputs": {"planned": 4, "done": 0}}, {"in_planned": "4", "in_done": "0"},
     {"inputs": {"planned": 4, "done": 0}}, "fail"),
    ("6", {"inputs": {"du_toan": 10.5, "thuc_thu": 0.0}}, {"in_du_toan": "10,5", "in_thuc_thu": "0"},
     {"inputs": {"du_toan": 10.5, "thuc_thu": 0}}, "fail"),
    ("7", {"inputs": {"late": 0}}, {"in_late": "0"}, {"inputs": {"late": 0}}, "pass"),
    ("8", {"inputs": {"so": 0}}, {"in_so": "0"}, {"inputs": {"so": 0}}, "info"),
    ("9", {"value": 0}, {"value": "0"}, {"value": 0}, "adjustment"),
    ("10", {"value": 0.0}, {"value": "0"}, {"value": 0}, "adjustment"),
]


@pytest.mark.parametrize("cid, content, fields, expected, status", ZEROS)
def test_a_zero_is_stored_through_the_api(world, cid, content, fields, expected, status):
    response = put(world, cid, **content)
    assert response.status_code == 200, response.json
    assert stored(world, cid) == expected
    assert response.json["line"]["status"] == status
    assert response.json["rev"] == 1


@pytest.mark.parametrize("cid, content, fields, expected, status", ZEROS)
def test_a_zero_is_stored_through_the_plain_form(world, cid, content, fields, expected, status):
    key = key_of(cid)
    response = submit_section(world, {f"{key}_{name}": value for name, value in fields.items()})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert stored(world, cid) == expected
    inspection = world["store"].get_inspection(world["id"])
    card = service.live_card(inspection)
    assert card.line(cid).status == status


@pytest.mark.parametrize("cid, content", [("1", {"value": False}), ("3", {"value": 0}),
                                          ("9", {"value": 0.0})])
def test_a_stored_zero_shows_in_the_plain_form(world, cid, content):
    assert put(world, cid, **content).status_code == 200
    client = web_login(world)
    fields = form_fields(client.get(f"/inspections/{world['id']}/s/s1").get_data(as_text=True))
    assert fields[f"{key_of(cid)}_value"] == ("false" if content["value"] is False else "0")


# ---------------------------------------------------------------- 2. one number parser

# (locale, typed, whole-number box, what it means: a number, or why not with the readings)
TYPED = [
    ("vi", "3.200", False, "3200"), ("vi", "3,5", False, "3.5"),
    ("vi", "3.350,5", False, "3350.5"), ("vi", "1.234.567", True, "1234567"),
    ("vi", "1.234.567,25", False, "1234567.25"), ("vi", "37 284", True, "37284"),
    ("vi", "37\u00a0284", True, "37284"), ("vi", "0", True, "0"), ("vi", "0,0", False, "0"),
    ("vi", ",5", False, "0.5"), ("vi", "-5", True, "-5"), ("vi", "+7", True, "7"),
    ("vi", "1,234", False, "1.234"), ("vi", " 12 ", True, "12"), ("vi", "007", True, "7"),
    ("vi", "3.20", False, ("two_readings", "3.2", "320")),
    ("vi", "0.5", False, ("two_readings", "0.5", "5")),
    ("vi", "1.5", True, ("two_readings", "1.5", "15")),
    ("vi", "1,234", True, ("two_readings", "1.234", "1234")),
    ("vi", "3,350.5", False, ("other_way", "3350.5")),
    ("vi", "1,234,567", True, ("other_way", "1234567")),
    ("vi", "3,5", True, ("not_whole", "3.5")),
    ("vi", "12,3456", True, ("not_whole", "12.3456")),
    ("vi", "3.2.1", False, ("not_a_number",)), ("vi", "5,", False, ("not_a_number",)),
    ("vi", "abc", False, ("not_a_number",)), ("vi", "1e5", False, ("not_a_number",)),
    ("vi", "1,2,3", False, ("not_a_number",)), ("vi", "-", True, ("not_a_number",)),
    ("vi", "12.3,4.5", False, ("not_a_number",)),
    ("en", "3,200", True, "3200"), ("en", "3.5", False, "3.5"),
    ("en", "3,350.5", False, "3350.5"), ("en", "1,234", False, "1234"),
    ("en", "1.234", False, "1.234"), ("en", "37 284", True, "37284"),
    ("en", "3,20", False, ("two_readings", "3.2", "320")),
    ("en", "1.234", True, ("two_readings", "1.234", "1234")),
    ("en", "3.350,5", False, ("other_way", "3350.5")),
    ("en", "3.5", True, ("not_whole", "3.5")), ("en", "three", True, ("not_a_number",)),
]


def test_minus_zero_is_zero():
    from inspect_app.domain.numbers import read_number

    for typed in ("-0", "−0,0", "-0.000"):
        assert str(read_number(typed)) in ("0", "0.0", "0.000"), typed  # no "-0" to show


def _meaning(locale, text, whole):
    from inspect_app.domain.numbers import NumberUnclear, read_number
    from inspect_app.web.i18n import formatting

    marks = formatting.number_symbols(locale)
    try:
        return _plain(read_number(text, marks["decimal"], marks["group"], whole=whole))
    except NumberUnclear as error:
        return (error.kind, *(_plain(r) for r in error.readings))


def _plain(number):
    return format(number.normalize(), "f")


@pytest.mark.parametrize("locale, text, whole, expected", TYPED)
def test_a_typed_number_means_what_the_locale_says(locale, text, whole, expected):
    meaning = _meaning(locale, text, whole)
    assert meaning == expected


@pytest.mark.parametrize("fields, expected", [
    ({"in_du_toan": "3.200", "in_thuc_thu": "3.350,5"}, {"du_toan": 3200, "thuc_thu": 3350.5}),
    ({"in_du_toan": "3,5", "in_thuc_thu": "0,25"}, {"du_toan": 3.5, "thuc_thu": 0.25}),
])
def test_the_plain_form_reads_vietnamese_numbers_and_shows_them_back(world, fields, expected):
    key = key_of("6")
    response = submit_section(world, {f"{key}_{k}": v for k, v in fields.items()})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert stored(world, "6") == {"inputs": expected}
    page = world["client"].get(f"/inspections/{world['id']}/s/s1").get_data(as_text=True)
    shown_back = form_fields(page)
    for name, typed in fields.items():
        assert shown_back[f"{key}_{name}"] == typed  # "3.200", never "3200" or "3.2"


def test_the_plain_form_in_english_reads_english_numbers(world):
    key = key_of("6")
    response = submit_section(world, {f"{key}_in_du_toan": "3,200",
                                      f"{key}_in_thuc_thu": "3,350.5"}, lang="en")
    assert response.status_code == 302
    assert stored(world, "6") == {"inputs": {"du_toan": 3200, "thuc_thu": 3350.5}}
    shown_back = form_fields(world["client"].get(f"/inspections/{world['id']}/s/s1")
                             .get_data(as_text=True))
    assert shown_back[f"{key}_in_du_toan"] == "3,200"
    assert shown_back[f"{key}_in_thuc_thu"] == "3,350.5"


@pytest.mark.parametrize("cid, fields, message", [
    ("6", {"in_du_toan": "3.20", "in_thuc_thu": "1"},
     "Dự toán thu (triệu đồng): “3.20” có thể hiểu theo hai cách, 3,2 hoặc 320"),
    ("6", {"in_du_toan": "3,350.5", "in_thuc_thu": "1"}, "bạn muốn nhập 3.350,5?"),
    ("5", {"in_planned": "1,234", "in_done": "1"},
     "Số nhiệm vụ kế hoạch: “1,234” có thể hiểu theo hai cách, 1,234 hoặc 1.234"),
    ("5", {"in_planned": "3,5", "in_done": "1"},
     "“3,5” không phải là số nguyên: ô này chỉ nhận số nguyên"),
    ("4", {"value": "abc"}, "“abc” không phải là số"),
])
def test_the_plain_form_refuses_an_unclear_number_showing_both_readings(world, cid, fields,
                                                                       message):
    key = key_of(cid)
    response = submit_section(world, {f"{key}_{k}": v for k, v in fields.items()})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert stored(world, cid) is None


# ---------------------------------------------------------------- 6. a sane range for every number

OUT_OF_RANGE = [  # (criterion, API content, what the refusal says)
    ("5", {"inputs": {"planned": 1, "done": 10 ** 27}},
     "ô “Số nhiệm vụ hoàn thành” quá lớn: 1.000E+27 (tối đa 1.000.000.000.000)"),
    ("7", {"inputs": {"late": int("1" + "0" * 309)}}, "ô “Số hồ sơ trễ do xã” quá lớn"),
    ("6", {"inputs": {"du_toan": float("inf"), "thuc_thu": 1}},
     "ô “Dự toán thu (triệu đồng)” phải là một số hữu hạn"),
    ("6", {"inputs": {"du_toan": float("nan"), "thuc_thu": 1}}, "phải là một số hữu hạn"),
    ("6", {"inputs": {"du_toan": 0.1234567, "thuc_thu": 1}},
     "ô “Dự toán thu (triệu đồng)” có quá nhiều chữ số: 0,1234567"),
    ("6", {"inputs": {"du_toan": 1e300, "thuc_thu": 1}}, "quá lớn"),
    ("4", {"value": 1e300}, "giá trị quá lớn"),
    ("9", {"value": float("inf")}, "giá trị phải là một số hữu hạn"),
    ("8", {"inputs": {"so": 10 ** 13}}, "ô “Số cán bộ” quá lớn"),
    ("5", {"inputs": {"planned": 501, "done": 1}},
     "ô “Số nhiệm vụ kế hoạch” không được lớn hơn 500, nhận được 501"),
    ("5", {"inputs": {"planned": 2, "done": -5}},
     "ô “Số nhiệm vụ hoàn thành” không được là số âm, nhận được -5"),
    ("11", {"inputs": {"phai": 5, "da": 10}},
     "“Số văn bản đã rà soát” (10) không thể lớn hơn “Số văn bản phải rà soát” (5)"),
]


@pytest.mark.parametrize("cid, content, message", OUT_OF_RANGE)
def test_the_api_refuses_a_number_out_of_range_naming_the_criterion(world, cid, content,
                                                                    message):
    response = put(world, cid, **content)
    assert response.status_code == 400, response.json
    text = next(c["text"] for c in NUMBERS_CHECKLIST["sections"][0]["criteria"] if c["id"] == cid)
    assert response.json["error"].startswith(f"{cid} {text}: ")
    assert message in response.json["error"]
    assert response.json["criterion"] == cid
    assert stored(world, cid) is None


@pytest.mark.parametrize("cid, fields, message", [
    ("5", {"in_planned": "1", "in_done": "1.000.000.000.000.000.000.000.000.000"},
     "Số nhiệm vụ hoàn thành: số quá lớn"),
    ("7", {"in_late": "1" + "0" * 309}, "Số hồ sơ trễ do xã: số quá lớn"),
    ("6", {"in_du_toan": "0,1234567", "in_thuc_thu": "1"},
     "Dự toán thu (triệu đồng): số có quá nhiều chữ số"),
    ("4", {"value": "10.000.000.000.000"}, "số quá lớn"),
    ("5", {"in_planned": "501", "in_done": "1"},
     "ô “Số nhiệm vụ kế hoạch” không được lớn hơn 500, nhận được 501"),
    ("11", {"in_phai": "5", "in_da": "10"},
     "“Số văn bản đã rà soát” (10) không thể lớn hơn “Số văn bản phải rà soát” (5)"),
])
def test_the_plain_form_refuses_a_number_out_of_range(world, cid, fields, message):
    response = submit_section(world, {f"{key_of(cid)}_{k}": v for k, v in fields.items()})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert stored(world, cid) is None


#: The largest value every numeric criterion accepts.
LARGEST = {
    "3": {"value": 2}, "4": {"value": 100},
    "5": {"inputs": {"planned": 500, "done": 10 ** 12}},
    "6": {"inputs": {"du_toan": 0.000001, "thuc_thu": 999999999.999999}},
    "7": {"inputs": {"late": 10 ** 12}}, "8": {"inputs": {"so": 10 ** 12}},
    "9": {"value": 1}, "10": {"value": 1},
    "11": {"inputs": {"phai": 10 ** 12, "da": 10 ** 12}},
}


def _every_page_and_export(world, tmp_path):
    """Render the record's pages and export it (web and CLI), all without an error."""
    client = web_login(world)
    iid = world["id"]
    for url in (f"/inspections/{iid}", f"/inspections/{iid}/s/s1", f"/inspections/{iid}/review",
                f"/inspections/{iid}/minutes", f"/inspections/{iid}/plan",
                f"/api/v1/inspections/{iid}"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    response = client.get("/exports/workbook.xlsx", query_string={"include_drafts": "y"})
    assert response.status_code == 200
    assert response.data[:2] == b"PK"
    out = tmp_path / "tong-hop.xlsx"
    result = world["app"].test_cli_runner().invoke(
        args=["export", "--out", str(out), "--include-drafts"])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0


def test_the_largest_accepted_values_score_render_and_export(world, tmp_path):
    for cid, content in LARGEST.items():
        response = put(world, cid, **content)
        assert response.status_code == 200, (cid, response.json)
    card = service.live_card(world["store"].get_inspection(world["id"]))
    assert card.line("6").value > 10 ** 16  # 10^17 % : accepted, and may exceed 100 %
    _every_page_and_export(world, tmp_path)


def test_a_huge_value_already_stored_still_renders_and_exports(world, tmp_path):
    from inspect_app.domain.models import Answer

    huge = int("1" + "0" * 309)

    def plant(inspection):  # old data, written before the limits existed
        inspection.answers["5"] = Answer(rev=1, inputs={"planned": 1, "done": huge}, by="lead")
        inspection.answers["6"] = Answer(rev=1, inputs={"du_toan": 1e-300, "thuc_thu": 1e308},
                                         by="lead")
        inspection.answers["7"] = Answer(rev=1, inputs={"late": huge}, by="lead")
        inspection.answers["8"] = Answer(rev=1, inputs={"so": huge}, by="lead")
        inspection.answers["4"] = Answer(rev=1, value=huge, by="lead")
    world["store"].update_inspection(world["id"], plant)
    _every_page_and_export(world, tmp_path)


# ---------------------------------------------------------------- 3. implausible ratios

def _checklist(**ratio):
    from .factories import RATIO, criterion_data, make_checklist

    return make_checklist(criterion_data(**{**RATIO, **ratio}))


@pytest.mark.parametrize("keys, inputs, check", [
    ({}, {"early": 10, "ontime": 0, "late": -0}, None),                       # 100 %: fine
    ({}, {"early": 10, "ontime": 10, "late": 0}, None),                       # 100 %
    ({"inputs": {"a": "A", "b": "B"}, "numerator": ["a"], "denominator": ["b"]},
     {"a": 10, "b": 5}, "over_100"),                                          # 10 of 5
    ({"inputs": {"a": "A", "b": "B"}, "numerator": ["a"], "denominator": ["b"],
      "may_exceed": True}, {"a": 10, "b": 5}, None),                          # declared
    ({"inputs": {"a": "A", "b": "B"}, "numerator": ["a"], "denominator": ["b"]},
     {"a": 5, "b": 10}, None),
])
def test_a_ratio_above_100_percent_is_flagged_unless_declared(keys, inputs, check):
    from inspect_app.domain.scoring import score

    checklist = _checklist(**keys)
    card = score(checklist, {"c1": {"inputs": inputs}})
    line = card.line("c1")
    assert line.check == check
    assert ("check" in line.as_dict()) is (check is not None)
    assert [l.id for l in card.to_check] == (["c1"] if check else [])


def test_a_numerator_that_cannot_exceed_the_denominator_is_refused():
    from inspect_app.domain.scoring import AnswerError, score

    checklist = _checklist(inputs={"a": "Đã rà soát", "b": "Phải rà soát"}, numerator=["a"],
                           denominator=["b"], at_most_denominator=True)
    with pytest.raises(AnswerError) as error:
        score(checklist, {"c1": {"inputs": {"a": 10, "b": 5}}})
    assert error.value.problems == ["c1: “Đã rà soát” (10) cannot be more than "
                                    "“Phải rà soát” (5)"]
    assert score(checklist, {"c1": {"inputs": {"a": 5, "b": 5}}}).line("c1").status == "pass"


def test_the_shipped_plan_completion_refuses_more_done_than_planned(app):
    from inspect_app.domain.scoring import answer_problems

    checklist = app.extensions["checklists"].get("cchc-xa")
    problems = answer_problems(checklist.criterion("1.2"), {"inputs": {"planned": 5, "done": 10}})
    assert problems == ["“Số nhiệm vụ đã hoàn thành” (10) cannot be more than "
                        "“Số nhiệm vụ trong kế hoạch CCHC” (5)"]
    revenue = checklist.criterion("8.4")
    assert revenue.may_exceed and not revenue.at_most_denominator


@pytest.mark.parametrize("keys, problem", [
    ({"may_exceed": "yes"}, "may_exceed: must be true or false"),
    ({"may_exceed": True, "at_most_denominator": True}, "contradict each other"),
    ({"inputs": {"early": {"label": "A", "max": -1}, "ontime": "B", "late": "C"}},
     "inputs.early.max: must not be negative"),
    ({"inputs": {"early": {"label": "A", "max": 10 ** 13}, "ontime": "B", "late": "C"}},
     "inputs.early.max: must be at most 1000000000000"),
    ({"inputs": {"early": {"label": "A", "min": 5, "max": 2}, "ontime": "B", "late": "C"}},
     "inputs.early: min 5 is greater than max 2"),
    ({"inputs": {"early": {"label": "A", "maximum": 2}, "ontime": "B", "late": "C"}},
     "did you mean 'max'?"),
])
def test_checklist_range_keys_are_validated(keys, problem):
    from inspect_app.domain.checklist import ChecklistError

    with pytest.raises(ChecklistError) as error:
        _checklist(**keys)
    assert any(problem in p for p in error.value.problems), error.value.problems


def test_the_card_and_the_review_flag_a_ratio_above_100_percent(world):
    assert put(world, "5", inputs={"planned": 5, "done": 10}).status_code == 200
    assert put(world, "6", inputs={"du_toan": 5, "thuc_thu": 10}).status_code == 200  # may
    client = web_login(world)
    page = client.get(f"/inspections/{world['id']}/s/s1").get_data(as_text=True)
    flags = {}
    for article in page.split('<article class="crit')[1:]:
        cid = re.search(r'data-criterion="(\d+)"', article).group(1)
        tag = re.search(r'<span class="tag tag-warn" data-role="check"( hidden)?>'
                        r'Trên 100%: kiểm tra lại số liệu', article)
        if tag:
            flags[cid] = "hidden" if tag.group(1) else "shown"
    assert flags == {"5": "shown", "6": "hidden", "11": "hidden"}
    review = client.get(f"/inspections/{world['id']}/review").get_data(as_text=True)
    assert "Số liệu cần kiểm tra lại (1)" in review
    listed = review.split('data-role="to-check"')[1].split("</ul>")[0]
    assert "Hoàn thành kế hoạch" in listed and "200,00%" in listed
    assert "Thu ngân sách" not in listed


def test_the_browser_reads_numbers_exactly_as_the_server_does():
    """static/numbers.js run by node on the TYPED table gives the server's meaning."""
    import json
    import shutil
    import subprocess

    from inspect_app.web.i18n import formatting

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (the browser test of the fill page covers numbers.js)")
    script = Path(__file__).resolve().parent.parent / "inspect_app" / "static" / "numbers.js"
    cases = [{"text": text, "whole": whole, "marks": formatting.number_symbols(locale)}
             for locale, text, whole, _expected in TYPED]
    program = (
        "const n = require(process.argv[1]);"
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(cases.map(c => { const r = n.read(c.text, c.marks, c.whole);"
        " return r.error ? [r.error, ...r.readings] : r.plain; })));")
    done = subprocess.run([node, "-e", program, str(script)], input=json.dumps(cases),
                          capture_output=True, text=True, check=True, timeout=30)
    browser = [tuple(r) if isinstance(r, list) else r for r in json.loads(done.stdout)]
    server = [_meaning(locale, text, whole) for locale, text, whole, _expected in TYPED]
    assert browser == server
    assert browser == [expected for *_rest, expected in TYPED]


@pytest.mark.parametrize("value, locale, text", [
    (3200, "vi", "3.200"), (3350.5, "vi", "3.350,5"), (0.000001, "vi", "0,000001"),
    (1234567.25, "en", "1,234,567.25"), (0, "vi", "0"),
])
def test_the_browser_writes_numbers_as_the_server_does(value, locale, text):
    import json
    import shutil
    import subprocess

    from inspect_app.web.i18n import formatting

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    assert formatting.typed(value, locale) == text
    script = Path(__file__).resolve().parent.parent / "inspect_app" / "static" / "numbers.js"
    program = ("const n = require(process.argv[1]);"
               "console.log(n.format(Number(process.argv[2]), JSON.parse(process.argv[3])))")
    done = subprocess.run([node, "-e", program, str(script), repr(value),
                           json.dumps(formatting.number_symbols(locale))],
                          capture_output=True, text=True, check=True, timeout=30)
    assert done.stdout.strip() == text


def test_an_overlong_number_box_is_explained_not_silently_refused(world):
    response = submit_section(world, {f"{key_of('7')}_in_late": "1" * 501})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Ô này chỉ nhận tối đa 500 ký tự" in page
    assert stored(world, "7") is None
