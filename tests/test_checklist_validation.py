"""Every validation message of checklist format 1, with the path inside the file."""
from __future__ import annotations

import json

import pytest

from inspect_app.domain.checklist import ChecklistError, content_hash, parse_checklist
from inspect_app.domain.messages import Message
from inspect_app.domain.text import LONG_TEXT
from inspect_app.i18n import translate
from inspect_app.storage.checklist_files import load_file, load_files, load_text

from .factories import COUNT, RATIO, checklist_data, criterion_data, make_checklist


def problems_of(data, source="x.yaml"):
    with pytest.raises(ChecklistError) as exc:
        parse_checklist(data, source)
    return exc.value.problems


P = "sections[0].criteria[0]"


@pytest.mark.parametrize("change, problem", [
    # top level
    (lambda d: d.pop("format"), "format: is required (format: 1)"),
    (lambda d: d.update(format=2), "format: unsupported format 2; this version reads format 1"),
    (lambda d: d.update(id="Xa Bad"), "id: 'Xa Bad' may only contain a-z, 0-9, _ and -"),
    (lambda d: d.pop("id"), "id: is required"),
    (lambda d: d.pop("version"), "version: is required"),
    (lambda d: d.update(version=2025.10), 'version: write the version in quotes (version: "2025.1") so that YAML keeps it as written'),
    (lambda d: d.update(title=""), "title: must not be empty"),
    (lambda d: d.update(kind="audit"), "kind: must be one of inspection, self_check, any, got text 'audit'"),
    (lambda d: d.update(colour="red"), "colour: unknown key (allowed: bands, cadence, description, format, "
                                       "id, kind, sections, title, version)"),
    (lambda d: d.update(cadence="daily"), "cadence: must be one of weekly, monthly, quarterly, half_yearly, "
                                          "yearly, got text 'daily'"),
    (lambda d: d.update(bands=[{"min": 120, "label": "X"}]), "bands[0].min: must be a percent between 0 and 100, got 120"),
    (lambda d: d.update(bands=[{"min": 90}]), "bands[0].label: is required"),
    (lambda d: d.update(bands="Tốt"), "bands: must be a list of {min, label}, got text 'Tốt'"),
    (lambda d: d.update(sections=[]), "sections: must be a non-empty list of sections"),
    # sections
    (lambda d: d["sections"][0].update(id="a b"), "sections[0].id: 'a b' may only contain A-Z, a-z, 0-9, _, . and -"),
    (lambda d: d["sections"][0].pop("title"), "sections[0].title: is required"),
    (lambda d: d["sections"][0].update(criteria=[]), "sections[0].criteria: must be a non-empty list of criteria"),
    (lambda d: d["sections"].append(dict(d["sections"][0], criteria=[criterion_data(id="z")])),
     "sections[1].id: duplicate section id 's1' (also sections[0])"),
    (lambda d: d["sections"].append("text"), "sections[1]: must be a mapping {id, title, criteria}, got text 'text'"),
])
def test_checklist_and_section_problems(change, problem):
    data = checklist_data()
    change(data)
    assert problem in problems_of(data)


