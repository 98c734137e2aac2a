"""A disk that takes no more writes (full, over quota, read-only, failing), simulated by
making file creation and ``os.replace`` fail the way the kernel would. The same cases
run on a real full tmpfs in tests/test_disk_full_tmpfs.py (as root, in CI).

What a user depends on: a write that cannot be stored answers 503 with a message in
their language, for every way in (API, forms, photos, exports, login); a login never
succeeds without its attempt being counted; reads keep working; nothing half-made is
left (no record without its index entry, no marker that breaks list pages, no orphan
photo, no temporary file).
"""
from __future__ import annotations

import errno
import io
import json
import os
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from inspect_app.domain.models import Inspection, Unit, User
from inspect_app.storage import CannotStore, MemoryStore
from inspect_app.storage.tinydb_store import TinyDBStore

from .access_world import PASSWORD, build_world, login_client, png_bytes
from .support import csrf_of, data_files, form_fields, post_login

REFUSALS = [errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO]
VI_FULL = "Máy chủ hết dung lượng, chưa lưu được"
VI_DISK_ERROR = "Máy chủ không ghi được dữ liệu"


@contextmanager
def disk_refuses(err: int = errno.ENOSPC, after: int = 0):
    """Every new file and every ``os.replace`` fails with ``err`` (after ``after``
    replacements that still succeed), as on a full or failing disk."""
    real_replace = os.replace
    left = [after]

    def fail(*args, **kwargs):
        raise OSError(err, os.strerror(err))

    def replace(*args, **kwargs):
        if left[0] > 0:
            left[0] -= 1
            return real_replace(*args, **kwargs)
        fail()

    with pytest.MonkeyPatch.context() as mp:
        if after == 0:
            for name in ("mkstemp", "mkdtemp", "TemporaryFile", "NamedTemporaryFile"):
                mp.setattr(tempfile, name, fail)
        mp.setattr(os, "replace", replace)
        yield


def leftovers(root: Path) -> list[str]:
    return sorted(str(p) for p in root.rglob("*") if p.name.endswith(".tmp")
                  or "index-pending" in p.parts and p.is_file() and not p.name.endswith(".lock"))


def inspection(iid: str = "rec01", unit: str = "X01", status: str = "draft") -> Inspection:
    return Inspection(id=iid, unit=unit, period="2025", kind="inspection", status=status,
                      checklist={"id": "cchc", "version": "1", "hash": "a" * 64,
                                 "data": {"id": "cchc"}},
                      created_at="2025-01-02T00:00:00")


# -- the stores ----------------------------------------------------------------------------

def _user(name="thanh"):
    return User(username=name, role="viewer", password_hash="x")


WRITES = {
    "save_units": lambda s: s.save_units([Unit("X02", "Hai")]),
    "add_user": lambda s: s.add_user(_user("hoa")),
    "update_user": lambda s: s.update_user("thanh", lambda u: setattr(u, "full_name", "T")),
    "record_login_failure": lambda s: s.record_login_failure("login:thanh", 10.0, 60),
    "add_inspection": lambda s: s.add_inspection(inspection("rec02")),
    "update_answer": lambda s: s.update_inspection("rec01", lambda i: setattr(i, "place", "P")),
    "update_summary": lambda s: s.update_inspection("rec01", lambda i: setattr(i, "status",
                                                                               "finalized")),
    "save_photo": lambda s: s.save_photo("ph01", b"\xff\xd8data"),
}


def _filled(store):
    store.save_units([Unit("X01", "Một")])
    store.add_user(_user())
    store.add_inspection(inspection())
    store.record_login_failure("login:thanh", 5.0, 60)
    return store


def _reads(store):
    return (sorted(u.code for u in store.list_units()), store.get_user("thanh").full_name,
            sorted(u.username for u in store.list_users()),
            store.get_inspection("rec01").to_dict(), store.get_inspection("rec02"),
            [s.to_dict() for s in store.list_inspections()],
            store.login_failures("login:thanh", 10.0, 60), store.photo_path("ph01"))


@pytest.mark.parametrize("write", sorted(WRITES))
@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EIO])
def test_tinydb_refused_write_changes_nothing_and_reads_go_on(tmp_path, write, err):
    store = _filled(TinyDBStore(tmp_path))
    before, reads = data_files(tmp_path), _reads(store)
    with disk_refuses(err):
        with pytest.raises(CannotStore) as refused:
            WRITES[write](store)
        assert refused.value.errno == err
        assert _reads(store) == reads  # reads keep working, and see the old state
    assert data_files(tmp_path) == before
    assert leftovers(tmp_path) == []
    WRITES[write](store)  # room again: the same write goes through
    assert _reads(store) != reads


