"""The storage contract (inspect_app/storage/base.py), run against every implementation,
plus the TinyDB store's own promises: sharded index, no stale cache, schema upgrades."""
from __future__ import annotations

import json
import os
import threading
import time
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from inspect_app.domain.models import (
    SCHEMA,
    Answer,
    ApiToken,
    Event,
    Inspection,
    PhotoRef,
    ProgressNote,
    RemediationItem,
    TeamMember,
    Unit,
    User,
    summarize,
)
from inspect_app.storage import (
    AlreadyExists,
    MemoryStore,
    NotFound,
    Store,
    StoreError,
    TinyDBStore,
    logins,
    new_id,
    open_store,
    tinydb_store,
)
from inspect_app.storage.base import InspectionQuery, ItemQuery
from inspect_app.storage.files import FileCache, write_atomic
from inspect_app.storage.tinydb_store import shard_name

ROOT_CHECKLISTS = Path(__file__).resolve().parent.parent / "checklists"
NFC_NAME = unicodedata.normalize("NFC", "Ủy ban nhân dân xã Tân Lập, huyện Đồng Hỷ")
NFD_NOTE = unicodedata.normalize("NFD", "Chưa niêm yết đầy đủ thủ tục hành chính")


def make_inspection(**overrides: Any) -> Inspection:
    """A draft inspection of unit X01 with a small checklist snapshot and one answer."""
    data: dict[str, Any] = dict(
        id=new_id(), unit="X01", period="2025", kind="inspection",
        checklist={"id": "cchc", "version": "1", "hash": "abc",
                   "title": "Kiểm tra cải cách hành chính", "data": {"sections": []}},
        team=[TeamMember("thanh", "lead", "Nguyễn Văn Thành", "Trưởng đoàn")],
        answers={"c1": Answer(rev=1, value=True, note="Đã niêm yết", by="thanh",
                              at="2025-04-07T08:00:00+07:00")},
        created_by="thanh", created_at="2025-04-07T08:00:00+07:00",
    )
    data.update(overrides)
    return Inspection(**data)


def make_user(**overrides: Any) -> User:
    """An active inspector with one API token."""
    data: dict[str, Any] = dict(
        username="thanh", role="inspector", password_hash="pbkdf2:x",
        full_name="Nguyễn Văn Thành", position="Chuyên viên",
        tokens=[ApiToken(hash="h" * 64, created_at="2025-04-07T08:00:00+07:00", label="điện thoại")],
        created_at="2025-04-07T08:00:00+07:00")
    data.update(overrides)
    return User(**data)


@pytest.fixture(params=["tinydb", "memory", "postgres"])
def store(request, tmp_path) -> Store:
    """Each implementation on a fresh, empty store (PostgreSQL: skipped without
    INSPECT_TEST_DATABASE_URL, see tests/postgres.py)."""
    if request.param == "tinydb":
        return TinyDBStore(tmp_path / "data")
    if request.param == "postgres":
        return request.getfixturevalue("pg_store")
    return MemoryStore(tmp_path / "photos")


@pytest.fixture
def tiny(tmp_path) -> TinyDBStore:
    """The TinyDB store alone, for promises specific to it."""
    return TinyDBStore(tmp_path / "data")


def add_answer(key: str, value: Any = True):
    """A ``change`` that adds one answer and returns it."""
    def change(inspection: Inspection) -> Answer:
        inspection.answers[key] = Answer(rev=1, value=value, by="thanh")
        return inspection.answers[key]
    return change


def set_status(status: str):
    def change(inspection: Inspection) -> None:
        inspection.status = status
    return change


def test_implementations_satisfy_the_protocol(store):
    assert isinstance(store, Store)


# -- round trips ------------------------------------------------------------------

def test_units_round_trip_with_vietnamese_text(store):
    units = [Unit("X01", NFC_NAME, None, "Thôn Đồng Tâm"), Unit("X02", "Xã Hòa Bình", "H01"),
             Unit("Xã Tân Lập/../..", NFD_NOTE)]
    store.save_units(units)
    assert sorted(store.list_units(), key=lambda u: u.code) == sorted(units, key=lambda u: u.code)
    got = store.get_unit("X01")
    assert got == units[0] and unicodedata.is_normalized("NFC", got.name)
    # NFD text comes back exactly as given (the store does not normalize).
    assert store.get_unit("Xã Tân Lập/../..").name == NFD_NOTE
    assert store.get_unit("nope") is None


def test_save_units_replaces_by_code(store):
    store.save_units([Unit("X01", "Cũ"), Unit("X02", "Hai")])
    store.save_units([Unit("X01", "Mới")])
    assert {u.code: u.name for u in store.list_units()} == {"X01": "Mới", "X02": "Hai"}


def test_merged_units_keep_their_merge_and_former_names(store):
    """A unit's merge and former names round-trip; ``unit_merges`` follows every save."""
    merged = Unit("X01", "Xã Cũ", "H01", merged_into="X09", merged_on="2025-07-01")
    renamed = Unit("X09", "Phường Mới", "H01",
                   former_names=[{"name": "Xã Mới", "until": "2025-09-14"}])
    store.save_units([merged, renamed, Unit("X02", "Xã Hai")])
    assert store.get_unit("X01") == merged and store.get_unit("X09") == renamed
    assert {u.code: u for u in store.list_units()}["X01"] == merged
    assert store.unit_merges() == {"X01": "X09"}
    store.save_units([Unit("X02", "Xã Hai", merged_into="X09", merged_on="2025-07-01")])
    assert store.unit_merges() == {"X01": "X09", "X02": "X09"}


def test_save_units_is_all_or_nothing(store):
    with pytest.raises(AttributeError):
        store.save_units([Unit("X01", "Một"), object()])  # type: ignore[list-item]
    assert store.list_units() == []


def test_users_round_trip(store):
    user = make_user()
    store.add_user(user)
    assert store.get_user("thanh") == user
    assert store.list_users() == [user]
    assert store.get_user("other") is None


def test_inspection_round_trip_with_every_nested_record(store):
    inspection = make_inspection(
        answers={"c1": Answer(rev=2, value=3.5, inputs={"early": 10, "late": 1}, note=NFD_NOTE,
                              photos=["p1"], explanation="Giải trình", by="thanh", at="t")},
        photos={"p1": PhotoRef("p1", "thanh", "t", criterion="c1", width=800, height=600,
                               bytes=1234)},
        items=[RemediationItem("i1", "x", "X01", "c1", finding="Thiếu niêm yết",
                               progress=[ProgressNote("t", "xa", "Đã sửa", ["p1"], "done")],
                               history=[Event("t", "xa", "created", {"từ": "đoàn"})])],
        history=[Event("t", "thanh", "created")],
        ops={"k1": "fpa1.1 2"},
        score={"total": 61.475, "max": 100, "percent": 61.475, "band": "Trung bình"},
        place=NFC_NAME, number="12/BB-SNV",
        representatives=[{"name": "Hoàng Văn Thạc", "position": "Công chức Văn phòng"}])
    store.add_inspection(inspection)
    got = store.get_inspection(inspection.id)
    assert got == inspection
    assert got.place == NFC_NAME and got.answers["c1"].note == NFD_NOTE
    assert store.get_inspection(new_id()) is None


