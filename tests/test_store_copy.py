"""``store copy --to postgresql://…``: the embedded store into an empty PostgreSQL
database, verified record by record, resumable after a crash, refusing a database that
holds other records."""
from __future__ import annotations

from pathlib import Path

import pytest

from inspect_app import create_app
from inspect_app.domain.models import AuditEntry, Unit
from inspect_app.services import accounts
from inspect_app.storage import copy as store_copy
from inspect_app.storage.base import InspectionQuery
from inspect_app.storage.checklist_files import ChecklistLibrary
from inspect_app.storage.postgres_store import PostgresStore

from .conftest import app_config

CHECKLISTS = Path(__file__).resolve().parent.parent / "checklists"

pytestmark = pytest.mark.tinydb  # the app fixture: the embedded store, the copy's source


@pytest.fixture
def folder(app, make_inspection):
    """An embedded store with units, users with tokens, records with items, photos."""
    store = app.extensions["store"]
    made = [make_inspection(unit=unit, period=period) for unit in ("NT", "TN")
            for period in ("2024", "2025")]
    made.append(make_inspection(kind="self_check", unit="NT"))
    accounts.issue_token(store, "lead")
    store.save_photo("photo1", b"\xff\xd8full bytes")
    store.save_photo("photo1", b"\xff\xd8thumb", "thumb")
    store.put_settings({"superior_body": "UBND TỈNH THÁI NGUYÊN",
                        "inspecting_body": "SỞ NỘI VỤ"})
    text = (CHECKLISTS / "tu-kiem-tra-mot-cua-tuan.yaml").read_text(encoding="utf-8")
    store.publish_checklist("tu-kiem-tra-mot-cua-tuan", text.replace('"2025.1"', '"2025.2"'))
    store.publish_checklist("tu-kiem-tra-mot-cua-tuan", text.replace('"2025.1"', '"2025.3"'))
    store.set_checklist_retired("cchc-xa", True)
    for n in range(3):
        store.add_audit(AuditEntry(id=f"audit{n}", at=f"2026-11-0{n + 1}T08:00:00+00:00",
                                   by="admin", action="unit.rename", target="NT",
                                   before={"name": f"Xã {n}"}, after={"name": f"Xã {n + 1}"}))
    return store, [i.id for i in made]


def test_copy_verifies_every_record_and_the_copy_answers_the_same(app, runner, folder,
                                                                 pg_empty_url, tmp_path):
    source, ids = folder
    result = runner.invoke(args=["store", "copy", "--to", pg_empty_url])
    assert result.exit_code == 0, result.output
    assert "inspections: 5 in the folder, 5 in the database (5 copied now" in result.output
    assert "photos: 2 in the folder, 2 in the database" in result.output
    assert "verified" in result.output

    target = PostgresStore(pg_empty_url, tmp_path / "server")
    try:
        for query in (InspectionQuery(), InspectionQuery(units=frozenset({"NT"})),
                      InspectionQuery(kind="self_check")):
            assert target.query_inspections(query).rows == source.query_inspections(query).rows
        assert target.get_inspection(ids[0]) == source.get_inspection(ids[0])
        token_user = source.get_user("lead")
        assert target.find_user_by_token(token_user.tokens[0].hash).username == "lead"
        assert target.photo_path("photo1", "thumb").read_bytes() == b"\xff\xd8thumb"
        assert target.get_settings() == source.get_settings() != {}
        # the published checklists: the same versions (numbers, times, texts), the same
        # retired ids, so a server on the database offers what the folder's app offered
        assert target.checklist_versions("tu-kiem-tra-mot-cua-tuan") == \
            source.checklist_versions("tu-kiem-tra-mot-cua-tuan")
        assert target.retired_checklists() == {"cchc-xa"}
        library = ChecklistLibrary(CHECKLISTS, target)
        assert library.get("tu-kiem-tra-mot-cua-tuan").version == "2025.3"
        assert library.retired("cchc-xa")

        assert target.page_audit().rows == source.page_audit().rows  # the same, same order
        # the fixture's own admin actions are logged too (newer): then the three added here
        assert [e.id for e in target.page_audit().rows][-3:] == ["audit2", "audit1", "audit0"]
        assert not target.copy_under_way(str(source.data_dir.resolve()))
    finally:
        target.close()

    again = runner.invoke(args=["store", "copy", "--to", pg_empty_url])  # now it is not empty
    assert again.exit_code == 2 and "already holds records" in again.output


