"""Values through the JSON API compared and named as JSON: a correction from 1 to true or 0 to
false is stored, options are listed true, not True."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from inspect_app import create_app

from .conftest import app_config
from .factories import checklist_data
from .support import World, op

ROOT = Path(__file__).resolve().parent.parent

CRITERIA = [
    dict(id="c4", text="Mức độ công khai", type="choice", points=2, options=[
        {"value": 1, "label": "Công khai một phần", "points": 1},
        {"value": True, "label": "Công khai đầy đủ", "points": 2},
        {"value": "khong", "label": "Không công khai", "points": 0}]),
    dict(id="c8", text="Đã ban hành quy chế", type="info", points=None),
]


@pytest.fixture
def world(tmp_path):
    folder = tmp_path / "checklists"
    folder.mkdir()
    for path in (ROOT / "checklists").glob("*.yaml"):
        shutil.copy(path, folder)
    data = checklist_data(*CRITERIA, id="mau", kind="inspection", cadence="yearly")
    (folder / "mau.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    app = create_app(app_config(tmp_path, CHECKLISTS_DIR=str(folder)))
    return World(app, app.test_client())


def _put(world, record, criterion, **body):
    lead = world.api["lead"]
    current = lead.get(f"/inspections/{record}").get_json()["answers"].get(criterion, {})
    return lead.client.put(f"/api/v1/inspections/{record}/answers/{criterion}",
                           headers=lead._h(),
                           json={"op_id": op(), "base_rev": current.get("rev", 0), **body})


def test_changing_a_choice_from_option_1_to_option_true_is_not_lost(world):
    """A choice criterion has the options 1 ("Công khai một phần", 1 point) and true
    ("Công khai đầy đủ", 2 points) — distinct values, the checklist is accepted. The
    inspector first answers 1, then corrects it to true. They expect "Công khai đầy đủ"
    stored with 2 points. The API answers 200 but keeps the old answer 1 (1 point): the
    save compares the new content with the stored one by Python equality, where
    1 == True, and takes the change for "already there"."""
    record = world.start("lead", "NT", checklist="mau")
    assert _put(world, record, "c4", value=1).status_code == 200
    response = _put(world, record, "c4", value=True)
    assert response.status_code in (200, 400), response.get_json()
    if response.status_code == 200:
        stored = world.record(record).answers["c4"].value
        assert stored is True, f"the correction to true was dropped: stored {stored!r}"
        assert response.get_json()["line"]["points"] == 2, response.get_json()["line"]


def test_changing_an_info_value_from_0_to_false_is_not_lost(world):
    """An info criterion ("Đã ban hành quy chế") takes a text, a number or true/false. The
    inspector's phone first sent 0 and the inspector then answers false ("Không"). They
    expect false stored (shown "Không"). The API answers 200 and keeps 0: 0 == False in
    the no-op comparison of the save, so the change is never written."""
    record = world.start("lead", "NT", checklist="mau")
    assert _put(world, record, "c8", value=0).status_code == 200
    response = _put(world, record, "c8", value=False)
    assert response.status_code == 200, response.get_json()
    stored = world.record(record).answers["c8"].value
    assert stored is False, f"the answer false was dropped: stored {stored!r}"


def test_unknown_option_message_lists_options_as_json_not_python(world):
    """A program sends an option value the choice criterion lacks ("co"). It expects a 400
    naming the criterion and listing the known options as a JSON client writes them
    (true, not Python's True). The Vietnamese message lists "1, True, 'khong'": the
    options are shown with Python's repr (numbers.shown exists to avoid exactly that)."""
    record = world.start("lead", "NT", checklist="mau")
    response = _put(world, record, "c4", value="co")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error.startswith("c4 Mức độ công khai"), error
    assert "True" not in error, error


@pytest.mark.parametrize("value, written", [
    ({"du_toan": True}, '{"du_toan": true}'),
    ([["du_toan", None]], '["du_toan", null]'),
])
def test_a_refused_list_or_object_is_named_as_the_client_wrote_it(world, value, written):
    """What happened: a multi criterion (6.2 of cchc-xa) answered with an object or a list
    in the list was refused quoting Python's spelling, ``{'du_toan': True}`` and
    ``['du_toan', None]``, which the client never sent."""
    record = world.start("lead", "NT")
    response = _put(world, record, "6.2", value=value)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert written in error and "True" not in error and "None" not in error, error


def test_a_long_refused_list_is_named_cut():
    from inspect_app.domain.numbers import shown

    assert shown(list(range(1000))).endswith("…") and len(shown(list(range(1000)))) == 120


def test_a_refused_start_names_a_wrong_value_as_json(world):
    """What happened: a program starts an inspection with POST /api/v1/inspections and, by a bug of its
    own, sends ``"unit": true`` and ``"checklist": ["cchc-xa"]``. It expects a 400 whose
    messages name what it sent the way JSON writes it (``true``, ``["cchc-xa"]``), as the
    other refusals now do (the period of the same body: "2024 không phải là một kỳ",
    answers: numbers.shown). The messages say "không có đơn vị True" and "không có bộ
    tiêu chí ['cchc-xa']": Python's spelling, which the client never wrote."""
    lead = world.api["lead"]
    response = lead.post("/inspections", {"unit": True, "checklist": ["cchc-xa"],
                                          "period": "2025", "kind": "inspection"})
    assert response.status_code == 400
    fields = response.get_json()["fields"]
    assert "True" not in fields["unit"] and "true" in fields["unit"], fields["unit"]
    assert "['cchc-xa']" not in fields["checklist"], fields["checklist"]
    assert '["cchc-xa"]' in fields["checklist"], fields["checklist"]


def test_a_refused_new_item_names_a_wrong_criterion_as_json(world):
    """A program adds a plan entry with POST /api/v1/inspections/<id>/remediation and sends
    ``"criterion": true`` by mistake. It expects a 400 naming ``true`` as it wrote it; the
    message says "không có tiêu chí True"."""
    record = world.start("lead", "NT")
    response = world.api["lead"].post(f"/inspections/{record}/remediation",
                                      {"op_id": op(), "finding": "Tồn tại", "criterion": True})
    assert response.status_code == 400
    body = response.get_json()
    assert body.get("field") == "criterion"
    assert "True" not in body["error"] and "true" in body["error"], body["error"]