def test_representatives_not_stored_stay_apart_from_none_present(store):
    """A record finalized before the representatives were kept reads None (the minutes
    name today's officers); one finalized with no officer present keeps its empty list."""
    before, nobody = make_inspection(), make_inspection(representatives=[])
    for inspection in (before, nobody):
        store.add_inspection(inspection)
    assert "representatives" not in before.to_dict()  # lean: nothing stored
    assert store.get_inspection(before.id).representatives is None
    assert store.get_inspection(nobody.id).representatives == []


def test_iter_summaries_gives_what_query_inspections_gives(store):
    store.save_units([Unit("X01", "Một"), Unit("X02", "Hai")])
    made = [make_inspection(unit=u, period=p) for u in ("X01", "X02") for p in ("2024", "2025")]
    for inspection in made:
        store.add_inspection(inspection)
    for query in (InspectionQuery(), InspectionQuery(units=frozenset({"X02"})),
                  InspectionQuery(period="2025"), InspectionQuery(status="finalized"),
                  InspectionQuery(units=frozenset())):
        expected = store.query_inspections(query).rows
        got = list(store.iter_summaries(query))
        assert sorted(got, key=lambda s: s.id) == sorted(expected, key=lambda s: s.id), query


def test_export_records_are_plain_lean_and_in_the_order_asked(store):
    full = make_inspection(
        checklist={"id": "cchc", "version": "1", "hash": "a" * 64,
                   "title": "Kiểm tra", "data": {"sections": [], "title": "Kiểm tra"}},
        answers={"c1": Answer(rev=2, value=3.5, inputs={"early": 10}, note=NFD_NOTE,
                              photos=["p1"], by="thanh", at="t"),
                 "c2": Answer(rev=1, na=True, by="thanh", at="t")},
        items=[RemediationItem("i1", "x", "X01", "c1", finding="Thiếu niêm yết", due="2025-06-01",
                               progress=[ProgressNote("t", "xa", "Đã sửa", [], "done")],
                               history=[Event("t", "xa", "created")])],
        history=[Event("t", "thanh", "created")], ops={"k1": "fpa1.1 2"},
        score={"total": 61.475, "max": 100, "percent": 61.475, "band": "Trung bình"})
    other = make_inspection(unit="X02")
    store.add_inspection(full)
    store.add_inspection(other)
    records = list(store.iter_export_records([other.id, "missing", full.id]))
    assert [r["id"] for r in records] == [other.id, full.id]
    record = records[1]
    assert not {"history", "ops", "team", "photos"} & set(record)
    assert record["checklist"]["data"] == {"sections": [], "title": "Kiểm tra"}
    assert record["checklist"]["hash"] == "a" * 64 and record["checklist"]["title"] == "Kiểm tra"
    assert record["answers"]["c1"]["note"] == NFD_NOTE and record["answers"]["c1"]["photos"] == ["p1"]
    assert record["answers"]["c2"]["na"] is True and "note" not in record["answers"]["c2"]
    assert record["score"]["total"] == 61.475 and record["status"] == "draft"
    assert record["items"][0]["progress"][0]["note"] == "Đã sửa"
    assert "history" not in record["items"][0] and record["items"][0]["due"] == "2025-06-01"
    json.dumps(records)  # plain data
    record["answers"]["c1"]["note"] = "changed"  # private: the store keeps its own
    again = next(store.iter_export_records([full.id]))
    assert again["answers"]["c1"]["note"] == NFD_NOTE


def test_export_records_are_the_documents_as_written(store):
    """What happened: on PostgreSQL the export's copy of a record was cast to jsonb to drop
    keys, undoing schema 10 ("documents read back as they were written"): answers and
    inputs re-sorted by key length, 1e16 read back as an integer, -0.0 as 0.0."""
    record = make_inspection(
        answers={"c10_dai": Answer(rev=1, value=1e16, inputs={"truoc_han": 1, "dh": 2},
                                   by="t", at="t"),
                 "c2": Answer(rev=1, value=-0.0, by="t", at="t"),
                 "a": Answer(rev=1, value=1.5, by="t", at="t")})
    store.add_inspection(record)
    answers = next(store.iter_export_records([record.id]))["answers"]
    assert list(answers) == ["c10_dai", "c2", "a"] == list(store.get_inspection(record.id).answers)
    assert list(answers["c10_dai"]["inputs"]) == ["truoc_han", "dh"]
    assert isinstance(answers["c10_dai"]["value"], float)
    assert str(answers["c2"]["value"]) == "-0.0"


# -- update semantics -------------------------------------------------------------

def test_update_inspection_persists_and_increments_rev(store):
    inspection = make_inspection()
    store.add_inspection(inspection)
    answer = store.update_inspection(inspection.id, add_answer("c2", 7))
    assert answer.value == 7
    got = store.get_inspection(inspection.id)
    assert got.rev == inspection.rev + 1 and got.answers["c2"].value == 7
    store.update_inspection(inspection.id, add_answer("c3"))
    assert store.get_inspection(inspection.id).rev == inspection.rev + 2


def test_update_inspection_writes_nothing_if_change_raises(store):
    inspection = make_inspection()
    store.add_inspection(inspection)

    def change(i: Inspection) -> None:
        i.answers["c2"] = Answer(value=1)
        i.status = "finalized"
        raise RuntimeError("giữa chừng")

    with pytest.raises(RuntimeError):
        store.update_inspection(inspection.id, change)
    assert store.get_inspection(inspection.id) == inspection
    assert [s.status for s in store.list_inspections()] == ["draft"]


def test_update_inspection_ignores_rev_set_by_change(store):
    inspection = make_inspection()
    store.add_inspection(inspection)

    def change(i: Inspection) -> None:
        i.rev = 99
    store.update_inspection(inspection.id, change)
    assert store.get_inspection(inspection.id).rev == 2


def test_update_cannot_change_the_id(store):
    inspection = make_inspection()
    store.add_inspection(inspection)
    with pytest.raises(ValueError):
        store.update_inspection(inspection.id, lambda i: setattr(i, "id", "other1"))
    assert store.get_inspection(inspection.id) == inspection
    assert store.get_inspection("other1") is None


@pytest.mark.parametrize("bad_id", ["missing1", "../x", "a/b", ""])
def test_update_missing_inspection_is_not_found(store, bad_id):
    with pytest.raises(NotFound):
        store.update_inspection(bad_id, add_answer("c1"))


def test_add_inspection_twice_already_exists(store):
    inspection = make_inspection()
    store.add_inspection(inspection)
    with pytest.raises(AlreadyExists):
        store.add_inspection(make_inspection(id=inspection.id, unit="X02"))
    assert store.get_inspection(inspection.id).unit == "X01"


@pytest.mark.parametrize("bad_id", ["../x", "a/b", "", "x.json", "ab\x00"])
def test_inspection_ids_must_be_safe(store, bad_id):
    with pytest.raises(ValueError):
        store.add_inspection(make_inspection(id=bad_id))
    assert store.get_inspection(bad_id) is None


def test_update_user(store):
    store.add_user(make_user())
    result = store.update_user("thanh", lambda u: setattr(u, "full_name", "Trần Thị Hoa") or "ok")
    assert result == "ok" and store.get_user("thanh").full_name == "Trần Thị Hoa"
    with pytest.raises(NotFound):
        store.update_user("nobody", lambda u: None)


