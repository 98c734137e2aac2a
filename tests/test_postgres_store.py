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