def test_a_database_with_other_records_is_refused_and_left_alone(runner, folder, pg_empty_url,
                                                                 tmp_path):
    other = PostgresStore(pg_empty_url, tmp_path / "other")
    try:
        other.save_units([Unit("ZZ", "Xã Khác")])
        result = runner.invoke(args=["store", "copy", "--to", pg_empty_url])
        assert result.exit_code == 2
        assert "already holds records: store copy needs an empty database" in result.output
        assert other.counts() == {"units": 1, "users": 0, "inspections": 0, "photos": 0,
                                  "checklist versions": 0, "audit": 0}
    finally:
        other.close()


def crashing_on_batch(n: int):
    """``PostgresStore.import_inspections`` that dies (KeyboardInterrupt) at its n-th batch."""
    real_import = PostgresStore.import_inspections
    calls = []

    def crash(self, inspections, **kwargs):
        calls.append(1)
        if len(calls) == n:
            raise KeyboardInterrupt
        return real_import(self, inspections, **kwargs)
    return crash


def test_a_copy_killed_half_way_is_resumed(folder, pg_empty_url, tmp_path, monkeypatch):
    source, ids = folder
    target = PostgresStore(pg_empty_url, tmp_path / "server")
    crash_on_the_third_batch = crashing_on_batch(3)  # the process dies in a batch

    try:
        monkeypatch.setattr(PostgresStore, "import_inspections", crash_on_the_third_batch)
        with pytest.raises(KeyboardInterrupt):
            store_copy.copy_store(source, target, batch=2)
        assert target.counts()["inspections"] == 4  # two whole batches, nothing of the third
        monkeypatch.undo()

        report = store_copy.copy_store(source, target, batch=2)
        assert report.resumed and report.verified, report
        assert report.copied["inspections"] == 1 and report.skipped["inspections"] == 4
        assert target.counts() == {"units": 2, "users": 2, "inspections": 5, "photos": 2,
                                   "checklist versions": 2, "audit": source.page_audit().total}
        assert report.skipped["checklist versions"] == 2  # copied by the first run
        assert sorted(target.known_inspections(ids)) == sorted(ids)
    finally:
        target.close()


def test_verification_names_what_differs(folder, pg_empty_url, tmp_path):
    source, ids = folder
    target = PostgresStore(pg_empty_url, tmp_path / "server")
    try:
        assert store_copy.copy_store(source, target).verified
        target.update_inspection(ids[1], lambda i: setattr(i, "place", "Đã sửa ở đích"))
        report = store_copy.CopyReport()
        store_copy.verify(source, target, report, sorted(ids), store_copy.source_photos(source))
        assert report.mismatches == [f"inspection {ids[1]}"] and not report.verified
    finally:
        target.close()


