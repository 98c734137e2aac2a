"""The command line refuses what would lose data, and says what is wrong: a checklist import
replaces the file holding its id, an export never writes over a YAML file, a units list
without some columns keeps them, the demo never loads into a store with data."""
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
