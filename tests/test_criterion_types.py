"""Criterion types as plugins (issue 10): the registry, a table per type for validation,
scoring and words, the generated JSON Schema, and the new ``multi`` type end to end
(API → score, no-JS form, review, minutes, Excel findings, ``score`` command)."""
from __future__ import annotations

import ast
import json
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from inspect_app.domain import criteria
from inspect_app.domain.checklist import CRITERION_TYPES, ChecklistError
from inspect_app.domain.criteria.schema import checklist_schema, schema_text
from inspect_app.domain.models import Answer
from inspect_app.domain.scoring import AnswerError, score
from inspect_app.i18n.words import inputs_words, value_words, words
from inspect_app.services import accounts, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .factories import COUNT, RATIO, checklist_data, criterion_data, make_checklist

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "inspect_app"
P = "sections[0].criteria[0]"
PASSWORD = "mat-khau-dai"

MULTI = dict(type="multi", points=2, options=[
    {"value": "tthc", "label": "Danh mục TTHC", "points": 1},
    {"value": "hotline", "label": "Số đường dây nóng", "points": 0.5},
    {"value": "hop_thu", "label": "Hộp thư góp ý", "points": 0.5},
    {"value": "qr", "label": "Mã QR tra cứu", "points": 0.5}])
CHOICE = dict(type="choice", points=1, options=[
    {"value": "dung_han", "label": "Đúng hạn", "points": 1},
    {"value": "tre_han", "label": "Trễ hạn", "points": 0.5}])
INFO = dict(type="info", points=None, inputs={"so": "Số hồ sơ", "ngay": {"label": "Ngày", "type": "date"}})


# ---------------------------------------------------------------- the registry

def test_every_type_registers_every_hook():
    assert set(CRITERION_TYPES) == set(criteria.TYPES) >= {"multi"}
    for kind in criteria.TYPES.values():
        for hook in criteria.HOOKS:
            assert callable(getattr(kind, hook)), (kind.name, hook)


class _Half:
    name, role, keys, takes_inputs, sign = "half", "scored", (), False, ""

    def parse(self, p, raw, path, points):
        return {}


def test_a_type_missing_a_hook_fails_at_registration():
    with pytest.raises(criteria.PluginError, match="lacks the hook"):
        criteria.register(_Half())
    assert "half" not in criteria.TYPES


def test_a_type_with_an_unknown_sign_fails_at_registration():
    class Odd(_Half):
        sign = "±"

    with pytest.raises(criteria.PluginError, match="sign must be one of"):
        criteria.register(Odd())
    assert "half" not in criteria.TYPES


@pytest.mark.parametrize("locale, raw, expected", [
    ("vi", dict(type="score", points=2, step=0.25), ["Từ 0 đến 2, bước 0,25"]),
    ("vi", CHOICE, ["Đúng hạn → 1", "Trễ hạn → 0,5"]),
    ("vi", MULTI, ["Danh mục TTHC → 1", "Số đường dây nóng → 0,5", "Hộp thư góp ý → 0,5",
                   "Mã QR tra cứu → 0,5",
                   "Cộng điểm của mọi lựa chọn đúng với thực tế, tối đa 2."]),
    ("en", dict(type="ratio", points=2, inputs={"a": "Đúng hạn", "b": "Tổng"}, numerator=["a"],
                denominator=["b"], bands=[{"min": 90, "points": 2},
                                          {"min": 80, "max": 89.99, "points": 1.5},
                                          {"points": 0}]),
     ["≥ 90% → 2", "80 – 89.99% → 1.5", "otherwise → 0"]),
    ("vi", dict(type="count", points=1, inputs={"a": "Số vụ"}, count=["a"],
                bands=[{"max": 0, "points": 1}]), ["≤ 0 → 1"]),
    ("vi", dict(type="yesno", points=1), []),
    ("vi", INFO, []),
])
def test_a_types_rules_in_words(locale, raw, expected):
    """The checklist page says how each criterion's points are given, from its type."""
    from inspect_app.i18n.words import rules_words

    [criterion] = make_checklist(criterion_data(**raw)).criteria
    assert rules_words(criterion, locale) == expected


def test_a_duplicate_type_name_fails_at_registration():
    with pytest.raises(criteria.PluginError, match="registered twice"):
        criteria.register(criteria.get("yesno"))


def test_every_type_has_a_form_builder_and_a_label():
    from inspect_app.web.criteria import BUILDERS
    from inspect_app.web.labels import CRITERION_TYPE_LABELS

    assert set(BUILDERS) == set(criteria.TYPES) == set(CRITERION_TYPE_LABELS)


