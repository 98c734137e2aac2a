"""The ``actions`` extension of format 1 (info criteria listing actions for the plan):
valid forms, every validation message with its path, the schema and the weekly W16."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspect_app.domain.checklist import ActionInputs, ChecklistError, parse_checklist
from inspect_app.storage.checklist_files import load_file

from .factories import checklist_data, criterion_data

ROOT = Path(__file__).resolve().parent.parent
P = "sections[0].criteria[0]"
INPUTS = {"viec": {"label": "Việc cần làm", "type": "text"},
          "nguoi": {"label": "Người phụ trách", "type": "text"},
          "han": {"label": "Hạn", "type": "date"},
          "so": "Số việc"}


def info(**overrides):
    return criterion_data(id="W16", text="Việc cần khắc phục", type="info", points=None,
                          inputs=INPUTS, **overrides)


def problems_of(*criteria):
    with pytest.raises(ChecklistError) as exc:
        parse_checklist(checklist_data(*criteria), "x.yaml")
    return exc.value.problems


@pytest.mark.parametrize("actions, expected", [
    ({"action": "viec", "owner": "nguoi", "due": "han"}, ActionInputs("viec", "nguoi", "han")),
    ({"action": "viec"}, ActionInputs("viec")),
    ({"action": "viec", "due": "han"}, ActionInputs("viec", None, "han")),
])
def test_valid_actions(actions, expected):
    checklist = parse_checklist(checklist_data(info(actions=actions)))
    assert checklist.criterion("W16").actions == expected


def test_actions_are_optional():
    assert parse_checklist(checklist_data(info())).criterion("W16").actions is None


@pytest.mark.parametrize("actions, problem", [
    ({"owner": "nguoi"}, f"{P}.actions.action: is required (the text input that lists the actions)"),
    ({"action": "so"}, f"{P}.actions.action: input 'so' is number, not text"),
    ({"action": "han"}, f"{P}.actions.action: input 'han' is date, not text"),
    ({"action": "viec", "due": "nguoi"}, f"{P}.actions.due: input 'nguoi' is text, not date"),
    ({"action": "viec", "owner": "han"}, f"{P}.actions.owner: input 'han' is date, not text"),
    ({"action": "viec_lam"}, f"{P}.actions.action: refers to unknown input 'viec_lam' "
                             f"(inputs: viec, nguoi, han, so)"),
    ({"action": "viec", "owner": "viec"}, f"{P}.actions.owner: input 'viec' is already used for action"),
    ({"action": "viec", "deadline": "han"}, f"{P}.actions.deadline: unknown key (allowed: action, due, owner)"),
    ({"action": ["viec"]}, f"{P}.actions.action: must be an input id, got a list"),
    ("viec", f"{P}.actions: must be a mapping {{action, owner?, due?}} naming inputs of this criterion"),
    ({}, f"{P}.actions: must be a mapping {{action, owner?, due?}} naming inputs of this criterion"),
])
def test_actions_problems_name_their_path(actions, problem):
    assert problem in problems_of(info(actions=actions))


def test_every_problem_is_reported_not_just_the_first():
    problems = problems_of(info(actions={"action": "so", "due": "nguoi", "x": 1}))
    assert len(problems) == 3


def test_actions_belong_on_info_criteria_only():
    problem = problems_of(criterion_data(actions={"action": "viec"}))[0]
    assert problem.startswith(f"{P}.actions: unknown key for type yesno")


def test_an_info_criterion_without_inputs_cannot_list_actions():
    data = criterion_data(id="W0", type="info", points=None, actions={"action": "viec"})
    assert f"{P}.actions.action: refers to unknown input 'viec' (inputs: none)" in problems_of(data)


def test_the_weekly_self_check_lists_w16_actions():
    checklist = load_file(ROOT / "checklists" / "tu-kiem-tra-mot-cua-tuan.yaml")
    assert checklist.criterion("W16").actions == ActionInputs("viec", "nguoi_phu_trach", "han")


def test_the_schema_knows_actions():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "docs" / "checklist.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    good = checklist_data(info(actions={"action": "viec", "owner": "nguoi", "due": "han"}))
    assert not list(validator.iter_errors(good))
    for bad in (info(actions={"owner": "nguoi"}), info(actions={"action": "viec", "x": "y"}),
                criterion_data(actions={"action": "viec"})):
        assert list(validator.iter_errors(checklist_data(bad))), bad