def test_update_user_keeps_the_account_fields(store):
    """What the user pages write: a forced password change, the disabling count (part of
    every session id) and a token's last use, read back by every store."""
    store.add_user(make_user(tokens=[ApiToken("d" * 64, "2025-01-01T00:00:00+00:00", "x")]))

    def change(u: User) -> None:
        u.must_change_password, u.session_epoch, u.active = True, 3, False
        u.tokens[0].last_used_at = "2025-02-03T04:05:06+00:00"
    store.update_user("thanh", change)
    user = store.get_user("thanh")
    assert (user.must_change_password, user.session_epoch, user.active) == (True, 3, False)
    assert user.tokens[0].last_used_at == "2025-02-03T04:05:06+00:00"
    assert store.find_user_by_token("d" * 64).session_epoch == 3


def test_update_user_writes_nothing_if_change_raises(store):
    store.add_user(make_user())

    def change(u: User) -> None:
        u.active = False
        raise ValueError
    with pytest.raises(ValueError):
        store.update_user("thanh", change)
    assert store.get_user("thanh").active is True


def test_add_user_twice_already_exists(store):
    store.add_user(make_user())
    with pytest.raises(AlreadyExists):
        store.add_user(make_user(role="admin"))
    assert store.get_user("thanh").role == "inspector"


# -- private copies --------------------------------------------------------------

def test_returned_and_given_objects_are_private(store):
    inspection = make_inspection()
    store.add_inspection(inspection)
    inspection.answers["c1"].value = False  # the object given to add
    got = store.get_inspection(inspection.id)
    got.answers.clear()
    got.checklist["data"]["sections"].append("x")
    fresh = store.get_inspection(inspection.id)
    assert fresh.answers["c1"].value is True and fresh.checklist["data"] == {"sections": []}

    answer = store.update_inspection(inspection.id, add_answer("c2"))
    answer.value = "changed after the write"  # the change's return value
    assert store.get_inspection(inspection.id).answers["c2"].value is True

    store.add_user(make_user())
    user = store.get_user("thanh")
    user.tokens.clear()
    store.find_user_by_token("h" * 64).tokens.clear()
    store.list_users()[0].tokens.clear()
    assert len(store.get_user("thanh").tokens) == 1

    store.save_units([Unit("X01", "Một")])
    store.get_unit("X01").name = "Khác"
    assert store.get_unit("X01").name == "Một"

    summary = store.list_inspections()[0]
    summary.team.append("ai đó")
    assert store.list_inspections()[0].team == ["thanh"]


# -- listing -------------------------------------------------------------------------

def test_list_inspections_filters_and_order(store):
    specs = [("a", "X01", "2024", "cchc", "inspection", "draft", "2025-01-01"),
             ("b", "X01", "2025", "cchc", "inspection", "finalized", "2025-03-01"),
             ("c", "X02", "2025", "mot_cua", "self_check", "draft", "2025-02-01"),
             ("d", "Xã Tân Lập", "2025", "cchc", "self_check", "draft", "2025-04-01")]
    for iid, unit, period, checklist, kind, status, created in specs:
        store.add_inspection(make_inspection(
            id=iid, unit=unit, period=period, kind=kind, status=status, created_at=created,
            checklist={"id": checklist, "version": "1", "hash": "h", "title": "T"}))

    def ids(**filters):
        return [s.id for s in store.list_inspections(**filters)]

    assert ids() == ["d", "b", "c", "a"]  # newest first
    assert ids(unit="X01") == ["b", "a"]
    assert ids(unit="Xã Tân Lập") == ["d"]
    assert ids(units=["X02", "Xã Tân Lập"]) == ["d", "c"]
    assert ids(units=[]) == []
    assert ids(unit="X01", units=["X02"]) == []  # every filter applies
    assert ids(period="2025") == ["d", "b", "c"]
    assert ids(checklist="mot_cua") == ["c"]
    assert ids(kind="self_check") == ["d", "c"]
    assert ids(status="finalized") == ["b"]
    assert ids(unit="X01", status="draft") == ["a"]
    assert ids(unit="nowhere") == []
    summary = store.list_inspections(unit="X02")[0]
    assert (summary.checklist_id, summary.team, summary.kind) == ("mot_cua", ["thanh"], "self_check")


def test_list_follows_summary_changes(store):
    inspection = make_inspection()
    store.add_inspection(inspection)
    store.update_inspection(inspection.id, set_status("finalized"))
    assert [s.status for s in store.list_inspections(unit="X01")] == ["finalized"]

    def move(i: Inspection) -> None:
        i.unit = "X02"
    store.update_inspection(inspection.id, move)
    assert store.list_inspections(unit="X01") == []
    assert [s.id for s in store.list_inspections(unit="X02")] == [inspection.id]
    assert len(store.list_inspections()) == 1


# -- tokens and login throttling -------------------------------------------------------

def test_find_user_by_token(store):
    store.add_user(make_user())
    store.add_user(make_user(username="hoa", tokens=[ApiToken("a" * 64, "t"), ApiToken("b" * 64, "t")]))
    assert store.find_user_by_token("b" * 64).username == "hoa"
    assert store.find_user_by_token("h" * 64).username == "thanh"
    assert store.find_user_by_token("c" * 64) is None

    def revoke(user: User) -> None:
        user.tokens = [t for t in user.tokens if t.hash != "b" * 64]
    store.update_user("hoa", revoke)
    assert store.find_user_by_token("b" * 64) is None


def test_login_failures_count_within_the_window(store):
    assert store.login_failures("thanh|1.2.3.4", 1000.0, 60) == 0
    assert store.record_login_failure("thanh|1.2.3.4", 1000.0, 60) == 1
    assert store.record_login_failure("thanh|1.2.3.4", 1030.0, 60) == 2
    assert store.record_login_failure("hoa|1.2.3.4", 1030.0, 60) == 1
    assert store.record_login_failure("thanh|1.2.3.4", 1070.0, 60) == 2  # 1000 fell out
    assert store.login_failures("thanh|1.2.3.4", 1070.0, 60) == 2
    assert store.login_failures("thanh|1.2.3.4", 1200.0, 60) == 0
    assert store.login_failures("thanh|1.2.3.4", 1070.0, 3600) == 3
    store.clear_login_failures("thanh|1.2.3.4")
    assert store.login_failures("thanh|1.2.3.4", 1070.0, 3600) == 0
    assert store.login_failures("hoa|1.2.3.4", 1070.0, 3600) == 1
    store.clear_login_failures("never-failed")


def test_login_failures_are_pruned(store):
    store.record_login_failure("k", 0.0, 60)
    day = logins.LOGIN_KEEP_SECONDS
    store.record_login_failure("k", day + 10.0, 60)
    assert store.login_failures("k", day + 10.0, 10 * day) == 1


# -- photos -------------------------------------------------------------------------------

def test_photos(store):
    photo_id = new_id()
    assert store.photo_path(photo_id) is None
    store.save_photo(photo_id, b"\xff\xd8full")
    store.save_photo(photo_id, b"\xff\xd8thumb", variant="thumb")
    assert store.photo_path(photo_id).read_bytes() == b"\xff\xd8full"
    assert store.photo_path(photo_id, "thumb").read_bytes() == b"\xff\xd8thumb"
    assert store.photo_path(photo_id, "medium") is None


