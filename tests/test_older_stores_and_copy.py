"""Stores over time: derived data an older version wrote (the TinyDB index, PostgreSQL's
item flags and counts) is recomputed on upgrade by today's rules, and ``store copy`` stops
naming a file it cannot read and, run again, brings the database up to the folder."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspect_app.domain.models import Event
from inspect_app.storage import TinyDBStore
from inspect_app.storage.base import ItemQuery

from .test_storage_contract import item, make_inspection

OPEN = ("open", "in_progress", "cannot_do")
UNIT_PLAN = ItemQuery(units=frozenset({"X01"}), hide_draft_inspections=True, statuses=OPEN)


def _reopened(record_id: str = "r4"):
    """An inspection finalized in January and reopened for a correction in February."""
    return make_inspection(
        id=record_id, unit="X01", kind="inspection", status="draft",
        items=[item(record_id, 1)],
        history=[Event("2025-01-02T00:00:00", "thanh", "finalized"),
                 Event("2025-02-02T00:00:00", "thanh", "reopened")])


def test_an_index_of_layout_3_is_rebuilt_so_a_reopened_inspection_keeps_its_plan(tmp_path):
    """What happened: a commune's inspection was finalized, then reopened for a
    correction, while the app ran a version whose index entries did not carry
    ``finalized_once`` (it came with the rule "a reopened record's items stay the unit's
    plan" without raising the store layout, so the index was not rebuilt on upgrade).
    After the upgrade the items of that inspection were left out of the commune's plan,
    as if it had never been finalized, until someone re-finalized it."""
    store = TinyDBStore(tmp_path / "data")
    store.add_inspection(_reopened())
    assert {i.id for i, _r in store.query_items(UNIT_PLAN).rows} == {"r4-1"}
    # the index shard as the version before wrote it: no finalized_once key
    for shard in (tmp_path / "data" / "store" / "index").glob("*.json"):
        data = json.loads(shard.read_bytes())
        for doc in data.get("summaries", {}).values():
            doc.pop("finalized_once", None)
        shard.write_text(json.dumps(data), encoding="utf-8")
    meta = tmp_path / "data" / "store" / "meta.json"  # and the layout it recorded
    meta.write_text(json.dumps({**json.loads(meta.read_bytes()), "layout": 3}))

    upgraded = TinyDBStore(tmp_path / "data")  # today's program opens the folder
    ids = {i.id for i, _r in upgraded.query_items(UNIT_PLAN).rows}
    assert "r4-1" in ids, "the reopened inspection's items vanished from the unit's plan"


def test_postgresql_schema_11_shows_a_reopened_inspections_items_to_its_unit_again(
        pg_empty_url, tmp_path):
    """What happened: the same on PostgreSQL. Before the "reopened keeps its plan" rule
    the store wrote each item row's ``hidden`` flag as "its record is an inspection not
    finalized" (as schema 9's own UPDATE), so a record reopened then had its item rows
    hidden, and no schema upgrade recomputed the flag: after upgrading, the commune's
    plan (and its counts) still left out the items of that reopened inspection."""
    import psycopg

    from inspect_app.storage.postgres_store import PostgresStore

    store = PostgresStore(pg_empty_url, tmp_path / "a")
    store.add_inspection(_reopened())
    assert {i.id for i, _r in store.query_items(UNIT_PLAN).rows} == {"r4-1"}
    store.close()
    with psycopg.connect(pg_empty_url, autocommit=True) as conn:
        # the rows as the version before that rule wrote them (its rule: hidden = kind
        # 'inspection' and status not 'finalized', as 0009's UPDATE), upgraded since to
        # schema 10 (whose step leaves the flag as it was)
        conn.execute("UPDATE items SET hidden = true FROM inspections r "
                     "WHERE r.id = items.record_id AND r.kind = 'inspection' "
                     "AND r.status <> 'finalized'")
        conn.execute("UPDATE item_counts SET hidden = true WHERE unit = 'X01'")
        conn.execute("UPDATE inspections SET summary = (summary::jsonb - 'finalized_once')"
                     "::json")  # nor did its summaries say it
        conn.execute("UPDATE inspect_schema SET version = 10")

    upgraded = PostgresStore(pg_empty_url, tmp_path / "b")
    try:
        page = upgraded.query_items(UNIT_PLAN)
        assert "r4-1" in {i.id for i, _r in page.rows}, \
            "the reopened inspection's items stay hidden from the unit after the upgrade"
        assert page.total == 1
        # a later write moves the counts from the key the upgrade gave (no drift)
        upgraded.update_inspection("r4", lambda r: setattr(r.items[0], "status", "in_progress"))
        page = upgraded.query_items(UNIT_PLAN)
        assert [i.status for i, _r in page.rows] == ["in_progress"] and page.total == 1
        with psycopg.connect(pg_empty_url) as conn:
            assert conn.execute("SELECT sum(n), min(n) >= 0 FROM item_counts").fetchone() \
                == (1, True)
    finally:
        upgraded.close()


@pytest.mark.tinydb
def test_store_copy_stops_naming_an_unreadable_inspection_file(
        app, runner, make_inspection, pg_empty_url):
    """What happened: an administrator copied the data folder into PostgreSQL while one
    inspection file was cut short (a disk problem; ``store check`` lists it as
    unreadable). The command died with a Python traceback (JSONDecodeError) naming no
    file, instead of stopping with a message saying which file it cannot read."""
    good = make_inspection(unit="NT", period="2024")
    bad = make_inspection(unit="NT", period="2025")
    store = app.extensions["store"]
    path = Path(store.root, "inspections", bad.id[:2], f"{bad.id}.json")
    path.write_bytes(path.read_bytes()[:40])  # cut short

    result = runner.invoke(args=["store", "copy", "--to", pg_empty_url])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"a traceback: {result.exception!r}"
    assert bad.id in result.output, result.output
    assert good.id  # the other record is there to copy


@pytest.mark.tinydb
def test_a_resumed_copy_removes_a_photo_removed_from_the_folder_and_verifies(
        app, pg_empty_url, tmp_path):
    """What happened: a first ``store copy`` ran (or was interrupted) while the app was
    still in use, and meanwhile an inspector removed a photo. Run again with the app
    stopped, as the docs say, the copy kept the removed photo in the database: the
    counts never agreed and every further run said "differs", so the copy could never
    be finished."""
    from inspect_app.storage import copy as store_copy
    from inspect_app.storage.postgres_store import PostgresStore

    source = app.extensions["store"]
    source.save_photo("photo1", b"\xff\xd8full bytes")
    source.save_photo("photo2", b"\xff\xd8other bytes")
    target = PostgresStore(pg_empty_url, tmp_path / "server")
    try:
        target.begin_copy(str(source.data_dir.resolve()))  # a first run, cut short
        target.save_photo("photo1", b"\xff\xd8full bytes")
        source.delete_photo("photo1")  # removed in the app before the copy is run again
        report = store_copy.copy_store(source, target)
        assert report.resumed
        assert report.verified, (report.source_counts, report.target_counts,
                                 report.mismatches)
    finally:
        target.close()
