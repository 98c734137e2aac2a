"""The command line refuses what would lose data, and says what is wrong: a checklist import
replaces the file holding its id, an export never writes over a YAML file, a units list
without some columns keeps them, the demo never loads into a store with data, ``score``
refuses an answers file past the checklist loader's limits (exit 2, never a traceback), and
``assessments extend`` keeps the deadline rules of ``assessments open``."""
from __future__ import annotations

import shutil

import yaml

from inspect_app import create_app
from inspect_app.exports.checklist_xlsx import write_checklist
from inspect_app.services import units as unit_service
from inspect_app.settings import PROJECT_DIR

from .conftest import app_config

SHIPPED = PROJECT_DIR / "checklists" / "cchc-xa.yaml"


def test_checklists_import_of_an_edited_workbook_is_used_by_the_app(tmp_path):
    """A province keeps its checklist as ``checklists/cchc-xa-2025.yaml`` (any file name
    is allowed; only the id inside must be unique). The officer exports it to Excel,
    edits the title and the version, and runs ``checklists import`` on the workbook:
    it answers "ok … -> checklists/cchc-xa.yaml". They expect the app (and
    ``checklists check``) to use the edited checklist from then on. What happens: the
    import writes ``cchc-xa.yaml`` beside the old file, so the folder now holds the id
    twice; the old file wins, the edited one is left out as a duplicate, and
    ``checklists check`` now fails on a folder that was valid."""
    folder = tmp_path / "checklists"
    folder.mkdir()
    shutil.copy(SHIPPED, folder / "cchc-xa-2025.yaml")
    app = create_app(app_config(tmp_path, CHECKLISTS_DIR=str(folder)))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["checklists", "check"]).exit_code == 0

    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    data["version"] = "2026.1"
    data["title"] = data["title"] + " (sửa 2026)"
    workbook = tmp_path / "cchc-xa.xlsx"
    with workbook.open("wb") as out:
        write_checklist(data, out)

    result = runner.invoke(args=["checklists", "import", str(workbook)])
    assert result.exit_code == 0, result.output

    check = runner.invoke(args=["checklists", "check"])
    assert check.exit_code == 0, check.output
    used = app.extensions["checklists"].get("cchc-xa")
    assert used is not None and used.version == "2026.1", used and used.version


def test_checklists_export_refuses_an_out_that_is_not_a_workbook(tmp_path):
    """An officer types ``checklists export cchc-xa --out checklists/cchc-xa.yaml``
    (the file they meant to edit, instead of an .xlsx). They expect the refusal that
    ``export --out`` gives ("--out must name an .xlsx file", exit 2) and their checklist
    untouched. What happens: the command writes the Excel zip over the YAML checklist,
    which is destroyed (the folder's only copy; the app then drops the checklist)."""
    folder = tmp_path / "checklists"
    folder.mkdir()
    target = folder / "cchc-xa.yaml"
    shutil.copy(SHIPPED, target)
    before = target.read_bytes()
    app = create_app(app_config(tmp_path, CHECKLISTS_DIR=str(folder)))
    result = app.test_cli_runner().invoke(
        args=["checklists", "export", "cchc-xa", "--out", str(target)])
    assert target.read_bytes() == before, "the YAML checklist was overwritten by a workbook"
    assert result.exit_code == 2, result.output


def test_units_import_without_an_address_column_keeps_stored_addresses(app, runner, tmp_path):
    """An admin has the units with their parent and address (typed on the units page or
    imported). A later list from the district has only ``code,name`` (to correct a
    name). They expect the columns the file does not have to stay as stored: the parent
    and the address. What happens: the import empties the stored address and the
    parent of every unit in the file (the commune drops out of its district's tree),
    silently ("imported 1 unit(s)")."""
    store = app.extensions["store"]
    first = tmp_path / "full.csv"
    first.write_text("code,name,parent,address\nH1,Huyện Một,,\n"
                     "TN,Xã Thiện Nghiệp,H1,Số 1 đường Trần Phú\n", encoding="utf-8")
    assert runner.invoke(args=["units", "import", str(first)]).exit_code == 0
    fix = tmp_path / "names.csv"
    fix.write_text("code,name\nTN,Xã Thiện Nghiệp mới\n", encoding="utf-8")
    result = runner.invoke(args=["units", "import", str(fix)])
    assert result.exit_code == 0, result.output
    unit = store.get_unit("TN")
    assert unit.name == "Xã Thiện Nghiệp mới"
    assert (unit.parent, unit.address) == ("H1", "Số 1 đường Trần Phú"), unit


