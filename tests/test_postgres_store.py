"""The PostgreSQL store's own promises (the Store contract runs in test_storage_contract.py):
schema files applied on start (a fresh and an upgraded database end up the same, a newer
one is refused), a database that cannot be reached (at start: a clear message without
the password, exit non-zero; during a request: 503 in the user's language, nothing
half-written, working again when it returns), photos shared by every server."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from inspect_app import create_app
from inspect_app.services import accounts
from inspect_app.services import units as unit_service
from inspect_app.storage import StoreError, StoreUnavailable, new_id
from inspect_app.storage.postgres_store import SCHEMA_VERSION, migrate, redacted

from .conftest import app_config
from .postgres import empty_database
from .support import Api, op
from .test_gunicorn import free_port

ROOT = Path(__file__).resolve().parent.parent
FLASK = Path(sys.executable).with_name("flask")


def catalog(url: str) -> dict[str, list[tuple]]:
    """What the schema of ``url`` is made of: columns, indexes, constraints, functions,
    types, triggers (the task queue's too), version."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        def rows(sql: str) -> list[tuple]:
            return sorted(conn.execute(sql).fetchall())
        return {
            "columns": rows("SELECT table_name, column_name, data_type, is_nullable, "
                            "column_default, collation_name FROM information_schema.columns "
                            "WHERE table_schema = current_schema()"),
            "indexes": rows("SELECT tablename, indexname, indexdef FROM pg_indexes "
                            "WHERE schemaname = current_schema()"),
            "constraints": rows("SELECT conrelid::regclass::text, conname, "
                                "pg_get_constraintdef(oid) FROM pg_constraint "
                                "WHERE connamespace = current_schema()::regnamespace"),
            "functions": rows("SELECT p.proname, pg_get_function_identity_arguments(p.oid), "
                              "md5(pg_get_functiondef(p.oid)) FROM pg_proc p "
                              "WHERE p.pronamespace = current_schema()::regnamespace"),
            "types": rows("SELECT t.typname, t.typtype, coalesce(string_agg(e.enumlabel, ',' "
                          "ORDER BY e.enumsortorder), '') FROM pg_type t "
                          "LEFT JOIN pg_enum e ON e.enumtypid = t.oid "
                          "WHERE t.typnamespace = current_schema()::regnamespace "
                          "GROUP BY t.typname, t.typtype"),
            "triggers": rows("SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid) "
                             "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                             "WHERE c.relnamespace = current_schema()::regnamespace "
                             "AND NOT t.tgisinternal"),
            "version": rows("SELECT version FROM inspect_schema"),
        }


def test_fresh_and_upgraded_databases_end_up_identical(pg_url, tmp_path):
    import psycopg

    from inspect_app.storage.postgres_store import PostgresStore

    assert SCHEMA_VERSION >= 2  # there is an upgrade to test
    empty_database(pg_url, drop=True)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert migrate(conn, upto=1) == 0  # a database made by the first version
        conn.execute("INSERT INTO units (code, sort_name, exact_name, search, doc) VALUES "
                     "('X1', 'xa mot', 'Xã Một', 'x1 xa mot', "
                     "'{\"code\": \"X1\", \"name\": \"Xã Một\", \"schema\": 2}')")
    upgraded_store = PostgresStore(pg_url, tmp_path / "a")
    assert upgraded_store.get_unit("X1").name == "Xã Một"  # kept through the upgrade
    upgraded_store.close()
    upgraded = catalog(pg_url)

    empty_database(pg_url, drop=True)
    PostgresStore(pg_url, tmp_path / "b").close()
    fresh = catalog(pg_url)
    assert upgraded == fresh
    assert fresh["version"] == [(SCHEMA_VERSION,)]
    assert any(name == "inspections_team" for _t, name, _d in fresh["indexes"])
    # the background jobs (schema 8): the export jobs, and the task queue's own schema
    assert any(name == "export_jobs_one_running" for _t, name, _d in fresh["indexes"])
    assert any(name == "procrastinate_fetch_job_v2" for name, _a, _d in fresh["functions"])
    assert any(name == "procrastinate_job_status" for name, _k, _e in fresh["types"])
    assert any(table == "procrastinate_jobs" for table, _n, _d in fresh["triggers"])

    empty_database(pg_url, drop=True)  # a database of the schema before the jobs
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert migrate(conn, upto=7) == 0
    PostgresStore(pg_url, tmp_path / "c").close()
    assert catalog(pg_url) == fresh
    empty_database(pg_url, drop=True)


def test_a_database_of_a_newer_schema_is_refused(pg_url, tmp_path):
    import psycopg

    from inspect_app.storage.postgres_store import PostgresStore

    empty_database(pg_url, drop=True)
    PostgresStore(pg_url, tmp_path / "a").close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE inspect_schema SET version = %s", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match="newer than this program"):
        PostgresStore(pg_url, tmp_path / "b")
    with pytest.raises(SystemExit, match="newer than this program"):
        create_app(app_config(tmp_path, DATABASE_URL=pg_url))
    empty_database(pg_url, drop=True)


def test_redacted_urls_keep_everything_but_the_password():
    assert (redacted("postgresql://app:s3cr%40t@db.example:5432/inspect?sslmode=require")
            == "postgresql://app:***@db.example:5432/inspect?sslmode=require")
    assert redacted("postgresql://db/inspect?user=app&password=s3cret") == \
        "postgresql://db/inspect?user=app&password=***"
    assert redacted("host=db password='a b' dbname=x") == "host=db password=*** dbname=x"
    assert redacted("postgresql://app@db/inspect") == "postgresql://app@db/inspect"


def test_an_unreachable_database_at_start_stops_every_command_naming_it(tmp_path):
    port = free_port()  # nothing listens there
    url = f"postgresql://inspect:s3cret-pw@127.0.0.1:{port}/inspect"
    with pytest.raises(SystemExit) as stopped:
        create_app(app_config(tmp_path, DATABASE_URL=url))
    assert f"127.0.0.1:{port}" in str(stopped.value) and "s3cret" not in str(stopped.value)

    env = {**os.environ, "INSPECT_DATA_DIR": str(tmp_path / "data"),
           "INSPECT_DATABASE_URL": url, "INSPECT_SECRET_KEY": "x"}
    done = subprocess.run([str(FLASK), "--app", "inspect_app", "units", "add", "X1", "Xã Một"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert f"cannot reach the database postgresql://inspect:***@127.0.0.1:{port}/inspect" \
        in done.stderr
    assert "s3cret" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("store_kind", ["postgres"])
def test_an_unreachable_database_during_requests_is_503_then_recovers(app, client, monkeypatch,
                                                                    store_kind):
    import psycopg

    store = app.extensions["store"]
    unit_service.add_unit(store, "A", "Xã Thiện Nghiệp")
    accounts.create_user(store, "lead", "inspector", password="mat-khau-dai")
    api = Api(client, accounts.issue_token(store, "lead"))
    created = api.post("/inspections", {"unit": "A", "checklist": "cchc-xa", "period": "2025",
                                        "kind": "inspection"})
    assert created.status_code == 201
    iid = created.get_json()["id"]
    body = {"op_id": op(), "base_rev": 0, "value": True}
    auth = {"Authorization": f"Bearer {api.token}"}

    def down(*args, **kwargs):
        raise psycopg.OperationalError("connection to server at 127.0.0.1 failed: refused")
    monkeypatch.setattr(store._pool, "connection", down)
    with pytest.raises(StoreUnavailable):
        store.get_inspection(iid)
    response = client.put(f"/api/v1/inspections/{iid}/answers/1.6", json=body, headers=auth)
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert response.get_json() == {
        "error": "Không kết nối được cơ sở dữ liệu lúc này: chưa lưu được gì. Hãy thử lại sau "
                 "ít phút; nếu vẫn không được, hãy báo quản trị viên.",
        "reason": "unavailable"}
    page = client.get("/login")
    assert page.status_code in (200, 503)  # the login page needs no record
    monkeypatch.undo()  # the database is back

    assert store.get_inspection(iid).answers == {}  # nothing half-written
    again = client.put(f"/api/v1/inspections/{iid}/answers/1.6", json=body, headers=auth)  # the phone sends it again
    assert again.status_code == 200 and again.get_json()["rev"] == 1
    assert store.get_inspection(iid).answers["1.6"].value is True


def test_photos_are_shared_by_every_server(pg_empty_url, tmp_path):
    from inspect_app.storage.postgres_store import PostgresStore

    one, two = PostgresStore(pg_empty_url, tmp_path / "one"), PostgresStore(pg_empty_url,
                                                                            tmp_path / "two")
    try:
        photo_id = new_id()
        one.save_photo(photo_id, b"\xff\xd8first", "thumb")
        path = two.photo_path(photo_id, "thumb")
        assert path.read_bytes() == b"\xff\xd8first" and (tmp_path / "two") in path.parents
        one.save_photo(photo_id, b"\xff\xd8second", "thumb")  # replaced: no stale copy
        assert two.photo_path(photo_id, "thumb").read_bytes() == b"\xff\xd8second"
        one.delete_photo(photo_id)
        assert two.photo_path(photo_id, "thumb") is None
    finally:
        one.close()
        two.close()


def test_an_answer_save_rewrites_one_row_and_leaves_the_item_rows_alone(pg_store):
    import psycopg

    from inspect_app.domain.models import Answer
    from inspect_app.storage.postgres_store import PostgresStore

    from .test_storage_contract import item, make_inspection

    assert isinstance(pg_store, PostgresStore)
    inspection = make_inspection(items=[item("r", 1), item("r", 2)])
    other = make_inspection()
    pg_store.add_inspection(inspection)
    pg_store.add_inspection(other)

    def versions():
        with psycopg.connect(pg_store.url, autocommit=True) as conn:
            return (sorted(conn.execute("SELECT id, xmin::text FROM items").fetchall()),
                    dict(conn.execute("SELECT id, xmin::text FROM inspections").fetchall()))
    items_before, rows_before = versions()

    def answer(i):
        i.answers["c9"] = Answer(rev=1, value=True)
    pg_store.update_inspection(inspection.id, answer)
    items_after, rows_after = versions()
    assert items_after == items_before and len(items_after) == 2  # the item rows untouched
    assert rows_after[other.id] == rows_before[other.id]  # other records untouched
    assert rows_after[inspection.id] != rows_before[inspection.id]

    def finalize(i):
        i.status = "finalized"
    pg_store.update_inspection(inspection.id, finalize)  # the summary changes: rows too
    assert versions()[0] != items_before


@pytest.mark.parametrize("store_kind", ["postgres"])
def test_store_check_says_there_is_no_folder_to_check(app, store_kind):
    result = app.test_cli_runner().invoke(args=["store", "check"])
    assert result.exit_code == 0 and "no data folder to check" in result.output


def _totals(store) -> dict[str, int]:
    """The totals of the list queries whose counts schema 9 keeps, as the store gives them."""
    from inspect_app.storage.base import InspectionQuery, ItemQuery

    units = frozenset({"X01", "X02"})
    inspections = {
        "all": InspectionQuery(), "draft": InspectionQuery(status="draft"),
        "finalized inspections": InspectionQuery(kind="inspection", status="finalized",
                                                 order="finalized"),
        "plans": InspectionQuery(has_items=True),
        "a unit's view": InspectionQuery(units=units, hide_draft_inspections=True),
        "finalized": InspectionQuery(order="finalized")}
        # (period, checklist, member filters are counted by count(*): not kept)
    items = {
        "items": ItemQuery(), "overdue": ItemQuery(statuses=("open", "in_progress"),
                                                   due_before="2025-04-01"),
        "later": ItemQuery(statuses=("open",), due_from="2025-04-01"),
        "done": ItemQuery(statuses=("done",), order="done"),
        "a unit's items": ItemQuery(units=units, hide_draft_inspections=True)}
    totals = {k: store.query_inspections(q, limit=0).total for k, q in inspections.items()}
    totals |= {k: store.query_items(q, limit=0).total for k, q in items.items()}
    totals["units"] = store.page_units(limit=0).total
    totals["users"] = store.page_users(limit=0).total
    return totals


def _counted(url: str) -> dict[str, int]:
    """The same totals counted from the records themselves (what the lists gave before
    schema 9 kept counts)."""
    import psycopg

    shown = "(r.kind IS DISTINCT FROM 'inspection' OR r.status = 'finalized')"
    sql = {
        "all": "SELECT count(*) FROM inspections",
        "draft": "SELECT count(*) FROM inspections WHERE status = 'draft'",
        "finalized inspections": "SELECT count(*) FROM inspections WHERE kind = 'inspection' "
                                 "AND status = 'finalized' AND finalized_at IS NOT NULL",
        "plans": "SELECT count(*) FROM inspections WHERE items_total > 0",
        "a unit's view": f"SELECT count(*) FROM inspections r WHERE unit IN ('X01', 'X02') "
                         f"AND {shown}",
        "finalized": "SELECT count(*) FROM inspections WHERE finalized_at IS NOT NULL",
        "items": "SELECT count(*) FROM items",
        "overdue": "SELECT count(*) FROM items WHERE status IN ('open', 'in_progress') "
                   "AND due_key < '2025-04-01'",
        "later": "SELECT count(*) FROM items WHERE status = 'open' AND due_key >= '2025-04-01'",
        "done": "SELECT count(*) FROM items WHERE status = 'done'",
        "a unit's items": f"SELECT count(*) FROM items i JOIN inspections r ON r.id = "
                          f"i.record_id WHERE i.unit IN ('X01', 'X02') AND {shown}",
        "units": "SELECT count(*) FROM units", "users": "SELECT count(*) FROM users"}
    with psycopg.connect(url, autocommit=True) as conn:
        return {k: conn.execute(q).fetchone()[0] for k, q in sql.items()}


def _write_a_history(store, rng) -> None:
    """Records added and changed the ways the app changes them: status, kind, unit,
    finalization, items added, closed, removed; units and users added."""
    from inspect_app.domain.models import Unit, User

    from .test_storage_contract import item, make_inspection

    statuses = ("open", "in_progress", "done", "verified", "cannot_do")
    ids = []
    for _n in range(30):
        iid = new_id()
        ids.append(iid)
        status = rng.choice(("draft", "finalized"))
        store.add_inspection(make_inspection(
            id=iid, unit=rng.choice(("X01", "X02", "X03")), status=status,
            kind=rng.choice(("inspection", "self_check")),
            finalized_at="2025-05-01" if status == "finalized" else None,
            items=[item(iid, k + 1, rng.choice(statuses),
                        due=rng.choice((None, "2025-01-10", "2025-06-01")))
                   for k in range(rng.randint(0, 3))]))
    for _ in range(60):
        def change(i):
            what = rng.randrange(5)
            if what == 0:
                i.status, i.finalized_at = "finalized", "2025-06-01"
            elif what == 1:
                i.status, i.finalized_at = "draft", None  # reopened
            elif what == 2:
                i.unit = rng.choice(("X01", "X02", "X09"))
            elif what == 3 and i.items:
                i.items[0].status = rng.choice(statuses)
                i.items[-1].due = rng.choice((None, "2025-02-01", "2025-09-01"))
            elif i.items:
                i.items.pop()
            else:
                i.items.append(item(i.id, 9, "open", due="2025-03-03", unit=i.unit))
        store.update_inspection(rng.choice(ids), change)
    store.save_units([Unit(f"U{n}", f"Xã {n}") for n in range(5)])
    store.save_units([Unit("U1", "Xã Một")])  # replaced: no new unit
    for n in range(4):
        store.add_user(User(username=f"user{n}", role="viewer"))


def test_list_totals_kept_by_the_database_agree_with_counting_the_records(pg_store):
    """Schema 9 keeps the lists' totals in count tables (triggers, in the transaction of
    each write) so that a total costs the same at 100.000 records as at 1.000: after
    adds and every kind of change they are what counting the records gives."""
    import random

    assert _totals(pg_store) == _counted(pg_store.url) and _totals(pg_store)["all"] == 0
    _write_a_history(pg_store, random.Random(7))
    totals = _totals(pg_store)
    assert totals == _counted(pg_store.url)
    assert totals["all"] == 30 and totals["units"] == 5 and totals["users"] == 4
    assert 0 < totals["a unit's items"] < totals["items"]  # drafts' items left out


def test_an_upgrade_to_schema_9_counts_the_records_already_there(pg_url, tmp_path):
    """A database written before schema 9 gets its counts (and the items' draft flags)
    from its records when it is upgraded."""
    import random

    import psycopg

    from inspect_app.storage.postgres_store import PostgresStore

    empty_database(pg_url, drop=True)
    store = PostgresStore(pg_url, tmp_path / "a")
    _write_a_history(store, random.Random(11))
    store.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:  # back to schema 8 (its records)
        conn.execute("DROP TABLE inspection_counts, item_counts")
        conn.execute("DROP INDEX units_sorted, users_sorted, items_due_order, "
                     "items_unit_due_order")
        conn.execute("ALTER TABLE items DROP COLUMN hidden")
        conn.execute("UPDATE inspect_schema SET version = 8")
    store = PostgresStore(pg_url, tmp_path / "b")  # applies 0009
    try:
        assert _totals(store) == _counted(pg_url) and _totals(store)["all"] == 30
        assert _totals(store)["a unit's items"] < _totals(store)["items"]
    finally:
        store.close()
        empty_database(pg_url, drop=True)


def test_writes_at_once_in_one_unit_keep_the_totals_without_waiting_crosswise(pg_store):
    """Servers changing different records of one unit at the same time (the same count
    rows, taken in key order by every write): none waits for another crosswise (no
    deadlock refused), and the totals are still what counting gives."""
    import random
    import threading

    from .test_storage_contract import item, make_inspection

    ids = [new_id() for _ in range(4)]
    for iid in ids:
        pg_store.add_inspection(make_inspection(
            id=iid, items=[item(iid, k + 1, due=f"2025-0{k + 1}-01") for k in range(3)]))
    errors = []

    def writer(iid, seed):
        rng = random.Random(seed)
        try:
            for _ in range(15):
                def change(i):
                    for card in i.items:  # items move between count rows, any order
                        card.status = rng.choice(("open", "in_progress", "done"))
                        card.due = rng.choice(("2025-01-01", "2025-02-01", "2025-03-01"))
                    i.status = rng.choice(("draft", "finalized"))
                pg_store.update_inspection(iid, change)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(iid, n)) for n, iid in enumerate(ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _totals(pg_store) == _counted(pg_store.url)
