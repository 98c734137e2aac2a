"""A process that stops in the middle of a write or an export, for tests/test_leftovers.py.

    python tests/helpers/stall.py MODE CONFIG_JSON [ARG]

It prints ``STALLED`` (on the real stdout) once it holds what a process killed at that
moment would leave behind, then sleeps until the test kills it with SIGKILL:

* ``write``: a store write whose temporary file is written but not yet renamed;
* ``export-cli OUT``: ``flask export --out OUT`` with the workbook half built;
* ``export-web USER_ID``: the web export (as the Flask-Login user USER_ID), half built;
* ``export-job USERNAME``: a background export job of USERNAME, its workbook half built;
* ``photo RECORD_ID TOKEN``: a photo upload whose files are stored but not its record.
"""
from __future__ import annotations

import io
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from inspect_app import create_app
from inspect_app.domain.models import Unit  # noqa: E402
from inspect_app.exports import xlsx  # noqa: E402
from inspect_app.storage import tinydb_store  # noqa: E402


def stall(*_args, **_kwargs):
    os.write(1, b"STALLED\n")  # not sys.stdout: the CLI runner captures that
    while True:
        time.sleep(60)


def main(mode: str, config: dict, *args: str) -> None:
    if mode == "write":
        store = tinydb_store.TinyDBStore(config["DATA_DIR"])
        os.replace = stall  # the temporary file is written (and held): stop before the rename
        store.save_units([Unit("STALL", "Đơn vị dừng")])
        return
    app = create_app(config)
    if mode == "export-cli":
        xlsx._SheetWriter.finish = stall  # rows written to XlsxWriter's parts, not closed
        result = app.test_cli_runner().invoke(args=["export", "--out", args[0],
                                                    "--include-drafts"])
        raise SystemExit(f"export ended: {result.output} {result.exception!r}")
    if mode == "export-web":
        xlsx._SheetWriter.finish = stall
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = args[0], True
        response = client.get("/exports/workbook.xlsx?include_drafts=y")
        raise SystemExit(f"export ended: {response.status_code}")
    if mode == "export-job":
        from inspect_app.exports.workbook import Filters
        from inspect_app.services import export_jobs
        from inspect_app.services.inspections import scope_for
        from inspect_app.storage.jobs import ExportJobs

        xlsx._SheetWriter.finish = stall
        store = app.extensions["store"]
        export_jobs.start(ExportJobs(config["DATA_DIR"]), store,
                          scope_for(store, store.get_user(args[0])),
                          Filters(include_drafts=True), locale="vi", background=False)
        raise SystemExit("export job ended")
    if mode == "photo":
        from PIL import Image

        tinydb_store.TinyDBStore.update_inspection = stall  # photo files written, record not
        image = io.BytesIO()
        Image.new("RGB", (60, 40), (10, 120, 30)).save(image, "PNG")
        image.seek(0)
        response = app.test_client().post(
            f"/api/v1/inspections/{args[0]}/answers/c1/photos",
            headers={"Authorization": f"Bearer {args[1]}"},
            data={"op_id": "stalled-upload-0001", "photo": (image, "p.png")},
            content_type="multipart/form-data")
        raise SystemExit(f"upload ended: {response.status_code}")
    raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]), *sys.argv[3:])
