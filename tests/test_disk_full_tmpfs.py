"""A real full disk: the data folder on a 4 MB tmpfs, filled to the last byte (issue 9,
point 8). Needs root and permission to mount (CI runs as root); skipped otherwise.

While the disk is full every write answers 503 in the user's language, login fails
closed, reads keep working; once space is freed everything works again and nothing
half-made is left (no marker, no temporary, no orphan photo, no unlisted record).
"""
from __future__ import annotations

import errno
import io
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from inspect_app.storage.check import check_store

from .access_world import PASSWORD, build_world, login_client, png_bytes
from .support import check_store_is_whole, data_files, post_login
from .test_disk_full import VI_FULL

DISK_SIZE = "4m"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("tmpfs-world"))


@pytest.fixture
def small_disk(tmp_path):
    """A mounted tmpfs of DISK_SIZE (unmounted afterwards)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs these tests as root)")
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE}", "tmpfs",
                               str(mount_point)], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot run mount: {exc}")
    if done.returncode != 0:
        pytest.skip(f"mount -t tmpfs not permitted here: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, timeout=30)


def fill(disk: Path) -> Path:
    """Fill the disk to the last byte with one file; returns it."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as f:
        for size in (1 << 16, 1 << 12, 1):
            chunk = b"\0" * size
            try:
                while True:
                    f.write(chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    return filler


def _answer(client, world, token, value):
    store = client.application.extensions["store"]
    answer = store.get_inspection(world.records["insp_draft"]).answers.get("c2")
    return client.put(f"/api/v1/inspections/{world.records['insp_draft']}/answers/c2",
                      json={"op_id": str(uuid.uuid4()), "base_rev": answer.rev if answer else 0,
                            "value": value},
                      headers={"X-CSRFToken": token})


def _create(client, token):
    return client.post("/api/v1/inspections", headers={"X-CSRFToken": token}, json={
        "unit": "A", "checklist": "t-any", "period": "2026", "kind": "inspection"})


def _photo(client, world, token):
    return client.post(f"/api/v1/inspections/{world.records['insp_draft']}/answers/c1/photos",
                       headers={"X-CSRFToken": token},
                       data={"op_id": str(uuid.uuid4()),
                             "photo": (io.BytesIO(png_bytes(size=(400, 300))), "p.png")},
                       content_type="multipart/form-data")


LIST_PAGES = ("/", "/inspections/", "/remediation/", "/units/")


def test_a_full_disk_refuses_writes_cleanly_and_recovers(world, small_disk):
    data = small_disk / "data"
    shutil.copytree(world.data_dir, data, ignore=shutil.ignore_patterns("*.lock"))
    app = world.app(data)
    store = app.extensions["store"]
    client, token = login_client(app, world, "insp")
    record = world.records["insp_draft"]
    _answer(client, world, token, 1)  # lock files and folders of the record exist from here on

    filler = fill(small_disk)
    before = data_files(data)
    guesser = app.test_client()
    for attempt in range(30):
        assert post_login(guesser, "viewer", f"sai-{attempt}").status_code == 503, attempt
    right = post_login(guesser, "viewer", PASSWORD)
    assert right.status_code == 503 and VI_FULL in right.get_data(as_text=True)
    assert guesser.get("/inspections/").status_code == 302  # not logged in

    for name, response in [("answer", _answer(client, world, token, 2)),
                           ("create", _create(client, token)),
                           ("photo", _photo(client, world, token)),
                           ("export", client.get("/exports/workbook.xlsx"))]:
        assert response.status_code == 503, (name, response.get_data(as_text=True)[:300])
        body = response.get_json() if response.is_json else None
        assert VI_FULL in (body["error"] if body else response.get_data(as_text=True)), name
    for page in LIST_PAGES + (f"/inspections/{record}",):
        assert client.get(page).status_code == 200, page
    assert data_files(data) == before  # nothing half-made

    filler.unlink()  # room again: the same store object works at once
    assert post_login(guesser, "viewer", PASSWORD).status_code == 302
    assert _answer(client, world, token, 2).status_code == 200
    created = _create(client, token)
    assert created.status_code == 201
    assert _photo(client, world, token).status_code == 201
    export = client.get("/exports/workbook.xlsx")
    assert export.status_code == 200 and export.data[:2] == b"PK"
    for page in LIST_PAGES:
        assert client.get(page).status_code == 200, page
    assert created.get_json()["id"] in {s.id for s in store.list_inspections()}
    assert store.get_inspection(record).answers["c2"].value == 2
    leftovers = check_store(store, min_age=0)
    assert (leftovers.stale_temporaries, leftovers.orphan_photos, leftovers.unreadable) == \
        ([], [], [])
    check_store_is_whole(data)