@pytest.mark.parametrize("path", sorted((PACKAGE / "domain" / "criteria").glob("*.py")),
                         ids=lambda p: p.name)
def test_the_criteria_package_imports_only_the_standard_library(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [(alias.name.split(".")[0], 0) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [((node.module or "").split(".")[0], node.level)]
        else:
            continue
        for module, level in names:
            assert level <= 2, f"{path.name} reaches outside the domain package"
            if level == 0:
                assert module in sys.stdlib_module_names or module == "__future__", module


# ---------------------------------------------------------------- validation, per type

@pytest.mark.parametrize("criterion, problem", [
    (dict(type="yesno", options=[]), f"{P}.options: unknown key for type yesno"),
    (dict(CHOICE, options=[]), f"{P}.options: must be a non-empty list of {{value?, label, points}}"),
    (dict(type="score", points=2, step=0), f"{P}.step: must be greater than 0, got 0"),
    (dict(RATIO, on_zero="skip"), f"{P}.on_zero: must be one of na, full, zero"),
    (dict(COUNT, bands=None), f"{P}.bands: must be a non-empty list of {{min?, max?, points}}"),
    (dict(INFO, points=3), f"{P}.points: info criteria are recorded only and have no points"),
    (dict(type="bonus", points=1, options=[]), f"{P}.options: unknown key for type bonus"),
    (dict(type="penalty", points=None), f"{P}.points: is required"),
    (dict(MULTI, options=None), f"{P}.options: must be a non-empty list of {{value?, label, points}}"),
    (dict(MULTI, options=[{"value": "a", "label": "A", "points": 3}]),
     f"{P}.options[0]: points 3 exceeds criterion points 2"),
    (dict(MULTI, options=[{"value": "a", "label": "A", "points": 1},
                          {"value": "a", "label": "B", "points": 1}]),
     f"{P}.options[1].value: duplicate option value 'a'"),
    (dict(MULTI, bands=[{"min": 1, "points": 1}]), f"{P}.bands: unknown key for type multi"),
])
def test_type_validation(criterion, problem):
    with pytest.raises(ChecklistError) as error:
        make_checklist(criterion_data(**criterion))
    assert any(p.startswith(problem) for p in error.value.problems), error.value.problems


# ---------------------------------------------------------------- scoring and words, per type

@pytest.mark.parametrize("criterion, answer, status, points, said", [
    (dict(type="yesno"), {"value": True}, "pass", 1, "Có"),
    (dict(type="yesno"), {"value": False}, "fail", 0, "Không"),
    (CHOICE, {"value": "tre_han"}, "partial", Decimal("0.5"), "Trễ hạn"),
    (dict(type="score", points=2), {"value": 1.5}, "partial", Decimal("1.5"), "1,5"),
    (RATIO, {"inputs": {"early": 10, "ontime": 86, "late": 4}}, "partial", 3, "96,00%"),
    (COUNT, {"inputs": {"late": 0}}, "pass", 1, "Σ 0"),
    (INFO, {"inputs": {"so": 3200}}, "info", None, None),
    (dict(type="bonus", points=2), {"value": 1}, "adjustment", 1, "1"),
    (dict(type="penalty", points=2), {"value": 0.5}, "adjustment", Decimal("0.5"), "0,5"),
    (MULTI, {"value": ["tthc", "qr"]}, "partial", Decimal("1.5"), "Danh mục TTHC; Mã QR tra cứu"),
    (MULTI, {"value": ["qr", "tthc", "hotline", "hop_thu"]}, "pass", 2,  # 2.5 capped at 2
     "Danh mục TTHC; Số đường dây nóng; Hộp thư góp ý; Mã QR tra cứu"),
    (MULTI, {"value": []}, "fail", 0, "Không mục nào"),
    (MULTI, {}, "unanswered", 0, None),
    (dict(MULTI, na_allowed=True), {"na": True}, "na", None, "Không áp dụng"),
])
def test_type_scoring_and_words(criterion, answer, status, points, said):
    checklist = make_checklist(criterion_data(**criterion))
    card = score(checklist, {"c1": answer})
    line = card.line("c1")
    assert (line.status, line.points) == (status, points)
    c = checklist.criterion("c1")
    assert value_words(c, answer, line.as_dict(), "vi") == said
    assert value_words(c, Answer(**answer), line, "vi") == said  # stored answers too


def test_multi_caps_at_the_points_and_ignores_bands_in_the_totals():
    checklist = make_checklist(criterion_data(**MULTI), criterion_data(id="c2"))
    card = score(checklist, {"c1": {"value": ["tthc", "hotline", "hop_thu", "qr"]},
                             "c2": {"value": True}})
    assert (card.total, card.max, card.percent) == (3, 3, 100)
    assert card.line("c1").as_dict()["value"] == ["tthc", "hotline", "hop_thu", "qr"]


@pytest.mark.parametrize("value, problem", [
    ("tthc", "c1: value must be a list of the options that apply, got 'tthc'"),
    (["tthc", "tthc"], "c1: option 'tthc' is listed twice"),
    (["nope"], "c1: unknown option 'nope' (options: 'tthc', 'hotline', 'hop_thu', 'qr')"),
    ([["tthc"]], "c1: unknown option"),
    (True, "c1: value must be a list of the options that apply, got true"),
])
def test_multi_refuses_bad_answers(value, problem):
    checklist = make_checklist(criterion_data(**MULTI))
    with pytest.raises(AnswerError) as error:
        score(checklist, {"c1": {"value": value}})
    assert any(p.startswith(problem) for p in error.value.problems), error.value.problems


def test_multi_takes_no_inputs_and_no_value_with_na():
    checklist = make_checklist(criterion_data(**dict(MULTI, na_allowed=True)))
    with pytest.raises(AnswerError) as error:
        score(checklist, {"c1": {"value": [], "na": True}})
    assert "cannot be both not applicable" in error.value.problems[0]
    with pytest.raises(AnswerError, match="a multi criterion takes no inputs"):
        score(checklist, {"c1": {"value": [], "inputs": {"x": 1}}})


def test_words_join_value_inputs_and_note_in_each_language():
    checklist = make_checklist(criterion_data(**INFO))
    c = checklist.criterion("c1")
    answer = {"inputs": {"so": 3200, "ngay": "2025-04-07"}, "note": "ghi chú"}
    assert inputs_words(c, answer["inputs"], "vi") == "Số hồ sơ: 3.200; Ngày: 07/04/2025"
    assert words(c, answer, None, "en") == "Số hồ sơ: 3,200; Ngày: 07/04/2025 — ghi chú"
    assert words(c, None, None, "en") == "(no answer)"


# ---------------------------------------------------------------- the JSON Schema

def test_the_schema_file_is_the_one_generated_from_the_registry():
    assert (ROOT / "docs" / "checklist.schema.json").read_text(encoding="utf-8") == schema_text(), \
        "run python -m inspect_app.domain.criteria.schema > docs/checklist.schema.json"


def test_the_schema_accepts_the_shipped_checklists_and_a_multi_and_refuses_bands_on_it():
    jsonschema = pytest.importorskip("jsonschema")
    yaml = pytest.importorskip("yaml")
    validator = jsonschema.Draft202012Validator(checklist_schema())
    for path in sorted((ROOT / "checklists").glob("*.yaml")):
        errors = list(validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8"))))
        assert not errors, (path.name, [e.message for e in errors[:3]])
    assert not list(validator.iter_errors(checklist_data(criterion_data(**MULTI))))
    bad = checklist_data(criterion_data(**dict(MULTI, bands=[{"min": 1, "points": 1}])))
    assert list(validator.iter_errors(bad))
    assert "multi" in checklist_schema()["$defs"]["criterion"]["properties"]["type"]["enum"]


# ---------------------------------------------------------------- multi end to end (cchc-xa 6.2)

@pytest.fixture
def world(app):
    store = app.extensions["store"]
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    accounts.create_user(store, "lead", "inspector", password=PASSWORD)
    accounts.create_user(store, "admin", "admin", password=PASSWORD)
    lead = service.scope_for(store, store.get_user("lead"))
    inspection = service.start(store, app.extensions["checklists"], lead, commands.StartRequest(
        unit="NT", checklist="cchc-xa", period="2025", kind="inspection"))
    return {"store": store, "id": inspection.id, "app": app, "lead": lead,
            "token": accounts.issue_token(store, "lead")}


def put(client, world, cid, **content):
    current = world["store"].get_inspection(world["id"]).answers.get(cid)
    body = {"op_id": str(uuid.uuid4()), "base_rev": current.rev if current else 0, **content}
    return client.put(f"/api/v1/inspections/{world['id']}/answers/{cid}", json=body,
                      headers={"Authorization": f"Bearer {world['token']}"})


def test_multi_through_the_api(client, world):
    response = put(client, world, "6.2", value=["quyet_toan", "du_toan"])
    assert response.status_code == 200, response.json
    line = response.json["line"]
    assert (line["status"], line["points"], line["max"]) == ("partial", 1.5, 2)
    # stored in the checklist's order of options, whatever order was sent
    assert world["store"].get_inspection(world["id"]).answers["6.2"].value == [
        "du_toan", "quyet_toan"]
    response = put(client, world, "6.2", value=[])
    assert response.status_code == 200 and response.json["line"]["status"] == "fail"
    response = put(client, world, "6.2", value=["du_toan", "du_toan"])
    assert response.status_code == 400
    assert "mục 'du_toan' được chọn hai lần" in response.json["error"]  # translated
    response = put(client, world, "6.2", value="du_toan")
    assert response.status_code == 400 and "danh sách" in response.json["error"]


def _login(client, username):
    from .support import login
    login(client, username)


def test_multi_through_the_no_js_form_review_and_minutes(client, world):
    from .support import form_fields

    _login(client, "lead")
    checklist = service.checklist_of(world["store"].get_inspection(world["id"]))
    key = f"c{[c.id for c in checklist.criteria].index('6.2')}"
    section = checklist.criterion("6.2").section
    page = client.get(f"/inspections/{world['id']}/s/{section}").get_data(as_text=True)
    assert f'name="{key}_value" value="thuc_hien"' in page and 'type="checkbox"' in page
    fields = form_fields(page)
    data = [(k, v) for k, v in fields.items()]
    data += [(f"{key}_value", "du_toan"), (f"{key}_value", "thuc_hien")]
    response = client.post(f"/inspections/{world['id']}/s/{section}", data=MultiDict(data))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    answer = world["store"].get_inspection(world["id"]).answers["6.2"]
    assert answer.value == ["du_toan", "thuc_hien"]
    page = client.get(f"/inspections/{world['id']}/s/{section}").get_data(as_text=True)
    assert fields_ticked(page, f"{key}_value") == {"du_toan", "thuc_hien"}

    # both "none of them" and an option: a clear refusal, nothing saved
    fields = form_fields(page)
    data = [(k, v) for k, v in fields.items() if k != f"{key}_value"]
    data += [(f"{key}_value", "__none__"), (f"{key}_value", "du_toan")]
    response = client.post(f"/inspections/{world['id']}/s/{section}", data=MultiDict(data))
    assert response.status_code == 400
    assert "không chọn cả hai" in response.get_data(as_text=True)

    review = client.get(f"/inspections/{world['id']}/review").get_data(as_text=True)
    assert "Công khai dự toán ngân sách; Công khai tình hình thực hiện dự toán" in review

    service.finalize(world["store"], world["lead"], world["id"], commands.finalize_op(
        {"op_id": str(uuid.uuid4()), "allow_unanswered": True}))
    minutes = client.get(f"/inspections/{world['id']}/minutes").get_data(as_text=True)
    assert ("Tiêu chí 6.2</strong> (1,25/2 điểm)" in minutes
            and "kết quả: Công khai dự toán ngân sách; Công khai tình hình thực hiện dự toán"
            in minutes)


def fields_ticked(html, name):
    import re
    return set(re.findall(rf'<input type="checkbox" name="{re.escape(name)}" value="([^"]+)" checked',
                          html))


def test_multi_in_the_excel_findings(world):
    from inspect_app.services import exports as export_service

    service.save_answer(world["store"], world["lead"], world["id"], commands.answer_op(
        "6.2", {"op_id": str(uuid.uuid4()), "base_rev": 0, "value": ["thuc_hien"]}))
    service.finalize(world["store"], world["lead"], world["id"], commands.finalize_op(
        {"op_id": str(uuid.uuid4()), "allow_unanswered": True}))
    with world["app"].test_request_context():
        admin = service.scope_for(world["store"], world["store"].get_user("admin"))
        report = export_service.report(world["store"], admin, export_service.Filters(), locale="vi")
        headers, rows = report.table("findings")
    row = dict(zip(headers, next(r for r in rows if r[headers.index("Mã")] == "6.2")))
    assert row["Trả lời"] == "Công khai tình hình thực hiện dự toán"
    assert row["Điểm"] == 0.5
    _, scores = report.table("scores-1")
    assert any(r[0] == "6.2" and 0.5 in r for r in scores), "6.2 in the scores by criterion"


def test_multi_in_the_score_command(app, tmp_path):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"answers": {"6.2": {"value": ["du_toan", "quyet_toan"]},
                                            "6.1": {"value": True}}}), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["score", "cchc-xa", str(path)])
    assert result.exit_code == 0, result.output
    card = json.loads(result.output)
    line = next(c for c in card["criteria"] if c["id"] == "6.2")
    assert line == {"id": "6.2", "section": "tai_chinh", "type": "multi", "status": "partial",
                    "points": 1.5, "max": 2, "value": ["du_toan", "quyet_toan"]}
    path.write_text(json.dumps({"answers": {"6.2": {"value": ["khong_co"]}}}), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["score", "cchc-xa", str(path)])
    assert result.exit_code == 2 and "unknown option 'khong_co'" in result.output