@pytest.mark.parametrize("criterion, problem", [
    (dict(id=1.1), f"{P}.id: must be text; write it in quotes (id: \"1.1\") so that YAML does not read it as the number 1.1"),
    (dict(id="1 1"), f"{P}.id: '1 1' may only contain A-Z, a-z, 0-9, _, . and -"),
    (dict(text=None), f"{P}.text: is required"),
    (dict(type="stars"), f"{P}.type: must be one of yesno, choice, score, ratio, count, info, bonus, penalty, multi, got text 'stars'"),
    (dict(points=None), f"{P}.points: is required"),
    (dict(points=0), f"{P}.points: must be greater than 0, got 0"),
    (dict(points="two"), f"{P}.points: must be a number, got text 'two'"),
    (dict(na_allowed="yes"), f"{P}.na_allowed: must be true or false, got text 'yes'"),
    (dict(remedy_days=-3), f"{P}.remedy_days: must be a whole number of days (0 or more), got -3"),
    (dict(na_alowed=True), f"{P}.na_alowed: unknown key for type yesno; did you mean 'na_allowed'?"),
    (dict(step=0.5), f"{P}.step: unknown key for type yesno"),
    (dict(type="info", points=2), f"{P}.points: info criteria are recorded only and have no points"),
    # choice
    (dict(type="choice"), f"{P}.options: must be a non-empty list of {{value?, label, points}}"),
    (dict(type="choice", options=[{"label": "A", "points": 2}]), f"{P}.options[0]: points 2 exceeds criterion points 1"),
    (dict(type="choice", options=[{"label": "A", "points": 1}, {"label": "A", "points": 0}]),
     f"{P}.options[1].value: duplicate option value 'A'"),
    (dict(type="choice", options=[{"points": 1}]), f"{P}.options[0].label: is required"),
    # score
    (dict(type="score", step=0), f"{P}.step: must be greater than 0, got 0"),
    # ratio
    (dict(RATIO, inputs=None), f"{P}.inputs: is required for type ratio"),
    (dict(RATIO, numerator=["soon"]), f"{P}.numerator[0]: refers to unknown input 'soon' (inputs: early, ontime, late)"),
    (dict(RATIO, denominator=None), f"{P}.denominator: is required (a list of input ids)"),
    (dict(RATIO, denominator=["early", "late", "early"]),
     f"{P}.denominator[2]: input 'early' is listed twice (it would be counted twice)"),
    (dict(RATIO, denominator=[]), f"{P}.denominator: must be a non-empty list of input ids"),
    (dict(RATIO, bands=None), f"{P}: a ratio criterion needs bands or proportional: true"),
    (dict(RATIO, proportional=True), f"{P}: give either bands or proportional: true, not both"),
    (dict(RATIO, on_zero="skip"), f"{P}.on_zero: must be one of na, full, zero, got text 'skip'"),
    (dict(RATIO, inputs={"a b": "x"}), f"{P}.inputs.a b: input ids may only contain A-Z, a-z, 0-9, _, . and -"),
    (dict(RATIO, inputs={"early": ""}), f"{P}.inputs.early: must be a label (text), got text ''"),
    (dict(RATIO, inputs={"early": {"label": "Sớm", "type": "text"}, "ontime": "x", "late": "y"}),
     f"{P}.inputs.early.type: text inputs are only allowed on info criteria"),
    # bands
    (dict(RATIO, bands=[{"min": 100, "points": 6}]), f"{P}.bands[0]: points 6 exceeds criterion points 5"),
    (dict(RATIO, bands=[{"min": 95, "points": 3}, {"min": 90, "max": 80, "points": 1}]),
     f"{P}.bands[1]: min 90 is greater than max 80"),
    (dict(RATIO, bands=[{"min": 95}]), f"{P}.bands[0].points: is required"),
    (dict(RATIO, bands=[{"min": 95, "points": -1}]), f"{P}.bands[0].points: must not be negative, got -1"),
    (dict(RATIO, bands=[{"from": 95, "points": 1}]), f"{P}.bands[0].from: unknown key (allowed: max, min, points)"),
    (dict(RATIO, bands=[]), f"{P}.bands: must be a non-empty list of {{min?, max?, points}}"),
    # count
    (dict(COUNT, count=["nope"]), f"{P}.count[0]: refers to unknown input 'nope' (inputs: late)"),
    (dict(COUNT, bands=None), f"{P}.bands: must be a non-empty list of {{min?, max?, points}}"),
    (dict(COUNT, proportional=True), f"{P}.proportional: unknown key for type count"),
])
def test_criterion_problems(criterion, problem):
    problems = problems_of(checklist_data(criterion_data(**criterion)))
    assert any(p.startswith(problem) for p in problems), problems


def test_duplicate_criterion_ids_across_sections():
    data = checklist_data(criterion_data(id="1.1"))
    data["sections"].append({"id": "s2", "title": "Hai", "criteria": [criterion_data(id="1.1")]})
    assert problems_of(data) == ["sections[1].criteria[0].id: duplicate criterion id '1.1' "
                                 "(also sections[0].criteria[0])"]


def test_every_problem_is_reported_at_once():
    data = checklist_data(criterion_data(id="a", points=-1),
                          criterion_data(id="b", type="ratio", points=2,
                                         inputs={"x": "X"}, numerator=["x"], denominator=["y"],
                                         bands=[{"min": 90, "points": 3}]))
    data.pop("version")
    assert problems_of(data) == [
        "version: is required",
        f"{P}.points: must be greater than 0, got -1",
        "sections[0].criteria[1].denominator[0]: refers to unknown input 'y' (inputs: x)",
        "sections[0].criteria[1].bands[0]: points 3 exceeds criterion points 2",
    ]


def test_error_text_names_the_file_and_path():
    with pytest.raises(ChecklistError) as exc:
        parse_checklist(checklist_data(criterion_data(points=0)), "checklists/x.yaml")
    assert str(exc.value) == f"checklists/x.yaml: {P}.points: must be greater than 0, got 0"


