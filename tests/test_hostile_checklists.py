"""Hostile checklist files (issue 9, point 10): each is refused quickly, with the file
named and a clear message, and one broken file never takes the checklist pages down."""
from __future__ import annotations

import random
import resource
import shutil
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from inspect_app import create_app
from inspect_app.domain.checklist import ChecklistError, number_digits, parse_checklist
from inspect_app.services import accounts
from inspect_app.storage.checklist_files import MAX_FILE_BYTES, load_files, load_text

from .factories import checklist_data, criterion_data
from .support import PASSWORD, login

ROOT = Path(__file__).resolve().parent.parent
VALID_HEAD = ("format: 1\nid: lon\nversion: '1'\ntitle: Số lớn\nkind: any\nsections:\n"
              "- id: s\n  title: Phần\n  criteria:\n  - id: c\n    text: Tiêu chí\n"
              "    type: yesno\n    points: ")


def billion_laughs() -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


#: file name → (content, what the refusal says)
HOSTILE = {
    "deep-list.yaml": ("[" * 100_000 + "]" * 100_000, "nested more than 20 levels deep"),
    "deep-map.yaml": ("{a: " * 100_000 + "}" * 100_000, "nested more than 20 levels deep"),
    "deep-block.yaml": ("- " * 100_000 + "x\n", "nested more than 20 levels deep"),
    "deep-list.json": ("[" * 100_000 + "]" * 100_000, "nested more than 20 levels deep"),
    "deep-map.json": ('{"a": ' * 100_000 + "}" * 100_000, "nested more than 20 levels deep"),
    "laughs.yaml": (billion_laughs(), "more than 20000 values"),
    "aliases.yaml": ("a: &a x\nb: [" + ", ".join(["*a"] * 500) + "]\n", "more than 100 aliases"),
    "deep-aliases.yaml": ("a: &a [[[[[[[[[[x]]]]]]]]]]\nb: [[[[[[[[[[[[*a]]]]]]]]]]]]\n",
                          "nested more than 20 levels deep"),
    "self-alias.yaml": ("a: &a [1, *a]\n", "the alias *a refers to a value that contains it"),
    "long-number.yaml": (VALID_HEAD + "9" * 5000 + "\n",
                         "line 13, column 13: a number of 5000 digits is too long"),
    "long-number.json": ('{"format": 1, "points": ' + "9" * 5000 + "}",
                         "a number of 5000 digits is too long"),
    "huge-float.yaml": (VALID_HEAD + "1.0e+300\n", "a number of 301 digits is too long"),
    "huge.yaml": ("# " + "x" * (10 * 1024 * 1024) + "\n", "the file is too large"),
    "junk.yaml": (random.Random(9).randbytes(5000), "not UTF-8 text (byte 1)"),
    "controls.yaml": (bytes(range(1, 9)) * 500, "unacceptable character"),
    "latin1.yaml": ("title: Thị trấn café\n".encode("latin-1", "replace"), "not UTF-8 text"),
}


def write(folder: Path, name: str) -> Path:
    content = HOSTILE[name][0]
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.fixture
def cli(tmp_path):
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"),
                      "CHECKLISTS_DIR": str(tmp_path / "none")})
    return app.test_cli_runner()


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_check_refuses_a_hostile_file_quickly_naming_it(cli, tmp_path, name):
    path = write(tmp_path, name)
    started = time.perf_counter()
    result = cli.invoke(args=["checklists", "check", str(path)])
    elapsed = time.perf_counter() - started
    assert result.exit_code == 1, result.output  # docs/checklists.md §13: invalid files exit 1
    assert f"{path}: " in result.output and HOSTILE[name][1] in result.output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    assert elapsed < 1, f"{name} took {elapsed:.2f} s"


@pytest.mark.parametrize("name", ["deep-list.yaml", "laughs.yaml", "long-number.json"])
def test_score_refuses_a_hostile_checklist_with_exit_2(cli, tmp_path, name):
    answers = tmp_path / "answers.json"
    answers.write_text('{"answers": {}}', encoding="utf-8")
    result = cli.invoke(args=["score", str(write(tmp_path, name)), str(answers)])
    assert result.exit_code == 2 and HOSTILE[name][1] in result.output, result.output


def _limit_memory():  # in the child: a runaway parse hits 1 GB instead of the machine
    resource.setrlimit(resource.RLIMIT_AS, (1024 ** 3, 1024 ** 3))


def test_no_hostile_file_crashes_the_process(tmp_path):
    """In a real process: a C stack overflow would be a signal (segfault), not exit 1."""
    paths = [str(write(tmp_path, name)) for name in sorted(HOSTILE)]
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "inspect_app", "checklists",
                             "check", *paths], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, preexec_fn=_limit_memory)
    elapsed = time.perf_counter() - started
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    for path, name in zip(paths, sorted(HOSTILE)):
        assert f"{path}: " in result.stderr and HOSTILE[name][1] in result.stderr, name
    assert "Traceback" not in result.stderr
    assert elapsed < 15, elapsed  # start-up included; each file alone is under a second


