"""Export jobs and the command-line export keep their word: a workbook removed since is said,
none is left on the disk by a job that could not be recorded done, --base-url wins."""
from __future__ import annotations

import io
import re
import uuid

import openpyxl
import pytest
from PIL import Image

from inspect_app import create_app
from inspect_app.services import photos
from inspect_app.services import province as province_service
from inspect_app.storage.base import CannotStore
from inspect_app.storage.jobs import ExportJobs

from .conftest import app_config
from .support import World, csrf_of, logged_in
from .test_exports import _wait


@pytest.fixture
def world(tmp_path):
    app = create_app(app_config(tmp_path))
    world = World(app, app.test_client())
    record = world.start("lead", "NT")
    world.finalize("lead", record)
    world.record_id = record
    return world


def _start(client, **fields):
    page = client.get("/exports/").get_data(as_text=True)
    data = {"csrf_token": csrf_of(page), "lang": "vi", "checklist": "", "kind": "", **fields}
    response = client.post("/exports/jobs", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def _visible_text(response) -> str:
    """The page's main part as a person sees it (hidden paragraphs left out)."""
    html = response.get_data(as_text=True)
    html = html[html.find("<main"):]
    html = re.sub(r"<p[^>]*\bhidden\b[^>]*>.*?</p>", "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_finished_exports_workbook_that_is_gone_is_not_offered_again_and_again(world):
    """The admin's export finished; later its workbook file is gone from
    DATA_DIR/jobs/exports (removed by hand, a disk restore, half an expiry). The admin
    opens the job page and clicks "Tải tệp Excel". Expected: the page says the workbook
    is no longer there (and offers to make it again). What happens: the download answers
    404 with the very same "done, 100 %, Tải tệp Excel, kept until …" page, the same dead
    link and no word of what went wrong, however often it is clicked."""
    client = logged_in(world.app, "admin")
    with client.session_transaction() as session:
        session["lang"] = "vi"
    job_url = _start(client, period="2025")
    status = _wait(client, job_url)
    assert status["status"] == "done"
    job_id = job_url.rsplit("/", 1)[1]
    jobs = ExportJobs(world.app.config["DATA_DIR"])
    jobs.output_path(job_id).unlink()

    download = client.get(status["download"])
    assert download.status_code == 404
    shown = _visible_text(download)
    assert f'href="{status["download"]}"' not in download.get_data(as_text=True), (
        "the 404 page offers the same download link again: " + shown[:300])
    assert client.get(f"{job_url}/status").get_json()["download"] is None, (
        "the job still reads as downloadable although its workbook is gone")


def test_a_workbook_whose_job_could_not_be_recorded_done_is_not_left_on_the_disk(
        world, monkeypatch):
    """The disk is nearly full: the workbook is written and moved beside the job record,
    then writing "done" into the record is refused (CannotStore). The admin sees the job
    failed with the out-of-space message, and tries again. Expected: the failed job leaves
    no workbook behind (run() promises "a failure ... leaves no temporary file", and on a
    full disk every retry must not eat more space). What happens: the unreachable
    <id>.xlsx (tens of MB for a province) stays in DATA_DIR/jobs/exports until the job
    expires a day later, one more for every retry."""
    real_update = ExportJobs.update

    def refuse_done(self, job_id, **changes):
        if changes.get("status") == "done":
            raise CannotStore("cannot write the job record: No space left on device")
        return real_update(self, job_id, **changes)

    monkeypatch.setattr(ExportJobs, "update", refuse_done)
    client = logged_in(world.app, "admin")
    job_url = _start(client, period="2025")
    status = _wait(client, job_url)
    assert status["status"] == "failed" and status["download"] is None
    job_url.rsplit("/", 1)[1]
    jobs = ExportJobs(world.app.config["DATA_DIR"])
    left = sorted(p.name for p in jobs.folder.glob("*.xlsx"))
    assert left == [], f"the failed job left its workbook on the disk: {left}"


def test_the_command_line_export_uses_the_base_url_it_is_given_for_photo_links(
        world, tmp_path):
    """The province's public address is set on the settings page (https://cchc.example.vn).
    An administrator runs `flask export --out x.xlsx --base-url https://noibo.example.vn`
    to hand the workbook to staff on the internal network. Expected: the photo links go to
    the address given (the option's help: "Address of the web app, for the photo links").
    What happens: the option is silently ignored; the links point at the public address."""
    app, store = world.app, world.store
    in_force = province_service.current(store, app.config).to_dict()
    province_service.save(store, {**in_force, "public_url": "https://cchc.example.vn"})
    record = world.start("lead", "TN")
    image = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(image, "PNG")
    with app.app_context():
        photos.attach_to_answer(store, world.scope("lead"), record, "1.1", image.getvalue(),
                                str(uuid.uuid4()))
    world.finalize("lead", record)
    out = tmp_path / "noi-bo.xlsx"
    result = app.test_cli_runner().invoke(args=[
        "export", "--out", str(out), "--lang", "en", "--unit", "TN",
        "--base-url", "https://noibo.example.vn"])
    assert result.exit_code == 0, result.output
    findings = openpyxl.load_workbook(out)["Findings"]
    headers = [c.value for c in findings[1]]
    links = [row[headers.index("Photo")] for row in findings.iter_rows(min_row=2, values_only=True)
             if row[headers.index("Photo")]]
    assert links, "no photo link in the findings sheet"
    assert all(link.startswith("https://noibo.example.vn/") for link in links), links
