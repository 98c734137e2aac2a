"""What a process killed with SIGKILL in the middle of a write, an export or a photo upload
leaves behind, and how start-up and ``store check [--fix]`` clean it (issue 9, point 9).

The processes are real (tests/helpers/stall.py stops at the worst moment and waits for
the kill), so the file locks that tell a live writer from a dead one are real too.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inspect_app.cli import export as cli_export
from inspect_app.storage import temporaries
from inspect_app.storage.check import check_store
from inspect_app.storage.tinydb_store import TinyDBStore

from .access_world import build_world

STALL = Path(__file__).parent / "helpers" / "stall.py"
HOUR_AGO = time.time() - 3600

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("leftovers"))


@pytest.fixture
def data(world, tmp_path):
    return world.copy_data(tmp_path / "data")


class Stalled:
    """A helper process stopped mid-way, until :meth:`kill`."""

    def __init__(self, mode: str, config: dict, *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, str(STALL), mode, json.dumps(config), *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.proc.stdout.readline()
        if line != b"STALLED\n":
            self.proc.kill()
            raise AssertionError(f"{mode}: {line!r} {self.proc.stderr.read().decode()[-2000:]}")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.proc.stdout.close()
        self.proc.stderr.close()


def temporaries_in(*folders: Path) -> list[Path]:
    found = []
    for folder in folders:
        found += [p for p in folder.rglob("*") if p.name.endswith(".tmp")]
        found += list((folder / "tmp").glob("export-*")) if (folder / "tmp").is_dir() else []
    return sorted(found)


def age(paths) -> None:
    """Make files look an hour old (the age alone must never be enough)."""
    for path in paths:
        os.utime(path, (HOUR_AGO, HOUR_AGO), follow_symlinks=False)


def start_up(data: Path) -> TinyDBStore:
    """What every worker does when it starts (the once-per-5-minutes stamp made old)."""
    stamp = data / "store" / temporaries.CLEAN_STAMP
    if stamp.exists():
        age([stamp])
    return TinyDBStore(data)


def run_check(world, data, *args, exports: Path | None = None, monkeypatch=None):
    app = world.app(data)
    if exports is not None:
        monkeypatch.setattr(cli_export, "EXPORTS_DIR", exports)
    return app.test_cli_runner().invoke(args=["store", "check", *args])


def test_a_write_killed_before_its_rename(world, data, monkeypatch):
    before = (data / "store" / "units.json").read_bytes()
    writer = Stalled("write", world.config(data))
    try:
        left = temporaries_in(data)
        assert [p.name.startswith(".units.json.") for p in left] == [True]
        age(left)
        # A live writer's temporary is never taken for a leftover, however old.
        assert check_store(start_up(data), fix=True).stale_temporaries == []
        assert temporaries_in(data) == left
    finally:
        writer.kill()
    assert (data / "store" / "units.json").read_bytes() == before  # the old file, whole
    report = run_check(world, data)
    assert report.exit_code == 1 and f"stale temporary: {left[0]}" in report.output
    fixed = run_check(world, data, "--fix")
    assert fixed.exit_code == 0 and "(removed)" in fixed.output
    assert temporaries_in(data) == []
    assert run_check(world, data).exit_code == 0


def test_start_up_removes_what_a_killed_writer_left(world, data):
    writer = Stalled("write", world.config(data))
    left = temporaries_in(data)
    writer.kill()
    start_up(data)
    assert left and all(p.exists() for p in left)  # too young: it may still be written
    age(left)
    start_up(data)
    assert temporaries_in(data) == []


def test_a_command_line_export_killed_half_way(world, data, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    export = Stalled("export-cli", world.config(data), str(out / "ket-qua.xlsx"))
    try:
        left = temporaries_in(data, out)
        assert any(p.parent == out and p.name.startswith(".ket-qua.xlsx.") for p in left)
        folder = next(p for p in left if p.name.startswith("export-"))
        assert any(folder.iterdir())  # XlsxWriter's parts of the sheets
        age(left)
        report = run_check(world, data, "--fix", exports=out, monkeypatch=monkeypatch)
        assert "stale temporary" not in report.output  # held by the running export
        assert temporaries_in(data, out) == left
    finally:
        export.kill()
    report = run_check(world, data, "--fix", exports=out, monkeypatch=monkeypatch)
    assert report.exit_code == 0, report.output
    assert report.output.count("(removed)") == len(left)
    assert temporaries_in(data, out) == [] and not (out / "ket-qua.xlsx").exists()


def test_a_web_export_killed_half_way(world, data):
    export = Stalled("export-web", world.config(data), world.user_ids["admin"])
    try:
        folders = list((data / "tmp").glob("export-*"))
        assert len(folders) == 1 and any(folders[0].iterdir())
        age(folders)
        start_up(data)
        assert folders[0].exists()  # a live export's folder stays
    finally:
        export.kill()
    start_up(data)
    assert temporaries_in(data) == []


def test_a_background_export_job_killed_half_way(world, data):
    """kill -9 of the process running an export job: its held export folder and run lock
    stay while it lives; after it died, start-up removes them, and the job reads as
    interrupted (a translated message for its owner, and a new export may start)."""
    from inspect_app.storage.jobs import ExportJobs

    jobs = ExportJobs(data)
    before = {j["id"] for j in jobs.all()}
    export = Stalled("export-job", world.config(data), "admin")
    try:
        left = temporaries_in(data)
        folder = next(p for p in left if p.name.startswith("export-"))
        assert any(folder.iterdir())  # XlsxWriter's parts of the sheets
        assert any(p.parent == jobs.folder and p.name.endswith(".running.tmp") for p in left)
        job = next(j for j in jobs.all() if j["id"] not in before)
        assert job["status"] == "running" and job["owner"] == "admin"
        age(left)
        start_up(data)
        assert temporaries_in(data) == left  # a live export's files stay
    finally:
        export.kill()
    assert jobs.get(job["id"])["status"] == "interrupted"
    age(temporaries_in(data))
    start_up(data)
    assert temporaries_in(data) == []
    assert not jobs.output_path(job["id"]).exists()
    assert jobs.get(job["id"])["status"] == "interrupted"


def test_a_photo_upload_killed_before_its_record(world, data):
    photos = data / "photos"
    kept = sorted(photos.rglob("*.jpg"))
    upload = Stalled("photo", world.config(data), world.records["insp_draft"],
                     world.tokens["insp"])
    upload.kill()
    orphans = sorted(set(photos.rglob("*.jpg")) - set(kept))
    assert len(orphans) == 2  # full and thumbnail
    assert run_check(world, data).exit_code == 0  # young: could be an upload in progress
    age(photos.rglob("*.jpg"))  # every photo old, the referenced ones too
    report = run_check(world, data)
    assert report.exit_code == 1
    assert sorted(line.split(": ", 1)[1] for line in report.output.splitlines()
                  if line.startswith("orphan photo")) == [str(p) for p in orphans]
    fixed = run_check(world, data, "--fix")
    assert fixed.exit_code == 0, fixed.output
    assert sorted(photos.rglob("*.jpg")) == kept  # every photo a record refers to stays
    assert sorted(p.name for p in (data / "orphans" / "photos").rglob("*.jpg")) == \
        sorted(p.name for p in orphans)


def test_no_photo_is_moved_while_an_inspection_file_is_unreadable(world, data):
    photos = data / "photos"
    kept = sorted(photos.rglob("*.jpg"))
    record = world.records["self_b"]
    path = data / "store" / "inspections" / record[:2] / f"{record}.json"
    path.write_text('{"inspection": {"1": {"id": ')  # e.g. a disk error
    age(photos.rglob("*.jpg"))
    report = run_check(world, data, "--fix")
    assert report.exit_code == 1
    assert f"unreadable: {path}" in report.output
    assert "orphan photos not moved: an inspection file is unreadable" in report.output
    assert sorted(photos.rglob("*.jpg")) == kept