def test_top_level_must_be_a_mapping():
    assert problems_of(["a"]) == ["a checklist must be a mapping at the top level, got a list"]


# ---------------------------------------------------------------- in Vietnamese

#: English words that must not be left in a Vietnamese problem.
ENGLISH = ("must be", ", got ", "is required", "unknown key", "did you mean", "(allowed",
           "may only contain", "a list", "a mapping", "text '", "nothing", "listed twice",
           "not both", "needs bands", "only allowed", "apply to", "is already used",
           "characters long", "unsupported format", "write the version", "write it in quotes")


def broken_checklists():
    """Checklists broken in every way the validator words differently."""
    yield ["a"]
    yield checklist_data(format=2, id="Xa Bad", version=2025.10, kind="audit", cadence="daily",
                         colour="red", title="x" * (LONG_TEXT + 1),
                         bands=[{"min": 120, "label": "X"}, "Tốt", {"min": 50, "lable": "Y"}])
    yield checklist_data(bands="Tốt", sections=[])
    yield {"id": "mau", "version": "1", "title": "T", "kind": "any", "sections": ["text"]}
    data = checklist_data(
        criterion_data(id=1.1),
        criterion_data(id="1 1", remedy_days="30 ngày", na_alowed=True, points="two"),
        criterion_data(id="c3", type="stars"),
        criterion_data(id="c4", remedy_days=-3, step=0.5, na_allowed="yes"),
        criterion_data(id="c5", type="choice", options="Đủ; Không"),
        criterion_data(id="c6", type="choice", options=["Đủ", {"label": "A", "points": 1,
                                                              "value": [1]}]),
        criterion_data(id="c7", type="multi", options=[]),
        dict(RATIO, id="c8", proportional=True, on_zero="skip", may_exceed=True,
             at_most_denominator=True,
             inputs={"a b": "x", "early": "", "ontime": {"label": "x", "type": "text"},
                     "late": {"label": "y", "min": 5, "max": 1}, "big": {"label": "z",
                                                                          "max": 10 ** 13}},
             numerator=["soon", "early", "early", "ontime"],
             bands=[5, {"min": 9, "max": 1, "points": 9}]),
        dict(RATIO, id="c9", bands=None, denominator=None, numerator=[]),
        criterion_data(id="c10", type="count", points=1, count="x", bands=[]),
        criterion_data(id="c11", type="info", points=None,
                       inputs={"v": {"label": "V", "type": "text", "min": 1},
                               "d": {"label": "D", "type": "date"}, "n": "Số"},
                       actions={"action": "d", "owner": [1], "due": "khong"}),
        criterion_data(id="c12", type="info", points=None, inputs={"v": {"label": "V",
                                                                         "type": "text"}},
                       actions={"owner": "v", "due": "v", "wrong": 1}),
        criterion_data(id="c13", type="info", points=None, inputs=[], actions=[]),
        criterion_data(id="c14", type="count", points=1, inputs={"n": "Số"}, count="n",
                       bands=[{"from": 1, "points": 1}], help="h" * (LONG_TEXT + 1)),
    )
    data["sections"].append({"id": "a b", "title": "Hai", "criteria": [], "survey": 1})
    yield data
    data = checklist_data(criterion_data(id=[1]), "một tiêu chí",
                          dict(RATIO, id="r", denominator=["early", "late", "early"]),
                          criterion_data(id="i1", type="info", points=None,
                                         inputs={"v": {"label": "V", "type": "text"}},
                                         actions={"action": "v", "owner": "v"}),
                          criterion_data(id="i2", type="info", points=None,
                                         actions={"action": "v"}))
    yield data


def checklist_problems() -> list[str]:
    out = []
    for data in broken_checklists():
        out.extend(problems_of(data))
    return out


def test_every_problem_of_a_broken_checklist_reads_in_vietnamese():
    problems = checklist_problems()
    templates = {p.params["problem"].template if "problem" in p.params else p.template
                 for p in problems if isinstance(p, Message)}
    assert len(templates) >= 50, sorted(templates)
    for problem in problems:
        assert isinstance(problem, Message), problem
        vi = translate(problem, "vi")
        assert vi != str(problem), problem
        left = [word for word in ENGLISH if word in vi]
        assert not left, (vi, left)