@pytest.mark.parametrize("photo_id, variant", [("../x", "full"), ("a/b", "full"), ("", "full"),
                                               ("abc", "../x"), ("abc", "a/b"), ("a.b", "full")])
def test_photo_ids_and_variants_are_validated(store, tmp_path, photo_id, variant):
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(ValueError):
        store.save_photo(photo_id, b"x", variant)
    assert store.photo_path(photo_id, variant) is None
    assert sorted(tmp_path.rglob("*")) == before


# -- threads ---------------------------------------------------------------------------------

def test_concurrent_updates_from_threads(store):
    inspection = make_inspection(answers={})
    store.add_inspection(inspection)

    def work(n: int) -> None:
        for i in range(10):
            store.update_inspection(inspection.id, add_answer(f"t{n}-{i}"))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = store.get_inspection(inspection.id)
    assert len(got.answers) == 60 and got.rev == 61


# -- TinyDB: index shards ---------------------------------------------------------------------

def shard_stat(store: TinyDBStore, unit: str) -> tuple[int, int]:
    st = (store.root / "index" / shard_name(unit)).stat()
    return st.st_ino, st.st_mtime_ns


def test_answer_save_does_not_rewrite_the_index(tiny):
    inspection = make_inspection()
    tiny.add_inspection(inspection)
    before = shard_stat(tiny, "X01")
    time.sleep(0.01)
    tiny.update_inspection(inspection.id, add_answer("c2"))
    assert shard_stat(tiny, "X01") == before
    tiny.update_inspection(inspection.id, set_status("finalized"))
    assert shard_stat(tiny, "X01") != before


def test_answer_save_touches_only_the_inspection_file(tiny):
    inspection = make_inspection()
    tiny.add_inspection(inspection)
    other = make_inspection()
    tiny.add_inspection(other)
    data_files = [p for p in tiny.data_dir.rglob("*") if p.is_file() and p.suffix == ".json"]
    before = {p: p.stat().st_ino for p in data_files}
    tiny.update_inspection(inspection.id, add_answer("c2"))
    changed = [p for p in data_files if p.stat().st_ino != before[p]]
    assert changed == [tiny.root / "inspections" / inspection.id[:2] / f"{inspection.id}.json"]


@pytest.mark.parametrize("code", ["../../etc", "a/b", "Xã Tân Lập", "CON", "x" * 300, ".", ""])
def test_unit_codes_never_escape_the_index_folder(tiny, code):
    tiny.add_inspection(make_inspection(unit=code))
    shards = [p for p in (tiny.root / "index").iterdir() if p.suffix == ".json"]
    assert len(shards) == 1 and shards[0].parent == tiny.root / "index"
    assert [s.unit for s in tiny.list_inspections(unit=code)] == [code]


def test_interrupted_index_update_is_replayed(tmp_path, monkeypatch):
    """A process killed between writing an inspection and its index entry leaves a marker;
    the next store (or listing) repairs the index from the inspection file."""
    first = TinyDBStore(tmp_path / "data")
    inspection = make_inspection()
    first.add_inspection(inspection)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # stands in for SIGKILL after the inspection write
    monkeypatch.setattr(first, "_set_summary", killed)
    with pytest.raises(KeyboardInterrupt):
        first.update_inspection(inspection.id, set_status("finalized"))
    monkeypatch.undo()
    assert list((tmp_path / "data" / "store" / "index-pending").glob("*.json"))
    assert first.get_inspection(inspection.id).status == "finalized"

    second = TinyDBStore(tmp_path / "data")
    assert [s.status for s in second.list_inspections()] == ["finalized"]
    assert not list((tmp_path / "data" / "store" / "index-pending").glob("*.json"))


# -- TinyDB: no stale reads across processes --------------------------------------------------

def test_second_instance_sees_writes_immediately(tmp_path):
    writer, reader = TinyDBStore(tmp_path / "d"), TinyDBStore(tmp_path / "d")
    inspection = make_inspection()
    writer.add_inspection(inspection)
    assert [s.id for s in reader.list_inspections()] == [inspection.id]
    for status in ["finalized", "draft", "finalized"]:  # same size each time, µs apart
        writer.update_inspection(inspection.id, set_status(status))
        assert reader.get_inspection(inspection.id).status == status
        assert reader.list_inspections()[0].status == status
    writer.add_user(make_user())
    assert reader.get_user("thanh").full_name == "Nguyễn Văn Thành"
    for name in ["Trần Văn A", "Trần Văn B", "Trần Văn C"]:  # same size, same tick
        writer.update_user("thanh", lambda u, name=name: setattr(u, "full_name", name))
        assert reader.get_user("thanh").full_name == name


def test_cache_is_not_fooled_by_equal_size_and_mtime(tmp_path):
    """Worst case for a stat-keyed cache: the file is old enough to be cached, then is
    replaced twice (the second replacement may get the first inode number back) by
    files of the same size whose mtime is set back to the old one."""
    writer, reader = TinyDBStore(tmp_path / "d"), TinyDBStore(tmp_path / "d")
    writer.add_user(make_user(full_name="Phiên bản 1"))
    path = writer.root / "users.json"
    old = time.time() - 3600
    os.utime(path, (old, old))
    assert reader.get_user("thanh").full_name == "Phiên bản 1"  # now cached
    for version in ["Phiên bản 2", "Phiên bản 3"]:
        writer.update_user("thanh", lambda u, v=version: setattr(u, "full_name", v))
        os.utime(path, (old, old))
        assert reader.get_user("thanh").full_name == version


def test_file_cache_reuses_only_old_unchanged_files(tmp_path):
    cache, path = FileCache(), tmp_path / "f.json"
    write_atomic(path, b'{"v": 1}')
    assert cache.read(path) is not cache.read(path)  # too recent to trust: parsed each time
    old = time.time() - 3600
    os.utime(path, (old, old))
    first = cache.read(path)
    assert cache.read(path) is first  # cached
    write_atomic(path, b'{"v": 2}')
    os.utime(path, (old, old))
    assert cache.read(path) == {"v": 2}
    assert cache.read(tmp_path / "missing.json") is None


def test_open_store_shares_one_instance_per_folder(tmp_path):
    (tmp_path / "d").mkdir()
    assert open_store(tmp_path / "d") is open_store(str(tmp_path / "d" / ".." / "d"))
    assert open_store(tmp_path / "e") is not open_store(tmp_path / "d")


# -- TinyDB: schema and layout versions ---------------------------------------------------------

def test_documents_carry_the_schema_version(tiny):
    inspection = make_inspection()
    tiny.add_inspection(inspection)
    tiny.add_user(make_user())
    tiny.save_units([Unit("X01", "Một")])
    tiny.record_login_failure("k", 1.0, 60)
    meta = json.loads((tiny.root / "meta.json").read_text())
    assert meta == {"layout": tinydb_store.LAYOUT, "schema": SCHEMA}
    logins = next((tiny.root / "logins").glob("*.json")).relative_to(tiny.root)
    for name, table in [("units.json", "units"), ("users.json", "users"),
                        (str(logins), "failures"), ("index/X01.json", "summaries"),
                        (f"inspections/{inspection.id[:2]}/{inspection.id}.json", "inspection")]:
        docs = json.loads((tiny.root / name).read_text(encoding="utf-8"))[table].values()
        assert docs and all(d["schema"] == SCHEMA for d in docs), name