def test_a_copy_that_failed_verification_is_repaired_by_running_it_again(folder, pg_empty_url,
                                                                        tmp_path):
    """The app was still writing during the copy (an inspector saved a record already
    copied). The command says 'differs: inspection …; run it again with the app stopped'.
    The administrator stops the app and runs it again, as told: the second run must bring
    the record's last state over and verify. It skips every record that is 'there
    already' (by id, whatever its content), so the difference stays for ever and the
    database keeps the stale record: the saved change would be lost on the switch."""
    source, ids = folder
    copied_first = sorted(ids)[0]  # in the first batch: copied before the app writes it
    target = PostgresStore(pg_empty_url, tmp_path / "server")

    def the_app_still_writes(kind, done, total):
        if kind == "inspections" and done == 2:  # the first batch is in the database
            source.update_inspection(copied_first, lambda i: setattr(i, "place", "Sửa lúc đang chép"))

    try:
        first = store_copy.copy_store(source, target, batch=2, progress=the_app_still_writes)
        assert first.mismatches == [f"inspection {copied_first}"]  # the first run notices it

        again = store_copy.copy_store(source, target, batch=2)  # the app is stopped now
        assert again.verified, again.mismatches
        assert target.get_inspection(copied_first).place == "Sửa lúc đang chép"
    finally:
        target.close()


def test_an_app_on_a_half_copied_database_does_not_serve_it_as_complete(folder, pg_empty_url,
                                                                        tmp_path, monkeypatch):
    """A copy killed half-way leaves the database marked (table ``inspect_copy``) but the
    app started with INSPECT_DATABASE_URL on it serves it as if it were whole: the
    records not copied yet are simply missing (the lists, the dashboards say they do not
    exist) and new writes go into a database the resumed copy will then refuse to verify.
    The app must refuse (or at least not serve) a database whose copy is under way."""
    source, ids = folder
    target = PostgresStore(pg_empty_url, tmp_path / "server")
    crash_on_the_second_batch = crashing_on_batch(2)  # Ctrl-C, a lost connection, the OOM killer

    try:
        monkeypatch.setattr(PostgresStore, "import_inspections", crash_on_the_second_batch)
        with pytest.raises(KeyboardInterrupt):
            store_copy.copy_store(source, target, batch=2)
        monkeypatch.undo()
        assert target.copy_under_way(str(source.data_dir.resolve()))
        assert target.counts()["inspections"] == 2  # of 5
    finally:
        target.close()

    with pytest.raises(SystemExit) as refused:  # the app does not start on half a database
        create_app(app_config(tmp_path / "switched", DATABASE_URL=pg_empty_url))
    assert "store copy" in str(refused.value) and "not finished" in str(refused.value)


def test_a_database_holding_another_provinces_settings_is_not_taken_for_empty(folder,
                                                                              pg_empty_url,
                                                                              tmp_path):
    """'Into a database that holds records of something else it refuses to write (exit
    2).' The emptiness test counts units, users, inspections, photos, checklist versions
    and audit entries only: a database that holds another province's settings (the
    bodies printed on its minutes) or retired checklists is taken for empty, and the
    copy silently replaces them."""
    source, _ids = folder
    source.put_settings({"superior_body": "UBND TỈNH THÁI NGUYÊN"})
    other = PostgresStore(pg_empty_url, tmp_path / "other")
    try:
        other.put_settings({"superior_body": "UBND TỈNH BẮC KẠN", "inspecting_body": "SỞ NỘI VỤ"})
        other.set_checklist_retired("cchc-xa", True)
        with pytest.raises(store_copy.NotEmpty):
            store_copy.copy_store(source, other)
        assert other.get_settings()["superior_body"] == "UBND TỈNH BẮC KẠN"
    finally:
        other.close()


def test_a_mistyped_address_is_refused_naming_it_without_its_password(runner):
    """What happened: an admin typed ``store copy --to postgresql://u:p@[::1/inspect`` (the
    ``]`` of the IPv6 address forgotten) and got ``ValueError: Invalid IPv6 URL`` as a
    Python traceback (exit 1): the message naming the bad address called ``redacted``,
    whose ``urlsplit`` raised on it."""
    result = runner.invoke(args=["store", "copy", "--to", "postgresql://u:p@[::1/inspect"])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"traceback: {result.exception!r}")
    assert result.exit_code == 2, result.output
    assert "store copy" in result.output and "not a database address" in result.output
    assert "u:p@" not in result.output and "u:***@" in result.output
