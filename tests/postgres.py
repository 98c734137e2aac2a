"""PostgreSQL for the tests (a pytest plugin, loaded by conftest.py).

``INSPECT_TEST_DATABASE_URL`` names a database the tests may empty (``.ci/postgres``
starts a throwaway server and sets it). Each test process (pytest-xdist worker) works in
its own schema of that database (``inspect_test_<worker>``, dropped and made again when
the session starts), so parallel workers never see each other's records. Without the
variable every test that asks for PostgreSQL is skipped, saying why.
"""
from __future__ import annotations

import os
import re

import pytest

ENV = "INSPECT_TEST_DATABASE_URL"
SKIP_REASON = (f"PostgreSQL store tests need {ENV} (a database they may empty); "
               ".ci/postgres starts a throwaway server and sets it")


def _schema_name(worker: str) -> str:
    return "inspect_test_" + re.sub(r"[^a-z0-9_]", "_", worker.lower())


@pytest.fixture(scope="session")
def pg_url():
    """The URL of this test process's own (emptied) schema, or skip."""
    base = os.environ.get(ENV, "")
    if not base:
        pytest.skip(SKIP_REASON)
    import psycopg

    schema = _schema_name(os.environ.get("PYTEST_XDIST_WORKER", "main"))
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
    from inspect_app.storage.postgres_store import in_schema

    return in_schema(base, schema)


def empty_database(url: str, *, drop: bool = False) -> None:
    """Remove every record of the schema of ``url`` (or, with ``drop``, everything in it:
    the schema is made again empty)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        if drop:  # everything: tables, and the task queue's types and functions
            schema = conn.execute("SELECT current_schema()").fetchone()[0]
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
            conn.execute(f'CREATE SCHEMA "{schema}"')
            return
        tables = [t for (t,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").fetchall()]
        tables = [t for t in tables if t != "inspect_schema"]
        if tables:
            conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables))


@pytest.fixture
def pg_empty_url(pg_url):
    """``pg_url`` with no records in it."""
    empty_database(pg_url)
    return pg_url


@pytest.fixture
def pg_store(pg_empty_url, tmp_path):
    """A PostgreSQL store on the emptied schema (its photo cache under ``tmp_path``)."""
    from inspect_app.storage.postgres_store import PostgresStore

    store = PostgresStore(pg_empty_url, tmp_path / "data", pool_size=8)
    yield store
    store.close()