def write_tinydb_file(path: Path, table: str, docs: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({table: {str(n + 1): d for n, d in enumerate(docs)}}),
                    encoding="utf-8")


def test_version_0_documents_are_upgraded_on_read(tiny):
    """Version 0 had no "schema" key and called a record's unit ``unit_code`` (and a
    unit's parent ``parent_code``)."""
    iid = "legacy01"
    v0 = make_inspection(id=iid).to_dict()
    v0["unit_code"] = v0.pop("unit")
    path = tiny.root / "inspections" / iid[:2] / f"{iid}.json"
    write_tinydb_file(path, "inspection", [v0])
    summary = summarize(make_inspection(id=iid)).to_dict()
    summary["unit_code"] = summary.pop("unit")
    write_tinydb_file(tiny.root / "index" / "X01.json", "summaries", [summary])
    user = make_user().to_dict()
    user["unit_code"] = "X01"
    del user["unit"]
    write_tinydb_file(tiny.root / "users.json", "users", [user])
    write_tinydb_file(tiny.root / "units.json", "units",
                      [{"code": "X01", "name": "Một", "parent_code": "H01"}])

    assert tiny.get_inspection(iid).unit == "X01"
    assert [s.unit for s in tiny.list_inspections(unit="X01")] == ["X01"]
    assert tiny.get_user("thanh").unit == "X01"
    assert tiny.get_unit("X01").parent == "H01"
    assert "schema" not in path.read_text()  # reading alone does not write

    tiny.update_inspection(iid, add_answer("c2"))  # the next write stores the new form
    stored = json.loads(path.read_text())["inspection"]["1"]
    assert stored["schema"] == SCHEMA and stored["unit"] == "X01" and "unit_code" not in stored
    assert tiny.get_inspection(iid).rev == 2


def test_newer_documents_and_layouts_are_refused(tmp_path):
    tiny = TinyDBStore(tmp_path / "d")
    iid = "future01"
    doc = make_inspection(id=iid).to_dict()
    doc["schema"] = SCHEMA + 1
    write_tinydb_file(tiny.root / "inspections" / iid[:2] / f"{iid}.json", "inspection", [doc])
    with pytest.raises(StoreError):
        tiny.get_inspection(iid)
    (tiny.root / "meta.json").write_text(json.dumps({"layout": tinydb_store.LAYOUT + 1}))
    with pytest.raises(StoreError):
        TinyDBStore(tmp_path / "d")


# -- bounded queries: pages, counts, items, units and users --------------------------------
PAGED = [  # id, unit, period, kind, status, created, finalized, team
    ("a", "X01", "2024", "inspection", "finalized", "2025-01-01", "2025-01-05", ["thanh"]),
    ("b", "X01", "2025", "inspection", "draft", "2025-02-01", None, ["thanh", "lan"]),
    ("c", "X02", "2025", "self_check", "draft", "2025-03-01", None, ["xa"]),
    ("d", "X02", "2025", "inspection", "finalized", "2025-04-01", "2025-04-02", ["lan"]),
    ("e", "Xã Tân Lập", "2025", "self_check", "finalized", "2025-05-01", "2025-05-01", ["xa"]),
    ("f", "X03", "2025", "inspection", "draft", "2025-06-01", None, ["thanh"]),
    ("g", "X01", "2025", "inspection", "finalized", "2025-07-01", "2025-07-03", ["lan"]),
]


def item(record: str, number: int, status: str = "open", due: str | None = None,
         done_at: str | None = None, unit: str = "X01") -> RemediationItem:
    return RemediationItem(id=f"{record}-{number}", inspection=record, unit=unit,
                           criterion="1.1", finding=f"Thiếu sót {number}", action="Niêm yết",
                           status=status, due=due, done_at=done_at,
                           progress=[ProgressNote(at="2025-05-01", by="xa", note="Đang làm")])


@pytest.fixture
def paged(store):
    for iid, unit, period, kind, status, created, finalized, team in PAGED:
        store.add_inspection(make_inspection(
            id=iid, unit=unit, period=period, kind=kind, status=status, created_at=created,
            finalized_at=finalized, team=[TeamMember(u, "lead" if n == 0 else "member")
                                          for n, u in enumerate(team)],
            items=[item(iid, 1, unit=unit)] if iid in ("a", "e") else []))
    return store


@pytest.mark.parametrize("query, offset, limit, ids, total", [
    (InspectionQuery(), 0, None, list("gfedcba"), 7),
    (InspectionQuery(), 0, 3, list("gfe"), 7),
    (InspectionQuery(), 3, 3, list("dcb"), 7),           # page 2 continues where page 1 ended
    (InspectionQuery(), 6, 3, ["a"], 7),
    (InspectionQuery(), 9, 3, [], 7),                      # past the end: no rows, same total
    (InspectionQuery(), 0, 0, [], 7),                      # just counting
    (InspectionQuery(units=frozenset({"X01"})), 1, 1, ["b"], 3),
    (InspectionQuery(units=frozenset({"X02", "Xã Tân Lập"})), 0, None, list("edc"), 3),
    (InspectionQuery(units=frozenset()), 0, None, [], 0),
    (InspectionQuery(status="finalized"), 0, 2, list("ge"), 4),
    (InspectionQuery(kind="inspection", period="2025"), 0, None, list("gfdb"), 4),
    (InspectionQuery(checklist="cchc", status="draft"), 0, None, list("fcb"), 3),
    (InspectionQuery(checklist="other"), 0, None, [], 0),
    (InspectionQuery(member="lan"), 0, None, list("gdb"), 3),
    (InspectionQuery(member="lan", status="draft"), 0, None, ["b"], 1),
    (InspectionQuery(has_items=True), 0, None, list("ea"), 2),
    # what a unit's own users see: their self-checks and finalized inspections
    (InspectionQuery(units=frozenset({"X01", "X02"}), hide_draft_inspections=True), 0, None,
     list("gdca"), 4),
    # latest finalized first; never finalized left out
    (InspectionQuery(order="finalized"), 0, None, list("geda"), 4),
    (InspectionQuery(kind="inspection", status="finalized", order="finalized"), 0, 1, ["g"], 3),
])
def test_query_inspections_pages_and_counts(paged, query, offset, limit, ids, total):
    page = paged.query_inspections(query, offset=offset, limit=limit)
    assert ([s.id for s in page.rows], page.total) == (ids, total)


def test_query_inspections_rows_are_private_summaries(paged):
    first = paged.query_inspections(InspectionQuery(units=frozenset({"X01"})), limit=1).rows[0]
    assert (first.id, first.team, first.items_total) == ("g", ["lan"], 0)
    first.team.append("ai đó")
    again = paged.query_inspections(InspectionQuery(units=frozenset({"X01"})), limit=1).rows[0]
    assert again.team == ["lan"]


def test_query_inspections_follows_changes(paged):
    query = InspectionQuery(status="draft")
    assert paged.query_inspections(query, limit=0).total == 3
    paged.update_inspection("b", set_status("finalized"))
    assert [s.id for s in paged.query_inspections(query).rows] == ["f", "c"]

    def move(i: Inspection) -> None:
        i.unit = "X09"
    paged.update_inspection("f", move)
    assert [s.id for s in paged.query_inspections(
        InspectionQuery(units=frozenset({"X09"}))).rows] == ["f"]
    assert paged.query_inspections(InspectionQuery(units=frozenset({"X03"})), limit=0).total == 0


