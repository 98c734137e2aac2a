"""Files that survive a crash (storage/files.py): what is fsynced, and in which order.

The rest of the suite runs with fsync as a no-op in its own process (tests/conftest.py);
these tests keep it real and watch it."""
from __future__ import annotations

import os
import stat

import pytest

from inspect_app.storage import files

pytestmark = pytest.mark.fsync


@pytest.fixture
def calls(monkeypatch):
    """Every fsync and replace, in order, as ("fsync", 'file'|'dir') / ("replace", name);
    the real calls are made."""
    seen = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        seen.append(("fsync", "dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"))
        return real_fsync(fd)

    def replace(src, dst):
        seen.append(("replace", os.path.basename(dst)))
        return real_replace(src, dst)
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    return seen


def test_a_durable_write_fsyncs_the_file_before_replacing_and_the_folder_after(tmp_path, calls):
    target = tmp_path / "record.json"
    files.write_atomic(target, b'{"rev": 1}')
    assert calls == [("fsync", "file"), ("replace", "record.json"), ("fsync", "dir")]
    assert target.read_bytes() == b'{"rev": 1}'
    assert [p.name for p in tmp_path.iterdir()] == ["record.json"]  # no temporary left


def test_a_bulk_write_skips_both_fsyncs(tmp_path, calls):
    files.write_atomic(tmp_path / "bulk.json", b"{}", durable=False)
    assert calls == [("replace", "bulk.json")]


def test_a_new_folder_is_fsynced_into_its_parent(tmp_path, calls):
    files.ensure_dir(tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir()
    assert calls and all(call == ("fsync", "dir") for call in calls)



def test_two_views_of_one_file_are_never_mixed_up(tmp_path):
    """The users file has two views (the users sorted for lists, the users by token): one
    was handed out for the other once the file was old enough to be cached ("'dict' object
    has no attribute 'page'", a 500 on the users page after a token was looked up)."""
    path = tmp_path / "users.json"
    path.write_text('{"users": {"1": {"username": "lan"}}}', encoding="utf-8")
    old = os.stat(path).st_mtime - 3600  # written long ago: its content is cached
    os.utime(path, (old, old))
    cache = files.FileCache()
    as_list = cache.view(path, lambda data: ["list"], kind="list")
    by_token = cache.view(path, lambda data: {"by": "token"}, kind="by-token")
    assert as_list == ["list"] and by_token == {"by": "token"}
    assert cache.view(path, lambda data: ["rebuilt"], kind="list") == ["list"]  # reused