@pytest.mark.parametrize("write", sorted(WRITES))
def test_memory_store_simulates_a_full_disk(tmp_path, write):
    store = _filled(MemoryStore(tmp_path / "photos"))
    reads = _reads(store)
    store.cannot_store = errno.ENOSPC
    with pytest.raises(CannotStore):
        WRITES[write](store)
    assert _reads(store) == reads
    store.cannot_store = None
    WRITES[write](store)
    assert _reads(store) != reads


@pytest.mark.parametrize("err", REFUSALS)
def test_every_refusal_errno_becomes_cannot_store(tmp_path, err):
    store = TinyDBStore(tmp_path)
    with disk_refuses(err), pytest.raises(CannotStore) as refused:
        store.save_units([Unit("X01", "Một")])
    assert refused.value.errno == err
    full = err in (errno.ENOSPC, errno.EDQUOT)
    assert ("out of disk space" in refused.value.message) is full
    assert ("disk error" in refused.value.message) is not full


def _writes_of(action, tmp_path) -> int:
    """How many file replacements ``action`` makes on a fresh store (to cut it at each)."""
    calls = [0]
    real = os.replace

    def counting(*args, **kwargs):
        calls[0] += 1
        return real(*args, **kwargs)

    store = _filled(TinyDBStore(tmp_path / "count"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "replace", counting)
        action(store)
    return calls[0]


def test_a_create_cut_at_any_write_leaves_nothing(tmp_path):
    """Snapshot, marker, record, index shard: whichever write the disk refuses, the new
    record is not half there (no file, no marker, no index entry) and lists work."""
    create = WRITES["add_inspection"]
    steps = _writes_of(create, tmp_path)
    assert steps >= 3
    for cut in range(steps):
        root = tmp_path / f"cut{cut}"
        store = _filled(TinyDBStore(root))
        with disk_refuses(after=cut):
            with pytest.raises(CannotStore):
                create(store)
            assert [s.id for s in store.list_inspections()] == ["rec01"]  # no 500
        assert store.get_inspection("rec02") is None, cut
        assert leftovers(root) == [], cut
        assert [s.id for s in TinyDBStore(root).list_inspections()] == ["rec01"]
        create(store)  # and it can be made once there is room
        assert sorted(s.id for s in store.list_inspections()) == ["rec01", "rec02"]


def test_a_summary_change_cut_at_any_write_is_all_or_repaired(tmp_path):
    """An update refused before its record is written changes nothing; one whose record
    is written but not its index entry is stored, and its marker repairs the index as
    soon as there is room (list pages work meanwhile)."""
    finalize = WRITES["update_summary"]
    steps = _writes_of(finalize, tmp_path)
    for cut in range(steps):
        root = tmp_path / f"cut{cut}"
        store = _filled(TinyDBStore(root))
        with disk_refuses(after=cut):
            try:
                finalize(store)
            except CannotStore:
                assert store.get_inspection("rec01").status == "draft", cut
                assert leftovers(root) == [], cut
                continue
            assert store.get_inspection("rec01").status == "finalized"
            assert [s.status for s in store.list_inspections()] == ["draft"]  # stale, no 500
        assert [s.status for s in store.list_inspections()] == ["finalized"], cut
        assert leftovers(root) == [], cut


def test_a_leftover_marker_does_not_break_lists_while_the_disk_is_full(tmp_path):
    store = _filled(TinyDBStore(tmp_path))
    pending = tmp_path / "store" / "index-pending"
    pending.mkdir(exist_ok=True)
    (pending / "gone01.json").write_text(json.dumps({"id": "gone01", "units": ["X01"]}))
    (pending / "bad01.json").write_text("{half")
    with disk_refuses():
        assert [s.id for s in store.list_inspections()] == ["rec01"]
        assert [s.id for s in TinyDBStore(tmp_path).list_inspections()] == ["rec01"]
    assert [s.id for s in store.list_inspections()] == ["rec01"]
    assert not (pending / "gone01.json").exists()


# -- the web app -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("diskfull"))


@pytest.fixture
def web(world, tmp_path):
    data = world.copy_data(tmp_path / "data")
    return world.app(data), data


def _api(client, world, method, path, role="insp", **kwargs):
    return client.open("/api/v1" + path, method=method,
                       headers={"Authorization": "Bearer " + world.tokens[role],
                                "Accept-Language": "vi"}, **kwargs)


def _section_post(client, world, token):
    page = client.get(f"/inspections/{world.records['insp_draft']}/s/s1")
    fields = form_fields(page.get_data(as_text=True))
    fields["c1_value"] = "1"
    return client.post(f"/inspections/{world.records['insp_draft']}/s/s1", data=fields)


def _new_post(client, world, token):
    page = client.get("/inspections/new?kind=inspection").get_data(as_text=True)
    return client.post("/inspections/new", data={
        "csrf_token": csrf_of(page), "kind": "inspection", "unit": "A", "checklist": "t-any",
        "period": "2026"})


def _photo_post(client, world, token):
    return client.post(f"/inspections/{world.records['insp_draft']}/c/c1/photos",
                       data={"csrf_token": token, "op_id": str(uuid.uuid4()),
                             "photo": (io.BytesIO(png_bytes()), "p.png")},
                       content_type="multipart/form-data")


#: Every kind of write: (how, JSON answer?)
WEB_WRITES = {
    "api answer": (lambda c, w, t: _api(c, w, "PUT", f"/inspections/{w.records['insp_draft']}"
                                        "/answers/c2", json={"op_id": str(uuid.uuid4()),
                                                             "base_rev": 0, "value": 1}), True),
    "api create": (lambda c, w, t: _api(c, w, "POST", "/inspections", json={
        "unit": "A", "checklist": "t-any", "period": "2026", "kind": "inspection"}), True),
    "api photo": (lambda c, w, t: _api(c, w, "POST", f"/inspections/{w.records['insp_draft']}"
                                       "/answers/c1/photos", data={
                                           "op_id": str(uuid.uuid4()),
                                           "photo": (io.BytesIO(png_bytes()), "p.png")},
                                       content_type="multipart/form-data"), True),
    "api finalize": (lambda c, w, t: _api(c, w, "POST", f"/inspections/{w.records['insp_draft']}"
                                          "/finalize", json={"op_id": str(uuid.uuid4()),
                                                             "allow_unanswered": True}), True),
    "form section": (_section_post, False),
    "form start": (_new_post, False),
    "form photo": (_photo_post, False),
    "export": (lambda c, w, t: c.get("/exports/workbook.xlsx"), False),
}


@pytest.mark.parametrize("name", sorted(WEB_WRITES))
def test_a_write_the_disk_refuses_answers_503_in_the_users_language(world, web, name):
    app, data = web
    send, is_json = WEB_WRITES[name]
    client, token = login_client(app, world, "insp")
    before = data_files(data)
    with disk_refuses():
        response = send(client, world, token)
        assert response.status_code == 503, response.get_data(as_text=True)[:400]
        assert response.headers["Retry-After"]
        text = response.get_json()["error"] if is_json else response.get_data(as_text=True)
        assert VI_FULL in text
        for page in ("/", "/inspections/", f"/inspections/{world.records['insp_draft']}",
                     "/remediation/"):
            assert client.get(page).status_code == 200, page  # reads keep working
    assert data_files(data) == before  # nothing half-made: no record, photo or marker
    assert leftovers(data) == []


def test_the_503_message_follows_the_language_switch(world, web):
    app, _ = web
    client, token = login_client(app, world, "insp", lang="en")
    with disk_refuses(errno.EROFS):
        response = client.put(f"/api/v1/inspections/{world.records['insp_draft']}/answers/c2",
                              json={"op_id": str(uuid.uuid4()), "base_rev": 0, "value": 1},
                              headers={"X-CSRFToken": token})
    assert response.status_code == 503
    assert response.get_json() == {
        "error": "The server cannot write its data (disk error): this was not saved. Try "
                 "again later, and tell the administrator.", "reason": "cannot_store"}



def test_login_fails_closed_when_attempts_cannot_be_counted(world, web):
    """30 wrong passwords then the right one, on a full disk: none is counted, so none
    logs in, and the right one gets the same 503 as the wrong ones."""
    app, _ = web
    client = app.test_client()
    with disk_refuses():
        for attempt in range(30):
            response = post_login(client, "viewer", f"wrong-{attempt}")
            assert response.status_code == 503, attempt
        right = post_login(client, "viewer", PASSWORD)
        assert right.status_code == 503
        assert VI_FULL in right.get_data(as_text=True)
        assert client.get("/inspections/").status_code == 302  # not logged in
    assert post_login(client, "viewer", PASSWORD).status_code == 302  # room again: logs in


def test_a_refused_record_of_success_still_counts_the_attempt(world, web):
    """The attempt is recorded before the password is checked; if forgetting it after
    a right password is refused, the login stands and one failure stays counted."""
    app, _ = web
    store = app.extensions["store"]
    store.record_login_failure("login:someone", time.time(), 900)  # the shard salt exists
    with disk_refuses(after=1):  # recording the attempt works, clearing it does not
        assert post_login(app.test_client(), "viewer", PASSWORD).status_code == 302
    assert store.login_failures("login:viewer", time.time(), 900) == 1


@pytest.mark.parametrize("args", [["units", "add", "X09", "Xã Chín"],
                                  ["users", "token", "admin"]])
def test_commands_end_with_the_message_not_a_traceback(world, web, args):
    app, _ = web
    with disk_refuses():
        result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 2
    assert "The server is out of disk space: this was not saved." in result.output
    assert "Traceback" not in result.output