def test_assessments_survey_names_the_real_size_of_a_file_too_large(app, runner, tmp_path):
    """An admin runs ``assessments survey`` on a 3 MB export of the survey (the limit is
    1 MB). They expect to be told the file is too large with its size (about 3 MB).
    What happens: the message says the file has 1.048.577 bytes (the limit plus one:
    only that much was read), a figure that is neither the file's size nor anything
    the user can act on."""
    unit_service.add_unit(app.extensions["store"], "TN", "Xã Thiện Nghiệp")
    big = tmp_path / "khao-sat.csv"
    size = 3 * 1024 * 1024
    big.write_bytes(b"ma,9.1\n" + b"TN,1\n" * ((size - 7) // 5))
    real = big.stat().st_size
    result = runner.invoke(args=["assessments", "survey", str(big), "--checklist", "cchc-xa",
                                 "--period", "2025"])
    assert result.exit_code == 2, result.output
    assert "1.048.577" not in result.output and "1048577" not in result.output, result.output
    assert f"{real:,}".replace(",", ".") in result.output, (real, result.output)


def test_demo_on_a_store_with_users_refuses_cleanly_and_changes_nothing(app, runner):
    """A province has started for real: its administrator ``admin`` exists and the
    commune TN is stored with its real name under its district. Someone runs
    ``flask --app inspect_app demo`` (without ``--if-empty``) on that server. They expect
    a refusal (exit 2, a message, no traceback) and their data untouched. What happens:
    the demo first overwrites and adds units (TN gets the demo's name and loses its
    district, nine demo communes appear), then stops on "user 'admin' already exists"
    with a traceback and exit 1, leaving that half-loaded demo in the real store."""
    from inspect_app.services import accounts

    store = app.extensions["store"]
    unit_service.add_unit(store, "H1", "Huyện Một")
    unit_service.add_unit(store, "TN", "Xã Thiện Nghiệp (thật)", "H1")
    accounts.create_user(store, "admin", "admin", password="mat khau rat dai")
    before = {u.code: (u.name, u.parent) for u in store.list_units()}

    result = runner.invoke(args=["demo"])
    after = {u.code: (u.name, u.parent) for u in store.list_units()}
    assert after == before, "the demo half-loaded into the real store"
    assert result.exit_code == 2, (result.exit_code, repr(result.exception))


def test_checklists_check_of_a_file_named_twice_is_not_a_duplicate_id(tmp_path):
    """An officer checks the folder and the file they just edited in one go:
    ``checklists check checklists/ checklists/cchc-xa.yaml``. They expect "ok" and exit
    0: every file is valid. What happens: the same file, reached twice, is reported as
    "checklist id 'cchc-xa' is already used by …/cchc-xa.yaml" (by itself) and the check
    exits 1 on a valid folder."""
    folder = tmp_path / "checklists"
    folder.mkdir()
    shutil.copy(SHIPPED, folder / "cchc-xa.yaml")
    app = create_app(app_config(tmp_path, CHECKLISTS_DIR=str(folder)))
    result = app.test_cli_runner().invoke(
        args=["checklists", "check", str(folder), str(folder / "cchc-xa.yaml")])
    assert "already used" not in result.output, result.output
    assert result.exit_code == 0, result.output


def _answers(tmp_path, text: str) -> str:
    path = tmp_path / "answers.json"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_score_refuses_an_answers_file_with_a_huge_integer(runner, tmp_path):
    """What happened: an officer scored an answers file in which a pasted figure ran
    away (the dossier count of 3.5 was a 5000-digit number copied from a spreadsheet).
    ``json.loads`` raised ValueError ("Exceeds the limit (4300 digits) for integer
    string conversion"), which ``score`` did not catch: a traceback and exit 1 instead of
    the refusal ``checklists check`` gives for the same number (docs/checklists.md §14)."""
    path = _answers(tmp_path, '{"answers": {"3.5": {"inputs": {"truoc_han": '
                    + "9" * 5000 + "}}}}")
    result = runner.invoke(args=["score", "cchc-xa", path])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert result.exit_code == 2, result.output
    assert path in result.stderr and "5000" in result.stderr and "15" in result.stderr, \
        result.stderr


def test_score_refuses_a_deeply_nested_answers_file(runner, tmp_path):
    """What happened: ``score`` on a broken or hostile answers file nested 100.000 lists
    deep raised RecursionError in ``json.loads``, uncaught: a traceback and exit 1, where
    the checklist loader refuses "nested more than 20 levels deep" (§15)."""
    depth = 100_000
    path = _answers(tmp_path, '{"answers": ' + "[" * depth + "]" * depth + "}")
    result = runner.invoke(args=["score", "cchc-xa", path])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert result.exit_code == 2, result.output
    assert path in result.stderr and "20" in result.stderr, result.stderr


def _round(tmp_path):
    app = create_app(app_config(tmp_path))
    runner = app.test_cli_runner()
    store = app.extensions["store"]
    unit_service.add_unit(store, "TN", "Xã Thiện Nghiệp")
    opened = runner.invoke(args=["assessments", "open", "cchc-xa", "2025", "--unit", "TN",
                                 "--self-due", "2030-01-01", "--explain-due", "2030-02-01"])
    assert opened.exit_code == 0, opened.output
    return runner, store, opened.stdout.splitlines()[0].split("\t")[1]


def test_assessments_extend_refuses_a_self_score_deadline_after_the_explanations(tmp_path):
    """What happened: in a round opened with self-score due 01/01/2030 and explanations
    due 01/02/2030 (``assessments open`` refuses explanations due before the self-score),
    ``assessments extend ID --self-due 2030-06-01`` answered exit 0: the explanations
    were due four months before the self-score, so they locked (DESIGN §10) before the
    appraisal they answer could start."""
    runner, store, record_id = _round(tmp_path)
    result = runner.invoke(args=["assessments", "extend", record_id,
                                 "--self-due", "2030-06-01"])
    assert result.exit_code == 2, result.output
    assert "01/02/2030" in result.output, result.output
    assert store.get_inspection(record_id).deadlines == {"self": "2030-01-01",
                                                         "explain": "2030-02-01"}
    # both moved at once is fine, whatever order the checks run in
    both = runner.invoke(args=["assessments", "extend", record_id, "--self-due", "2030-06-01",
                               "--explain-due", "2030-07-01"])
    assert both.exit_code == 0, both.output
    assert store.get_inspection(record_id).deadlines == {"self": "2030-06-01",
                                                         "explain": "2030-07-01"}