def test_units_with_member(paged):
    assert paged.units_with_member("thanh") == {"X01", "X03"}
    assert paged.units_with_member("lan") == {"X01", "X02"}
    assert paged.units_with_member("nobody") == set()
    assert paged.units_with_member("xa") == set()  # a self-check's team inspects nothing


def items_world(store):
    records = {  # record: (unit, kind, status, items)
        "r1": ("X01", "inspection", "finalized", [item("r1", 1, due="2025-03-01"),
                                                  item("r1", 2, "in_progress", due="2025-06-01"),
                                                  item("r1", 3, "done", due="2025-02-01",
                                                       done_at="2025-02-10"),
                                                  item("r1", 4, "verified")]),
        "r2": ("X02", "inspection", "finalized", [item("r2", 1, due="2025-01-15", unit="X02"),
                                                  item("r2", 2, "done", done_at="2025-01-20",
                                                       unit="X02"),
                                                  item("r2", 3, "cannot_do", unit="X02")]),
        "r3": ("X01", "inspection", "draft", [item("r3", 1, due="2025-01-01")]),
    }
    for rid, (unit, kind, status, items) in records.items():
        store.add_inspection(make_inspection(id=rid, unit=unit, kind=kind, status=status,
                                             items=items))
    return store


OPEN = ("open", "in_progress", "cannot_do")


@pytest.mark.parametrize("query, offset, limit, ids, total", [
    (ItemQuery(), 0, None, ["r3-1", "r2-1", "r1-3", "r1-1", "r1-2", "r1-4", "r2-2", "r2-3"], 8),
    (ItemQuery(), 2, 3, ["r1-3", "r1-1", "r1-2"], 8),
    (ItemQuery(statuses=OPEN, due_before="2025-04-01"), 0, None, ["r3-1", "r2-1", "r1-1"], 3),
    (ItemQuery(statuses=OPEN, due_before="2025-04-01"), 1, 1, ["r2-1"], 3),
    (ItemQuery(statuses=OPEN, due_from="2025-04-01"), 0, None, ["r1-2", "r2-3"], 2),  # no due: last
    (ItemQuery(statuses=("done",), order="done"), 0, None, ["r2-2", "r1-3"], 2),
    (ItemQuery(units=frozenset({"X01"}), statuses=("verified",)), 0, None, ["r1-4"], 1),
    (ItemQuery(units=frozenset({"X02"}), hide_draft_inspections=True), 0, 0, [], 3),
    (ItemQuery(units=frozenset({"X01"}), hide_draft_inspections=True, statuses=OPEN,
               due_before="2025-12-31"), 0, None, ["r1-1", "r1-2"], 2),
    (ItemQuery(units=frozenset()), 0, None, [], 0),
])
def test_query_items_pages_and_counts(store, query, offset, limit, ids, total):
    page = items_world(store).query_items(query, offset=offset, limit=limit)
    assert ([i.id for i, _record in page.rows], page.total) == (ids, total)
    for card, record in page.rows:
        assert record.id == card.inspection and record.unit == card.unit


def test_item_cards_carry_what_lists_show_and_follow_changes(store):
    items_world(store)
    card, record = store.query_items(ItemQuery(statuses=("in_progress",))).rows[0]
    assert (card.id, card.finding, card.action, card.criterion, card.due, card.notes,
            card.rev, record.period) == ("r1-2", "Thiếu sót 2", "Niêm yết", "1.1",
                                         "2025-06-01", 1, 1, "2025")

    def finish(i: Inspection) -> None:
        i.items[1].status, i.items[1].done_at = "done", "2025-01-01"
    store.update_inspection("r1", finish)
    done = store.query_items(ItemQuery(statuses=("done",), order="done")).rows
    assert [c.id for c, _r in done] == ["r1-2", "r2-2", "r1-3"]
    assert store.query_items(ItemQuery(statuses=("in_progress",)), limit=0).total == 0


@pytest.fixture
def people(store):
    store.save_units([Unit("TL", NFC_NAME), Unit("AB", "Xã An Bình"), Unit("DV", "Xã Đồng Văn"),
                      Unit("BC", "Phường Bắc Sơn")])
    for name, role, full in [("vy", "viewer", "Lê Vy"), ("an", "admin", "Trần An"),
                             ("thanh", "inspector", "Nguyễn Văn Thành"),
                             ("binh", "inspector", "Đỗ Bình"), ("xa", "unit", "Cán bộ xã")]:
        store.add_user(make_user(username=name, role=role, full_name=full, tokens=[]))
    return store


@pytest.mark.parametrize("search, codes, offset, limit, expected, total", [
    ("", None, 0, None, ["BC", "TL", "AB", "DV"], 4),   # by name, diacritics folded
    ("", None, 1, 2, ["TL", "AB"], 4),
    ("", ["DV", "AB", "ZZ"], 0, None, ["AB", "DV"], 2),
    ("dong", None, 0, None, ["TL", "DV"], 2),           # "Đồng" matches "dong"
    ("XA dong VAN", None, 0, None, ["DV"], 1),
    ("tl", None, 0, None, ["TL"], 1),                   # the code too
    ("dong", ["AB"], 0, None, [], 0),
    ("", None, 8, 2, [], 4),
    # a word with a NUL pasted in (no stored name holds one) matches nothing; PostgreSQL
    # once dropped that word and listed every unit
    ("Đồng\x00", None, 0, None, [], 0),
    ("xa \x00", None, 0, None, [], 0),
])
def test_page_units(people, search, codes, offset, limit, expected, total):
    page = people.page_units(search=search, codes=codes, offset=offset, limit=limit)
    assert ([u.code for u in page.rows], page.total) == (expected, total)


@pytest.mark.parametrize("search, offset, limit, expected, total", [
    ("", 0, None, ["an", "binh", "thanh", "xa", "vy"], 5),  # by role, then username
    ("", 1, 2, ["binh", "thanh"], 5),
    ("thanh", 0, None, ["thanh"], 1),
    ("do binh", 0, None, ["binh"], 1),                      # full name, diacritics folded
    ("nobody", 0, None, [], 0),
    ("thanh\x00", 0, None, [], 0),                          # a NUL pasted in: nothing
])
def test_page_users(people, search, offset, limit, expected, total):
    page = people.page_users(search=search, offset=offset, limit=limit)
    assert ([u.username for u in page.rows], page.total) == (expected, total)


def test_pages_follow_writes(people):
    assert people.page_units(limit=0).total == 4
    people.save_units([Unit("ZZ", "Xã Ân Thi")])
    assert [u.code for u in people.page_units(search="an thi").rows] == ["ZZ"]
    assert people.get_unit("ZZ").name == "Xã Ân Thi"
    people.add_user(make_user(username="moi", role="admin", tokens=[]))
    assert [u.username for u in people.page_users(limit=2).rows] == ["an", "moi"]


