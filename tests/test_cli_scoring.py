"""The ``checklists check`` and ``score`` commands (DESIGN §3–§4)."""
from __future__ import annotations

import json

import pytest

from inspect_app import create_app

from .factories import RATIO, checklist_data, criterion_data


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "checklists"
    folder.mkdir()
    (folder / "mau.yaml").write_text(json.dumps(checklist_data(
        criterion_data(id="1.1"), criterion_data(id="3.5", **RATIO)), ensure_ascii=False),
        encoding="utf-8")
    return folder


@pytest.fixture
def cli(tmp_path, folder):
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"),
                      "CHECKLISTS_DIR": str(folder)})
    return app.test_cli_runner()


def write_answers(tmp_path, answers) -> str:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_check_passes_on_a_valid_folder(cli):
    result = cli.invoke(args=["checklists", "check"])
    assert result.exit_code == 0, result.output
    assert "ok  mau 1: 1 sections, 2 criteria (2 scored), 6 points" in result.output


def test_check_lists_every_problem_and_fails(cli, folder, tmp_path):
    bad = folder / "bad.yaml"
    bad.write_text("format: 1\nid: bad\nversion: '1'\ntitle: T\nkind: any\nsections:\n"
                   "  - id: s\n    title: S\n    criteria:\n"
                   "      - {id: a, text: T, type: yesno, points: 0}\n"
                   "      - {id: b, text: T, type: score}\n", encoding="utf-8")
    result = cli.invoke(args=["checklists", "check"])
    assert result.exit_code == 1
    assert f"{bad}: sections[0].criteria[0].points: must be greater than 0, got 0" in result.output
    assert f"{bad}: sections[0].criteria[1].points: is required" in result.output
    assert "ok  mau" in result.output


def test_check_named_paths(cli, folder, tmp_path):
    result = cli.invoke(args=["checklists", "check", str(folder / "mau.yaml"), str(tmp_path / "none.yaml")])
    assert result.exit_code == 1
    assert "none.yaml: cannot read file" in result.output


def test_score_prints_the_card(cli, tmp_path):
    path = write_answers(tmp_path, {"answers": {
        "1.1": {"value": True, "note": "KH số 06/KH-UBND ngày 18/01/2023"},
        "3.5": {"inputs": {"early": 0, "ontime": 97, "late": 3}}}})
    result = cli.invoke(args=["score", "mau", path])
    assert result.exit_code == 0, result.output
    card = json.loads(result.output)
    assert card["total"] == 4 and card["max"] == 6 and card["percent"] == 66.67
    assert card["band"] == "Trung bình"
    assert card["criteria"][1] == {"id": "3.5", "section": "s1", "type": "ratio",
                                   "status": "partial", "points": 3, "max": 5, "value": 97}


def test_score_accepts_a_file_path(cli, folder, tmp_path):
    path = write_answers(tmp_path, {"answers": {}})
    result = cli.invoke(args=["score", str(folder / "mau.yaml"), path])
    assert result.exit_code == 0
    assert json.loads(result.output)["counts"]["unanswered"] == 2


@pytest.mark.parametrize("answers, message", [
    ({"answers": {"1.1": {"value": "có"}}}, "1.1: value must be true or false, got 'có'"),
    ({"answers": {"9.9": {"value": True}}}, "9.9: unknown criterion"),
    ({"1.1": {"value": True}}, "the answers file must be a JSON object"),
])
def test_score_bad_answers_exit_2(cli, tmp_path, answers, message):
    result = cli.invoke(args=["score", "mau", write_answers(tmp_path, answers)])
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_score_bad_json_and_missing_checklist(cli, tmp_path):
    path = tmp_path / "a.json"
    path.write_text("{not json", encoding="utf-8")
    result = cli.invoke(args=["score", "mau", str(path)])
    assert result.exit_code == 2 and "line 1, column 2" in result.output
    result = cli.invoke(args=["score", "khong-co", str(path)])
    assert result.exit_code == 2 and "no checklist with id 'khong-co'" in result.output