VIETNAMESE_OPTIONS = """\
format: 1
id: {id}
version: "1"
title: Kiểm tra lựa chọn tiếng Việt
kind: inspection
bands:
  - {{min: 50, label: Đạt}}
  - {{min: 0, label: Không đạt}}
sections:
  - id: s1
    title: Phần một
    criteria:
      - id: "1.1"
        text: Thời hạn ban hành kế hoạch
        type: choice
        points: 1
        options:
          - {{label: Đúng hạn, points: 1}}
          - {{label: Trễ hạn, points: 0.5}}
      - id: "1.2"
        text: Nội dung công khai
        type: multi
        points: 2
        options:
          - {{label: Dự toán, points: 1}}
          - {{label: Quyết toán, points: 1}}
"""


def _nfd(text):
    import unicodedata
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text
    return decomposed


def test_options_sent_in_nfd_are_those_options_in_every_type(app, client, tmp_path):
    """An inspector on an iPhone (or pasting from a Mac) answers options whose values are
    their Vietnamese labels: the keyboard sends "Dự toán" decomposed (NFD). The answer is
    the option it spells; it was refused "unknown option" for a ``multi`` criterion. Every
    answer is read in NFC where it comes in (API and ``score`` command alike) and stored
    as the option's own value."""
    from inspect_app.services import checklists as checklist_admin

    checklist_id = f"tv-{uuid.uuid4().hex[:6]}"
    library, store = app.extensions["checklists"], app.extensions["store"]
    text = VIETNAMESE_OPTIONS.format(id=checklist_id)
    checklist_admin.publish(library, checklist_admin.save_draft(library, text))
    unit_service.add_unit(store, "NT", "Xã Nông Thượng")
    accounts.create_user(store, "lead", "inspector", password=PASSWORD)
    lead = service.scope_for(store, store.get_user("lead"))
    record = service.start(store, library, lead, commands.StartRequest(
        unit="NT", checklist=checklist_id, period="2025", kind="inspection")).id
    world = {"store": store, "id": record, "token": accounts.issue_token(store, "lead")}
    for cid, value, stored in (("1.2", [_nfd("Quyết toán"), _nfd("Dự toán")],
                                ["Dự toán", "Quyết toán"]),
                               ("1.1", _nfd("Trễ hạn"), "Trễ hạn")):
        response = put(client, world, cid, value=value)
        assert response.status_code == 200, response.json
        assert store.get_inspection(record).answers[cid].value == stored
    assert response.json["line"]["points"] == 0.5

    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"answers": {"1.1": {"value": _nfd("Đúng hạn")},
                                            "1.2": {"value": [_nfd("Dự toán")]}}},
                               ensure_ascii=False), encoding="utf-8")
    (tmp_path / "tv.yaml").write_text(text, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["score", str(tmp_path / "tv.yaml"), str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["total"] == 2


def test_the_checklist_page_says_how_points_are_given(app, client, auth):
    """Every criterion's rules on the checklist page come from its type (bands, options,
    steps), and a bonus or penalty reads with its sign."""
    accounts.create_user(app.extensions["store"], "boss", "admin", password=PASSWORD)
    auth.login("boss")
    page = client.get("/checklists/cchc-xa").get_data(as_text=True)
    block = page.split('id="c-1.2"', 1)[1].split('id="c-1.3"', 1)[0]
    assert "<li>≥ 100% → 2</li>" in block and "<li>≥ 80% → 1</li>" in block
    bonus = page.split('id="c-9.1"', 1)[1].split('id="c-9.2"', 1)[0]
    penalty = page.split('id="c-9.2"', 1)[1]
    assert '<span class="pts">+2</span>' in bonus and "Từ 0 đến 2, bước 0,25" in bonus
    assert '<span class="pts">−5</span>' in penalty