def test_queries_of_a_second_instance_see_writes_immediately(tmp_path):
    first, second = TinyDBStore(tmp_path / "d"), TinyDBStore(tmp_path / "d")
    inspection = make_inspection(items=[item("x", 1)])
    first.add_inspection(inspection)
    assert second.query_inspections(InspectionQuery(status="draft"), limit=0).total == 1
    first.update_inspection(inspection.id, set_status("finalized"))
    assert second.query_inspections(InspectionQuery(status="draft"), limit=0).total == 0
    assert second.query_inspections(InspectionQuery(status="finalized")).rows[0].id == inspection.id
    first.save_units([Unit("X01", "Xã Một")])
    assert second.page_units().rows[0].name == "Xã Một"
    first.save_units([Unit("X01", "Xã Mới")])
    assert second.get_unit("X01").name == "Xã Mới"


def test_layout_2_store_gets_item_cards_in_its_index(tmp_path):
    store = TinyDBStore(tmp_path / "d")
    inspection = make_inspection(items=[item("old", 1, due="2025-01-01")])
    store.add_inspection(inspection)
    # as layout 2 wrote it: index entries without item cards
    shard = store.root / "index" / shard_name("X01")
    data = json.loads(shard.read_text())
    for doc in data["summaries"].values():
        doc.pop("items")
    write_atomic(shard, json.dumps(data).encode())
    (store.root / "meta.json").write_text(json.dumps({"layout": 2, "schema": SCHEMA}))
    reopened = TinyDBStore(tmp_path / "d")
    assert [c.id for c, _r in reopened.query_items(ItemQuery()).rows] == ["old-1"]
    assert json.loads((store.root / "meta.json").read_text())["layout"] == tinydb_store.LAYOUT


# ---------------------------------------------------------------- the settings document

def test_settings_document_round_trip_replace_and_privacy(store):
    assert store.get_settings() == {}
    doc = {"inspecting_body": "Sở Nội vụ", "superior_body": "UBND TỈNH BẮC KẠN",
           "public_url": "https://cchc.example.vn"}
    store.put_settings(doc)
    doc["inspecting_body"] = "changed by the caller"
    got = store.get_settings()
    assert got == {"inspecting_body": "Sở Nội vụ", "superior_body": "UBND TỈNH BẮC KẠN",
                   "public_url": "https://cchc.example.vn"}
    got["superior_body"] = "changed by a reader"
    assert store.get_settings()["superior_body"] == "UBND TỈNH BẮC KẠN"
    store.put_settings({"inspecting_body": "Sở Nội vụ tỉnh Thái Nguyên"})
    assert store.get_settings() == {"inspecting_body": "Sở Nội vụ tỉnh Thái Nguyên"}


def test_settings_document_survives_reopening(tmp_path):
    TinyDBStore(tmp_path).put_settings({"one_stop_centre": "Trung tâm PVHCC xã"})
    assert TinyDBStore(tmp_path).get_settings() == {"one_stop_centre": "Trung tâm PVHCC xã"}


# ---------------------------------------------------------------- the per-user documents

def test_user_state_round_trip_update_and_privacy(store):
    assert store.get_user_state("xa.tn") == {}
    assert store.update_user_state("xa.tn", lambda doc: doc.update(read=["overdue:a-1"]) or 7) == 7
    got = store.get_user_state("xa.tn")
    assert got == {"read": ["overdue:a-1"]}
    got["read"].append("changed by a reader")
    assert store.get_user_state("xa.tn") == {"read": ["overdue:a-1"]}
    store.update_user_state("xa.tn", lambda doc: doc.update(mailed=["2026-12-02"]))
    assert store.get_user_state("xa.tn") == {"read": ["overdue:a-1"], "mailed": ["2026-12-02"]}
    assert store.get_user_state("thanhtra1") == {}  # one document per user
    assert store.get_user_state("Xã/../../etc") == {}


def test_user_state_writes_nothing_if_change_raises(store):
    store.update_user_state("u1", lambda doc: doc.update(n=1))

    def failing(doc):
        doc["n"] = 2
        raise ValueError("no")

    with pytest.raises(ValueError):
        store.update_user_state("u1", failing)
    assert store.get_user_state("u1") == {"n": 1}


