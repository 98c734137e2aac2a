"""Login-failure files stay small and cheap however many usernames are tried (issue 9,
point 12): failures are spread over salted-hash shards, expire with the window, and
each shard keeps a bounded number of keys, pushing out one-off typos before a locked
account. Throttling across processes is covered in tests/test_security.py."""
from __future__ import annotations

import json

import pytest

from inspect_app.storage import logins, tinydb_store
from inspect_app.storage.tinydb_store import TinyDBStore

WINDOW = 15 * 60


def shard_files(store: TinyDBStore):
    return sorted((store.root / logins.LOGINS_DIR).glob("*.json"))


def keys_in(store: TinyDBStore) -> list[str]:
    return [d["key"] for path in shard_files(store)
            for d in json.loads(path.read_bytes())["failures"].values()]


def spray(store: TinyDBStore, count: int, at: float = 1000.0) -> None:
    for n in range(count):
        store.record_login_failure(f"login:nguoi-dung-{n:05d}", at + n * 0.01, WINDOW)


def test_three_thousand_usernames_make_small_files(tmp_path):
    """Before: one file of 219 KB after 3,000 usernames, rewritten whole on each failure."""
    store = TinyDBStore(tmp_path)
    spray(store, 3000)
    sizes = [p.stat().st_size for p in shard_files(store)]
    assert len(sizes) <= logins.LOGIN_SHARDS
    assert max(sizes) < 12_000  # what one failure rewrites
    assert sum(sizes) < 260_000
    assert not (store.root / "login_failures.json").exists()
    assert store.login_failures("login:nguoi-dung-01234", 1100.0, WINDOW) == 1


@pytest.mark.parametrize("cap", [1, 4])
def test_the_number_of_keys_is_capped_and_a_locked_account_survives_a_spray(
        tmp_path, monkeypatch, cap):
    monkeypatch.setattr(tinydb_store, "LOGIN_MAX_KEYS_PER_SHARD", cap)
    store = TinyDBStore(tmp_path)
    for n in range(10):
        store.record_login_failure("login:chu-tich", 900.0 + n, WINDOW)
    spray(store, 800)  # well over 64 shards × cap keys
    assert len(keys_in(store)) <= logins.LOGIN_SHARDS * cap
    assert sum(p.stat().st_size for p in shard_files(store)) < 64 * cap * 200
    if cap > 1:  # one key per shard: the newest failure always has the place
        assert store.login_failures("login:chu-tich", 1000.0, WINDOW) == 10


def test_old_failures_expire_when_their_shard_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(tinydb_store, "LOGIN_SHARDS", 1)
    store = TinyDBStore(tmp_path)
    spray(store, 300, at=0.0)
    later = logins.LOGIN_KEEP_SECONDS + WINDOW + 10.0
    store.record_login_failure("login:moi", later, WINDOW)
    assert keys_in(store) == ["login:moi"]
    assert shard_files(store)[0].stat().st_size < 200


def test_the_shards_are_salted_per_store(tmp_path):
    """Nobody can pick usernames that land in the shard of a given account: the hash
    is keyed by a random salt of the data folder."""
    one, two = TinyDBStore(tmp_path / "a"), TinyDBStore(tmp_path / "b")
    keys = [f"login:u{n}" for n in range(40)]
    for store in (one, two):
        store.record_login_failure("login:x", 1.0, WINDOW)
    assert [one._login_shard(k) .name for k in keys] != [two._login_shard(k).name for k in keys]
    assert TinyDBStore(tmp_path / "a")._login_shard("login:u1") == one._login_shard("login:u1")


def test_a_successful_login_without_failures_writes_nothing(tmp_path):
    store = TinyDBStore(tmp_path)
    store.record_login_failure("login:a", 1.0, WINDOW)
    before = {p: p.stat().st_mtime_ns for p in shard_files(store)}
    store.clear_login_failures("login:never-failed")
    assert {p: p.stat().st_mtime_ns for p in shard_files(store)} == before