@pytest.fixture
def live(tmp_path):
    """An app whose live checklists folder holds the shipped files and every hostile one."""
    folder = tmp_path / "checklists"
    folder.mkdir()
    for shipped in (ROOT / "checklists").glob("*.yaml"):
        shutil.copy(shipped, folder)
    for name in HOSTILE:
        write(folder, name)
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"),
                      "SECRET_KEY": "test-secret", "CHECKLISTS_DIR": str(folder)})
    accounts.create_user(app.extensions["store"], "lead", "inspector", password=PASSWORD)
    return app


def test_broken_files_in_the_live_folder_leave_the_pages_working(live):
    client = live.test_client()
    login(client, "lead")
    started = time.perf_counter()
    response = client.get("/checklists/")
    elapsed = time.perf_counter() - started
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Kiểm tra công tác cải cách hành chính cấp xã" in page  # the good ones are listed
    for name in HOSTILE:
        assert f"{name}: " in page, name  # and each broken one is named
    assert "lồng nhau sâu quá 20 cấp" in page and "tệp quá lớn" in page  # in Vietnamese
    assert elapsed < 5, elapsed  # reading all 18 files, 16 of them hostile
    assert client.get("/checklists/cchc-xa").status_code == 200
    start = client.get("/inspections/new")
    assert start.status_code == 200 and 'value="cchc-xa"' in start.get_data(as_text=True)
    assert client.get("/").status_code == 200
    started = time.perf_counter()
    assert client.get("/checklists/").status_code == 200
    assert time.perf_counter() - started < 0.5  # unchanged files are not read again


def test_the_size_limit_is_checked_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "big.yaml"
    with path.open("wb") as handle:  # a sparse file: its size, without writing 5 GB
        handle.truncate(5 * 1024 ** 3)
    report = load_files([path])
    assert report.problems == [f"{path}: the file is too large: {5 * 1024 ** 3} bytes "
                               f"(at most {MAX_FILE_BYTES} bytes)"]


@pytest.mark.parametrize("change, problem", [
    ({"points": 10 ** 16}, "points: a number of 17 digits is too long (at most 15 digits)"),
    ({"points": Decimal("1e300")}, "points: a number of 301 digits is too long"),
    ({"points": 1e-20}, "points: a number of 20 digits is too long"),
    ({"type": "score", "step": Decimal("0.0000000000000001")},
     "step: a number of 16 digits is too long"),
    ({"remedy_days": 10 ** 12}, "remedy_days: must be at most 3650 days (ten years)"),
    ({"type": "choice", "options": [{"value": 10 ** 20, "label": "A", "points": 1}]},
     "options[0].value: a number of 21 digits is too long"),
])
def test_numbers_out_of_reason_are_refused_in_the_domain(change, problem):
    with pytest.raises(ChecklistError) as caught:
        parse_checklist(checklist_data(criterion_data(**change)), "x.yaml")
    assert any(p.endswith(problem) or problem in p for p in caught.value.problems), \
        caught.value.problems


@pytest.mark.parametrize("number, digits", [
    (Decimal("2.5"), 2), (Decimal("100"), 3), (Decimal("0.005"), 3), (Decimal("1E+300"), 301),
    (Decimal("89.996"), 5), (Decimal(0), 1),
])
def test_number_digits(number, digits):
    assert number_digits(number) == digits


def test_fifteen_digit_numbers_and_shipped_files_still_load(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(VALID_HEAD + "123456789012345\n", encoding="utf-8")
    report = load_files([path, *sorted((ROOT / "checklists").glob("*.yaml"))])
    assert report.problems == [] and len(report.checklists) == 3


@pytest.mark.parametrize("line, problem", [
    ("remedy_due: 2025-02-30", "line 1, column 13: '2025-02-30' is not a valid date"),
    ("at: 2025-01-01 25:61:61", "line 1, column 5: '2025-01-01 25:61:61' is not a valid date"),
    ("na_allowed: !!bool maybe", "line 1, column 13: 'maybe' is not a valid true/false value"),
    ("points: !!int abc", "line 1, column 9: 'abc' is not a valid number"),
    ("points: !!float 1,5", "line 1, column 9: '1,5' is not a valid number"),
    ("points: 0x" + "f" * 50, "line 1, column 9: a number of 50 digits is too long"),
    ("points: 1_000_000_000_000_000_000", "line 1, column 9: a number of 19 digits is too long"),
])
def test_a_scalar_yaml_cannot_read_is_a_message_with_its_place_not_a_traceback(line, problem):
    with pytest.raises(ChecklistError) as caught:
        load_text(line + "\n", "x.yaml")
    assert caught.value.problems[0].startswith(problem), caught.value.problems