def test_user_state_updates_are_serialised_across_threads(store):
    def bump(doc):
        doc["n"] = doc.get("n", 0) + 1

    threads = [threading.Thread(target=lambda: [store.update_user_state("u1", bump)
                                                for _ in range(10)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.get_user_state("u1") == {"n": 40}


def test_user_state_survives_reopening(tmp_path):
    TinyDBStore(tmp_path).update_user_state("xa.tn", lambda doc: doc.update(mailed=["2026-12-01"]))
    assert TinyDBStore(tmp_path).get_user_state("xa.tn") == {"mailed": ["2026-12-01"]}


# -- checklists published in the app (issue 14 point 2) ---------------------------------

CHECKLIST_TEXT = "format: 1\nid: mau\nversion: \"{v}\"\ntitle: Mẫu kiểm tra\n"


def test_published_checklists_versions_retire_and_the_stamp(store):
    assert store.latest_checklist_versions() == [] and store.checklist_versions("mau") == []
    assert store.retired_checklists() == set()
    stamps = [store.checklists_stamp()]
    first = store.publish_checklist("mau", CHECKLIST_TEXT.format(v="1"))
    stamps.append(store.checklists_stamp())
    second = store.publish_checklist("mau", CHECKLIST_TEXT.format(v="2 – Ủy ban"))
    stamps.append(store.checklists_stamp())
    other = store.publish_checklist("khac", CHECKLIST_TEXT.format(v="1"))
    assert (first.number, second.number, other.number) == (1, 2, 1)
    assert second.text == CHECKLIST_TEXT.format(v="2 – Ủy ban")
    assert second.published_at.tzinfo is not None and first.published_at <= second.published_at
    assert store.checklist_versions("mau") == [first, second]
    assert sorted((v.checklist_id, v.number) for v in store.latest_checklist_versions()) == [
        ("khac", 1), ("mau", 2)]
    store.set_checklist_retired("mau", True)
    store.set_checklist_retired("seed-only", True)  # an id with no published version
    stamps.append(store.checklists_stamp())
    assert store.retired_checklists() == {"mau", "seed-only"}
    store.set_checklist_retired("seed-only", False)
    stamps.append(store.checklists_stamp())
    assert store.retired_checklists() == {"mau"}
    store.publish_checklist("mau", CHECKLIST_TEXT.format(v="3"))  # publishing brings it back
    stamps.append(store.checklists_stamp())
    assert store.retired_checklists() == set()
    assert len(set(stamps)) == len(stamps)  # every change moved the stamp
    assert store.checklists_stamp() == stamps[-1]  # and nothing else does
    with pytest.raises(StoreError):
        store.publish_checklist("../etc", "x")
    assert [v.number for v in store.checklist_versions("mau")] == [1, 2, 3]


def test_publishers_at_once_get_distinct_numbers(store):
    errors = []

    def publish(n: int) -> None:
        try:
            store.publish_checklist("mau", CHECKLIST_TEXT.format(v=n))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=publish, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    versions = store.checklist_versions("mau")
    assert [v.number for v in versions] == list(range(1, 9))
    assert sorted(v.text for v in versions) == sorted(CHECKLIST_TEXT.format(v=n)
                                                      for n in range(8))


def test_checklist_drafts_round_trip(store):
    token = "t" * 24
    assert store.get_checklist_draft(token) is None
    store.put_checklist_draft(token, CHECKLIST_TEXT.format(v="nháp"))
    assert store.get_checklist_draft(token) == CHECKLIST_TEXT.format(v="nháp")
    store.delete_checklist_draft(token)
    assert store.get_checklist_draft(token) is None
    store.delete_checklist_draft(token)  # twice: nothing to do


def test_a_library_follows_another_process_publishing(tmp_path):
    """Two processes on one data folder (two store instances): a library's cache is
    refreshed by the other one's publish and retire at its next use."""
    from inspect_app.storage.checklist_files import ChecklistLibrary

    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "mau.yaml").write_text(CHECKLIST_TEXT.format(v="0") + "sections: []\n",
                                   encoding="utf-8")
    one = ChecklistLibrary(seed, TinyDBStore(tmp_path / "data"))
    two = ChecklistLibrary(seed, TinyDBStore(tmp_path / "data"))
    assert one.get("mau") is None  # the seed has no sections: invalid, left out
    assert one.problems
    valid = (ROOT_CHECKLISTS / "tu-kiem-tra-mot-cua-tuan.yaml").read_text(encoding="utf-8")
    assert two.get("tu-kiem-tra-mot-cua-tuan") is None
    one.store.publish_checklist("tu-kiem-tra-mot-cua-tuan", valid)
    assert two.get("tu-kiem-tra-mot-cua-tuan").version == "2025.1"
    assert [v.number for v in two.versions("tu-kiem-tra-mot-cua-tuan")] == [1]
    one.set_retired("tu-kiem-tra-mot-cua-tuan", True)
    assert two.retired("tu-kiem-tra-mot-cua-tuan")
    assert "tu-kiem-tra-mot-cua-tuan" not in {c.id for c in two.all()}


def test_versions_published_before_the_store_kept_them_are_read(tmp_path):
    """A data folder of the previous release (DATA_DIR/checklists/<id>/v0001.yaml, a
    ``retired`` file, no stamp) keeps its versions."""
    valid = (ROOT_CHECKLISTS / "tu-kiem-tra-mot-cua-tuan.yaml").read_text(encoding="utf-8")
    folder = tmp_path / "data" / "checklists" / "tu-kiem-tra-mot-cua-tuan"
    folder.mkdir(parents=True)
    (folder / "v0001.yaml").write_text(valid, encoding="utf-8")
    (folder / "v0002.yaml").write_text(valid.replace('"2025.1"', '"2025.2"'), encoding="utf-8")
    (folder / "retired").write_text("retired\n")
    store = TinyDBStore(tmp_path / "data")
    assert [v.number for v in store.checklist_versions("tu-kiem-tra-mot-cua-tuan")] == [1, 2]
    assert store.retired_checklists() == {"tu-kiem-tra-mot-cua-tuan"}
    assert store.publish_checklist("tu-kiem-tra-mot-cua-tuan", valid).number == 3

# ---------------------------------------------------------------- the audit log

def _entry(n: int, **overrides: Any):
    from inspect_app.domain.models import AuditEntry

    data: dict[str, Any] = dict(id=f"a{n}", at=f"2026-1{n % 2}-0{n % 9 + 1}T0{n % 10}:00:00+00:00",
                                by="admin" if n % 2 else "thanh", action="user.edit",
                                target="xa.tn", before={"role": "viewer"},
                                after={"role": "unit", "unit": "TN", "name": NFC_NAME})
    data.update(overrides)
    return AuditEntry(**data)


def test_audit_log_appends_and_pages_newest_first_with_filters(store):
    from inspect_app.storage.base import AuditQuery

    assert store.page_audit().rows == [] and store.page_audit().total == 0
    entries = [_entry(n) for n in range(6)]
    entries[3].action = "unit.merge"
    for entry in entries:
        store.add_audit(entry)
    page = store.page_audit(offset=1, limit=2)
    # newest first: November (odd n) before October, later days first
    assert [e.id for e in store.page_audit().rows] == ["a5", "a3", "a1", "a4", "a2", "a0"]
    assert [e.id for e in page.rows] == ["a3", "a1"] and page.total == 6
    assert store.page_audit().rows[-1] == entries[0]  # round trip, every field
    assert [e.id for e in store.page_audit(AuditQuery(by="admin")).rows] == ["a5", "a3", "a1"]
    store.add_audit(_entry(9, id="same1", at="2027-01-01T00:00:00+00:00"))
    store.add_audit(_entry(9, id="same2", at="2027-01-01T00:00:00+00:00"))
    assert [e.id for e in store.page_audit(limit=2).rows] == ["same2", "same1"]
    assert [e.id for e in store.page_audit(AuditQuery(at_before="2027")).rows][:1] == ["a5"]
    assert [e.id for e in store.page_audit(AuditQuery(action="unit.merge")).rows] == ["a3"]
    assert store.page_audit(AuditQuery(action="user.")).total == 7
    assert store.page_audit(AuditQuery(action="user")).total == 0  # exact unless it ends in .
    window = AuditQuery(at_from="2026-11-01T00:00:00+00:00", at_before="2026-11-05T00:00:00+00:00")
    assert [e.id for e in store.page_audit(window).rows] == ["a3", "a1"]
    assert store.page_audit(AuditQuery(by="nobody\x00")).total == 0
    got = store.page_audit().rows[0]
    got.after["role"] = "changed by a reader"
    assert store.page_audit().rows[0].after["role"] == "unit"


def test_audit_log_survives_reopening_and_a_torn_last_line(tmp_path):
    TinyDBStore(tmp_path).add_audit(_entry(1))
    path = next((tmp_path / "store" / "audit").glob("*.jsonl"))
    with path.open("ab") as f:
        f.write(b'{"id": "torn", "at": "2026-1')  # a writer killed mid-append
    reopened = TinyDBStore(tmp_path)
    assert [e.id for e in reopened.page_audit().rows] == ["a1"]
    reopened.add_audit(_entry(3, at="2026-11-03T00:00:00+00:00"))
    assert [e.id for e in TinyDBStore(tmp_path).page_audit().rows] == ["a3", "a1"]


def test_atomic_groups_writes_and_on_postgres_rolls_back_both(store):
    with store.atomic():
        store.save_units([Unit("AU", "Xã Âu")])
        store.add_audit(_entry(1, action="unit.add"))
    assert store.get_unit("AU") is not None and store.page_audit().total == 1
    with pytest.raises(RuntimeError), store.atomic():
        store.save_units([Unit("AV", "Xã Âv")])
        store.add_audit(_entry(2, action="unit.add"))
        raise RuntimeError("the change failed after its writes")
    if type(store).__name__ == "PostgresStore":  # one transaction: neither was kept
        assert store.get_unit("AV") is None and store.page_audit().total == 1


def test_items_of_a_reopened_inspection_stay_in_the_units_lists(store):
    """A unit's lists (hide_draft_inspections) leave out the items of a draft inspection
    never finalized, but not those of one reopened for a correction: they are its plan."""
    from inspect_app.domain.models import Event

    items_world(store)
    store.add_inspection(make_inspection(
        id="r4", unit="X01", kind="inspection", status="draft", items=[item("r4", 1)],
        history=[Event("2025-01-02T00:00:00", "thanh", "finalized"),
                 Event("2025-02-02T00:00:00", "thanh", "reopened")]))
    query = ItemQuery(units=frozenset({"X01"}), hide_draft_inspections=True, statuses=OPEN)
    ids = {i.id for i, _record in store.query_items(query).rows}
    assert "r4-1" in ids and "r3-1" not in ids