def test_a_band_percent_and_remedy_days_read_in_vietnamese():
    problems = problems_of(checklist_data(criterion_data(remedy_days="30 ngày"),
                                          bands=[{"min": 120, "label": "X"}]))
    assert [translate(p, "vi") for p in problems] == [
        "bands[0].min: phải là tỷ lệ phần trăm từ 0 đến 100, nhận được 120",
        f"{P}.remedy_days: phải là số ngày nguyên (từ 0 trở lên), nhận được văn bản '30 ngày'",
    ]
    assert problems == [
        "bands[0].min: must be a percent between 0 and 100, got 120",
        f"{P}.remedy_days: must be a whole number of days (0 or more), got text '30 ngày'",
    ]


# ---------------------------------------------------------------- text limits

def test_a_text_longer_than_the_limit_is_refused_naming_its_path():
    assert LONG_TEXT == 4000
    problems = problems_of(checklist_data(criterion_data(help="h" * 4001)))
    assert problems == [f"{P}.help: is 4001 characters long: at most 4000"]
    assert translate(problems[0], "vi") == f"{P}.help: dài 4.001 ký tự: tối đa 4.000 ký tự"
    assert parse_checklist(checklist_data(criterion_data(help="h" * 4000))).criteria[0].help \
        == "h" * 4000


@pytest.mark.parametrize("change, path", [
    (lambda d: d.update(title="t" * 4001), "title"),
    (lambda d: d.update(description="d" * 4001), "description"),
    (lambda d: d["bands"][0].update(label="b" * 4001), "bands[0].label"),
    (lambda d: d["sections"][0].update(title="s" * 4001), "sections[0].title"),
    (lambda d: d["sections"][0]["criteria"][0].update(text="c" * 4001, remedy="r" * 4001),
     f"{P}.text"),
    (lambda d: d["sections"][0]["criteria"][0].update(
        type="choice", options=[{"label": "o" * 4001, "points": 1}]), f"{P}.options[0].label"),
    (lambda d: d["sections"][0]["criteria"][0].update(
        RATIO, inputs={"early": "i" * 4001, "ontime": "x", "late": "y"}), f"{P}.inputs.early"),
])
def test_every_text_of_a_checklist_has_the_limit(change, path):
    data = checklist_data()
    change(data)
    assert f"{path}: is 4001 characters long: at most 4000" in problems_of(data)


# ---------------------------------------------------------------- YAML files

def test_yaml_syntax_error_has_line_and_column():
    with pytest.raises(ChecklistError) as exc:
        load_text("format: 1\nid: [unclosed\n", "bad.yaml")
    assert exc.value.problems[0].startswith("line 3, column 1: ")


def test_yaml_duplicate_keys_are_refused():
    text = "format: 1\nid: a\nid: b\n"
    with pytest.raises(ChecklistError) as exc:
        load_text(text, "dup.yaml")
    assert exc.value.problems == ["line 3, column 1: duplicate key 'id'"]


def test_unquoted_numeric_ids_are_explained(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("format: 1\nid: x\nversion: '1'\ntitle: T\nkind: any\nsections:\n"
                    "  - id: s\n    title: S\n    criteria:\n"
                    "      - {id: 1.10, text: T, type: yesno, points: 1}\n", encoding="utf-8")
    with pytest.raises(ChecklistError) as exc:
        load_file(path)
    assert "write it in quotes" in exc.value.problems[0]


def test_non_utf8_file(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_bytes("title: Kiểm tra".encode("cp1258", errors="replace") + b"\xff")
    with pytest.raises(ChecklistError, match="not UTF-8 text"):
        load_file(path)


def test_duplicate_checklist_ids_across_files(tmp_path):
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(json.dumps(checklist_data()), encoding="utf-8")
    report = load_files(sorted(tmp_path.iterdir()))
    assert list(report.checklists) == ["mau"]
    assert report.problems == [f"{tmp_path / 'b.yaml'}: id: checklist id 'mau' is already used by "
                               f"{tmp_path / 'a.yaml'}"]


# ---------------------------------------------------------------- snapshot and hash

def test_checklist_is_frozen_with_a_stable_content_hash():
    data = checklist_data()
    one = parse_checklist(data)
    reordered = dict(reversed(list(data.items())))
    assert parse_checklist(reordered).hash == one.hash
    assert one.hash == content_hash(one.data)
    changed = checklist_data(criterion_data(points=2))
    assert parse_checklist(changed).hash != one.hash
    with pytest.raises(AttributeError):
        one.title = "x"  # frozen


def test_text_is_stored_nfc():
    decomposed = "Kiê\u0309m tra"  # "Kiểm tra" written with a combining hook above
    checklist = make_checklist(title=decomposed)
    assert checklist.title == "Kiểm tra" and len(checklist.title) == 8
