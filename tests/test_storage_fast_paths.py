"""The TinyDB store's fast paths give the same results as the slow ones: orjson and the
standard library write the same files and refuse the same things; the API token map
and the checklist snapshot shortcut never hide a change (issue 12, point 4)."""
from __future__ import annotations

import json
import math
import os
import time

import pytest

from inspect_app.domain.models import ApiToken
from inspect_app.storage import files
from inspect_app.storage.files import json_bytes, json_load
from inspect_app.storage.tinydb_store import TinyDBStore

from .test_storage_contract import make_inspection, make_user

DOC = {"inspection": {"1": {"unit": "Xã Thiện Nghiệp", "note": "Đã kiểm tra hồ sơ — đủ",
                            "score": {"total": 81.25, "max": 100, "band": None},
                            "ops": {"aB-_012345": "fp0123456aa1.2 3"}, "list": [1, -2, 0.5]}}}


@pytest.fixture(params=["orjson", "stdlib"])
def codec(request, monkeypatch):
    if request.param == "stdlib":
        monkeypatch.setattr(files, "orjson", None)
    elif files.orjson is None:
        pytest.skip("orjson is not installed")
    return request.param


def test_the_same_bytes_whichever_library_writes(codec):
    stdlib = json.dumps(DOC, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert json_bytes(DOC) == stdlib
    assert json_load(stdlib) == DOC


@pytest.mark.parametrize("value", [2 ** 70, -(2 ** 65)])
def test_integers_beyond_64_bits_still_round_trip(codec, value):
    assert json_load(json_bytes({"n": value})) == {"n": value}


def test_what_only_the_standard_library_reads_is_still_read(codec):
    assert math.isnan(json_load(b'{"x": NaN}')["x"])


def test_the_same_refusals(codec):
    with pytest.raises(json.JSONDecodeError):
        json_load(b'{"x": ')
    with pytest.raises(UnicodeEncodeError):
        json_bytes({"x": "broken \ud800 character"})
    with pytest.raises(TypeError):
        json_bytes({"x": object()})


def _age(path, seconds=60):
    """Make a file look old enough for the file cache to keep it (see FileCache)."""
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_the_token_map_sees_a_revocation_from_another_process(tmp_path):
    store = TinyDBStore(tmp_path)
    store.add_user(make_user(username="hoa", tokens=[ApiToken("b" * 64, "t")]))
    _age(tmp_path / "store" / "users.json")
    assert store.find_user_by_token("b" * 64).username == "hoa"
    assert store.find_user_by_token("b" * 64).username == "hoa"  # from the kept map

    other = TinyDBStore(tmp_path)  # another worker process
    other.update_user("hoa", lambda user: user.tokens.clear())
    assert store.find_user_by_token("b" * 64) is None
    _age(tmp_path / "store" / "users.json")
    assert store.find_user_by_token("b" * 64) is None

    def deactivate(user):
        user.tokens.append(ApiToken("c" * 64, "t"))
        user.active = False
    other.update_user("hoa", deactivate)
    _age(tmp_path / "store" / "users.json")
    found = store.find_user_by_token("c" * 64)
    assert found is not None and found.active is False  # the service then refuses it
    found.tokens.clear()  # a private copy: the kept map is not changed
    assert store.find_user_by_token("c" * 64).tokens


def _with_snapshot(digest: str):
    return make_inspection(checklist={"id": "cchc", "version": digest[:1], "hash": digest,
                                      "title": "Kiểm tra", "data": {"sections": [], "v": digest}})


def test_each_snapshot_is_written_once_and_found_by_every_store(tmp_path):
    first, second = TinyDBStore(tmp_path), TinyDBStore(tmp_path)  # two worker processes
    one = _with_snapshot("a" * 64)
    first.add_inspection(one)
    folder = tmp_path / "store" / "checklists"
    written = (folder / ("a" * 64 + ".json")).stat().st_ino
    second.add_inspection(_with_snapshot("a" * 64))  # exists: not written again
    second.add_inspection(_with_snapshot("b" * 64))  # new to both stores: written
    first.update_inspection(one.id, lambda i: None)
    first.add_inspection(_with_snapshot("b" * 64))
    assert (folder / ("a" * 64 + ".json")).stat().st_ino == written
    assert sorted(p.name[:1] for p in folder.glob("*.json")) == ["a", "b"]
    for inspection_id in (one.id,):
        assert TinyDBStore(tmp_path).get_inspection(inspection_id).checklist["data"]["v"] == "a" * 64
